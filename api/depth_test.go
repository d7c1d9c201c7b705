package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/store/storetest"
)

// nestedArrays returns n arrays, each inside the one before.
func nestedArrays(n int) string {
	return strings.Repeat("[", n) + strings.Repeat("]", n)
}

// TestDeepJSONRefused: every JSON endpoint refuses a body nested deeper
// than api.MaxJSONDepth with a 400 that says so, whether the body is
// otherwise well formed, cut short, or a megabyte of brackets.
func TestDeepJSONRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		created := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"A story to patch"}`})
		id := fmt.Sprint(created.json(t)["id"])
		endpoints := []struct{ method, path, contentType string }{
			{"POST", "/v1/articles", "application/json"},
			{"POST", "/v1/articles/batch", "application/json"},
			{"PUT", "/v1/articles/" + id, "application/json"},
			{"PATCH", "/v1/articles/" + id, "application/merge-patch+json"},
			{"POST", "/v1/classify", "application/json"},
			{"POST", "/v1/themes", "application/json"},
			{"PATCH", "/v1/themes/trade", "application/merge-patch+json"},
		}
		deep := api.MaxJSONDepth + 1
		bodies := map[string]string{
			"arrays in a field":   `{"title":"x","countries":` + nestedArrays(deep) + `}`,
			"objects in a field":  `{"title":"x","body":` + strings.Repeat(`{"a":`, deep) + `1` + strings.Repeat("}", deep) + `}`,
			"arrays, unclosed":    strings.Repeat("[", 30000),
			"1 MiB of arrays":     nestedArrays(api.MaxBodyBytes/2 - 1),
			"1 MiB of objects":    strings.Repeat(`{"a":`, api.MaxBodyBytes/6-1) + "1" + strings.Repeat("}", api.MaxBodyBytes/6-1),
			"brackets in strings": `{"title":"` + strings.Repeat("[", 1000) + `","body":` + nestedArrays(deep) + `}`,
		}
		for _, ep := range endpoints {
			for name, body := range bodies {
				r := e.raw(ep.method, ep.path, "", body, "Content-Type", ep.contentType, "Authorization", "Bearer "+adminKey)
				if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), fmt.Sprintf("deeper than %d levels", api.MaxJSONDepth)) {
					t.Errorf("%s %s, %s: %d %.300s", ep.method, ep.path, name, r.status, r.body)
				}
			}
		}
		// Brackets inside strings do not count, and a body at the limit
		// is judged on its content as usual.
		r := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"` + strings.Repeat("[{", 100) + `"}`})
		if r.status != http.StatusCreated {
			t.Errorf("brackets in a title: %d %s", r.status, r.body)
		}
		r = e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"x","countries":` + nestedArrays(api.MaxJSONDepth-1) + `}`})
		if r.status != http.StatusBadRequest || strings.Contains(string(r.body), "deeper") || !strings.Contains(string(r.body), `"field":"countries"`) {
			t.Errorf("at the limit: %d %s", r.status, r.body)
		}
	})
}

// TestDeepJSONClaimsNoIdempotencyKey: a keyed POST whose body nests too
// deep is refused before its key is claimed, so the key stays free for the
// corrected request.
func TestDeepJSONClaimsNoIdempotencyKey(t *testing.T) {
	e := newEnv(t, "sqlite")
	deep := `{"title":"x","countries":` + nestedArrays(api.MaxJSONDepth+1) + `}`
	r := e.raw("POST", "/v1/articles", "", deep, "Content-Type", "application/json", "Authorization", "Bearer "+editorKey, "Idempotency-Key", "deep-1")
	if r.status != http.StatusBadRequest {
		t.Fatalf("deep body: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"The corrected request"}`, headers: []string{"Idempotency-Key", "deep-1"}})
	if r.status != http.StatusCreated {
		t.Errorf("the corrected request with the same key: %d %s", r.status, r.body)
	}
}

package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/headlines/headlines/internal/store/storetest"
)

func TestVocabularyEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		all := e.do(req{path: "/v1/countries"}).json(t)["data"].([]any)
		if len(all) != 249 {
			t.Errorf("%d countries, want 249", len(all))
		}
		used := e.do(req{path: "/v1/countries?used=true"}).json(t)["data"].([]any)
		if len(used) != 11 {
			t.Errorf("%d used countries, want the 11 of the demo", len(used))
		}
		ru := e.do(req{path: "/v1/countries/russian%20federation"}).json(t)
		if ru["code"] != "RU" || ru["article_count"] != 5.0 {
			t.Errorf("Russia: %v", ru)
		}
		assertProblem(t, e.do(req{path: "/v1/countries/XX"}), 404, "")
		assertProblem(t, e.do(req{path: "/v1/countries?used=perhaps"}), 400, "used")
		assertProblem(t, e.do(req{path: "/v1/themes?sort=name"}), 400, "sort")

		troops := e.do(req{path: "/v1/themes/military"}).json(t)
		if troops["slug"] != "troops" || troops["article_count"] != 4.0 {
			t.Errorf("troops: %v", troops)
		}
		themes := e.do(req{path: "/v1/themes"}).json(t)["data"].([]any)
		if len(themes) != 12 {
			t.Errorf("%d themes, want 12 seeded", len(themes))
		}

		// Editors manage themes (admins too); readers and strangers do not.
		assertProblem(t, e.do(req{method: "POST", path: "/v1/themes", body: `{"slug":"energy","name":"Energy"}`}), 401, "")
		assertProblem(t, e.do(req{method: "POST", path: "/v1/themes", body: `{"slug":"energy","name":"Energy"}`,
			headers: []string{"Authorization", "Bearer " + readerKey}}), 403, "")
		assertProblem(t, e.do(req{method: "DELETE", path: "/v1/themes/trade", headers: []string{"Authorization", "Bearer " + readerKey}}), 403, "")
		r := e.do(req{method: "POST", path: "/v1/themes", key: true, body: `{"slug":"energy","name":"Energy","aliases":["oil"]}`})
		if r.status != http.StatusCreated {
			t.Fatalf("create theme: %d %s", r.status, r.body)
		}
		assertProblem(t, e.do(req{method: "POST", path: "/v1/themes", admin: true, body: `{"slug":"fuel","name":"Fuel","aliases":["military"]}`}), 409, "aliases")
		assertProblem(t, e.do(req{method: "POST", path: "/v1/themes", admin: true, body: `{"slug":"Bad Slug","name":""}`}), 422, "slug")
		if r := e.do(req{path: "/v1/articles?theme=oil"}); r.status != 200 {
			t.Errorf("a new theme's alias is not accepted by the list: %d %s", r.status, r.body)
		}
		created := r.header.Get("ETag")
		r = e.do(req{method: "PATCH", path: "/v1/themes/energy", key: true, body: `{"name":"Energy supply"}`})
		if r.status != 200 || r.json(t)["name"] != "Energy supply" {
			t.Errorf("patch theme: %d %s", r.status, r.body)
		}
		// A write answers with the ETag a GET of the theme gives, so the
		// copy it returned revalidates; the create's copy no longer does.
		patched := r.header.Get("ETag")
		if got := e.do(req{path: "/v1/themes/energy"}); patched == "" || patched == created || got.header.Get("ETag") != patched || !bytes.Equal(got.body, r.body) {
			t.Errorf("ETags: created %q, patched %q, then GET %q (same body: %v)", created, patched, got.header.Get("ETag"), bytes.Equal(got.body, r.body))
		}
		if got := e.do(req{path: "/v1/themes/energy", headers: []string{"If-None-Match", patched}}); got.status != http.StatusNotModified {
			t.Errorf("GET with the patch's ETag: %d, want 304", got.status)
		}
		if got := e.do(req{path: "/v1/themes/energy", headers: []string{"If-None-Match", created}}); got.status != http.StatusOK {
			t.Errorf("GET with the create's ETag: %d, want 200", got.status)
		}

		// Writes made on an ETag: a stale one is a 412 and changes nothing.
		stale := e.do(req{method: "PATCH", path: "/v1/themes/energy", key: true, body: `{"name":"Energy again"}`, headers: []string{"If-Match", created}})
		assertProblem(t, stale, http.StatusPreconditionFailed, "If-Match")
		for _, bad := range []string{`"bogus"`, "W/" + patched} { // If-Match compares strongly
			assertProblem(t, e.do(req{method: "PATCH", path: "/v1/themes/energy", key: true, body: `{"name":"Energy again"}`, headers: []string{"If-Match", bad}}), http.StatusPreconditionFailed, "If-Match")
		}
		assertProblem(t, e.do(req{method: "PATCH", path: "/v1/themes/energy", key: true, body: `{"name":"x"}`, headers: []string{"If-Match", "bogus"}}), http.StatusBadRequest, "If-Match")
		if got := e.do(req{path: "/v1/themes/energy"}).json(t)["name"]; got != "Energy supply" {
			t.Errorf("a refused write changed the theme: name %v", got)
		}
		// The current ETag, that of the compressed answer, which names the
		// same theme, and "*" each make a write.
		for i, accept := range []string{"identity", "gzip", ""} {
			tag := "*"
			if accept != "" {
				tag = e.do(req{path: "/v1/themes/energy", headers: []string{"Accept-Encoding", accept}}).header.Get("ETag")
			}
			r := e.do(req{method: "PATCH", path: "/v1/themes/energy", key: true, body: fmt.Sprintf(`{"description":"Oil, gas and power (%d)."}`, i), headers: []string{"If-Match", tag}})
			if r.status != http.StatusOK {
				t.Fatalf("PATCH with If-Match %s: %d %s", tag, r.status, r.body)
			}
			patched = r.header.Get("ETag")
		}
		assertProblem(t, e.do(req{method: "DELETE", path: "/v1/themes/energy", key: true, headers: []string{"If-Match", created}}), http.StatusPreconditionFailed, "If-Match")
		assertProblem(t, e.do(req{method: "DELETE", path: "/v1/themes/troops", admin: true}), 409, "")
		if r := e.do(req{method: "DELETE", path: "/v1/themes/energy", admin: true, headers: []string{"If-Match", patched}}); r.status != 204 {
			t.Errorf("delete theme: %d %s", r.status, r.body)
		}
		assertProblem(t, e.do(req{path: "/v1/themes/energy"}), 404, "")
	})
}

func TestCacheControl(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		cases := []struct {
			name string
			r    req
			want string
		}{
			{"public list", req{path: "/v1/articles?country=RU"}, "public, max-age=60, stale-while-revalidate=120"},
			{"public article", req{path: "/v1/articles/1"}, "public, max-age=60, stale-while-revalidate=120"},
			{"public vocabulary", req{path: "/v1/themes"}, "public, max-age=60, stale-while-revalidate=120"},
			{"read with a key", req{path: "/v1/articles", key: true}, "private, no-store"},
			{"error", req{path: "/v1/articles?limit=0"}, "no-store"},
		}
		for _, tc := range cases {
			r := e.do(tc.r)
			if got := r.header.Get("Cache-Control"); got != tc.want {
				t.Errorf("%s: Cache-Control %q, want %q", tc.name, got, tc.want)
			}
			if vary := strings.Join(r.header.Values("Vary"), ", "); !contains(vary, "Authorization") && r.status == 200 {
				t.Errorf("%s: Vary %q lacks Authorization", tc.name, vary)
			}
		}
	})
}

func TestHeadAnswersLikeGet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		get := e.do(req{path: "/v1/articles/1"})
		head := e.do(req{method: http.MethodHead, path: "/v1/articles/1"})
		if head.status != 200 || len(head.body) != 0 || head.header.Get("ETag") != get.header.Get("ETag") {
			t.Errorf("HEAD: %d, %d bytes, ETag %q (GET's %q)", head.status, len(head.body), head.header.Get("ETag"), get.header.Get("ETag"))
		}
	})
}

func TestHealth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		for _, p := range []string{"/healthz", "/readyz"} {
			if r := e.do(req{path: p}); r.status != 200 {
				t.Errorf("%s: %d", p, r.status)
			}
		}
		_ = e.store.Close()
		assertProblem(t, e.do(req{path: "/readyz"}), http.StatusServiceUnavailable, "")
	})
}

// TestThemePatchNulls: in a theme's merge patch, null clears the
// description, aliases and keywords, and a null slug or name is a 422
// naming it and the patch's other wrong members, with nothing changed;
// before, every null was ignored with a 200.
func TestThemePatchNulls(t *testing.T) {
	e := newEnv(t, "sqlite")
	path := "/v1/themes/trade"
	before := e.do(req{path: path})
	for _, c := range []struct {
		body string
		want []string
	}{
		{`{"name":null}`, []string{"name"}},
		{`{"slug":null,"description":"Fine"}`, []string{"slug"}},
		{`{"name":null,"slug":"Bad Slug","aliases":[""]}`, []string{"name", "slug", "aliases"}},
	} {
		r := e.do(req{method: "PATCH", path: path, admin: true, body: c.body})
		assertProblem(t, r, http.StatusUnprocessableEntity, c.want[0])
		errs, _ := r.json(t)["errors"].([]any)
		if len(errs) != len(c.want) {
			t.Errorf("%s: %d problems, want %v: %s", c.body, len(errs), c.want, r.body)
		}
		for _, f := range c.want {
			if problemOf(t, r, f) == "" {
				t.Errorf("%s: %s not named: %s", c.body, f, r.body)
			}
		}
	}
	if after := e.do(req{path: path}); string(after.body) != string(before.body) {
		t.Errorf("a refused patch changed the theme:\n%s\n%s", before.body, after.body)
	}
	r := e.do(req{method: "PATCH", path: path, admin: true, body: `{"description":null,"aliases":null,"keywords":null}`})
	if r.status != http.StatusOK {
		t.Fatalf("clearing: %d %s", r.status, r.body)
	}
	got := e.do(req{path: path}).json(t)
	for _, f := range []string{"aliases", "keywords"} {
		if l, ok := got[f].([]any); !ok || len(l) != 0 {
			t.Errorf("%s after null: %v", f, got[f])
		}
	}
	if d, _ := got["description"].(string); d != "" {
		t.Errorf("description after null: %q", d)
	}
	if r := e.do(req{method: "PATCH", path: path, admin: true, body: `null`}); r.status != http.StatusBadRequest {
		t.Errorf("a null patch: %d %s", r.status, r.body)
	}
}

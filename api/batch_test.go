package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/headlines/headlines/internal/store/storetest"
)

func TestBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		body := `{"articles":[
			{"title":"China reopens border crossing","url":"https://example.com/crossing","countries":["CN","KP"],"themes":["trade"]},
			{"title":"","countries":["Narnia"]},
			{"title":"Japan protests missile launch","countries":["JP","KP"],"themes":["nuclear"],"extra":1},
			{"title":"Seoul and Tokyo talk","countries":["KR","JP"],"themes":["diplomacy"]}
		]}`
		r := e.do(req{method: "POST", path: "/v1/articles/batch", body: body, key: true})
		if r.status != http.StatusMultiStatus {
			t.Fatalf("batch: %d %s", r.status, r.body)
		}
		out := r.json(t)
		if out["created"] != 2.0 || out["updated"] != 0.0 || out["failed"] != 2.0 {
			t.Errorf("counts: %v %v %v", out["created"], out["updated"], out["failed"])
		}
		results := out["results"].([]any)
		want := []struct {
			status int
			field  string
		}{{201, ""}, {422, "articles[1].title"}, {400, "articles[2].extra"}, {201, ""}}
		for i, w := range want {
			res := results[i].(map[string]any)
			if res["index"] != float64(i) || res["status"] != float64(w.status) {
				t.Errorf("item %d: %v", i, res)
				continue
			}
			if w.field != "" {
				p := res["problem"].(map[string]any)
				if !strings.Contains(fmt.Sprint(p["errors"]), w.field) {
					t.Errorf("item %d problem does not name %s: %v", i, w.field, p)
				}
			}
		}
		// The same url again replaces the stored article: 200.
		r = e.do(req{method: "POST", path: "/v1/articles/batch", key: true,
			body: `{"articles":[{"title":"China reopens a border crossing","url":"https://example.com/crossing","countries":["CN"]}]}`})
		if res := r.json(t)["results"].([]any)[0].(map[string]any); res["status"] != 200.0 || r.json(t)["updated"] != 1.0 {
			t.Errorf("upsert: %s", r.body)
		}
		if got := titles(t, e.do(req{path: "/v1/articles?q=crossing"})); len(got) != 1 || got[0] != "China reopens a border crossing" {
			t.Errorf("after upsert: %v", got)
		}
		over := `{"articles":[` + strings.TrimSuffix(strings.Repeat(`{"title":"x"},`, 101), ",") + `]}`
		assertProblem(t, e.do(req{method: "POST", path: "/v1/articles/batch", body: over, key: true}), 422, "articles")
		assertProblem(t, e.do(req{method: "POST", path: "/v1/articles/batch", body: `{"articles":[]}`, key: true}), 422, "articles")
		assertProblem(t, e.do(req{method: "POST", path: "/v1/articles/batch", body: `[{"title":"x"}]`, key: true}), 400, "")
		assertProblem(t, e.do(req{method: "POST", path: "/v1/articles/batch", body: `{"articles":[{"title":"x"}]}`}), 401, "")
	})
}

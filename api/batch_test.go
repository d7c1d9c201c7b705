package api_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/headlines/headlines/api"
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

// refuseTitle makes the database itself fail the insert of an article
// titled title, with an error that is nobody's fault but the server's (on
// SQLite a function error raised by a trigger, SQLITE_ERROR; on PostgreSQL
// a trigger's RAISE EXCEPTION, SQLSTATE P0001). It says "boom", which must
// reach the log only.
func refuseTitle(t *testing.T, e *env, kind, title string) {
	t.Helper()
	stmts := []string{`CREATE TRIGGER refuse_title BEFORE INSERT ON articles WHEN NEW.title = '` + title + `'
		BEGIN SELECT json('boom {'); END`}
	if kind == "postgres" {
		stmts = []string{`CREATE FUNCTION refuse_title() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF NEW.title = '` + title + `' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$`,
			`CREATE TRIGGER refuse_title BEFORE INSERT ON articles FOR EACH ROW EXECUTE FUNCTION refuse_title()`}
	}
	for _, q := range stmts {
		if _, err := e.store.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

func countArticles(t *testing.T, e *env) int {
	t.Helper()
	var n int
	if err := e.store.DB().QueryRow(`SELECT count(*) FROM articles`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBatchItemFailsInside: an item the database refuses for an internal
// reason is that item's 500 inside the 207, saying nothing internal; the
// items around it are stored and reported; the Idempotency-Key keeps the
// 207, and a retry creates nothing more.
func TestBatchItemFailsInside(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		_, st := newAPI(t, kind)
		var logs syncBuffer
		e := serve(t, api.New(api.Deps{Articles: st, Vocabulary: st, Idempotency: st, Changes: st, Ping: st.Ping, APIKeys: []string{editorKey},
			CursorSecret: "test-cursor-secret-0123456789", Log: slog.New(slog.NewJSONHandler(&logs, nil))}), st)
		refuseTitle(t, e, kind, "Refused by the database")
		body := `{"articles":[
			{"title":"Pyongyang marathon reopens to foreigners","countries":["KP"],"themes":["tourism"]},
			{"title":"Refused by the database","countries":["KP"]},
			{"title":"Rason trade fair draws Chinese firms","countries":["KP","CN"],"themes":["trade"]}
		]}`
		before := countArticles(t, e)
		post := func() response {
			return e.do(req{method: "POST", path: "/v1/articles/batch", body: body, key: true, headers: []string{"Idempotency-Key", "batch-with-a-refused-item"}})
		}
		first := post()
		if first.status != http.StatusMultiStatus {
			t.Fatalf("batch with an item the database refuses: %d %s", first.status, first.body)
		}
		out := first.json(t)
		if out["created"] != 2.0 || out["failed"] != 1.0 {
			t.Errorf("counts: created %v, failed %v; want 2 and 1", out["created"], out["failed"])
		}
		results := out["results"].([]any)
		for i, want := range []float64{201, 500, 201} {
			if got := results[i].(map[string]any)["status"]; got != want {
				t.Errorf("item %d: status %v, want %v: %v", i, got, want, results[i])
			}
		}
		p, _ := results[1].(map[string]any)["problem"].(map[string]any)
		if p["status"] != 500.0 || p["request_id"] == nil || p["request_id"] != first.header.Get("X-Request-ID") {
			t.Errorf("the refused item's problem: %v (request id %q)", p, first.header.Get("X-Request-ID"))
		}
		for _, secret := range []string{"boom", "json", "sqlite", "trigger", "SQLSTATE", "article"} {
			if strings.Contains(strings.ToLower(fmt.Sprint(p)), strings.ToLower(secret)) {
				t.Errorf("the problem says %q: %v", secret, p)
			}
		}
		if n := countArticles(t, e); n != before+2 {
			t.Errorf("%d articles after the batch, want %d", n, before+2)
		}
		// The cause is in the log, under the request id the client was given.
		cause := `"msg":"batch item failed","request_id":"` + first.header.Get("X-Request-ID") + `","index":1,"status":500,"error":`
		if l := logs.String(); !strings.Contains(l, cause) || !strings.Contains(l, map[string]string{"sqlite": "malformed JSON", "postgres": "boom"}[kind]) {
			t.Errorf("the log lacks the cause %s…:\n%s", cause, l)
		}
		again := post()
		if again.status != http.StatusMultiStatus || string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("retry: %d, replayed %q\n%s\nwant\n%s", again.status, again.header.Get("Idempotent-Replayed"), again.body, first.body)
		}
		if n := countArticles(t, e); n != before+2 {
			t.Errorf("%d articles after the retry, want %d", n, before+2)
		}
		// Without a key, the same: a 207 with the item's own problem.
		r := e.do(req{method: "POST", path: "/v1/articles/batch", key: true,
			body: `{"articles":[{"title":"Refused by the database"},{"title":"Kaesong park stays shut","countries":["KP","KR"]}]}`})
		if r.status != http.StatusMultiStatus || fmt.Sprint(r.json(t)["created"]) != "1" {
			t.Errorf("keyless batch: %d %s", r.status, r.body)
		}
	})
}

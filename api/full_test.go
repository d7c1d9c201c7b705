package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/headlines/headlines/internal/store/storetest"
)

// TestStorageFullAnswers507 fills the database under the API: a create
// answers 507 with a problem naming the cause and a Retry-After, /readyz
// answers 503 saying why, reads go on and find every article answered 201
// before, and once space is free writes succeed and readiness returns.
func TestStorageFullAnswers507(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		e := newEnv(t, kind)
		cause := map[string]string{"sqlite": "SQLITE_FULL", "postgres": "SQLSTATE 53100"}[kind]
		create := func(title, body string) response {
			return e.do(req{method: http.MethodPost, path: "/v1/articles", key: true,
				body: fmt.Sprintf(`{"title":%q,"body":%q,"countries":["KP"],"themes":["aid"]}`, title, body)})
		}
		var acked []string // paths of the articles answered 201
		ack := func(r response) {
			t.Helper()
			acked = append(acked, fmt.Sprintf("/v1/articles/%v", r.json(t)["id"]))
		}
		for i := range 3 {
			r := create(fmt.Sprintf("before %d", i), "")
			if r.status != http.StatusCreated {
				t.Fatalf("create before: %d %s", r.status, r.body)
			}
			ack(r)
		}

		storetest.FillStorage(t, e.store.DB(), kind)
		// SQLite fits a few more rows into the pages it has; 8 KiB bodies
		// need pages of their own.
		var full response
		for i := range 50 {
			r := create(fmt.Sprintf("while full %d", i), strings.Repeat(fmt.Sprintf("word%d ", i), 1200))
			if r.status != http.StatusCreated {
				full = r
				break
			}
			ack(r)
		}
		if full.status != http.StatusInsufficientStorage {
			t.Fatalf("a create on a full database: %d %s; want 507", full.status, full.body)
		}
		p := full.json(t)
		if p["type"] != "urn:headlines:problem:storage_full" || !strings.Contains(fmt.Sprint(p["detail"]), cause) {
			t.Errorf("507 problem: %s; want type storage_full and a detail naming %s", full.body, cause)
		}
		if ct := full.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("507 content type %q", ct)
		}
		if ra := full.header.Get("Retry-After"); ra == "" {
			t.Error("507 without Retry-After")
		}

		r := e.do(req{path: "/readyz"})
		if detail := fmt.Sprint(r.json(t)["detail"]); r.status != http.StatusServiceUnavailable ||
			!strings.Contains(detail, "storage is full") || !strings.Contains(detail, cause) {
			t.Errorf("/readyz on a full database: %d %s; want 503 naming the full storage and %s", r.status, r.body, cause)
		}
		for _, path := range acked {
			if r := e.do(req{path: path, key: true}); r.status != http.StatusOK {
				t.Errorf("GET %s, answered 201 before the storage filled: %d %s", path, r.status, r.body)
			}
		}

		storetest.FreeStorage(t, e.store.DB(), kind)
		if r := create("after space was freed", strings.Repeat("free ", 1200)); r.status != http.StatusCreated {
			t.Fatalf("a create after space was freed: %d %s", r.status, r.body)
		}
		if r := e.do(req{path: "/readyz"}); r.status != http.StatusOK {
			t.Errorf("/readyz after a write went through: %d %s", r.status, r.body)
		}
	})
}

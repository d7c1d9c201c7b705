package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/store/storetest"
)

const instanceKey = "instance-test-key-0123456789"

func startInstance(t *testing.T, dsn string) *instance {
	t.Helper()
	return startServer(t, dsn, nil, "HEADLINES_API_KEYS="+instanceKey, "HEADLINES_CURSOR_SECRET=shared-cursor-secret-0123456789")
}

// call sends a request and decodes a JSON answer into out (when not nil).
func (in *instance) call(t *testing.T, method, path, body string, out any, headers ...string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, in.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet {
		req.Header.Set("Authorization", "Bearer "+instanceKey)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, raw)
		}
	}
	return res
}

// TestTwoInstancesOnePostgres runs two API processes on one PostgreSQL
// database, as behind a load balancer, and shows that they behave as one.
func TestTwoInstancesOnePostgres(t *testing.T) {
	dsn := storetest.DSN(t, "postgres")

	// Both start at once on the empty database: the migration runs once
	// and the demo headlines are loaded once.
	var a, b *instance
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a = startInstance(t, dsn) }()
	go func() { defer wg.Done(); b = startInstance(t, dsn) }()
	wg.Wait()
	waitReady(t, a.base+"/readyz")
	waitReady(t, b.base+"/readyz")
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var applied, articles int
	if err := db.QueryRow(`SELECT count(*) FROM goose_db_version WHERE version_id = 1`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != 1 {
		t.Errorf("migration 1 recorded %d times, want once", applied)
	}
	if err := db.QueryRow(`SELECT count(*) FROM articles`).Scan(&articles); err != nil {
		t.Fatal(err)
	}
	if articles != 10 {
		t.Errorf("%d articles after both started, want the 10 demo headlines once", articles)
	}

	// A write on A is read on B at once.
	var created map[string]any
	res := a.call(t, "POST", "/v1/articles", `{"title":"Russia and North Korea open a road bridge","countries":["RU","KP"],"themes":["infrastructure"]}`, &created)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create on A: %d %v", res.StatusCode, created)
	}
	id := int(created["id"].(float64))
	etag1 := res.Header.Get("ETag")
	var got map[string]any
	if res := b.call(t, "GET", fmt.Sprintf("/v1/articles/%d", id), "", &got); res.StatusCode != 200 || got["title"] != created["title"] {
		t.Fatalf("read on B: %d %v", res.StatusCode, got)
	}

	// A moves the article on; B refuses a change based on the old version.
	if res := a.call(t, "PATCH", fmt.Sprintf("/v1/articles/%d", id), `{"summary":"first edit"}`, nil, "If-Match", etag1); res.StatusCode != 200 {
		t.Fatalf("patch on A: %d", res.StatusCode)
	}
	var problem map[string]any
	if res := b.call(t, "PATCH", fmt.Sprintf("/v1/articles/%d", id), `{"summary":"lost update"}`, &problem, "If-Match", etag1); res.StatusCode != http.StatusPreconditionFailed {
		t.Fatalf("stale patch on B: %d %v", res.StatusCode, problem)
	}
	if a.call(t, "GET", fmt.Sprintf("/v1/articles/%d", id), "", &got); got["summary"] != "first edit" || got["version"] != 2.0 {
		t.Errorf("after the stale patch: summary %q version %v", got["summary"], got["version"])
	}

	// Cursor pages fetched alternately from A and B walk the list once, in order.
	var seen []int
	path := "/v1/articles?country=KP&limit=3&fields=id"
	for i := 0; path != ""; i++ {
		in := []*instance{a, b}[i%2]
		var page struct {
			Data []struct {
				ID int `json:"id"`
			} `json:"data"`
			Next *string `json:"next_cursor"`
		}
		if res := in.call(t, "GET", path, "", &page); res.StatusCode != 200 {
			t.Fatalf("page %d from %s: %d", i, in.base, res.StatusCode)
		}
		for _, d := range page.Data {
			seen = append(seen, d.ID)
		}
		path = ""
		if page.Next != nil {
			path = "/v1/articles?country=KP&limit=3&fields=id&cursor=" + url.QueryEscape(*page.Next)
		}
	}
	if len(seen) != 11 {
		t.Errorf("walked %d articles across A and B, want 11: %v", len(seen), seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] >= seen[i-1] {
			t.Errorf("order broken at %d: %v", i, seen)
		}
	}

	// Both shut down cleanly.
	for _, in := range []*instance{a, b} {
		_ = in.cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- in.cmd.Wait() }()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s exited with %v", in.base, err)
			}
		case <-ctx.Done():
			t.Errorf("%s did not stop", in.base)
		}
		cancel()
	}
}

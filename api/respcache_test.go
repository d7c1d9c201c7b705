package api_test

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store"
)

// TestResponseCache: repeated public GETs come from memory, a write
// through the API is seen by the next read, a write made elsewhere is seen
// after the poll interval, and with the cache warm, revalidations and
// repeats are answered even with the database gone.
func TestResponseCache(t *testing.T) {
	_, st := newAPI(t, "sqlite")
	a := api.New(api.Deps{Articles: st, Vocabulary: st, Keys: st, Changes: st, Ping: st.Ping, APIKeys: []string{editorKey},
		CursorSecret: "test-cursor-secret-0123456789", Log: quietLog(), ResponseCache: true, CachePoll: 50 * time.Millisecond})
	t.Cleanup(func() { _ = a.Close() })
	e := serve(t, a, st)
	path := "/v1/articles?country=RU&fields=title"
	first := e.do(req{path: path})
	second := e.do(req{path: path})
	if first.header.Get("X-Cache") != "" || second.header.Get("X-Cache") != "hit" || string(first.body) != string(second.body) {
		t.Fatalf("repeat: X-Cache %q then %q", first.header.Get("X-Cache"), second.header.Get("X-Cache"))
	}
	if second.header.Get("ETag") != first.header.Get("ETag") || second.header.Get("Cache-Control") == "" {
		t.Errorf("a hit lost headers: %v", second.header)
	}
	if r := e.do(req{path: path, key: true}); r.header.Get("X-Cache") != "" {
		t.Error("a keyed read was served from the public cache")
	}

	// A write through the API is seen by the very next read.
	if r := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Lavrov in Pyongyang","countries":["RU"],"published_at":"2025-07-05T00:00:00Z"}`}); r.status != 201 {
		t.Fatal(r.status)
	}
	if got := titles(t, e.do(req{path: path})); got[0] != "Lavrov in Pyongyang" {
		t.Errorf("after a write the list starts with %q", got[0])
	}
	// A write made elsewhere (another instance, an import) shows after a poll.
	d := news.Draft{Title: "Written by another instance", Countries: []string{"RU"}, PublishedAt: time.Date(2025, 7, 6, 0, 0, 0, 0, time.UTC)}
	if err := d.Normalize(st.Vocabulary()); err != nil {
		t.Fatal(err)
	}
	e.do(req{path: path}) // warm
	if _, err := st.CreateArticle(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for titles(t, e.do(req{path: path}))[0] != "Written by another instance" {
		if time.Now().After(deadline) {
			t.Fatal("a write made elsewhere never showed")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// With the database gone, the warm cache still answers.
	e.do(req{path: path})
	warm := e.do(req{path: path})
	_ = st.Close()
	if r := e.do(req{path: path, headers: []string{"If-None-Match", warm.header.Get("ETag")}}); r.status != http.StatusNotModified {
		t.Errorf("revalidation without the database: %d", r.status)
	}
	if r := e.do(req{path: path}); r.status != 200 || r.header.Get("X-Cache") != "hit" {
		t.Errorf("repeat without the database: %d %q", r.status, r.header.Get("X-Cache"))
	}
}

// countingChanges is the store, counting the response cache's polls.
type countingChanges struct {
	*store.Store
	polls atomic.Int64
}

func (c *countingChanges) LastChange(ctx context.Context) (int64, error) {
	c.polls.Add(1)
	return c.Store.LastChange(ctx)
}

// pollers counts the goroutines polling for changes: the response
// cache's and the change streams' watch, one each per API.
func pollers() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "created by github.com/headlines/headlines/internal/ticker.Every ")
}

// The response cache's poll for changes made elsewhere, and the change
// streams' watch, run until the API is closed, and not a moment longer:
// Close returns once they have ended.
func TestResponseCachePollEndsOnClose(t *testing.T) {
	_, st := newAPI(t, "sqlite")
	changes := &countingChanges{Store: st}
	before := pollers()
	a := api.New(api.Deps{Articles: st, Vocabulary: st, Changes: changes, Ping: st.Ping, CursorSecret: "test-cursor-secret-0123456789",
		Log: quietLog(), ResponseCache: true, CachePoll: time.Millisecond})
	deadline := time.Now().Add(5 * time.Second)
	for changes.polls.Load() < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("%d polls in 5 s at one a millisecond", changes.polls.Load())
		}
		time.Sleep(time.Millisecond)
	}
	if n := pollers(); n != before+2 {
		t.Fatalf("%d pollers running, want %d", n, before+2)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if n := pollers(); n != before {
		t.Errorf("%d pollers still running after Close, want %d", n, before)
	}
	polls := changes.polls.Load()
	time.Sleep(20 * time.Millisecond)
	if n := changes.polls.Load(); n != polls {
		t.Errorf("%d polls after Close", n-polls)
	}
	if err := a.Close(); err != nil { // again: nothing left to stop
		t.Fatal(err)
	}
}

package api_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/headlines/headlines/internal/store/storetest"
)

type changePage struct {
	Data []struct {
		Op      string         `json:"op"`
		Seq     int64          `json:"seq"`
		ID      int64          `json:"id"`
		Article map[string]any `json:"article"`
	} `json:"data"`
	Next string `json:"next_cursor"`
}

// replica is a client's offline copy, kept by the change feed.
type replica struct {
	cursor   string
	articles map[int64]map[string]any
}

func (r *replica) sync(t *testing.T, e *env, key bool) {
	t.Helper()
	for {
		path := "/v1/changes?limit=7"
		if r.cursor != "" {
			path += "&cursor=" + url.QueryEscape(r.cursor)
		}
		resp := e.do(req{path: path, key: key})
		if resp.status != 200 {
			t.Fatalf("%s: %d %s", path, resp.status, resp.body)
		}
		var page changePage
		if err := json.Unmarshal(resp.body, &page); err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Data {
			switch c.Op {
			case "upsert":
				r.articles[c.ID] = c.Article
			case "delete":
				delete(r.articles, c.ID)
			default:
				t.Fatalf("op %q", c.Op)
			}
		}
		r.cursor = page.Next
		if len(page.Data) == 0 {
			return
		}
	}
}

// serverCopy is every article the caller can see, read through the list.
func serverCopy(t *testing.T, e *env, key bool) map[int64]map[string]any {
	t.Helper()
	out := map[int64]map[string]any{}
	path := "/v1/articles?limit=100&fields=title,summary,body,url,image_url,source,section,author,language,countries,themes,status,published_at,created_at,updated_at,version,tag_source"
	for path != "" {
		r := e.do(req{path: path, key: key})
		var page struct {
			Data []map[string]any `json:"data"`
			Next *string          `json:"next_cursor"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Data {
			out[int64(a["id"].(float64))] = a
		}
		path = ""
		if page.Next != nil {
			path = "/v1/articles?limit=100&cursor=" + url.QueryEscape(*page.Next) + "&fields=title,summary,body,url,image_url,source,section,author,language,countries,themes,status,published_at,created_at,updated_at,version,tag_source"
		}
	}
	return out
}

// TestChangeFeedReplay keeps two offline copies (public and editor) in
// step through the change feed while creates, updates, deletes and
// publish/unpublish happen concurrently; at the end both copies equal
// what the server holds for them.
func TestChangeFeedReplay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		public := &replica{articles: map[int64]map[string]any{}}
		editor := &replica{articles: map[int64]map[string]any{}}
		public.sync(t, e, false)
		editor.sync(t, e, true)
		if len(public.articles) != 10 {
			t.Fatalf("the first sync holds %d articles, want the 10 demo ones", len(public.articles))
		}

		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 7))
				var mine []int
				for i := range 25 {
					switch op := rng.IntN(10); {
					case op < 5 || len(mine) == 0:
						status := "published"
						if rng.IntN(4) == 0 {
							status = "draft"
						}
						r := e.do(req{method: "POST", path: "/v1/articles", key: true,
							body: fmt.Sprintf(`{"title":"writer %d item %d","status":%q,"countries":["KP"]}`, w, i, status)})
						if r.status == 201 {
							mine = append(mine, int(r.json(t)["id"].(float64)))
						}
					case op < 8:
						id := mine[rng.IntN(len(mine))]
						status := []string{"published", "draft"}[rng.IntN(2)]
						e.do(req{method: "PATCH", path: fmt.Sprintf("/v1/articles/%d", id), key: true,
							body: fmt.Sprintf(`{"summary":"edit %d","status":%q}`, i, status)})
					default:
						k := rng.IntN(len(mine))
						e.do(req{method: "DELETE", path: fmt.Sprintf("/v1/articles/%d", mine[k]), key: true})
						mine = append(mine[:k], mine[k+1:]...)
					}
				}
			}()
		}
		// Sync while the writers run, then once more after.
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		for running := true; running; {
			select {
			case <-done:
				running = false
			default:
				public.sync(t, e, false)
				editor.sync(t, e, true)
			}
		}
		public.sync(t, e, false)
		editor.sync(t, e, true)

		if diff := cmp.Diff(serverCopy(t, e, false), public.articles); diff != "" {
			t.Errorf("the public copy differs from the server (-server +copy):\n%s", diff)
		}
		if diff := cmp.Diff(serverCopy(t, e, true), editor.articles); diff != "" {
			t.Errorf("the editor's copy differs from the server (-server +copy):\n%s", diff)
		}
		drafts := 0
		for _, a := range editor.articles {
			if a["status"] == "draft" {
				drafts++
			}
		}
		t.Logf("%s: public copy %d articles, editor copy %d (%d drafts), cursor %s", kind, len(public.articles), len(editor.articles), drafts, editor.cursor)

		// cursor=now gives the current cursor and nothing else; bad cursors are refused.
		now := e.do(req{path: "/v1/changes?cursor=now"}).json(t)
		if now["next_cursor"] != editor.cursor || len(now["data"].([]any)) != 0 {
			t.Errorf("cursor=now: %v, want cursor %s", now, editor.cursor)
		}
		assertProblem(t, e.do(req{path: "/v1/changes?cursor=yesterday"}), 400, "cursor")
		assertProblem(t, e.do(req{path: "/v1/changes?limit=1001"}), 400, "limit")
	})
}

// TestChangesCursorAheadOfTheFeed: a cursor beyond the newest change, as
// after a database restore, is a problem naming the cursor, not an empty
// page that looks like "nothing new".
func TestChangesCursorAheadOfTheFeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		now := e.do(req{path: "/v1/changes?cursor=now"}).json(t)["next_cursor"].(string)
		if r := e.do(req{path: "/v1/changes?cursor=" + now}); r.status != 200 || len(r.json(t)["data"].([]any)) != 0 {
			t.Errorf("at the end of the feed: %d %s", r.status, r.body)
		}
		n, err := strconv.Atoi(now)
		if err != nil {
			t.Fatalf("cursor=now gave %q", now)
		}
		r := e.do(req{path: fmt.Sprintf("/v1/changes?cursor=%d", n+1000)})
		assertProblem(t, r, http.StatusBadRequest, "cursor")
		if !strings.Contains(string(r.body), "ahead of the feed") {
			t.Errorf("the problem does not say why: %s", r.body)
		}
	})
}

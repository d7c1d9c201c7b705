package api_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headlines/headlines/internal/store/storetest"
)

// feedAfter reads the change feed after cursor to its end: the ids of
// its entries in order, and the cursor to read on from.
func feedAfter(t *testing.T, e *env, cursor string) ([]int64, string) {
	t.Helper()
	var ids []int64
	for {
		path := "/v1/changes?limit=100"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.do(req{path: path})
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		var page changePage
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Data {
			ids = append(ids, c.ID)
		}
		cursor = page.Next
		if len(page.Data) == 0 {
			return ids, cursor
		}
	}
}

// listIDs is the ids of the first page of a public list.
func listIDs(t *testing.T, e *env, query string) []int64 {
	t.Helper()
	r := e.do(req{path: "/v1/articles?limit=100&" + query})
	if r.status != http.StatusOK {
		t.Fatalf("list %s: %d %s", query, r.status, r.body)
	}
	var page struct {
		Data []struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatal(err)
	}
	ids := []int64{}
	for _, a := range page.Data {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestThemeRenameChangesETags renames a theme through the API and reads
// its articles as caches would: each article that carried it answers a
// revalidation with its old ETag with 200, a new version and the new
// slug, never 304, and never the answer the response cache held; the
// others still answer 304. The change feed after the cursor taken before
// lists exactly the renamed articles, lists filter by the new slug, and
// the old one is an unknown theme. A theme delete, which is refused while
// articles carry the theme, changes no article.
func TestThemeRenameChangesETags(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		_, cursor := feedAfter(t, e, "")
		type seen struct {
			etag    string
			version float64
			themes  []any
		}
		before := map[int64]seen{}
		var troops []int64
		for _, id := range listIDs(t, e, "") {
			path := fmt.Sprintf("/v1/articles/%d", id)
			e.do(req{path: path})
			r := e.do(req{path: path}) // the second answer comes from the response cache
			if r.header.Get("X-Cache") != "hit" {
				t.Fatalf("%s is not cached: %v", path, r.header)
			}
			a := r.json(t)
			before[id] = seen{r.header.Get("ETag"), a["version"].(float64), a["themes"].([]any)}
			if slices.Contains(a["themes"].([]any), any("troops")) {
				troops = append(troops, id)
			}
		}
		if len(troops) != 4 {
			t.Fatalf("%d demo articles carry troops, want 4", len(troops))
		}
		for range 2 { // the second from the response cache
			if got := listIDs(t, e, "theme=troops"); !slices.Equal(got, troops) {
				t.Fatalf("theme=troops lists %v, want %v", got, troops)
			}
		}

		// A theme answers to its name too: the name goes with the slug.
		r := e.do(req{method: "PATCH", path: "/v1/themes/troops", admin: true, body: `{"slug":"armed-forces","name":"Armed forces"}`})
		if r.status != http.StatusOK {
			t.Fatalf("rename: %d %s", r.status, r.body)
		}

		for id, old := range before {
			path := fmt.Sprintf("/v1/articles/%d", id)
			r := e.do(req{path: path, headers: []string{"If-None-Match", old.etag}})
			if !slices.Contains(troops, id) {
				if r.status != http.StatusNotModified {
					t.Errorf("%s carries no renamed theme, yet revalidation answered %d: %s", path, r.status, r.body)
				}
				continue
			}
			if r.status != http.StatusOK {
				t.Errorf("%s revalidated with its ETag from before the rename: %d, want 200 with the new slug", path, r.status)
				continue
			}
			for _, r := range []response{r, e.do(req{path: path})} { // and without a validator
				a := r.json(t)
				var want []any
				for _, th := range old.themes {
					if th == "troops" {
						th = "armed-forces"
					}
					want = append(want, th)
				}
				slices.SortFunc(want, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
				if diff := cmp.Diff(want, a["themes"]); diff != "" {
					t.Errorf("%s themes (-want +got):\n%s", path, diff)
				}
				if a["version"] != old.version+1 {
					t.Errorf("%s version %v, want %v", path, a["version"], old.version+1)
				}
				if tag := r.header.Get("ETag"); tag == old.etag || tag == "" {
					t.Errorf("%s ETag %q after the rename, was %q", path, tag, old.etag)
				}
			}
		}

		ids, next := feedAfter(t, e, cursor)
		slices.Sort(ids)
		if diff := cmp.Diff(troops, ids); diff != "" {
			t.Errorf("change feed after the rename (-want +got):\n%s", diff)
		}
		if got := listIDs(t, e, "theme=armed-forces"); !slices.Equal(got, troops) {
			t.Errorf("theme=armed-forces lists %v, want %v", got, troops)
		}
		// The same list as before the rename, which the response cache held.
		assertProblem(t, e.do(req{path: "/v1/articles?limit=100&theme=troops"}), http.StatusBadRequest, "theme")
		assertProblem(t, e.do(req{path: "/v1/themes/troops"}), http.StatusNotFound, "")
		if th := e.do(req{path: "/v1/themes/armed-forces"}).json(t); th["article_count"] != 4.0 {
			t.Errorf("armed-forces: %v, want 4 articles", th)
		}

		// Deletes: a used theme is refused, an unused one goes; neither
		// changes an article or the feed.
		current := map[int64]string{}
		for id := range before {
			current[id] = e.do(req{path: fmt.Sprintf("/v1/articles/%d", id)}).header.Get("ETag")
		}
		if r := e.do(req{method: "POST", path: "/v1/themes", admin: true, body: `{"slug":"unused","name":"Unused"}`}); r.status != http.StatusCreated {
			t.Fatalf("create theme: %d %s", r.status, r.body)
		}
		_, next = feedAfter(t, e, next)
		assertProblem(t, e.do(req{method: "DELETE", path: "/v1/themes/armed-forces", admin: true}), http.StatusConflict, "")
		if r := e.do(req{method: "DELETE", path: "/v1/themes/unused", admin: true}); r.status != http.StatusNoContent {
			t.Fatalf("delete theme: %d %s", r.status, r.body)
		}
		for id, tag := range current {
			if r := e.do(req{path: fmt.Sprintf("/v1/articles/%d", id), headers: []string{"If-None-Match", tag}}); r.status != http.StatusNotModified {
				t.Errorf("article %d after theme deletes: %d, want 304", id, r.status)
			}
		}
		if ids, _ := feedAfter(t, e, next); len(ids) != 0 {
			t.Errorf("change feed after theme deletes: %v, want nothing", ids)
		}
	})
}

// TestThemeRenamesDuringWrites renames a theme back and forth while
// editors create articles that name it, and a client keeps an offline
// copy through the change feed between renames. Every write either
// lands or is refused as a conflict (it resolved the slug that a rename
// had just retired), never a 500 or a deadlock; at the end the copy is
// exactly what the server holds: no renamed article was numbered before
// an entry the client had already read.
func TestThemeRenamesDuringWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		public := &replica{articles: map[int64]map[string]any{}}
		resync := func() {
			t.Helper()
			before := maps.Clone(public.articles)
			public.sync(t, e, false)
			for id, a := range public.articles {
				if old, ok := before[id]; ok && a["version"] == old["version"] && !cmp.Equal(a, old) {
					t.Errorf("article %d changed without a new version: %v, then %v", id, old, a)
				}
			}
		}
		resync()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var created, refused atomic.Int64
		for w := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					// By name: it resolves to whichever slug is current.
					r := e.do(req{method: "POST", path: "/v1/articles", key: true,
						body: fmt.Sprintf(`{"title":"writer %d item %d","countries":["KP"],"themes":["Troops","trade"]}`, w, i)})
					switch r.status {
					case http.StatusCreated:
						created.Add(1)
					case http.StatusConflict:
						refused.Add(1)
					default:
						t.Errorf("create during renames: %d %s", r.status, r.body)
					}
				}
			}()
		}
		slugs := []string{"troops", "armed-forces"}
		for i := range 6 {
			// Let at least one create through before each rename, so the
			// renames interleave with writes however loaded the machine is.
			for seen, deadline := created.Load(), time.Now().Add(10*time.Second); created.Load() == seen && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			r := e.do(req{method: "PATCH", path: "/v1/themes/" + slugs[i%2], admin: true,
				body: fmt.Sprintf(`{"slug":%q}`, slugs[(i+1)%2])})
			if r.status != http.StatusOK {
				t.Errorf("rename %d: %d %s", i, r.status, r.body)
			}
			resync()
		}
		close(stop)
		wg.Wait()
		t.Logf("%d creates during the renames, %d refused", created.Load(), refused.Load())
		if created.Load() == 0 {
			t.Error("no create went through between the renames")
		}
		resync()
		if diff := cmp.Diff(serverCopy(t, e, false), public.articles); diff != "" {
			t.Errorf("the copy kept through the change feed differs from the server (-server +copy):\n%s", diff)
		}
	})
}

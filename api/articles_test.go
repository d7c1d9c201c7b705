package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/headlines/headlines/internal/store/storetest"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// column returns one member of every article on a list page.
func column[T any](t *testing.T, r response, name string) []T {
	t.Helper()
	var out []T
	for _, a := range r.json(t)["data"].([]any) {
		out = append(out, a.(map[string]any)[name].(T))
	}
	return out
}

func titles(t *testing.T, r response) []string { return column[string](t, r, "title") }

func ids(t *testing.T, r response) []float64 { return column[float64](t, r, "id") }

// TestListParameters covers every list parameter, on the demo headlines.
func TestListParameters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		cases := []struct {
			name  string
			query string
			count int    // number of articles on the page
			first string // title prefix of the first one
			check func(t *testing.T, r response)
		}{
			{name: "default newest first", query: "", count: 10, first: "Russia plans to build $40M checkpoint"},
			{name: "country by code", query: "country=RU", count: 5, first: "Russia plans"},
			{name: "country by name, any case", query: "country=russia", count: 5},
			{name: "country by alias", query: "country=Russian%20Federation", count: 5},
			{name: "Russia and sanctions", query: "country=RU&theme=sanctions", count: 1, first: "New Zealand targets"},
			{name: "theme alias military", query: "theme=military", count: 4},
			{name: "any of two countries", query: "country=CN,JP", count: 3},
			{name: "repeated csv parameter", query: "country=CN&country=JP", count: 3},
			{name: "country_all", query: "country_all=KP,RU&theme=troops", count: 3},
			{name: "country_not", query: "country_not=RU,US", count: 3},
			{name: "theme_all", query: "theme_all=troops,labor", count: 2},
			{name: "theme_not", query: "theme=troops&theme_not=labor", count: 2},
			{name: "q words", query: "q=North%20Korea%20trade", count: 1, first: "North Korea-China trade"},
			{name: "q phrase", query: "q=%22film%20festival%22", count: 1, first: "North Korea’s international film"},
			{name: "relevance", query: "q=Russia&sort=relevance", count: 5},
			{name: "since date", query: "since=2025-06-25", count: 4},
			{name: "until RFC 3339", query: "until=2025-06-17T12:00:00Z", count: 1, first: "Lessons for North Korea"},
			{name: "source", query: "source=NK%20News", count: 10},
			{name: "section", query: "section=foreign-relations&limit=1", count: 1},
			{name: "language", query: "language=ko", count: 0},
			{name: "oldest first", query: "sort=published_at&limit=1", count: 1, first: "Lessons for North Korea"},
			{name: "limit", query: "limit=3", count: 3, check: func(t *testing.T, r response) {
				if r.json(t)["next_cursor"] == nil || !contains(r.header.Get("Link"), `rel="next"`) {
					t.Error("a full page has no next cursor or Link header")
				}
			}},
			{name: "last page has no next", query: "limit=100", count: 10, check: func(t *testing.T, r response) {
				if r.json(t)["next_cursor"] != nil || r.header.Get("Link") != "" {
					t.Error("the last page points to another")
				}
			}},
			{name: "fields", query: "fields=title,countries&limit=1", count: 1, check: func(t *testing.T, r response) {
				a := r.json(t)["data"].([]any)[0].(map[string]any)
				keys := slices.Sorted(func(yield func(string) bool) {
					for k := range a {
						if !yield(k) {
							return
						}
					}
				})
				if !slices.Equal(keys, []string{"countries", "id", "title"}) {
					t.Errorf("fields gave keys %v", keys)
				}
			}},
			{name: "body left out of lists", query: "limit=1", count: 1, check: func(t *testing.T, r response) {
				if _, ok := r.json(t)["data"].([]any)[0].(map[string]any)["body"]; ok {
					t.Error("a list carries body without fields=body")
				}
			}},
			{name: "include_total", query: "country=KP&include_total=true&limit=2", count: 2, check: func(t *testing.T, r response) {
				if r.json(t)["total"] != 10.0 {
					t.Errorf("total = %v, want 10", r.json(t)["total"])
				}
			}},
			{name: "facets", query: "theme=troops&facets=country,theme&limit=1", count: 1, check: func(t *testing.T, r response) {
				f := r.json(t)["facets"].(map[string]any)
				first := f["country"].([]any)[0].(map[string]any)
				if first["value"] != "KP" || first["count"] != 4.0 {
					t.Errorf("first country facet %v, want KP 4", first)
				}
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(req{path: "/v1/articles?" + tc.query})
				if r.status != http.StatusOK {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				got := titles(t, r)
				if len(got) != tc.count {
					t.Fatalf("%d articles, want %d: %q", len(got), tc.count, got)
				}
				if tc.first != "" && !strings.HasPrefix(got[0], tc.first) {
					t.Errorf("first is %q, want %q…", got[0], tc.first)
				}
				if tc.check != nil {
					tc.check(t, r)
				}
			})
		}
	})
}

// TestListErrors: every bad parameter is a 400 problem naming it.
func TestListErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		cases := []struct{ query, field string }{
			{"country=Narnia", "country"},
			{"country_all=RU,Atlantis", "country_all"},
			{"country_not=", "country_not"},
			{"theme=gossip", "theme"},
			{"theme_all=troops,,trade", "theme_all"},
			{"theme_not=nope", "theme_not"},
			{"q=%22%22", "q"},
			{"q=" + strings.Repeat("a", 501), "q"},
			{"since=yesterday", "since"},
			{"until=2025-13-01", "until"},
			{"since=2025-06-20&until=2025-06-10", "until"},
			{"sort=popular", "sort"},
			{"sort=relevance", "sort"},
			{"limit=0", "limit"},
			{"limit=101", "limit"},
			{"limit=ten", "limit"},
			{"limit=5&limit=6", "limit"},
			{"source=a&source=b", "source"},
			{"cursor=garbage", "cursor"},
			{"fields=title,password", "fields"},
			{"include_total=maybe", "include_total"},
			{"facets=source", "facets"},
			{"page=2", "page"},
			{"q=a%00b", "q"},
		}
		for _, tc := range cases {
			t.Run(tc.query, func(t *testing.T) {
				r := e.do(req{path: "/v1/articles?" + tc.query})
				assertProblem(t, r, http.StatusBadRequest, tc.field)
			})
		}
	})
}

func assertProblem(t *testing.T, r response, status int, field string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	p := r.json(t)
	if p["status"] != float64(status) || p["title"] == "" || p["type"] == "" || p["request_id"] == "" {
		t.Errorf("incomplete problem: %s", r.body)
	}
	if field == "" {
		return
	}
	errs, _ := p["errors"].([]any)
	for _, fe := range errs {
		if fe.(map[string]any)["field"] == field {
			return
		}
	}
	t.Errorf("the problem does not name field %q: %s", field, r.body)
}

// TestCursorPaging walks every page by cursor and by Link header.
func TestCursorPaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		var seen []float64
		path := "/v1/articles?country=KP&limit=3"
		for path != "" {
			r := e.do(req{path: path})
			if r.status != 200 {
				t.Fatalf("%s: %d %s", path, r.status, r.body)
			}
			seen = append(seen, ids(t, r)...)
			path = ""
			if link := r.header.Get("Link"); link != "" {
				u, err := url.Parse(strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`))
				if err != nil {
					t.Fatal(err)
				}
				path = u.RequestURI()
			}
		}
		if len(seen) != 10 {
			t.Fatalf("walked %d articles, want 10: %v", len(seen), seen)
		}
		for i := 1; i < len(seen); i++ {
			if seen[i] >= seen[i-1] { // demo ids grow with time
				t.Errorf("order broken at %d: %v", i, seen)
			}
		}

		first := e.do(req{path: "/v1/articles?country=KP&limit=3"}).json(t)["next_cursor"].(string)
		// A cursor from another query, or edited, is refused.
		assertProblem(t, e.do(req{path: "/v1/articles?country=RU&limit=3&cursor=" + first}), 400, "cursor")
		b := []byte(first)
		b[10] ^= 1
		assertProblem(t, e.do(req{path: "/v1/articles?country=KP&limit=3&cursor=" + string(b)}), 400, "cursor")
		// Page size may change between pages.
		if r := e.do(req{path: "/v1/articles?country=KP&limit=50&cursor=" + first}); r.status != 200 || len(ids(t, r)) != 7 {
			t.Errorf("changing limit: %d, %s", r.status, r.body)
		}
	})
}

// TestArticleLifecycle creates, reads, replaces, patches and deletes an
// article, with versions, ETags and preconditions.
func TestArticleLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		body := `{"title":"Russia and North Korea open road bridge","summary":"The bridge over the Tumen river opens to traffic",
		"url":"https://example.com/bridge","countries":["Russia","dprk"],"themes":["infrastructure"],"published_at":"2025-07-01T10:00:00Z"}`
		r := e.do(req{method: "POST", path: "/v1/articles", body: body, key: true})
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		a := r.json(t)
		id := int(a["id"].(float64))
		loc := r.header.Get("Location")
		if !strings.HasSuffix(loc, fmt.Sprintf("/v1/articles/%d", id)) || r.header.Get("ETag") == "" {
			t.Errorf("Location %q, ETag %q", loc, r.header.Get("ETag"))
		}
		if a["version"] != 1.0 || fmt.Sprint(a["countries"]) != "[KP RU]" {
			t.Errorf("created %s", r.body)
		}
		etag1 := r.header.Get("ETag")
		path := fmt.Sprintf("/v1/articles/%d", id)

		// It is listed first, and readable with its ETag; If-None-Match → 304.
		if got := titles(t, e.do(req{path: "/v1/articles?country=RU&limit=1"})); got[0] != "Russia and North Korea open road bridge" {
			t.Errorf("newest Russia story is %q", got[0])
		}
		if r := e.do(req{path: path, headers: []string{"If-None-Match", etag1}}); r.status != http.StatusNotModified || len(r.body) != 0 {
			t.Errorf("If-None-Match: %d %q", r.status, r.body)
		}

		// Duplicate url → 409 naming the article.
		r = e.do(req{method: "POST", path: "/v1/articles", body: `{"title":"copy","url":"https://example.com/bridge"}`, key: true})
		assertProblem(t, r, http.StatusConflict, "url")
		if r.json(t)["existing_id"] != float64(id) {
			t.Errorf("409 names %v, want %d", r.json(t)["existing_id"], id)
		}

		// PATCH (merge patch) bumps the version and changes the ETag.
		r = e.do(req{method: "PATCH", path: path, body: `{"themes":["infrastructure","trade"],"url":null}`, key: true,
			headers: []string{"Content-Type", "application/merge-patch+json", "If-Match", etag1}})
		if r.status != 200 || r.json(t)["version"] != 2.0 || r.json(t)["url"] != nil || r.header.Get("ETag") == etag1 {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
		etag2 := r.header.Get("ETag")

		// A stale If-Match is 412 and changes nothing.
		for _, w := range []req{
			{method: "PATCH", path: path, body: `{"title":"stale"}`},
			{method: "PUT", path: path, body: `{"title":"stale"}`},
			{method: "DELETE", path: path},
		} {
			w.key, w.headers = true, []string{"If-Match", etag1}
			assertProblem(t, e.do(w), http.StatusPreconditionFailed, "")
		}
		if got := e.do(req{path: path}).json(t); got["title"] != "Russia and North Korea open road bridge" || got["version"] != 2.0 {
			t.Errorf("a stale write changed the article: %v v%v", got["title"], got["version"])
		}

		// PUT replaces everything: fields left out take defaults.
		r = e.do(req{method: "PUT", path: path, body: `{"title":"Bridge opens","countries":["RU"],"themes":[]}`, key: true, headers: []string{"If-Match", etag2}})
		if r.status != 200 {
			t.Fatalf("put: %d %s", r.status, r.body)
		}
		if got := r.json(t); got["summary"] != "" || fmt.Sprint(got["themes"]) != "[]" || got["version"] != 3.0 ||
			got["published_at"] != "2025-07-01T10:00:00Z" {
			t.Errorf("put result %s", r.body)
		}

		// DELETE → 204, then 404 everywhere.
		if r := e.do(req{method: "DELETE", path: path, key: true}); r.status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		assertProblem(t, e.do(req{path: path}), http.StatusNotFound, "")
		assertProblem(t, e.do(req{method: "DELETE", path: path, key: true}), http.StatusNotFound, "")
		if got := titles(t, e.do(req{path: "/v1/articles?country=RU&limit=1"})); got[0] == "Bridge opens" {
			t.Error("a deleted article is still listed")
		}
	})
}

// TestWriteErrors: each client mistake on a write gets its own status and
// names the field; none is a 5xx.
func TestWriteErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		big := `{"title":"big","body":"` + strings.Repeat("x", 1<<20) + `"}`
		cases := []struct {
			name    string
			r       req
			status  int
			field   string
			noKey   bool
			headers []string
		}{
			{name: "no key", r: req{method: "POST", path: "/v1/articles", body: `{"title":"x"}`}, status: 401, noKey: true},
			{name: "wrong key", r: req{method: "POST", path: "/v1/articles", body: `{"title":"x"}`, headers: []string{"X-API-Key", "wrong-key-0123456789"}}, status: 401, noKey: true},
			{name: "X-API-Key works", r: req{method: "POST", path: "/v1/articles", body: `{"title":"via X-API-Key"}`, headers: []string{"X-API-Key", editorKey}}, status: 201, noKey: true},
			{name: "malformed JSON", r: req{method: "POST", path: "/v1/articles", body: `{"title":`}, status: 400},
			{name: "unknown field", r: req{method: "POST", path: "/v1/articles", body: `{"title":"x","headline":"y"}`}, status: 400, field: "headline"},
			{name: "server field", r: req{method: "POST", path: "/v1/articles", body: `{"title":"x","id":5}`}, status: 400, field: "id"},
			{name: "duplicate key", r: req{method: "POST", path: "/v1/articles", body: `{"title":"x","title":"y"}`}, status: 400, field: "title"},
			{name: "trailing data", r: req{method: "POST", path: "/v1/articles", body: `{"title":"x"} {}`}, status: 400},
			{name: "invalid UTF-8", r: req{method: "POST", path: "/v1/articles", body: "{\"title\":\"\xff\"}"}, status: 400, field: "title"},
			{name: "wrong type", r: req{method: "POST", path: "/v1/articles", body: `{"title":42}`}, status: 400, field: "title"},
			{name: "not an object", r: req{method: "POST", path: "/v1/articles", body: `[1,2]`}, status: 400},
			{name: "wrong content type", r: req{method: "POST", path: "/v1/articles", body: `{"title":"x"}`, headers: []string{"Content-Type", "text/plain"}}, status: 415, field: "Content-Type"},
			{name: "compressed body", r: req{method: "POST", path: "/v1/articles", body: "\x1f\x8b\x08\x00", headers: []string{"Content-Encoding", "gzip"}}, status: 415, field: "Content-Encoding"},
			{name: "too large", r: req{method: "POST", path: "/v1/articles", body: big}, status: 413},
			{name: "every failing field listed", r: req{method: "POST", path: "/v1/articles",
				body: `{"title":" ","url":"javascript:alert(1)","countries":["Narnia"],"themes":["gossip"],"status":"secret","language":"english!","published_at":"soon"}`}, status: 422, field: "title"},
			{name: "title too long", r: req{method: "POST", path: "/v1/articles", body: `{"title":"` + strings.Repeat("t", 301) + `"}`}, status: 422, field: "title"},
			{name: "control character", r: req{method: "POST", path: "/v1/articles", body: `{"title":"a\u0007b"}`}, status: 422, field: "title"},
			{name: "duplicate countries", r: req{method: "POST", path: "/v1/articles", body: `{"title":"x","countries":["RU","Russia"]}`}, status: 422, field: "countries"},
			{name: "bad id", r: req{method: "GET", path: "/v1/articles/abc"}, status: 400, field: "id"},
			{name: "missing article", r: req{method: "GET", path: "/v1/articles/999999"}, status: 404},
			{name: "patch unknown article", r: req{method: "PATCH", path: "/v1/articles/999999", body: `{"title":"x"}`}, status: 404},
			{name: "patch null title", r: req{method: "PATCH", path: "/v1/articles/1", body: `{"title":null}`}, status: 422, field: "title"},
			{name: "patch not an object", r: req{method: "PATCH", path: "/v1/articles/1", body: `"x"`}, status: 400},
			{name: "patch null", r: req{method: "PATCH", path: "/v1/articles/1", body: `null`}, status: 400},
			{name: "unknown route", r: req{method: "GET", path: "/v1/nothing"}, status: 404},
			{name: "method not allowed", r: req{method: "POST", path: "/v1/countries"}, status: 405},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.r
				r.key = !tc.noKey
				r.headers = append(r.headers, tc.headers...)
				got := e.do(r)
				if tc.status < 300 {
					if got.status != tc.status {
						t.Fatalf("status %d, want %d: %s", got.status, tc.status, got.body)
					}
					return
				}
				assertProblem(t, got, tc.status, tc.field)
				if tc.status == 401 && !contains(got.header.Get("WWW-Authenticate"), "Bearer") {
					t.Error("401 without WWW-Authenticate")
				}
			})
		}
		// The 422 lists every failing field, not just the first.
		r := e.do(req{method: "POST", path: "/v1/articles", key: true,
			body: `{"title":" ","url":"javascript:alert(1)","countries":["Narnia"],"themes":["gossip"],"status":"secret","language":"english!","published_at":"soon"}`})
		var fields []string
		for _, fe := range r.json(t)["errors"].([]any) {
			fields = append(fields, fe.(map[string]any)["field"].(string))
		}
		slices.Sort(fields)
		if want := []string{"countries", "language", "published_at", "status", "themes", "title", "url"}; !slices.Equal(fields, want) {
			t.Errorf("422 lists %v, want %v", fields, want)
		}
	})
}

// TestEditorsFollowTheirCursors: an editor's list includes drafts, and
// its next_cursor and Link lead to the next page of that same list.
func TestEditorsFollowTheirCursors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		if r := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"A draft","status":"draft","countries":["KP"]}`}); r.status != 201 {
			t.Fatalf("draft: %d %s", r.status, r.body)
		}
		seen := map[float64]bool{}
		path := "/v1/articles?limit=3"
		for pages := 0; path != ""; pages++ {
			if pages > 10 {
				t.Fatal("more pages than articles")
			}
			r := e.do(req{path: path, key: true})
			if r.status != 200 {
				t.Fatalf("GET %s as an editor: %d %s", path, r.status, r.body)
			}
			for _, a := range r.json(t)["data"].([]any) {
				seen[a.(map[string]any)["id"].(float64)] = true
			}
			path = ""
			if next, ok := r.json(t)["next_cursor"].(string); ok {
				path = "/v1/articles?limit=3&cursor=" + url.QueryEscape(next)
			}
		}
		if len(seen) != 11 {
			t.Errorf("an editor paged through %d articles, want the 10 published and the draft", len(seen))
		}
	})
}

// TestZeroPublishedAtIsRefused: 0001-01-01T00:00:00Z, the zero time, is
// a 422 naming published_at on a create, a replace and a patch, instead
// of silently becoming the time of creation or the stored time; the
// microsecond after it is stored as given.
func TestZeroPublishedAtIsRefused(t *testing.T) {
	e := newEnv(t, "sqlite")
	for _, zero := range []string{"0001-01-01T00:00:00Z", "0001-01-01T01:00:00+01:00", "0001-01-01T00:00:00.0000001Z", "0001-01-01t00:00:00z"} {
		r := e.do(req{method: "POST", path: "/v1/articles", body: `{"title":"Zero","published_at":"` + zero + `"}`, key: true})
		assertProblem(t, r, http.StatusUnprocessableEntity, "published_at")
		r = e.do(req{method: "POST", path: "/v1/articles/batch", body: `{"articles":[{"title":"Zero","published_at":"` + zero + `"}]}`, key: true})
		if out := r.json(t); r.status != http.StatusMultiStatus || out["created"] != 0.0 || !strings.Contains(string(r.body), `"articles[0].published_at"`) {
			t.Errorf("batch of %s: %d %s", zero, r.status, r.body)
		}
	}
	// RFC 3339 allows t and z in lower case.
	r := e.do(req{method: "POST", path: "/v1/articles", body: `{"title":"Lower case","published_at":"2025-06-25t11:00:00z"}`, key: true})
	if r.status != http.StatusCreated || r.json(t)["published_at"] != "2025-06-25T11:00:00Z" {
		t.Errorf("lower-case t and z: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "POST", path: "/v1/articles", body: `{"title":"Early","published_at":"0001-01-01T00:00:00.000001Z"}`, key: true})
	if r.status != http.StatusCreated || r.json(t)["published_at"] != "0001-01-01T00:00:00.000001Z" {
		t.Fatalf("the microsecond after the zero time: %d %s", r.status, r.body)
	}
	path := fmt.Sprintf("/v1/articles/%d", int64(r.json(t)["id"].(float64)))
	etag := r.header.Get("ETag")
	r = e.do(req{method: "PATCH", path: path, body: `{"published_at":"0001-01-01T00:00:00Z"}`, key: true,
		headers: []string{"Content-Type", "application/merge-patch+json", "If-Match", etag}})
	assertProblem(t, r, http.StatusUnprocessableEntity, "published_at")
	r = e.do(req{method: "PUT", path: path, body: `{"title":"Early","published_at":"0001-01-01T00:00:00Z"}`, key: true,
		headers: []string{"If-Match", etag}})
	assertProblem(t, r, http.StatusUnprocessableEntity, "published_at")
	if r = e.do(req{path: path}); r.json(t)["published_at"] != "0001-01-01T00:00:00.000001Z" || r.header.Get("ETag") != etag {
		t.Errorf("after the refused edits: %s", r.body)
	}
	// A patch of several nulls: the same problems, in the same order,
	// every time.
	var first string
	for range 20 {
		r = e.do(req{method: "PATCH", path: path, body: `{"title":null,"summary":null,"published_at":null,"countries":null,"status":null}`, key: true,
			headers: []string{"Content-Type", "application/merge-patch+json", "If-Match", etag}})
		assertProblem(t, r, http.StatusUnprocessableEntity, "published_at")
		errs, _ := json.Marshal(r.json(t)["errors"])
		if first == "" {
			first = string(errs)
		} else if string(errs) != first {
			t.Fatalf("the same patch's problems: %s, then %s", first, errs)
		}
	}
}

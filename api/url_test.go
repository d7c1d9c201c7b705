package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/headlines/headlines/internal/store/storetest"
)

// TestURLSpellingsAreOneStory: the spellings RFC 3986 §6 makes equal —
// default port, fragment, percent-encoded unreserved characters, dot
// segments, case of scheme and host — name one story. A create under
// another spelling is a 409 naming the stored article, a batch item under
// another spelling replaces it, and the URL is stored in one spelling.
func TestURLSpellingsAreOneStory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		create := func(title, url string) response {
			t.Helper()
			return e.do(req{method: "POST", path: "/v1/articles", key: true,
				body: fmt.Sprintf(`{"title":%q,"url":%q,"image_url":%q}`, title, url, "HTTPS://Img.Example.com:443/a/./b/../%70ic.png#x")})
		}
		r := create("Draft story", "https://example.com/news/draft")
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		first := r.json(t)
		id := first["id"]
		if first["image_url"] != "https://img.example.com/a/pic.png" {
			t.Errorf("image_url stored as %q", first["image_url"])
		}
		before := articleCount(t, e)

		for _, spelling := range []string{
			"https://example.com:443/news/draft",
			"https://example.com/news/draft#fragment",
			"https://example.com/news/%64raft",
			"https://example.com/news/%64%72%61%66%74",
			"https://example.com/news/./draft",
			"https://example.com/other/../news/draft",
			"HTTPS://EXAMPLE.COM:0443/news/x/../%64raft#top",
		} {
			t.Run(spelling, func(t *testing.T) {
				r := create("The same story again", spelling)
				assertProblem(t, r, http.StatusConflict, "url")
				if r.json(t)["existing_id"] != id {
					t.Errorf("409 names %v, want %v", r.json(t)["existing_id"], id)
				}
				// Another article may not take it by replace or patch.
				r = e.do(req{method: "PATCH", path: "/v1/articles/1", key: true, body: fmt.Sprintf(`{"url":%q}`, spelling)})
				assertProblem(t, r, http.StatusConflict, "url")
				if r.json(t)["existing_id"] != id {
					t.Errorf("patch: 409 names %v, want %v", r.json(t)["existing_id"], id)
				}
				// An upsert by url finds the stored story.
				r = e.do(req{method: "POST", path: "/v1/articles/batch", key: true,
					body: fmt.Sprintf(`{"articles":[{"title":"Draft story","url":%q}]}`, spelling)})
				var out struct {
					Results []struct {
						Status  int
						Article struct {
							ID  float64
							URL string
						}
					}
				}
				if err := json.Unmarshal(r.body, &out); err != nil || len(out.Results) != 1 {
					t.Fatalf("batch: %d %s", r.status, r.body)
				}
				if res := out.Results[0]; res.Status != http.StatusOK || res.Article.ID != id || res.Article.URL != "https://example.com/news/draft" {
					t.Errorf("batch upsert: %+v, want 200 replacing article %v", res, id)
				}
			})
		}
		if n := articleCount(t, e); n != before {
			t.Errorf("%d articles after the other spellings, want %d", n, before)
		}

		// http's default port is 80; other ports, the query and its
		// order tell stories apart.
		r = create("Plain", "http://example.com:80/plain")
		if r.status != http.StatusCreated || r.json(t)["url"] != "http://example.com/plain" {
			t.Fatalf("http with port 80: %d %s", r.status, r.body)
		}
		assertProblem(t, create("Plain again", "http://example.com/plain#top"), http.StatusConflict, "url")
		for _, other := range []string{
			"https://example.com:8443/news/draft",
			"http://example.com/news/draft",
			"https://example.com/news/draft/",
			"https://example.com/news/Draft",
			"https://example.com/news/draft?b=2&a=1",
			"https://example.com/news/draft?a=1&b=2",
			"https://example.com/news/draft%2Fx",
			"https://example.com/#!/news/draft",
		} {
			if r := create("Another story", other); r.status != http.StatusCreated || r.json(t)["url"] != other {
				t.Errorf("%s: %d %s", other, r.status, r.body)
			}
		}
	})
}

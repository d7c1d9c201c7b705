package api_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/headlines/headlines/internal/store/storetest"
)

// TestFeeds parses every feed format with a real feed parser: filters
// apply, titles describe the filter, ids are stable, links go where they
// should, and markup in a title arrives as text.
func TestFeeds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		hostile := `Sanctions <script>alert("x")</script> & "quotes" for Russia`
		r := e.do(req{method: "POST", path: "/v1/articles", key: true,
			body: fmt.Sprintf(`{"title":%q,"summary":"<b>bold</b> & more","url":"https://example.com/story?a=1&b=2","countries":["RU"],"themes":["sanctions"],"published_at":"2025-07-01T00:00:00Z"}`, hostile)})
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		hostileID := int(r.json(t)["id"].(float64))
		for _, format := range []struct{ ext, contentType, feedType string }{
			{"rss", "application/rss+xml; charset=utf-8", "rss"},
			{"atom", "application/atom+xml; charset=utf-8", "atom"},
			{"json", "application/feed+json; charset=utf-8", "json"},
		} {
			t.Run(format.ext, func(t *testing.T) {
				r := e.do(req{path: "/v1/feeds/articles." + format.ext + "?country=RU&theme=sanctions"})
				if r.status != 200 || r.header.Get("Content-Type") != format.contentType {
					t.Fatalf("%d, Content-Type %q", r.status, r.header.Get("Content-Type"))
				}
				if r.header.Get("ETag") == "" || !strings.HasPrefix(r.header.Get("Cache-Control"), "public") {
					t.Errorf("ETag %q, Cache-Control %q", r.header.Get("ETag"), r.header.Get("Cache-Control"))
				}
				feed, err := gofeed.NewParser().Parse(bytes.NewReader(r.body))
				if err != nil {
					t.Fatalf("the feed does not parse: %v\n%s", err, r.body)
				}
				if feed.FeedType != format.feedType {
					t.Errorf("feed type %q", feed.FeedType)
				}
				if feed.Title != "Headlines: Russia · Sanctions" {
					t.Errorf("title %q", feed.Title)
				}
				if len(feed.Items) != 2 {
					t.Fatalf("%d items, want the hostile story and the New Zealand one", len(feed.Items))
				}
				first := feed.Items[0]
				if first.Title != hostile {
					t.Errorf("title did not round-trip as text: %q", first.Title)
				}
				if first.Link != "https://example.com/story?a=1&b=2" {
					t.Errorf("link %q", first.Link)
				}
				if want := fmt.Sprintf("%s/v1/articles/%d", e.srv.URL, hostileID); first.GUID != want {
					t.Errorf("id %q, want %q", first.GUID, want)
				}
				if !strings.HasPrefix(feed.Items[1].Title, "New Zealand targets") || feed.Items[1].Link != feed.Items[1].GUID {
					t.Errorf("an item without url should link to the API: %q %q", feed.Items[1].Link, feed.Items[1].GUID)
				}
				if first.PublishedParsed == nil || first.PublishedParsed.Format("2006-01-02") != "2025-07-01" {
					t.Errorf("published %v", first.PublishedParsed)
				}
				// Ids are stable: the same item has the same id next time.
				again, _ := gofeed.NewParser().Parse(bytes.NewReader(e.do(req{path: "/v1/feeds/articles." + format.ext + "?country=RU"}).body))
				found := false
				for _, it := range again.Items {
					found = found || it.GUID == first.GUID
				}
				if !found {
					t.Error("the item's id changed between feeds")
				}
			})
		}
		// Filters and limits apply; list-only parameters are refused.
		feed, _ := gofeed.NewParser().Parse(bytes.NewReader(e.do(req{path: "/v1/feeds/articles.atom?theme=troops&country_not=US&limit=2"}).body))
		if len(feed.Items) != 2 || feed.Title != "Headlines: not United States · Troops" {
			t.Errorf("filtered feed: %q with %d items", feed.Title, len(feed.Items))
		}
		all, _ := gofeed.NewParser().Parse(bytes.NewReader(e.do(req{path: "/v1/feeds/articles.json"}).body))
		if all.Title != "Headlines" || len(all.Items) != 11 {
			t.Errorf("unfiltered feed: %q with %d items", all.Title, len(all.Items))
		}
		assertProblem(t, e.do(req{path: "/v1/feeds/articles.rss?cursor=abc"}), 400, "cursor")
		assertProblem(t, e.do(req{path: "/v1/feeds/articles.rss?limit=101"}), 400, "limit")
		assertProblem(t, e.do(req{path: "/v1/feeds/articles.rss?country=Atlantis"}), 400, "country")
	})
}

// TestFeedsPublishPlainText: markup in a summary reaches feed readers as
// characters to show, not as markup to render.
func TestFeedsPublishPlainText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		summary := `<iframe src=javascript:alert(1)></iframe> Tom & Jerry <b>bold</b>`
		r := e.do(req{method: "POST", path: "/v1/articles", key: true,
			body: fmt.Sprintf(`{"title":"Plain text","summary":%q,"countries":["MN"],"published_at":"2030-01-01T00:00:00Z"}`, summary)})
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var atom struct {
			Entries []struct {
				Summary struct {
					Type string `xml:"type,attr"`
					Text string `xml:",chardata"`
				} `xml:"summary"`
			} `xml:"entry"`
		}
		r = e.do(req{path: "/v1/feeds/articles.atom?country=MN"})
		if err := xml.Unmarshal(r.body, &atom); err != nil || len(atom.Entries) != 1 {
			t.Fatalf("atom: %v %s", err, r.body)
		}
		if s := atom.Entries[0].Summary; s.Type != "text" || s.Text != summary {
			t.Errorf("atom summary type %q, text %q; want text, the summary as written", s.Type, s.Text)
		}
		var rss struct {
			Items []struct {
				Description string `xml:"description"`
			} `xml:"channel>item"`
		}
		r = e.do(req{path: "/v1/feeds/articles.rss?country=MN"})
		if err := xml.Unmarshal(r.body, &rss); err != nil || len(rss.Items) != 1 {
			t.Fatalf("rss: %v %s", err, r.body)
		}
		// A reader renders the description as HTML: it must hold no
		// element, and show the summary as written.
		d := rss.Items[0].Description
		if strings.ContainsAny(d, "<>") || html.UnescapeString(d) != summary {
			t.Errorf("rss description %q renders as markup or not as the summary", d)
		}
	})
}

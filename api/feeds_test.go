package api_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/headlines/headlines/internal/store/storetest"
)

// TestFeeds parses every feed format with a real feed parser and checks
// what a reader sees: the title describes the filter, the feed links to
// itself and to the front page of the same filter, and each item has its
// title as text, its link, a stable id, its author, its countries and
// themes, and its dates. Filters apply, and the answers are cacheable.
func TestFeeds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		// A title with markup, quotes and an entity written as text: a
		// reader that unescaped it twice would show "&" for "&amp;".
		hostile := `<script>alert(1)</script> & "quotes" &amp; O'Hara`
		r := e.do(req{method: "POST", path: "/v1/articles", key: true,
			body: fmt.Sprintf(`{"title":%q,"summary":"<b>bold</b> & more","url":"https://example.com/story?a=1&b=2","image_url":"https://example.com/story.jpg","author":"Ann O'Hara","source":"Example Times","countries":["RU"],"themes":["sanctions"],"published_at":"2025-07-01T00:00:00Z"}`, hostile)})
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		hostileID := int(r.json(t)["id"].(float64))
		// The demo's New Zealand story has no url and no author.
		nz := e.do(req{path: "/v1/articles?q=%22New+Zealand+targets%22"}).json(t)["data"].([]any)[0].(map[string]any)
		nzID := int(nz["id"].(float64))
		home := e.srv.URL + "/?country=RU&theme=sanctions"
		for _, format := range []struct {
			ext, contentType, feedType string
			categories                 [2][]string // as the reader lists them: hostile, New Zealand
		}{
			{"rss", "application/rss+xml; charset=utf-8", "rss", [2][]string{{"RU", "sanctions"}, {"KP", "NZ", "RU", "sanctions", "troops"}}},
			// Atom labels each category with its name.
			{"atom", "application/atom+xml; charset=utf-8", "atom", [2][]string{{"Russia", "Sanctions"}, {"North Korea", "New Zealand", "Russia", "Sanctions", "Troops"}}},
			{"json", "application/feed+json; charset=utf-8", "json", [2][]string{{"RU", "sanctions"}, {"KP", "NZ", "RU", "sanctions", "troops"}}},
		} {
			t.Run(format.ext, func(t *testing.T) {
				path := "/v1/feeds/articles." + format.ext + "?country=RU&theme=sanctions"
				r := e.do(req{path: path})
				if r.status != 200 || r.header.Get("Content-Type") != format.contentType {
					t.Fatalf("%d, Content-Type %q", r.status, r.header.Get("Content-Type"))
				}
				tag := r.header.Get("ETag")
				if tag == "" || !strings.HasPrefix(r.header.Get("Cache-Control"), "public") {
					t.Errorf("ETag %q, Cache-Control %q", tag, r.header.Get("Cache-Control"))
				}
				if again := e.do(req{path: path, headers: []string{"If-None-Match", tag}}); again.status != 304 || len(again.body) != 0 {
					t.Errorf("If-None-Match with the feed's ETag: %d %q, want 304 and no body", again.status, again.body)
				}
				feed, err := gofeed.NewParser().Parse(bytes.NewReader(r.body))
				if err != nil {
					t.Fatalf("the feed does not parse: %v\n%s", err, r.body)
				}
				if feed.FeedType != format.feedType {
					t.Errorf("feed type %q", feed.FeedType)
				}
				if feed.Title != "Headlines: Russia · Sanctions" || feed.Description == "" || feed.Language != "en" {
					t.Errorf("title %q, description %q, language %q", feed.Title, feed.Description, feed.Language)
				}
				if feed.FeedLink != e.srv.URL+path {
					t.Errorf("self link %q, want the request URL %q", feed.FeedLink, e.srv.URL+path)
				}
				if feed.Link != home {
					t.Errorf("home link %q, want the front page of the same filter %q", feed.Link, home)
				}
				if len(feed.Items) != 2 {
					t.Fatalf("%d items, want the hostile story and the New Zealand one", len(feed.Items))
				}
				first, second := feed.Items[0], feed.Items[1]
				if first.Title != hostile {
					t.Errorf("title did not round-trip as text: %q, want %q", first.Title, hostile)
				}
				if first.Link != "https://example.com/story?a=1&b=2" {
					t.Errorf("link %q", first.Link)
				}
				if want := fmt.Sprintf("%s/v1/articles/%d", e.srv.URL, hostileID); first.GUID != want {
					t.Errorf("id %q, want %q", first.GUID, want)
				}
				if got := authorNames(first); !slices.Equal(got, []string{"Ann O'Hara"}) {
					t.Errorf("authors %q, want the article's author", got)
				}
				if got := authorNames(second); !slices.Equal(got, []string{"NK News"}) {
					t.Errorf("authors %q, want the source of an article without author", got)
				}
				for i, it := range []*gofeed.Item{first, second} {
					if !slices.Equal(it.Categories, format.categories[i]) {
						t.Errorf("item %d categories %q, want %q", i, it.Categories, format.categories[i])
					}
				}
				// An item without url links to its page for people on this
				// site, and keeps the API's URL as its id.
				if want := fmt.Sprintf("%s/articles/%d", e.srv.URL, nzID); second.Link != want {
					t.Errorf("an item without url links to %q, want %q", second.Link, want)
				}
				if want := fmt.Sprintf("%s/v1/articles/%d", e.srv.URL, nzID); second.GUID != want {
					t.Errorf("id %q, want %q", second.GUID, want)
				}
				if first.PublishedParsed == nil || !first.PublishedParsed.Equal(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("published %v", first.PublishedParsed)
				}
				if second.PublishedParsed == nil || !second.PublishedParsed.Equal(time.Date(2025, 6, 26, 8, 15, 0, 0, time.UTC)) {
					t.Errorf("published %v", second.PublishedParsed)
				}
				if format.ext != "rss" && (first.UpdatedParsed == nil || first.UpdatedParsed.Before(*first.PublishedParsed)) {
					t.Errorf("updated %v", first.UpdatedParsed) // RSS has no modification date
				}
				if format.ext == "json" && (first.Image == nil || first.Image.URL != "https://example.com/story.jpg") {
					t.Errorf("image %+v", first.Image)
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
		// The front page the feeds link to shows the same filter, with
		// names resolved to the codes and slugs the page takes; it takes
		// one country and one theme, so a list of several is left out.
		for query, want := range map[string]string{
			"country=Russia&theme=Sanctions":    "/?country=RU&theme=sanctions",
			"country=Russia,kp&theme=Sanctions": "/?theme=sanctions",
		} {
			feed, _ := gofeed.NewParser().Parse(bytes.NewReader(e.do(req{path: "/v1/feeds/articles.json?" + query}).body))
			if feed == nil || feed.Link != e.srv.URL+want {
				t.Fatalf("%s: home_page_url %+v, want %q", query, feed, e.srv.URL+want)
			}
			if r := e.raw("GET", want, "", ""); r.status != 200 || !strings.Contains(string(r.body), "New Zealand targets") {
				t.Errorf("home_page_url %s answers %d", want, r.status)
			}
		}
		// Filters and limits apply; list-only parameters are refused.
		feed, _ := gofeed.NewParser().Parse(bytes.NewReader(e.do(req{path: "/v1/feeds/articles.atom?theme=troops&country_not=US&limit=2"}).body))
		if len(feed.Items) != 2 || feed.Title != "Headlines: not United States · Troops" || feed.Link != e.srv.URL+"/?theme=troops" {
			t.Errorf("filtered feed: %q with %d items, home %q", feed.Title, len(feed.Items), feed.Link)
		}
		all, _ := gofeed.NewParser().Parse(bytes.NewReader(e.do(req{path: "/v1/feeds/articles.json"}).body))
		if all.Title != "Headlines" || len(all.Items) != 11 || all.Link != e.srv.URL+"/" {
			t.Errorf("unfiltered feed: %q with %d items, home %q", all.Title, len(all.Items), all.Link)
		}
		assertProblem(t, e.do(req{path: "/v1/feeds/articles.rss?cursor=abc"}), 400, "cursor")
		assertProblem(t, e.do(req{path: "/v1/feeds/articles.rss?limit=101"}), 400, "limit")
		assertProblem(t, e.do(req{path: "/v1/feeds/articles.rss?country=Atlantis"}), 400, "country")
	})
}

// authorNames are the names of an item's authors, as a reader lists them.
func authorNames(it *gofeed.Item) []string {
	var names []string
	for _, a := range it.Authors {
		names = append(names, a.Name)
	}
	return names
}

// TestJSONFeedComplete reads the JSON Feed as JSON: the members JSON Feed
// 1.1 requires (version, title, items, each item's id and content) and
// the ones readers use are there, with a summary-less article's title as
// its content. The feed's language and author are the ones its items
// share, or the filter's, and are left out when the items differ.
func TestJSONFeedComplete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		for _, body := range []string{
			`{"title":"Ulaanbaatar talks","summary":"","author":"Bat Erdene","source":"Montsame","language":"en","countries":["MN"],"themes":["trade"],"published_at":"2030-01-01T00:00:00Z"}`,
			`{"title":"울란바토르 회담","summary":"요약","source":"Yonhap","language":"ko-KR","countries":["MN"],"published_at":"2030-01-02T00:00:00Z"}`,
		} {
			if r := e.do(req{method: "POST", path: "/v1/articles", key: true, body: body}); r.status != 201 {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
		}
		type author struct {
			Name string `json:"name"`
		}
		var doc struct {
			Version, Title, HomePageURL, FeedURL, Description, Language string
			Authors                                                     []author
			Items                                                       []map[string]any
		}
		read := func(path string) {
			t.Helper()
			r := e.do(req{path: path})
			var raw map[string]any
			if err := json.Unmarshal(r.body, &raw); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			for _, k := range []string{"version", "title", "home_page_url", "feed_url", "description", "items"} {
				if _, ok := raw[k]; !ok {
					t.Errorf("%s: no %s", path, k)
				}
			}
			doc.Version, _ = raw["version"].(string)
			doc.Title, _ = raw["title"].(string)
			doc.HomePageURL, _ = raw["home_page_url"].(string)
			doc.FeedURL, _ = raw["feed_url"].(string)
			doc.Description, _ = raw["description"].(string)
			doc.Language, _ = raw["language"].(string)
			doc.Authors = nil
			if as, ok := raw["authors"].([]any); ok {
				for _, a := range as {
					doc.Authors = append(doc.Authors, author{Name: a.(map[string]any)["name"].(string)})
				}
			}
			doc.Items = nil
			for _, it := range raw["items"].([]any) {
				doc.Items = append(doc.Items, it.(map[string]any))
			}
			if doc.Version != "https://jsonfeed.org/version/1.1" || doc.Title == "" || doc.FeedURL != e.srv.URL+path {
				t.Errorf("%s: version %q, title %q, feed_url %q", path, doc.Version, doc.Title, doc.FeedURL)
			}
			for _, it := range doc.Items {
				id, _ := it["id"].(string)
				text, _ := it["content_text"].(string)
				html, _ := it["content_html"].(string)
				if id == "" || text == "" && html == "" {
					t.Errorf("%s: an item without id or content: %v", path, it)
				}
			}
		}
		read("/v1/feeds/articles.json?country=MN")
		if len(doc.Items) != 2 {
			t.Fatalf("%d items", len(doc.Items))
		}
		if doc.Language != "" || doc.Authors != nil || doc.HomePageURL != e.srv.URL+"/?country=MN" {
			t.Errorf("mixed items: language %q, authors %v, home %q; want neither language nor authors", doc.Language, doc.Authors, doc.HomePageURL)
		}
		ko, en := doc.Items[0], doc.Items[1]
		want := map[string]any{"title": "울란바토르 회담", "content_text": "요약", "summary": "요약", "language": "ko-KR",
			"authors": []any{map[string]any{"name": "Yonhap"}}, "author": map[string]any{"name": "Yonhap"}, "tags": []any{"MN"},
			"date_published": "2030-01-02T00:00:00Z", "url": e.srv.URL + "/articles/" + strings.TrimPrefix(ko["id"].(string), e.srv.URL+"/v1/articles/")}
		for k, v := range want {
			if !reflect.DeepEqual(ko[k], v) {
				t.Errorf("item %s = %#v, want %#v", k, ko[k], v)
			}
		}
		if _, ok := ko["date_modified"].(string); !ok {
			t.Errorf("no date_modified: %v", ko)
		}
		if en["content_text"] != "Ulaanbaatar talks" || en["summary"] != nil || en["image"] != nil ||
			!reflect.DeepEqual(en["tags"], []any{"MN", "trade"}) || !reflect.DeepEqual(en["authors"], []any{map[string]any{"name": "Bat Erdene"}}) {
			t.Errorf("an item without summary: %v; want its title as content_text, its author, its country and theme as tags", en)
		}
		read("/v1/feeds/articles.json?country=MN&language=ko-KR")
		if doc.Language != "ko-KR" || !reflect.DeepEqual(doc.Authors, []author{{"Yonhap"}}) || len(doc.Items) != 1 {
			t.Errorf("one item: language %q, authors %v, %d items; want the item's", doc.Language, doc.Authors, len(doc.Items))
		}
		read("/v1/feeds/articles.json?country=AQ")
		if len(doc.Items) != 0 || doc.Language != "en" {
			t.Errorf("an empty feed: %d items, language %q", len(doc.Items), doc.Language)
		}
		// Atom names an author for the feed whenever the entries differ.
		feed, err := gofeed.NewParser().Parse(bytes.NewReader(e.do(req{path: "/v1/feeds/articles.atom?country=MN"}).body))
		if err != nil || feed.Author == nil || feed.Author.Name != "Headlines" || feed.Language != "" {
			t.Errorf("atom feed author %+v, language %q (%v)", feed.Author, feed.Language, err)
		}
	})
}

// TestRSSAndAtomMarkup reads the XML as it is written: RSS names authors
// with dc:creator (its own <author> must be an email address), links to
// itself with atom:link, tags with categories and ids with guids that are
// not permalinks; Atom links to itself and to the front page, and labels
// its categories. A title with markup is escaped once, as text.
func TestRSSAndAtomMarkup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		title := `<script>alert(1)</script> & "quotes" &amp;`
		r := e.do(req{method: "POST", path: "/v1/articles", key: true,
			body: fmt.Sprintf(`{"title":%q,"source":"Montsame","countries":["MN"],"themes":["trade"],"published_at":"2030-01-01T00:00:00Z"}`, title)})
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		id := int(r.json(t)["id"].(float64))
		path := "/v1/feeds/articles.rss?country=MN"
		r = e.do(req{path: path})
		if bytes.Contains(r.body, []byte("<script>")) || !bytes.Contains(r.body, []byte("&amp;amp;")) || bytes.Contains(r.body, []byte("<author>")) {
			t.Errorf("the title is not escaped exactly once, or <author> is used:\n%s", r.body)
		}
		type link struct {
			Href string `xml:"href,attr"`
			Rel  string `xml:"rel,attr"`
			Type string `xml:"type,attr"`
		}
		var rss struct {
			Channel struct {
				Links []link `xml:"http://www.w3.org/2005/Atom link"`
				Items []struct {
					Title      string `xml:"title"`
					Link       string `xml:"link"`
					Creator    string `xml:"http://purl.org/dc/elements/1.1/ creator"`
					Categories []struct {
						Domain string `xml:"domain,attr"`
						Name   string `xml:",chardata"`
					} `xml:"category"`
					GUID struct {
						IsPermaLink string `xml:"isPermaLink,attr"`
						ID          string `xml:",chardata"`
					} `xml:"guid"`
				} `xml:"item"`
			} `xml:"channel"`
		}
		if err := xml.Unmarshal(r.body, &rss); err != nil || len(rss.Channel.Items) != 1 {
			t.Fatalf("rss: %v\n%s", err, r.body)
		}
		if want := []link{{e.srv.URL + path, "self", "application/rss+xml"}}; !reflect.DeepEqual(rss.Channel.Links, want) {
			t.Errorf("atom:link %+v, want %+v", rss.Channel.Links, want)
		}
		it := rss.Channel.Items[0]
		if it.Title != title || it.Creator != "Montsame" || it.Link != fmt.Sprintf("%s/articles/%d", e.srv.URL, id) ||
			it.GUID.IsPermaLink != "false" || it.GUID.ID != fmt.Sprintf("%s/v1/articles/%d", e.srv.URL, id) {
			t.Errorf("rss item %+v", it)
		}
		if len(it.Categories) != 2 || it.Categories[0].Name != "MN" || it.Categories[0].Domain != e.srv.URL+"/v1/countries" ||
			it.Categories[1].Name != "trade" || it.Categories[1].Domain != e.srv.URL+"/v1/themes" {
			t.Errorf("rss categories %+v", it.Categories)
		}

		path = "/v1/feeds/articles.atom?country=MN"
		r = e.do(req{path: path})
		var atom struct {
			Lang    string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
			Links   []link `xml:"link"`
			Author  string `xml:"author>name"`
			Entries []struct {
				Title      string `xml:"title"`
				Author     string `xml:"author>name"`
				Links      []link `xml:"link"`
				Categories []struct {
					Term   string `xml:"term,attr"`
					Scheme string `xml:"scheme,attr"`
					Label  string `xml:"label,attr"`
				} `xml:"category"`
			} `xml:"entry"`
		}
		if err := xml.Unmarshal(r.body, &atom); err != nil || len(atom.Entries) != 1 {
			t.Fatalf("atom: %v\n%s", err, r.body)
		}
		if want := []link{{e.srv.URL + path, "self", "application/atom+xml"}, {e.srv.URL + "/?country=MN", "alternate", "text/html"}}; !reflect.DeepEqual(atom.Links, want) {
			t.Errorf("atom links %+v, want %+v", atom.Links, want)
		}
		en := atom.Entries[0]
		if atom.Lang != "en" || atom.Author != "Montsame" || en.Title != title || en.Author != "Montsame" ||
			!reflect.DeepEqual(en.Links, []link{{Href: fmt.Sprintf("%s/articles/%d", e.srv.URL, id), Rel: "alternate"}}) {
			t.Errorf("atom: lang %q, author %q, entry %+v", atom.Lang, atom.Author, en)
		}
		if len(en.Categories) != 2 || en.Categories[0].Term != "MN" || en.Categories[0].Label != "Mongolia" || en.Categories[0].Scheme != e.srv.URL+"/v1/countries" ||
			en.Categories[1].Term != "trade" || en.Categories[1].Label != "Trade" || en.Categories[1].Scheme != e.srv.URL+"/v1/themes" {
			t.Errorf("atom categories %+v", en.Categories)
		}
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

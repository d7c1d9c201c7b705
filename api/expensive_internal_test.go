package api

import (
	"net/url"
	"testing"

	"github.com/headlines/headlines/internal/news"
)

// testNames knows the countries and themes the cases below name, so that
// a query is parsed as the handlers parse it, without a database.
var testNames = news.NewVocabulary(
	[]news.Country{{Code: "RU", Name: "Russia"}, {Code: "CN", Name: "China"}, {Code: "KP", Name: "North Korea"}},
	[]news.Theme{{Slug: "sanctions", Name: "Sanctions"}, {Slug: "aid", Name: "Aid"}, {Slug: "trade", Name: "Trade"}, {Slug: "nuclear", Name: "Nuclear"}},
	nil)

// TestIsExpensive: which list requests take a slot of the query pool.
func TestIsExpensive(t *testing.T) {
	for _, tc := range []struct {
		path, query string
		drafts      bool
		want        bool
	}{
		{"/v1/articles", "", false, false},
		{"/v1/articles", "limit=100&fields=title,body&sort=published_at&cursor=x", false, false},
		{"/v1/articles", "limit=100&fields=title,body&sort=published_at", false, false},
		{"/v1/articles", "country=RU", false, false},
		{"/v1/articles", "country_all=RU&theme=sanctions&since=2024-01-01&until=2025-01-01", false, false},
		{"/v1/articles", "country=RU&theme=sanctions&include_total=true&facets=country,theme", false, false},
		{"/v1/articles", "country=RU&theme=sanctions&include_total=true", true, true}, // drafts have no pair counts
		{"/v1/articles", "include_total=false", false, false},
		{"/v1/articles", "include_total=true", false, true},
		{"/v1/articles", "include_total=1&country=RU", false, true},
		{"/v1/articles", "facets=theme&theme=aid", false, true},
		{"/v1/articles", "q=korea", false, false}, // walks its index newest first
		{"/v1/articles", "q=korea&country=KP&theme=nuclear&sort=published_at", false, false},
		{"/v1/articles", "q=korea&sort=relevance", false, true},
		{"/v1/articles", "q=korea&include_total=true", false, true},
		{"/v1/articles", "q=korea&country=KP&theme=nuclear&facets=theme", false, true},
		{"/v1/articles", "q=korea&country=KP,RU", false, true},
		{"/v1/articles", "source=AP", false, true},
		{"/v1/articles", "section=x", false, true},
		{"/v1/articles", "language=en", false, true},
		{"/v1/articles", "country_not=KP", false, true},
		{"/v1/articles", "theme_not=aid", false, true},
		{"/v1/articles", "country=RU,CN", false, true},
		{"/v1/articles", "country=RU&country=CN", false, true},
		{"/v1/articles", "country=RU&country_all=CN", false, true},
		{"/v1/articles", "theme=aid&theme_all=trade", false, true},
		{"/v1/articles", "bogus=1", false, false}, // refused before any read
		{"/", "", false, true}, // the front page counts
		{"/", "country=KP", false, true},
		{"/", "country=KP&theme=nuclear", false, false},
		{"/v1/feeds/articles.rss", "country=KP", false, false},
		{"/v1/feeds/articles.rss", "q=kim", false, false},
		{"/v1/feeds/articles.rss", "q=kim&source=AP", false, true},
		{"/embed/headlines", "theme=aid,trade", false, true},
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		allowed := listParams
		if tc.path != "/v1/articles" {
			allowed = filterParams
		}
		lr, err := parseList(q, allowed, testNames, newCursorCodec("test"), tc.drafts)
		if err != nil {
			if tc.want {
				t.Errorf("%s?%s: %v", tc.path, tc.query, err)
			}
			continue // refused before any read
		}
		if tc.path == "/" { // the front page counts its articles and their tags
			lr.filter.IncludeTotal, lr.filter.Facets = true, []string{news.FacetCountry, news.FacetTheme}
		}
		if got := isExpensive(lr.filter); got != tc.want {
			t.Errorf("isExpensive(%s?%s, drafts %v) = %v, want %v", tc.path, tc.query, tc.drafts, got, tc.want)
		}
	}
}

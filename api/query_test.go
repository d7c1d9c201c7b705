package api_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/headlines/headlines/internal/store/storetest"
)

// TestQueryThatWouldBeReadInPart: a parameter that Go's parser would drop
// (a semicolon, a broken percent-escape) is a 400 naming it, on every
// endpoint, never an answer without that parameter.
func TestQueryThatWouldBeReadInPart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		for _, tc := range []struct{ path, field string }{
			{"/v1/articles?country=TV;x=1&include_total=true", "country"},
			{"/v1/articles?include_total=true&theme=trade;sort=published_at", "theme"},
			{"/v1/articles?q=100%&limit=2", "q"},
			{"/v1/articles?country%zz=RU", "country%zz"},
			{"/v1/feeds/articles.rss?country=RU;theme=trade", "country"},
			{"/v1/changes?cursor=0;limit=1", "cursor"},
			{"/embed/headlines?country=KP;limit=1", "country"},
			{"/v1/countries?used=true;x", "used"},
		} {
			r := e.raw("GET", tc.path, "", "")
			assertAnswersProblem(t, tc.path, r, http.StatusBadRequest, tc.field)
		}
		// The widget URL inside an oEmbed request is read as strictly.
		for _, inner := range []string{"country=KP;theme=trade", "country=%zz", "country=KP&theme=trade%"} {
			r := e.raw("GET", "/oembed?url="+url.QueryEscape(e.srv.URL+"/embed/headlines?"+inner), "", "")
			assertProblem(t, r, http.StatusBadRequest, "url")
		}
		// %3B is a semicolon inside a value, which is fine.
		if r := e.do(req{path: "/v1/articles?q=sanctions%3B&limit=1"}); r.status != http.StatusOK {
			t.Errorf("an encoded semicolon: %d %s", r.status, r.body)
		}
	})
}

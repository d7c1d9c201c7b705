package api_test

import (
	"net/http"
	"testing"

	"github.com/headlines/headlines/internal/store/storetest"
)

// TestConditionalGets: every GET has an ETag, a matching If-None-Match is
// a 304 with no body, and a write changes the ETags of the answers it
// changes and of no others.
func TestConditionalGets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		paths := map[string]string{
			"russia":    "/v1/articles?country=RU",
			"japan":     "/v1/articles?country=JP",
			"article 1": "/v1/articles/1",
			"countries": "/v1/countries?used=true",
			"themes":    "/v1/themes",
			"country":   "/v1/countries/RU",
			"theme":     "/v1/themes/trade",
		}
		before := map[string]string{}
		for name, p := range paths {
			r := e.do(req{path: p})
			tag := r.header.Get("ETag")
			if r.status != 200 || tag == "" {
				t.Fatalf("%s: %d, ETag %q", name, r.status, tag)
			}
			before[name] = tag
			again := e.do(req{path: p, headers: []string{"If-None-Match", tag}})
			if again.status != http.StatusNotModified || len(again.body) != 0 || again.header.Get("ETag") != tag {
				t.Errorf("%s with If-None-Match: %d, %d bytes, ETag %q", name, again.status, len(again.body), again.header.Get("ETag"))
			}
			if other := e.do(req{path: p, headers: []string{"If-None-Match", `W/"something-else"`}}); other.status != 200 {
				t.Errorf("%s with a stale If-None-Match: %d", name, other.status)
			}
		}
		if lm := e.do(req{path: "/v1/articles/1"}).header.Get("Last-Modified"); lm == "" {
			t.Error("an article has no Last-Modified")
		}
		// A new Russia story with no theme.
		if r := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Lavrov visits Pyongyang","countries":["RU","KP"],"themes":[]}`}); r.status != 201 {
			t.Fatal(r.status)
		}
		changed := map[string]bool{"russia": true, "countries": true, "country": true}
		for name, p := range paths {
			tag := e.do(req{path: p}).header.Get("ETag")
			if (tag != before[name]) != changed[name] {
				t.Errorf("%s: ETag %q → %q; should change: %v", name, before[name], tag, changed[name])
			}
		}
	})
}

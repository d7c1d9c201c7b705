package api_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browserAccept is what Chromium sends for a page it navigates to.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

// TestSharedLinksWithTrackingParameters: sites and mail programs add
// utm_* and click ids to links they share; the pages for people open
// anyway, while the JSON API, whose clients write their own URLs, still
// refuses an unknown parameter.
func TestSharedLinksWithTrackingParameters(t *testing.T) {
	e := newEnv(t, "sqlite")
	for _, path := range []string{
		"/?fbclid=IwAR0abc",
		"/?country=RU&utm_source=twitter&utm_medium=social",
		"/embed/headlines?country=RU&utm_source=partner&gclid=x",
	} {
		r := e.raw("GET", path, "", "", "Accept", browserAccept)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s, want the page", path, r.status, r.header.Get("Content-Type"))
		}
	}
	if r := e.raw("GET", "/?country=RU&utm_source=x", "", ""); strings.Contains(string(r.body), "utm_source") {
		t.Errorf("the front page carries the tracking parameter into its own links")
	}
	r := e.do(req{path: "/v1/articles?utm_source=x"})
	assertProblem(t, r, 400, "utm_source")
}

// TestMistypedPagesForPeople: a browser that asks for a page that does
// not exist gets an HTML page that says so, with the page it probably
// meant; an API client gets the problem+json it parses.
func TestMistypedPagesForPeople(t *testing.T) {
	e := newEnv(t, "sqlite")
	for path, want := range map[string]string{
		"/embed/headlines/?country=RU": "There is no page at /embed/headlines/; did you mean /embed/headlines?",
		"/embed/headline":              "There is no page at /embed/headline; did you mean /embed/headlines?",
		"/articles/":                   "There is no page at /articles/.",
	} {
		r := e.raw("GET", path, "", "", "Accept", browserAccept)
		body := string(r.body)
		if r.status != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(body, want) {
			t.Errorf("%s: %d %s, want an HTML 404 saying %q:\n%.400s", path, r.status, r.header.Get("Content-Type"), want, body)
		}
		if strings.Contains(body, "openapi.json") {
			t.Errorf("%s: a page for a person points at the API's spec:\n%.400s", path, body)
		}
		if strings.HasPrefix(path, "/articles/") {
			continue // a page for people whatever it accepts, like /articles/{id}
		}
		if api := e.raw("GET", path, "", ""); api.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s without Accept: %s, want problem+json", path, api.header.Get("Content-Type"))
		}
	}
	// Under /v1/ it is an API answer whatever the client accepts.
	if r := e.raw("GET", "/v1/artcles", "", "", "Accept", browserAccept); r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("/v1/artcles from a browser: %s, want problem+json", r.header.Get("Content-Type"))
	}
}

// TestWidgetDiscoveryWithTrackingParameters: a widget page opened from a
// shared link (with utm_*) advertises an oEmbed URL that answers, and the
// iframe oEmbed hands out carries no tracking parameter.
func TestWidgetDiscoveryWithTrackingParameters(t *testing.T) {
	e := newEnv(t, "sqlite")
	page := e.raw("GET", "/embed/headlines?country=RU&utm_source=partner&gclid=x", "", "")
	m := regexp.MustCompile(`type="application/json\+oembed" href="([^"]+)"`).FindSubmatch(page.body)
	if page.status != 200 || m == nil {
		t.Fatalf("%d, no oEmbed discovery link:\n%.600s", page.status, page.body)
	}
	href, err := url.Parse(html.UnescapeString(string(m[1])))
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(req{path: href.RequestURI()})
	if r.status != 200 {
		t.Fatalf("the discovered %s answers %d: %s", href.RequestURI(), r.status, r.body)
	}
	if strings.Contains(string(r.body), "utm_source") || strings.Contains(string(r.body), "gclid") {
		t.Errorf("oEmbed hands out tracking parameters: %s", r.body)
	}
	// A widget URL pasted with its tracking parameters works too.
	shared := url.QueryEscape("http://" + href.Host + "/embed/headlines?country=RU&utm_source=partner")
	if r := e.do(req{path: "/oembed?url=" + shared}); r.status != 200 {
		t.Errorf("oEmbed of a shared widget URL: %d %s", r.status, r.body)
	}
}

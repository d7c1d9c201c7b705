package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestWidgetPage(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.do(req{method: "POST", path: "/v1/articles", key: true,
		body: `{"title":"<img src=x onerror=alert(1)> & friends","countries":["RU"],"url":"https://example.com/x?a=1&b=2","published_at":"2025-07-01T00:00:00Z"}`})
	r := e.do(req{path: "/embed/headlines?country=RU&style=dark&limit=3"})
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %q", r.status, r.header.Get("Content-Type"))
	}
	page := string(r.body)
	for _, want := range []string{
		`&lt;img src=x onerror=alert(1)&gt; &amp; friends`, // the title as text
		`href="https://example.com/x?a=1&amp;b=2"`,
		`class="dark"`, `<h1>Headlines: Russia</h1>`, `rel="noopener noreferrer"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the widget lacks %s", want)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "<img") {
		t.Error("the widget contains a script or an image")
	}
	if n := strings.Count(page, "<li>"); n != 3 {
		t.Errorf("%d headlines, want 3", n)
	}
	csp := r.header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "default-src 'none'; style-src 'sha256-") || !strings.Contains(csp, "frame-ancestors *") || strings.Contains(csp, "unsafe") {
		t.Errorf("widget CSP %q", csp)
	}
	// "More headlines" leads to the front page of the same country, which
	// answers: it takes no limit and no style.
	for path, want := range map[string]string{
		"/embed/headlines?country=RU&style=dark&limit=3": `href="` + e.srv.URL + `/?country=RU"`,
		"/embed/headlines?country=RU,CN&theme=trade":     `href="` + e.srv.URL + `/?theme=trade"`,
	} {
		page := string(e.do(req{path: path}).body)
		if !strings.Contains(page, want) {
			t.Errorf("%s: no link %s", path, want)
			continue
		}
		more := strings.TrimPrefix(strings.Split(want, `"`)[1], e.srv.URL)
		if r := e.do(req{path: more}); r.status != 200 {
			t.Errorf("the widget's more link %s: %d %s", more, r.status, r.body)
		}
	}
	assertProblem(t, e.do(req{path: "/embed/headlines?style=neon"}), 400, "style")
	assertProblem(t, e.do(req{path: "/embed/headlines?country=Atlantis"}), 400, "country")

	js := e.do(req{path: "/embed.js"})
	if js.status != 200 || !strings.HasPrefix(js.header.Get("Content-Type"), "text/javascript") || !strings.Contains(string(js.body), "textContent") ||
		strings.Contains(string(js.body), "innerHTML") {
		t.Errorf("embed.js: %d %q", js.status, js.header.Get("Content-Type"))
	}
}

func TestOEmbed(t *testing.T) {
	e := newEnv(t, "sqlite")
	widget := e.srv.URL + "/embed/headlines?country=RU&theme=trade"
	r := e.do(req{path: "/oembed?format=json&maxwidth=320&url=" + url.QueryEscape(widget)})
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var o map[string]any
	_ = json.Unmarshal(r.body, &o)
	if o["type"] != "rich" || o["version"] != "1.0" || o["width"] != 320.0 || o["title"] != "Headlines: Russia · Trade" {
		t.Errorf("oEmbed %v", o)
	}
	if h, _ := o["html"].(string); !strings.HasPrefix(h, `<iframe src="`+e.srv.URL+`/embed/headlines?country=RU&amp;theme=trade"`) || !strings.Contains(h, `width="320"`) {
		t.Errorf("html %q", h)
	}
	for _, other := range []string{"https://evil.example.com/embed/headlines", e.srv.URL + "/v1/articles", "javascript:alert(1)", e.srv.URL + "/embed/headlines?country=Atlantis"} {
		assertProblem(t, e.do(req{path: "/oembed?url=" + url.QueryEscape(other)}), 404, "")
	}
	if r := e.do(req{path: "/oembed?format=xml&url=" + url.QueryEscape(widget)}); r.status != http.StatusNotImplemented {
		t.Errorf("format=xml: %d", r.status)
	}
	assertProblem(t, e.do(req{path: "/oembed"}), 400, "url")
}

func TestFrontPage(t *testing.T) {
	e := newEnv(t, "sqlite")
	r := e.do(req{path: "/"})
	page := string(r.body)
	if r.status != 200 || strings.Count(page, `class="title"`) != 10 {
		t.Fatalf("front page: %d, %d headlines", r.status, strings.Count(page, `class="title"`))
	}
	for _, want := range []string{
		`href="/?country=RU"`, `href="/?theme=trade"`, `href="/swagger/index.html"`, `href="/openapi.json"`,
		`href="/v1/feeds/articles.rss"`, `data-headlines`, `/embed.js`, `<iframe src="` + e.srv.URL + `/embed/headlines"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the front page lacks %s", want)
		}
	}
	r = e.do(req{path: "/?country=RU&theme=trade"})
	page = string(r.body)
	if strings.Count(page, `class="title"`) != 1 || !strings.Contains(page, `href="/v1/feeds/articles.atom?country=RU&amp;theme=trade"`) ||
		!strings.Contains(page, `data-country=&#34;RU&#34; data-theme=&#34;trade&#34;`) {
		t.Errorf("filtered front page:\n%s", page)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("front page CSP %q", csp)
	}
	assertProblem(t, e.do(req{path: "/?q=x"}), 400, "q")
}

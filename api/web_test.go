package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/headlines/headlines/api"
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
		`class="widget dark"`, `<h1>Headlines: Russia</h1>`, `rel="noopener noreferrer"`,
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
	// "More headlines" leads to the front page with the widget's countries
	// and themes, and answers there whatever else the widget was given
	// (the first is the README's example).
	for path, want := range map[string]string{
		"/embed/headlines?country=RU&theme=trade&limit=5&style=dark":               "/?country=RU&theme=trade",
		"/embed/headlines?country=RU&style=dark&limit=3":                           "/?country=RU",
		"/embed/headlines?country=Russia,China&theme=trade":                        "/?country=RU%2CCN&theme=trade",
		"/embed/headlines?q=missile&limit=2&source=NK+News&country_not=CN":         "/",
		"/embed/headlines?theme_all=trade,sanctions&language=en&section=x&limit=9": "/",
	} {
		r := e.do(req{path: path})
		m := regexp.MustCompile(`<footer><a href="([^"]*)"`).FindStringSubmatch(string(r.body))
		if r.status != 200 || m == nil {
			t.Errorf("%s: %d, no More headlines link", path, r.status)
			continue
		}
		more := strings.ReplaceAll(m[1], "&amp;", "&")
		if more != e.srv.URL+want {
			t.Errorf("%s: More headlines → %s, want %s", path, more, e.srv.URL+want)
		}
		if r := e.do(req{path: strings.TrimPrefix(more, e.srv.URL)}); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("the widget's more link %s: %d %s", more, r.status, r.body)
		}
	}
	// The widget page names its oEmbed endpoint, which knows the widget.
	m := regexp.MustCompile(`<link rel="alternate" type="application/json\+oembed" href="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the widget page has no oEmbed discovery link")
	}
	if o := e.do(req{path: strings.TrimPrefix(strings.ReplaceAll(m[1], "&amp;", "&"), e.srv.URL)}); o.status != 200 ||
		!strings.Contains(o.json(t)["html"].(string), "/embed/headlines?country=RU&amp;limit=3&amp;style=dark") {
		t.Errorf("the discovered oEmbed: %d %s", o.status, o.body)
	}
	// A headline without a url links to its page for people, not to JSON.
	noURL := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Talks resume","countries":["RU"],"published_at":"2025-07-03T00:00:00Z"}`}).json(t)
	page = string(e.do(req{path: "/embed/headlines?country=RU"}).body)
	if want := fmt.Sprintf(`href="%s/articles/%d"`, e.srv.URL, int(noURL["id"].(float64))); !strings.Contains(page, want) || strings.Contains(page, "/v1/articles/") {
		t.Errorf("the widget links a headline without url elsewhere than %s", want)
	}

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

	// A widget URL pasted without URL-encoding: its & split it, and the
	// answer says so and shows the request as it was meant.
	r = e.do(req{path: "/oembed?url=" + widget + "&style=dark&limit=3&format=json"})
	assertProblem(t, r, 400, "url")
	fixed := "/oembed?format=json&url=" + url.QueryEscape(widget+"&style=dark&limit=3")
	if msg := problemMessage(t, r, "url"); !strings.Contains(msg, "must be URL-encoded") || !strings.Contains(msg, fixed) {
		t.Errorf("unencoded url: %q, want it to say URL-encoded and show %s", msg, fixed)
	} else if o := e.do(req{path: fixed}); o.status != 200 || o.json(t)["title"] != "Headlines: Russia · Trade" {
		t.Errorf("the request the message shows: %d %s", o.status, o.body)
	}
	// Other unknown parameters are told the closest name.
	r = e.do(req{path: "/oembed?maxwdth=300&url=" + url.QueryEscape(widget)})
	assertProblem(t, r, 400, "maxwdth")
	if msg := problemMessage(t, r, "maxwdth"); !strings.Contains(msg, "did you mean maxwidth?") {
		t.Errorf("maxwdth: %q", msg)
	}
	r = e.do(req{path: "/oembed?country=RU"}) // no url at all: not a split one
	if msg := problemMessage(t, r, "country"); !strings.Contains(msg, "known: format, maxheight, maxwidth, url") {
		t.Errorf("country without url: %q", msg)
	}
}

// assertAnswersProblem asserts the error answer of a request to path: an
// HTML page naming field (when not "") on pages for people, the widget's
// included, else a problem naming it.
func assertAnswersProblem(t *testing.T, path string, r response, status int, field string) {
	t.Helper()
	u, err := url.Parse(path)
	if err != nil || !api.ForPeople(u.Path) {
		assertProblem(t, r, status, field)
		return
	}
	if r.status != status || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") ||
		(field != "" && !strings.Contains(string(r.body), "<code>"+field+"</code>")) {
		t.Errorf("%s: %d %q, want %d as an HTML page naming %q:\n%s", path, r.status, r.header.Get("Content-Type"), status, field, r.body)
	}
}

// problemMessage is the message a problem gives for field.
func problemMessage(t *testing.T, r response, field string) string {
	t.Helper()
	var p struct {
		Errors []struct{ Field, Message string } `json:"errors"`
	}
	_ = json.Unmarshal(r.body, &p)
	for _, f := range p.Errors {
		if f.Field == field {
			return f.Message
		}
	}
	t.Errorf("no message for %s in %s", field, r.body)
	return ""
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
		`href="/v1/feeds/articles.rss"`, `data-headlines`, `/embed.js`, `<iframe src="` + e.srv.URL + `/embed/headlines?limit=5"`, `width="400" height="600"`,
		`<link rel="alternate" type="application/rss+xml" title="RSS: Headlines" href="/v1/feeds/articles.rss">`,
		`<link rel="alternate" type="application/atom+xml" title="Atom: Headlines" href="/v1/feeds/articles.atom">`,
		`<link rel="alternate" type="application/feed+json" title="JSON Feed: Headlines" href="/v1/feeds/articles.json">`,
		`10 headlines`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the front page lacks %s", want)
		}
	}
	r = e.do(req{path: "/?country=RU&theme=trade"})
	page = string(r.body)
	if strings.Count(page, `class="title"`) != 1 || !strings.Contains(page, `href="/v1/feeds/articles.atom?country=RU&amp;theme=trade"`) ||
		!strings.Contains(page, `<link rel="alternate" type="application/rss+xml" title="RSS: Headlines: Russia · Trade" href="/v1/feeds/articles.rss?country=RU&amp;theme=trade">`) ||
		!strings.Contains(page, `data-country=&#34;RU&#34; data-theme=&#34;trade&#34;`) {
		t.Errorf("filtered front page:\n%s", page)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("front page CSP %q", csp)
	}
}

// TestFrontPagePaging walks the front page to older headlines and back,
// keeping the filter, and reads the count as people write it.
func TestFrontPagePaging(t *testing.T) {
	e := newEnv(t, "sqlite")
	for b := 0; b < 10; b++ {
		var items []string
		for i := 0; i < 100; i++ {
			n := b*100 + i
			items = append(items, fmt.Sprintf(`{"title":"Border note %d","countries":["RU"],"themes":["trade"],"published_at":"2024-01-01T%02d:%02d:00Z"}`, n, n/60%24, n%60))
		}
		if r := e.do(req{method: "POST", path: "/v1/articles/batch", key: true, body: `{"articles":[` + strings.Join(items, ",") + `]}`}); r.status != http.StatusMultiStatus {
			t.Fatalf("batch: %d %s", r.status, r.body)
		}
	}
	older := regexp.MustCompile(`<a href="([^"]*)" id="older"`)
	titles := regexp.MustCompile(`class="title" href="[^"]*">([^<]*)</a>`)
	r := e.do(req{path: "/"})
	page := string(r.body)
	if !strings.Contains(page, `<span id="total">1,010 headlines</span>`) {
		t.Errorf("the front page does not say 1,010 headlines")
	}
	if strings.Contains(page, `id="newest"`) {
		t.Error("the first page links to the newest")
	}
	seen := map[string]bool{}
	path, pages := "/?country=RU", 0
	for path != "" {
		r := e.do(req{path: path})
		page := string(r.body)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		pages++
		if pages > 1 && (!strings.Contains(page, `<a href="/?country=RU" id="newest">`) || !strings.Contains(page, "Older headlines · ")) {
			t.Errorf("page %d (%s) has no way back to the newest", pages, path)
		}
		for _, m := range titles.FindAllStringSubmatch(page, -1) {
			if seen[m[1]] {
				t.Fatalf("%q shown twice, on page %d", m[1], pages)
			}
			seen[m[1]] = true
		}
		path = ""
		if m := older.FindStringSubmatch(page); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
			if !strings.HasPrefix(path, "/?country=RU&cursor=") {
				t.Fatalf("page %d: the Older link %s loses the filter", pages, path)
			}
		}
	}
	// The demo has 5 Russian stories: 1,005 in pages of 20.
	if pages != 51 || len(seen) != 1005 {
		t.Errorf("%d pages, %d headlines; want 51 pages and 1,005", pages, len(seen))
	}
}

// TestFrontPageErrorsForPeople: a person who mistypes a filter gets an
// HTML page that says what is wrong and leads back, with the status a
// program would get.
func TestFrontPageErrorsForPeople(t *testing.T) {
	e := newEnv(t, "sqlite")
	for path, want := range map[string]string{
		"/?country=Narnia": `<li><code>country</code> unknown country &#34;Narnia&#34;`,
		"/?q=missile":      `<li><code>q</code> is not a parameter of this endpoint; known: country, cursor, theme</li>`,
		"/?cursor=abc":     `<code>cursor</code>`,
		"/?country=RU;KP":  `<code>country</code>`,
	} {
		r := e.raw("GET", path, "", "")
		body := string(r.body)
		if r.status != 400 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %q, want a 400 HTML page", path, r.status, r.header.Get("Content-Type"))
			continue
		}
		if !strings.Contains(body, want) || !strings.Contains(body, `<a id="back" href="/">Back to the latest headlines</a>`) ||
			!strings.Contains(body, "<h1>This page cannot be shown</h1>") {
			t.Errorf("%s: the page lacks %s or a way back:\n%s", path, want, body)
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'; style-src 'sha256-") || strings.Contains(csp, "script") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, r.header.Get("Cache-Control"))
		}
	}
	if r := e.raw("HEAD", "/?country=Narnia", "", ""); r.status != 400 || len(r.body) != 0 {
		t.Errorf("HEAD: %d, %d bytes", r.status, len(r.body))
	}
	// The API keeps answering problems to programs.
	assertProblem(t, e.do(req{path: "/v1/articles?country=Narnia"}), 400, "country")
}

// TestWidgetErrorsInTheFrame: a widget with a wrong parameter is framed
// on another site, so its error is the widget itself saying what is wrong
// (framable, in the widget's look and colours, naming the parameter and
// what it allows), with the status a program would get. A problem+json
// answer with frame-ancestors 'none' is a broken-page icon in the frame.
func TestWidgetErrorsInTheFrame(t *testing.T) {
	e := newEnv(t, "sqlite")
	for path, want := range map[string]string{
		"/embed/headlines?country=RU&style=neon":               `<p class="field"><code>style</code>: must be light or dark</p>`,
		"/embed/headlines?country=Narnia":                      `<p class="field"><code>country</code>: unknown country &#34;Narnia&#34;; use an ISO 3166-1 code`,
		"/embed/headlines?country=Atlantis&limit=5&style=dark": `<code>country</code>: unknown country &#34;Atlantis&#34;`,
		"/embed/headlines?limit=500":                           `<code>limit</code>: `,
		"/embed/headlines?colour=dark":                         `<code>colour</code>: is not a parameter of this endpoint; known: country, country_all, country_not, language, limit, q, section, source, style, theme`,
	} {
		for _, accept := range []string{"", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/problem+json"} {
			r := e.raw("GET", path, "", "", "Accept", accept)
			body := string(r.body)
			if r.status != 400 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
				t.Errorf("%s (Accept %q): %d %q, want a 400 HTML widget", path, accept, r.status, r.header.Get("Content-Type"))
				continue
			}
			if !strings.Contains(body, want) || !strings.Contains(body, `<section class="widget `) || !strings.Contains(body, "This widget&#39;s settings are wrong:") ||
				!strings.Contains(body, `<footer><a href="`+e.srv.URL+`/#snippet"`) {
				t.Errorf("%s: the widget lacks %s:\n%s", path, want, body)
			}
			if strings.Contains(path, "style=dark") != strings.Contains(body, `class="widget dark"`) {
				t.Errorf("%s: not in the widget's colours", path)
			}
			if strings.Contains(body, "<script") || strings.Contains(body, "json+oembed") {
				t.Errorf("%s: the error widget has a script or an oEmbed link", path)
			}
			csp := r.header.Get("Content-Security-Policy")
			if !strings.HasPrefix(csp, "default-src 'none'; style-src 'sha256-") || !strings.HasSuffix(csp, "frame-ancestors *") || strings.Contains(csp, "script") {
				t.Errorf("%s: CSP %q, want the widget's (framable by any page)", path, csp)
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: Cache-Control %q", path, r.header.Get("Cache-Control"))
			}
		}
	}
	// The error page uses the widget's own stylesheet, which its CSP allows.
	ok := e.raw("GET", "/embed/headlines", "", "")
	bad := e.raw("GET", "/embed/headlines?style=neon", "", "")
	if ok.header.Get("Content-Security-Policy") != bad.header.Get("Content-Security-Policy") {
		t.Errorf("the error's CSP %q differs from the widget's %q", bad.header.Get("Content-Security-Policy"), ok.header.Get("Content-Security-Policy"))
	}
	if r := e.raw("HEAD", "/embed/headlines?country=Narnia", "", ""); r.status != 400 || len(r.body) != 0 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("HEAD: %d %q, %d bytes", r.status, r.header.Get("Content-Type"), len(r.body))
	}
}

// TestArticlePage: the page people reach from a headline without a url.
func TestArticlePage(t *testing.T) {
	e := newEnv(t, "sqlite")
	created := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"<script>alert(1)</script> Talks & trade",
		"summary":"Delegations met in Vladivostok.","body":"First paragraph.\n\nSecond paragraph.","source":"NK News","author":"A. Writer",
		"url":"https://www.example.com/talks?a=1&b=2","image_url":"https://img.example.com/t.jpg","countries":["RU","KP"],"themes":["trade"],
		"published_at":"2025-07-02T08:00:00Z"}`})
	if created.status != 201 {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	id := int(created.json(t)["id"].(float64))
	path := fmt.Sprintf("/articles/%d", id)
	canonical := e.srv.URL + path
	r := e.raw("GET", path, "", "")
	page := string(r.body)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %q", r.status, r.header.Get("Content-Type"))
	}
	for _, want := range []string{
		`<title>&lt;script&gt;alert(1)&lt;/script&gt; Talks &amp; trade · headlines</title>`,
		`<link rel="canonical" href="` + canonical + `">`,
		`<meta property="og:type" content="article">`,
		`<meta property="og:title" content="&lt;script&gt;alert(1)&lt;/script&gt; Talks &amp; trade">`,
		`<meta property="og:description" content="Delegations met in Vladivostok.">`,
		`<meta property="og:url" content="` + canonical + `">`,
		`<meta property="og:image" content="https://img.example.com/t.jpg">`,
		`<meta property="article:published_time" content="2025-07-02T08:00:00Z">`,
		`<h1>&lt;script&gt;alert(1)&lt;/script&gt; Talks &amp; trade</h1>`,
		`<p class="dek">Delegations met in Vladivostok.</p>`,
		`<span class="source">NK News</span>`, `by <span class="author">A. Writer</span>`,
		`<time datetime="2025-07-02T08:00:00Z" class="published">2 Jul 2025</time>`,
		`<p>First paragraph.</p>`, `<p>Second paragraph.</p>`,
		`<a class="chip" href="/?country=KP">North Korea</a>`, `<a class="chip" href="/?country=RU">Russia</a>`, `<a class="chip" href="/?theme=trade">Trade</a>`,
		`<a class="story" href="https://www.example.com/talks?a=1&amp;b=2" rel="noopener">Read the full story at example.com</a>`,
		fmt.Sprintf(`<a class="json" href="/v1/articles/%d">JSON</a>`, id),
		`<link rel="alternate" type="application/rss+xml" title="RSS: Headlines" href="/v1/feeds/articles.rss">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the article page lacks %s", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Error("the title's markup reached the page as markup")
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'; style-src 'sha256-") || strings.Contains(csp, "script") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	tag := r.header.Get("ETag")
	if tag == "" || !strings.HasPrefix(r.header.Get("Cache-Control"), "public") {
		t.Fatalf("ETag %q, Cache-Control %q", tag, r.header.Get("Cache-Control"))
	}
	if r := e.raw("GET", path, "", "", "If-None-Match", tag); r.status != http.StatusNotModified || len(r.body) != 0 {
		t.Errorf("If-None-Match: %d, %d bytes", r.status, len(r.body))
	}
	if r := e.raw("HEAD", path, "", ""); r.status != 200 || len(r.body) != 0 || r.header.Get("ETag") != tag {
		t.Errorf("HEAD: %d, %d bytes, ETag %q", r.status, len(r.body), r.header.Get("ETag"))
	}
	// A change makes a new page.
	e.do(req{method: "PATCH", path: fmt.Sprintf("/v1/articles/%d", id), key: true, body: `{"summary":"Delegations met again."}`})
	if r := e.raw("GET", path, "", "", "If-None-Match", tag); r.status != 200 || !strings.Contains(string(r.body), "Delegations met again.") {
		t.Errorf("after a change: %d", r.status)
	}

	// A story with no summary is described by its body; one with no image has no og:image.
	plain := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Plain","body":"Only a body here.","countries":[],"themes":[]}`}).json(t)
	page = string(e.raw("GET", fmt.Sprintf("/articles/%d", int(plain["id"].(float64))), "", "").body)
	if !strings.Contains(page, `<meta property="og:description" content="Only a body here.">`) || strings.Contains(page, "og:image") || strings.Contains(page, `class="story"`) {
		t.Errorf("the plain article's page:\n%s", page)
	}

	// A headline alone (no summary, no body) is described by its source
	// and date, never by an empty description.
	bare := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Bare","source":"NK News","published_at":"2025-07-02T08:00:00Z"}`}).json(t)
	page = string(e.raw("GET", fmt.Sprintf("/articles/%d", int(bare["id"].(float64))), "", "").body)
	if strings.Contains(page, `content=""`) || !strings.Contains(page, `<meta name="description" content="NK News, 2 Jul 2025">`) ||
		!strings.Contains(page, `<meta property="og:description" content="NK News, 2 Jul 2025">`) {
		t.Errorf("the bare article's page:\n%s", page)
	}
	bare = e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Barer","published_at":"2025-07-02T08:00:00Z"}`}).json(t)
	page = string(e.raw("GET", fmt.Sprintf("/articles/%d", int(bare["id"].(float64))), "", "").body)
	if strings.Contains(page, `content=""`) || !strings.Contains(page, `<meta property="og:description" content="Published 2 Jul 2025">`) {
		t.Errorf("the barer article's page:\n%s", page)
	}

	// Drafts are for editors; missing articles are a page that says so.
	draft := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Embargoed","status":"draft","countries":["RU"]}`}).json(t)
	draftPath := fmt.Sprintf("/articles/%d", int(draft["id"].(float64)))
	for _, p := range []string{draftPath, "/articles/999999", "/articles/abc", "/articles/0"} {
		r := e.raw("GET", p, "", "")
		if r.status != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "<h1>No such headline</h1>") ||
			!strings.Contains(string(r.body), `href="/"`) || strings.Contains(string(r.body), "Embargoed") {
			t.Errorf("%s: %d %q\n%s", p, r.status, r.header.Get("Content-Type"), r.body)
		}
	}
	ed := e.do(req{path: draftPath, key: true})
	if ed.status != 200 || !strings.Contains(string(ed.body), "<h1>Embargoed</h1>") || !strings.Contains(string(ed.body), `<meta name="robots" content="noindex">`) ||
		ed.header.Get("Cache-Control") != "private, no-store" {
		t.Errorf("the draft with an editor key: %d %q", ed.status, ed.header.Get("Cache-Control"))
	}

	// The front page links a headline without url to its page.
	noURL := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"No link here","countries":["RU"]}`}).json(t)
	if front := string(e.raw("GET", "/", "", "").body); !strings.Contains(front, fmt.Sprintf(`<a class="title" href="%s/articles/%d">No link here</a>`, e.srv.URL, int(noURL["id"].(float64)))) ||
		strings.Contains(front, `class="title" href="`+e.srv.URL+`/v1/`) {
		t.Error("the front page links headlines without url elsewhere than their pages")
	}
}

// TestSwaggerHead: Swagger UI and its documents answer HEAD as they answer
// GET, without the body (link checkers and monitors send HEAD).
func TestSwaggerHead(t *testing.T) {
	e := newEnv(t, "sqlite")
	for _, path := range []string{"/swagger/index.html", "/swagger/doc.json", "/swagger/doc.yaml", "/openapi.json"} {
		get := e.raw("GET", path, "", "")
		head := e.raw("HEAD", path, "", "")
		if get.status != 200 || head.status != 200 || len(head.body) != 0 || head.header.Get("Content-Type") != get.header.Get("Content-Type") {
			t.Errorf("%s: GET %d %q, HEAD %d %q with %d bytes", path, get.status, get.header.Get("Content-Type"), head.status, head.header.Get("Content-Type"), len(head.body))
		}
	}
	if r := e.raw("HEAD", "/swagger", "", ""); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") { // by way of its redirect
		t.Errorf("HEAD /swagger: %d %q", r.status, r.header.Get("Content-Type"))
	}
}

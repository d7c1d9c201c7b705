package api_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// ScreenshotDir is where the browser test leaves its screenshots, kept
// after the run as CI artifacts.
var screenshotDir = filepath.Join(os.TempDir(), "headlines-browser")

// browser starts headless Chromium for one test, or skips the test where
// the machine has none (CI installs it and sets HEADLINES_REQUIRE_BROWSER).
// The counter it returns counts JavaScript dialogs the pages opened.
func browser(t *testing.T) (context.Context, *atomic.Int32) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("HEADLINES_REQUIRE_BROWSER") == "1" {
			t.Fatalf("HEADLINES_REQUIRE_BROWSER=1 but %s is missing", chromiumPath)
		}
		t.Skipf("browser test skipped: %s is missing (apt-get install chromium)", chromiumPath)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	dialogs := &atomic.Int32{}
	events := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range events {
			if err != nil {
				return
			}
			dialogs.Add(1)
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return ctx, dialogs
}

func screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 makes a PNG
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(screenshotDir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// frameEval calls fn, a JavaScript function declaration, with the document
// element of the frame as this, in the frame's own (cross-origin) context,
// and decodes what it returns.
func frameEval[T any](ctx context.Context, frame *chromedp.Node, fn string) (T, error) {
	return chromedp.Run(ctx, chromedp.QueryAfter(chromedp.CSS(`html`), func(ctx context.Context, t *chromedp.Target, nodes []*chromedp.Node) (T, error) {
		var zero T
		r, err := cdp.Call(ctx, t, dom.ResolveNode, dom.ResolveNodeParams{NodeID: nodes[0].NodeID})
		if err != nil {
			return zero, err
		}
		return chromedp.CallFunctionOn[T](fn, func(p *runtime.CallFunctionOnParams) { p.ObjectID = r.Object.ObjectID })(ctx, t)
	}, chromedp.FromNode(frame)))
}

// widgetView is what a test reads off a rendered widget, in the iframe or
// in embed.js's shadow root.
type widgetView struct {
	Heading, More string
	Titles, Links []string
	Dates         []string
	Background    string
	// Styles inside the widget: a headline link's colour and decoration,
	// the widget's font family, an item's font size.
	LinkColor, LinkDecoration, Font, ItemFontSize string
	Dashed                                        int // elements with the host's dashed div border
	Markup                                        int // script and img elements
	// The layout, in the iframe.
	ViewportW, ViewportH, ScrollW, ScrollH float64
	Items, FullyVisible                    int
	FooterBottom                           float64
	ListScrolls                            bool
}

// readWidget is a function over the root of a widget (a document element or
// a shadow root's host) that returns a widgetView.
const readWidget = `function(root) {
	const w = root.querySelector('.widget');
	const q = s => Array.from(w.querySelectorAll(s));
	const cs = e => getComputedStyle(e);
	const doc = w.ownerDocument.documentElement;
	const ol = w.querySelector('ol'), footer = w.querySelector('footer');
	const olBottom = ol ? ol.getBoundingClientRect().bottom : 0;
	const first = w.querySelector('li a');
	return {
		heading: w.querySelector('h1').textContent,
		more: footer.querySelector('a').href,
		titles: q('li a').map(a => a.textContent), links: q('li a').map(a => a.href), dates: q('li time').map(t => t.textContent),
		background: cs(w).backgroundColor,
		linkColor: first ? cs(first).color : '', linkDecoration: first ? cs(first).textDecorationLine : '',
		font: cs(w).fontFamily, itemFontSize: first ? cs(first.parentElement).fontSize : '',
		dashed: q('*').filter(e => cs(e).borderTopStyle === 'dashed').length,
		markup: q('script, img').length,
		viewportW: doc.clientWidth, viewportH: doc.clientHeight, scrollW: doc.scrollWidth, scrollH: doc.scrollHeight,
		items: q('li').length,
		fullyVisible: q('li').filter(li => { const r = li.getBoundingClientRect(); return r.top >= 0 && r.bottom <= Math.min(doc.clientHeight, olBottom) + 0.5 && r.right <= doc.clientWidth + 0.5; }).length,
		footerBottom: footer.getBoundingClientRect().bottom,
		listScrolls: ol ? ol.scrollHeight > ol.clientHeight : false,
	};
}`

// TestPartnerPageInBrowser pastes the front page's two snippets (embed.js
// and the iframe) into a partner page on another origin whose styles would
// leak into anything that inherits them, opens it in Chromium in light and
// dark, and checks that both widgets look like the widget, agree with each
// other, fit their box, and show a title made of markup as text.
func TestPartnerPageInBrowser(t *testing.T) {
	e := newEnv(t, "sqlite")
	hostile := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	created := e.do(req{method: "POST", path: "/v1/articles", key: true,
		body: fmt.Sprintf(`{"title":%q,"countries":["RU"],"published_at":"2025-07-02T00:00:00Z"}`, hostile)})
	if created.status != 201 {
		t.Fatal(created.status)
	}
	hostileLink := fmt.Sprintf("%s/articles/%d", e.srv.URL, int(created.json(t)["id"].(float64)))

	// The snippets, as a partner copies them from the front page.
	front := string(e.do(req{path: "/?country=RU"}).body)
	pre := regexp.MustCompile(`(?s)<pre[^>]*>(.*?)</pre>`).FindAllStringSubmatch(front, -1)
	if len(pre) != 2 {
		t.Fatalf("the front page shows %d snippets, want 2", len(pre))
	}
	scriptSnippet, frameSnippet := html.UnescapeString(pre[0][1]), html.UnescapeString(pre[1][1])
	if !strings.Contains(frameSnippet, `width="400" height="600"`) {
		t.Fatalf("iframe snippet %s", frameSnippet)
	}
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		script, frame := scriptSnippet, frameSnippet
		if r.URL.Path == "/dark" {
			script = strings.Replace(script, "<div data-headlines", `<div data-headlines data-style="dark"`, 1)
			frame = strings.Replace(frame, "limit=5", "limit=5&amp;style=dark", 1)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Partner</title><style>
body { font-family: serif; color: rgb(0, 128, 0); font-size: 22px; line-height: 2; letter-spacing: 1px; background: #f6f1e4; }
a { color: red; text-decoration: underline wavy; }
div { border: 3px dashed purple; padding: 6px; font-family: monospace; }
h1, ol, li, span, section, footer, time, p { color: blue; font-size: 30px; }
td { vertical-align: top; padding: 0 16px; }
</style></head><body>
<h1>A partner's page</h1>
<p class="widget meta" id="host-para">The partner's own text, with <a id="host-link" href="#">a link</a>.</p>
<table><tr><td style="width:420px">%s</td><td>%s</td></tr></table>
</body></html>`, script, frame)
	}))
	defer partner.Close()

	ctx, dialogs := browser(t)
	for _, style := range []string{"light", "dark"} {
		if err := chromedp.Do(ctx,
			chromedp.Navigate(partner.URL+"/"+style),
			chromedp.WaitReady(chromedp.CSS(`div[data-headlines]`)),
		); err != nil {
			t.Fatal(err)
		}
		var script widgetView
		for range 100 { // until embed.js has rendered
			v, err := chromedp.Run(ctx, chromedp.Evaluate[widgetView](`(`+readWidget+`)(document.querySelector('div[data-headlines]').shadowRoot || document.createElement('div'))`, chromedp.EvalIgnoreExceptions))
			if err == nil && len(v.Titles) > 0 {
				script = v
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(script.Titles) == 0 {
			t.Fatalf("%s: embed.js rendered nothing into a shadow root", style)
		}
		if err := chromedp.Do(ctx, chromedp.Sleep(300*time.Millisecond)); err != nil { // time for any onerror to fire
			t.Fatal(err)
		}
		frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`iframe`)))
		if err != nil || len(frames) != 1 {
			t.Fatalf("iframe: %v", err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`li a`), chromedp.FromNode(frames[0]))); err != nil {
			t.Fatal(err)
		}
		frame, err := frameEval[widgetView](ctx, frames[0], `function() { return (`+readWidget+`)(this); }`)
		if err != nil {
			t.Fatal(err)
		}
		host, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[getComputedStyle(document.getElementById('host-link')).color, getComputedStyle(document.getElementById('host-para')).fontFamily, getComputedStyle(document.getElementById('host-para')).padding]`))
		if err != nil {
			t.Fatal(err)
		}
		shot := screenshot(t, ctx, "partner-page-"+style+".png")
		t.Logf("%s: embed.js %+v", style, script)
		t.Logf("%s: iframe %+v", style, frame)

		fg, bg := "rgb(26, 26, 26)", "rgb(255, 255, 255)"
		if style == "dark" {
			fg, bg = "rgb(232, 234, 237)", "rgb(22, 24, 29)"
		}
		for name, v := range map[string]widgetView{"embed.js": script, "iframe": frame} {
			if v.Heading != "Headlines: Russia" || v.More != e.srv.URL+"/?country=RU" {
				t.Errorf("%s %s: heading %q, More headlines → %q", style, name, v.Heading, v.More)
			}
			if len(v.Titles) != 5 || v.Titles[0] != hostile || v.Links[0] != hostileLink {
				t.Errorf("%s %s: %d headlines, first %q → %q; want 5, the markup as text, linking to %s", style, name, len(v.Titles), v.Titles, v.Links, hostileLink)
			}
			if v.Markup != 0 {
				t.Errorf("%s %s: %d script or img elements", style, name, v.Markup)
			}
			// The host's a, body, div and element rules reach neither widget.
			if v.LinkColor != fg || v.LinkDecoration != "none" || !strings.HasPrefix(v.Font, "system-ui") || v.ItemFontSize != "15px" || v.Background != bg || v.Dashed != 0 {
				t.Errorf("%s %s: link %s %s, font %q, item %s, background %s, %d dashed; want %s, none, system-ui…, 15px, %s, 0",
					style, name, v.LinkColor, v.LinkDecoration, v.Font, v.ItemFontSize, v.Background, v.Dashed, fg, bg)
			}
		}
		if strings.Join(script.Dates, "|") != strings.Join(frame.Dates, "|") || strings.Join(script.Titles, "|") != strings.Join(frame.Titles, "|") {
			t.Errorf("%s: embed.js shows %q on %q, the iframe %q on %q", style, script.Titles, script.Dates, frame.Titles, frame.Dates)
		}
		if len(frame.Dates) == 0 || frame.Dates[0] != "2 Jul 2025" {
			t.Errorf("%s: dates %q, want the first 2 Jul 2025", style, frame.Dates)
		}
		// The iframe's content fits the 400×600 the snippet gives it.
		if frame.ViewportW != 400 || frame.ViewportH != 600 || frame.ScrollW > 400 || frame.ScrollH > 600 ||
			frame.FullyVisible != frame.Items || frame.FooterBottom > 600 {
			t.Errorf("%s: the iframe (%v×%v) holds %v×%v of content, %d of %d headlines fully visible, footer ends at %v",
				style, frame.ViewportW, frame.ViewportH, frame.ScrollW, frame.ScrollH, frame.FullyVisible, frame.Items, frame.FooterBottom)
		}
		// And the widget's styles stay inside it.
		if host[0] != "rgb(255, 0, 0)" || host[1] != "serif" || host[2] != "0px" {
			t.Errorf("%s: the host's own link and paragraph are styled %q", style, host)
		}
		t.Logf("screenshot of the %s partner page (%s): %s", style, partner.URL, shot)
	}
	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened: injected script ran", n)
	}
}

// TestWidgetFitsWithManyHeadlines frames the widget with 20 headlines in
// the snippet's 400×600, light and dark: the page never grows past the
// frame, the footer stays in view and the list scrolls inside it.
func TestWidgetFitsWithManyHeadlines(t *testing.T) {
	e := newEnv(t, "sqlite")
	for i := range 12 {
		e.do(req{method: "POST", path: "/v1/articles", key: true,
			body: fmt.Sprintf(`{"title":"A long headline number %d about border crossings, trade talks, troop movements and sanctions relief between neighbours","summary":"s","countries":["RU"]}`, i)})
	}
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><iframe src="%s/embed/headlines?style=%s" width="400" height="600" style="border:0"></iframe>`, e.srv.URL, r.URL.Query().Get("style"))
	}))
	defer partner.Close()
	ctx, _ := browser(t)
	for _, style := range []string{"light", "dark"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(partner.URL+"/?style="+style), chromedp.WaitReady(chromedp.CSS(`iframe`))); err != nil {
			t.Fatal(err)
		}
		frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`iframe`)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`footer a`), chromedp.FromNode(frames[0]))); err != nil {
			t.Fatal(err)
		}
		v, err := frameEval[widgetView](ctx, frames[0], `function() { return (`+readWidget+`)(this); }`)
		if err != nil {
			t.Fatal(err)
		}
		screenshot(t, ctx, "widget-20-"+style+".png")
		if v.Items != 20 || v.ScrollH > 600 || v.ScrollW > 400 || v.FooterBottom > 600 || !v.ListScrolls || v.FullyVisible < 3 {
			t.Errorf("%s: %d headlines, %v×%v of content in 400×600, footer ends at %v, list scrolls %v, %d fully visible",
				style, v.Items, v.ScrollW, v.ScrollH, v.FooterBottom, v.ListScrolls, v.FullyVisible)
		}
	}
}

// TestFrontPagePagingInBrowser follows Older from the front page to the
// second page and back to the newest.
func TestFrontPagePagingInBrowser(t *testing.T) {
	e := newEnv(t, "sqlite")
	var items []string
	for i := range 25 {
		items = append(items, fmt.Sprintf(`{"title":"Older note %02d","countries":["RU"],"published_at":"2024-01-01T00:%02d:00Z"}`, i, i))
	}
	if r := e.do(req{method: "POST", path: "/v1/articles/batch", key: true, body: `{"articles":[` + strings.Join(items, ",") + `]}`}); r.status != http.StatusMultiStatus {
		t.Fatal(r.status)
	}
	ctx, _ := browser(t)
	titles := chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#headlines a.title')).map(a => a.textContent)`)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#older`))); err != nil {
		t.Fatal(err)
	}
	first, err := chromedp.Run(ctx, titles)
	if err != nil {
		t.Fatal(err)
	}
	total, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(`#total`)))
	shot := screenshot(t, ctx, "front-page.png")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#older`)), chromedp.WaitVisible(chromedp.CSS(`#newest`))); err != nil {
		t.Fatal(err)
	}
	second, err := chromedp.Run(ctx, titles)
	if err != nil {
		t.Fatal(err)
	}
	location, _ := chromedp.Run(ctx, chromedp.Location())
	shot2 := screenshot(t, ctx, "front-page-older.png")
	if total != "35 headlines" || len(first) != 20 || len(second) != 15 || first[19] == second[0] || !strings.Contains(location, "/?cursor=") {
		t.Errorf("%s; page 1: %d headlines, page 2 (%s): %d: %q", total, len(first), location, len(second), second)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#newest`)), chromedp.WaitVisible(chromedp.CSS(`#older`))); err != nil {
		t.Fatal(err)
	}
	again, _ := chromedp.Run(ctx, titles)
	if strings.Join(again, "|") != strings.Join(first, "|") {
		t.Errorf("back to the newest: %q", again)
	}
	// A headline without a url opens its page for people.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#headlines a.title[href*="/articles/"]`)), chromedp.WaitVisible(chromedp.CSS(`main.page h1`))); err != nil {
		t.Fatal(err)
	}
	heading, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(`main.page h1`)))
	ogTitle, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`meta[property="og:title"]`), "content"))
	shot3 := screenshot(t, ctx, "article-page.png")
	if !strings.HasPrefix(heading, "Russia plans") || ogTitle.Value != heading {
		t.Errorf("article page: heading %q, og:title %q", heading, ogTitle.Value)
	}
	// A mistyped filter is a page that says what is wrong.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/?country=Narnia"), chromedp.WaitVisible(chromedp.CSS(`#back`))); err != nil {
		t.Fatal(err)
	}
	problem, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(`ul.fields`)))
	shot4 := screenshot(t, ctx, "front-page-error.png")
	if !strings.Contains(problem, `unknown country "Narnia"`) {
		t.Errorf("error page says %q", problem)
	}
	t.Logf("screenshots: %s, %s, %s, %s", shot, shot2, shot3, shot4)
}

// TestFrontPageChipsInBrowser clicks a theme chip on the front page and
// sees the list narrow to that theme.
func TestFrontPageChipsInBrowser(t *testing.T) {
	e := newEnv(t, "sqlite")
	ctx, dialogs := browser(t)
	count := chromedp.Evaluate[int](`document.querySelectorAll('#headlines li').length`)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#headlines li`))); err != nil {
		t.Fatal(err)
	}
	before, err := chromedp.Run(ctx, count)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#theme-chips a[data-key="trade"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#theme-chips a.on[data-key="trade"]`)),
	); err != nil {
		t.Fatal(err)
	}
	after, err := chromedp.Run(ctx, count)
	if err != nil {
		t.Fatal(err)
	}
	location, _ := chromedp.Run(ctx, chromedp.Location())
	heading, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`h1`)))
	screenshot(t, ctx, "front-page-trade.png")
	if before != 10 || after != 1 || !strings.HasSuffix(location, "/?theme=trade") || heading != "Headlines: Trade" {
		t.Errorf("before %d, after %d headlines, at %s, heading %q", before, after, location, heading)
	}
	if dialogs.Load() != 0 {
		t.Error("a dialog opened")
	}
}

// errorView is what a test reads off a widget that shows an error, in
// the iframe or in embed.js's shadow root.
type errorView struct {
	Heading, Lead, Text, Background, Font  string
	Fields                                 []string
	ViewportW, ViewportH, ScrollW, ScrollH float64
}

const readError = `function(root) {
	const w = root.querySelector('.widget');
	if (!w) return {};
	const doc = w.ownerDocument.documentElement;
	const p = w.querySelector('.problem');
	return {
		heading: w.querySelector('h1').textContent, text: w.textContent,
		lead: p ? p.querySelector('.lead').textContent : '',
		fields: p ? Array.from(p.querySelectorAll('.field')).map(e => e.textContent) : [],
		background: getComputedStyle(w).backgroundColor, font: getComputedStyle(w).fontFamily,
		viewportW: doc.clientWidth, viewportH: doc.clientHeight, scrollW: doc.scrollWidth, scrollH: doc.scrollHeight,
	};
}`

// TestWidgetErrorsInBrowser pastes widgets with wrong parameters into a
// partner page on another origin, as a partner who mistyped them would:
// each iframe shows, inside the frame and in the widget's look, which
// parameter is wrong and what it allows (not a browser's broken-page
// icon), and embed.js shows the API's reason as text and warns in the
// console, instead of blaming an outage.
func TestWidgetErrorsInBrowser(t *testing.T) {
	e := newEnv(t, "sqlite")
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Partner</title><style>
body { font-family: serif; color: green; } a { color: red; } div { border: 3px dashed purple; }
</style></head><body><h1>A partner's mistakes</h1><table><tr>
<td style="width:420px"><div data-headlines data-country="Narnia" data-limit="500"></div><script src="%[1]s/embed.js" async></script></td>
<td><iframe id="neon" src="%[1]s/embed/headlines?country=RU&amp;style=neon" width="400" height="600" style="border:0"></iframe></td>
<td><iframe id="narnia" src="%[1]s/embed/headlines?country=Narnia&amp;style=dark" width="400" height="600" style="border:0"></iframe></td>
</tr></table></body></html>`, e.srv.URL)
	}))
	defer partner.Close()

	ctx, dialogs := browser(t)
	var warnings atomic.Value // []string
	warnings.Store([]string(nil))
	go func() {
		for ev, err := range chromedp.Events(ctx, runtime.ConsoleAPICalled) {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeWarning && len(ev.Args) > 0 {
				warnings.Store(append(warnings.Load().([]string), fmt.Sprint(string(ev.Args[0].Value))))
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate(partner.URL+"/"), chromedp.WaitReady(chromedp.CSS(`div[data-headlines]`))); err != nil {
		t.Fatal(err)
	}
	var script errorView
	for range 100 { // until embed.js has rendered
		v, err := chromedp.Run(ctx, chromedp.Evaluate[errorView](`(`+readError+`)(document.querySelector('div[data-headlines]').shadowRoot || document.createElement('div'))`, chromedp.EvalIgnoreExceptions))
		if err == nil && v.Heading != "" {
			script = v
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	frames := map[string]errorView{}
	for _, id := range []string{"neon", "narnia"} {
		nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`iframe#`+id)))
		if err != nil || len(nodes) != 1 {
			t.Fatalf("iframe %s: %v", id, err)
		}
		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err = chromedp.Run(wait, chromedp.Nodes(chromedp.CSS(`.widget .problem`), chromedp.FromNode(nodes[0])))
		cancel()
		if err != nil {
			t.Errorf("iframe %s shows no widget error (blocked by its response?): %v", id, err)
			continue
		}
		v, err := frameEval[errorView](ctx, nodes[0], `function() { return (`+readError+`)(this); }`)
		if err != nil {
			t.Fatal(err)
		}
		frames[id] = v
	}
	shot := screenshot(t, ctx, "partner-page-errors.png")
	t.Logf("embed.js: %+v", script)
	t.Logf("iframes: %+v", frames)

	if script.Lead != "This widget's settings are wrong:" || len(script.Fields) == 0 ||
		!strings.HasPrefix(script.Fields[0], `country: unknown country "Narnia"; use an ISO 3166-1 code`) ||
		strings.Contains(script.Text, "unavailable") || !strings.HasPrefix(script.Font, "system-ui") {
		t.Errorf("embed.js with data-country=Narnia shows %q", script.Text)
	}
	for id, want := range map[string]string{"neon": "style: must be light or dark", "narnia": `country: unknown country "Narnia"`} {
		v := frames[id]
		if v.Lead != "This widget's settings are wrong:" || len(v.Fields) != 1 || !strings.HasPrefix(v.Fields[0], want) {
			t.Errorf("iframe %s shows %q, want %q", id, v.Text, want)
		}
		// The widget's look, in the frame's 400×600.
		if !strings.HasPrefix(v.Font, "system-ui") || v.ViewportW != 400 || v.ViewportH != 600 || v.ScrollW > 400 || v.ScrollH > 600 {
			t.Errorf("iframe %s: font %q, %v×%v of content in %v×%v", id, v.Font, v.ScrollW, v.ScrollH, v.ViewportW, v.ViewportH)
		}
	}
	if bg := frames["narnia"].Background; bg != "rgb(22, 24, 29)" {
		t.Errorf("the dark widget's error has background %s", bg)
	}
	var warned bool
	for range 20 {
		for _, w := range warnings.Load().([]string) {
			warned = warned || strings.Contains(w, `headlines widget: country: unknown country`)
		}
		if warned {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !warned {
		t.Errorf("embed.js did not warn in the console; warnings: %q", warnings.Load())
	}
	if dialogs.Load() != 0 {
		t.Error("a dialog opened")
	}
	t.Logf("screenshot of the partner page with wrong widget parameters (%s): %s", partner.URL, shot)
}

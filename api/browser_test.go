package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
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

// TestPartnerPageInBrowser serves a partner page from another origin that
// uses /embed.js and frames /embed/headlines, opens it in Chromium, and
// checks that the headlines show, link where they should, and that a
// title made of markup shows as text and runs nothing.
func TestPartnerPageInBrowser(t *testing.T) {
	e := newEnv(t, "sqlite")
	hostile := `<img src=x onerror=alert(1)>`
	ids := map[string]int{}
	for _, body := range []string{
		fmt.Sprintf(`{"title":%q,"countries":["RU"],"url":"https://example.com/hostile","published_at":"2025-07-02T00:00:00Z"}`, hostile),
		fmt.Sprintf(`{"title":%q,"countries":["KP"],"published_at":"2025-07-02T00:00:00Z"}`, hostile+" in the frame"),
	} {
		r := e.do(req{method: "POST", path: "/v1/articles", key: true, body: body})
		if r.status != 201 {
			t.Fatal(r.status)
		}
		ids[r.json(t)["title"].(string)] = int(r.json(t)["id"].(float64))
	}
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Partner</title></head><body>
<h1>A partner's page</h1>
<div id="widget" data-headlines data-country="RU" data-limit="4"></div>
<iframe id="frame" src="%[1]s/embed/headlines?country=KP&amp;limit=4&amp;style=dark" width="600" height="420"></iframe>
<script src="%[1]s/embed.js"></script>
</body></html>`, e.srv.URL)
	}))
	defer partner.Close()

	ctx, dialogs := browser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(partner.URL),
		chromedp.WaitVisible(chromedp.CSS(`#widget li a`)),
		chromedp.Sleep(300*time.Millisecond), // time for any onerror to fire
	); err != nil {
		t.Fatal(err)
	}
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`Array.from(document.querySelectorAll('#widget li a')).map(a => [a.textContent, a.href])`))
	if err != nil {
		t.Fatal(err)
	}
	images, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#widget img').length`))
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 4 {
		t.Fatalf("the script rendered %d headlines, want 4: %v", len(links), links)
	}
	if links[0][0] != hostile || links[0][1] != "https://example.com/hostile" {
		t.Errorf("first headline %q → %q, want the markup as text, linking to its url", links[0][0], links[0][1])
	}
	if !strings.HasPrefix(links[1][0], "Russia plans to build") || !strings.HasPrefix(links[1][1], e.srv.URL+"/v1/articles/") {
		t.Errorf("second headline %q → %q, want a demo story linking into the API", links[1][0], links[1][1])
	}
	if images != 0 {
		t.Errorf("the widget contains %d img elements", images)
	}

	// Inside the iframe, served from the API's origin.
	frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`#frame`)))
	if err != nil || len(frames) != 1 {
		t.Fatalf("iframe: %v", err)
	}
	frameLinks, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`li a`), chromedp.FromNode(frames[0])))
	if err != nil {
		t.Fatal(err)
	}
	if len(frameLinks) != 4 {
		t.Fatalf("the iframe shows %d headlines, want 4", len(frameLinks))
	}
	frameTitle, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`li a`), chromedp.FromNode(frames[0])))
	if err != nil {
		t.Fatal(err)
	}
	wantHref := fmt.Sprintf("%s/v1/articles/%d", e.srv.URL, ids[hostile+" in the frame"])
	if frameTitle != hostile+" in the frame" || frameLinks[0].AttributeValue("href") != wantHref {
		t.Errorf("iframe first headline %q → %q, want %q", frameTitle, frameLinks[0].AttributeValue("href"), wantHref)
	}
	path := screenshot(t, ctx, "partner-page.png")
	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened: injected script ran", n)
	}
	t.Logf("the partner page (%s) shows the script widget and the iframe widget; screenshot at %s", partner.URL, path)
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

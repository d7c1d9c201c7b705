package api

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
)

//go:embed web
var webFiles embed.FS

func mustRead(name string) string {
	b, err := webFiles.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return string(b)
}

var (
	// The stylesheets are our own embedded files, passed to the templates
	// as trusted CSS; no request data reaches them.
	widgetCSS  = mustRead("web/widget.css")
	homeCSS    = mustRead("web/home.css")
	embedJS    = []byte(mustRead("web/embed.js"))
	widgetCSSv = template.CSS(widgetCSS) //nolint:gosec // an embedded file, not input
	homeCSSv   = template.CSS(homeCSS)   //nolint:gosec // an embedded file, not input
	widgetPage = template.Must(template.New("widget").Parse(mustRead("web/widget.html")))
	homePage   = template.Must(template.New("home").Parse(mustRead("web/home.html")))
)

// styleHash is the CSP source that allows exactly one inline stylesheet.
func styleHash(css string) string {
	sum := sha256.Sum256([]byte(css))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

var (
	// widgetCSP: nothing runs, nothing loads, only its own stylesheet;
	// any page may frame it.
	widgetCSP = "default-src 'none'; style-src " + styleHash(widgetCSS) + "; base-uri 'none'; form-action 'none'; frame-ancestors *"
	// homeCSP: no scripts at all; the preview frames the widget.
	homeCSP = "default-src 'none'; style-src " + styleHash(homeCSS) + "; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

// item is an article as the pages show it.
type item struct {
	Title, Summary, Link, Source, ISO, When, Tags string
}

func (h *handlers) pageItem(c echo.Context, a news.Article) item {
	link := a.URL
	if link == "" {
		link = baseURL(c) + "/v1/articles/" + strconv.FormatInt(a.ID, 10)
	}
	return item{
		Title: a.Title, Summary: a.Summary, Link: link, Source: a.Source,
		ISO: a.PublishedAt.UTC().Format(time.RFC3339), When: a.PublishedAt.UTC().Format("2 Jan 2006"),
		Tags: strings.Join(append(append([]string{}, a.Countries...), a.Themes...), ", "),
	}
}

func render(c echo.Context, t *template.Template, csp string, data any) error {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Security-Policy", csp)
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// embedHeadlines godoc
//
//	@Summary		Headlines widget for an iframe
//	@Description	A self-contained HTML page with the newest headlines matching the list filters, for partner sites to frame. It runs no script and loads nothing else.
//	@Tags			widget
//	@ID				embedHeadlines
//	@Produce		html,application/problem+json
//	@Param			country	query		[]string	false	"any of these countries"	collectionFormat(csv)	example(RU)
//	@Param			theme	query		[]string	false	"any of these themes"		collectionFormat(csv)	example(trade)
//	@Param			limit	query		int			false	"number of headlines"		minimum(1)				maximum(100)	default(20)
//	@Param			style	query		string		false	"colours"					Enums(light, dark)		default(light)
//	@Success		200		{string}	string		"the widget"
//	@Failure		400		{object}	Problem
//	@Failure		503		{object}	Problem	"busy with expensive reads (a search, several tags), or the database is unavailable; Retry-After says when to try again"
//	@Router			/embed/headlines [get]
func (h *handlers) embedHeadlines(c echo.Context) error {
	query := c.QueryParams()
	style := "light"
	if v, ok := query["style"]; ok {
		if len(v) != 1 || (v[0] != "light" && v[0] != "dark") {
			return news.FieldErrorf(news.EInvalid, "style", "must be light or dark")
		}
		style = v[0]
		query = cloneQuery(query)
		query.Del("style")
	}
	ctx := c.Request().Context()
	lr, err := parseList(ctx, query, filterParams, h.vocab, h.cursors, false)
	if err != nil {
		return err
	}
	page, err := h.list(c, lr.filter)
	if err != nil {
		return err
	}
	items := make([]item, len(page.Articles))
	for i, a := range page.Articles {
		items[i] = h.pageItem(c, a)
	}
	// "More headlines" goes to the front page, which filters by one
	// country and one theme and takes nothing else (a limit would be a 400).
	mq := url.Values{}
	if len(lr.filter.Countries) == 1 {
		mq.Set("country", lr.filter.Countries[0])
	}
	if len(lr.filter.Themes) == 1 {
		mq.Set("theme", lr.filter.Themes[0])
	}
	more := baseURL(c) + "/"
	if q := mq.Encode(); q != "" {
		more += "?" + q
	}
	return render(c, widgetPage, widgetCSP, map[string]any{
		"Title": h.feedTitle(ctx, lr.filter), "Style": style, "CSS": widgetCSSv, "Items": items, "More": more,
	})
}

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// embedScript godoc
//
//	@Summary		Headlines widget script
//	@Description	Renders the newest headlines into every div with a data-headlines attribute (data-country, data-theme, data-limit and the other filters as data- attributes) through the public JSON API, inserting text as text.
//	@Tags			widget
//	@ID				embedScript
//	@Produce		text/javascript
//	@Success		200	{string}	string	"the script"
//	@Router			/embed.js [get]
func (h *handlers) embedScript(c echo.Context) error {
	return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", embedJS)
}

// OEmbed is an oEmbed 1.0 rich response.
type OEmbed struct {
	Version      string `validate:"required" json:"version" example:"1.0"`
	Type         string `validate:"required" json:"type" example:"rich"`
	Title        string `json:"title" example:"Headlines: Russia · Trade"`
	ProviderName string `json:"provider_name" example:"headlines"`
	ProviderURL  string `json:"provider_url" example:"https://headlines.example.com/"`
	HTML         string `validate:"required" json:"html"`
	Width        int    `validate:"required" json:"width" example:"400"`
	Height       int    `validate:"required" json:"height" example:"600"`
	CacheAge     int    `json:"cache_age" example:"300"`
} //	@name	OEmbed

// oembed godoc
//
//	@Summary		oEmbed for widget URLs
//	@Description	Given the URL of a widget of this server (/embed/headlines?…), answers an oEmbed rich object whose html is the iframe, so that CMSs that speak oEmbed embed the widget from its link. Other URLs are 404.
//	@Tags			widget
//	@ID				oembed
//	@Produce		json,application/problem+json
//	@Param			url			query		string	true	"a widget URL of this server"
//	@Param			format		query		string	false	"only json"	Enums(json)
//	@Param			maxwidth	query		int		false	"largest width the consumer can show"
//	@Param			maxheight	query		int		false	"largest height the consumer can show"
//	@Success		200			{object}	OEmbed
//	@Failure		400			{object}	Problem
//	@Failure		404			{object}	Problem	"not a widget URL of this server"
//	@Failure		501			{object}	Problem	"a format other than json"
//	@Router			/oembed [get]
func (h *handlers) oembed(c echo.Context) error {
	q := c.QueryParams()
	for name, v := range q {
		switch name {
		case "url", "format", "maxwidth", "maxheight":
			if len(v) != 1 {
				return news.FieldErrorf(news.EInvalid, name, "may be given only once")
			}
		default:
			return news.FieldErrorf(news.EInvalid, name, "is not a parameter of this endpoint")
		}
	}
	if f := q.Get("format"); f != "" && f != "json" {
		return echo.NewHTTPError(http.StatusNotImplemented, "only format=json is served")
	}
	width, height := 400, 600
	for _, p := range []struct {
		name string
		dst  *int
	}{{"maxwidth", &width}, {"maxheight", &height}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return news.FieldErrorf(news.EInvalid, p.name, "must be a positive whole number")
			}
			*p.dst = min(*p.dst, n)
		}
	}
	raw := q.Get("url")
	if raw == "" {
		return news.FieldErrorf(news.EInvalid, "url", "is required")
	}
	u, err := url.Parse(raw)
	base, _ := url.Parse(baseURL(c))
	if err != nil || u.Host != base.Host || (u.Scheme != "http" && u.Scheme != "https") || u.Path != "/embed/headlines" {
		return news.Errorf(news.ENotFound, "no widget of this server at %q", raw)
	}
	// The widget URL's own query is read as strictly as a request's: a
	// semicolon or broken escape in it would drop a filter silently.
	var qerr *news.Error
	if errors.As(checkQuery(u.RawQuery), &qerr) {
		return news.FieldErrorf(news.EInvalid, "url", "the widget URL's query: %s", qerr.Message)
	}
	ctx := c.Request().Context()
	wq := cloneQuery(u.Query())
	wq.Del("style")
	lr, err := parseList(ctx, wq, filterParams, h.vocab, h.cursors, false)
	if err != nil {
		return news.Errorf(news.ENotFound, "no widget of this server at %q: %v", raw, err)
	}
	src := base.Scheme + "://" + base.Host + "/embed/headlines"
	if enc := u.Query().Encode(); enc != "" {
		src += "?" + enc
	}
	title := h.feedTitle(ctx, lr.filter)
	return c.JSON(http.StatusOK, OEmbed{
		Version: "1.0", Type: "rich", Title: title, ProviderName: "headlines", ProviderURL: base.Scheme + "://" + base.Host + "/",
		HTML: fmt.Sprintf(`<iframe src="%s" width="%d" height="%d" title="%s" loading="lazy" style="border:0"></iframe>`,
			html.EscapeString(src), width, height, html.EscapeString(title)),
		Width: width, Height: height, CacheAge: 300,
	})
}

// chip is a filter link of the front page.
type chip struct {
	Key, Label, Href string
	Count            int
	On               bool
}

// home is the front page for people: the latest headlines, chips to
// filter them, and how to take them elsewhere (feeds, widget, API).
func (h *handlers) home(c echo.Context) error {
	ctx := c.Request().Context()
	query := c.QueryParams()
	lr, err := parseList(ctx, query, map[string]listParam{"country": {}, "theme": {}}, h.vocab, h.cursors, false)
	if err != nil {
		return err
	}
	lr.filter.Facets = []string{news.FacetCountry, news.FacetTheme}
	lr.filter.IncludeTotal = true
	page, err := h.list(c, lr.filter)
	if err != nil {
		return err
	}
	current := map[string]string{}
	if len(lr.filter.Countries) == 1 {
		current["country"] = lr.filter.Countries[0]
	}
	if len(lr.filter.Themes) == 1 {
		current["theme"] = lr.filter.Themes[0]
	}
	href := func(param, key string) string {
		v := url.Values{}
		for p, k := range current {
			v.Set(p, k)
		}
		if current[param] == key {
			v.Del(param) // clicking the active chip clears it
		} else {
			v.Set(param, key)
		}
		if len(v) == 0 {
			return "/"
		}
		return "/?" + v.Encode()
	}
	chips := func(param string, counts []news.FacetCount, label func(string) string) []chip {
		out := make([]chip, len(counts))
		for i, fc := range counts {
			out[i] = chip{Key: fc.Key, Label: label(fc.Key), Href: href(param, fc.Key), Count: fc.Count, On: current[param] == fc.Key}
		}
		return out
	}
	countryName, themeName := h.namers(ctx)
	items := make([]item, len(page.Articles))
	for i, a := range page.Articles {
		items[i] = h.pageItem(c, a)
	}
	qs := url.Values{}
	for p, k := range current {
		qs.Set(p, k)
	}
	query2 := ""
	if len(qs) > 0 {
		query2 = "?" + qs.Encode()
	}
	base := baseURL(c)
	snippet := "<div data-headlines"
	for _, p := range []string{"country", "theme"} {
		if current[p] != "" {
			snippet += fmt.Sprintf(` data-%s="%s"`, p, current[p])
		}
	}
	snippet += ` data-limit="5"></div>` + "\n" + `<script src="` + base + `/embed.js" async></script>`
	widget := base + "/embed/headlines" + query2
	total := 0
	if page.Total != nil {
		total = *page.Total
	}
	return render(c, homePage, homeCSP, map[string]any{
		"Title": h.feedTitle(ctx, lr.filter), "CSS": homeCSSv, "Filtered": len(current) > 0,
		"Countries": chips("country", page.Facets[news.FacetCountry], countryName),
		"Themes":    chips("theme", page.Facets[news.FacetTheme], themeName),
		"Items":     items, "Total": total, "Query": query2, "Snippet": snippet, "Widget": widget,
		"IframeSnippet": fmt.Sprintf(`<iframe src="%s" width="400" height="600" style="border:0"></iframe>`, widget),
	})
}

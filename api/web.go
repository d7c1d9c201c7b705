package api

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"slices"
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
	// as trusted CSS; no request data reaches them. The widget's is also
	// the stylesheet embed.js puts into each widget's shadow root, so the
	// iframe and the script look alike; the front page's serves every page
	// for people (front page, article pages, error pages).
	widgetCSS   = mustRead("web/widget.css")
	homeCSS     = mustRead("web/home.css")
	embedJS     = []byte(withCSS(mustRead("web/embed.js"), widgetCSS))
	widgetCSSv  = template.CSS(widgetCSS) //nolint:gosec // an embedded file, not input
	homeCSSv    = template.CSS(homeCSS)   //nolint:gosec // an embedded file, not input
	widgetPage  = template.Must(template.New("widget").Parse(mustRead("web/widget.html")))
	homePage    = template.Must(template.New("home").Parse(mustRead("web/home.html")))
	articlePage = template.Must(template.New("article").Parse(mustRead("web/article.html")))
	errorPage   = template.Must(template.New("error").Parse(mustRead("web/error.html")))
)

// withCSS puts css into the script where it says /*WIDGET_CSS*/"", as a
// JavaScript string literal (JSON's, with <, > and & escaped).
func withCSS(js, css string) string {
	const mark = `/*WIDGET_CSS*/""`
	lit, err := json.Marshal(css)
	if err != nil || !strings.Contains(js, mark) {
		panic("embed.js has no place for the widget stylesheet") // embedded at build time
	}
	return strings.Replace(js, mark, string(lit), 1)
}

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
	// pageCSP: article and error pages show text and their stylesheet only.
	pageCSP = "default-src 'none'; style-src " + styleHash(homeCSS) + "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

// item is an article as the pages show it.
type item struct {
	Title, Summary, Link, Source, ISO, When, Tags string
}

func (h *handlers) pageItem(c echo.Context, a news.Article) item {
	link := a.URL
	if link == "" { // the article's page for people, never the JSON
		link = baseURL(c) + articlePath(a.ID)
	}
	return item{
		Title: a.Title, Summary: a.Summary, Link: link, Source: a.Source,
		ISO: isoDate(a.PublishedAt), When: day(a.PublishedAt),
		Tags: strings.Join(append(append([]string{}, a.Countries...), a.Themes...), ", "),
	}
}

// day is the one date format of the pages and widgets, embed.js included:
// "2 Jan 2006", in UTC.
func day(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

func articlePath(id int64) string { return "/articles/" + strconv.FormatInt(id, 10) }

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
//	@Produce		html
//	@Param			country		query		[]string	false	"any of these countries"																							collectionFormat(csv)	example(RU)
//	@Param			country_all	query		[]string	false	"all of these countries"																							collectionFormat(csv)
//	@Param			country_not	query		[]string	false	"none of these countries (one that country_all requires, or every value of country, is a 400: nothing could match)"	collectionFormat(csv)
//	@Param			theme		query		[]string	false	"any of these themes"																								collectionFormat(csv)	example(trade)
//	@Param			theme_all	query		[]string	false	"all of these themes"																								collectionFormat(csv)
//	@Param			theme_not	query		[]string	false	"none of these themes (one that theme_all requires, or every value of theme, is a 400: nothing could match)"		collectionFormat(csv)
//	@Param			q			query		string		false	"full-text search"
//	@Param			source		query		string		false	"exact source"
//	@Param			section		query		string		false	"exact section"
//	@Param			language	query		string		false	"exact language"
//	@Param			limit		query		int			false	"number of headlines"	minimum(1)			maximum(100)	default(20)
//	@Param			style		query		string		false	"colours"				Enums(light, dark)	default(light)
//	@Success		200			{string}	string		"the widget"
//	@Failure		400			{string}	string		"a wrong setting: the widget itself, in its own frame, naming the parameter and what it takes"
//	@Failure		503			{string}	string		"busy with expensive reads, or the database is unavailable: the widget says so; Retry-After says when to try again"
//	@Router			/embed/headlines [get]
func (h *handlers) embedHeadlines(c echo.Context) error {
	query := withoutTracking(c.QueryParams())
	style := "light"
	if v, ok := query["style"]; ok {
		if len(v) != 1 || (v[0] != "light" && v[0] != "dark") {
			return news.FieldErrorf(news.EInvalid, "style", "must be light or dark")
		}
		style = v[0]
		query = cloneQuery(query)
		query.Del("style")
	}
	lr, err := parseList(query, widgetParams, h.vocab.Vocabulary(), h.cursors, false)
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
	// "More headlines" goes to the front page with the widget's countries
	// and themes, the only parameters it takes: whatever else the widget
	// was given (limit, style, q, …) stays behind.
	more := baseURL(c) + "/" + frontQuery(lr.filter, "")
	// Consumers that speak oEmbed find the provider from the widget page.
	widgetURL := baseURL(c) + widgetPath
	if q := withoutTracking(c.QueryParams()).Encode(); q != "" {
		widgetURL += "?" + q
	}
	return render(c, widgetPage, widgetCSP, map[string]any{
		"Title": h.feedTitle(lr.filter), "Style": style, "CSS": widgetCSSv, "Items": items, "More": more, "MoreText": "More headlines",
		"OEmbed": baseURL(c) + "/oembed?url=" + url.QueryEscape(widgetURL),
	})
}

// frontQuery is the front page's query for f's countries and themes (the
// only filters it takes), and a cursor when given: "" or "?country=…".
func frontQuery(f news.Filter, cursor string) string {
	v := url.Values{}
	if len(f.Countries) > 0 {
		v.Set("country", strings.Join(f.Countries, ","))
	}
	if len(f.Themes) > 0 {
		v.Set("theme", strings.Join(f.Themes, ","))
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// widgetParams are the widget page's parameters: the list filters and
// style (read before the filters, named here so that a mistyped parameter
// is told about it too).
var widgetParams = func() map[string]listParam {
	m := map[string]listParam{"style": {}}
	for k, v := range filterParams {
		m[k] = v
	}
	return m
}()

// oembedParams are the parameters of /oembed.
var oembedParams = []string{"format", "maxheight", "maxwidth", "url"}

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
//	@Param			url			query		string	true	"a widget URL of this server"	example(http://localhost:8080/embed/headlines?country=RU&limit=5)
//	@Param			format		query		string	false	"only json"						Enums(json)
//	@Param			maxwidth	query		int		false	"largest width the consumer can show"
//	@Param			maxheight	query		int		false	"largest height the consumer can show"
//	@Success		200			{object}	OEmbed
//	@Failure		400			{object}	Problem
//	@Failure		404			{object}	Problem	"not a widget URL of this server"
//	@Failure		501			{object}	Problem	"a format other than json"
//	@Router			/oembed [get]
func (h *handlers) oembed(c echo.Context) error {
	q := c.QueryParams()
	for _, name := range paramOrder(q) {
		v := q[name]
		switch name {
		case "url", "format", "maxwidth", "maxheight":
			if len(v) != 1 {
				return news.FieldErrorf(news.EInvalid, name, "may be given only once")
			}
		default:
			if _, widget := widgetParams[name]; widget && q.Has("url") {
				return unencodedWidgetURL(c, name)
			}
			return unknownParam(name, oembedParams)
		}
	}
	if f := q.Get("format"); f != "" && f != "json" {
		return echo.NewHTTPError(http.StatusNotImplemented, "only format=json is served")
	}
	width, height := widgetWidth, widgetHeight
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
	if err != nil || u.Host != base.Host || (u.Scheme != "http" && u.Scheme != "https") || u.Path != widgetPath {
		return news.Errorf(news.ENotFound, "no widget of this server at %q", raw)
	}
	// The widget URL's own query is read as strictly as a request's: a
	// semicolon or broken escape in it would drop a filter silently.
	var qerr *news.Error
	if errors.As(checkQuery(u.RawQuery), &qerr) {
		return news.FieldErrorf(news.EInvalid, "url", "the widget URL's query: %s", qerr.Message)
	}
	// The widget page ignores tracking parameters, and so does its oEmbed:
	// the iframe it hands out carries none.
	uq := withoutTracking(u.Query())
	src := base.Scheme + "://" + base.Host + widgetPath
	if enc := uq.Encode(); enc != "" {
		src += "?" + enc
	}
	uq.Del("style") // uq is this request's own copy
	lr, err := parseList(uq, filterParams, h.vocab.Vocabulary(), h.cursors, false)
	if err != nil {
		return news.Errorf(news.ENotFound, "no widget of this server at %q: %v", raw, err)
	}
	title := h.feedTitle(lr.filter)
	return c.JSON(http.StatusOK, OEmbed{
		Version: "1.0", Type: "rich", Title: title, ProviderName: "headlines", ProviderURL: base.Scheme + "://" + base.Host + "/",
		HTML:  iframeHTML(src, width, height, title, ` loading="lazy"`),
		Width: width, Height: height, CacheAge: 300,
	})
}

// unencodedWidgetURL is the 400 for a widget parameter (name) beside url:
// the widget URL was pasted without URL-encoding, so its & ended the url
// value and the rest arrived as parameters of /oembed. It shows the
// request as it was meant, encoded.
func unencodedWidgetURL(c echo.Context, name string) error {
	// The url value and the pieces that followed it and are not oEmbed's
	// own parameters make up the widget URL that was meant.
	var meant string
	var rest []string
	in := false
	for _, piece := range strings.Split(c.Request().URL.RawQuery, "&") {
		key, val, _ := strings.Cut(piece, "=")
		switch {
		case key == "url":
			meant, in = val, true
			if v, err := url.QueryUnescape(val); err == nil {
				meant = v
			}
		case in && !slices.Contains(oembedParams, key):
			meant += "&" + piece
		default:
			rest = append(rest, piece)
		}
	}
	fixed := "/oembed?" + strings.Join(append(rest, "url="+url.QueryEscape(meant)), "&")
	return news.FieldErrorf(news.EInvalid, "url",
		"must be URL-encoded: its & ended the url value, so the widget's %s arrived as a parameter of /oembed; send %s", name, fixed)
}

// headAsGet answers HEAD with what next answers GET, for handlers that
// take GET only (Swagger UI's): net/http sends no body for HEAD.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if r := c.Request(); r.Method == http.MethodHead {
			get := r.Clone(r.Context())
			get.Method = http.MethodGet
			c.SetRequest(get)
		}
		return next(c)
	}
}

// chip is a filter link of the front page.
type chip struct {
	Key, Label, Href string
	Count            int
	On               bool
}

// home is the front page for people: the latest headlines, chips to
// filter them, pages of older ones, and how to take them elsewhere (feeds,
// widget, API).
//
//	@Summary		The front page for people
//	@Description	An HTML page of the newest headlines with their total, chips to filter by country and theme, a link to older ones, and links to the feeds, the widget and the API docs. Errors are HTML pages too.
//	@Tags			widget
//	@ID				home
//	@Produce		html
//	@Param			country	query		[]string	false	"any of these countries (codes, names or aliases)"	collectionFormat(csv)	example(KP)
//	@Param			theme	query		[]string	false	"any of these themes (slugs, names or aliases)"		collectionFormat(csv)	example(troops)
//	@Param			cursor	query		string		false	"where the page starts: the Older link's cursor"
//	@Success		200		{string}	string		"the page"
//	@Failure		400		{string}	string		"a bad filter or cursor: an HTML page that says so"
//	@Failure		503		{string}	string		"busy with expensive reads, or the database is unavailable: an HTML page; Retry-After says when to try again"
//	@Router			/ [get]
func (h *handlers) home(c echo.Context) error {
	query := withoutTracking(c.QueryParams())
	lr, err := parseList(query, homeParams, h.vocab.Vocabulary(), h.cursors, false)
	if err != nil {
		return err
	}
	lr.filter.Facets = []string{news.FacetCountry, news.FacetTheme}
	lr.filter.IncludeTotal = true
	page, err := h.list(c, lr.filter)
	if err != nil {
		return err
	}
	countryName, themeName := h.namers()
	items := make([]item, len(page.Articles))
	for i, a := range page.Articles {
		items[i] = h.pageItem(c, a)
	}
	query2 := frontQuery(lr.filter, "")
	older := ""
	if page.Next != nil {
		older = "/" + frontQuery(lr.filter, h.cursors.encode(*page.Next, lr.filter))
	}
	snippet, widget := widgetSnippets(baseURL(c), lr.filter, query2)
	total := 0
	if page.Total != nil {
		total = *page.Total
	}
	title := h.feedTitle(lr.filter)
	return render(c, homePage, homeCSP, map[string]any{
		"Title": title, "CSS": homeCSSv, "Filtered": len(query2) > 0,
		"Countries": chips(lr.filter, "country", page.Facets[news.FacetCountry], countryName),
		"Themes":    chips(lr.filter, "theme", page.Facets[news.FacetTheme], themeName),
		"Items":     items, "Total": thousands(total), "Headlines": plural(total, "headline", "headlines"), "Query": query2,
		"Snippet": snippet, "Widget": widget, "Older": older, "Paged": lr.cursor != "", "Newest": "/" + query2,
		"IframeSnippet": iframeHTML(widget, widgetWidth, widgetHeight, title, ""),
	})
}

// chips are the front page's filter chips for the counts of one parameter
// (country or theme): each links to the page with its value chosen, the
// other parameter kept; the chosen one links to the page without it.
func chips(f news.Filter, param string, counts []news.FacetCount, label func(string) string) []chip {
	current := map[string]string{}
	if len(f.Countries) == 1 {
		current["country"] = f.Countries[0]
	}
	if len(f.Themes) == 1 {
		current["theme"] = f.Themes[0]
	}
	href := func(key string) string {
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
	out := make([]chip, len(counts))
	for i, fc := range counts {
		out[i] = chip{Key: fc.Key, Label: label(fc.Key), Href: href(fc.Key), Count: fc.Count, On: current[param] == fc.Key}
	}
	return out
}

// widgetSnippets are the front page's two ways to embed what it shows: the
// script snippet, and the widget's URL for the iframe snippet.
func widgetSnippets(base string, f news.Filter, query string) (script, widget string) {
	script = "<div data-headlines"
	for _, p := range []string{"country", "theme"} {
		if v := query2Value(f, p); v != "" {
			script += fmt.Sprintf(` data-%s="%s"`, p, v)
		}
	}
	script += ` data-limit="5"></div>` + "\n" + `<script src="` + base + `/embed.js" async></script>`
	// The iframe snippet shows what the script snippet shows, in the
	// size the oEmbed answer and the README give; the widget scrolls its
	// list inside that box when the headlines are longer.
	widget = base + widgetPath + query
	if query == "" {
		widget += "?limit=5"
	} else {
		widget += "&limit=5"
	}
	return script, widget
}

// The size of the iframe widget in every snippet (front page, oEmbed).
const widgetWidth, widgetHeight = 400, 600

// iframeHTML is the snippet that frames the widget at src; extra is more
// attributes (oEmbed's loading="lazy"), trusted, never from a request.
func iframeHTML(src string, width, height int, title, extra string) string {
	return fmt.Sprintf(`<iframe src="%s" width="%d" height="%d" title="%s"%s style="border:0"></iframe>`,
		html.EscapeString(src), width, height, html.EscapeString(title), extra)
}

func query2Value(f news.Filter, param string) string {
	if param == "country" {
		return strings.Join(f.Countries, ",")
	}
	return strings.Join(f.Themes, ",")
}

// thousands writes n with a comma between groups of three digits: 200,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// tag is a country or theme of an article page, linking to the front page
// filtered by it.
type tag struct{ Label, Href string }

// articleHTML godoc
//
//	@Summary		An article's page for people
//	@Description	The article as an HTML page: headline, summary, body, source, author, dates, countries and themes linking to the front page filtered by them, OpenGraph tags and a canonical link, a link to the story (when it has a url) and to its JSON. Widgets, the front page and feeds link here when a story has no url. Drafts are 404 without an editor key. Errors are HTML pages too.
//	@Tags			widget
//	@ID				articleHTML
//	@Produce		html
//	@Param			id				path		int		true	"article id"	example(3)
//	@Param			If-None-Match	header		string	false	"ETag of a copy the client holds"
//	@Success		200				{string}	string	"the page"
//	@Header			200				{string}	ETag	"changes when the page does"
//	@Success		304				"not modified"
//	@Failure		404				{string}	string	"no such article (or a draft, without an editor key): an HTML page"
//	@Failure		503				{string}	string	"the database is unavailable: an HTML page"
//	@Router			/articles/{id} [get]
func (h *handlers) articleHTML(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return news.Errorf(news.ENotFound, "there is no headline %q", c.Param("id"))
	}
	ctx := c.Request().Context()
	a, err := h.articles.Article(ctx, id, isEditor(c))
	if err != nil {
		return err
	}
	base := baseURL(c)
	countryName, themeName := h.namers()
	var tags []tag
	for _, code := range a.Countries {
		tags = append(tags, tag{Label: countryName(code), Href: "/?country=" + url.QueryEscape(code)})
	}
	var themes []tag
	for _, slug := range a.Themes {
		themes = append(themes, tag{Label: themeName(slug), Href: "/?theme=" + url.QueryEscape(slug)})
	}
	var body []string
	for _, p := range strings.Split(strings.ReplaceAll(a.Body, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			body = append(body, p)
		}
	}
	description := a.Summary
	if description == "" && len(body) > 0 {
		description = excerpt(body[0], 200)
	}
	if description == "" { // a headline alone: who published it, and when
		description = "Published " + day(a.PublishedAt)
		if a.Source != "" {
			description = a.Source + ", " + day(a.PublishedAt)
		}
	}
	storyHost := ""
	if u, err := url.Parse(a.URL); err == nil && a.URL != "" {
		storyHost = strings.TrimPrefix(u.Hostname(), "www.")
	}
	lang := a.Language
	if lang == "" {
		lang = defaultLanguage
	}
	return render(c, articlePage, pageCSP, map[string]any{
		"A": a, "CSS": homeCSSv, "Canonical": base + articlePath(a.ID), "JSON": "/v1/articles/" + strconv.FormatInt(a.ID, 10),
		"Description": description, "Body": body, "Countries": tags, "Themes": themes, "StoryHost": storyHost, "Lang": lang,
		"Published": day(a.PublishedAt), "PublishedISO": isoDate(a.PublishedAt),
		"Updated": day(a.UpdatedAt), "UpdatedISO": isoDate(a.UpdatedAt), "WasUpdated": day(a.UpdatedAt) != day(a.PublishedAt),
		"Draft": a.Status == news.StatusDraft,
	})
}

// excerpt cuts s to at most n runes at a word boundary, with an ellipsis.
func excerpt(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}

// forPeople reports whether path is a page for people, whose errors are
// HTML pages rather than problem+json.
// The widget page is framed by other sites, so its errors are the widget
// itself saying what is wrong: a problem+json answer in a frame is a
// broken-page icon.
func forPeople(path string) bool {
	return path == "/" || strings.HasPrefix(path, "/articles/") || path == widgetPath
}

// trackingParams are the parameters that sites and mail programs add to
// links they share (utm_* as well). Pages for people ignore them, so a
// shared link to the front page or a widget opens instead of a 400; the
// JSON API, whose clients write their own URLs, still refuses them.
var trackingParams = map[string]bool{"fbclid": true, "gclid": true, "dclid": true, "msclkid": true,
	"mc_cid": true, "mc_eid": true, "igshid": true, "twclid": true, "yclid": true}

// withoutTracking is q without the tracking parameters; q itself when it
// has none.
func withoutTracking(q url.Values) url.Values {
	var out url.Values
	for name := range q {
		if trackingParams[name] || strings.HasPrefix(name, "utm_") {
			if out == nil {
				out = cloneQuery(q)
			}
			out.Del(name)
		}
	}
	if out == nil {
		return q
	}
	return out
}

// homeParams are the front page's parameters.
var homeParams = map[string]listParam{"country": {csv: true}, "theme": {csv: true}, "cursor": {}}

// widgetPath is the iframe widget's page.
const widgetPath = "/embed/headlines"

// renderProblemPage answers p as an HTML page for a person, with a way
// back to the front page. The status, Retry-After and the like stay as the
// problem would have had them.
func renderProblemPage(c echo.Context, p Problem) {
	heading := p.Title
	switch p.Status {
	case http.StatusNotFound:
		heading = "No such headline"
	case http.StatusBadRequest:
		heading = "This page cannot be shown"
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		heading = "Busy right now: please try again in a moment"
	}
	var buf bytes.Buffer
	csp := pageCSP
	if c.Request().URL.Path == widgetPath {
		// In the widget's frame, size and colours, and framable like it.
		csp = widgetCSP
		_ = widgetPage.Execute(&buf, widgetProblem(c, p))
	} else {
		_ = errorPage.Execute(&buf, map[string]any{"P": p, "Heading": heading, "CSS": homeCSSv})
	}
	hdr := c.Response().Header()
	hdr.Set("Content-Security-Policy", csp)
	hdr.Set(echo.HeaderCacheControl, "no-store")
	if c.Request().Method == http.MethodHead {
		hdr.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		_ = c.NoContent(p.Status)
		return
	}
	_ = c.HTMLBlob(p.Status, buf.Bytes())
}

// widgetProblem is what the widget page shows instead of headlines when
// its request failed: for a mistake in its parameters (400), each one
// named with what it allows, so that whoever pasted the snippet can fix it.
func widgetProblem(c echo.Context, p Problem) map[string]any {
	style := "light"
	if c.QueryParams().Get("style") == "dark" {
		style = "dark"
	}
	lead := p.Title + ":"
	switch p.Status {
	case http.StatusBadRequest:
		lead = "This widget's settings are wrong:"
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		lead = "Headlines are unavailable right now; please try again in a moment."
		p.Detail, p.Errors = "", nil
	}
	return map[string]any{
		"Title": "Headlines", "Style": style, "CSS": widgetCSSv, "Problem": p, "Lead": lead,
		"More": baseURL(c) + "/#snippet", "MoreText": "How to embed these headlines",
	}
}

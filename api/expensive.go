package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
)

// QueryPool bounds the expensive reads: those whose cost grows with the
// number of articles rather than with the page (see isExpensive). A few
// of them run at once, each within a time limit; one more is refused at
// once with 503 and Retry-After instead of queueing for the database's
// connections, where the cheap reads (an article, page 1 of a tag) would
// queue behind it. On 200,000 articles, 32 concurrent searches, totals
// and facets had kept every read connection busy for seconds: an
// article took 10.5 s and /readyz failed.
type QueryPool struct {
	slots   chan struct{}
	timeout time.Duration
}

// NewQueryPool returns a pool of size slots whose reads each stop after
// timeout: the statement is interrupted (SQLite) or cancelled
// (PostgreSQL), and the request answers 503.
func NewQueryPool(size int, timeout time.Duration) *QueryPool {
	return &QueryPool{slots: make(chan struct{}, max(size, 1)), timeout: timeout}
}

// Size is how many expensive reads run at once.
func (p *QueryPool) Size() int { return cap(p.slots) }

// listRoutes are the routes that read a filtered list of articles.
var listRoutes = map[string]bool{
	"/v1/articles": true, "/v1/feeds/articles.rss": true, "/v1/feeds/articles.atom": true,
	"/v1/feeds/articles.json": true, "/embed/headlines": true, "/": true,
}

// isExpensive says whether the list that query asks of route path costs
// in proportion to the articles rather than to the page. Cheap are the
// lists the store walks along an index for one page: everything, one
// country, one theme or one of each, within dates, at any depth. The
// total and facets of one country and one theme are read from per-pair
// counts (SQLite) or one range of the pair index (PostgreSQL), so those
// are cheap too, except with drafts, which have no pairs. Expensive, as
// measured on 200,000 articles:
//   - a search (q), which reads every matching article to rank or count
//     it (0.15 s for one common word by relevance);
//   - a total or facets of anything else: every matching row is counted
//     (facets of every article 0.33 s; the front page counts both);
//   - source, section, language, exclusions and several countries or
//     themes: the index walk checks them row by row until a page is
//     full, which for a rare value is every row (0.6 s for a source no
//     article has, 1.4 s excluding every theme).
//
// Unknown parameters count as cheap: the handler refuses them before it
// reads anything.
func isExpensive(path string, query url.Values, drafts bool) bool {
	counted := path == "/" // the front page counts its articles and their tags
	countries, themes := 0, 0
	for name, vals := range query {
		switch name {
		case "q", "source", "section", "language", "country_not", "theme_not":
			return true
		case "facets":
			counted = true
		case "include_total":
			for _, v := range vals {
				if b, err := strconv.ParseBool(v); err == nil && b {
					counted = true
				}
			}
		case "country", "country_all":
			countries += items(vals)
		case "theme", "theme_all":
			themes += items(vals)
		}
	}
	if countries > 1 || themes > 1 {
		return true
	}
	return counted && (countries != 1 || themes != 1 || drafts)
}

// items counts the comma-separated items of a parameter's values.
func items(vals []string) int {
	n := 0
	for _, v := range vals {
		n += strings.Count(v, ",") + 1
	}
	return n
}

// errBusy is the answer when every slot is taken. A slot frees as soon
// as one of the reads ends, typically well within a second.
func (p *QueryPool) errBusy(c echo.Context) error {
	c.Response().Header().Set("Retry-After", "1")
	return news.Errorf(news.EUnavailable,
		"the server is running as many expensive reads (searches, totals, facets, exclusions) as it allows (%d); retry in a second", p.Size())
}

// errTooLong is the answer when a read ran out of its time limit.
func (p *QueryPool) errTooLong(c echo.Context) error {
	c.Response().Header().Set("Retry-After", strconv.Itoa(max(1, ceilSeconds(p.timeout))))
	return news.Errorf(news.EUnavailable,
		"the query ran into the time limit of %s for searches, totals and facets; narrow it (fewer words, a country or a theme) or retry later", p.timeout)
}

// middleware runs an expensive list read in a slot of the pool, within
// the time limit; cheap reads pass straight through. It sits after the
// response cache, so that a cached answer takes no slot.
func (p *QueryPool) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	if p == nil {
		return next
	}
	return func(c echo.Context) error {
		r := c.Request()
		path := c.Path()
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || !listRoutes[path] ||
			!isExpensive(path, c.QueryParams(), path != "/" && isEditor(c)) { // the front page never shows drafts
			return next(c)
		}
		select {
		case p.slots <- struct{}{}:
		default:
			return p.errBusy(c)
		}
		defer func() { <-p.slots }()
		ctx, cancel := context.WithTimeout(r.Context(), p.timeout)
		defer cancel()
		c.SetRequest(r.WithContext(ctx))
		err := next(c)
		c.SetRequest(r)
		// Whatever error a stopped statement came back as (the context's,
		// SQLite's "interrupted", PostgreSQL's "canceling statement"), it
		// is the limit's doing when the limit passed and the client is
		// still there.
		if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil {
			return p.errTooLong(c)
		}
		return err
	}
}

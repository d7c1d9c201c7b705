package api

import (
	"context"
	"errors"
	"strconv"
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

// isExpensive says whether the list f asks for costs in proportion to
// the articles rather than to the page. Cheap are the lists the store
// walks along an index for one page: everything, one country, one theme
// or one of each, within dates, at any depth, and a search of those in
// date order, which walks its full-text index newest (or oldest) first
// and stops after a page (SQLite; PostgreSQL walks the filter's newest
// rows first). The total and facets of one country and one theme are
// read from per-pair counts, so those are cheap too, except with drafts,
// which have no pairs. Expensive, as measured on 200,000 articles:
//   - a search by relevance, which ranks its 2,000 newest matches and
//     weighs each word by all its matches (23 ms for one common word at a
//     million articles);
//   - a total or facets of anything else, a search's included: every
//     matching row is counted (facets of every article 0.33 s; the front
//     page counts both);
//   - source, section, language, exclusions and several countries or
//     themes: the index walk checks them row by row until a page is
//     full, which for a rare value is every row (0.6 s for a source no
//     article has, 1.4 s excluding every theme).
//
// A cheap search still runs within the pool's time limit (see list): how
// far its walk goes depends on how its words and its filter meet.
func isExpensive(f news.Filter) bool {
	if (len(f.Query) > 0 && f.Sort == news.SortRelevance) || f.Source != nil || f.Section != nil || f.Language != nil ||
		len(f.CountriesNot) > 0 || len(f.ThemesNot) > 0 {
		return true
	}
	countries, themes := len(f.Countries)+len(f.CountriesAll), len(f.Themes)+len(f.ThemesAll)
	if countries > 1 || themes > 1 {
		return true
	}
	counted := f.IncludeTotal || len(f.Facets) > 0
	return counted && (len(f.Query) > 0 || countries != 1 || themes != 1 || f.WithDrafts)
}

// errBusy is the answer when every slot is taken. A slot frees as soon
// as one of the reads ends, typically well within a second.
func (p *QueryPool) errBusy(c echo.Context) error {
	c.Response().Header().Set("Retry-After", "1")
	return news.Errorf(news.EUnavailable,
		"the server is running as many expensive reads (searches by relevance, totals, facets, exclusions) as it allows (%d); retry in a second", p.Size())
}

// errTooLong is the answer when a read ran out of its time limit.
func (p *QueryPool) errTooLong(c echo.Context) error {
	c.Response().Header().Set("Retry-After", strconv.Itoa(max(1, ceilSeconds(p.timeout))))
	return news.Errorf(news.EUnavailable,
		"the query ran into the time limit of %s for searches, totals and facets; narrow it (fewer words, a country or a theme) or retry later", p.timeout)
}

// list reads the page f asks for: a cheap one at once, an expensive one
// in a slot of the pool, and both an expensive one and a search within
// the pool's time limit. Every list read
// (the list, the feeds, the widget, the front page) goes through it; a
// cached answer never gets this far, so it takes no slot.
func (h *handlers) list(c echo.Context, f news.Filter) (news.Page, error) {
	ctx := c.Request().Context()
	p := h.pool
	switch {
	case p == nil || (!isExpensive(f) && len(f.Query) == 0):
		return h.articles.ListArticles(ctx, f)
	case isExpensive(f):
		select {
		case p.slots <- struct{}{}:
		default:
			return news.Page{}, p.errBusy(c)
		}
		defer func() { <-p.slots }()
	}
	limited, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	page, err := h.articles.ListArticles(limited, f)
	// Whatever error a stopped statement came back as (the context's,
	// SQLite's "interrupted", PostgreSQL's "canceling statement"), it is
	// the limit's doing when the limit passed and the client is still there.
	if err != nil && errors.Is(limited.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		return page, p.errTooLong(c)
	}
	return page, err
}

package store

import (
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

// A PostgreSQL search by relevance ranks the RelevanceWindow newest
// matches of its words and filter (pageSQL). For words its statistics
// know to be common, the planner finds them by walking the date index
// and testing each article: "sanctions talks", in 3% of a million
// articles, read 61,000 articles, 49,000 buffers of them from outside
// shared_buffers, in 225–320 ms. Where the matches are that sparse, the
// window is looked for only among the articles published since a time
// that should hold it with room to spare (pgRelevanceSince), through the
// bitmaps of the full-text and date indexes: 40 ms. Whether that range
// held a whole window is checked on every use, and the search runs
// unbounded when it did not, so the window is always exactly the newest
// matches.

// pgRelevanceSample is how many of the newest articles pgRelevanceSince
// tests against a relevance search's words and filter, to see how far
// back a window of matches reaches.
const pgRelevanceSample = 1000

// relevanceSince is where a PostgreSQL relevance search looks for its
// window: among the articles published at or after at, when bounded.
type relevanceSince struct {
	at      int64
	bounded bool
}

// pgRelevanceSince estimates, from how many of the newest
// pgRelevanceSample articles q (a search by relevance, words and filter)
// selects, the publication time after which one and a half windows of
// its matches lie. It bounds nothing where the matches are dense enough
// for the date walk (a window within 10,000 articles), where none of the
// sample matched (the planner then takes words it knows to be rare from
// the full-text index), or where there are fewer articles than the
// sample. The estimate is kept for planAge.
func (s *Store) pgRelevanceSince(db *gorm.DB, q listQuery) (relevanceSince, error) {
	sql, key := relevanceSample(q)
	return s.since.get(key, s.now(), planAge, func() (relevanceSince, error) {
		var rows []struct {
			Pub int64
			Hit bool
		}
		if err := db.Raw(sql, q.args...).Scan(&rows).Error; err != nil {
			return relevanceSince{}, err
		}
		hits := 0
		for _, r := range rows {
			if r.Hit {
				hits++
			}
		}
		if len(rows) < pgRelevanceSample || hits == 0 || hits*10_000 >= RelevanceWindow*pgRelevanceSample {
			return relevanceSince{}, nil
		}
		span := float64(max(rows[0].Pub-rows[len(rows)-1].Pub, 1))
		back := span * RelevanceWindow * 3 / 2 / float64(hits)
		return relevanceSince{at: rows[0].Pub - int64(min(back, 1<<62)), bounded: true}, nil
	})
}

// relevanceSample is the statement that tests the newest
// pgRelevanceSample articles against q, and the key of its estimate.
func relevanceSample(q listQuery) (sql, key string) {
	sql = fmt.Sprintf("SELECT a.published_at AS pub, (%s) AS hit FROM articles a ORDER BY a.published_at DESC, a.id DESC LIMIT %d",
		strings.Join(q.where, " AND "), pgRelevanceSample)
	return sql, fmt.Sprintf("%s %q", sql, q.args)
}

// pgRelevancePage reads the page of q, a PostgreSQL search by relevance.
// Where pgRelevanceSince bounds it, the page is read from the bounded
// list, and when that list held a whole window, *q becomes it, for the
// total and facets; otherwise the page is read from q as it is.
func (s *Store) pgRelevancePage(db *gorm.DB, q *listQuery, f news.Filter) (news.Page, error) {
	since, err := s.pgRelevanceSince(db, *q)
	if err != nil {
		return news.Page{}, err
	}
	if since.bounded {
		b := *q
		b.where, b.args = slices.Clip(b.where), slices.Clip(b.args)
		b.cond("a.published_at >= ?", since.at)
		b.unordered = true
		page, window, err := readRelevancePage(db, b, f)
		if err != nil || window == RelevanceWindow {
			*q = b
			return page, err
		}
	}
	page, _, err := readRelevancePage(db, *q, f)
	return page, err
}

// readRelevancePage reads the page of q, a PostgreSQL search by
// relevance, and when q is unordered, the size of the window it ranked:
// 0 when the page is empty and no row told it.
func readRelevancePage(db *gorm.DB, q listQuery, f news.Filter) (page news.Page, window int, err error) {
	sql, args := q.pageSQL(postgresDialect, f)
	var rank float64
	extra := []any{&rank}
	if q.unordered {
		extra = append(extra, &window)
	}
	page, err = readPage(db, sql, args, f.Limit, extra, &rank)
	return page, window, err
}

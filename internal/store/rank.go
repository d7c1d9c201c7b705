package store

import (
	"cmp"
	"context"
	gosql "database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

// A SQLite search by relevance ranks its RelevanceWindow newest matches
// in Go, from what the full-text index says of each match, instead of with
// FTS5's bm25(). bm25() counts every match of each word in the whole table
// before it scores the first row, to weigh the words: 15 ms for a word in
// 44% of a million articles, whatever the window. Here that count is kept
// per phrase (termCount), and the rest is bounded by the window:
//
//   - the window's matches, newest first, as search keys;
//   - for each phrase, which of them hold it in the title and, where any
//     article has a body, which in the summary: a walk of the index over
//     the window's range per phrase and column;
//   - the score of each, BM25 as FTS5 computes it with the columns
//     weighted title 10, summary 4, body 1, except that a phrase counts
//     once per column it occurs in (the index tells where a phrase
//     occurs, not how often) and that column lengths are left out;
//   - the rows of the best candidates, fetched in score order with the
//     filter's conditions, until a page is full.
//
// Ties (the same phrases in the same columns) go newest first, then by
// id, so that a page's order and its cursor are exact.
//
// A match's score is a function of where each phrase is in it (its
// pattern) and of the phrases' weights, which every write moves a little.
// A cursor carries its last match's pattern, not its score: the next page
// scores it again with the weights of the moment, so that it falls
// exactly where the matches of the same pattern do, and an edit of its
// article after the page was read does not move it.

const (
	rankTitleWeight, rankSummaryWeight, rankBodyWeight = 10.0, 4.0, 1.0
	bm25K1                                             = 1.2
	// termCountAge is how long a phrase's count of matches is used before
	// it is counted again; the count only weighs one phrase against
	// another, and moves little in ten minutes.
	termCountAge = 10 * time.Minute
)

// aged keeps values computed from the database for a while: estimates
// that weigh one plan or phrase against another and move little in
// minutes. At most agedKept are kept; past that the map starts afresh.
type aged[V any] struct {
	mu sync.Mutex
	m  map[string]agedValue[V]
}

type agedValue[V any] struct {
	v  V
	at time.Time
}

const agedKept = 10_000

// get returns key's value, computing it when it is not known or is older
// than age.
func (c *aged[V]) get(key string, now time.Time, age time.Duration, compute func() (V, error)) (V, error) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < age {
		return e.v, nil
	}
	v, err := compute()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= agedKept {
		c.m = map[string]agedValue[V]{}
	}
	c.m[key] = agedValue[V]{v, now}
	return v, nil
}

// termCount returns the number of articles that phrase (an FTS5 query of
// one quoted phrase) matches, which bm25's weight of the phrase needs,
// counting it when it is not known or is older than termCountAge.
func (s *Store) termCount(db *gorm.DB, phrase string, now time.Time) (int64, error) {
	return s.terms.get(phrase, now, termCountAge, func() (n int64, err error) {
		err = db.Raw("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", phrase).Scan(&n).Error
		return n, err
	})
}

// ftsTotals returns the number of rows of the full-text index and of the
// tokens of its body column, from the record in which FTS5 keeps them
// (row 1 of articles_fts_data: varints, the row count first, then the
// tokens of each column: title, summary, body). An index never written
// has none.
func ftsTotals(db *gorm.DB) (rows, bodyTokens int64, err error) {
	var block []byte
	err = db.Raw("SELECT block FROM articles_fts_data WHERE id = 1").Row().Scan(&block)
	if errors.Is(err, gosql.ErrNoRows) {
		return 0, 0, nil
	}
	var v [4]int64
	for i := range v {
		n := 0
		if v[i], n = sqliteVarint(block); n == 0 {
			break
		}
		block = block[n:]
	}
	return v[0], v[3], err
}

// sqliteVarint decodes a SQLite varint: big-endian groups of 7 bits, the
// high bit set on every byte but the last, and a ninth byte of 8 bits,
// the 64 bits taken as two's complement as SQLite does. It returns 0, 0
// for an empty or cut input.
func sqliteVarint(b []byte) (int64, int) {
	var v int64
	for i := 0; i < len(b) && i < 9; i++ {
		if i == 8 {
			return v<<8 | int64(b[i]), 9
		}
		v = v<<7 | int64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// bm25Weight is FTS5's weight of a phrase in n of rows rows: never below
// a millionth, also for a phrase in more than half of them.
func bm25Weight(n, rows int64) float64 {
	idf := math.Log((float64(rows) - float64(n) + 0.5) / (float64(n) + 0.5))
	return max(idf, 1e-6)
}

// ranked is one match of a relevance window: its search key, rank (lower
// first, as bm25's) and pattern, of which the rank is a function.
type ranked struct {
	key     int64
	rank    float64
	pattern rankPattern
}

// rankPattern says where each phrase of a search is in a match, two bits
// a phrase (maxRankTerms at most), the first phrase lowest: in the title
// (1), in the summary (2), or neither (0: in the body). Where no article
// has a body, the index is asked about titles only: a phrase in the title
// is taken as there alone (1), and one elsewhere as in the summary (2);
// patternTitlesOnly marks such a pattern. A cursor carries it as its
// rank, a whole number, which a score never is (scores are below zero).
type rankPattern uint64

const (
	maxRankTerms      = 26                   // two bits a phrase, and the mark, in the 53 a float64 holds exactly
	patternTitlesOnly = rankPattern(1) << 52 // asked of titles only
)

// rankScale is what scores a pattern: each phrase's weight, and whether
// the index was asked about titles only.
type rankScale struct {
	weights    []float64
	titlesOnly bool
}

// asked is the pattern p of a cursor as the matches of scale were found,
// and whether its place among the matches of that pattern is lost. Told
// of titles only, a phrase in the title and the summary is in the title,
// and one in the body (there are none) in the summary; told of both, a
// phrase in a title, for all a pattern of titles only says, may be in the
// summary too, and is taken as there. Either way the articles of a
// pattern with a phrase in the title are not the same set as before, so
// the walk goes on from the first of them (repeating rather than leaving
// any out); the articles of others are.
func (sc rankScale) asked(p rankPattern) (rankPattern, bool) {
	if sc.titlesOnly == (p&patternTitlesOnly != 0) {
		return p, false
	}
	lost := false
	out := rankPattern(0)
	if sc.titlesOnly {
		out = patternTitlesOnly
	}
	for i := range sc.weights {
		code := p >> (2 * i) & 3
		switch {
		case sc.titlesOnly && code == 3:
			code = 1
		case sc.titlesOnly && code == 0:
			code = 2
		case !sc.titlesOnly && code == 1:
			code = 3
		}
		lost = lost || code&1 != 0
		out |= code << (2 * i)
	}
	return out, lost
}

// rank is the rank of a match of pattern p, lower first. The phrases'
// parts are added smallest first, so that patterns equal in score to
// the last bit rank equal, in the order of their minute and id,
// whatever the order of the phrases (floating point addition is not
// associative: summed in the query's order, two such scores came out a
// bit apart, one way or the other as the weights moved).
func (sc rankScale) rank(p rankPattern) float64 {
	var buf [maxRankTerms]float64
	parts := buf[:0]
	for i, w := range sc.weights {
		code := p >> (2 * i) & 3
		f := 0.0
		if code&1 != 0 {
			f += rankTitleWeight
		}
		if code&2 != 0 {
			f += rankSummaryWeight
		}
		if f == 0 {
			f = rankBodyWeight
		}
		parts = append(parts, w*f*(bm25K1+1)/(f+bm25K1))
	}
	slices.Sort(parts)
	score := 0.0
	for _, x := range parts {
		score += x
	}
	return -score
}

// cursorPattern is the pattern a cursor's rank carries, or false for a
// rank that is a score (a cursor from before patterns).
func cursorPattern(rank float64, terms int) (rankPattern, bool) {
	if rank < 0 || rank != math.Trunc(rank) || rank >= float64(patternTitlesOnly<<1) ||
		rankPattern(rank)&^patternTitlesOnly >= 1<<(2*terms) {
		return 0, false
	}
	return rankPattern(rank), true
}

// compare orders ranked matches: best first, then newest (by the
// minute, as their keys), then by id, the highest first.
func (r ranked) compare(o ranked) int {
	return cmp.Or(cmp.Compare(r.rank, o.rank), cmp.Compare(r.key>>searchIDBits, o.key>>searchIDBits),
		cmp.Compare(o.key&searchIDMask, r.key&searchIDMask))
}

// relevancePage reads the page of a SQLite search of f by relevance.
// When the window is full, it also bounds q, the list of f, to the
// window's matches, so that the total and facets count what the order
// pages.
func (s *Store) relevancePage(ctx context.Context, db *gorm.DB, q *listQuery, f news.Filter) (news.Page, error) {
	matches, scale, window, err := s.rankWindow(db.WithContext(ctx), f.Query)
	if err != nil {
		return news.Page{}, translate(err, "rank search")
	}
	if len(matches) == RelevanceWindow {
		q.where, q.args = slices.Clip(q.where), slices.Clip(q.args)
		cond, args := window.sql()
		q.cond(cond, args...)
	}
	if f.After != nil {
		matches = matches[rankedAfter(matches, scale, f.After):]
	}
	return s.rankedRows(db, f, matches)
}

// rankedAfter returns where the page after cursor c starts in matches,
// best first: after c's pattern scored as the matches are (scale), or
// after its rank where that is a score.
func rankedAfter(matches []ranked, scale rankScale, c *news.Cursor) int {
	after := ranked{key: searchKey(micros(c.PublishedAt), c.ID), rank: c.Rank}
	if p, ok := cursorPattern(c.Rank, len(scale.weights)); ok {
		p, lost := scale.asked(p)
		after.rank = scale.rank(p)
		if lost {
			after.key = -1 // before every match of the same rank
		}
	}
	i, _ := slices.BinarySearchFunc(matches, after, ranked.compare)
	for i < len(matches) && matches[i].compare(after) <= 0 {
		i++
	}
	return i
}

// keyWindow is the search keys of a relevance window: those up to to,
// but for those from gap to (not including) resume.
type keyWindow struct{ to, gap, resume int64 }

// sql is the condition that articles_fts.rowid is in w, and its
// arguments. Its range is a condition of its own, which FTS5 walks; the
// gap is checked on the rows the walk gives (a range inside an OR would
// have it walk every match).
func (w keyWindow) sql() (string, []any) {
	return "articles_fts.rowid <= ? AND (articles_fts.rowid < ? OR articles_fts.rowid >= ?)", []any{w.to, w.gap, w.resume}
}

// windowKeys returns the search keys of the RelevanceWindow newest
// matches of the FTS5 query full, newest first, and the window they make.
// Of the minute of the oldest, where not all of its matches fit, it takes
// those of the highest ids, as a walk from the newest keys took them
// before migration 00021 (keys now rise with the id within a minute).
func windowKeys(db *gorm.DB, full string) ([]int64, keyWindow, error) {
	var keys []int64
	if err := db.Raw("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid LIMIT ?",
		full, RelevanceWindow).Scan(&keys).Error; err != nil || len(keys) == 0 {
		return nil, keyWindow{}, err
	}
	last := keys[len(keys)-1]
	if len(keys) < RelevanceWindow { // every match
		return keys, keyWindow{to: last}, nil
	}
	block := last &^ searchIDMask
	var minute []int64
	if err := db.Raw("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid",
		full, block, block|searchIDMask).Scan(&minute).Error; err != nil {
		return nil, keyWindow{}, err
	}
	before, _ := slices.BinarySearch(keys, block)
	// At most all of the minute's: an article deleted since the first
	// statement is not among them.
	keys = append(keys[:before], minute[max(len(minute)-(RelevanceWindow-before), 0):]...)
	if len(keys) == before {
		return keys, keyWindow{to: block - 1}, nil
	}
	return keys, keyWindow{to: block | searchIDMask, gap: block, resume: keys[before]}, nil
}

// rankWindow scores the RelevanceWindow newest matches of terms, and
// returns them best first, with the scale that scored them and the
// window of their keys.
func (s *Store) rankWindow(db *gorm.DB, terms []string) ([]ranked, rankScale, keyWindow, error) {
	var scale rankScale
	if len(terms) > maxRankTerms {
		return nil, scale, keyWindow{}, fmt.Errorf("%d phrases to rank, more than %d", len(terms), maxRankTerms)
	}
	full := ftsQuery(terms)
	keys, window, err := windowKeys(db, full)
	if err != nil || len(keys) == 0 {
		return nil, scale, window, err
	}
	rows, bodyTokens, err := ftsTotals(db)
	if err != nil {
		return nil, scale, window, err
	}
	rows = max(rows, int64(len(keys)))
	// Where a phrase is: in the title and in the summary, each asked of
	// the index; else in the body. With no body anywhere (no token in the
	// column), only the title is asked: a phrase not there is in the
	// summary. (Asking the summary too took BenchmarkListHandler's
	// relevance of two common words from 5.6 to 8.7 ms at a million.)
	cols := []string{"title", "summary"}
	if bodyTokens == 0 {
		cols, scale.titlesOnly = cols[:1], true
	}
	now := s.now()
	patterns := make([]rankPattern, len(keys)) // keys' (in order)
	for i, t := range terms {
		phrase := ftsQuery([]string{t})
		n, err := s.termCount(db, phrase, now)
		if err != nil {
			return nil, scale, window, err
		}
		scale.weights = append(scale.weights, bm25Weight(n, rows))
		for c, col := range cols {
			q := "{" + col + "} : " + ftsString(t)
			if len(terms) > 1 {
				// With the others, which the index walks together: only
				// the window's rows, not every row of the phrase.
				q = "(" + q + ") AND (" + full + ")"
			}
			at, err := searchKeys(db, q, window)
			if err != nil {
				return nil, scale, window, err
			}
			for _, k := range at {
				// Not found: written since the window was read.
				if j, ok := slices.BinarySearch(keys, k); ok {
					patterns[j] |= 1 << (2*i + c)
				}
			}
		}
		if scale.titlesOnly {
			for j, p := range patterns {
				if p>>(2*i)&1 == 0 {
					patterns[j] |= 2 << (2 * i)
				}
			}
		}
	}
	out := make([]ranked, len(keys))
	for j, k := range keys {
		p := patterns[j]
		if scale.titlesOnly {
			p |= patternTitlesOnly
		}
		out[j] = ranked{k, scale.rank(p), p}
	}
	slices.SortFunc(out, ranked.compare)
	return out, scale, window, nil
}

// searchKeys returns the search keys of the matches of the FTS5 query q
// in window w.
func searchKeys(db *gorm.DB, q string, w keyWindow) ([]int64, error) {
	var keys []int64
	cond, args := w.sql()
	err := db.Raw("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND "+cond, append([]any{q}, args...)...).Scan(&keys).Error
	return keys, err
}

// rankedRows reads the page of f from matches, best first: their rows
// that meet f's other conditions, fetched a batch at a time.
func (s *Store) rankedRows(db *gorm.DB, f news.Filter, matches []ranked) (news.Page, error) {
	q := articleList(s.dialect, f)
	cols := s.dialect.columns(f.WithBody)
	page := news.Page{Articles: make([]news.Article, 0, f.Limit)}
	var patterns []rankPattern
	batch := f.Limit + 1
	for len(matches) > 0 && len(page.Articles) <= f.Limit {
		take := matches[:min(batch, len(matches))]
		matches = matches[len(take):]
		batch *= 4
		ids := make([]any, len(take))
		for i, m := range take {
			ids[i] = m.key & searchIDMask
		}
		bq := q
		bq.where, bq.args = slices.Clip(bq.where), slices.Clip(bq.args)
		bq.cond("a.id IN ("+placeholders(len(ids))+")", ids...)
		got, err := readPage(db, "SELECT "+cols+" FROM "+bq.from+bq.whereSQL(), bq.args, len(ids), nil, new(float64))
		if err != nil {
			return news.Page{}, translate(err, "rank search")
		}
		byID := make(map[int64]news.Article, len(got.Articles))
		for _, a := range got.Articles {
			byID[a.ID] = a
		}
		for _, m := range take {
			if a, ok := byID[m.key&searchIDMask]; ok {
				page.Articles = append(page.Articles, a)
				patterns = append(patterns, m.pattern)
			}
		}
	}
	if len(page.Articles) > f.Limit {
		page.Articles = page.Articles[:f.Limit]
		last := page.Articles[f.Limit-1]
		page.Next = &news.Cursor{PublishedAt: last.PublishedAt, ID: last.ID, Rank: float64(patterns[f.Limit-1])}
	}
	return page, nil
}

package store

import (
	"cmp"
	"context"
	gosql "database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

// SQLite's full-text index is keyed by date (migrations 00014, 00021):
// an article's rowid there is its search key,
//
//	key = (searchLastBlock - minute of published_at (counted from year 0)) << 30 | id,
//
// so the index lists the matches of a search by the minute they were
// published, newest first, and within a minute by id. A newest-first
// search walks the index forwards (backwards, FTS5 reads a page of
// entries before it returns the last: see migration 00021), joins each
// match to its article by primary key (key & searchIDMask) and stops
// after a page, whatever the words: no match set is sorted. The key is a
// function of published_at and id, unique while ids are below 2^30 (the
// insert trigger refuses more).
const (
	searchIDBits      = 30
	searchIDMask      = 1<<searchIDBits - 1
	searchMinMicros   = -62167219200000000 // 0000-01-01T00:00:00Z; earlier times count as this one
	searchMaxMicros   = 253402300799999999 // 9999-12-31T23:59:59.999999Z; later times count as this one
	searchBlockMicros = 60_000_000         // a minute: the block whose rows sort by id, not time
	// searchLastBlock is the block of searchMaxMicros, the newest: its
	// keys are the smallest.
	searchLastBlock = (searchMaxMicros - searchMinMicros) / searchBlockMicros
)

// searchBlock is the block of a publication time, in microseconds.
func searchBlock(pub int64) int64 {
	return (min(max(pub, searchMinMicros), searchMaxMicros) - searchMinMicros) / searchBlockMicros
}

// searchKey is the rowid of an article in articles_fts.
func searchKey(pub, id int64) int64 { return blockStart(pub) | id }

// blockStart is the smallest search key of the block of pub: those of
// later blocks are below it, those of earlier ones from blockStart +
// 1<<searchIDBits on.
func blockStart(pub int64) int64 { return (searchLastBlock - searchBlock(pub)) << searchIDBits }

// searchKeySQL is searchKey in SQL, of the columns pub and id; the
// triggers of migration 00021 write the same expression.
func searchKeySQL(pub, id string) string {
	return fmt.Sprintf("((%d - (min(max(%s, %d), %d) + %d) / %d) << %d | %s)",
		int64(searchLastBlock), pub, int64(searchMinMicros), int64(searchMaxMicros), -int64(searchMinMicros),
		searchBlockMicros, searchIDBits, id)
}

// searchTagsSQL is the text of the index's tags column for an article
// whose tags are the columns countries and themes (comma-separated, see
// tagText): a token per country and theme pair, pairToken's. The
// triggers of migration 00022 write the same expression.
func searchTagsSQL(countries, themes string) string {
	each := func(col string) string {
		return fmt.Sprintf(`json_each(CASE %s WHEN '' THEN '[]' ELSE '["' || replace(%s, ',', '","') || '"]' END)`, col, col)
	}
	return `(SELECT coalesce(group_concat('p' || c.value || 'x' || replace(t.value, '-', 'x'), ' '), '')
            FROM ` + each(countries) + ` c, ` + each(themes) + ` t)`
}

// pairToken is the token of the tags column for an article with country
// and theme: p, the code, x, the slug with x for each hyphen. The
// tokenizer folds and stems it as it did the column's text. Two pairs
// may share a token (a slug with an x where another has a hyphen), so
// it narrows a walk and never decides a match alone.
func pairToken(country, theme string) string {
	return "p" + country + "x" + strings.ReplaceAll(theme, "-", "x")
}

// maxPairTokens bounds the pairs a search asks the index for beside its
// words: a country or a theme listed with all= adds one per value of the
// other.
const maxPairTokens = 4

// requiredPairs are the countries and themes whose every pair f
// requires (its single country= and theme= values, and those of
// country_all= and theme_all=), or nil when f requires no country or no
// theme, or more than maxPairTokens pairs.
func requiredPairs(f news.Filter) (countries, themes []string) {
	need := func(anyOf, all []string) []string {
		if len(anyOf) == 1 {
			return append(anyOf[:1:1], all...)
		}
		return all
	}
	countries, themes = need(f.Countries, f.CountriesAll), need(f.Themes, f.ThemesAll)
	if len(countries) == 0 || len(themes) == 0 || len(countries)*len(themes) > maxPairTokens {
		return nil, nil
	}
	return countries, themes
}

// pairTokens is the FTS5 condition that an article carries every pair of
// requiredPairs, or "" when there are none.
func pairTokens(f news.Filter) string {
	countries, themes := requiredPairs(f)
	var parts []string
	for _, c := range countries {
		for _, t := range themes {
			parts = append(parts, ftsString(pairToken(c, t)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "{tags} : (" + strings.Join(parts, " AND ") + ")"
}

// The plans of a SQLite search in date order.
type searchPlan int

const (
	// walkMatches walks the full-text index in date order and checks
	// each match's article against the rest of the filter: the plan
	// unless the filter's tags are rare.
	walkMatches searchPlan = iota
	// tagsWithMatchSet walks the required tag's rows in date order and
	// looks each up in the set of all matches, made first: for a rare
	// tag and words that are not common (the plan of every search
	// driven by a tag before 00014).
	tagsWithMatchSet
	// tagsProbing walks the required tag's rows and asks the full-text
	// index about each (about 40 µs a row): for a rare tag and common
	// words.
	tagsProbing
)

// Costs of one row of each plan, in microseconds, measured at a million
// generated articles: a match walked and checked; a match put into the
// match set, and a tag row looked up in it; a tag row probed.
const (
	costWalk, costSet, costSetLookup, costProbe = 1.5, 0.6, 0.5, 40
	// A filter on at least this share of the articles is walked from
	// the matches with no further estimate: a page is about (limit+1)/share
	// matches away, at most a few thousand.
	commonShare = 1.0 / 50
	// Matches counted at most to estimate a search's size (about 0.05 µs
	// each); a search with more is common, and the match set too dear.
	matchCountCap = 20_000
)

// planSearch chooses how to list a SQLite search in date order. Without
// a tag every row must carry, it walks the matches. Otherwise it
// estimates the share of the articles the tags select (filterShare)
// and, when that share is small, the number of matches by counting them
// up to matchCountCap, and picks the plan of least estimated cost. Both
// estimates are kept for a while (planAge, termCountAge): they only
// choose between plans that list the same page, and counting them for
// every request cost a filtered search a fifth of its time.
func (s *Store) planSearch(ctx context.Context, f news.Filter) (searchPlan, error) {
	if countries, _ := requiredPairs(f); countries != nil {
		// The index itself finds the matches that carry the pairs: at a
		// million articles, the page of each of 8 searches with a
		// country and a theme, common or rare, was read fastest so (medians
		// of 7: "sanctions" with CU and human-rights 0.22 ms walked, 1.0
		// probing, 72 matched against every match; "food aid" with RU and
		// sanctions 0.17, 2.8 and 19 ms).
		return walkMatches, nil
	}
	ff := f
	ff.Query = nil
	ff.After = nil
	fq := buildList(s.dialect, ff)
	if fq.from == "articles a" {
		return walkMatches, nil // no tag drives the list
	}
	db := s.read(ctx)
	now := s.now()
	sql, args := fq.keysSQL(ff, sharePage-1)
	fs, err := s.shares.get(fmt.Sprintf("%s %q", sql, args), now, planAge, func() (filterShare, error) {
		return estimateShare(db, fq, ff, sql, args)
	})
	if err != nil {
		return 0, translate(err, "plan search")
	}
	if fs.share >= commonShare {
		return walkMatches, nil
	}
	match := ftsQuery(f.Query)
	m, err := s.matches.get(match, now, termCountAge, func() (m int64, err error) {
		err = db.Raw(`SELECT count(*) FROM (SELECT 1 FROM articles_fts WHERE articles_fts MATCH ? LIMIT ?)`,
			match, matchCountCap).Scan(&m).Error
		return m, err
	})
	if err != nil {
		return 0, translate(err, "plan search")
	}
	matches := float64(max(m, 1))
	page := float64(f.Limit + 1)
	// Rows of each walk until a page is found, if words and tags are
	// independent; none walks further than its whole list.
	walked := min(matches, page/fs.share)
	tagsWalked := min(fs.rows, page*fs.articles/matches)
	costs := map[searchPlan]float64{
		walkMatches: walked * costWalk,
		tagsProbing: tagsWalked * costProbe,
	}
	if m < matchCountCap {
		costs[tagsWithMatchSet] = matches*costSet + tagsWalked*costSetLookup
	}
	best := walkMatches
	for _, p := range []searchPlan{tagsWithMatchSet, tagsProbing} {
		if c, ok := costs[p]; ok && c < costs[best] {
			best = p
		}
	}
	return best, nil
}

// filterShare is the estimated share of the articles that a filter
// selects, and so its rows, of the articles there are.
type filterShare struct {
	share, rows, articles float64
}

const (
	// sharePage is how many rows of a filter's list estimateShare reads
	// to see how far back in time they reach.
	sharePage = 100
	// planAge is how long a filter's share is used before it is
	// estimated again.
	planAge = time.Minute
)

// estimateShare estimates the share of the articles that fq, the list of
// filter f without words or cursor, selects: from how far back in time
// its first sharePage rows reach (sql and args select the published_at
// of the last of them, fq.keysSQL(f, sharePage-1)), against the articles'
// average rate, or by counting its rows when there are fewer.
func estimateShare(db *gorm.DB, fq listQuery, f news.Filter, sql string, args []any) (filterShare, error) {
	var stats struct {
		N, First, Last int64
	}
	if err := db.Raw(`SELECT (SELECT coalesce(max(id), 0) FROM articles) AS n,
		(SELECT coalesce(min(published_at), 0) FROM articles) AS first,
		(SELECT coalesce(max(published_at), 0) FROM articles) AS last`).Scan(&stats).Error; err != nil {
		return filterShare{}, err
	}
	n := float64(max(stats.N, 1))
	from := stats.Last // where the list starts, in its direction
	if f.Sort == news.SortOldest {
		from = stats.First
	}
	var at []int64
	if err := db.Raw(sql, args...).Scan(&at).Error; err != nil {
		return filterShare{}, err
	}
	if len(at) == 0 {
		// Fewer than sharePage rows: count them.
		sql, args := fq.keysSQL(f, -1)
		var rows int64
		if err := db.Raw("SELECT count(*) FROM ("+sql+")", args...).Scan(&rows).Error; err != nil {
			return filterShare{}, err
		}
		return filterShare{share: float64(rows) / n, rows: float64(rows), articles: n}, nil
	}
	back := float64(max(abs(from-at[0]), 1))
	span := float64(max(stats.Last-stats.First, 1))
	share := min(1, sharePage/back*span/n)
	return filterShare{share: share, rows: share * n, articles: n}, nil
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// keysSQL selects the published_at of the rows of q (a list without a
// search) in f's order from f's cursor on: the one at offset, or all of
// them when offset is negative.
func (q listQuery) keysSQL(f news.Filter, offset int) (string, []any) {
	q.where, q.args = slices.Clip(q.where), slices.Clip(q.args)
	dir := q.afterCursor(f, q.pub, q.id)
	sql := "SELECT " + q.pub + " FROM " + q.from + q.whereSQL() + orderBy(q.pub, q.id, dir)
	if offset >= 0 {
		sql += fmt.Sprintf(" LIMIT 1 OFFSET %d", offset)
	}
	return sql, q.args
}

// buildSearch is the list of a SQLite search in date order as a walk of
// the full-text index: every other condition is checked on each match's
// article, its tags too (tagTextConds). The bounds of since and until
// are bounds of the walk too.
func buildSearch(d dialect, f news.Filter) listQuery {
	q := listQuery{from: "articles_fts JOIN articles a ON a.id = articles_fts.rowid & " + fmt.Sprint(searchIDMask),
		pub: "a.published_at", id: "a.id", needA: true}
	match := ftsQuery(f.Query)
	if pairs := pairTokens(f); pairs != "" {
		match += " AND " + pairs
	}
	q.cond("articles_fts MATCH ?", match)
	if f.Since != nil {
		q.cond("articles_fts.rowid < ?", blockStart(micros(*f.Since))+1<<searchIDBits)
	}
	if f.Until != nil {
		q.cond("articles_fts.rowid >= ?", blockStart(micros(*f.Until)))
	}
	for _, t := range tagFilters(f) {
		q.tagTextConds(d, t)
	}
	q.fieldConds(d, f)
	return q
}

// walkSQL is the statement of a search walk from f's cursor on, in f's
// order, with each row's search key after the article's columns. It has
// no LIMIT: the reader stops (see readWalk).
func (q listQuery) walkSQL(d dialect, f news.Filter) (string, []any) {
	q.where, q.args = slices.Clip(q.where), slices.Clip(q.args)
	if f.After != nil { // the cursor's block on, then exactly
		block := blockStart(micros(f.After.PublishedAt))
		if f.Sort == news.SortOldest {
			q.cond("articles_fts.rowid < ?", block+1<<searchIDBits)
		} else {
			q.cond("articles_fts.rowid >= ?", block)
		}
	}
	// Keys fall as times rise: newest first is the index's own order.
	keys := "ASC"
	if q.afterCursor(f, "a.published_at", "a.id") == "ASC" {
		keys = "DESC"
	}
	cols := d.columns(f.WithBody)
	if listJSONWalk(d, f) {
		cols = listJSONColumns
	}
	return "SELECT " + cols + ", articles_fts.rowid FROM " + q.from + q.whereSQL() +
		" ORDER BY articles_fts.rowid " + keys, q.args
}

// readWalkOf reads the page of f from its search walk; one read as list
// JSON in which some article came without its JSON is read again by its
// columns (see readListJSONPage).
func readWalkOf(d dialect, db *gorm.DB, f news.Filter) (news.Page, error) {
	sql, args := buildSearch(d, f).walkSQL(d, f)
	page, err := readWalk(db, d, sql, args, f)
	if errors.Is(err, errListJSONMissing) {
		f.ListJSON = false
		sql, args = buildSearch(d, f).walkSQL(d, f)
		return readWalk(db, d, sql, args, f)
	}
	return page, err
}

// readWalk reads a page of f from a search walk. Rows come in key order,
// which is date order between blocks (minutes) but id order within one:
// it reads on to the end of the block of the page's last row (limit+1
// rows, to learn whether another page follows) and orders what it read
// by (published_at, id).
//
// When it reads list JSON (listJSONWalk), each row is the article's id,
// date and list JSON; errListJSONMissing says that one came without.
func readWalk(db *gorm.DB, d dialect, sql string, args []any, f news.Filter) (news.Page, error) {
	asJSON := listJSONWalk(d, f)
	// Room for the page, the row after it and a few of the same minute:
	// grown from nothing, the rows were copied five times over.
	got := make([]articleRow, 0, f.Limit+4)
	edge := int64(0) // block of the (limit+1)-th row
	// add adds the row r with search key key, or says the walk is done.
	add := func(r articleRow, key int64) (more bool) {
		block := key >> searchIDBits
		if len(got) > f.Limit && block != edge {
			return false
		}
		got = append(got, r)
		if len(got) == f.Limit+1 {
			edge = block
		}
		return true
	}
	if pool, ok := db.Statement.ConnPool.(*gosql.DB); ok {
		// From the driver itself, as readPage reads a list's page.
		n := 18 // the columns of dialect.columns, then the key
		if asJSON {
			n = 3 // listJSONColumns
		}
		err := driverRows(db.Statement.Context, pool, sql, args, func(vals []driver.Value) (bool, error) {
			if len(vals) != n+1 {
				return false, fmt.Errorf("a search walk's row has %d columns, not %d", len(vals), n+1)
			}
			var r articleRow
			var err error
			if asJSON {
				err = r.fromListJSON(vals[:n])
			} else {
				err = r.fromValues(vals[:n], nil)
			}
			if err != nil {
				return false, err
			}
			key, ok := vals[n].(int64)
			if !ok {
				return false, fmt.Errorf("the search key of a row is %T, not an integer", vals[n])
			}
			return add(r, key), nil
		})
		if err != nil {
			return news.Page{}, err
		}
	} else {
		rows, err := db.Raw(sql, args...).Rows()
		if err != nil {
			return news.Page{}, err
		}
		defer rows.Close()
		for rows.Next() {
			var r articleRow
			var key int64
			dest := append(r.dest(), &key)
			if asJSON {
				dest = []any{&r.ID, &r.PublishedAt, &r.ListJSON, &key}
			}
			if err := rows.Scan(dest...); err != nil {
				return news.Page{}, err
			}
			if !add(r, key) {
				break
			}
		}
		if err := rows.Err(); err != nil {
			return news.Page{}, err
		}
	}
	slices.SortFunc(got, func(x, y articleRow) int {
		c := cmp.Or(cmp.Compare(x.PublishedAt, y.PublishedAt), cmp.Compare(x.ID, y.ID))
		if f.Sort != news.SortOldest {
			c = -c
		}
		return c
	})
	page := news.Page{Articles: make([]news.Article, 0, min(len(got), f.Limit))}
	missing := false // as JSON: an article came without its JSON
	for i := range got[:min(len(got), f.Limit)] {
		r := &got[i]
		if !asJSON {
			page.Articles = append(page.Articles, r.toArticle())
			continue
		}
		a := news.Article{ID: r.ID, PublishedAt: fromMicros(r.PublishedAt), ListJSON: r.ListJSON.String}
		missing = missing || !r.ListJSON.Valid
		page.Articles = append(page.Articles, a)
	}
	if len(got) > f.Limit {
		last := page.Articles[f.Limit-1]
		page.Next = &news.Cursor{PublishedAt: last.PublishedAt, ID: last.ID}
	}
	if missing {
		return news.Page{}, errListJSONMissing
	}
	return page, nil
}

// pgWindow is how many rows of the list of a PostgreSQL search's filter
// (without q) pgSearchPage walks, newest first, looking for a page of
// matches before it asks the full-text index for all of them instead.
const pgWindow = 1000

// pgSearchPage reads the page of a PostgreSQL search in date order. The
// planner estimates a word's matches from the search vector's most common
// elements; a word not among them is guessed at 5,000 rows, so the
// planner walks the date index for a word in one article (21 s at a
// million articles, the whole index) and asks the full-text index for
// every match of words in a few percent of the articles. Here the list of
// the filter alone is walked from the cursor for at most window rows
// (pgWindowPage), each checked against q: if a page of matches is among
// them, it is the page, whatever the words. Only otherwise does the
// full-text index give every match, to be sorted (pgMatchesPage): the
// words are then rare among the filter's newest rows.
func pgSearchPage(d dialect, db *gorm.DB, f news.Filter, window int) (news.Page, error) {
	page, done, err := pgWindowPage(d, db, f, window)
	if err != nil || done {
		return page, err
	}
	return pgMatchesPage(d, db, f)
}

// pgSearch is pgSearchPage that remembers, for planAge, the searches
// whose words were rare among their filter's newest pgWindow rows, and
// asks the full-text index for their matches at once. At a million
// articles, a number with RU and sanctions took 17 ms with the window
// walked first, and 0.5 ms from the index alone.
func (s *Store) pgSearch(db *gorm.DB, f news.Filter) (news.Page, error) {
	ff := f
	ff.After, ff.Query = nil, nil
	sql, args := buildList(s.dialect, ff).keysSQL(ff, -1)
	key := fmt.Sprintf("%s %v %q", sql, args, f.Query)
	var page news.Page
	walked, done := false, false
	rare, err := s.rare.get(key, s.now(), planAge, func() (bool, error) {
		var err error
		walked = true
		page, done, err = pgWindowPage(s.dialect, db, f, pgWindow)
		return !done, err
	})
	switch {
	case err != nil:
		return news.Page{}, err
	case walked && done:
		return page, nil
	case !rare:
		return pgSearchPage(s.dialect, db, f, pgWindow)
	}
	return pgMatchesPage(s.dialect, db, f)
}

// pgWindowPage looks for the page of f among the first window rows of
// its filter's list (without q) from its cursor; done says whether that
// is the page: a page of matches was found, or the window held the rest
// of the list.
func pgWindowPage(d dialect, db *gorm.DB, f news.Filter, window int) (page news.Page, done bool, err error) {
	ff := f
	ff.Query = nil
	w := buildList(d, ff)
	w.where, w.args = slices.Clip(w.where), slices.Clip(w.args)
	dir := w.afterCursor(f, w.pub, w.id)
	match, margs := tsQueryOnce(f.Query)
	var inner, sql string
	if w.from != "articles a" {
		// A list driven by a tag's rows: the window is their keys (from
		// the pair's index alone where it can be), and each key's article
		// is tested on its own (LATERAL, LIMIT 1: a subquery the planner
		// cannot merge into a join), in the window's order, until a page
		// is found. With the articles' columns inside the window, the
		// planner ran the window's join as a Gather Merge of two
		// workers, whose start alone took 3.8 ms of the 12.5 ms of a
		// phrase with RU and sanctions (7.4 ms of a common word with one
		// country, where the walk takes 0.75); as a plain join of the
		// keys and the articles, a kept plan (genericPlans) read every
		// match of a common word from the GIN index to hash them.
		inner = fmt.Sprintf("SELECT %s AS wp, %s AS wid FROM %s%s%s LIMIT %d",
			w.pub, w.id, w.countFrom(), w.whereSQL(), orderBy(w.pub, w.id, dir), window)
		sql = "SELECT l.* FROM (" + inner + ") w CROSS JOIN LATERAL (SELECT " + d.columns(f.WithBody) +
			" FROM articles a WHERE a.id = w.wid AND a.search @@ " + match + " LIMIT 1) l" +
			fmt.Sprintf(" ORDER BY w.wp %s, w.wid %s", dir, dir) + limitSQL(f.Limit+1)
	} else {
		// A list of the articles themselves brings their columns along,
		// and the words are tested after its LIMIT: one read of each
		// article (0.17 ms for a word in 12% of them, against 0.54 with
		// the keys and LATERAL).
		inner = fmt.Sprintf("SELECT %s AS wp, %s AS wid, a.* FROM %s%s%s LIMIT %d",
			w.pub, w.id, w.from, w.whereSQL(), orderBy(w.pub, w.id, dir), window)
		sql = "SELECT " + d.columns(f.WithBody) + " FROM (" + inner + ") a WHERE a.search @@ " + match +
			fmt.Sprintf(" ORDER BY a.wp %s, a.wid %s", dir, dir) + limitSQL(f.Limit+1)
	}
	page, err = readPage(db, sql, append(w.args, margs...), f.Limit, nil, new(float64))
	if err != nil || page.Next != nil {
		return page, err == nil, err
	}
	// Fewer than a page: the window held the rest of the list, or the
	// words are rare in it.
	var n int
	if err := db.Raw("SELECT count(*) FROM ("+inner+") w", w.args...).Scan(&n).Error; err != nil {
		return news.Page{}, false, err
	}
	return page, n < window, nil
}

// pgMatchesPage reads the page of f from every match of its words,
// sorted, each checked against the filter: driven from the articles (the
// full-text index), not from the filter's tag rows. From the pairs of RU
// and sanctions, a number in one title took 1.8 s (114,857 rows, each
// article's search vector read to test it: the planner guesses 5,000
// matches for a word it has no statistics of); from the index, 6.7 ms,
// and 0.5 ms with the tags read from the article's row (articleList)
// rather than joined. published_at + 0 keeps the planner off the date
// index, which it would walk for words it takes to be common.
func pgMatchesPage(d dialect, db *gorm.DB, f news.Filter) (news.Page, error) {
	q := articleList(d, f)
	match, args := tsQueryOnce(f.Query)
	q.cond("a.search @@ "+match, args...)
	dir := q.afterCursor(f, q.pub, q.id)
	sql := "SELECT " + d.columns(f.WithBody) + " FROM " + q.from + q.whereSQL() +
		orderBy(q.pub+" + 0", q.id, dir) + limitSQL(f.Limit+1)
	return readPage(db, sql, q.args, f.Limit, nil, new(float64))
}

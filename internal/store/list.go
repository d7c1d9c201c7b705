package store

import (
	"context"
	gosql "database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

// listQuery is a filtered article set as SQL pieces. The driving table is
// chosen so that the newest-first order is the order of an index: the
// pairs of one country and one theme, the join table of one tag (a range
// of its primary key) or articles' own (published_at, id) index. Every
// user value is a bound parameter.
type listQuery struct {
	from     string   // FROM clause, with the articles table aliased a
	where    []string // conditions, ANDed
	args     []any    // parameters of from and where, in order
	pub      string   // column of the sort's published_at key
	id       string   // column of the sort's id key
	rank     string   // relevance expression, when sorting by relevance
	rankArgs []any    // its parameters
	// pairs says the list is driven by article_pairs d; needA, that some
	// condition reads articles a. A count or facets of a pair-driven list
	// that needs nothing of a never touch the articles table.
	pairs, needA bool
	// unordered says that a PostgreSQL search by relevance finds its
	// window's matches through index bitmaps and sorts them, rather than
	// walking the date index (see pgRelevancePage).
	unordered bool
}

// windowSQL selects cols of the window of q, a PostgreSQL search by
// relevance: its RelevanceWindow newest matches, the only ones ranked.
// When q is unordered, they are sorted by published_at + 0, which keeps
// the planner off the date index.
func (q *listQuery) windowSQL(cols string) string {
	order := " ORDER BY a.published_at DESC, a.id DESC"
	if q.unordered {
		order = " ORDER BY a.published_at + 0 DESC, a.id DESC"
	}
	return "SELECT " + cols + " FROM " + q.from + q.whereSQL() + order + limitSQL(RelevanceWindow)
}

// countFrom is the FROM clause for counting the list's rows.
func (q *listQuery) countFrom() string {
	if q.pairs && !q.needA {
		return "article_pairs d"
	}
	return q.from
}

func (q *listQuery) cond(c string, args ...any) {
	q.where = append(q.where, c)
	q.args = append(q.args, args...)
}

func (q *listQuery) whereSQL() string {
	if len(q.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.where, " AND ")
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func anyArgs(vals []string) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = v
	}
	return out
}

// ftsQuery turns search terms into an FTS5 query: each term a quoted
// string (so FTS5 syntax in user input is inert), all of them ANDed, in
// the text columns only (textColumns).
func ftsQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = ftsString(t)
	}
	return textColumns + "(" + strings.Join(parts, " AND ") + ")"
}

// textColumns restricts an FTS5 expression to the article's text: the
// index's fourth column holds tag tokens (see pairTokens), which no word
// a client searches may find.
const textColumns = "{title summary body} : "

// ftsString is s as an FTS5 string, which the index tokenizes as it did
// the text.
func ftsString(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// tagFilter describes one join table for buildList, and text, the
// column of articles that holds the same tags as sorted, comma-separated
// text (see tagText).
type tagFilter struct {
	table, col, text string
	any, all, none   []string
}

// take removes and returns the one value that t requires, if any.
func (t *tagFilter) take() (string, bool) {
	switch {
	case len(t.any) == 1:
		v := t.any[0]
		t.any = nil
		return v, true
	case len(t.all) > 0:
		v := t.all[0]
		t.all = t.all[1:]
		return v, true
	}
	return "", false
}

// requires says whether t has a value every row must carry.
func (t tagFilter) requires() bool { return len(t.any) == 1 || len(t.all) > 0 }

// buildList turns f into a listQuery without the cursor. A request builds
// it once, and its page, total and facets are statements over it.
func buildList(d dialect, f news.Filter) listQuery {
	q := listQuery{from: "articles a", pub: "a.published_at", id: "a.id"}
	tags := tagFilters(f)
	q.drive(d, f, tags)
	if len(f.Query) > 0 && f.Sort != news.SortRelevance {
		cond, args := d.matchAll(f.Query, q.pub, q.id)
		q.cond(cond, args...)
		q.needA = q.needA || d.postgres
	}
	for _, t := range tags {
		if d.postgres && f.Sort == news.SortRelevance {
			// Every match is read to be ranked: its own tag text is
			// checked, not looked up (see pgRelevancePage).
			q.tagTextConds(d, t)
		} else {
			q.tagConds(d, t)
		}
	}
	q.fieldConds(d, f)
	return q
}

// tagFilters are f's conditions on countries and on themes.
func tagFilters(f news.Filter) []tagFilter {
	return []tagFilter{
		{"article_countries", "country", "countries", f.Countries, f.CountriesAll, f.CountriesNot},
		{"article_themes", "theme", "themes", f.Themes, f.ThemesAll, f.ThemesNot},
	}
}

// articleList is the list of f without its words, driven from articles
// a whatever its tags, each tag a condition read from the article's row
// (see tagTextConds): what a plan that starts from a set of articles (the
// matches of words) checks them against.
func articleList(d dialect, f news.Filter) listQuery {
	q := listQuery{from: "articles a", pub: "a.published_at", id: "a.id"}
	for _, t := range tagFilters(f) {
		q.tagTextConds(d, t)
	}
	q.fieldConds(d, f)
	return q
}

// drive chooses the table the list walks, and takes from tags the values
// that the choice already requires.
func (q *listQuery) drive(d dialect, f news.Filter, tags []tagFilter) {
	switch {
	case f.Sort == news.SortRelevance:
		var cond string
		var args []any
		q.from, q.rank, q.rankArgs, cond, args = d.relevance(f.Query)
		q.cond(cond, args...)
		q.needA = true
	case !f.WithDrafts && tags[0].requires() && tags[1].requires():
		// One country and one theme: a range of the pairs of published
		// articles.
		c, _ := tags[0].take()
		t, _ := tags[1].take()
		q.from = "article_pairs d JOIN articles a ON a.id = d.article_id"
		q.pub, q.id, q.pairs = "d.published_at", "d.article_id", true
		q.cond("d.country "+d.eq()+" AND d.theme "+d.eq(), c, t)
	default:
		// Drive from the first single tag the list must carry.
		for i := range tags {
			if v, ok := tags[i].take(); ok {
				q.from = fmt.Sprintf("%s d JOIN articles a ON a.id = d.article_id", tags[i].table)
				q.pub, q.id = "d.published_at", "d.article_id"
				q.cond("d."+tags[i].col+" "+d.eq(), v)
				break
			}
		}
	}
}

// tagConds adds the conditions of t's values that drive did not take:
// whether the row's article carries a tag, on SQLite a lookup of the tag
// table's primary key per value, on PostgreSQL of its article_id index
// (see migration 00009).
func (q *listQuery) tagConds(d dialect, t tagFilter) {
	exists := func(in string) string {
		if d.postgres {
			return fmt.Sprintf("EXISTS (SELECT 1 FROM %s x WHERE x.article_id = %s AND x.%s %s)", t.table, q.id, t.col, in)
		}
		return fmt.Sprintf("EXISTS (SELECT 1 FROM %s x WHERE x.%s %s AND x.published_at = %s AND x.article_id = %s)",
			t.table, t.col, in, q.pub, q.id)
	}
	if len(t.any) > 0 {
		q.cond(exists("IN ("+placeholders(len(t.any))+")"), anyArgs(t.any)...)
	}
	for _, v := range t.all {
		q.cond(exists(d.eq()), v)
	}
	if len(t.none) > 0 {
		q.cond("NOT "+exists("IN ("+placeholders(len(t.none))+")"), anyArgs(t.none)...)
	}
}

// tagTextConds adds the conditions of t's values as tests of the
// article's own tag text (a.countries, a.themes), which the statement
// reads anyway, for lists that read every candidate's row: a search walk
// checks hundreds of matches for a page, and two lookups of a tag
// table's primary key per match cost more than the rest of the check.
// At a million articles, the 21 newest matches of "sanctions" that
// carry RU and sanctions took 157 µs with lookups, 89 µs with this;
// "food aid", 270 and 183 µs. A tag is between commas in
// ','||text||','; tags never hold commas. That test builds a string for
// every row it checks, so the tag alone is looked for first: most rows a
// walk checks do not carry it at all, and are let go at that. A country
// code of two letters needs no more, as every code in the text is two
// letters between commas: two letters found in it are one of its codes.
func (q *listQuery) tagTextConds(d dialect, t tagFilter) {
	find := "instr"
	if d.postgres {
		find = "strpos"
	}
	text := "a." + t.text
	has := func(vals []string) (string, []any) {
		parts := make([]string, 0, len(vals))
		args := make([]any, 0, 2*len(vals))
		for _, v := range vals {
			if t.text == "countries" && isCountryCode(v) {
				parts = append(parts, find+"("+text+", ?) > 0")
				args = append(args, v)
				continue
			}
			parts = append(parts, "("+find+"("+text+", ?) > 0 AND "+find+"(',' || "+text+" || ',', ?) > 0)")
			args = append(args, v, ","+v+",")
		}
		return "(" + strings.Join(parts, " OR ") + ")", args
	}
	if len(t.any) > 0 {
		c, args := has(t.any)
		q.cond(c, args...)
	}
	for _, v := range t.all {
		c, args := has([]string{v})
		q.cond(c, args...)
	}
	if len(t.none) > 0 {
		c, args := has(t.none)
		q.cond("NOT "+c, args...)
	}
}

// isCountryCode says whether v is two capital letters, the form of every
// country code.
func isCountryCode(v string) bool {
	return len(v) == 2 && 'A' <= v[0] && v[0] <= 'Z' && 'A' <= v[1] && v[1] <= 'Z'
}

// fieldConds adds the conditions on dates, source, section, language and
// status.
func (q *listQuery) fieldConds(d dialect, f news.Filter) {
	if f.Since != nil {
		q.cond(q.pub+" >= ?", micros(*f.Since))
	}
	if f.Until != nil {
		q.cond(q.pub+" < ?", micros(*f.Until))
	}
	for _, c := range []struct {
		col string
		v   *string
	}{{"a.source", f.Source}, {"a.section", f.Section}} {
		if c.v != nil {
			q.cond(c.col+" "+d.eq(), *c.v)
			q.needA = true
		}
	}
	if f.Language != nil {
		// Tags are case-insensitive; rows written before they were
		// stored in canonical case may be in any.
		q.cond("lower(a.language) "+d.eq(), strings.ToLower(*f.Language))
		q.needA = true
	}
	if !f.WithDrafts && !q.pairs { // pairs exist for published articles only
		q.cond("a.status = 'published'")
		q.needA = true
	}
}

// pageSQL returns the query for one page of q, the list of f (limit+1
// rows, to learn whether another page follows), from the cursor f.After
// on. q itself is left as it was, for the total and facets.
func (q listQuery) pageSQL(d dialect, f news.Filter) (string, []any) {
	q.where, q.args = slices.Clip(q.where), slices.Clip(q.args)
	cols := d.columns(f.WithBody)
	if listJSONPage(d, q, f) {
		cols = listJSONColumns
	}
	limit := f.Limit + 1
	if q.rank != "" { // PostgreSQL by relevance (SQLite ranks in relevancePage)
		// Only the newest RelevanceWindow matches are ranked. Where they
		// were looked for among recent articles only, each row also
		// tells how many there were (see pgRelevancePage).
		size := ""
		if q.unordered {
			size = ", count(*) OVER () AS window_size"
		}
		inner := "SELECT " + cols + ", " + q.rank + " AS rank" + size + " FROM (" + q.windowSQL("a.*") + ") a"
		sql := "SELECT * FROM (" + inner + ") p"
		args := append(append([]any{}, q.rankArgs...), q.args...)
		if f.After != nil {
			sql += " WHERE (p.rank, p.id) > (?, ?)"
			args = append(args, f.After.Rank, f.After.ID)
		}
		return sql + " ORDER BY p.rank, p.id" + limitSQL(limit), args
	}
	dir := q.afterCursor(f, q.pub, q.id)
	sql := "SELECT " + cols + " FROM " + q.from + q.whereSQL() + orderBy(q.pub, q.id, dir) + limitSQL(limit)
	return sql, q.args
}

// afterCursor adds to q the condition that its rows, keyed (pub, id),
// come after f's cursor in f's order, and returns that order's direction:
// DESC newest first, ASC oldest first.
func (q *listQuery) afterCursor(f news.Filter, pub, id string) string {
	dir, op := "DESC", "<"
	if f.Sort == news.SortOldest {
		dir, op = "ASC", ">"
	}
	if f.After != nil {
		q.cond(fmt.Sprintf("(%s, %s) %s (?, ?)", pub, id, op), micros(f.After.PublishedAt), f.After.ID)
	}
	return dir
}

// orderBy orders rows by (pub, id) in direction dir.
func orderBy(pub, id, dir string) string {
	return fmt.Sprintf(" ORDER BY %s %s, %s %s", pub, dir, id, dir)
}

// limitSQL is a LIMIT clause of n rows, written into the statement rather
// than bound: SQLite (3.54) plans a query again whenever a new value is
// bound to its LIMIT parameter, and the driver clears the bindings after
// every run, so a bound LIMIT had every page request parse and plan its
// query anew (a fifth of SQLite's time for page 1). Each page size gets
// its own cached statement; sizes are at most news.MaxLimit + 1.
func limitSQL(n int) string {
	return " LIMIT " + strconv.Itoa(n)
}

// countSQL counts the rows of the list.
func (q *listQuery) countSQL(d dialect) (string, []any) {
	switch {
	case q.rank != "":
		// PostgreSQL by relevance: the window that pageSQL ranks,
		// counted no further (SQLite's q is bounded by relevancePage).
		// A word in half the articles took 330 ms to count in full at
		// a million.
		return "SELECT count(*) FROM (" + q.windowSQL("1") + ") w", q.args
	case q.tagsets(d) && d.postgres:
		// The pair's own row, whose tag sets are empty (migration 00013).
		return "SELECT coalesce(max(d.n), 0) FROM article_tagsets d" + q.whereSQL() + " AND d.countries = '' AND d.themes = ''", q.args
	case q.tagsets(d):
		return "SELECT coalesce(sum(n), 0) FROM article_tagsets d" + q.whereSQL(), q.args
	}
	return "SELECT count(*) FROM " + q.countFrom() + q.whereSQL(), q.args
}

// tagsets says that q is every published article of one country and one
// theme, which both databases count per tag set in article_tagsets
// (migrations 00009 and 00013): its total and facets are read from there.
// (PostgreSQL's row of the pair's total has empty tag sets, which add
// nothing to facets.)
func (q *listQuery) tagsets(dialect) bool {
	return q.pairs && len(q.where) == 1
}

// facetSQL counts the rows of the list per tag set: (countries, themes, n).
func (q *listQuery) facetSQL(d dialect) (string, []any) {
	if q.rank != "" { // PostgreSQL by relevance: the window it ranks
		return "SELECT w.countries, w.themes, count(*) FROM (" + q.windowSQL("a.countries, a.themes") +
			") w GROUP BY w.countries, w.themes", q.args
	}
	if q.tagsets(d) {
		return "SELECT d.countries, d.themes, d.n FROM article_tagsets d" + q.whereSQL() + " AND d.n > 0", q.args
	}
	tags := "a.countries, a.themes"
	if q.pairs && !q.needA {
		tags = "d.countries, d.themes"
	}
	return "SELECT " + tags + ", count(*) FROM " + q.countFrom() + q.whereSQL() + " GROUP BY " + tags, q.args
}

// readPage runs a page query of limit+1 rows and closes its rows. Every
// row is read into one articleRow, whose values toArticle copies out. On
// SQLite the rows come from the driver itself (driverRows); PostgreSQL
// reads them through gorm, which numbers the statement's placeholders.
func readPage(db *gorm.DB, sql string, args []any, limit int, extra []any, rank *float64) (news.Page, error) {
	page := news.Page{Articles: make([]news.Article, 0, limit)}
	var r articleRow
	var lastRank float64
	// add adds the row in r, or when the page is full, says so and
	// where the next one starts.
	add := func() (more bool) {
		if len(page.Articles) == limit {
			last := page.Articles[len(page.Articles)-1]
			page.Next = &news.Cursor{PublishedAt: last.PublishedAt, ID: last.ID, Rank: lastRank}
			return false
		}
		page.Articles = append(page.Articles, r.toArticle())
		lastRank = *rank
		return true
	}
	if pool, ok := db.Statement.ConnPool.(*gosql.DB); ok && db.Name() == sqliteDialect.name {
		err := driverRows(db.Statement.Context, pool, sql, args, func(vals []driver.Value) (bool, error) {
			if err := r.fromValues(vals, rank); err != nil {
				return false, err
			}
			return add(), nil
		})
		return page, err
	}
	rows, err := db.Raw(sql, args...).Rows()
	if err != nil {
		return news.Page{}, err
	}
	defer rows.Close()
	dest := append(r.dest(), extra...)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return news.Page{}, err
		}
		if !add() {
			break
		}
	}
	return page, rows.Err()
}

// ListArticles returns one page of articles matching f, with the total and
// facets when asked for. The list's SQL is built once, and the page, the
// total and the facets are statements over it.
func (s *Store) ListArticles(ctx context.Context, f news.Filter) (news.Page, error) {
	if f.Limit <= 0 {
		f.Limit = news.DefaultLimit
	}
	db := s.read(ctx)
	if s.dialect.postgres && len(f.Query) > 0 && (f.Sort == news.SortRelevance || f.IncludeTotal || len(f.Facets) > 0) {
		// Ranking a search and counting its matches are planned for its
		// own words, as the planner's statistics tell how common they
		// are: a word in 44% of the articles is ranked by walking the
		// date index and counted by reading the whole table, a rare one
		// is read from the GIN index. The connections' kept plans
		// (genericPlans) guess 0.5% for any words: one common word by
		// relevance took 420 ms instead of 6. A page in date order alone
		// needs no such plan: its statements walk a window or read the
		// GIN index whatever the words (pgSearch).
		var page news.Page
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("SET LOCAL plan_cache_mode = force_custom_plan").Error; err != nil {
				return err
			}
			var err error
			page, err = s.listArticles(ctx, tx, f)
			return err
		})
		return page, translate(err, "list articles")
	}
	return s.listArticles(ctx, db, f)
}

// listArticles is ListArticles on db.
func (s *Store) listArticles(ctx context.Context, db *gorm.DB, f news.Filter) (news.Page, error) {
	q := buildList(s.dialect, f)
	page, err := s.listPage(ctx, db, &q, f)
	if err != nil {
		return news.Page{}, translate(err, "list articles")
	}
	// The page's rows are closed before the total and facets run, so that
	// no request ever holds one pooled connection while it waits for another.
	if f.IncludeTotal {
		sql, args := q.countSQL(s.dialect)
		var n int
		if err := db.Raw(sql, args...).Scan(&n).Error; err != nil {
			return news.Page{}, translate(err, "count articles")
		}
		page.Total = &n
	}
	if len(f.Facets) > 0 {
		if page.Facets, err = facets(db, &q, s.dialect, f.Facets); err != nil {
			return news.Page{}, err
		}
	}
	return page, nil
}

// listPage reads the page of q, the list of f. A SQLite search in date
// order takes the plan planSearch picks; one by relevance ranks only the
// newest matches, in Go, and bounds q to them (see relevancePage).
func (s *Store) listPage(ctx context.Context, db *gorm.DB, q *listQuery, f news.Filter) (news.Page, error) {
	if len(f.Query) > 0 && s.dialect.postgres {
		if f.Sort == news.SortRelevance {
			return s.pgRelevancePage(db, q, f)
		}
		return s.pgSearch(db, f)
	}
	if len(f.Query) > 0 && !s.dialect.postgres {
		if f.Sort != news.SortRelevance {
			plan, err := s.planSearch(ctx, f)
			if err != nil {
				return news.Page{}, err
			}
			return searchPage(s.dialect, db, *q, f, plan)
		}
		return s.relevancePage(ctx, db, q, f)
	}
	return readListPage(s.dialect, db, *q, f)
}

// searchPage reads the page of a SQLite search in date order by plan; q
// is the list of f as buildList makes it.
func searchPage(d dialect, db *gorm.DB, q listQuery, f news.Filter, plan searchPlan) (news.Page, error) {
	switch plan {
	case walkMatches:
		return readWalkOf(d, db, f)
	case tagsProbing:
		ff := f
		ff.Query = nil
		q = buildList(d, ff)
		q.cond("EXISTS (SELECT 1 FROM articles_fts WHERE articles_fts MATCH ? AND articles_fts.rowid = "+
			searchKeySQL(q.pub, q.id)+")", ftsQuery(f.Query))
	case tagsWithMatchSet: // q as built
	}
	return readListPage(d, db, q, f)
}

// readListPage reads the page of q, the list of f, with pageSQL.
func readListPage(d dialect, db *gorm.DB, q listQuery, f news.Filter) (news.Page, error) {
	sql, args := q.pageSQL(d, f)
	if listJSONPage(d, q, f) {
		return readListJSONPage(db, sql, args, f.Limit, func() (news.Page, error) {
			f.ListJSON = false
			return readListPage(d, db, q, f)
		})
	}
	return readPage(db, sql, args, f.Limit, nil, new(float64))
}

// RelevanceWindow is how many of a search's newest matches a relevance
// order ranks: ranking reads every match it ranks, so a common word would
// otherwise cost in proportion to the articles. (SQLite's bm25 also
// counts every match of each word once, to weigh the words, which no
// window bounds: 10–50 ms for words in half of a million articles.)
const RelevanceWindow = 2_000

// facets counts the tags of the articles in q's list, in one pass: the
// list's rows grouped by their tag sets (a few hundred distinct sets where
// there are a million rows), whose counts are then summed per tag.
func facets(db *gorm.DB, q *listQuery, d dialect, names []string) (map[string][]news.FacetCount, error) {
	sql, args := q.facetSQL(d)
	rows, err := db.Raw(sql, args...).Rows()
	if err != nil {
		return nil, translate(err, "count facets")
	}
	defer rows.Close()
	counts := map[string]map[string]int{news.FacetCountry: {}, news.FacetTheme: {}}
	for rows.Next() {
		var countries, themes string
		var n int
		if err := rows.Scan(&countries, &themes, &n); err != nil {
			return nil, translate(err, "count facets")
		}
		addTags(counts[news.FacetCountry], countries, n)
		addTags(counts[news.FacetTheme], themes, n)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "count facets")
	}
	out := map[string][]news.FacetCount{}
	for _, facet := range names {
		list := make([]news.FacetCount, 0, len(counts[facet]))
		for k, n := range counts[facet] {
			list = append(list, news.FacetCount{Key: k, Count: n})
		}
		// Most articles first, then by tag.
		slices.SortFunc(list, func(a, b news.FacetCount) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(a.Key, b.Key)
		})
		out[facet] = list
	}
	return out, nil
}

// addTags adds n to the count of each tag in set, a tag text.
func addTags(counts map[string]int, set string, n int) {
	if set == "" {
		return
	}
	for tag := range strings.SplitSeq(set, ",") {
		counts[tag] += n
	}
}

package store

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
)

// TestListQueryPlans prints SQLite's plan for the main list queries and
// fails if any of them scans a whole table or sorts its matches: each must
// walk an index in (published_at, id) order and stop after one page.
func TestListQueryPlans(t *testing.T) {
	s, _ := newStore(t, "sqlite")
	ctx := context.Background()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 50 {
		mustCreate(t, s, draft(t, s, fmt.Sprintf("headline %d", i), base.Add(time.Duration(i)*time.Hour),
			[]string{[]string{"RU", "CN", "KP"}[i%3]}, []string{[]string{"sanctions", "trade"}[i%2]}))
	}
	cursor := &news.Cursor{PublishedAt: base.Add(30 * time.Hour), ID: 30}
	// Plans are checked on a fresh database and again once ANALYZE has
	// given the planner statistics, which can change its mind.
	for _, analyzed := range []bool{false, true} {
		if analyzed {
			if err := s.w.WithContext(ctx).Exec("ANALYZE").Error; err != nil {
				t.Fatal(err)
			}
		}
		suffix := ""
		if analyzed {
			suffix = ", analyzed"
		}
		eachPlanQuery(t, cursor, suffix, func(t *testing.T, name string, f news.Filter) {
			q, args := buildList(s.dialect, f).pageSQL(s.dialect, f)
			plan := explain(t, s, q, args)
			t.Logf("%s\n%s", name, plan)
			for _, line := range strings.Split(plan, "\n") {
				line = strings.TrimSpace(line)
				if strings.Contains(line, "USE TEMP B-TREE") {
					t.Errorf("the plan sorts its matches: %q", line)
				}
				if strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "USING INDEX") && !strings.Contains(line, "USING COVERING INDEX") {
					t.Errorf("the plan scans a whole table: %q", line)
				}
			}
			// The page must actually come back in order.
			page, err := s.ListArticles(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(page.Articles); i++ {
				a, b := page.Articles[i-1], page.Articles[i]
				if (f.Sort == news.SortNewest) != a.PublishedAt.After(b.PublishedAt) {
					t.Errorf("rows %d and %d out of order: %v, %v", i-1, i, a.PublishedAt, b.PublishedAt)
				}
			}
		})
	}
}

// planCases are the main list queries whose plans the tests check.
var planCases = []struct {
	name string
	f    news.Filter
}{
	{"no filter", news.Filter{}},
	{"one country", news.Filter{Countries: []string{"RU"}}},
	{"one theme", news.Filter{Themes: []string{"sanctions"}}},
	{"country and theme", news.Filter{Countries: []string{"RU"}, Themes: []string{"sanctions"}}},
	{"all of two countries", news.Filter{CountriesAll: []string{"KP", "RU"}}},
	{"oldest first, country", news.Filter{Countries: []string{"CN"}, Sort: news.SortOldest}},
}

// eachPlanQuery runs check as a subtest for every plan case, a page of 20,
// from the start and after cursor.
func eachPlanQuery(t *testing.T, cursor *news.Cursor, suffix string, check func(t *testing.T, name string, f news.Filter)) {
	for _, tc := range planCases {
		for _, withCursor := range []bool{false, true} {
			name := tc.name + suffix
			f := tc.f
			f.Limit = 20
			if f.Sort == "" {
				f.Sort = news.SortNewest
			}
			if withCursor {
				name += ", after a cursor"
				f.After = cursor
			}
			t.Run(name, func(t *testing.T) { check(t, name, f) })
		}
	}
}

func explain(tb testing.TB, s *Store, q string, args []any) string {
	tb.Helper()
	rows, err := s.r.Raw("EXPLAIN QUERY PLAN "+q, args...).Rows()
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	depth := map[int]int{}
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			tb.Fatal(err)
		}
		depth[id] = depth[parent] + 1
		fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", depth[id]), detail)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return strings.TrimRight(b.String(), "\n")
}

// TestListQueryPlansPostgres shows PostgreSQL's plans for the same list
// queries over 30,000 articles and fails if one reads a whole table or
// sorts its matches: each must walk a B-tree in (published_at, id) order
// (backwards for newest first) and stop after a page.
func TestListQueryPlansPostgres(t *testing.T) {
	s, _ := newStore(t, "postgres")
	ctx := context.Background()
	// Bulk data straight in SQL: 30,000 articles over two years, a third
	// about Russia, a fifth about China, half sanctions, a quarter trade.
	for _, q := range []string{
		`INSERT INTO articles (title, published_at, created_at, updated_at)
		 SELECT 'headline ' || g, 1700000000000000 + g::bigint * 2000000000, 0, 0 FROM generate_series(1, 30000) g`,
		`INSERT INTO article_countries (country, published_at, article_id)
		 SELECT CASE WHEN id % 3 = 0 THEN 'RU' WHEN id % 5 = 0 THEN 'CN' ELSE 'KP' END, published_at, id FROM articles`,
		`INSERT INTO article_countries (country, published_at, article_id)
		 SELECT 'KP', published_at, id FROM articles WHERE id % 3 = 0`,
		`INSERT INTO article_themes (theme, published_at, article_id)
		 SELECT CASE WHEN id % 2 = 0 THEN 'sanctions' WHEN id % 4 = 1 THEN 'trade' ELSE 'troops' END, published_at, id FROM articles`,
		`UPDATE articles SET
		 countries = (SELECT string_agg(country, ',' ORDER BY country) FROM article_countries WHERE article_id = articles.id),
		 themes = (SELECT string_agg(theme, ',' ORDER BY theme) FROM article_themes WHERE article_id = articles.id)`,
		`INSERT INTO article_pairs (country, theme, published_at, article_id, countries, themes)
		 SELECT c.country, t.theme, a.published_at, a.id, a.countries, a.themes FROM articles a
		 JOIN article_countries c ON c.article_id = a.id JOIN article_themes t ON t.article_id = a.id`,
		`VACUUM ANALYZE`,
	} {
		if err := s.w.WithContext(ctx).Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	explainPG := func(t *testing.T, q string, args ...any) []string {
		t.Helper()
		var lines []string
		rows, err := s.r.Raw("EXPLAIN "+q, args...).Rows()
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return lines
	}
	// An article's pairs and tag rows go by their keys (there is no index
	// on article_id).
	for _, q := range s.dialect.sqlDropTags() {
		if plan := strings.Join(explainPG(t, s.dialect.rebind(q), int64(15000)), "\n"); strings.Contains(plan, "Seq Scan on article") {
			t.Errorf("deleting an article's tag rows reads a whole table:\n%s\n%s", q, plan)
		} else {
			t.Logf("%s\n%s", q, plan)
		}
	}
	// The total and facets of one country and one theme read the pair's
	// tag-set counts alone (here a page of them: a million articles make a
	// few thousand for RU and sanctions, read along the key).
	pair := news.Filter{Countries: []string{"RU"}, Themes: []string{"sanctions"}, Sort: news.SortNewest}
	q := buildList(s.dialect, pair)
	for name, build := range map[string]func(*listQuery, dialect) (string, []any){"total": (*listQuery).countSQL, "facets": (*listQuery).facetSQL} {
		sql, args := build(&q, s.dialect)
		plan := strings.Join(explainPG(t, s.dialect.rebind(sql), args...), "\n")
		t.Logf("%s\n%s", name, plan)
		if !strings.Contains(plan, "on article_tagsets d") || strings.Contains(plan, "article_pairs") {
			t.Errorf("%s reads more than the tag-set counts of the pair", name)
		}
	}
	cursor := &news.Cursor{PublishedAt: fromMicros(1700000000000000 + 15000*2000000000), ID: 15000}
	eachPlanQuery(t, cursor, "", func(t *testing.T, name string, f news.Filter) {
		q, args := buildList(s.dialect, f).pageSQL(s.dialect, f)
		lines := explainPG(t, q, args...)
		plan := strings.Join(lines, "\n")
		t.Logf("%s\n%s", name, plan)
		for _, line := range lines {
			node := strings.TrimLeft(strings.TrimSpace(line), "-> ")
			if strings.HasPrefix(node, "Seq Scan on articles") || strings.HasPrefix(node, "Seq Scan on article_") {
				t.Errorf("the plan reads a whole table: %q", node)
			}
			if strings.HasPrefix(node, "Sort ") || strings.HasPrefix(node, "Incremental Sort") {
				t.Errorf("the plan sorts its matches: %q", node)
			}
		}
	})
}

// TestCountAndFacetPlans checks that the total and the facets of one
// country and one theme read their tag-set counts alone.
func TestCountAndFacetPlans(t *testing.T) {
	s, _ := newStore(t, "sqlite")
	f := news.Filter{Countries: []string{"RU"}, Themes: []string{"sanctions"}, Sort: news.SortNewest}
	q := buildList(s.dialect, f)
	for name, build := range map[string]func(*listQuery, dialect) (string, []any){"total": (*listQuery).countSQL, "facets": (*listQuery).facetSQL} {
		sql, args := build(&q, s.dialect)
		plan := explain(t, s, sql, args)
		t.Logf("%s\n%s", name, plan)
		if !strings.Contains(plan, "SEARCH d USING PRIMARY KEY (country=? AND theme=?)") || strings.Count(plan, "\n") > 1 {
			t.Errorf("%s reads more than the tag-set counts of the pair", name)
		}
	}
}

// An article's pairs and tag rows are deleted and rewritten through their
// primary keys, which the article's row gives: the tag tables have no
// index on article_id, and a scan of one would cost a write at a million
// articles millions of rows.
func TestPairWritesUseTheKey(t *testing.T) {
	s, _ := newStore(t, "sqlite")
	queries := map[string]string{}
	for i, q := range s.dialect.sqlDropTags() {
		queries[fmt.Sprint("drop ", i)] = q
	}
	keys := map[string]string{
		"article_pairs":     "SEARCH article_pairs USING PRIMARY KEY (country=? AND theme=? AND published_at=? AND article_id=?)",
		"article_countries": "SEARCH article_countries USING PRIMARY KEY (country=? AND published_at=? AND article_id=?)",
		"article_themes":    "SEARCH article_themes USING PRIMARY KEY (theme=? AND published_at=? AND article_id=?)",
	}
	for name, q := range queries {
		plan := explain(t, s, q, []any{int64(1)})
		t.Logf("%s\n%s", name, plan)
		table := strings.Fields(q)[2]
		if !strings.Contains(plan, keys[table]) || strings.Contains(plan, "SCAN article_") || !strings.Contains(plan, "SEARCH a USING INTEGER PRIMARY KEY") {
			t.Errorf("%s does not find the rows of %s by their key", name, table)
		}
	}
}

// The article counts of countries and themes are read from tag_counts,
// a range of its key. Counted afresh (recountTags), they count tag rows
// along their key and look up only drafts: never every tag row's article.
func TestTagCountPlans(t *testing.T) {
	s, _ := newStore(t, "sqlite")
	for _, kind := range []string{tagCountry, tagTheme} {
		for _, tag := range []string{"", "x"} {
			q, args := s.dialect.tagCountSQL(kind, tag)
			plan := explain(t, s, q, args)
			t.Logf("%s %q\n%s", kind, tag, plan)
			want := "SEARCH t USING PRIMARY KEY (kind=?)"
			if tag != "" {
				want = "SEARCH t USING PRIMARY KEY (kind=? AND tag=?)"
			}
			if strings.TrimSpace(plan) != want {
				t.Errorf("the counts of %s %q read more than their range of tag_counts", kind, tag)
			}
		}
	}
	var steps []string
	if err := s.dialect.recountTags(func(q string, _ ...any) error { steps = append(steps, q); return nil }); err != nil {
		t.Fatal(err)
	}
	recount := steps[len(steps)-1]
	plan := explain(t, s, recount, nil)
	t.Logf("recount\n%s", plan)
	if strings.Count(plan, "INDEX articles_drafts") != 2 || strings.Contains(plan, "SCAN a\n") || strings.Contains(plan, "SEARCH a USING INTEGER PRIMARY KEY") {
		t.Errorf("the recount looks up articles other than drafts")
	}
}

// TestSearchWalksTheIndex: a search in date order walks the full-text
// index in key order, joined to articles by primary key, with no sort of
// the matches, and finds the same page as the plan that looks the tag's
// rows up in the set of matches.
func TestSearchWalksTheIndex(t *testing.T) {
	s, _ := newStore(t, "sqlite")
	ctx := context.Background()
	drafts := make([]news.Draft, 0, 1300)
	for i := range cap(drafts) {
		title := fmt.Sprintf("sanctions talks %d", i)
		if i%13 == 0 {
			title = fmt.Sprintf("trade fair %d", i)
		}
		drafts = append(drafts, draft(t, s, title, t0.Add(time.Duration(i*7919%1300)*time.Minute), []string{"KP"}, nil))
	}
	if _, err := s.UpsertArticles(ctx, drafts); err != nil {
		t.Fatal(err)
	}
	for _, sort := range []news.Sort{news.SortNewest, news.SortOldest} {
		for _, words := range [][]string{{"sanctions", "talks"}, {"trade", "fair"}} {
			f := news.Filter{Query: words, Countries: []string{"KP"}, Sort: sort, Limit: 20}
			sql, args := buildSearch(s.dialect, f).walkSQL(s.dialect, f)
			plan := explain(t, s, sql, args)
			t.Logf("%v %s:\n%s", words, sort, plan)
			if strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, "VIRTUAL TABLE INDEX") ||
				!strings.Contains(plan, "USING INTEGER PRIMARY KEY") {
				t.Errorf("%v %s: the walk does not follow the index", words, sort)
			}
			walked, err := readWalk(s.r, sqliteDialect, sql, args, f)
			if err != nil {
				t.Fatal(err)
			}
			sql, args = buildList(s.dialect, f).pageSQL(s.dialect, f)
			set, err := readPage(s.r, sql, args, f.Limit, nil, new(float64))
			if err != nil {
				t.Fatal(err)
			}
			if a, b := articleIDs(walked.Articles), articleIDs(set.Articles); fmt.Sprint(a) != fmt.Sprint(b) || len(a) != 20 {
				t.Errorf("%v %s: walking %v, from the match set %v", words, sort, a, b)
			}
		}
	}
}

// Each page size is a statement of its own (limitSQL), so the read pool
// keeps its statements in the driver's bounded cache (256 per
// connection), not in gorm's store, which keeps every one for a day. Every
// size of every shape gives the right page.
func TestEveryPageSizeOfEveryShape(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t, "sqlite")
	for i := range 5 {
		mustCreate(t, s, draft(t, s, fmt.Sprintf("Story %d on sanctions", i), t0.Add(time.Duration(i)*time.Hour), []string{"RU"}, []string{"sanctions"}))
	}
	if _, ok := s.r.ConnPool.(*gorm.PreparedStmtDB); ok {
		t.Error("the read pool keeps its statements in gorm's unbounded store")
	}
	filters := []news.Filter{
		{},
		{Countries: []string{"RU"}},
		{Countries: []string{"RU"}, Themes: []string{"sanctions"}},
	}
	for _, f := range filters {
		for limit := 1; limit <= news.MaxLimit; limit++ {
			f.Limit, f.Sort = limit, news.SortNewest
			page, err := s.ListArticles(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if want := min(limit, 5); len(page.Articles) != want || (limit < 5) != (page.Next != nil) {
				t.Fatalf("%+v: %d articles, next %v; want %d", f, len(page.Articles), page.Next, want)
			}
		}
	}
}

// TestPostgresConnectionsKeepPlans checks that the store's PostgreSQL
// connections keep each statement's plan (genericPlans), and that a URL
// setting plan_cache_mode keeps its own.
func TestPostgresConnectionsKeepPlans(t *testing.T) {
	dsn := storetest.DSN(t, "postgres")
	mode := func(t *testing.T, dsn string) string {
		t.Helper()
		s, err := Open(dsn, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var m string
		if err := s.r.Raw("SHOW plan_cache_mode").Scan(&m).Error; err != nil {
			t.Fatal(err)
		}
		return m
	}
	if got := mode(t, dsn); got != genericPlans {
		t.Errorf("plan_cache_mode of the store's connections = %q, want %q", got, genericPlans)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range []struct{ key, value string }{
		{"plan_cache_mode", "auto"},
		{"PLAN_CACHE_MODE", "auto"},
		{"options", "-c plan_cache_mode=auto"},
	} {
		o := *u
		o.RawQuery += "&" + set.key + "=" + strings.ReplaceAll(url.QueryEscape(set.value), "+", "%20")
		// Several connections: each is opened with the URL's parameters.
		for range 3 {
			if got := mode(t, o.String()); got != "auto" {
				t.Errorf("with %s=%s in the URL, the connections' mode = %q", set.key, set.value, got)
			}
		}
	}
}

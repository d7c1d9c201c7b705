package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/headlines/headlines/internal/news"
)

// listQuery is a filtered article set as SQL pieces. The driving table is
// chosen so that the newest-first order is the order of an index: the
// join table of one tag (a range of its primary key) or articles' own
// (published_at, id) index. Every user value is a bound parameter.
type listQuery struct {
	from     string   // FROM clause, with the articles table aliased a
	where    []string // conditions, ANDed
	args     []any    // parameters of from and where, in order
	pub      string   // column of the sort's published_at key
	id       string   // column of the sort's id key
	rank     string   // relevance expression, when sorting by relevance
	rankArgs []any    // its parameters
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
// string (so FTS5 syntax in user input is inert), all of them ANDed.
func ftsQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	}
	return strings.Join(parts, " AND ")
}

// tagFilter describes one join table for buildList.
type tagFilter struct {
	table, col     string
	any, all, none []string
}

// buildList turns f into a listQuery without the cursor.
func buildList(d dialect, f news.Filter) listQuery {
	q := listQuery{from: "articles a", pub: "a.published_at", id: "a.id"}
	tags := []tagFilter{
		{"article_countries", "country", f.Countries, f.CountriesAll, f.CountriesNot},
		{"article_themes", "theme", f.Themes, f.ThemesAll, f.ThemesNot},
	}
	switch f.Sort {
	case news.SortRelevance:
		var cond string
		var args []any
		q.from, q.rank, q.rankArgs, cond, args = d.relevance(f.Query)
		q.cond(cond, args...)
	default:
		// Drive from the first single tag the list must carry.
	drive:
		for i := range tags {
			t := &tags[i]
			var v string
			switch {
			case len(t.any) == 1:
				v, t.any = t.any[0], nil
			case len(t.all) > 0:
				v, t.all = t.all[0], t.all[1:]
			default:
				continue
			}
			q.from = fmt.Sprintf("%s d JOIN articles a ON a.id = d.article_id", t.table)
			q.pub, q.id = "d.published_at", "d.article_id"
			q.cond("d."+t.col+" = ?", v)
			break drive
		}
		if len(f.Query) > 0 {
			cond, args := d.matchAll(f.Query)
			q.cond(cond, args...)
		}
	}
	for _, t := range tags {
		exists := fmt.Sprintf("EXISTS (SELECT 1 FROM %s x WHERE x.article_id = a.id AND x.%s", t.table, t.col)
		if len(t.any) > 0 {
			q.cond(exists+" IN ("+placeholders(len(t.any))+"))", anyArgs(t.any)...)
		}
		for _, v := range t.all {
			q.cond(exists+" = ?)", v)
		}
		if len(t.none) > 0 {
			q.cond("NOT "+exists+" IN ("+placeholders(len(t.none))+"))", anyArgs(t.none)...)
		}
	}
	if f.Since != nil {
		q.cond(q.pub+" >= ?", micros(*f.Since))
	}
	if f.Until != nil {
		q.cond(q.pub+" < ?", micros(*f.Until))
	}
	if f.Source != nil {
		q.cond("a.source = ?", *f.Source)
	}
	if f.Section != nil {
		q.cond("a.section = ?", *f.Section)
	}
	if f.Language != nil {
		q.cond("a.language = ?", *f.Language)
	}
	if !f.WithDrafts {
		q.cond("a.status = 'published'")
	}
	return q
}

// pageSQL returns the query for one page of f (limit+1 rows, to learn
// whether another page follows).
func pageSQL(d dialect, f news.Filter) (string, []any) {
	q := buildList(d, f)
	cols := d.columns(f.WithBody)
	limit := f.Limit + 1
	if q.rank != "" {
		inner := "SELECT " + cols + ", " + q.rank + " AS rank FROM " + q.from + q.whereSQL()
		sql := "SELECT * FROM (" + inner + ") p"
		args := append(append([]any{}, q.rankArgs...), q.args...)
		if f.After != nil {
			sql += " WHERE (p.rank, p.id) > (?, ?)"
			args = append(args, f.After.Rank, f.After.ID)
		}
		return sql + " ORDER BY p.rank, p.id LIMIT ?", append(args, limit)
	}
	dir, op := "DESC", "<"
	if f.Sort == news.SortOldest {
		dir, op = "ASC", ">"
	}
	if f.After != nil {
		q.cond(fmt.Sprintf("(%s, %s) %s (?, ?)", q.pub, q.id, op), micros(f.After.PublishedAt), f.After.ID)
	}
	sql := "SELECT " + cols + " FROM " + q.from + q.whereSQL() +
		fmt.Sprintf(" ORDER BY %s %s, %s %s LIMIT ?", q.pub, dir, q.id, dir)
	return sql, append(q.args, limit)
}

// ListArticles returns one page of articles matching f, with the total and
// facets when asked for.
func (s *Store) ListArticles(ctx context.Context, f news.Filter) (news.Page, error) {
	if f.Limit <= 0 {
		f.Limit = news.DefaultLimit
	}
	sql, args := pageSQL(s.dialect, f)
	var rank float64
	var extra []any
	if f.Sort == news.SortRelevance {
		extra = append(extra, &rank)
	}
	db := s.read(ctx)
	rows, err := db.Raw(sql, args...).Rows()
	if err != nil {
		return news.Page{}, translate(err, "list articles")
	}
	defer rows.Close()
	var page news.Page
	var lastRank float64
	for rows.Next() {
		var r articleRow
		if err := rows.Scan(append(r.dest(), extra...)...); err != nil {
			return news.Page{}, translate(err, "list articles")
		}
		if len(page.Articles) == f.Limit {
			last := page.Articles[len(page.Articles)-1]
			page.Next = &news.Cursor{PublishedAt: last.PublishedAt, ID: last.ID, Rank: lastRank}
			break
		}
		page.Articles = append(page.Articles, r.toArticle())
		lastRank = rank
	}
	if err := rows.Err(); err != nil {
		return news.Page{}, translate(err, "list articles")
	}
	if page.Articles == nil {
		page.Articles = []news.Article{}
	}
	if f.IncludeTotal {
		q := buildList(s.dialect, f)
		var n int
		if err := db.Raw("SELECT count(*) FROM "+q.from+q.whereSQL(), q.args...).Scan(&n).Error; err != nil {
			return news.Page{}, translate(err, "count articles")
		}
		page.Total = &n
	}
	if len(f.Facets) > 0 {
		page.Facets = map[string][]news.FacetCount{}
		q := buildList(s.dialect, f)
		set := "SELECT a.id FROM " + q.from + q.whereSQL()
		for _, facet := range f.Facets {
			table, col := "article_countries", "country"
			if facet == news.FacetTheme {
				table, col = "article_themes", "theme"
			}
			var counts []struct {
				Key   string
				Count int
			}
			fq := fmt.Sprintf("SELECT %[2]s AS key, count(*) AS count FROM %[1]s WHERE article_id IN (%[3]s) GROUP BY %[2]s ORDER BY count(*) DESC, %[2]s",
				table, col, set)
			if err := db.Raw(fq, q.args...).Scan(&counts).Error; err != nil {
				return news.Page{}, translate(err, "count facets")
			}
			fc := make([]news.FacetCount, len(counts))
			for i, c := range counts {
				fc[i] = news.FacetCount{Key: c.Key, Count: c.Count}
			}
			page.Facets[facet] = fc
		}
	}
	return page, nil
}

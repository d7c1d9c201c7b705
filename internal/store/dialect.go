package store

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/headlines/headlines/migrations"
)

// dialect holds the few pieces of SQL that differ between SQLite and
// PostgreSQL; every other statement is the same text on both.
type dialect struct {
	name       string
	postgres   bool
	goose      goose.Dialect
	migrations fs.FS
}

var (
	sqliteDialect   = dialect{name: "sqlite", goose: goose.DialectSQLite3, migrations: mustSub(migrations.SQLite, "sqlite")}
	postgresDialect = dialect{name: "postgres", postgres: true, goose: goose.DialectPostgres, migrations: mustSub(migrations.Postgres, "postgres")}
)

// gormConfig is GORM's configuration for every pool of d: quiet, and no
// transaction around single statements (a write that needs one opens
// it). On PostgreSQL, SELECTs through a model name its columns: SELECT *
// would also read the generated search vector, which no model holds. On
// SQLite every column is a model's (TestModelsMatchSchema), and naming
// them cost 4.5 µs of a 43 µs read of one article.
func (d dialect) gormConfig() *gorm.Config {
	return &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true, QueryFields: d.postgres}
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // the embedded folders are fixed at build time
	}
	return sub
}

// columns are the columns every article read selects, in scan order; body
// is left out (”) where a list does not ask for it.
func (d dialect) columns(withBody bool) string {
	body := "''"
	if withBody {
		body = "a.body"
	}
	return `a.id, a.title, a.summary, ` + body + `, a.url, a.image_url, a.source, a.section,
	a.author, a.language, a.status, a.published_at, a.created_at, a.updated_at, a.version, a.countries, a.themes, a.auto_tags`
}

// tsQuery builds a PostgreSQL text-search query from terms: each word or
// phrase a bound parameter, all of them ANDed.
func tsQuery(terms []string) (string, []any) {
	parts := make([]string, len(terms))
	args := make([]any, len(terms))
	for i, t := range terms {
		fn := "plainto_tsquery"
		if strings.Contains(t, " ") {
			fn = "phraseto_tsquery"
		}
		parts[i] = fn + "('english', ?)"
		args[i] = t
	}
	return "(" + strings.Join(parts, " && ") + ")", args
}

// tsQueryOnce is tsQuery as a scalar subquery, computed once per
// statement, for the statements of a page of a search in date order,
// whose plans do not depend on the words (pgSearch). In a generic plan
// (genericPlans) tsQuery is a call on the statement's parameters, made
// again for every row it is tested on; a plan made for the words folds
// it into a constant, but cannot see into the subquery to estimate how
// common they are, which the counts and ranking need (ListArticles).
func tsQueryOnce(terms []string) (string, []any) {
	q, args := tsQuery(terms)
	return "(SELECT " + q + ")", args
}

// matchAll is a condition that every search term occurs in the article
// whose published_at and id are the columns pub and id: on PostgreSQL
// a.search matches, on SQLite the article's search key (see search.go) is
// in the set of the full-text index's matches.
func (d dialect) matchAll(terms []string, pub, id string) (string, []any) {
	if d.postgres {
		q, args := tsQuery(terms)
		return "a.search @@ " + q, args
	}
	return searchKeySQL(pub, id) + " IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)", []any{ftsQuery(terms)}
}

// relevance returns the FROM clause, the rank expression (lower ranks
// first) with its parameters, and the match condition with its parameters
// of a relevance-ordered search. SQLite has no rank expression: its
// pages are ranked in Go (relevancePage), and the list serves its totals
// and facets.
func (d dialect) relevance(terms []string) (from, rank string, rankArgs []any, cond string, condArgs []any) {
	if d.postgres {
		q, args := tsQuery(terms)
		// ts_rank_cd is higher for better matches; negated, so that the
		// best sort first, as relevancePage's ranks do.
		return "articles a", "-ts_rank_cd(a.search, " + q + ")::float8", args, "a.search @@ " + q, args
	}
	return "articles_fts JOIN articles a ON a.id = articles_fts.rowid & " + fmt.Sprint(searchIDMask),
		"", nil, "articles_fts MATCH ?", []any{ftsQuery(terms)}
}

// eq compares with a bound value in a list's conditions: "= ?", or on
// SQLite "= +?". For a term "column = ?", SQLite's planner asks whether
// the value bound is 0 or 1, and so marks the statement to be planned
// again when the parameter is bound anew; the driver clears every binding
// after each run, so each list query was parsed and planned on every
// request (56 against 37 µs for page 1 of a country and a theme at a
// million articles). A unary plus leaves the value, its affinity and the
// index lookup as they are, and SQLite does not look through it.
func (d dialect) eq() string {
	if d.postgres {
		return "= ?"
	}
	return "= +?"
}

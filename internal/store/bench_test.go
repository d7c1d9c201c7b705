package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/sample"
)

// benchArticles is the size of the benchmark data set:
// HEADLINES_BENCH_ARTICLES, 100,000 by default.
func benchArticles() int {
	if n, err := strconv.Atoi(os.Getenv("HEADLINES_BENCH_ARTICLES")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

var (
	benchOnce  sync.Once
	benchStore *Store
	benchErr   error
)

// benchData opens a SQLite file holding the generated data set (seed 1),
// made once and kept in the temp dir for later runs.
func benchData(b *testing.B) *Store {
	b.Helper()
	benchOnce.Do(func() {
		n := benchArticles()
		path := filepath.Join(os.TempDir(), fmt.Sprintf("headlines-bench-%d-seed1.db", n))
		_, statErr := os.Stat(path)
		benchStore, benchErr = Open(path, Options{})
		if benchErr != nil {
			return
		}
		ctx := context.Background()
		if _, benchErr = benchStore.MigrateUp(ctx); benchErr != nil || statErr == nil {
			return
		}
		g := sample.New(1)
		batch := make([]news.Draft, 0, 500)
		for i := range n {
			a := g.Next()
			pub, _ := time.Parse(time.RFC3339, a.PublishedAt)
			d := news.Draft{Title: a.Title, Summary: a.Summary, URL: a.URL, Source: a.Source, Section: a.Section,
				Language: a.Language, Countries: a.Countries, Themes: a.Themes, PublishedAt: pub}
			if benchErr = d.Normalize(benchStore.Vocabulary()); benchErr != nil {
				return
			}
			batch = append(batch, d)
			if len(batch) == cap(batch) || i == n-1 {
				if _, benchErr = benchStore.UpsertArticles(ctx, batch); benchErr != nil {
					return
				}
				batch = batch[:0]
			}
		}
		benchErr = benchStore.w.Exec("ANALYZE").Error
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore
}

// cursorAt is the keyset position after the first n rows of f.
func cursorAt(b *testing.B, s *Store, f news.Filter, n int) *news.Cursor {
	b.Helper()
	f.Limit = n
	page, err := s.ListArticles(context.Background(), f)
	if err != nil || page.Next == nil {
		b.Fatalf("no row %d of the list: %v", n, err)
	}
	return page.Next
}

// benchCase is one list of a benchmark, named.
type benchCase struct {
	name string
	f    news.Filter
}

// benchLists times each list's first page through the store, with its
// allocations and CPU time.
func benchLists(b *testing.B, s *Store, cases []benchCase) {
	ctx := context.Background()
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				if _, err := s.ListArticles(ctx, tc.f); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkList times the list queries of the hot path on the generated
// data set: a common filter at page 1 and 500 pages deep, a rare filter,
// the total, facets (alone and together, which read the list three
// times) and full-text search. Besides the wall time it reports the CPU
// time per op, steadier on a machine that other work shares.
func BenchmarkList(b *testing.B) {
	s := benchData(b)
	ctx := context.Background()
	common := news.Filter{Countries: []string{"RU"}, Themes: []string{"sanctions"}, Sort: news.SortNewest, Limit: 20}
	deep := common
	deep.After = cursorAt(b, s, common, min(500*20, benchArticles()/50))
	cases := []benchCase{
		{"page1_RU_sanctions", common},
		{"deep_RU_sanctions", deep},
		{"rare_CU_human-rights", news.Filter{Countries: []string{"CU"}, Themes: []string{"human-rights"}, Sort: news.SortNewest, Limit: 20}},
		{"no_filter", news.Filter{Sort: news.SortNewest, Limit: 20}},
		{"total_RU_sanctions", func() news.Filter { f := common; f.IncludeTotal = true; return f }()},
		{"facets_RU_sanctions", func() news.Filter { f := common; f.Facets = []string{"country", "theme"}; return f }()},
		{"total_facets_RU_sanctions", func() news.Filter {
			f := common
			f.IncludeTotal, f.Facets = true, []string{"country", "theme"}
			return f
		}()},
		{"total_facets_RU_not_KP", func() news.Filter {
			f := news.Filter{Countries: []string{"RU"}, CountriesNot: []string{"KP"}, Sort: news.SortNewest, Limit: 20}
			f.IncludeTotal, f.Facets = true, []string{"country", "theme"}
			return f
		}()},
		{"q_sanctions_talks", news.Filter{Query: []string{"sanctions", "talks"}, Sort: news.SortNewest, Limit: 20}},
	}
	benchLists(b, s, cases)
	b.Run("article_by_id", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := s.Article(ctx, int64(1+i%benchArticles()), false); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkListSQL times building the statements of one list request
// with its total and facets, without running them.
func BenchmarkListSQL(b *testing.B) {
	f := news.Filter{Countries: []string{"RU"}, CountriesNot: []string{"KP"}, Themes: []string{"sanctions", "trade"},
		Sort: news.SortNewest, Limit: 20, IncludeTotal: true, Facets: []string{"country", "theme"}}
	for _, d := range []dialect{sqliteDialect, postgresDialect} {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				q := buildList(d, f)
				q.pageSQL(d, f)
				q.countSQL(d)
				q.facetSQL(d)
			}
		})
	}
}

// BenchmarkSearch times full-text searches on the generated data set,
// newest first, page 1 of 20: a common word (44% of the articles), the
// rarest word of the generator's vocabulary (2.3%), two words that are
// rare together (0.1%), two common words (3.3%) and a phrase, each alone
// and with a country and a theme (the list of BenchmarkList's
// page1_RU_sanctions); a page 500 pages deep; and relevance.
func BenchmarkSearch(b *testing.B) {
	s := benchData(b)
	shapes := []struct {
		name  string
		terms []string
	}{
		{"common", []string{"sanctions"}},
		{"rare", []string{"cuba"}},
		{"rare_pair", []string{"cuba", "defectors"}},
		{"two_words", []string{"sanctions", "talks"}},
		{"phrase", []string{"north korea"}},
	}
	var cases []benchCase
	for _, sh := range shapes {
		f := news.Filter{Query: sh.terms, Sort: news.SortNewest, Limit: 20}
		cases = append(cases, benchCase{sh.name, f})
		f.Countries, f.Themes = []string{"RU"}, []string{"sanctions"}
		cases = append(cases, benchCase{sh.name + "_RU_sanctions", f})
	}
	deep := news.Filter{Query: []string{"sanctions"}, Sort: news.SortNewest, Limit: 20}
	deep.After = cursorAt(b, s, deep, min(500*20, benchArticles()/50))
	cases = append(cases, benchCase{"deep_common", deep})
	for _, sh := range []int{0, 1, 3} {
		cases = append(cases, benchCase{"relevance_" + shapes[sh].name,
			news.Filter{Query: shapes[sh].terms, Sort: news.SortRelevance, Limit: 20}})
	}
	benchLists(b, s, cases)
}

// BenchmarkVocabulary times the vocabulary with its article counts on
// the generated data set: every country, every theme, and one of each.
func BenchmarkVocabulary(b *testing.B) {
	s := benchData(b)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		read func() error
	}{
		{"countries", func() error { _, err := s.Countries(ctx, false); return err }},
		{"countries_used", func() error { _, err := s.Countries(ctx, true); return err }},
		{"country_KP", func() error { _, err := s.Country(ctx, "KP"); return err }},
		{"themes", func() error { _, err := s.Themes(ctx, false); return err }},
		{"theme_sanctions", func() error { _, err := s.Theme(ctx, "sanctions"); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				if err := c.read(); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}

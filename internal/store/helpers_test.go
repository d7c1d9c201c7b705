package store

import (
	"context"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// newStore opens a migrated store on a fresh database of the given kind:
// a SQLite file in tb.TempDir(), or a PostgreSQL database of its own.
func newStore(tb testing.TB, kind string) (*Store, *clock) {
	tb.Helper()
	clk := &clock{t: time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)}
	s, err := Open(storetest.DSN(tb, kind), Options{Now: clk.now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	if _, err := s.MigrateUp(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s, clk
}

// draft builds a normalized draft.
func draft(tb testing.TB, s *Store, title string, pub time.Time, countries, themes []string) news.Draft {
	tb.Helper()
	d := news.Draft{Title: title, Source: "NK News", Section: "foreign-relations", Countries: countries, Themes: themes, PublishedAt: pub}
	if err := d.Normalize(s.Vocabulary()); err != nil {
		tb.Fatal(err)
	}
	return d
}

func mustCreate(tb testing.TB, s *Store, d news.Draft) news.Article {
	tb.Helper()
	a, err := s.CreateArticle(context.Background(), d)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// rollBack rolls migrations back, newest first, down to and including
// version, whatever the newest is.
func rollBack(tb testing.TB, s *Store, version int64) {
	tb.Helper()
	for { // MigrateDown returns the version it rolled back
		v, err := s.MigrateDown(context.Background())
		if err != nil || v < version {
			tb.Fatalf("migrate down: %d, %v; want to stop after %d", v, err, version)
		}
		if v == version {
			return
		}
	}
}

// pagedIDs pages through the list of f from its first page, following
// each page's cursor, and returns the ids in the order they came.
func pagedIDs(tb testing.TB, s *Store, f news.Filter) []int64 {
	tb.Helper()
	var ids []int64
	for {
		page, err := s.ListArticles(context.Background(), f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, a := range page.Articles {
			ids = append(ids, a.ID)
		}
		if page.Next == nil {
			return ids
		}
		f.After = page.Next
	}
}

// upsertN stores the n drafts that draftAt makes, in batches of 500.
func upsertN(tb testing.TB, s *Store, n int, draftAt func(i int) news.Draft) {
	tb.Helper()
	batch := make([]news.Draft, 0, 500)
	for i := range n {
		batch = append(batch, draftAt(i))
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := s.UpsertArticles(context.Background(), batch); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

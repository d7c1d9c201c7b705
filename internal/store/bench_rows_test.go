package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
)

// BenchmarkRow times the single-row paths on each database: reading one
// article, creating one (alone, and 32 writers at once), replacing,
// patching and deleting one, and authenticating a key. It starts from
// 1,000 articles in a fresh database (on SQLite in TMPDIR: put it on a
// tmpfs to time the code rather than the disk's fsync). cpu-µs/op is the
// process's CPU time per operation, steadier than the wall clock on a
// shared machine; on PostgreSQL it leaves out the server's.
func BenchmarkRow(b *testing.B) {
	for _, kind := range storetest.Kinds {
		b.Run(kind, func(b *testing.B) { benchRows(b, kind) })
	}
}

// run is b.Run of fn, which reports its CPU time per operation; fn calls
// reset where b.ResetTimer would go.
func run(b *testing.B, name string, fn func(b *testing.B, reset func())) {
	b.Run(name, func(b *testing.B) {
		start := cpuTime()
		fn(b, func() { b.ResetTimer(); start = cpuTime() })
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e3, "cpu-µs/op")
	})
}

func benchRows(b *testing.B, kind string) {
	s, _ := newStore(b, kind)
	ctx := context.Background()
	pub := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	mk := func(i int, what string) news.Draft {
		d := draft(b, s, fmt.Sprintf("Bench %s %d", what, i), pub.Add(time.Duration(i)*time.Second),
			[]string{"KP", "RU"}, []string{"sanctions", "trade"})
		d.URL = fmt.Sprintf("https://bench.example/%s/%d", what, i)
		return d
	}
	const n = 1000
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = mustCreate(b, s, mk(i, "seed")).ID
	}
	secret, _, err := s.CreateKey(ctx, "bench", news.RoleEditor)
	if err != nil {
		b.Fatal(err)
	}
	digest := news.KeyDigest(secret)
	var made atomic.Int64 // articles made so far, for unique URLs
	run(b, "get", func(b *testing.B, _ func()) {
		for i := 0; b.Loop(); i++ {
			if _, err := s.Article(ctx, ids[i%n], false); err != nil {
				b.Fatal(err)
			}
		}
	})
	run(b, "create", func(b *testing.B, _ func()) {
		for i := 0; b.Loop(); i++ {
			if _, err := s.CreateArticle(ctx, mk(int(made.Add(1)), "create")); err != nil {
				b.Fatal(err)
			}
		}
	})
	run(b, "create32", func(b *testing.B, _ func()) {
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.CreateArticle(ctx, mk(int(made.Add(1)), "parallel")); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	run(b, "replace", func(b *testing.B, _ func()) {
		for i := 0; b.Loop(); i++ {
			d := mk(i%n, "seed")
			d.Summary = fmt.Sprint("replaced ", i)
			if _, err := s.ReplaceArticle(ctx, ids[i%n], d, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	run(b, "patch", func(b *testing.B, _ func()) {
		for i := 0; b.Loop(); i++ {
			title := fmt.Sprint("Patched ", i)
			if _, err := s.UpdateArticle(ctx, ids[i%n], news.Update{Title: &title}, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	run(b, "delete", func(b *testing.B, reset func()) {
		doomed := make([]int64, b.N)
		for i := range doomed {
			doomed[i] = mustCreate(b, s, mk(int(made.Add(1)), "delete")).ID
		}
		reset()
		for i := range b.N {
			if err := s.DeleteArticle(ctx, doomed[i], 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	run(b, "authenticate", func(b *testing.B, _ func()) {
		for b.Loop() {
			if _, err := s.Authenticate(ctx, digest); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPageScan reads the same page of 20 articles two ways: the
// list path's hand scan into articleRow, and GORM's Find into
// articleModel. The difference is why lists keep their scan (doc.go).
func BenchmarkPageScan(b *testing.B) {
	s, _ := newStore(b, "sqlite")
	ctx := context.Background()
	pub := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100 {
		d := draft(b, s, fmt.Sprintf("Page scan %d", i), pub.Add(time.Duration(i)*time.Second), []string{"KP", "RU"}, []string{"sanctions"})
		d.Summary = "A summary of a few words, as the lists show them."
		mustCreate(b, s, d)
	}
	q := `SELECT ` + s.dialect.columns(false) + ` FROM articles a ORDER BY a.published_at DESC, a.id DESC LIMIT 20`
	hand := func() ([]news.Article, error) {
		rows, err := s.r.WithContext(ctx).Raw(q).Rows()
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var page []news.Article
		for rows.Next() {
			var r articleRow
			if err := rows.Scan(r.dest()...); err != nil {
				return nil, err
			}
			page = append(page, r.toArticle())
		}
		return page, rows.Err()
	}
	run(b, "hand", func(b *testing.B, _ func()) {
		for b.Loop() {
			if page, err := hand(); err != nil || len(page) != 20 {
				b.Fatal(err, len(page))
			}
		}
	})
	run(b, "gorm", func(b *testing.B, _ func()) {
		for b.Loop() {
			var rows []articleModel
			err := s.r.WithContext(ctx).Omit("body").Order("published_at DESC, id DESC").Limit(20).Find(&rows).Error
			if err != nil || len(rows) != 20 {
				b.Fatal(err, len(rows))
			}
			page := make([]news.Article, len(rows))
			for i := range rows {
				page[i] = rows[i].toArticle()
			}
		}
	})
}

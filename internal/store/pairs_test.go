package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
)

// checkPairs asserts that article_pairs and the tag text columns say what
// the tag tables say: one pair per country × theme of every published
// article, none for drafts.
func checkPairs(t *testing.T, s *Store, step string) {
	t.Helper()
	type pair struct {
		Country, Theme    string
		PublishedAt       int64
		ArticleID         int64
		Countries, Themes string
	}
	var want []pair
	err := s.w.Raw(`SELECT c.country, t.theme, a.published_at, a.id AS article_id, '' AS countries, '' AS themes
		FROM articles a JOIN article_countries c ON c.article_id = a.id JOIN article_themes t ON t.article_id = a.id
		WHERE a.status = 'published' ORDER BY 1, 2, 3, 4`).Scan(&want).Error
	if err != nil {
		t.Fatal(err)
	}
	tags := map[int64][2][]string{}
	var rows []struct {
		ID        int64
		Kind, Tag string
	}
	if err := s.w.Raw(`SELECT article_id AS id, 'c' AS kind, country AS tag FROM article_countries
		UNION ALL SELECT article_id, 't', theme FROM article_themes`).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		ts := tags[r.ID]
		if r.Kind == "c" {
			ts[0] = append(ts[0], r.Tag)
		} else {
			ts[1] = append(ts[1], r.Tag)
		}
		tags[r.ID] = ts
	}
	text := func(id int64) (string, string) {
		ts := tags[id]
		slices.Sort(ts[0])
		slices.Sort(ts[1])
		return strings.Join(ts[0], ","), strings.Join(ts[1], ",")
	}
	for i := range want {
		want[i].Countries, want[i].Themes = text(want[i].ArticleID)
	}
	var got []pair
	if err := s.w.Raw(`SELECT country, theme, published_at, article_id, countries, themes FROM article_pairs ORDER BY 1, 2, 3, 4`).Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: article_pairs (-want +got):\n%s", step, diff)
	}
	var arts []struct {
		ID                int64
		Countries, Themes string
	}
	if err := s.w.Raw(`SELECT id, countries, themes FROM articles ORDER BY id`).Scan(&arts).Error; err != nil {
		t.Fatal(err)
	}
	// No tag row outlives its article or its article's time.
	var orphans int
	if err := s.w.Raw(`SELECT count(*) FROM (SELECT article_id, published_at FROM article_countries
		UNION ALL SELECT article_id, published_at FROM article_themes
		UNION ALL SELECT article_id, published_at FROM article_pairs) x
		WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = x.article_id AND a.published_at = x.published_at)`).Scan(&orphans).Error; err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%s: %d tag rows of no article, or of another time", step, orphans)
	}
	for _, a := range arts {
		if c, th := text(a.ID); a.Countries != c || a.Themes != th {
			t.Errorf("%s: article %d has tag text %q %q, its tag rows say %q %q", step, a.ID, a.Countries, a.Themes, c, th)
		}
	}
	// Each pair's tag sets are counted, which is what totals and facets of
	// a pair read; on PostgreSQL the counts changed at each commit, and
	// none is left at zero.
	type tagset struct {
		Country, Theme, Countries, Themes string
		N                                 int
	}
	var wantSets, gotSets []tagset
	if err := s.w.Raw(`SELECT country, theme, countries, themes, count(*) AS n FROM article_pairs GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`).Scan(&wantSets).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.w.Raw(`SELECT country, theme, countries, themes, n FROM article_tagsets WHERE n <> 0 AND countries <> '' ORDER BY 1, 2, 3, 4`).Scan(&gotSets).Error; err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantSets, gotSets); diff != "" {
		t.Errorf("%s: article_tagsets (-want +got):\n%s", step, diff)
	}
	if s.dialect.postgres {
		// And each pair's total, in its row with empty tag sets.
		var wantTotals, gotTotals []tagset
		if err := s.w.Raw(`SELECT country, theme, '' AS countries, '' AS themes, count(*) AS n FROM article_pairs GROUP BY 1, 2 ORDER BY 1, 2`).Scan(&wantTotals).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.w.Raw(`SELECT country, theme, countries, themes, n FROM article_tagsets WHERE countries = '' ORDER BY 1, 2`).Scan(&gotTotals).Error; err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantTotals, gotTotals); diff != "" {
			t.Errorf("%s: the pairs' totals in article_tagsets (-want +got):\n%s", step, diff)
		}
		var left, zero int
		if err := s.w.Raw(`SELECT (SELECT count(*) FROM article_tagset_changes), (SELECT count(*) FROM article_tagsets WHERE n <= 0)`).Row().Scan(&left, &zero); err != nil {
			t.Fatal(err)
		}
		if left != 0 || zero != 0 {
			t.Errorf("%s: %d changes of tag-set counts left after their commits, %d counts at or below zero", step, left, zero)
		}
	}
}

// TestPairsFollowEveryWrite runs every kind of write and checks the pairs
// after each: the list of a country and a theme is only as right as they
// are.
func TestPairsFollowEveryWrite(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		list := func(c, th string) []string {
			t.Helper()
			page, err := s.ListArticles(ctx, news.Filter{Countries: []string{c}, Themes: []string{th}, Sort: news.SortNewest, Limit: 50, IncludeTotal: true})
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, a := range page.Articles {
				titles = append(titles, a.Title)
			}
			if *page.Total != len(titles) {
				t.Errorf("%s+%s: total %d for %d rows", c, th, *page.Total, len(titles))
			}
			return titles
		}
		a := mustCreate(t, s, draft(t, s, "one", t0, []string{"RU", "KP"}, []string{"sanctions", "trade"}))
		b := mustCreate(t, s, draft(t, s, "two", t0.Add(time.Hour), []string{"CN"}, []string{"trade"}))
		checkPairs(t, s, "create")

		d := draft(t, s, "one, replaced", t0.Add(2*time.Hour), []string{"JP"}, []string{"troops"})
		if _, err := s.ReplaceArticle(ctx, a.ID, d, 0); err != nil {
			t.Fatal(err)
		}
		checkPairs(t, s, "replace")
		stale := draft(t, s, "one, stale", t0.Add(5*time.Hour), []string{"CN"}, []string{"aid"})
		if _, err := s.ReplaceArticle(ctx, a.ID, stale, 1); news.ErrorCode(err) != news.EPreconditionFailed {
			t.Fatalf("a replace of version 1 after version 2: %v", err)
		}
		if err := s.DeleteArticle(ctx, a.ID, 1); news.ErrorCode(err) != news.EPreconditionFailed {
			t.Fatalf("a delete of version 1 after version 2: %v", err)
		}
		checkPairs(t, s, "stale replace and delete")
		if got := list("RU", "sanctions"); len(got) != 0 {
			t.Errorf("RU+sanctions after the tags moved: %v", got)
		}
		if got := list("JP", "troops"); !slices.Equal(got, []string{"one, replaced"}) {
			t.Errorf("JP+troops: %v", got)
		}

		draftStatus, published := news.StatusDraft, news.StatusPublished
		if _, err := s.UpdateArticle(ctx, b.ID, news.Update{Status: &draftStatus}, 0); err != nil {
			t.Fatal(err)
		}
		checkPairs(t, s, "unpublish")
		if got := list("CN", "trade"); len(got) != 0 {
			t.Errorf("a draft is listed to the public: %v", got)
		}
		editor, err := s.ListArticles(ctx, news.Filter{Countries: []string{"CN"}, Themes: []string{"trade"}, Sort: news.SortNewest, Limit: 5, WithDrafts: true})
		if err != nil || len(editor.Articles) != 1 {
			t.Errorf("editors see the draft: %+v, %v", editor.Articles, err)
		}
		themes := []string{"trade", "aid"}
		if _, err := s.UpdateArticle(ctx, b.ID, news.Update{Status: &published, Themes: &themes}, 0); err != nil {
			t.Fatal(err)
		}
		checkPairs(t, s, "publish with a new theme")

		newSlug := "commerce"
		if _, err := s.UpdateTheme(ctx, "trade", news.ThemeUpdate{Slug: &newSlug}); err != nil {
			t.Fatal(err)
		}
		checkPairs(t, s, "theme rename")
		if got := list("CN", "commerce"); !slices.Equal(got, []string{"two"}) {
			t.Errorf("CN+commerce after the rename: %v", got)
		}
		if got, _ := s.Article(ctx, b.ID, false); !slices.Equal(got.Themes, []string{"aid", "commerce"}) {
			t.Errorf("themes after the rename: %v", got.Themes)
		}

		up := draft(t, s, "bulk", t0.Add(3*time.Hour), []string{"US", "KR"}, []string{"diplomacy"})
		up.URL = "https://example.com/bulk"
		again := up
		again.Countries, again.Themes = []string{"KR"}, []string{"nuclear", "diplomacy"}
		slices.Sort(again.Themes)
		for i, batch := range [][]news.Draft{{up}, {again}} {
			if _, err := s.UpsertArticles(ctx, batch); err != nil {
				t.Fatal(err)
			}
			checkPairs(t, s, fmt.Sprintf("bulk upsert %d", i+1))
		}
		if got := list("US", "diplomacy"); len(got) != 0 {
			t.Errorf("US+diplomacy after the bulk replace dropped US: %v", got)
		}

		if err := s.DeleteArticle(ctx, b.ID, 0); err != nil {
			t.Fatal(err)
		}
		checkPairs(t, s, "delete")
	})
}

// TestTotalsUnderLoadHoldOneConnection sends more concurrent requests for
// a page with its total and facets than the read pool has connections. A
// request that held its page's connection while it waited for another
// for the count would deadlock the pool; every request must finish.
func TestTotalsUnderLoadHoldOneConnection(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, err := Open(storetest.DSN(t, kind), Options{ReadConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := s.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		for i := range 30 {
			mustCreate(t, s, draft(t, s, fmt.Sprintf("story %d", i), t0.Add(time.Duration(i)*time.Minute), []string{"RU", "KP"}, []string{"sanctions"}))
		}
		filters := []news.Filter{
			{Countries: []string{"RU"}, Themes: []string{"sanctions"}},
			{Countries: []string{"KP"}},
			{},
		}
		errs := make(chan error, 48)
		for i := range cap(errs) {
			go func() {
				f := filters[i%len(filters)]
				f.Sort, f.Limit, f.IncludeTotal, f.Facets = news.SortNewest, 5, true, []string{"country", "theme"}
				page, err := s.ListArticles(ctx, f)
				if err == nil && (page.Total == nil || *page.Total != 30) {
					err = fmt.Errorf("total %v, want 30", page.Total)
				}
				errs <- err
			}()
		}
		for range cap(errs) {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestConcurrentWritesShareCommitsNotFailures sends concurrent creates
// where a third fight over one URL: on SQLite they share commits (group
// commit), and a refused write must not take the others down with it.
func TestConcurrentWritesShareCommitsNotFailures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		const n = 48
		type result struct {
			i   int
			id  int64
			err error
		}
		results := make(chan result, n)
		var start sync.WaitGroup
		start.Add(1)
		for i := range n {
			go func() {
				start.Wait()
				d := draft(t, s, fmt.Sprintf("writer %d", i), t0, []string{"KP"}, []string{"aid"})
				d.URL = fmt.Sprintf("https://example.com/w/%d", i)
				if i%3 == 0 {
					d.URL = "https://example.com/contested"
				}
				if i%3 == 1 && i%2 == 1 {
					// Refused by a foreign key after the article row is
					// written: its savepoint must take that row back.
					d.Countries = []string{"XX"}
				}
				a, err := s.CreateArticle(ctx, d)
				results <- result{i, a.ID, err}
			}()
		}
		start.Done()
		won := 0
		for range n {
			r := <-results
			bad := r.i%3 == 1 && r.i%2 == 1
			switch {
			case bad && r.err == nil:
				t.Errorf("writer %d (no such country) was stored", r.i)
			case bad:
			case r.i%3 != 0 && r.err != nil:
				t.Errorf("writer %d (own URL) failed: %v", r.i, r.err)
			case r.i%3 == 0 && r.err == nil:
				won++
			case r.i%3 == 0 && news.ErrorCode(r.err) != news.EConflict:
				t.Errorf("writer %d (contested URL): %v, want a conflict", r.i, r.err)
			}
			if r.err == nil {
				if a, err := s.Article(ctx, r.id, true); err != nil || a.Title != fmt.Sprintf("writer %d", r.i) {
					t.Errorf("writer %d acknowledged id %d, which reads %+v, %v", r.i, r.id, a, err)
				}
			}
		}
		if won != 1 {
			t.Errorf("%d writers stored the contested URL, want 1", won)
		}
		page, err := s.ListArticles(ctx, news.Filter{Countries: []string{"KP"}, Sort: news.SortNewest, Limit: 100, IncludeTotal: true})
		want := n - n/3 - n/6 + 1 // own URLs, less the refused, plus one contested
		if err != nil || *page.Total != want {
			t.Errorf("stored %v, want %d: %v", page.Total, want, err)
		}
		var rows int
		if err := s.w.Raw(`SELECT count(*) FROM articles`).Scan(&rows).Error; err != nil || rows != want {
			t.Errorf("%d article rows, want %d: %v", rows, want, err)
		}
		checkPairs(t, s, "concurrent creates")
	})
}

// TestTagsetCountsUnderConcurrentBatches: batches written at once, each
// adding and then moving many articles between the same tag sets in its
// own order, all commit (PostgreSQL changes the counts they share at the
// commit, one transaction at a time: changed as each pair is written,
// such batches deadlock), and the counts come out right.
func TestTagsetCountsUnderConcurrentBatches(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		countries := []string{"CN", "JP", "KP", "KR", "RU", "US"}
		themes := []string{"aid", "diplomacy", "sanctions", "trade"}
		// tags gives record i of writer w in round r its tags: writers walk
		// the same tag sets in different orders, and each round moves every
		// article to another set.
		tags := func(w, r, i int) ([]string, []string) {
			k := (i*(w+1) + r*7) % 24
			cs := []string{countries[k%6], countries[(k/6+k%6+1)%6]}
			ts := []string{themes[k%4]}
			if k%3 == 0 {
				ts = append(ts, themes[(k+1)%4])
			}
			slices.Sort(cs)
			slices.Sort(ts)
			return slices.Compact(cs), ts
		}
		const writers, rounds, records = 8, 3, 60
		var wg sync.WaitGroup
		errs := make(chan error, writers*rounds)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					batch := make([]news.Draft, records)
					for i := range batch {
						cs, ts := tags(w, r, i)
						d := draft(t, s, fmt.Sprintf("writer %d story %d", w, i), t0.Add(time.Duration(i)*time.Minute), cs, ts)
						d.URL = fmt.Sprintf("https://example.com/%d/%d", w, i)
						batch[i] = d
					}
					if _, err := s.UpsertArticles(ctx, batch); err != nil {
						errs <- fmt.Errorf("writer %d, round %d: %w", w, r, err)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		checkPairs(t, s, "concurrent batches")
		page, err := s.ListArticles(ctx, news.Filter{Countries: []string{"KP"}, Themes: []string{"aid"}, Sort: news.SortNewest, Limit: 5,
			IncludeTotal: true, Facets: []string{"country", "theme"}})
		if err != nil || page.Total == nil || *page.Total == 0 {
			t.Fatalf("KP and aid after the batches: %v, %v", page.Total, err)
		}
		var want int
		if err := s.w.Raw(`SELECT count(*) FROM article_pairs WHERE country = 'KP' AND theme = 'aid'`).Scan(&want).Error; err != nil || *page.Total != want {
			t.Errorf("total of KP and aid %d, its pairs %d (%v)", *page.Total, want, err)
		}
	})
}

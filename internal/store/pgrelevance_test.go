package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/news"
)

// TestPGRelevanceLooksBackFarEnough: on PostgreSQL, a search by relevance
// whose matches are sparse looks for its window only among recent
// articles (pgRelevanceSince), and the result is exactly the window of
// an unbounded search: the newest RelevanceWindow matches, paged in full,
// counted and faceted. A bound too recent to hold a window is noticed,
// and the search then runs unbounded.
func TestPGRelevanceLooksBackFarEnough(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, "postgres")
	ctx := context.Background()
	// Every seventh article mentions an embargo, more of them than a
	// window; one in three of those is about Russia.
	const n = 16_200
	upsertN(t, s, n, func(i int) news.Draft {
		title, countries := fmt.Sprintf("Harbour report %d", i), []string{"CN"}
		if i%7 == 0 {
			title = fmt.Sprintf("Embargo report %d", i)
			if i%3 == 0 {
				countries = []string{"RU"}
			}
		}
		d := draft(t, s, title, t0.Add(time.Duration(i)*time.Minute), countries, nil)
		d.URL = fmt.Sprintf("https://example.com/report/%d", i)
		return d
	})
	want := pagedIDs(t, s, news.Filter{Query: []string{"embargo"}, Limit: news.MaxLimit}) // the matches, newest first
	if len(want) <= RelevanceWindow {
		t.Fatalf("%d matches, fewer than a window", len(want))
	}
	want = want[:RelevanceWindow]
	slices.Sort(want)

	f := news.Filter{Query: []string{"embargo"}, Sort: news.SortRelevance}
	q := buildList(s.dialect, f)
	since, err := s.pgRelevanceSince(s.read(ctx), q)
	if err != nil {
		t.Fatal(err)
	}
	if !since.bounded {
		t.Fatalf("a search in one article of seven is not bounded: %+v", since)
	}
	check := func(t *testing.T) {
		t.Helper()
		f := news.Filter{Query: []string{"embargo"}, Sort: news.SortRelevance, Limit: 700,
			IncludeTotal: true, Facets: []string{news.FacetCountry}}
		page, err := s.ListArticles(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total == nil || *page.Total != RelevanceWindow {
			t.Errorf("total: %s, want %d", showTotal(page.Total), RelevanceWindow)
		}
		var facets int
		for _, c := range page.Facets[news.FacetCountry] {
			facets += c.Count
		}
		if facets != RelevanceWindow {
			t.Errorf("country facets add up to %d, want %d: %+v", facets, RelevanceWindow, page.Facets)
		}
		f.IncludeTotal, f.Facets = false, nil
		got := pagedIDs(t, s, f)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("paged %d articles by relevance; not the %d newest matches", len(got), len(want))
		}
	}
	t.Run("bounded", check)

	// A bound an hour back holds about nine matches: the search must
	// notice and look further.
	_, key := relevanceSample(q)
	tight := relevanceSince{at: micros(t0.Add((n - 60) * time.Minute)), bounded: true}
	s.since.mu.Lock()
	s.since.m[key] = agedValue[relevanceSince]{tight, s.now()}
	s.since.mu.Unlock()
	t.Run("bound too recent", check)
}

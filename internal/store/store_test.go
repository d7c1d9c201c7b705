package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
)

var t0 = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func TestCreateGetAndTags(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, clk := newStore(t, kind)
		ctx := context.Background()
		d := draft(t, s, "  New Zealand targets North Korean military support for Russia  ", t0,
			[]string{"new zealand", "DPRK", "Russian Federation"}, []string{"military", "Sanctions"})
		d.URL = "https://example.com/nz-sanctions"
		a := mustCreate(t, s, d)
		want := news.Article{
			ID: a.ID, Title: "New Zealand targets North Korean military support for Russia", URL: "https://example.com/nz-sanctions",
			Source: "NK News", Section: "foreign-relations", Language: "en",
			Countries: []string{"KP", "NZ", "RU"}, Themes: []string{"sanctions", "troops"},
			Status: news.StatusPublished, PublishedAt: t0, CreatedAt: clk.t, UpdatedAt: clk.t, Version: 1,
		}
		if diff := cmp.Diff(want, a); diff != "" {
			t.Errorf("created article (-want +got):\n%s", diff)
		}
		got, err := s.Article(ctx, a.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("read back (-want +got):\n%s", diff)
		}
		if _, err := s.Article(ctx, a.ID+100, false); news.ErrorCode(err) != news.ENotFound {
			t.Errorf("missing article: got %v, want not_found", err)
		}
	})
}

func TestDuplicateURLConflictNamesExisting(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		d := draft(t, s, "first", t0, nil, nil)
		d.URL = "https://example.com/a"
		first := mustCreate(t, s, d)
		d.Title = "second"
		_, err := s.CreateArticle(context.Background(), d)
		var ne *news.Error
		if !errors.As(err, &ne) || ne.Code != news.EConflict || ne.ExistingID != first.ID {
			t.Fatalf("got %v, want conflict naming id %d", err, first.ID)
		}
	})
}

func TestVersionsAndStaleWrites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, clk := newStore(t, kind)
		ctx := context.Background()
		a := mustCreate(t, s, draft(t, s, "original", t0, []string{"KP"}, []string{"trade"}))
		clk.t = clk.t.Add(time.Minute)
		title := "patched"
		countries := []string{"China", "KP"}
		b, err := s.UpdateArticle(ctx, a.ID, news.Update{Title: &title, Countries: &countries}, a.Version)
		if err != nil {
			t.Fatal(err)
		}
		if b.Version != 2 || b.Title != "patched" || !slices.Equal(b.Countries, []string{"CN", "KP"}) || !b.UpdatedAt.Equal(clk.t) {
			t.Errorf("after patch: version %d title %q countries %v updated %v", b.Version, b.Title, b.Countries, b.UpdatedAt)
		}
		// A patch that changes nothing keeps the version.
		same, err := s.UpdateArticle(ctx, a.ID, news.Update{Title: &title}, 0)
		if err != nil || same.Version != 2 {
			t.Errorf("no-op patch: version %d, %v; want 2", same.Version, err)
		}
		// A write based on version 1 is stale now and changes nothing.
		other := "lost update"
		if _, err := s.UpdateArticle(ctx, a.ID, news.Update{Title: &other}, 1); news.ErrorCode(err) != news.EPreconditionFailed {
			t.Errorf("stale patch: got %v, want precondition_failed", err)
		}
		if _, err := s.ReplaceArticle(ctx, a.ID, draft(t, s, other, t0, nil, nil), 1); news.ErrorCode(err) != news.EPreconditionFailed {
			t.Errorf("stale replace: got %v, want precondition_failed", err)
		}
		if err := s.DeleteArticle(ctx, a.ID, 1); news.ErrorCode(err) != news.EPreconditionFailed {
			t.Errorf("stale delete: got %v, want precondition_failed", err)
		}
		got, _ := s.Article(ctx, a.ID, true)
		if got.Title != "patched" || got.Version != 2 {
			t.Errorf("a stale write changed the article: %q v%d", got.Title, got.Version)
		}
		// The list by the new country finds it; by the old tag set it does not.
		page, err := s.ListArticles(ctx, news.Filter{Countries: []string{"CN"}, Limit: 10, Sort: news.SortNewest})
		if err != nil || len(page.Articles) != 1 {
			t.Fatalf("list by new tag: %v, %d articles", err, len(page.Articles))
		}
		if err := s.DeleteArticle(ctx, a.ID, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Article(ctx, a.ID, true); news.ErrorCode(err) != news.ENotFound {
			t.Errorf("deleted article still readable: %v", err)
		}
		var tomb struct {
			ID, Version int64
		}
		if err := s.r.Raw(`SELECT id, version FROM article_tombstones WHERE id = ?`, a.ID).Scan(&tomb).Error; err != nil || tomb.ID != a.ID || tomb.Version != 3 {
			t.Errorf("tombstone: %+v, %v; want id %d version 3", tomb, err, a.ID)
		}
		if err := s.DeleteArticle(ctx, a.ID, 0); news.ErrorCode(err) != news.ENotFound {
			t.Errorf("second delete: got %v, want not_found", err)
		}
		// A new article never reuses the deleted id.
		if n := mustCreate(t, s, draft(t, s, "next", t0, nil, nil)); n.ID <= a.ID {
			t.Errorf("new id %d reuses a deleted one (%d)", n.ID, a.ID)
		}
	})
}

func TestFilters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		type art struct {
			title     string
			countries []string
			themes    []string
		}
		arts := []art{
			{"Russia China trade", []string{"RU", "CN"}, []string{"trade"}},
			{"Russia troops", []string{"RU", "KP"}, []string{"troops"}},
			{"China sanctions", []string{"CN"}, []string{"sanctions"}},
			{"Japan drills", []string{"JP", "US"}, []string{"troops", "diplomacy"}},
			{"Russia sanctions and trade", []string{"RU"}, []string{"sanctions", "trade"}},
		}
		for i, a := range arts {
			d := draft(t, s, a.title, t0.Add(time.Duration(i)*time.Hour), a.countries, a.themes)
			if i == 3 {
				d.Source, d.Language = "Yonhap", "ko"
			}
			mustCreate(t, s, d)
		}
		draftArt := draft(t, s, "Russia draft", t0.Add(10*time.Hour), []string{"RU"}, nil)
		draftArt.Status = news.StatusDraft
		mustCreate(t, s, draftArt)
		tradeDraft := draft(t, s, "Russia trade draft", t0.Add(9*time.Hour), []string{"RU"}, []string{"trade"})
		tradeDraft.Status = news.StatusDraft
		mustCreate(t, s, tradeDraft)
		since, until := t0.Add(time.Hour), t0.Add(3*time.Hour)
		yonhap := "Yonhap"
		cases := []struct {
			name string
			f    news.Filter
			want []string
		}{
			{"everything, newest first", news.Filter{}, []string{"Russia sanctions and trade", "Japan drills", "China sanctions", "Russia troops", "Russia China trade"}},
			{"oldest first", news.Filter{Sort: news.SortOldest, Limit: 2}, []string{"Russia China trade", "Russia troops"}},
			{"any of two countries, AND a theme", news.Filter{Countries: []string{"RU", "CN"}, Themes: []string{"trade"}}, []string{"Russia sanctions and trade", "Russia China trade"}},
			{"one country and one theme", news.Filter{Countries: []string{"RU"}, Themes: []string{"trade"}}, []string{"Russia sanctions and trade", "Russia China trade"}},
			{"one country and one theme, since", news.Filter{Countries: []string{"RU"}, Themes: []string{"trade"}, Since: &since}, []string{"Russia sanctions and trade"}},
			{"one country and one theme, for editors", news.Filter{Countries: []string{"RU"}, Themes: []string{"trade"}, WithDrafts: true}, []string{"Russia trade draft", "Russia sanctions and trade", "Russia China trade"}},
			{"one country and one theme, full text", news.Filter{Countries: []string{"RU"}, Themes: []string{"trade"}, Query: []string{"china"}}, []string{"Russia China trade"}},
			{"all of two countries", news.Filter{CountriesAll: []string{"RU", "KP"}}, []string{"Russia troops"}},
			{"none of a country", news.Filter{CountriesNot: []string{"RU"}}, []string{"Japan drills", "China sanctions"}},
			{"all of two themes", news.Filter{ThemesAll: []string{"sanctions", "trade"}}, []string{"Russia sanctions and trade"}},
			{"any theme, not another", news.Filter{Themes: []string{"sanctions", "trade"}, ThemesNot: []string{"trade"}}, []string{"China sanctions"}},
			{"since inclusive, until exclusive", news.Filter{Since: &since, Until: &until}, []string{"China sanctions", "Russia troops"}},
			{"source", news.Filter{Source: &yonhap}, []string{"Japan drills"}},
			{"full text, words ANDed", news.Filter{Query: []string{"russia", "trade"}}, []string{"Russia sanctions and trade", "Russia China trade"}},
			{"full text phrase", news.Filter{Query: []string{"china trade"}}, []string{"Russia China trade"}},
			{"stemmed search", news.Filter{Query: []string{"sanction"}}, []string{"Russia sanctions and trade", "China sanctions"}},
			{"drafts for editors", news.Filter{Countries: []string{"RU"}, WithDrafts: true, Limit: 1}, []string{"Russia draft"}},
			{"relevance", news.Filter{Query: []string{"russia"}, Sort: news.SortRelevance, Limit: 10}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				f := tc.f
				if f.Sort == "" {
					f.Sort = news.SortNewest
				}
				page, err := s.ListArticles(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, a := range page.Articles {
					got = append(got, a.Title)
				}
				if tc.want == nil { // relevance: the three Russia stories, any order
					slices.Sort(got)
					tc.want = []string{"Russia China trade", "Russia sanctions and trade", "Russia troops"}
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
		page, err := s.ListArticles(ctx, news.Filter{Countries: []string{"RU"}, Sort: news.SortNewest, Limit: 1, IncludeTotal: true, Facets: []string{"country", "theme"}})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total == nil || *page.Total != 3 {
			t.Errorf("total = %v, want 3 (drafts left out)", page.Total)
		}
		wantFacets := map[string][]news.FacetCount{
			"country": {{Key: "RU", Count: 3}, {Key: "CN", Count: 1}, {Key: "KP", Count: 1}},
			"theme":   {{Key: "trade", Count: 2}, {Key: "sanctions", Count: 1}, {Key: "troops", Count: 1}},
		}
		if diff := cmp.Diff(wantFacets, page.Facets); diff != "" {
			t.Errorf("facets (-want +got):\n%s", diff)
		}
		// The same from the pairs of one country and one theme.
		page, err = s.ListArticles(ctx, news.Filter{Countries: []string{"RU"}, Themes: []string{"trade"}, Sort: news.SortNewest, Limit: 1, IncludeTotal: true, Facets: []string{"country", "theme"}})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total == nil || *page.Total != 2 {
			t.Errorf("RU+trade total = %v, want 2 (drafts left out)", page.Total)
		}
		wantFacets = map[string][]news.FacetCount{
			"country": {{Key: "RU", Count: 2}, {Key: "CN", Count: 1}},
			"theme":   {{Key: "trade", Count: 2}, {Key: "sanctions", Count: 1}},
		}
		if diff := cmp.Diff(wantFacets, page.Facets); diff != "" {
			t.Errorf("RU+trade facets (-want +got):\n%s", diff)
		}
		// A later page counts the whole list, as the first did: the
		// cursor bounds the page alone, not its total and facets.
		for _, f := range []news.Filter{{Countries: []string{"RU"}}, {Countries: []string{"RU"}, Themes: []string{"trade"}}} {
			f.Sort, f.Limit, f.IncludeTotal, f.Facets = news.SortNewest, 1, true, []string{"country", "theme"}
			first, err := s.ListArticles(ctx, f)
			if err != nil || first.Next == nil {
				t.Fatalf("%v: %v, next %v", f, err, first.Next)
			}
			f.After = first.Next
			second, err := s.ListArticles(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(second.Articles) != 1 || second.Articles[0].ID == first.Articles[0].ID {
				t.Errorf("%v: the second page repeats or lacks a row: %v", f.Countries, second.Articles)
			}
			if diff := cmp.Diff([]any{first.Total, first.Facets}, []any{second.Total, second.Facets}); diff != "" {
				t.Errorf("%v %v: the second page's total and facets differ from the first's (-first +second):\n%s", f.Countries, f.Themes, diff)
			}
		}
	})
}

// TestCursorWalkWithTiesAndInserts pages through articles that share one
// published_at while new ones arrive, and finds every original id once.
func TestCursorWalkWithTiesAndInserts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		for i := range 57 {
			mustCreate(t, s, draft(t, s, fmt.Sprintf("same second %d", i), t0, []string{"KP"}, nil))
		}
		for _, f := range []news.Filter{
			{Sort: news.SortNewest, Limit: 5},
			{Sort: news.SortOldest, Limit: 7},
			{Sort: news.SortNewest, Limit: 4, Countries: []string{"KP"}},
		} {
			want := allIDs(t, s) // what existed when this walk began
			seen := map[int64]int{}
			for pages := 0; ; pages++ {
				if pages > 100 {
					t.Fatal("the walk does not end")
				}
				page, err := s.ListArticles(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range page.Articles {
					seen[a.ID]++
				}
				// New stories at the same instant and newer arrive mid-walk.
				mustCreate(t, s, draft(t, s, "late", t0, []string{"KP"}, nil))
				mustCreate(t, s, draft(t, s, "newer", t0.Add(time.Hour), []string{"KP"}, nil))
				if page.Next == nil {
					break
				}
				f.After = page.Next
			}
			for id := range want {
				if seen[id] != 1 {
					t.Errorf("sort %s, countries %v: article %d seen %d times, want once", f.Sort, f.Countries, id, seen[id])
				}
			}
			for id, n := range seen {
				if n > 1 {
					t.Errorf("sort %s, countries %v: article %d seen %d times", f.Sort, f.Countries, id, n)
				}
			}
		}
	})
}

func allIDs(tb testing.TB, s *Store) map[int64]bool {
	tb.Helper()
	ids := map[int64]bool{}
	if err := s.EachArticle(context.Background(), func(a news.Article) error { ids[a.ID] = true; return nil }); err != nil {
		tb.Fatal(err)
	}
	return ids
}

// TestConcurrentWriters runs writers and readers at once: no write may
// fail with "database is locked" and none may be lost.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		const writers, each = 16, 10
		var wg sync.WaitGroup
		errs := make(chan error, writers*each*2)
		for w := range writers {
			wg.Add(2)
			go func() {
				defer wg.Done()
				for i := range each {
					d := news.Draft{Title: fmt.Sprintf("w%d-%d", w, i), Countries: []string{"RU"}, Themes: []string{"trade"}}
					if err := d.Normalize(s.Vocabulary()); err != nil {
						errs <- err
						return
					}
					if _, err := s.CreateArticle(ctx, d); err != nil {
						errs <- err
					}
				}
			}()
			go func() {
				defer wg.Done()
				for range each {
					if _, err := s.ListArticles(ctx, news.Filter{Countries: []string{"RU"}, Sort: news.SortNewest, Limit: 20}); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := len(allIDs(t, s)); n != writers*each {
			t.Errorf("stored %d articles, want %d", n, writers*each)
		}
	})
}

// TestGroupedWritesFailAlone sends creates at once, every fourth with a
// link already stored: those get their conflict, and every other create
// is stored, whichever commit they shared with a failing one.
func TestGroupedWritesFailAlone(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		taken := draft(t, s, "taken", t0, []string{"RU"}, []string{"trade"})
		taken.URL = "https://example.com/taken"
		first := mustCreate(t, s, taken)
		const writers, each = 32, 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		var created []int64
		conflicts := 0
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					d := draft(t, s, fmt.Sprintf("w%d-%d", w, i), t0.Add(time.Minute), []string{"RU"}, []string{"trade"})
					d.URL = fmt.Sprintf("https://example.com/%d/%d", w, i)
					dup := (w*each+i)%4 == 0
					if dup {
						d.URL = taken.URL
					}
					a, err := s.CreateArticle(ctx, d)
					var ne *news.Error
					mu.Lock()
					switch {
					case dup && errors.As(err, &ne) && ne.Code == news.EConflict && ne.ExistingID == first.ID:
						conflicts++
					case dup:
						t.Errorf("a create with a taken link: %v, want a conflict naming %d", err, first.ID)
					case err != nil:
						t.Errorf("create %d-%d: %v", w, i, err)
					default:
						created = append(created, a.ID)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if want := writers * each / 4; conflicts != want {
			t.Errorf("%d conflicts, want %d", conflicts, want)
		}
		ids := allIDs(t, s)
		if len(ids) != len(created)+1 {
			t.Errorf("stored %d articles, want the %d created and the first", len(ids), len(created))
		}
		for _, id := range created {
			if !ids[id] {
				t.Errorf("article %d was acknowledged but is not stored", id)
			}
		}
	})
}

// TestSharedCommitsAnswerWhatIsStored: creates that share commits (on
// PostgreSQL sent together in one round trip) are each answered with the
// article as stored, whatever they hold: drafts and published articles,
// with and without a link or a time of their own, one tag or several.
// Each has one entry in the change feed, and the tag lists find it.
func TestSharedCommitsAnswerWhatIsStored(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		const n = 40
		acked := make([]news.Article, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				countries, themes := []string{"KP"}, []string{"aid"}
				if i%2 == 0 {
					countries, themes = []string{"KP", "RU", "CN"}, []string{"sanctions", "trade"}
				}
				d := draft(t, s, fmt.Sprintf("shared commit %d", i), t0.Add(time.Duration(i)*time.Minute), countries, themes)
				if i%3 == 0 {
					d.URL = fmt.Sprintf("https://example.com/shared/%d", i)
				}
				if i%4 == 1 {
					d.Status = news.StatusDraft
					d.PublishedAt = time.Time{}
				}
				a, err := s.CreateArticle(ctx, d)
				if err != nil {
					t.Errorf("create %d: %v", i, err)
				}
				acked[i] = a
			}()
		}
		wg.Wait()
		feed, err := s.Changes(ctx, 0, 1000, true)
		if err != nil {
			t.Fatal(err)
		}
		inFeed := map[int64]int{}
		for _, c := range feed {
			inFeed[c.ID]++
		}
		for i, a := range acked {
			got, err := s.Article(ctx, a.ID, true)
			if err != nil {
				t.Errorf("create %d acknowledged id %d: %v", i, a.ID, err)
				continue
			}
			if got.Title != a.Title || got.URL != a.URL || got.Status != a.Status || got.Version != a.Version ||
				!got.PublishedAt.Equal(a.PublishedAt) || !got.CreatedAt.Equal(a.CreatedAt) || !got.UpdatedAt.Equal(a.UpdatedAt) ||
				fmt.Sprint(got.Countries, got.Themes) != fmt.Sprint(a.Countries, a.Themes) {
				t.Errorf("create %d was answered with\n%+v\nand stored as\n%+v", i, a, got)
			}
			if inFeed[a.ID] != 1 {
				t.Errorf("article %d is in the change feed %d times", a.ID, inFeed[a.ID])
			}
		}
		page, err := s.ListArticles(ctx, news.Filter{Countries: []string{"RU"}, Themes: []string{"sanctions"}, Sort: news.SortNewest, Limit: 100, IncludeTotal: true})
		if want := n / 2; err != nil || *page.Total != want { // the even ones, none of them a draft
			t.Errorf("RU and sanctions list %v articles, want %d: %v", page.Total, want, err)
		}
		checkPairs(t, s, "shared commits")
	})
}

// TestCreatesKeepCommitOrderInTime: creates that share commits take
// their times when their batch comes to them, so that an article
// committed after another is never older: a client polling with
// since=<the newest time it has seen> must not miss one. Taken when the
// request arrived, 49 of 7,200 creates on PostgreSQL were older than
// articles committed before them.
func TestCreatesKeepCommitOrderInTime(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, err := Open(storetest.DSN(t, kind), Options{}) // the real clock
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if _, err := s.MigrateUp(context.Background()); err != nil {
			t.Fatal(err)
		}
		const writers, each = 32, 10
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					d := draft(t, s, fmt.Sprintf("w%d-%d", w, i), time.Time{}, []string{"KP"}, []string{"aid"})
					if _, err := s.CreateArticle(context.Background(), d); err != nil {
						t.Errorf("create %d-%d: %v", w, i, err)
					}
				}
			}()
		}
		wg.Wait()
		var all []news.Article
		if err := s.EachArticle(context.Background(), func(a news.Article) error { all = append(all, a); return nil }); err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(all, func(x, y news.Article) int { return int(x.ID - y.ID) })
		late := 0
		for i := 1; i < len(all); i++ {
			if all[i].CreatedAt.Before(all[i-1].CreatedAt) || all[i].PublishedAt.Before(all[i-1].PublishedAt) {
				late++
			}
		}
		if len(all) != writers*each || late != 0 {
			t.Errorf("%d of %d articles are older than the one committed before them", late, len(all))
		}
	})
}

// TestInstancesWriteTheSameArticles runs two stores on one PostgreSQL
// database, as two instances, each with writers that edit the same few
// articles in opposite orders. Each instance's writes share commits, and
// one batch locks articles in no order another shares: no write may fail
// (a deadlock would fail one) and none may be lost.
func TestInstancesWriteTheSameArticles(t *testing.T) {
	t.Parallel()
	dsn := storetest.DSN(t, "postgres")
	var stores [2]*Store
	for i := range stores {
		s, err := Open(dsn, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if _, err := s.MigrateUp(context.Background()); err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	ctx := context.Background()
	var ids []int64
	for i := range 4 {
		ids = append(ids, mustCreate(t, stores[0], draft(t, stores[0], fmt.Sprintf("shared %d", i), t0, []string{"KP"}, []string{"trade"})).ID)
	}
	const writers, each = 16, 6
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers*each*len(ids))
	for k, s := range stores {
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				order := slices.Clone(ids)
				if (k+w)%2 == 1 {
					slices.Reverse(order)
				}
				for i := range each {
					for _, id := range order {
						title := fmt.Sprintf("edited by %d-%d-%d", k, w, i)
						if _, err := s.UpdateArticle(ctx, id, news.Update{Title: &title}, 0); err != nil {
							errs <- fmt.Errorf("instance %d, writer %d, article %d: %w", k, w, id, err)
						}
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, id := range ids {
		a, err := stores[1].Article(ctx, id, true)
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 + 2*writers*each; a.Version != want {
			t.Errorf("article %d is at version %d, want %d: an acknowledged edit was lost", id, a.Version, want)
		}
	}
	// The change feed holds each article once, at its last version, and
	// its numbers rise in the order the feed lists them.
	changes, err := stores[0].Changes(ctx, 0, 100, true)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for i, c := range changes {
		if seen[c.ID] {
			t.Errorf("article %d is in the change feed twice", c.ID)
		}
		seen[c.ID] = true
		if i > 0 && c.Seq <= changes[i-1].Seq {
			t.Errorf("change %d has number %d after %d", i, c.Seq, changes[i-1].Seq)
		}
		if c.Article == nil || c.Article.Version != 1+2*writers*each {
			t.Errorf("article %d's change entry shows %+v, want its last version", c.ID, c.Article)
		}
	}
	if len(seen) != len(ids) {
		t.Errorf("the change feed holds %d articles, want %d", len(seen), len(ids))
	}
}

// TestThemeRenamesBesideSharedCommits renames a theme back and forth
// while writers create articles naming it and edit articles that carry
// it, so that the writes' shared commits hold a create that locked the
// theme's row beside an edit of an article the rename has locked. No
// rename may fail, and a write may only be refused (a conflict, or the
// theme's old name gone), never fail otherwise: a deadlock would.
func TestThemeRenamesBesideSharedCommits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		var ids []int64
		for i := range 4 {
			ids = append(ids, mustCreate(t, s, draft(t, s, fmt.Sprintf("tagged %d", i), t0, []string{"KP"}, []string{"troops"})).ID)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var written atomic.Int64
		errs := make(chan error, 100)
		for w := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					var err error
					if w%2 == 0 {
						// By the theme's name, which stays as its slug changes.
						d := news.Draft{Title: fmt.Sprintf("new %d-%d", w, i), Countries: []string{"KP"}, Themes: []string{"Troops"}}
						if err = d.Normalize(s.Vocabulary()); err == nil {
							_, err = s.CreateArticle(ctx, d)
						}
					} else {
						title := fmt.Sprintf("edit %d-%d", w, i)
						_, err = s.UpdateArticle(ctx, ids[(w+i)%len(ids)], news.Update{Title: &title}, 0)
					}
					switch news.ErrorCode(err) {
					case "":
						written.Add(1)
					case news.EConflict, news.EValidation:
					default:
						select {
						case errs <- err:
						default:
						}
					}
				}
			}()
		}
		slugs := []string{"troops", "armed-forces"}
		for i := range 10 {
			for seen, deadline := written.Load(), time.Now().Add(10*time.Second); written.Load() < seen+8 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			slug := slugs[(i+1)%2]
			if _, err := s.UpdateTheme(ctx, slugs[i%2], news.ThemeUpdate{Slug: &slug}); err != nil {
				t.Errorf("rename %d: %v", i, err)
			}
		}
		close(stop)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("a write beside the renames: %v", err)
		}
		if written.Load() == 0 {
			t.Error("no write went through beside the renames")
		}
	})
}

func TestVocabulary(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		countries, err := s.Countries(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(countries) != 249 {
			t.Errorf("%d countries, want all 249 ISO 3166-1 alpha-2 codes", len(countries))
		}
		// No alias or name of one country may fold to another's key.
		owner := map[string]string{}
		for _, c := range countries {
			for _, n := range append([]string{c.Code, c.Name}, c.Aliases...) {
				k := news.NameKey(n)
				if o, ok := owner[k]; ok && o != c.Code {
					t.Errorf("%q names both %s and %s", n, o, c.Code)
				}
				owner[k] = c.Code
			}
		}
		for name, want := range map[string]string{
			"RU": "RU", "ru": "RU", "Russia": "RU", "russian federation": "RU", "USA": "US", "u.s.": "US",
			"America": "US", "DPRK": "KP", "north korea": "KP", "ROK": "KR", "South Korea": "KR", "PRC": "CN",
			"japan": "JP", "UK": "GB", "Türkiye": "TR", "turkey": "TR",
		} {
			if got, ok := s.Vocabulary().Country(name); !ok || got != want {
				t.Errorf("Country(%q) = %q, %v; want %q", name, got, ok, want)
			}
		}
		if _, ok := s.Vocabulary().Country("Narnia"); ok {
			t.Error("Narnia resolved")
		}
		for name, want := range map[string]string{"military": "troops", "Troops": "troops", "Human Rights": "human-rights", "SANCTIONS": "sanctions"} {
			if got, ok := s.Vocabulary().Theme(name); !ok || got != want {
				t.Errorf("Theme(%q) = %q, %v; want %q", name, got, ok, want)
			}
		}
		themes, _ := s.Themes(ctx, false)
		if len(themes) < 12 {
			t.Errorf("%d themes, want the 12 seeded", len(themes))
		}

		// Create, rename (articles follow), refuse deleting a used theme.
		th, err := s.CreateTheme(ctx, news.Theme{Slug: "energy", Name: "Energy", Aliases: []string{"oil"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateTheme(ctx, news.Theme{Slug: "fuel", Name: "Fuel", Aliases: []string{"Oil"}}); news.ErrorCode(err) != news.EConflict {
			t.Errorf("alias clash: got %v, want conflict", err)
		}
		a := mustCreate(t, s, draft(t, s, "oil shipments", t0, []string{"RU"}, []string{"oil"}))
		if !slices.Equal(a.Themes, []string{th.Slug}) {
			t.Fatalf("themes %v", a.Themes)
		}
		newSlug := "energy-supply"
		if _, err := s.UpdateTheme(ctx, "energy", news.ThemeUpdate{Slug: &newSlug}); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Article(ctx, a.ID, false)
		if !slices.Equal(got.Themes, []string{"energy-supply"}) {
			t.Errorf("after rename the article has themes %v", got.Themes)
		}
		if err := s.DeleteTheme(ctx, "energy-supply"); news.ErrorCode(err) != news.EConflict {
			t.Errorf("deleting a used theme: got %v, want conflict", err)
		}
		used, _ := s.Themes(ctx, true)
		if len(used) != 1 || used[0].Slug != "energy-supply" || used[0].ArticleCount != 1 {
			t.Errorf("used themes: %+v", used)
		}
	})
}

func TestMigrateDownAndUp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		st, err := s.MigrateStatus(ctx)
		if err != nil || len(st) < 2 {
			t.Fatalf("status: %+v, %v", st, err)
		}
		// Every migration rolls back, newest first, and applies again.
		for i := len(st) - 1; i >= 0; i-- {
			v, err := s.MigrateDown(ctx)
			if err != nil || v != st[i].Version {
				t.Fatalf("down: %d, %v; want %d", v, err, st[i].Version)
			}
		}
		if v, err := s.MigrateDown(ctx); err != nil || v != 0 {
			t.Fatalf("down with nothing applied: %d, %v", v, err)
		}
		if applied, err := s.MigrateUp(ctx); err != nil || len(applied) != len(st) {
			t.Fatalf("up: %v, %v", applied, err)
		}
		mustCreate(t, s, draft(t, s, "after re-migration", t0, []string{"KP"}, nil))
	})
}

// TestRelevancePaging pages through full-text matches by relevance: every
// match once, the best first.
func TestRelevancePaging(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		for i := range 12 {
			d := draft(t, s, fmt.Sprintf("story %d", i), t0.Add(time.Duration(i)*time.Minute), nil, nil)
			d.Summary = "sanctions " + strings.Repeat("talks ", i)
			mustCreate(t, s, d)
		}
		best := draft(t, s, "Sanctions, sanctions and more sanctions", t0, nil, nil)
		bestID := mustCreate(t, s, best).ID
		mustCreate(t, s, draft(t, s, "unrelated", t0, nil, nil))
		f := news.Filter{Query: []string{"sanctions"}, Sort: news.SortRelevance, Limit: 5}
		seen := map[int64]int{}
		order := pagedIDs(t, s, f)
		for _, id := range order {
			seen[id]++
		}
		if len(seen) != 13 || len(order) != 13 {
			t.Errorf("walked %d articles (%d distinct), want the 13 matches once each", len(order), len(seen))
		}
		if order[0] != bestID {
			t.Errorf("the best match (id %d) is not first: %v", bestID, order)
		}
	})
}

// TestRelevanceCursorOutlivesWrites: a cursor of a search by relevance
// goes on where its page ended after articles are created and deleted
// meanwhile, also when its own article is gone: SQLite's ranks weigh a
// word by how many articles there are, which every write changes.
func TestRelevanceCursorOutlivesWrites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		for i := range 20 { // the word in a minority, where it weighs more than nothing
			mustCreate(t, s, draft(t, s, fmt.Sprintf("other %d", i), t0, nil, nil))
		}
		var ids []int64
		for i := range 9 {
			d := draft(t, s, fmt.Sprintf("story %d", i), t0.Add(time.Duration(i)*time.Minute), nil, nil)
			d.Summary = "sanctions " + strings.Repeat("talks ", i)
			ids = append(ids, mustCreate(t, s, d).ID)
		}
		f := news.Filter{Query: []string{"sanctions"}, Sort: news.SortRelevance, Limit: 3}
		all := pagedIDs(t, s, f)
		if len(all) != len(ids) {
			t.Fatalf("paged %v, want the %d matches", all, len(ids))
		}
		page, err := s.ListArticles(ctx, f)
		if err != nil || page.Next == nil {
			t.Fatalf("page 1: %+v, %v", page, err)
		}
		for i := range 5 {
			mustCreate(t, s, draft(t, s, fmt.Sprintf("unrelated %d", i), t0, nil, nil))
		}
		f.After = page.Next
		if got := pagedIDs(t, s, f); !slices.Equal(got, all[3:]) {
			t.Errorf("after five creates, the cursor of page 1 gives %v, want %v", got, all[3:])
		}
		// The cursor's own article deleted: the rest still follows.
		if err := s.DeleteArticle(ctx, all[2], 0); err != nil {
			t.Fatal(err)
		}
		mustCreate(t, s, draft(t, s, "unrelated again", t0, nil, nil))
		if got := pagedIDs(t, s, f); !slices.Equal(got, all[3:]) {
			t.Errorf("with its article deleted, the cursor of page 1 gives %v, want %v", got, all[3:])
		}
	})
}

// TestRelevanceCursorKeepsItsPlace: a cursor of a search by relevance
// goes on from the place of its page's last article in the order, where
// articles that rank alike stay together, even when that article has
// since been edited or deleted, or the words' weights have been counted
// again.
func TestRelevanceCursorKeepsItsPlace(t *testing.T) {
	t.Parallel()
	// addN adds n articles, the i-th (from 0) published at minute from+i,
	// with # in title and summary standing for i.
	addN := func(t *testing.T, s *Store, n, from int, title, summary string) (ids []int64) {
		for i := range n {
			d := draft(t, s, strings.ReplaceAll(title, "#", strconv.Itoa(i)), t0.Add(time.Duration(from+i)*time.Minute), nil, nil)
			d.Summary = strings.ReplaceAll(summary, "#", strconv.Itoa(i))
			ids = append(ids, mustCreate(t, s, d).ID)
		}
		return ids
	}
	// setUp makes the words of a search by relevance rare enough to
	// weigh something, and returns its walk from the start.
	setUp := func(t *testing.T, s *Store, f news.Filter, articles func()) []int64 {
		addN(t, s, 20, 0, "Other #", "weather")
		articles()
		return pagedIDs(t, s, f)
	}
	page := func(t *testing.T, s *Store, f news.Filter) *news.Cursor {
		p, err := s.ListArticles(context.Background(), f)
		if err != nil || p.Next == nil {
			t.Fatalf("page 1: %+v, %v", p, err)
		}
		return p.Next
	}
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		t.Run("its article edited", func(t *testing.T) {
			s, _ := newStore(t, kind)
			f := news.Filter{Query: []string{"embargo"}, Sort: news.SortRelevance, Limit: 4}
			all := setUp(t, s, f, func() {
				addN(t, s, 6, 0, "Embargo story #", "about the embargo, number #")
				addN(t, s, 8, 10, "Plain story #", "mentions the embargo once, item #")
			})
			f.After = page(t, s, f)
			// The page's last article loses the word from its title: it
			// now ranks lower, and the walk goes on from where it was.
			title := "Retitled story"
			if _, err := s.UpdateArticle(context.Background(), all[3], news.Update{Title: &title}, 0); err != nil {
				t.Fatal(err)
			}
			f2 := f
			f2.After = nil
			now := pagedIDs(t, s, f2)
			if !slices.Equal(now[:3], all[:3]) || !slices.Contains(now[3:], all[3]) {
				t.Fatalf("after the edit, the order is %v (before: %v)", now, all)
			}
			if got := pagedIDs(t, s, f); !slices.Equal(got, now[3:]) {
				t.Errorf("the cursor gives %v, want %v", got, now[3:])
			}
		})
		t.Run("the first body written, then the last deleted", func(t *testing.T) {
			// Without a body anywhere, the index is asked about titles
			// only: stories (the word in title and summary) and notices
			// (in the title only) rank alike. Across that change, a cursor
			// on a title goes on from the first of its rank: it may repeat
			// what was shown, but leaves nothing out; one on a summary goes
			// on exactly.
			s, _ := newStore(t, kind)
			f := news.Filter{Query: []string{"embargo"}, Sort: news.SortRelevance, Limit: 6}
			all := setUp(t, s, f, func() {
				addN(t, s, 3, 0, "Embargo story #", "about the embargo, number #")
				addN(t, s, 2, 5, "Embargo notice #", "nothing else here, item #")
				addN(t, s, 5, 10, "Plain story #", "mentions the embargo once, item #")
			})
			// rest checks the walk from a cursor after page 1 (shown):
			// nothing of the matches left out, nothing twice, and nothing
			// but what page 1 showed repeated.
			rest := func(what string, got, shown []int64) {
				t.Helper()
				fresh := f
				fresh.After = nil
				want := pagedIDs(t, s, fresh)
				seen := map[int64]bool{}
				for _, id := range got {
					if seen[id] || !slices.Contains(want, id) {
						t.Errorf("%s: %d twice or not a match: %v (the walk now: %v)", what, id, got, want)
					}
					seen[id] = true
				}
				for _, id := range want {
					if !seen[id] && !slices.Contains(shown, id) {
						t.Errorf("%s: %d left out: %v (the walk now: %v)", what, id, got, want)
					}
				}
			}
			p1 := page(t, s, f)
			d := draft(t, s, "Unrelated with a body", t0, nil, nil)
			d.Body = "A longer text about the weather."
			withBody := mustCreate(t, s, d).ID
			f.After = p1
			if got := pagedIDs(t, s, f); !slices.Equal(got, all[6:]) {
				t.Errorf("after the first body, the cursor on a summary gives %v, want %v", got, all[6:])
			}
			f.After, f.Limit = nil, 1
			shown, _ := s.ListArticles(context.Background(), f)
			f.After = page(t, s, f)
			if err := s.DeleteArticle(context.Background(), withBody, 0); err != nil {
				t.Fatal(err)
			}
			rest("after the last body", pagedIDs(t, s, f), []int64{shown.Articles[0].ID})
			f.After, f.Limit = nil, 3
			shown, _ = s.ListArticles(context.Background(), f)
			f.After = page(t, s, f)
			mustCreate(t, s, d)
			var ids []int64
			for _, a := range shown.Articles {
				ids = append(ids, a.ID)
			}
			rest("after a body again", pagedIDs(t, s, f), ids)
		})
		twoWords := func(t *testing.T, s *Store, f news.Filter) []int64 {
			return setUp(t, s, f, func() {
				addN(t, s, 12, 0, "Treaty draft #", "ahead of the summit, part #")
				addN(t, s, 4, 20, "Summit agenda #", "the treaty text, part #")
				addN(t, s, 6, 30, "Treaty only #", "nothing else")
			})
		}
		t.Run("its article deleted", func(t *testing.T) {
			s, _ := newStore(t, kind)
			f := news.Filter{Query: []string{"treaty", "summit"}, Sort: news.SortRelevance, Limit: 7}
			all := twoWords(t, s, f)
			f.After = page(t, s, f)
			if err := s.DeleteArticle(context.Background(), all[6], 0); err != nil {
				t.Fatal(err)
			}
			addN(t, s, 5, 40, "Unrelated #", "rain")
			if got := pagedIDs(t, s, f); !slices.Equal(got, all[7:]) {
				t.Errorf("the cursor gives %v, want %v", got, all[7:])
			}
		})
		t.Run("the weights counted again", func(t *testing.T) {
			s, clk := newStore(t, kind)
			f := news.Filter{Query: []string{"treaty", "summit"}, Sort: news.SortRelevance, Limit: 12}
			all := twoWords(t, s, f)
			others := addN(t, s, 30, 50, "Summit watch #", "no agreement")
			// The 30 hold one word only: they match nothing, but weigh it.
			if got := pagedIDs(t, s, f); !slices.Equal(got, all) {
				t.Fatalf("with the 30: %v, want %v", got, all)
			}
			f.After = page(t, s, f)
			for _, id := range others {
				if err := s.DeleteArticle(context.Background(), id, 0); err != nil {
					t.Fatal(err)
				}
			}
			clk.t = clk.t.Add(termCountAge + time.Minute)
			if got := pagedIDs(t, s, f); !slices.Equal(got, all[12:]) {
				t.Errorf("the cursor gives %v, want %v", got, all[12:])
			}
		})
	})
}

// TestRelevanceEqualScoresGoByDate: matches whose scores are equal (each
// of three equally rare words in the summary, one of them in the title
// too) rank newest first, however many articles there are: added up in
// the query's order, their scores came out a bit apart, one way or the
// other as the article count moved the words' weights.
func TestRelevanceEqualScoresGoByDate(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, "sqlite")
	var want []int64
	for i, word := range []string{"Alpha", "Bravo", "Charlie"} {
		d := draft(t, s, word+" note", t0.Add(time.Duration(i)*time.Minute), nil, nil)
		d.Summary = "alpha bravo charlie"
		want = append([]int64{mustCreate(t, s, d).ID}, want...)
	}
	f := news.Filter{Query: []string{"alpha", "bravo", "charlie"}, Sort: news.SortRelevance, Limit: 10}
	for n := range 120 {
		if got := pagedIDs(t, s, f); !slices.Equal(got, want) {
			t.Fatalf("with %d other articles: %v, want %v", n, got, want)
		}
		mustCreate(t, s, draft(t, s, fmt.Sprintf("Other %d", n), t0, nil, nil))
	}
}

// TestRelevanceWeighsWhereAndHowRare: on SQLite, where relevance is
// BM25 over the newest matches (rank.go), a rare word counts for more than
// a common one, a word in the title for more than one in the summary, and
// equal matches come newest first (of the same moment, the later id
// first), on every page. (PostgreSQL's ts_rank_cd weighs no word by its
// rarity.)
func TestRelevanceWeighsWhereAndHowRare(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, "sqlite")
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	add := func(title, summary string, h int) int64 {
		d := draft(t, s, title, at(h), nil, nil)
		d.Summary = summary
		return mustCreate(t, s, d).ID
	}
	for i := range 30 { // "sanctions" is in most articles, "drones" in few
		add(fmt.Sprintf("Filler %d", i), "A sanctions report", i)
	}
	rareInTitleOld := add("Drones spotted", "Sanctions widen", 40)
	rareInTitleNew := add("Drones spotted again", "Sanctions widen", 41)
	commonInTitle := add("Sanctions tighten", "Drones seen", 42)
	bothInSummary := add("Weekly digest", "Sanctions and drones", 43)
	// Equal and published at the same moment: the later id first, as in
	// a list.
	sameTimeFirst := add("Drones spotted", "Sanctions widen", 44)
	sameTimeSecond := add("Drones spotted", "Sanctions widen", 44)
	want := []int64{sameTimeSecond, sameTimeFirst, rareInTitleNew, rareInTitleOld, commonInTitle, bothInSummary}
	f := news.Filter{Query: []string{"sanctions", "drones"}, Sort: news.SortRelevance, Limit: 1}
	if got := pagedIDs(t, s, f); !slices.Equal(got, want) {
		t.Errorf("by relevance, a page of one at a time: %v, want %v", got, want)
	}
}

// TestRelevanceCountsItsWindow: a search by relevance pages only its
// RelevanceWindow newest matches, and its total and facets count those,
// not every match, while the same search by date counts them all.
func TestRelevanceCountsItsWindow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		n := RelevanceWindow + 10
		upsertN(t, s, n, func(i int) news.Draft {
			d := draft(t, s, fmt.Sprintf("Embargo report %d", i), t0.Add(time.Duration(i)*time.Minute), []string{"RU"}, nil)
			d.URL = fmt.Sprintf("https://example.com/embargo/%d", i)
			return d
		})
		f := news.Filter{Query: []string{"embargo"}, Sort: news.SortRelevance, Limit: 500,
			IncludeTotal: true, Facets: []string{news.FacetCountry}}
		seen := map[int64]bool{}
		for first := true; ; first = false {
			page, err := s.ListArticles(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if first {
				if page.Total == nil || *page.Total != RelevanceWindow {
					t.Errorf("total by relevance: %s, want %d", showTotal(page.Total), RelevanceWindow)
				}
				if got := page.Facets[news.FacetCountry]; len(got) != 1 || got[0].Count != RelevanceWindow {
					t.Errorf("countries by relevance: %+v, want RU %d", got, RelevanceWindow)
				}
			}
			for _, a := range page.Articles {
				seen[a.ID] = true
			}
			if page.Next == nil {
				break
			}
			f.After, f.IncludeTotal, f.Facets = page.Next, false, nil
		}
		if len(seen) != RelevanceWindow {
			t.Errorf("paged %d articles by relevance, want %d", len(seen), RelevanceWindow)
		}
		byDate, err := s.ListArticles(ctx, news.Filter{Query: []string{"embargo"}, Limit: 1, IncludeTotal: true})
		if err != nil {
			t.Fatal(err)
		}
		if byDate.Total == nil || *byDate.Total != n {
			t.Errorf("total by date: %s, want %d", showTotal(byDate.Total), n)
		}
	})
}

// TestRelevanceWindowEndsWithTheHighestIDs: where the RelevanceWindow
// newest matches end inside a minute that holds more, the window takes
// that minute's highest ids, in the order, the total and a since/until
// within the minute alike.
func TestRelevanceWindowEndsWithTheHighestIDs(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, "sqlite")
	ctx := context.Background()
	minute := t0.Add(time.Hour)
	// Five early ids and five late ones in that minute, a minute each for
	// those between (the window's other matches), and five older ones.
	const edge = 5
	upsertN(t, s, RelevanceWindow+2*edge, func(i int) news.Draft {
		at := minute.Add(time.Duration(i%30) * time.Second)
		switch {
		case i >= edge && i < RelevanceWindow:
			at = minute.Add(time.Duration(i) * time.Minute)
		case i >= RelevanceWindow+edge:
			at = minute.Add(-time.Duration(i) * time.Minute)
		}
		d := draft(t, s, fmt.Sprintf("Embargo report %d", i), at, []string{"RU"}, nil)
		d.URL = fmt.Sprintf("https://example.com/embargo/%d", i)
		return d
	})
	number := func(a news.Article) int {
		n, err := strconv.Atoi(strings.TrimPrefix(a.Title, "Embargo report "))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	f := news.Filter{Query: []string{"embargo"}, Sort: news.SortRelevance, Limit: 100, IncludeTotal: true}
	seen := map[int]bool{}
	for {
		page, err := s.ListArticles(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != nil && *page.Total != RelevanceWindow {
			t.Errorf("total: %d, want %d", *page.Total, RelevanceWindow)
		}
		for _, a := range page.Articles {
			seen[number(a)] = true
		}
		if page.Next == nil {
			break
		}
		f.After, f.IncludeTotal = page.Next, false
	}
	for i := range edge {
		if seen[i] || !seen[RelevanceWindow+i] {
			t.Errorf("in the window: report %d %v, report %d %v; want the later ids only", i, seen[i], RelevanceWindow+i, seen[RelevanceWindow+i])
		}
	}
	until := minute.Add(time.Minute)
	in, err := s.ListArticles(ctx, news.Filter{Query: []string{"embargo"}, Sort: news.SortRelevance, Since: &minute, Until: &until})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, a := range in.Articles {
		got = append(got, number(a))
	}
	if want := []int{2004, 2003, 2002, 2001, 2000}; !slices.Equal(got, want) {
		t.Errorf("by relevance within the minute: reports %v, want %v", got, want)
	}
}

func showTotal(n *int) string {
	if n == nil {
		return "none"
	}
	return strconv.Itoa(*n)
}

// TestBulkUpsert: the import path stores new articles and replaces those
// whose URL is known, keeping a stored time when none is given, with tags
// and change-feed entries as single writes make.
func TestBulkUpsert(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		old := draft(t, s, "first version", t0, []string{"RU"}, []string{"trade"})
		old.URL = "https://example.com/story"
		first := mustCreate(t, s, old)
		replace := draft(t, s, "second version", time.Time{}, []string{"CN", "KP"}, nil)
		replace.URL = "https://example.com/story"
		fresh := draft(t, s, "brand new", t0.Add(time.Hour), []string{"JP"}, []string{"troops"})
		created, err := s.UpsertArticles(ctx, []news.Draft{replace, fresh})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(created, []bool{false, true}) {
			t.Errorf("created %v", created)
		}
		got, _ := s.Article(ctx, first.ID, false)
		if got.Title != "second version" || !got.PublishedAt.Equal(t0) || !slices.Equal(got.Countries, []string{"CN", "KP"}) || len(got.Themes) != 0 || got.Version != 2 {
			t.Errorf("replaced: %+v", got)
		}
		page, _ := s.ListArticles(ctx, news.Filter{Countries: []string{"JP"}, Themes: []string{"troops"}, Sort: news.SortNewest, Limit: 5})
		if len(page.Articles) != 1 || page.Articles[0].Title != "brand new" {
			t.Errorf("new article by its tags: %+v", page.Articles)
		}
		changes, err := s.Changes(ctx, 0, 10, false)
		if err != nil || len(changes) != 2 || changes[0].ID != first.ID || changes[1].Article.Title != "brand new" {
			t.Errorf("changes: %+v %v", changes, err)
		}
		// All or none: a bad draft in a batch stores nothing.
		bad := draft(t, s, "bad", t0, nil, nil)
		bad.Countries = []string{"XX"} // not a country: the foreign key refuses it
		if _, err := s.UpsertArticles(ctx, []news.Draft{draft(t, s, "would be lost", t0, nil, nil), bad}); err == nil {
			t.Error("a batch with a bad draft was stored")
		}
		if page, _ := s.ListArticles(ctx, news.Filter{Query: []string{"lost"}, Sort: news.SortNewest, Limit: 5}); len(page.Articles) != 0 {
			t.Error("part of a refused batch was stored")
		}
	})
}

// The article counts of countries and themes are of published articles:
// drafts carry tags but are not counted until they are published.
func TestTagCountsLeaveOutDrafts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		mustCreate(t, s, draft(t, s, "one", t0, []string{"RU"}, []string{"sanctions"}))
		gone := mustCreate(t, s, draft(t, s, "two", t0.Add(time.Hour), []string{"KP", "RU"}, []string{"trade"}))
		mustCreate(t, s, draft(t, s, "three", t0.Add(2*time.Hour), []string{"CN"}, []string{"sanctions"}))
		d := draft(t, s, "four", t0.Add(3*time.Hour), []string{"RU"}, []string{"sanctions"})
		d.Status = news.StatusDraft
		mustCreate(t, s, d)
		d = draft(t, s, "five", t0.Add(4*time.Hour), []string{"JP"}, []string{"troops"})
		d.Status = news.StatusDraft
		hidden := mustCreate(t, s, d)

		check := func(step string, countries, themes map[string]int) {
			t.Helper()
			cs, err := s.Countries(ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, c := range cs {
				got[c.Code] = c.ArticleCount
			}
			if !maps.Equal(got, countries) {
				t.Errorf("%s: countries %v, want %v", step, got, countries)
			}
			ts, err := s.Themes(ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			got = map[string]int{}
			for _, th := range ts {
				got[th.Slug] = th.ArticleCount
				one, err := s.Theme(ctx, th.Slug)
				if err != nil || one.ArticleCount != th.ArticleCount {
					t.Errorf("%s: theme %s alone counts %d, %v; in the list %d", step, th.Slug, one.ArticleCount, err, th.ArticleCount)
				}
			}
			if !maps.Equal(got, themes) {
				t.Errorf("%s: themes %v, want %v", step, got, themes)
			}
		}
		check("with two drafts", map[string]int{"RU": 2, "KP": 1, "CN": 1}, map[string]int{"sanctions": 2, "trade": 1})
		published := news.StatusPublished
		if _, err := s.UpdateArticle(ctx, hidden.ID, news.Update{Status: &published}, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteArticle(ctx, gone.ID, 0); err != nil {
			t.Fatal(err)
		}
		check("a draft published, an article deleted", map[string]int{"RU": 1, "CN": 1, "JP": 1}, map[string]int{"sanctions": 2, "troops": 1})
	})
}

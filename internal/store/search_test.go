package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
)

func articleIDs(list []news.Article) []int64 {
	out := make([]int64, len(list))
	for i, a := range list {
		out[i] = a.ID
	}
	return out
}

// searchWords are the words of the generated texts: none is a stem of
// another or changed by stemming beyond case, so a search's matches are
// exactly the texts holding its words (see refMatches). The first are
// common, the last rare.
var searchWords = []string{"harbor", "ferry", "cargo", "pilot", "lantern", "quartz", "walrus", "zircon"}

// searchText is a text of n words drawn from searchWords, the later ones
// rarer.
func searchText(rng *rand.Rand, n int) string {
	words := make([]string, n)
	for i := range words {
		k := 0
		for k < len(searchWords)-1 && rng.IntN(2) == 1 {
			k++
		}
		words[i] = searchWords[k]
		if rng.IntN(3) == 0 {
			words[i] = strings.ToUpper(words[i][:1]) + words[i][1:]
		}
	}
	return strings.Join(words, " ")
}

// wordsOf splits a text into lower-case words, as the full-text index
// does for these texts.
func wordsOf(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r < 'a' || r > 'z' })
}

// hasPhrase says whether words holds every word of term in a row.
func hasPhrase(words []string, term string) bool {
	p := wordsOf(term)
	for i := 0; i+len(p) <= len(words); i++ {
		if slices.Equal(words[i:i+len(p)], p) {
			return true
		}
	}
	return false
}

// refMatches says whether a matches f, computed in Go from the article
// alone: every term in its title, summary or body, then the tags, dates
// and status by news.Filter.Selects. A phrase is within one of the texts
// on SQLite; PostgreSQL's search vector joins them end to end, so there a
// phrase may run from one into the next (as before migration 00014).
func refMatches(a news.Article, f news.Filter, postgres bool) bool {
	texts := [][]string{wordsOf(a.Title), wordsOf(a.Summary), wordsOf(a.Body)}
	if postgres {
		texts = [][]string{slices.Concat(texts...)}
	}
	for _, term := range f.Query {
		found := false
		for _, words := range texts {
			found = found || hasPhrase(words, term)
		}
		if !found {
			return false
		}
	}
	// The rest as a change stream decides it; the comparisons with the
	// store's lists check news.Filter.Selects too.
	g := f
	g.Query = nil
	selected, _ := g.Selects(a)
	return selected
}

// refList is the list f selects from all, in f's order, computed in Go.
func refList(all []news.Article, f news.Filter, postgres bool) []int64 {
	var out []news.Article
	for _, a := range all {
		if refMatches(a, f, postgres) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y news.Article) int {
		c := x.PublishedAt.Compare(y.PublishedAt)
		if c == 0 {
			c = int(x.ID - y.ID)
		}
		if f.Sort != news.SortOldest {
			c = -c
		}
		return c
	})
	return articleIDs(out)
}

// searchFixture fills s with n generated articles whose publication
// times crowd into few minutes and microseconds (many identical), some of
// them drafts, then edits some: new text, new times (into and out of
// crowded minutes), replaced, upserted by URL, deleted. It returns every
// article, drafts included.
func searchFixture(t *testing.T, s *Store, n int) []news.Article {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11)) //nolint:gosec // a repeatable test
	base := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	pubAt := func() time.Time {
		switch rng.IntN(10) {
		case 0: // far from the rest, clamped into the key's first or last block
			return []time.Time{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
				time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC)}[rng.IntN(3)]
		case 1, 2, 3: // one of a few instants, shared by many
			return base.Add(time.Duration(rng.IntN(4)) * time.Minute)
		default: // within a few minutes, to the microsecond
			return base.Add(time.Duration(rng.Int64N(int64(6 * time.Minute))).Truncate(time.Microsecond))
		}
	}
	countries := []string{"RU", "KP", "CN", "CU"}
	themes := []string{"sanctions", "trade", "tourism"}
	pick := func(from []string) []string {
		var out []string
		for _, v := range from {
			if rng.IntN(3) == 0 {
				out = append(out, v)
			}
		}
		return out
	}
	newDraft := func(url string) news.Draft {
		d := news.Draft{Title: searchText(rng, 3), Summary: searchText(rng, 6), Body: searchText(rng, rng.IntN(12)),
			URL: url, Source: "Test", Countries: pick(countries), Themes: pick(themes),
			PublishedAt: pubAt()}
		if rng.IntN(8) == 0 {
			d.Status = news.StatusDraft
		}
		if err := d.Normalize(s.Vocabulary()); err != nil {
			t.Fatal(err)
		}
		return d
	}
	var ids []int64
	batch := make([]news.Draft, 0, 250)
	for i := range n {
		batch = append(batch, newDraft(fmt.Sprintf("https://example.com/%d", i)))
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := s.UpsertArticles(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	all := func() []news.Article {
		var out []news.Article
		if err := s.EachArticle(ctx, func(a news.Article) error { out = append(out, a); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	urls := map[int64]string{}
	for _, a := range all() {
		ids = append(ids, a.ID)
		urls[a.ID] = a.URL
	}
	for _, id := range ids {
		switch rng.IntN(20) {
		case 0: // new text
			title, body := searchText(rng, 4), searchText(rng, 5)
			if _, err := s.UpdateArticle(ctx, id, news.Update{Title: &title, Body: &body}, 0); err != nil {
				t.Fatal(err)
			}
		case 1: // a new time
			pub := pubAt()
			if _, err := s.UpdateArticle(ctx, id, news.Update{PublishedAt: &pub}, 0); err != nil {
				t.Fatal(err)
			}
		case 2: // both, and published
			pub, summary, status := pubAt(), searchText(rng, 3), news.StatusPublished
			if _, err := s.UpdateArticle(ctx, id, news.Update{PublishedAt: &pub, Summary: &summary, Status: &status}, 0); err != nil {
				t.Fatal(err)
			}
		case 3:
			d := newDraft(fmt.Sprintf("https://example.com/replaced/%d", id))
			if _, err := s.ReplaceArticle(ctx, id, d, 0); err != nil {
				t.Fatal(err)
			}
		case 4:
			if err := s.DeleteArticle(ctx, id, 0); err != nil {
				t.Fatal(err)
			}
		case 5: // upserted by its URL with new text and time
			d := newDraft(urls[id])
			if _, _, err := s.UpsertArticle(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	return all()
}

// searchFilters are the filters the correctness tests list: every query
// shape with and without tags, dates, drafts and both orders.
func searchFilters() []news.Filter {
	shapes := [][]string{
		{"harbor"},                 // common
		{"zircon"},                 // rare
		{"ferry", "cargo"},         // two words
		{"harbor ferry"},           // a phrase
		{"cargo", "lantern pilot"}, // a word and a phrase
		{"nowhere"},                // no match
	}
	since := time.Date(2024, 3, 1, 10, 1, 30, 0, time.UTC)
	until := since.Add(2 * time.Minute)
	filters := []news.Filter{
		{},
		{Countries: []string{"RU"}},
		{Countries: []string{"RU"}, Themes: []string{"sanctions"}},
		{Countries: []string{"RU", "KP"}, ThemesNot: []string{"trade"}},
		{CountriesAll: []string{"RU", "KP"}, Themes: []string{"tourism", "trade"}},
		{Countries: []string{"CU"}, Themes: []string{"tourism"}, CountriesNot: []string{"KP"}},
		{Since: &since},
		{Countries: []string{"KP"}, Since: &since, Until: &until},
	}
	var out []news.Filter
	for _, q := range shapes {
		for _, base := range filters {
			for _, drafts := range []bool{false, true} {
				for _, sort := range []news.Sort{news.SortNewest, news.SortOldest} {
					f := base
					f.Query, f.WithDrafts, f.Sort = q, drafts, sort
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// pageThrough lists every page of f with list and returns the ids in order.
func pageThrough(t *testing.T, f news.Filter, list func(news.Filter) (news.Page, error)) []int64 {
	t.Helper()
	var ids []int64
	for pages := 0; ; pages++ {
		page, err := list(f)
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		ids = append(ids, articleIDs(page.Articles)...)
		if page.Next == nil {
			return ids
		}
		if len(page.Articles) != f.Limit || pages > 10_000 {
			t.Fatalf("%+v: a page of %d before the end", f, len(page.Articles))
		}
		f.After = page.Next
	}
}

// TestSearchListsWhatItMatches: every search shape, with and without
// tags, dates and drafts, newest or oldest first, paged through to the
// end, lists exactly the articles that hold its words, in order, as
// computed in Go from the articles themselves; also through each of the
// SQLite plans forced, PostgreSQL's with windows that find a page and
// that do not, and by relevance (the same set).
func TestSearchListsWhatItMatches(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		all := searchFixture(t, s, 2000)
		checkSearches(t, s, all)
	})
}

// checkSearches compares every filter of searchFilters on s with the
// reference list computed from all.
func checkSearches(t *testing.T, s *Store, all []news.Article) {
	t.Helper()
	ctx := context.Background()
	nonEmpty := 0
	for i, f := range searchFilters() {
		f.Limit = 40
		if i%5 == 0 {
			f.Limit = 3 // pages that end inside a crowded minute
		}
		want := refList(all, f, s.dialect.postgres)
		if len(want) > 0 {
			nonEmpty++
		}
		got := pageThrough(t, f, func(f news.Filter) (news.Page, error) { return s.ListArticles(ctx, f) })
		if !slices.Equal(got, want) {
			t.Errorf("%s: %+v\n got %v\nwant %v", s.dialect.name, f, got, want)
			continue
		}
		if s.dialect.postgres {
			// Again, as pgSearch now remembers which searches were rare
			// among their filter's newest rows.
			if got := pageThrough(t, f, func(f news.Filter) (news.Page, error) { return s.ListArticles(ctx, f) }); !slices.Equal(got, want) {
				t.Errorf("remembered plan: %+v\n got %v\nwant %v", f, got, want)
			}
			for _, window := range []int{2, pgWindow} {
				got := pageThrough(t, f, func(f news.Filter) (news.Page, error) {
					return pgSearchPage(s.dialect, s.r, f, window)
				})
				if !slices.Equal(got, want) {
					t.Errorf("window %d: %+v\n got %v\nwant %v", window, f, got, want)
				}
			}
		} else {
			for _, plan := range []searchPlan{walkMatches, tagsWithMatchSet, tagsProbing} {
				got := pageThrough(t, f, func(f news.Filter) (news.Page, error) {
					return searchPage(s.dialect, s.r, buildList(s.dialect, f), f, plan)
				})
				if !slices.Equal(got, want) {
					t.Errorf("plan %d: %+v\n got %v\nwant %v", plan, f, got, want)
				}
			}
		}
		if f.Sort == news.SortNewest {
			f.Sort = news.SortRelevance
			got := pageThrough(t, f, func(f news.Filter) (news.Page, error) { return s.ListArticles(ctx, f) })
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("by relevance: %+v\n got %v\nwant %v", f, got, want)
			}
		}
	}
	if s.dialect.postgres {
		rare := 0
		for _, e := range s.rare.m {
			if e.v {
				rare++
			}
		}
		if rare == 0 {
			t.Errorf("no search's words were rare among its filter's newest %d rows: pgSearch's remembered plan went untried", pgWindow)
		}
	}
	if nonEmpty < len(searchFilters())/2 {
		t.Errorf("only %d filters match anything", nonEmpty)
	}
}

// TestSearchMigrationKeepsArticles: articles stored before migration
// 00014 are found by date after it, and rolling it back gives the old
// index back, holding every article.
func TestSearchMigrationKeepsArticles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t, "sqlite")
	down := func() { rollBack(t, s, 14) } // from the newest version to before 00014
	down()
	all := searchFixture(t, s, 600)
	var n int
	if err := s.r.Raw(`SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'harbor OR ferry OR cargo OR pilot OR lantern OR quartz OR walrus OR zircon' AND rowid IN (SELECT id FROM articles)`).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != len(all) {
		t.Fatalf("before: %d of %d articles in the old index", n, len(all))
	}
	if _, err := s.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	checkSearches(t, s, all)
	down()
	if err := s.r.Raw(`SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'harbor OR ferry OR cargo OR pilot OR lantern OR quartz OR walrus OR zircon' AND rowid IN (SELECT id FROM articles)`).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != len(all) {
		t.Errorf("after down: %d of %d articles in the old index", n, len(all))
	}
}

// TestSearchKeyOrder: search keys sort in the reverse of publication
// times, across the whole range and beyond it (clamped), each gives back
// its article, and the SQL computes the same.
func TestSearchKeyOrder(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, "sqlite")
	times := []int64{-1 << 62, searchMinMicros - 1, searchMinMicros, -60_000_001, -60_000_000, -1, 0, 1, 59_999_999, 60_000_000,
		micros(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)), searchMaxMicros, searchMaxMicros + 1, 1 << 62}
	for i, pub := range times {
		for _, id := range []int64{1, searchIDMask} {
			var got int64
			if err := s.r.Raw("SELECT "+searchKeySQL("?", "?"), pub, id).Scan(&got).Error; err != nil {
				t.Fatal(err)
			}
			if want := searchKey(pub, id); got != want || want < 0 {
				t.Errorf("key(%d, %d): SQL %d, Go %d", pub, id, got, want)
			}
			if got&searchIDMask != id {
				t.Errorf("key(%d, %d) = %d: article %d", pub, id, got, got&searchIDMask)
			}
			if i > 0 && searchKey(times[i-1], id) < searchKey(pub, id) {
				t.Errorf("key(%d) < key(%d)", times[i-1], pub)
			}
		}
	}
}

// TestPlanSearchFollowsTheFilter: a search whose filter selects most
// articles walks the matches; one whose filter selects one article in
// hundreds starts from that tag's rows. The filter's share is estimated
// once and kept for planAge: articles that make the rare tag common
// change the plan only once that has passed.
func TestPlanSearchFollowsTheFilter(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t, "sqlite")
	ctx := context.Background()
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	add := func(n int, country string) {
		t.Helper()
		batch := make([]news.Draft, n)
		for i := range batch {
			batch[i] = draft(t, s, fmt.Sprintf("Harbor talks %s %d", country, i), base.Add(time.Duration(i)*time.Hour), []string{country}, nil)
		}
		if _, err := s.UpsertArticles(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	add(600, "RU")
	add(1, "CU")
	plan := func(country string) searchPlan {
		t.Helper()
		p, err := s.planSearch(ctx, news.Filter{Countries: []string{country}, Query: []string{"harbor"}, Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := plan("RU"); p != walkMatches {
		t.Errorf("a filter on every article: plan %d, want the walk of the matches", p)
	}
	if p := plan("CU"); p == walkMatches {
		t.Error("a filter on one article in 601: plan walks the matches, want the tag's rows")
	}
	add(600, "CU")
	if p := plan("CU"); p == walkMatches {
		t.Error("the share was estimated again before planAge passed")
	}
	clk.t = clk.t.Add(planAge + time.Second)
	if p := plan("CU"); p != walkMatches {
		t.Errorf("after planAge, with CU on half the articles: plan %d, want the walk of the matches", p)
	}
}

// TestSearchTagsMatchWhole searches, on each database, articles whose
// themes include one whose slug lies inside another's ("trade" in
// "trade-war"): a search walk tests each match's own tag text, and a tag
// found inside another is not that tag. A search filtered by those
// themes, with them or without them, lists exactly the articles that
// carry them or do not.
func TestSearchTagsMatchWhole(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		if _, err := s.CreateTheme(ctx, news.Theme{Slug: "trade-war", Name: "Trade war"}); err != nil {
			t.Fatal(err)
		}
		war := mustCreate(t, s, draft(t, s, "harbor tariffs rise", t0, []string{"KP"}, []string{"trade-war"}))
		trade := mustCreate(t, s, draft(t, s, "harbor trade resumes", t0.Add(time.Hour), []string{"RU"}, []string{"trade"}))
		both := mustCreate(t, s, draft(t, s, "harbor trade and tariffs", t0.Add(2*time.Hour), []string{"KP", "RU"}, []string{"trade", "trade-war"}))
		for _, tc := range []struct {
			name string
			f    news.Filter
			want []int64
		}{
			{"themes=trade", news.Filter{Themes: []string{"trade"}}, []int64{both.ID, trade.ID}},
			{"themes=trade-war", news.Filter{Themes: []string{"trade-war"}}, []int64{both.ID, war.ID}},
			{"themes_not=trade", news.Filter{ThemesNot: []string{"trade"}}, []int64{war.ID}},
			{"themes_not=trade-war", news.Filter{ThemesNot: []string{"trade-war"}}, []int64{trade.ID}},
			{"themes_all=trade,trade-war", news.Filter{ThemesAll: []string{"trade", "trade-war"}}, []int64{both.ID}},
			{"countries=KP&themes=trade", news.Filter{Countries: []string{"KP"}, Themes: []string{"trade"}}, []int64{both.ID}},
			{"countries_not=RU", news.Filter{CountriesNot: []string{"RU"}}, []int64{war.ID}},
		} {
			f := tc.f
			f.Query, f.Sort, f.Limit = []string{"harbor"}, news.SortNewest, 20
			page, err := s.ListArticles(ctx, f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := articleIDs(page.Articles); !slices.Equal(got, tc.want) {
				t.Errorf("%s: listed %v, want %v", tc.name, got, tc.want)
			}
		}
	})
}

// TestSearchByTagsFollowsEveryWrite: a search filtered by a country and
// a theme (which SQLite's walk asks its index for as a pair, see
// pairTokens) finds what the same search without the filter finds among
// the articles that carry them, after a load, creates, tag edits, a
// rename of a theme with a hyphen, replaces and deletes; a client's word
// never finds a pair's token.
func TestSearchByTagsFollowsEveryWrite(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t, kind)
		l, err := s.BeginLoad(ctx)
		if err != nil || l == nil {
			t.Fatalf("BeginLoad: %v, %v", l, err)
		}
		drafts := loadDrafts(t, s)
		for i := range drafts {
			if i%4 == 0 {
				drafts[i].Themes = append(drafts[i].Themes, "human-rights")
			}
		}
		if _, err := l.Add(ctx, drafts); err != nil {
			t.Fatal(err)
		}
		if err := l.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		check := func(stage string) {
			t.Helper()
			tags := map[int64]news.Article{}
			if err := s.EachArticle(ctx, func(a news.Article) error { tags[a.ID] = a; return nil }); err != nil {
				t.Fatal(err)
			}
			for _, q := range [][]string{{"talks"}, {"sanctions", "headline"}, {"about talks"}, {"pruxsanctions"}} {
				all := pagedIDs(t, s, news.Filter{Query: q, Limit: 7})
				for _, c := range []string{"RU", "CN", "KP", "CU"} {
					for _, th := range []string{"sanctions", "trade", "human-rights", "rights-of-people"} {
						var want []int64
						for _, id := range all {
							if a := tags[id]; slices.Contains(a.Countries, c) && slices.Contains(a.Themes, th) {
								want = append(want, id)
							}
						}
						got := pagedIDs(t, s, news.Filter{Query: q, Countries: []string{c}, Themes: []string{th}, Limit: 7})
						if !slices.Equal(got, want) {
							t.Errorf("%s: %q with %s and %s: %v, want %v", stage, q, c, th, got, want)
						}
					}
				}
			}
			if got := pagedIDs(t, s, news.Filter{Query: []string{"pruxsanctions"}, Limit: 7}); len(got) > 0 {
				t.Errorf("%s: the token of a pair was found as a word: %v", stage, got)
			}
		}
		check("after the load")

		var ids []int64
		for i := range 40 {
			cs := [][]string{{"RU"}, {"CN", "RU"}, {"CU"}, {"KP", "CN"}}[i%4]
			ts := [][]string{{"sanctions"}, {"trade", "human-rights"}, {"sanctions", "trade"}}[i%3]
			ids = append(ids, mustCreate(t, s, draft(t, s, fmt.Sprintf("Created %d: talks on sanctions", i), t0.Add(time.Duration(i*7)*time.Hour), cs, ts)).ID)
		}
		check("after creates")
		for i, id := range ids[:20] {
			cs := [][]string{{"CU", "RU"}, {"KP"}}[i%2]
			ts := [][]string{{"human-rights"}, {"sanctions", "trade"}}[i%2]
			if _, err := s.UpdateArticle(ctx, id, news.Update{Countries: &cs, Themes: &ts}, 0); err != nil {
				t.Fatal(err)
			}
		}
		check("after tag edits")
		slug := "rights-of-people"
		if _, err := s.UpdateTheme(ctx, "human-rights", news.ThemeUpdate{Slug: &slug}); err != nil {
			t.Fatal(err)
		}
		check("after a theme's rename")
		for i, id := range ids[20:30] {
			d := draft(t, s, fmt.Sprintf("Replaced %d: talks", i), t0.Add(time.Duration(i)*time.Minute), []string{"RU", "CU"}, []string{"sanctions", "rights-of-people"})
			if _, err := s.ReplaceArticle(ctx, id, d, 0); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range ids[30:] {
			if err := s.DeleteArticle(ctx, id, 0); err != nil {
				t.Fatal(err)
			}
		}
		check("after replaces and deletes")
	})
}

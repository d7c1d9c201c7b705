package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
)

// TestTagCountsStayExact runs every kind of write that changes which
// published articles carry a tag, and after each one holds the article
// counts that Countries, Themes, Country and Theme answer to a count made
// from scratch: the published articles' own tag lists, and the tag rows
// joined to their articles. The counts are kept by triggers (migration
// 00012), which a load drops and makes up for, and which migrating down
// and up again rebuilds from the articles.
func TestTagCountsStayExact(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t, kind)
		check := func(step string) {
			t.Helper()
			checkTagCounts(t, s, step)
		}
		at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Hour) }
		mk := func(i int, countries, themes []string, status news.Status) news.Draft {
			d := draft(t, s, fmt.Sprintf("Story %d", i), at(i), countries, themes)
			d.URL, d.Status = fmt.Sprintf("https://news.example.com/%d", i), status
			return d
		}
		published, drafted := news.StatusPublished, news.StatusDraft

		// Creates: published, drafts, without tags, with one kind only.
		var ids []int64
		for i, c := range []struct {
			countries, themes []string
			status            news.Status
		}{
			{[]string{"KP", "RU"}, []string{"sanctions", "trade"}, published},
			{[]string{"KP"}, []string{"troops"}, published},
			{[]string{"CN", "KP", "US"}, []string{"diplomacy"}, published},
			{[]string{"RU"}, nil, published},
			{nil, []string{"trade"}, published},
			{nil, nil, published},
			{[]string{"JP", "KP"}, []string{"nuclear", "sanctions"}, drafted},
			{[]string{"KR"}, []string{"aid"}, drafted},
			{[]string{"KP", "RU"}, []string{"labor", "trade"}, published},
		} {
			ids = append(ids, mustCreate(t, s, mk(i, c.countries, c.themes, c.status)).ID)
		}
		check("creates")

		patchOn := func(s *Store, id int64, u news.Update) {
			t.Helper()
			if _, err := s.UpdateArticle(ctx, id, u, 0); err != nil {
				t.Fatalf("patch %d: %v", id, err)
			}
		}
		patch := func(id int64, u news.Update) { t.Helper(); patchOn(s, id, u) }
		patch(ids[6], news.Update{Status: &published})
		check("publishing a draft")
		patch(ids[1], news.Update{Status: &drafted})
		check("unpublishing")
		patch(ids[0], news.Update{Countries: &[]string{"KP", "CN"}, Themes: &[]string{"trade", "aid"}})
		check("a patch of both tag lists")
		patch(ids[7], news.Update{Countries: &[]string{"KR", "US"}})
		check("a patch of a draft's tags")
		patch(ids[2], news.Update{Status: &drafted, Themes: &[]string{"cyber"}})
		check("a patch of status and tags at once")
		patch(ids[3], news.Update{Title: ptr("Story 3, corrected")})
		check("a patch of the text alone")
		if _, err := s.ReplaceArticle(ctx, ids[4], mk(4, []string{"UA"}, []string{"troops", "aid"}, published), 0); err != nil {
			t.Fatal(err)
		}
		check("a put")
		if _, err := s.ReplaceArticle(ctx, ids[8], mk(8, nil, nil, drafted), 0); err != nil {
			t.Fatal(err)
		}
		check("a put of an untagged draft")
		for _, id := range []int64{ids[5], ids[1], ids[0]} { // untagged, a draft, published
			if err := s.DeleteArticle(ctx, id, 0); err != nil {
				t.Fatal(err)
			}
		}
		check("deletes")

		// An import into this database: new articles, articles replaced with
		// other tags or status, one unchanged.
		imported := []news.Draft{
			mk(3, []string{"RU", "BY"}, []string{"trade"}, published),    // was RU, no themes
			mk(6, []string{"JP", "KP"}, []string{"nuclear"}, drafted),    // unpublished again
			mk(7, []string{"KR", "US"}, []string{"aid"}, published),      // a draft published
			mk(4, []string{"UA"}, []string{"aid", "troops"}, published),  // unchanged
			mk(20, []string{"IR", "KP"}, []string{"nuclear"}, published), // new
			mk(21, []string{"IR"}, []string{"sanctions"}, drafted),       // new draft
		}
		imported[0].Title = "Story 3, corrected"
		if _, err := s.UpsertDrafts(ctx, imported); err != nil {
			t.Fatal(err)
		}
		check("an upsert import")

		// A retag: the tagger's choices for two articles, then a new word
		// for a theme that changes one of them.
		var auto []int64
		for i, title := range []string{"Pyongyang hosts trade fair for Chinese traders", "Moscow and Pyongyang sign anthracite deal"} {
			d := draft(t, s, title, at(30+i), nil, nil)
			d.URL, d.AutoCountries, d.AutoThemes = fmt.Sprintf("https://news.example.com/auto/%d", i), true, true
			if err := d.Normalize(s.Vocabulary()); err != nil {
				t.Fatal(err)
			}
			auto = append(auto, mustCreate(t, s, d).ID)
		}
		check("auto-tagged creates")
		before, err := s.Article(ctx, auto[1], true)
		if err != nil {
			t.Fatal(err)
		}
		trade, err := s.Theme(ctx, "trade")
		if err != nil {
			t.Fatal(err)
		}
		keywords := append(slices.Clone(trade.Keywords), "anthracite")
		if _, err := s.UpdateTheme(ctx, "trade", news.ThemeUpdate{Keywords: &keywords}); err != nil {
			t.Fatal(err)
		}
		res, err := s.Retag(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		after, err := s.Article(ctx, auto[1], true)
		if err != nil {
			t.Fatal(err)
		}
		if res.Changed == 0 || slices.Equal(before.Themes, after.Themes) {
			t.Fatalf("the retag changed %d articles, themes %v → %v: it must change one for this test", res.Changed, before.Themes, after.Themes)
		}
		check("a retag")

		// Themes: a new one, used, renamed, then one renamed onto a slug
		// that another article's list sorts after; an unused one deleted.
		if _, err := s.CreateTheme(ctx, news.Theme{Slug: "energy", Name: "Energy"}); err != nil {
			t.Fatal(err)
		}
		mustCreate(t, s, mk(40, []string{"RU"}, []string{"energy", "trade"}, published))
		mustCreate(t, s, mk(41, []string{"KP"}, []string{"energy"}, drafted))
		check("a new theme in use")
		for _, r := range [][2]string{{"energy", "power"}, {"trade", "zz-trade"}, {"nuclear", "a-nuclear"}} {
			was, err := s.Theme(ctx, r[0])
			if err != nil {
				t.Fatal(err)
			}
			th, err := s.UpdateTheme(ctx, r[0], news.ThemeUpdate{Slug: &r[1]})
			if err != nil {
				t.Fatalf("rename %s to %s: %v", r[0], r[1], err)
			}
			if was.ArticleCount == 0 || th.ArticleCount != was.ArticleCount {
				t.Errorf("renaming %s (%d articles) to %s answers %d articles", r[0], was.ArticleCount, r[1], th.ArticleCount)
			}
			check("renaming " + r[0] + " to " + r[1])
		}
		// A slug that is part of another: the triggers match whole tags.
		if _, err := s.CreateTheme(ctx, news.Theme{Slug: "nuclear-power", Name: "Nuclear power"}); err != nil {
			t.Fatal(err)
		}
		np := mustCreate(t, s, mk(42, []string{"FR"}, []string{"nuclear-power"}, published)).ID
		patch(np, news.Update{Themes: &[]string{"nuclear-power", "power"}})
		check("a tag added beside one that holds it")
		patch(np, news.Update{Themes: &[]string{"nuclear-power"}})
		check("a tag taken away beside one that holds it")
		if _, err := s.CreateTheme(ctx, news.Theme{Slug: "spare", Name: "Spare"}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteTheme(ctx, "spare"); err != nil {
			t.Fatal(err)
		}
		check("a theme's delete")

		// A restore into this database merges: an article it holds with
		// other tags, a new one.
		var mine news.Article
		if err := s.EachArticle(ctx, func(a news.Article) error {
			if a.ID == ids[3] {
				mine = a
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		mine.Countries, mine.Themes = []string{"CN"}, []string{"culture", "zz-trade"}
		fresh := news.Article{ID: 500, Title: "Restored story", URL: "https://news.example.com/500", Source: "NK News", Language: "en",
			Countries: []string{"KP", "SY"}, Themes: []string{"troops"}, Status: published, PublishedAt: at(50), CreatedAt: at(50), UpdatedAt: at(50), Version: 3}
		r, err := s.BeginRestore(ctx)
		if err != nil || r.Exact() {
			t.Fatalf("a restore into a database with articles: %v, exact %v", err, r != nil && r.Exact())
		}
		list := []news.Article{mine, fresh}
		if _, errs, err := r.Articles(ctx, list, make([]news.FeedEntry, len(list))); err != nil || errs[0] != nil || errs[1] != nil {
			t.Fatalf("merge: %v %v", err, errs)
		}
		if err := r.Commit(ctx, 0); err != nil {
			t.Fatal(err)
		}
		check("a merging restore")

		// The whole database again: into an empty one by a load (SQLite)
		// or upserts (PostgreSQL, or when the load is refused), then into
		// another by an exact restore; each must count as this one does,
		// and go on counting as it is written to.
		var all []news.Article
		if err := s.EachArticle(ctx, func(a news.Article) error { all = append(all, a); return nil }); err != nil {
			t.Fatal(err)
		}
		themes, err := s.Themes(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		want := publicCounts(t, s)

		loaded, _ := newStore(t, kind)
		for _, th := range themes {
			if _, err := loaded.Theme(ctx, th.Slug); err != nil {
				if _, err := loaded.CreateTheme(ctx, news.Theme{Slug: th.Slug, Name: "Renamed " + th.Slug}); err != nil {
					t.Fatal(err)
				}
			}
		}
		drafts := make([]news.Draft, len(all))
		for i, a := range all {
			drafts[i] = draftOf(a)
		}
		if l, err := loaded.BeginLoad(ctx); err != nil {
			t.Fatal(err)
		} else if l != nil {
			if _, err := l.Add(ctx, drafts); err != nil {
				t.Fatal(err)
			}
			if err := l.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		} else if _, err := loaded.UpsertArticles(ctx, drafts); err != nil {
			t.Fatal(err)
		}
		checkTagCounts(t, loaded, "an import into an empty database")
		if got := publicCounts(t, loaded); !maps.Equal(got, want) {
			t.Errorf("after an import into an empty database: counts %v, want those of the database it came from %v", got, want)
		}
		a := mustCreate(t, loaded, mk(60, []string{"KP"}, []string{"trade"}, published))
		patchOn(loaded, a.ID, news.Update{Countries: &[]string{"KP", "RU"}})
		if err := loaded.DeleteArticle(ctx, a.ID-1, 0); err != nil { // the last one loaded
			t.Fatal(err)
		}
		checkTagCounts(t, loaded, "writes after an import into an empty database")

		restored, _ := newStore(t, kind)
		r, err = restored.BeginRestore(ctx)
		if err != nil || !r.Exact() {
			t.Fatalf("a restore into an empty database: %v, exact %v", err, r != nil && r.Exact())
		}
		for _, th := range themes {
			if err := r.Theme(ctx, th); err != nil {
				t.Fatal(err)
			}
		}
		if _, errs, err := r.Articles(ctx, all, make([]news.FeedEntry, len(all))); err != nil || slices.ContainsFunc(errs, func(e error) bool { return e != nil }) {
			t.Fatalf("exact restore: %v %v", err, errs)
		}
		if err := r.Commit(ctx, 0); err != nil {
			t.Fatal(err)
		}
		checkTagCounts(t, restored, "an exact restore")
		if got := publicCounts(t, restored); !maps.Equal(got, want) {
			t.Errorf("after an exact restore: counts %v, want those of the database it came from %v", got, want)
		}
		patchOn(restored, all[1].ID, news.Update{Status: &drafted})
		checkTagCounts(t, restored, "a write after an exact restore")

		// Down to the schema before the counts, and up again: the
		// migration counts what the articles hold.
		p, err := s.provider()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 11); err != nil {
			t.Fatal(err)
		}
		if _, err := s.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		check("migrating down and up again")
		patch(ids[3], news.Update{Countries: &[]string{"KP"}})
		check("a write after migrating down and up again")
	})
}

func ptr[T any](v T) *T { return &v }

// publicCounts is what Countries and Themes say, as "country KP" and
// "theme trade" to their counts, leaving out zeros.
func publicCounts(t *testing.T, s *Store) map[string]int {
	t.Helper()
	ctx := context.Background()
	out := map[string]int{}
	countries, err := s.Countries(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range countries {
		if c.ArticleCount != 0 {
			out["country "+c.Code] = c.ArticleCount
		}
	}
	themes, err := s.Themes(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range themes {
		if th.ArticleCount != 0 {
			out["theme "+th.Slug] = th.ArticleCount
		}
	}
	return out
}

// checkTagCounts holds the counts that s answers with, after step, to
// two counts made from scratch: over the published articles' tag lists,
// and over the tag rows joined to their articles. It checks the used-only
// lists and the one-tag reads too, and on PostgreSQL that every change
// noted was folded into tag_counts at its commit.
func checkTagCounts(t *testing.T, s *Store, step string) {
	t.Helper()
	ctx := context.Background()
	fromLists := map[string]int{}
	if err := s.EachArticle(ctx, func(a news.Article) error {
		if a.Status != news.StatusPublished {
			return nil
		}
		for _, c := range a.Countries {
			fromLists["country "+c]++
		}
		for _, th := range a.Themes {
			fromLists["theme "+th]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Key   string
		Count int
	}
	err := s.w.Raw(`SELECT 'country ' || c.country AS key, count(*) AS count FROM article_countries c
		JOIN articles a ON a.id = c.article_id WHERE a.status = 'published' GROUP BY c.country
		UNION ALL
		SELECT 'theme ' || t.theme, count(*) FROM article_themes t
		JOIN articles a ON a.id = t.article_id WHERE a.status = 'published' GROUP BY t.theme`).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	fromRows := map[string]int{}
	for _, r := range rows {
		fromRows[r.Key] = r.Count
	}
	if !maps.Equal(fromLists, fromRows) {
		t.Fatalf("%s: the articles' lists count %v, their tag rows %v", step, fromLists, fromRows)
	}
	got := publicCounts(t, s)
	if !maps.Equal(got, fromLists) {
		t.Errorf("%s: Countries and Themes count\n%v\nthe articles\n%v", step, got, fromLists)
	}

	used := map[string]bool{}
	countries, err := s.Countries(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range countries {
		used["country "+c.Code] = true
		one, err := s.Country(ctx, c.Code)
		if err != nil || one.ArticleCount != fromLists["country "+c.Code] {
			t.Errorf("%s: Country(%s) counts %d (%v), want %d", step, c.Code, one.ArticleCount, err, fromLists["country "+c.Code])
		}
	}
	themes, err := s.Themes(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range themes {
		used["theme "+th.Slug] = true
		one, err := s.Theme(ctx, th.Slug)
		if err != nil || one.ArticleCount != fromLists["theme "+th.Slug] {
			t.Errorf("%s: Theme(%s) counts %d (%v), want %d", step, th.Slug, one.ArticleCount, err, fromLists["theme "+th.Slug])
		}
	}
	if want := slices.Sorted(maps.Keys(fromLists)); !slices.Equal(slices.Sorted(maps.Keys(used)), want) {
		t.Errorf("%s: the used-only lists hold %v, want %v", step, slices.Sorted(maps.Keys(used)), want)
	}
	for _, code := range []string{"AQ", "ZW"} { // never tagged
		if c, err := s.Country(ctx, code); err != nil || c.ArticleCount != 0 {
			t.Errorf("%s: Country(%s) counts %d (%v), want 0", step, code, c.ArticleCount, err)
		}
	}

	if s.dialect.postgres {
		var pending int
		if err := s.w.Raw(`SELECT count(*) FROM tag_count_changes`).Scan(&pending).Error; err != nil || pending != 0 {
			t.Errorf("%s: %d changes not folded into tag_counts (%v)", step, pending, err)
		}
	}
}

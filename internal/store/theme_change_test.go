package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
)

// TestThemeRenameChangesItsArticles renames a theme that published
// articles and a draft carry: each of them, and only they, get a new
// version, updated_at and one change-feed entry after the cursor taken
// before; lists, counts, pairs and facets follow the new slug, and the
// old one is unknown.
func TestThemeRenameChangesItsArticles(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, clk := newStore(t, kind)
		ctx := context.Background()
		if _, err := s.CreateTheme(ctx, news.Theme{Slug: "energy", Name: "Energy"}); err != nil {
			t.Fatal(err)
		}
		// "energy" sorts before "nuclear", "power" after: the text lists
		// must be sorted again, not only rewritten in place.
		one := mustCreate(t, s, draft(t, s, "oil for coal", t0, []string{"KP", "RU"}, []string{"energy", "nuclear", "trade"}))
		two := mustCreate(t, s, draft(t, s, "a power plant", t0.Add(time.Hour), []string{"RU"}, []string{"energy"}))
		d := draft(t, s, "a draft about fuel", t0.Add(2*time.Hour), []string{"CN"}, []string{"energy", "aid"})
		d.Status = news.StatusDraft
		three := mustCreate(t, s, d)
		other := mustCreate(t, s, draft(t, s, "other news", t0.Add(3*time.Hour), []string{"RU"}, []string{"nuclear", "trade"}))

		before, err := s.LastChange(ctx)
		if err != nil {
			t.Fatal(err)
		}
		clk.t = clk.t.Add(time.Minute)
		// The name goes too: a theme answers to its name as well as its slug.
		power, powerName := "power", "Power"
		if _, err := s.UpdateTheme(ctx, "energy", news.ThemeUpdate{Slug: &power, Name: &powerName}); err != nil {
			t.Fatal(err)
		}
		checkPairs(t, s, "rename")
		if kind == "sqlite" {
			var stale int64
			if err := s.w.Raw(`SELECT count(*) FROM article_tagsets WHERE `+s.dialect.hasTag("themes"), ",energy,").Scan(&stale).Error; err != nil || stale != 0 {
				t.Errorf("%d tag-set counts of the old slug are left (%v)", stale, err)
			}
		}

		want := map[int64][]string{
			one.ID:   {"nuclear", "power", "trade"},
			two.ID:   {"power"},
			three.ID: {"aid", "power"},
		}
		for _, a := range []news.Article{one, two, three, other} {
			got, err := s.Article(ctx, a.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			themes, affected := want[a.ID]
			if !affected {
				if got.Version != a.Version || !got.UpdatedAt.Equal(a.UpdatedAt) {
					t.Errorf("article %d carries no renamed theme, yet went from version %d (%v) to %d (%v)",
						a.ID, a.Version, a.UpdatedAt, got.Version, got.UpdatedAt)
				}
				continue
			}
			if got.Version != a.Version+1 {
				t.Errorf("article %d: version %d after the rename, want %d", a.ID, got.Version, a.Version+1)
			}
			if !got.UpdatedAt.Equal(clk.t) {
				t.Errorf("article %d: updated_at %v after the rename, want %v", a.ID, got.UpdatedAt, clk.t)
			}
			if !slices.Equal(got.Themes, themes) {
				t.Errorf("article %d: themes %v, want %v", a.ID, got.Themes, themes)
			}
		}

		// The change feed after the cursor holds each renamed article once,
		// drafts too for editors, with its new version, numbered in
		// order up to the counter.
		changes, err := s.Changes(ctx, before, 100, true)
		if err != nil {
			t.Fatal(err)
		}
		last, err := s.LastChange(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		prev := before
		for _, c := range changes {
			ids = append(ids, c.ID)
			if c.Seq <= prev || c.Seq > last {
				t.Errorf("change of article %d has seq %d: want above %d and at most %d", c.ID, c.Seq, prev, last)
			}
			prev = c.Seq
			if c.Deleted || c.Article == nil || c.Article.Version != 2 {
				t.Errorf("change %+v: want an upsert of version 2", c)
			}
			if !c.At.Equal(clk.t) {
				t.Errorf("change of article %d at %v, want %v", c.ID, c.At, clk.t)
			}
		}
		if diff := cmp.Diff([]int64{one.ID, two.ID, three.ID}, ids); diff != "" {
			t.Errorf("change feed after the rename (-want +got):\n%s", diff)
		}

		// The next write is numbered after the rename's entries.
		clk.t = clk.t.Add(time.Minute)
		title := "other news, edited"
		if _, err := s.UpdateArticle(ctx, other.ID, news.Update{Title: &title}, 0); err != nil {
			t.Fatal(err)
		}
		changes, err = s.Changes(ctx, last, 100, true)
		if err != nil || len(changes) != 1 || changes[0].ID != other.ID {
			t.Errorf("changes after the rename: %+v, %v; want the edit of article %d alone", changes, err, other.ID)
		}

		// Lists, pairs, counts and facets know the new slug, not the old.
		list := func(f news.Filter) []int64 {
			t.Helper()
			f.Sort, f.Limit = news.SortNewest, 50
			page, err := s.ListArticles(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, a := range page.Articles {
				ids = append(ids, a.ID)
			}
			return ids
		}
		for name, c := range map[string]struct {
			f    news.Filter
			want []int64
		}{
			"theme":             {news.Filter{Themes: []string{"power"}}, []int64{two.ID, one.ID}},
			"theme with drafts": {news.Filter{Themes: []string{"power"}, WithDrafts: true}, []int64{three.ID, two.ID, one.ID}},
			"country and theme": {news.Filter{Countries: []string{"KP"}, Themes: []string{"power"}}, []int64{one.ID}},
			"pair of another theme": {news.Filter{Countries: []string{"RU"}, Themes: []string{"nuclear"}},
				[]int64{other.ID, one.ID}},
			"all of":  {news.Filter{ThemesAll: []string{"power", "trade"}}, []int64{one.ID}},
			"none of": {news.Filter{ThemesNot: []string{"power"}}, []int64{other.ID}},
		} {
			if diff := cmp.Diff(c.want, list(c.f)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", name, diff)
			}
		}
		page, err := s.ListArticles(ctx, news.Filter{Countries: []string{"RU"}, Themes: []string{"nuclear"}, Sort: news.SortNewest,
			Limit: 10, IncludeTotal: true, Facets: []string{"theme"}})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total == nil || *page.Total != 2 {
			t.Errorf("total of RU and nuclear: %v, want 2", page.Total)
		}
		if got := fmt.Sprint(page.Facets["theme"]); !strings.Contains(got, "{power 1}") || strings.Contains(got, "energy") {
			t.Errorf("theme facets of RU and nuclear: %s, want power 1 and no energy", got)
		}
		themes, err := s.Themes(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, th := range themes {
			counts[th.Slug] = th.ArticleCount
		}
		if counts["power"] != 2 || counts["energy"] != 0 {
			t.Errorf("published counts: power %d (want 2), energy %d (want none)", counts["power"], counts["energy"])
		}
		if _, ok := s.Vocabulary().Theme("energy"); ok {
			t.Error("the old slug still resolves")
		}
	})
}

// TestThemeChangeWithoutArticles: a rename of a theme no article carries,
// and an edit that keeps the slug, change no article's version and add
// nothing to the change feed; the counter still moves, so caches keyed
// by it notice.
func TestThemeChangeWithoutArticles(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		a := mustCreate(t, s, draft(t, s, "troops move", t0, []string{"RU"}, []string{"troops"}))
		if _, err := s.CreateTheme(ctx, news.Theme{Slug: "energy", Name: "Energy"}); err != nil {
			t.Fatal(err)
		}
		before, _ := s.LastChange(ctx)
		power, name := "power", "Military"
		if _, err := s.UpdateTheme(ctx, "energy", news.ThemeUpdate{Slug: &power}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateTheme(ctx, "troops", news.ThemeUpdate{Name: &name}); err != nil {
			t.Fatal(err)
		}
		after, _ := s.LastChange(ctx)
		if after <= before {
			t.Errorf("the change counter stayed at %d after two theme edits", after)
		}
		if changes, err := s.Changes(ctx, before, 100, true); err != nil || len(changes) != 0 {
			t.Errorf("change feed after edits that change no article: %+v, %v", changes, err)
		}
		if got, _ := s.Article(ctx, a.ID, true); got.Version != a.Version {
			t.Errorf("version %d after a rename of another theme, want %d", got.Version, a.Version)
		}
	})
}

// TestThemeDeleteChangesNoArticle: a theme that articles carry, drafts
// included, cannot be deleted (409), so a delete never changes an
// article, and the refusal changes nothing; an unused theme goes
// without a change to any article or to the feed.
func TestThemeDeleteChangesNoArticle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		for _, slug := range []string{"energy", "unused"} {
			if _, err := s.CreateTheme(ctx, news.Theme{Slug: slug, Name: slug}); err != nil {
				t.Fatal(err)
			}
		}
		d := draft(t, s, "a draft about fuel", t0, []string{"CN"}, []string{"energy"})
		d.Status = news.StatusDraft
		a := mustCreate(t, s, d)
		before, _ := s.LastChange(ctx)
		if err := s.DeleteTheme(ctx, "energy"); news.ErrorCode(err) != news.EConflict {
			t.Errorf("deleting a theme a draft carries: %v, want a conflict", err)
		}
		if err := s.DeleteTheme(ctx, "unused"); err != nil {
			t.Fatal(err)
		}
		if changes, err := s.Changes(ctx, before, 100, true); err != nil || len(changes) != 0 {
			t.Errorf("change feed after theme deletes: %+v, %v", changes, err)
		}
		got, err := s.Article(ctx, a.ID, true)
		if err != nil || got.Version != a.Version || !slices.Equal(got.Themes, []string{"energy"}) {
			t.Errorf("after the refused delete: %+v, %v", got, err)
		}
		if _, err := s.Theme(ctx, "unused"); news.ErrorCode(err) != news.ENotFound {
			t.Errorf("the deleted theme: %v, want not found", err)
		}
		checkPairs(t, s, "theme deletes")
	})
}

// TestThemeRenamePlans: at a million articles a rename must reach its
// articles, tag rows and change entries through keys, from the theme's
// range of article_themes; the pairs, more than a million of them for a
// common theme, in one pass over their table and no lookup per pair.
func TestThemeRenamePlans(t *testing.T) {
	s, _ := newStore(t, "sqlite")
	for name, c := range map[string]struct {
		q    string
		args []any
		want []string
	}{
		"articles": {s.dialect.sqlRenameArticles(), []any{"trade", "commerce", 1, "commerce"},
			[]string{"SEARCH articles USING INTEGER PRIMARY KEY", "SEARCH article_themes USING PRIMARY KEY (theme=?)"}},
		"tag rows": {sqlRenameTagRows, []any{"commerce", "trade"},
			[]string{"SEARCH article_themes USING PRIMARY KEY (theme=?)"}},
		"old changes": {`DELETE FROM changes WHERE article_id IN (SELECT id FROM (` + taggedWith + `) x)`, []any{"commerce"},
			[]string{"SEARCH changes USING COVERING INDEX", "SEARCH article_themes USING PRIMARY KEY (theme=?)"}},
		"pairs": {s.dialect.sqlRenamePairs(), []any{"trade", "commerce", "trade", "commerce", ",trade,"},
			[]string{"SCAN article_pairs"}},
	} {
		plan := explain(t, s, c.q, c.args)
		t.Logf("%s\n%s", name, plan)
		for _, w := range c.want {
			if !strings.Contains(plan, w) {
				t.Errorf("%s: the plan lacks %q", name, w)
			}
		}
		if strings.Count(plan, "SCAN article") > strings.Count(strings.Join(c.want, "\n"), "SCAN article") || strings.Contains(plan, "SCAN changes") {
			t.Errorf("%s scans more than it should", name)
		}
		if name == "pairs" && strings.Contains(plan, "SEARCH") {
			t.Errorf("pairs: the pass over the pairs looks something up for each")
		}
	}
}

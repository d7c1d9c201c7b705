package transfer_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/store/storetest"
	"github.com/headlines/headlines/internal/transfer"
)

// openStore opens and migrates a new, empty database of kind.
func openStore(t *testing.T, kind string) *store.Store {
	t.Helper()
	st, err := store.Open(storetest.DSN(t, kind), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// create stores a draft as an editor would.
func create(t *testing.T, st *store.Store, d news.Draft) news.Article {
	t.Helper()
	ctx := context.Background()
	if err := d.Normalize(st.Vocabulary()); err != nil {
		t.Fatal(err)
	}
	a, err := st.CreateArticle(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// fillSource makes a database with what a move must carry: a custom theme
// with keywords, a renamed and a deleted theme, edited theme and country
// keywords, drafts, automatic and editor tags, several versions, deleted
// articles and an article without a url.
func fillSource(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.CreateTheme(ctx, news.Theme{Slug: "border-trade", Name: "Border trade", Description: "Trade across the Yalu",
		Aliases: []string{"cross-border trade"}, Keywords: []string{"Yalu", "border crossing", "smuggl*"}}); err != nil {
		t.Fatal(err)
	}
	kw := []string{"aid", "humanitarian", "food parcel"}
	if _, err := st.UpdateTheme(ctx, "aid", news.ThemeUpdate{Keywords: &kw}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteTheme(ctx, "cyber"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(ctx, `UPDATE countries SET keywords = '["Pyongyang", "Kim Jong Un", "Juche"]', aliases = '["DPRK", "N. Korea"]' WHERE code = 'KP'`); err != nil {
		t.Fatal(err)
	}
	pub := time.Date(2025, 6, 1, 9, 30, 0, 123456000, time.UTC)
	var ids []int64
	for i := range 12 {
		d := news.Draft{Title: fmt.Sprintf("Pyongyang trucks cross the Yalu, day %d", i), Summary: "Border crossing busy",
			URL: fmt.Sprintf("https://example.com/yalu/%d", i), Source: "NK News", Section: "foreign-relations",
			PublishedAt: pub.Add(time.Duration(i) * time.Hour), AutoCountries: i%2 == 0, AutoThemes: i%3 == 0}
		if !d.AutoCountries {
			d.Countries = []string{"KP", "CN"}
		}
		if !d.AutoThemes {
			d.Themes = []string{"border-trade", "labor"}
		}
		switch i {
		case 3:
			d.Status = news.StatusDraft
		case 4:
			d.URL, d.Author, d.ImageURL, d.Body = "", "A. Writer", "https://example.com/i.jpg", "Full text.\nSecond line."
		}
		ids = append(ids, create(t, st, d).ID)
	}
	// Versions: a patch, a replace, a theme rename that bumps every article carrying it.
	title := "Pyongyang trucks cross the Yalu as customs reopen"
	if _, err := st.UpdateArticle(ctx, ids[1], news.Update{Title: &title}, 0); err != nil {
		t.Fatal(err)
	}
	draft := news.StatusDraft
	if _, err := st.UpdateArticle(ctx, ids[5], news.Update{Status: &draft}, 0); err != nil {
		t.Fatal(err)
	}
	workers := "workers"
	if _, err := st.UpdateTheme(ctx, "labor", news.ThemeUpdate{Slug: &workers}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{ids[7], ids[11]} { // the highest id is deleted: a tombstone holds it
		if err := st.DeleteArticle(ctx, id, 0); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot is everything the test compares between databases.
type snapshot struct {
	Themes    []news.Theme
	Countries []news.Country
	Articles  []news.Article
	Changes   []news.Change
	LastSeq   int64
	Lists     map[string][]int64
	Export    string
}

func snap(t *testing.T, st *store.Store) snapshot {
	t.Helper()
	ctx := news.WithFreshReads(context.Background())
	var s snapshot
	var err error
	if s.Themes, err = st.Themes(ctx, false); err != nil {
		t.Fatal(err)
	}
	if s.Countries, err = st.Countries(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := st.EachArticle(ctx, func(a news.Article) error { s.Articles = append(s.Articles, a); return nil }); err != nil {
		t.Fatal(err)
	}
	if s.Changes, err = st.Changes(ctx, 0, news.MaxChanges, true); err != nil {
		t.Fatal(err)
	}
	if s.LastSeq, err = st.LastChange(ctx); err != nil {
		t.Fatal(err)
	}
	s.Lists = map[string][]int64{}
	for name, f := range map[string]news.Filter{
		"KP":                  {Countries: []string{"KP"}},
		"KP+border-trade":     {Countries: []string{"KP"}, Themes: []string{"border-trade"}},
		"workers, drafts too": {Themes: []string{"workers"}, WithDrafts: true},
		"search customs":      {Query: []string{"customs"}, WithDrafts: true},
	} {
		f.Sort, f.Limit, f.IncludeTotal = news.SortNewest, 100, true
		page, err := st.ListArticles(ctx, f)
		if err != nil {
			t.Fatal(name, err)
		}
		for _, a := range page.Articles {
			s.Lists[name] = append(s.Lists[name], a.ID)
		}
		s.Lists[name] = append(s.Lists[name], int64(*page.Total))
	}
	var out bytes.Buffer
	if _, err := transfer.Export(ctx, &out, st, nil); err != nil {
		t.Fatal(err)
	}
	s.Export = out.String()
	return s
}

// move exports from and imports into to, which is empty.
func move(t *testing.T, from, to *store.Store) {
	t.Helper()
	ctx := context.Background()
	var out bytes.Buffer
	if _, err := transfer.Export(ctx, &out, from, nil); err != nil {
		t.Fatal(err)
	}
	res, err := transfer.Import(ctx, &out, to, nil)
	if err != nil || res.Failed > 0 || !res.Export || !res.Exact {
		t.Fatalf("import of the export: %+v, %v", res, err)
	}
}

func compare(t *testing.T, what string, want, got snapshot) {
	t.Helper()
	v1, v2 := reflect.ValueOf(want), reflect.ValueOf(got)
	for i := range v1.NumField() {
		name := v1.Type().Field(i).Name
		if !reflect.DeepEqual(v1.Field(i).Interface(), v2.Field(i).Interface()) {
			t.Errorf("%s: %s differ:\nwant %+v\n got %+v", what, name, v1.Field(i).Interface(), v2.Field(i).Interface())
		}
	}
}

// TestMoveSQLitePostgresSQLite moves a database SQLite → PostgreSQL →
// SQLite through export and import, and finds everything as it was: the
// vocabulary with its keywords, every article field (id, version, status,
// times, tag sources), the tombstones and the change feed, lists by tag
// and search, and the export itself, byte for byte. A create after each
// move gets an id above every id the source handed out, deleted ones
// included.
func TestMoveSQLitePostgresSQLite(t *testing.T) {
	src := openStore(t, "sqlite")
	fillSource(t, src)
	want := snap(t, src)
	if !strings.Contains(want.Export, `"slug":"border-trade"`) || !strings.Contains(want.Export, `"tombstone":`) {
		t.Fatalf("the export lacks the custom theme or the tombstones:\n%s", want.Export)
	}
	pg := openStore(t, "postgres")
	move(t, src, pg)
	compare(t, "SQLite → PostgreSQL", want, snap(t, pg))
	back := openStore(t, "sqlite")
	move(t, pg, back)
	compare(t, "SQLite → PostgreSQL → SQLite", want, snap(t, back))

	top := want.Articles[len(want.Articles)-1].ID + 1 // the tombstone's id: the highest handed out
	for name, st := range map[string]*store.Store{"postgres": pg, "sqlite": back} {
		a := create(t, st, news.Draft{Title: "A create after the move", URL: "https://example.com/after"})
		if a.ID <= top {
			t.Errorf("%s: a create after the move got id %d, not above %d", name, a.ID, top)
		}
		changes, err := st.Changes(context.Background(), want.LastSeq, 10, true)
		if err != nil || len(changes) != 1 || changes[0].ID != a.ID {
			t.Errorf("%s: the change feed after %d: %+v, %v", name, want.LastSeq, changes, err)
		}
	}
}

// TestMoveSQLiteToSQLite is the move on SQLite alone, which runs without
// PostgreSQL.
func TestMoveSQLiteToSQLite(t *testing.T) {
	src := openStore(t, "sqlite")
	fillSource(t, src)
	want := snap(t, src)
	dst := openStore(t, "sqlite")
	move(t, src, dst)
	compare(t, "SQLite → SQLite", want, snap(t, dst))
}

package store

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/wire"
)

// fillAllListJSON fills every article's list JSON, as KeepListJSON does.
func fillAllListJSON(tb testing.TB, s *Store) {
	tb.Helper()
	for {
		n, err := s.FillListJSON(context.Background(), 3) // small batches: several rounds
		if err != nil {
			tb.Fatal(err)
		}
		if n < 3 {
			return
		}
	}
}

// checkListJSON holds every stored list JSON to the JSON of the article as
// it is, and returns how many articles have one.
func checkListJSON(tb testing.TB, s *Store, when string) int {
	tb.Helper()
	ctx := context.Background()
	var rows []struct {
		ID       int64
		ListJSON *string
	}
	if err := s.w.WithContext(ctx).Raw(`SELECT id, list_json FROM articles ORDER BY id`).Scan(&rows).Error; err != nil {
		tb.Fatal(err)
	}
	kept := 0
	for _, r := range rows {
		if r.ListJSON == nil {
			continue
		}
		kept++
		a, err := s.Article(ctx, r.ID, true)
		if err != nil {
			tb.Fatal(err)
		}
		var want bytes.Buffer
		wire.NewWriter(&want).Article(&a, wire.ListFields)
		if *r.ListJSON != want.String() {
			tb.Errorf("%s: article %d keeps\n%s\nbut is\n%s", when, r.ID, *r.ListJSON, want.String())
		}
	}
	return kept
}

// listBody is the JSON of the articles of the page of f, written as the
// API writes a list: each article's kept JSON, or the article written.
func listBody(tb testing.TB, s *Store, f news.Filter, kept bool) (string, *news.Cursor) {
	tb.Helper()
	f.ListJSON = kept
	page, err := s.ListArticles(context.Background(), f)
	if err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	w := wire.NewWriter(&b)
	for i := range page.Articles {
		a := &page.Articles[i]
		if a.ListJSON != "" {
			if !kept {
				tb.Fatalf("article %d came as kept JSON to a list that did not ask", a.ID)
			}
			b.WriteString(a.ListJSON)
		} else {
			w.Article(a, wire.ListFields)
		}
		b.WriteByte('\n')
	}
	return b.String(), page.Next
}

// TestListJSONIsTheArticle writes articles, fills their list JSON, and
// changes them every way a writer can: each kept JSON is the article's
// own at every step (a change clears it until it is written again), and
// every list reads the same with the kept JSON as without, whether all,
// some or none of its articles have theirs.
func TestListJSONIsTheArticle(t *testing.T) {
	t.Parallel()
	s, clk := newStore(t, "sqlite")
	ctx := context.Background()
	if _, err := s.CreateTheme(ctx, news.Theme{Slug: "energy", Name: "Energy"}); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i, title := range []string{
		`Kim & Putin <script>alert("x")</script> meet`, "Line\u2028separator and \\ backslash",
		"Plain headline about sanctions", "北朝鮮 and Russia — “quoted”", "Energy deal", "Troops on the border",
	} {
		d := draft(t, s, title, t0.Add(time.Duration(i)*time.Hour), []string{"KP", "RU"}, []string{"sanctions", "energy"})
		switch i {
		case 1:
			d.URL, d.Author, d.ImageURL = "https://news.example/1", "A. Writer", "https://img.example/1.jpg"
		case 3:
			d.Status = news.StatusDraft
		case 5:
			d.Themes = []string{"troops"}
		}
		ids = append(ids, mustCreate(t, s, d).ID)
	}
	filters := []news.Filter{
		{Sort: news.SortNewest, Limit: 2},
		{Countries: []string{"RU"}, Themes: []string{"energy"}, Sort: news.SortNewest, Limit: 3},
		{Countries: []string{"KP"}, Sort: news.SortOldest, Limit: 20, WithDrafts: true},
		{Themes: []string{"troops"}, Sort: news.SortNewest, Limit: 20},
		{Query: []string{"headline"}, Sort: news.SortNewest, Limit: 20},
		{Countries: []string{"RU"}, Themes: []string{"sanctions"}, Query: []string{"headline"}, Sort: news.SortNewest, Limit: 20},
	}
	same := func(when string) {
		t.Helper()
		for _, f := range filters {
			for {
				want, wantNext := listBody(t, s, f, false)
				got, next := listBody(t, s, f, true)
				if got != want {
					t.Errorf("%s: %+v with kept JSON:\n%s\nwithout:\n%s", when, f, got, want)
				}
				if (next == nil) != (wantNext == nil) || next != nil && *next != *wantNext {
					t.Errorf("%s: %+v: next %+v with kept JSON, %+v without", when, f, next, wantNext)
				}
				if next == nil {
					break
				}
				f.After = next
			}
		}
	}
	// A create writes the article's list JSON with it.
	if n := checkListJSON(t, s, "created"); n != len(ids) {
		t.Fatalf("%d of %d articles have their list JSON once created", n, len(ids))
	}
	same("created")
	// As a database migrated to the column has them: none.
	if err := s.w.Exec(`UPDATE articles SET list_json = NULL`).Error; err != nil {
		t.Fatal(err)
	}
	same("before any is filled")
	if _, err := s.FillListJSON(ctx, 2); err != nil {
		t.Fatal(err)
	}
	same("with two filled")
	fillAllListJSON(t, s)
	if n := checkListJSON(t, s, "filled"); n != len(ids) {
		t.Fatalf("%d of %d articles have their list JSON after filling", n, len(ids))
	}
	same("all filled")
	// Inside a transaction the rows come through database/sql instead.
	for _, f := range filters {
		f.ListJSON = true
		q := buildList(s.dialect, f)
		sql, args := q.pageSQL(s.dialect, f)
		pooled, err := readListJSONPage(s.read(ctx), sql, args, f.Limit, unfilled(t))
		if err != nil {
			t.Fatal(err)
		}
		var inTx news.Page
		if err := s.r.Transaction(func(tx *gorm.DB) error {
			inTx, err = readListJSONPage(tx, sql, args, f.Limit, unfilled(t))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(pooled, inTx) || len(pooled.Articles) == 0 {
			t.Errorf("%+v: %d articles from the pool, %d in a transaction, or not the same", f, len(pooled.Articles), len(inTx.Articles))
		}
		if len(f.Query) == 0 {
			continue
		}
		sql, args = buildSearch(s.dialect, f).walkSQL(s.dialect, f)
		pooled, err = readWalk(s.read(ctx), s.dialect, sql, args, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.r.Transaction(func(tx *gorm.DB) error {
			inTx, err = readWalk(tx, s.dialect, sql, args, f)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(pooled, inTx) || len(pooled.Articles) == 0 || pooled.Articles[0].ListJSON == "" {
			t.Errorf("%+v: a walk read %d articles from the pool, %d in a transaction, or not the same, or not as JSON", f, len(pooled.Articles), len(inTx.Articles))
		}
	}

	clk.t = clk.t.Add(time.Minute)
	title := "A new title"
	published := news.StatusPublished
	changes := []struct {
		name string
		do   func() error
	}{
		{"a replace", func() error {
			d := draft(t, s, "Replaced <b>headline</b>", t0.Add(30*time.Minute), []string{"CN"}, []string{"trade"})
			_, err := s.ReplaceArticle(ctx, ids[0], d, 0)
			return err
		}},
		{"a patch", func() error { _, err := s.UpdateArticle(ctx, ids[2], news.Update{Title: &title}, 0); return err }},
		{"a draft published", func() error {
			_, err := s.UpdateArticle(ctx, ids[3], news.Update{Status: &published}, 0)
			return err
		}},
		{"a theme renamed", func() error {
			slug := "power"
			_, err := s.UpdateTheme(ctx, "energy", news.ThemeUpdate{Slug: &slug})
			return err
		}},
		{"a delete", func() error { return s.DeleteArticle(ctx, ids[4], 0) }},
		{"an upsert by url", func() error {
			d := draft(t, s, "Upserted over the same url", t0, []string{"US"}, []string{"sanctions"})
			d.URL = "https://news.example/1"
			_, _, err := s.UpsertArticle(ctx, d)
			return err
		}},
	}
	filters = append(filters, news.Filter{Themes: []string{"power"}, Sort: news.SortNewest, Limit: 20})
	for _, c := range changes {
		if err := c.do(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		kept := checkListJSON(t, s, "after "+c.name)
		same("after " + c.name)
		if strings.Contains(c.name, "delete") {
			continue
		}
		if kept == len(ids) {
			t.Errorf("after %s, every article still has its list JSON: none was cleared", c.name)
		}
		fillAllListJSON(t, s)
		checkListJSON(t, s, "after "+c.name+", filled again")
		same("after " + c.name + ", filled again")
	}
}

// unfilled is a page's full read where every article should have its
// list JSON.
func unfilled(t *testing.T) func() (news.Page, error) {
	return func() (news.Page, error) {
		t.Error("a page whose articles all have their list JSON was read again by columns")
		return news.Page{}, nil
	}
}

// TestListJSONFormat pins the JSON a list writes of an article. The
// articles of a database keep theirs (list_json): when this JSON changes,
// a migration must clear what they keep (UPDATE articles SET list_json =
// NULL), or lists would show the old form until each article changes.
func TestListJSONFormat(t *testing.T) {
	a := news.Article{
		ID: 7, Title: `Kim & "Putin" <b>`, Summary: "s\u2028", URL: "https://news.example/7", Source: "AP",
		Section: "foreign-relations", Language: "en", Countries: []string{"KP", "RU"}, Themes: []string{"trade"},
		Status: news.StatusPublished, PublishedAt: time.Date(2025, 6, 30, 23, 17, 16, 0, time.UTC),
		CreatedAt: time.Date(2026, 12, 8, 2, 12, 37, 574740000, time.UTC), UpdatedAt: time.Date(2026, 12, 8, 2, 12, 37, 574740000, time.UTC),
		Version: 2, AutoThemes: true, Body: "left out",
	}
	var b bytes.Buffer
	wire.NewWriter(&b).Article(&a, wire.ListFields)
	const want = `{"id":7,"title":"Kim \u0026 \"Putin\" \u003cb\u003e","summary":"s\u2028","url":"https://news.example/7",` +
		`"image_url":null,"source":"AP","section":"foreign-relations","author":null,"language":"en","countries":["KP","RU"],` +
		`"themes":["trade"],"status":"published","published_at":"2025-06-30T23:17:16Z","created_at":"2026-12-08T02:12:37.57474Z",` +
		`"updated_at":"2026-12-08T02:12:37.57474Z","version":2}`
	if b.String() != want {
		t.Errorf("a list's JSON of an article changed; add a migration that clears articles.list_json, then update this test.\n got %s\nwant %s", b.String(), want)
	}
}

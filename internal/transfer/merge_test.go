package transfer_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/store/storetest"
	"github.com/headlines/headlines/internal/transfer"
)

func export(t *testing.T, st *store.Store) string {
	t.Helper()
	var out bytes.Buffer
	if _, err := transfer.Export(context.Background(), &out, st, nil); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func retitle(t *testing.T, st *store.Store, id int64, title string) {
	t.Helper()
	if _, err := st.UpdateArticle(context.Background(), id, news.Update{Title: &title}, 0); err != nil {
		t.Fatal(err)
	}
}

// TestExportIntoNonEmptyMerges: an export imported into a database that
// holds articles merges by id and never renumbers. The same article (same
// id and url) takes the export's fields with a new version; a free id is
// created as it was; an id that is another article here, or a url that
// another id has, or a tombstone for a live article is refused, by line
// and field; a tombstone already here changes nothing. Importing the same
// export again changes nothing more.
func TestExportIntoNonEmptyMerges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		ctx := news.WithFreshReads(context.Background())
		a, b := openStore(t, "sqlite"), openStore(t, kind)
		for _, u := range []string{"1", "2", "3"} {
			create(t, a, news.Draft{Title: "Story " + u, URL: "https://example.com/" + u, Countries: []string{"KP"}})
		}
		if err := a.DeleteArticle(ctx, 3, 0); err != nil {
			t.Fatal(err)
		}
		if res, err := transfer.Import(ctx, strings.NewReader(export(t, a)), b, nil); err != nil || !res.Exact {
			t.Fatalf("the first move: %+v, %v", res, err)
		}
		// Both go on: b edits article 1 and creates 4 and 5; a edits 2,
		// creates and deletes 4, and creates 5, 6 and 7.
		retitle(t, b, 1, "Story 1, edited in b")
		create(t, b, news.Draft{Title: "Story 4 of b", URL: "https://example.com/4"})
		create(t, b, news.Draft{Title: "Story 5 of b", URL: "https://example.com/5b"})
		retitle(t, a, 2, "Story 2, edited in a")
		create(t, a, news.Draft{Title: "Story 4 of a", URL: "https://example.com/4a"})
		if err := a.DeleteArticle(ctx, 4, 0); err != nil {
			t.Fatal(err)
		}
		create(t, a, news.Draft{Title: "Story 5 of a", URL: "https://example.com/5"})
		create(t, a, news.Draft{Title: "Story 6 of a", URL: "https://example.com/4"})
		seven := create(t, a, news.Draft{Title: "Story 7 of a", URL: "https://example.com/7"})
		// And a's vocabulary changes: a new theme, and KP's keywords.
		if _, err := a.CreateTheme(ctx, news.Theme{Slug: "border-trade", Name: "Border trade"}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.DB().ExecContext(ctx, `UPDATE countries SET keywords = '["Juche"]' WHERE code = 'KP'`); err != nil {
			t.Fatal(err)
		}
		exp := export(t, a)
		before, _ := b.LastChange(ctx)

		res, err := transfer.Import(ctx, strings.NewReader(exp), b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Exact || res.Created != 1 || res.Updated != 2 || res.Unchanged != 0 || res.Failed != 3 || res.Tombstones != 1 {
			t.Errorf("merge: %+v; want 1 created, 2 updated, 3 failed, 1 tombstone", res)
		}
		lines := strings.Split(exp, "\n")
		var got []string
		for _, e := range res.Errors {
			got = append(got, strings.SplitN(lines[e.Line-1], ",", 2)[0]+" → "+e.Err.Error())
		}
		for i, want := range []string{
			`{"article":{"id":5 → conflict: id: article 5 here is another article (url "https://example.com/5b")`,
			`{"article":{"id":6 → conflict: url: another article (id 4) already has this url`,
			`{"tombstone":{"id":4 → conflict: id: article 4 is stored here; the export records it deleted`,
		} {
			if i >= len(got) || !strings.HasPrefix(got[i], want) {
				t.Errorf("refusal %d: %q, want %q…", i, got, want)
			}
		}
		if th, err := b.Theme(ctx, "border-trade"); err != nil || th.Name != "Border trade" {
			t.Errorf("the new theme in b: %+v, %v", th, err)
		}
		if kp, err := b.Country(ctx, "KP"); err != nil || len(kp.Keywords) != 1 || kp.Keywords[0] != "Juche" {
			t.Errorf("KP's keywords in b: %v, %v", kp.Keywords, err)
		}
		one, _ := b.Article(ctx, 1, true)
		if one.Title != "Story 1" || one.Version != 3 {
			t.Errorf("article 1 in b: %q version %d, want the export's title at version 3", one.Title, one.Version)
		}
		got7, err := b.Article(ctx, 7, true)
		if err != nil || got7.Title != seven.Title || got7.Version != 1 || !got7.CreatedAt.Equal(seven.CreatedAt) {
			t.Errorf("article 7 in b: %+v, %v", got7, err)
		}
		changes, _ := b.Changes(ctx, before, 10, true)
		var changed []int64
		for _, c := range changes {
			changed = append(changed, c.ID)
		}
		if len(changed) != 3 || changed[0] != 1 || changed[1] != 2 || changed[2] != 7 {
			t.Errorf("b's change feed after the merge: %v, want [1 2 7]", changed)
		}
		if res, err := transfer.Import(ctx, strings.NewReader(exp), b, nil); err != nil || res.Unchanged != 3 || res.Created+res.Updated != 0 || res.Tombstones != 1 {
			t.Errorf("the same export again: %+v, %v; want 3 unchanged", res, err)
		}
		if next := create(t, b, news.Draft{Title: "Story of b after the merge"}); next.ID != 8 {
			t.Errorf("a create after the merge got id %d, want 8", next.ID)
		}
	})
}

// TestExactRestoreIsAllOrNothing: into an empty database, an export with a
// refused line, or cut before its end line, stores nothing; the errors
// name the line and field.
func TestExactRestoreIsAllOrNothing(t *testing.T) {
	src := openStore(t, "sqlite")
	fillSource(t, src)
	exp := export(t, src)
	lines := strings.Split(strings.TrimSuffix(exp, "\n"), "\n")
	bad := strings.Join(lines, "\n")
	bad = strings.Replace(bad, `"title":"Pyongyang trucks cross the Yalu, day 2"`, `"title":""`, 1)
	bad = strings.Replace(bad, `"themes":["border-trade","workers"],"status":"published","published_at":"2025-06-01T19:30`,
		`"themes":["border-trade","gossip"],"status":"published","published_at":"2025-06-01T19:30`, 1)
	cut := strings.Join(lines[:len(lines)-1], "\n")
	for name, c := range map[string]struct {
		input string
		want  []string
	}{
		"refused lines": {bad, []string{"title: is required", `themes: unknown value "gossip"`}},
		"cut short":     {cut, nil},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dst := openStore(t, "sqlite")
			res, err := transfer.Import(ctx, strings.NewReader(c.input), dst, nil)
			if err == nil || res.Created != 0 {
				t.Fatalf("import: %+v, %v; want an error and nothing stored", res, err)
			}
			if len(res.Errors) != len(c.want) {
				t.Fatalf("errors %v, want %d", res.Errors, len(c.want))
			}
			for i, e := range res.Errors {
				if !strings.Contains(e.Err.Error(), c.want[i]) || !strings.HasPrefix(lines[e.Line-1], `{"article":`) {
					t.Errorf("error %d: line %d: %v, want %q", i, e.Line, e.Err, c.want[i])
				}
			}
			if empty, err := dst.Empty(ctx); err != nil || !empty {
				t.Errorf("after the refused restore the database holds articles: %v", err)
			}
			themes, _ := dst.Themes(ctx, false)
			for _, th := range themes {
				if th.Slug == "border-trade" {
					t.Error("the refused restore left its theme behind")
				}
			}
			if res, err := transfer.Import(ctx, strings.NewReader(exp), dst, nil); err != nil || !res.Exact || res.Created != 10 {
				t.Errorf("the whole export then: %+v, %v", res, err)
			}
		})
	}
}

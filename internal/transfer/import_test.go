package transfer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
	"github.com/headlines/headlines/internal/transfer"
)

// TestImportKeepsGoodLines: malformed, invalid and over-long lines are
// reported by number; the lines around them are stored.
func TestImportKeepsGoodLines(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "sqlite")
	input := strings.Join([]string{
		`{"title":"one","countries":["RU"]}`,
		`{"title":"` + strings.Repeat("x", transfer.MaxLineBytes+10) + `"}`,
		`{"title":"three","url":"https://example.com/3"}`,
		`not json`,
		`{"title":"five","themes":["gossip"]}`,
		`{"title":"three again","url":"https://example.com/3"}`,
		`{"title":"seven"}`,
	}, "\n")
	var calls int
	res, err := transfer.Import(ctx, strings.NewReader(input), st, func(transfer.Result) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 3 || res.Updated != 1 || res.Failed != 3 {
		t.Errorf("created %d, updated %d, failed %d; want 3, 1, 3", res.Created, res.Updated, res.Failed)
	}
	var lines []int
	for _, e := range res.Errors {
		lines = append(lines, e.Line)
	}
	if !slices.Equal(lines, []int{2, 4, 5}) {
		t.Errorf("errors on lines %v, want [2 4 5]", lines)
	}
	if calls < 1 {
		t.Errorf("progress called %d times", calls)
	}
	page, err := st.ListArticles(ctx, news.Filter{Sort: news.SortOldest, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, a := range page.Articles {
		titles = append(titles, a.Title)
	}
	if strings.Join(titles, ",") != "one,three again,seven" {
		t.Errorf("stored %v", titles)
	}
}

// failingReader gives its text, then an error.
type failingReader struct{ r io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, errors.New("disk read error")
	}
	return n, err
}

// TestImportIntoEmptyIsAllOrNothing: an import into a new database that
// fails part way stores nothing, says so, and leaves the database usable;
// the same import then succeeds.
func TestImportIntoEmptyIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "sqlite")
	var lines []string
	for i := range 12000 { // more than one batch
		lines = append(lines, fmt.Sprintf(`{"title":"Story %d on sanctions","url":"https://example.com/%d","countries":["KP"],"themes":["sanctions"]}`, i, i))
	}
	input := strings.Join(lines, "\n") + "\n"
	res, err := transfer.Import(ctx, failingReader{strings.NewReader(input)}, st, nil)
	if err == nil || !strings.Contains(err.Error(), "disk read error") || res.Created != 0 {
		t.Fatalf("import that failed to read: %+v, %v", res, err)
	}
	page, err := st.ListArticles(ctx, news.Filter{Sort: news.SortNewest, Limit: 5, WithDrafts: true})
	if err != nil || len(page.Articles) != 0 {
		t.Fatalf("after a failed import into an empty database: %d articles, %v", len(page.Articles), err)
	}
	res, err = transfer.Import(ctx, strings.NewReader(input), st, nil)
	if err != nil || res.Created != 12000 {
		t.Fatalf("the same import again: %+v, %v", res, err)
	}
	page, err = st.ListArticles(ctx, news.Filter{Countries: []string{"KP"}, Themes: []string{"sanctions"}, Query: []string{"11999"},
		Sort: news.SortNewest, Limit: 5, IncludeTotal: true})
	if err != nil || len(page.Articles) != 1 || page.Articles[0].Title != "Story 11999 on sanctions" {
		t.Errorf("the last story by tags and search: %+v, %v", page.Articles, err)
	}
}

// ids lists the ids of a filtered list.
func ids(t *testing.T, st interface {
	ListArticles(context.Context, news.Filter) (news.Page, error)
}, f news.Filter) []int64 {
	t.Helper()
	f.Sort, f.Limit = news.SortOldest, 100
	page, err := st.ListArticles(news.WithFreshReads(context.Background()), f)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, a := range page.Articles {
		out = append(out, a.ID)
	}
	return out
}

// TestReimportWritesOnlyWhatChanged: importing the same lines again
// changes nothing (no new version, no change-feed entry); a record that
// differs gets a new version, updated_at, one change-feed entry, and tag
// rows and search that follow its new tags and text.
func TestReimportWritesOnlyWhatChanged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		ctx := news.WithFreshReads(context.Background())
		st := openStore(t, kind)
		lines := []string{
			`{"title":"Sinuiju customs reopen","url":"https://example.com/a","countries":["KP","CN"],"themes":["trade"],"published_at":"2025-06-01T10:00:00Z"}`,
			`{"title":"Pyongyang hosts a film festival","url":"https://example.com/b","countries":["KP"],"themes":["culture"],"status":"draft","published_at":"2025-06-02T10:00:00Z"}`,
			`{"title":"Moscow and Pyongyang sign a treaty","url":"https://example.com/c","published_at":"2025-06-03T10:00:00Z"}`,
		}
		imp := func(lines ...string) transfer.Result {
			t.Helper()
			res, err := transfer.Import(ctx, strings.NewReader(strings.Join(lines, "\n")), st, nil)
			if err != nil || res.Failed > 0 {
				t.Fatalf("import: %+v, %v", res, err)
			}
			return res
		}
		imp(lines...)
		before, _ := st.LastChange(ctx)
		a1, _ := st.Article(ctx, 1, true)
		if res := imp(lines...); res.Unchanged != 3 || res.Created+res.Updated != 0 {
			t.Errorf("the same lines again: %+v, want 3 unchanged", res)
		}
		if after, _ := st.LastChange(ctx); after != before {
			t.Errorf("an import that changed nothing moved the change feed from %d to %d", before, after)
		}
		if again, _ := st.Article(ctx, 1, true); again.Version != 1 || !again.UpdatedAt.Equal(a1.UpdatedAt) {
			t.Errorf("an unchanged record got version %d, updated_at %v", again.Version, again.UpdatedAt)
		}
		// Without published_at the stored time counts: still unchanged.
		if res := imp(`{"title":"Sinuiju customs reopen","url":"https://example.com/a","countries":["KP","CN"],"themes":["trade"]}`); res.Unchanged != 1 {
			t.Errorf("a record without published_at: %+v, want unchanged", res)
		}
		res := imp(
			`{"title":"Sinuiju customs reopen after a year","url":"https://example.com/a","countries":["KP","CN"],"themes":["trade"],"published_at":"2025-06-01T10:00:00Z"}`,
			// Published now, and tagged RU instead of KP.
			`{"title":"Pyongyang hosts a film festival","url":"https://example.com/b","countries":["RU"],"themes":["culture"],"published_at":"2025-06-02T10:00:00Z"}`,
			lines[2])
		if res.Updated != 2 || res.Unchanged != 1 {
			t.Errorf("two changed records of three: %+v", res)
		}
		changes, err := st.Changes(ctx, before, 10, true)
		if err != nil || len(changes) != 2 || changes[0].ID != 1 || changes[1].ID != 2 {
			t.Fatalf("change feed after the update: %+v, %v", changes, err)
		}
		if a := changes[0].Article; a.Version != 2 || !a.UpdatedAt.After(a1.UpdatedAt) {
			t.Errorf("the changed record: version %d, updated_at %v", a.Version, a.UpdatedAt)
		}
		for name, c := range map[string]struct {
			f    news.Filter
			want []int64
		}{
			"KP":               {news.Filter{Countries: []string{"KP"}}, []int64{1, 3}},
			"RU":               {news.Filter{Countries: []string{"RU"}}, []int64{2, 3}},
			"RU and culture":   {news.Filter{Countries: []string{"RU"}, Themes: []string{"culture"}}, []int64{2}},
			"KP and trade":     {news.Filter{Countries: []string{"KP"}, Themes: []string{"trade"}}, []int64{1}},
			"drafts":           {news.Filter{Countries: []string{"KP"}, WithDrafts: true}, []int64{1, 3}},
			"search new words": {news.Filter{Query: []string{"after a year"}}, []int64{1}},
		} {
			if got := ids(t, st, c.f); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", name, got, c.want)
			}
		}
	})
}

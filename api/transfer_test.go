package api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store"
)

// TestImportKeepsGoodLines: malformed, invalid and over-long lines are
// reported by number; the lines around them are stored.
func TestImportKeepsGoodLines(t *testing.T) {
	ctx := context.Background()
	st := importStore(t)
	input := strings.Join([]string{
		`{"title":"one","countries":["RU"]}`,
		`{"title":"` + strings.Repeat("x", api.MaxBodyBytes+10) + `"}`,
		`{"title":"three","url":"https://example.com/3"}`,
		`not json`,
		`{"title":"five","themes":["gossip"]}`,
		`{"title":"three again","url":"https://example.com/3"}`,
		`{"title":"seven"}`,
	}, "\n")
	var calls int
	res, err := api.Import(ctx, strings.NewReader(input), st, st, func(api.ImportResult) { calls++ })
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
	if len(lines) != 3 || lines[0] != 2 || lines[1] != 4 || lines[2] != 5 {
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
	st := importStore(t)
	var lines []string
	for i := range 12000 { // more than one batch
		lines = append(lines, fmt.Sprintf(`{"title":"Story %d on sanctions","url":"https://example.com/%d","countries":["KP"],"themes":["sanctions"]}`, i, i))
	}
	input := strings.Join(lines, "\n") + "\n"
	res, err := api.Import(ctx, failingReader{strings.NewReader(input)}, st, st, nil)
	if err == nil || !strings.Contains(err.Error(), "disk read error") || res.Created != 0 {
		t.Fatalf("import that failed to read: %+v, %v", res, err)
	}
	page, err := st.ListArticles(ctx, news.Filter{Sort: news.SortNewest, Limit: 5, WithDrafts: true})
	if err != nil || len(page.Articles) != 0 {
		t.Fatalf("after a failed import into an empty database: %d articles, %v", len(page.Articles), err)
	}
	res, err = api.Import(ctx, strings.NewReader(input), st, st, nil)
	if err != nil || res.Created != 12000 {
		t.Fatalf("the same import again: %+v, %v", res, err)
	}
	page, err = st.ListArticles(ctx, news.Filter{Countries: []string{"KP"}, Themes: []string{"sanctions"}, Query: []string{"11999"},
		Sort: news.SortNewest, Limit: 5, IncludeTotal: true})
	if err != nil || len(page.Articles) != 1 || page.Articles[0].Title != "Story 11999 on sanctions" {
		t.Errorf("the last story by tags and search: %+v, %v", page.Articles, err)
	}
}

// importStore is a migrated SQLite store in t's temporary directory.
func importStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "import.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

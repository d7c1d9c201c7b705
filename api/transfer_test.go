package api_test

import (
	"context"
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
	st, err := store.Open(filepath.Join(t.TempDir(), "import.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
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

package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store"
)

// articleTags reads an article's tags and whether the tagger chose them.
func articleTags(t *testing.T, db string, id int64) news.Article {
	t.Helper()
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	a, err := st.Article(context.Background(), id, true)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestImportTagsAndRetagFollowsKeywords: an import tags the records that
// leave tags out; an export says which tags are automatic, and a re-import
// keeps them automatic; after an admin adds a theme keyword, `headlines
// retag` brings automatic tags up to date and leaves hand-set ones alone.
func TestImportTagsAndRetagFollowsKeywords(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	lines := strings.Join([]string{
		`{"title":"North Korea ships anthracite to Vietnam via Nampo","url":"https://example.com/auto"}`,
		`{"title":"North Korea ships anthracite to Laos","url":"https://example.com/hand","countries":["KP","LA"],"themes":[]}`,
		`{"title":"Kremlin hosts Choe Son Hui for talks","url":"https://example.com/talks","themes":["diplomacy"]}`,
	}, "\n")
	if out, errOut, err := runCLI(t, db, lines, "import", "-"); err != nil || !strings.Contains(out, "3 created") {
		t.Fatalf("import: %v %q %s", err, out, errOut)
	}
	auto, hand, half := articleTags(t, db, 1), articleTags(t, db, 2), articleTags(t, db, 3)
	if !slices.Equal(auto.Countries, []string{"KP", "VN"}) || len(auto.Themes) != 0 || !auto.AutoCountries || !auto.AutoThemes {
		t.Errorf("untagged record: %v %v auto %v/%v, want [KP VN] [] auto/auto", auto.Countries, auto.Themes, auto.AutoCountries, auto.AutoThemes)
	}
	if !slices.Equal(half.Countries, []string{"KP", "RU"}) || !slices.Equal(half.Themes, []string{"diplomacy"}) || !half.AutoCountries || half.AutoThemes {
		t.Errorf("record with themes only: %v %v auto %v/%v, want [KP RU] [diplomacy] auto/editor", half.Countries, half.Themes, half.AutoCountries, half.AutoThemes)
	}

	// Export → import keeps automatic tags automatic.
	export, _, err := runCLI(t, db, "", "export")
	if err != nil {
		t.Fatal(err)
	}
	first := exportedArticles(t, export)[0]
	if ts, _ := first["tag_source"].(map[string]any); ts["countries"] != "auto" || ts["themes"] != "auto" {
		t.Errorf("export does not say the tags are automatic: %v", first["tag_source"])
	}
	db2 := filepath.Join(dir, "b.db")
	if out, errOut, err := runCLI(t, db2, export, "import", "-"); err != nil || !strings.Contains(out, "3 created") {
		t.Fatalf("re-import: %v %q %s", err, out, errOut)
	}
	if again := articleTags(t, db2, 1); !slices.Equal(again.Countries, auto.Countries) || !again.AutoCountries || !again.AutoThemes {
		t.Errorf("re-imported: %v auto %v/%v", again.Countries, again.AutoCountries, again.AutoThemes)
	}

	// Nothing to do yet.
	out, _, err := runCLI(t, db, "", "retag")
	if err != nil || !strings.Contains(out, "auto-tagged articles: 2 checked, 0 changed") {
		t.Fatalf("retag before any change: %v %q", err, out)
	}
	// An admin teaches the trade theme a new word.
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	trade, err := st.Theme(context.Background(), "trade")
	if err != nil {
		t.Fatal(err)
	}
	keywords := append(trade.Keywords, "anthracite")
	if _, err := st.UpdateTheme(context.Background(), "trade", news.ThemeUpdate{Keywords: &keywords}); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	out, errOut, err := runCLI(t, db, "", "retag")
	if err != nil || !strings.Contains(out, "retagged: auto-tagged articles: 2 checked, 1 changed, 0 skipped") {
		t.Fatalf("retag: %v %q %s", err, out, errOut)
	}
	auto2, hand2, half2 := articleTags(t, db, 1), articleTags(t, db, 2), articleTags(t, db, 3)
	if !slices.Equal(auto2.Themes, []string{"trade"}) || !auto2.AutoThemes || auto2.Version != auto.Version+1 {
		t.Errorf("automatic themes after retag: %v auto %v, version %d → %d; want [trade], auto, a new version",
			auto2.Themes, auto2.AutoThemes, auto.Version, auto2.Version)
	}
	if len(hand2.Themes) != 0 || hand2.Version != hand.Version {
		t.Errorf("hand-set themes after retag: %v, version %d → %d; want untouched", hand2.Themes, hand.Version, hand2.Version)
	}
	if !slices.Equal(half2.Themes, []string{"diplomacy"}) || half2.Version != half.Version {
		t.Errorf("hand-set themes beside automatic countries: %v, version %d → %d; want untouched", half2.Themes, half.Version, half2.Version)
	}
}

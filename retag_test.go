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

// TestTaggerReportFollowsTheDesk: PATCH and PUT that set a list the
// tagger filled record the correction; `headlines tagger report` then
// gives the tagger's precision and recall against them, with the words
// of the texts where editors added or removed a tag. Hand-set lists and
// edits that leave the lists alone record nothing.
func TestTaggerReportFollowsTheDesk(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	lines := strings.Join([]string{
		`{"title":"North Korea ships coal to China as trade with Beijing grows","url":"https://example.com/1"}`,
		`{"title":"Russian troops hold drills with North Korean soldiers","url":"https://example.com/2"}`,
		`{"title":"Kim Jong Un visits missile factory","url":"https://example.com/3"}`,
		`{"title":"Laos and North Korea sign a cultural accord","url":"https://example.com/4","themes":["culture"]}`,
		`{"title":"Pyongyang marathon draws runners","url":"https://example.com/5"}`,
	}, "\n")
	if out, errOut, err := runCLI(t, db, lines, "import", "-"); err != nil || !strings.Contains(out, "5 created") {
		t.Fatalf("import: %v %q %s", err, out, errOut)
	}
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	patch := func(id int64, u news.Update) {
		t.Helper()
		if _, err := st.UpdateArticle(ctx, id, u, 0); err != nil {
			t.Fatal(err)
		}
	}
	for id, want := range map[int64][]string{1: {"trade"}, 2: {"troops"}, 3: {}} {
		if got := articleTags(t, db, id); !slices.Equal(got.Themes, want) || !got.AutoThemes {
			t.Fatalf("article %d: automatic themes %v (auto %v), want %v", id, got.Themes, got.AutoThemes, want)
		}
	}
	patch(1, news.Update{Themes: &[]string{"sanctions", "trade"}}) // one kept, one added
	patch(2, news.Update{Themes: &[]string{}})                     // removed
	three := articleTags(t, db, 3)
	d := news.Draft{Title: three.Title, URL: three.URL, Themes: []string{"nuclear"}, AutoCountries: true} // a PUT: countries left to the tagger
	if err := d.Normalize(st.Vocabulary()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ReplaceArticle(ctx, 3, d, 0); err != nil {
		t.Fatal(err)
	}
	patch(4, news.Update{Themes: &[]string{"culture", "diplomacy"}}) // hand-set before: no correction
	title := "Pyongyang marathon draws foreign runners"
	patch(5, news.Update{Title: &title}) // lists untouched: none
	_ = st.Close()

	out, errOut, err := runCLI(t, db, "", "tagger", "report")
	if err != nil {
		t.Fatalf("tagger report: %v %s", err, errOut)
	}
	for _, want := range []string{
		"3 corrections in the last 2160h0m0s",
		"theme  (all)      0.500      0.333   1     1        2",
		"theme  nuclear    -          0.000   0     0        1",
		"theme  sanctions  -          0.000   0     0        1",
		"theme  trade      1.000      1.000   1     0        0",
		"theme  troops     0.000      -       0     1        0",
		"  theme nuclear: factory 1, jong 1, kim 1, missile 1, visits 1",
		"  theme troops: drills* 1, soldiers* 1, troops* 1, hold 1, korean 1, north 1, russian 1",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "country") || strings.Contains(out, "culture") {
		t.Errorf("the report counts a list nobody corrected:\n%s", out)
	}
}

package store

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/classify"
	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
)

// labelled is one headline of the evaluation set with the tags an editor
// gave it.
type labelled struct {
	Title     string   `json:"title"`
	Summary   string   `json:"summary"`
	Countries []string `json:"countries"`
	Themes    []string `json:"themes"`
	Trap      string   `json:"trap"` // the trap class it was written with, if any (see trapClasses)
}

func readLabelled(t testing.TB, path string) []labelled {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l labelled
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// score counts true positives, false positives and false negatives of
// one kind of tag over the set, and describes each miss.
type score struct {
	tp, fp, fn int
	misses     []string
}

func (s *score) add(title string, got, want []string) {
	var extra, missing []string
	for _, g := range got {
		if slices.Contains(want, g) {
			s.tp++
		} else {
			s.fp++
			extra = append(extra, g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			s.fn++
			missing = append(missing, w)
		}
	}
	if len(extra)+len(missing) > 0 {
		s.misses = append(s.misses, fmt.Sprintf("%q: extra %v, missing %v", title, extra, missing))
	}
}

func (s score) precision() float64 { return float64(s.tp) / float64(s.tp+s.fp) }
func (s score) recall() float64    { return float64(s.tp) / float64(s.tp+s.fn) }

// TestTaggerQuality measures the automatic tagger, with the vocabulary the
// migrations seed, on the labelled evaluation set (headlines written for
// it in the style of the section) and the demo headlines, and holds it to
// its targets: countries precision and recall ≥ 0.95, themes precision ≥
// 0.85 and recall ≥ 0.75 (micro-averaged over every tag). The set is
// older than LABELLING.md and labels more generously: a second theme for
// a topic touched in passing (a visit is also trade, construction
// workers also infrastructure, IT workers also cyber). The trained
// themes model, taught the guide's stricter labels on the dev parts,
// gives fewer second themes: recall 0.80 by the rules alone, 0.77 with
// the model, precision 0.97 → 0.99; the held-out rounds
// (TestTaggerOnHeldOutSets) measure it by the guide.
func TestTaggerQuality(t *testing.T) {
	s, _ := newStore(t, "sqlite")
	set := readLabelled(t, "../classify/testdata/eval.jsonl")
	demo := readLabelled(t, "../demo/foreign-relations.jsonl")
	if len(set) < 60 {
		t.Fatalf("the evaluation set has %d headlines, want at least 60", len(set))
	}
	var countries, themes score
	seenCountries, seenThemes := map[string]bool{}, map[string]bool{}
	for _, l := range append(set, demo...) {
		found := s.Vocabulary().Classify(l.Title, l.Summary, "")
		countries.add(l.Title, news.Keys(found.Countries, news.MaxCountries), l.Countries)
		themes.add(l.Title, news.Keys(found.Themes, news.MaxThemes), l.Themes)
		for _, c := range l.Countries {
			seenCountries[c] = true
		}
		for _, th := range l.Themes {
			seenThemes[th] = true
		}
	}
	themeList, err := s.Themes(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range themeList {
		if !seenThemes[th.Slug] {
			t.Errorf("no headline of the set is labelled %q: every seeded theme must be measured", th.Slug)
		}
	}
	if len(seenCountries) < 20 {
		t.Errorf("the set labels %d countries, want at least 20", len(seenCountries))
	}
	t.Logf("%d headlines (%d written for the set, %d demo), %d countries, %d themes labelled",
		len(set)+len(demo), len(set), len(demo), len(seenCountries), len(seenThemes))
	for _, k := range []struct {
		name       string
		s          score
		minP, minR float64
	}{{"countries", countries, 0.95, 0.95}, {"themes", themes, 0.85, 0.75}} {
		t.Logf("%s: precision %.3f (%d/%d), recall %.3f (%d/%d)", k.name,
			k.s.precision(), k.s.tp, k.s.tp+k.s.fp, k.s.recall(), k.s.tp, k.s.tp+k.s.fn)
		if len(k.s.misses) > 0 {
			t.Logf("%s confusions:\n  %s", k.name, strings.Join(k.s.misses, "\n  "))
		}
		if k.s.precision() < k.minP || k.s.recall() < k.minR {
			t.Errorf("%s: precision %.3f and recall %.3f, want at least %.2f and %.2f", k.name,
				k.s.precision(), k.s.recall(), k.minP, k.minR)
		}
	}
}

// BenchmarkTag times the automatic tagger, with the seeded vocabulary and
// its trained models, on one headline with its summary (the demo
// headlines in turn), the same by the rules alone (without the models,
// for the models' cost side by side), and on a story with a
// 5,000-character body.
func BenchmarkTag(b *testing.B) {
	s, _ := newStore(b, "sqlite")
	v := s.Vocabulary()
	tg := newTagger(v.Countries(), v.Themes())
	var texts []classify.Text
	for _, l := range readLabelled(b, "../demo/foreign-relations.jsonl") {
		texts = append(texts, classify.Text{Title: l.Title, Summary: l.Summary})
	}
	b.Run("headline+summary", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			tg.Tag(texts[i%len(texts)])
			i++
		}
	})
	b.Run("headline+summary, rules alone", func(b *testing.B) {
		rules := newRulesTagger(v.Countries(), v.Themes())
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			rules.Tag(texts[i%len(texts)])
			i++
		}
	})
	b.Run("with 5000-char body", func(b *testing.B) {
		var body strings.Builder
		for body.Len() < 5000 {
			for _, t := range texts {
				body.WriteString(t.Summary + ". ")
			}
		}
		text := texts[0]
		text.Body = body.String()[:5000]
		b.ReportAllocs()
		for b.Loop() {
			tg.Tag(text)
		}
	})
}

// TestTaggerSeesKeywordsFromAnotherInstance: a keyword or a theme added
// through one instance is in its own snapshot at once, and reaches
// another sharing the database at its next refresh (every vocabTTL),
// not before.
func TestTaggerSeesKeywordsFromAnotherInstance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		dsn, a := migratedShared(t, kind)
		b := openShared(t, dsn, time.Hour) // refreshed by hand below
		themes := func(s *Store) []string {
			return news.Keys(s.Vocabulary().Classify("North Korea ships anthracite to Vietnam", "", "").Themes, news.MaxThemes)
		}
		if got := themes(b); len(got) != 0 {
			t.Fatalf("themes before the keyword: %v", got)
		}
		if _, ok := b.Vocabulary().Theme("trade"); !ok {
			t.Fatal("another instance opened on a migrated database does not know trade")
		}
		trade, err := a.Theme(ctx, "trade")
		if err != nil {
			t.Fatal(err)
		}
		kw := append(trade.Keywords, "anthracite")
		if _, err := a.UpdateTheme(ctx, "trade", news.ThemeUpdate{Keywords: &kw}); err != nil {
			t.Fatal(err)
		}
		if got := themes(a); !slices.Equal(got, []string{"trade"}) {
			t.Errorf("the instance that changed the keywords finds %v, want [trade]", got)
		}
		if got := themes(b); len(got) != 0 {
			t.Errorf("another instance finds %v before its refresh", got)
		}
		// A theme created through one instance is also a name the other
		// resolves, after the same time.
		if _, err := a.CreateTheme(ctx, news.Theme{Slug: "energy", Name: "Energy"}); err != nil {
			t.Fatal(err)
		}
		if _, ok := a.Vocabulary().Theme("Energy"); !ok {
			t.Error("the instance that created energy does not resolve it")
		}
		if _, ok := b.Vocabulary().Theme("energy"); ok {
			t.Error("another instance resolves the new theme before its refresh")
		}
		if err := b.refreshVocabulary(ctx); err != nil { // what its refresher does every vocabTTL
			t.Fatal(err)
		}
		if got := themes(b); !slices.Equal(got, []string{"trade"}) {
			t.Errorf("another instance finds %v after its refresh, want [trade]", got)
		}
		if slug, ok := b.Vocabulary().Theme("Energy"); !ok || slug != "energy" {
			t.Errorf("another instance resolves Energy as %q, %v after its refresh; want energy", slug, ok)
		}
	})
}

// TestVocabularyRefresherRunsUntilClose: the refresher brings another
// instance's theme into the snapshot by itself, on its schedule, and
// stops when the store is closed: later changes no longer arrive.
func TestVocabularyRefresherRunsUntilClose(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		dsn, a := migratedShared(t, kind)
		b := openShared(t, dsn, 20*time.Millisecond)
		if _, err := a.CreateTheme(ctx, news.Theme{Slug: "energy", Name: "Energy"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "the refresher to bring energy", func() bool {
			_, ok := b.Vocabulary().Theme("energy")
			return ok
		})
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-b.vocab.done:
		default:
			t.Fatal("the refresher still runs after Close")
		}
		if _, err := a.CreateTheme(ctx, news.Theme{Slug: "water", Name: "Water"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // five of the closed store's refresh intervals
		if _, ok := b.Vocabulary().Theme("water"); ok {
			t.Error("a closed store's snapshot still changes")
		}
	})
}

// TestVocabularyFromElsewhereWithinASecond: by default, a theme created
// through one instance is known to another within about a second
// (vocabTTL): until then that one refuses it in filters and articles.
func TestVocabularyFromElsewhereWithinASecond(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		dsn, a := migratedShared(t, kind)
		b := openShared(t, dsn, 0)
		if _, err := a.CreateTheme(ctx, news.Theme{Slug: "energy", Name: "Energy"}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		waitFor(t, 3*time.Second, "the other instance to know energy", func() bool {
			_, ok := b.Vocabulary().Theme("energy")
			return ok
		})
		t.Logf("known elsewhere after %v", time.Since(start).Round(time.Millisecond))
	})
}

// migratedShared opens a store on a new database of the given kind, and
// migrates it; another store may share the database at dsn.
func migratedShared(t *testing.T, kind string) (dsn string, s *Store) {
	t.Helper()
	dsn = storetest.DSN(t, kind)
	s = openShared(t, dsn, 0)
	if _, err := s.MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	return dsn, s
}

// openShared opens a store on dsn, which another store may share,
// refreshing its vocabulary every refresh (vocabTTL when 0).
func openShared(tb testing.TB, dsn string, refresh time.Duration) *Store {
	tb.Helper()
	s, err := Open(dsn, Options{VocabularyRefresh: refresh})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// waitFor polls cond until it holds, failing after limit.
func waitFor(tb testing.TB, limit time.Duration, what string, cond func() bool) {
	tb.Helper()
	for end := time.Now().Add(limit); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			tb.Fatalf("waited %v for %s", limit, what)
		}
	}
}

// TestSeededVocabularyKnowsTheSection: the names, capitals, institutions
// and leaders the section's stories use find their countries with the
// vocabulary the migrations seed.
func TestSeededVocabularyKnowsTheSection(t *testing.T) {
	s, _ := newStore(t, "sqlite")
	for text, want := range map[string]string{
		"Moscow": "RU", "the Kremlin": "RU", "Shoigu": "RU", "Kursk": "RU", "Russians": "RU",
		"Wellington": "NZ", "Seoul": "KR", "ROK": "KR", "Lee Jae-myung": "KR", "South Korean": "KR",
		"Pyongyang": "KP", "DPRK": "KP", "Kim Jong Un": "KP", "Kim Jong-un": "KP", "North Korean": "KP",
		"Ishiba": "JP", "Tokyo": "JP", "Beijing": "CN", "Xi Jinping": "CN", "U.S.": "US", "Washington": "US",
		"Kyiv": "UA", "Tehran": "IR", "Vientiane": "LA", "Ulaanbaatar": "MN", "Chinese Taipei": "TW",
		"Gulf of Guinea": "", "Latin America": "", "Chad O'Carroll": "", "Korean Peninsula": "",
		"the Koreas": "KP KR", "inter-Korean": "KP KR", "tell us": "", "polish": "",
	} {
		found := s.Vocabulary().Classify("A story about "+text, "", "")
		got := news.Keys(found.Countries, news.MaxCountries)
		if strings.Join(got, " ") != want {
			t.Errorf("%q: %v, want %q", text, got, want)
		}
	}
}

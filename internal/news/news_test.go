package news

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// testVocab knows two countries and two themes, with aliases; its tagger
// finds RU in a text that names Moscow and troops where it says soldiers:
// enough to see what Normalize does with the findings.
var testVocab = NewVocabulary(
	[]Country{{Code: "RU", Name: "Russia"}, {Code: "KP", Name: "North Korea", Aliases: []string{"DPRK"}}},
	[]Theme{{Slug: "troops", Name: "Troops", Aliases: []string{"military"}}, {Slug: "trade", Name: "Trade"}},
	func(title, summary, body string) Suggestions {
		var s Suggestions
		text := title + " " + summary + " " + body
		if strings.Contains(text, "Moscow") {
			s.Countries = append(s.Countries, Suggestion{Key: "RU", Words: []string{"Moscow"}})
		}
		if strings.Contains(text, "soldiers") {
			s.Themes = append(s.Themes, Suggestion{Key: "troops", Words: []string{"soldiers"}})
		}
		return s
	})

func TestNormalizeFillsOnlyTheListsLeftToTheTagger(t *testing.T) {
	d := Draft{Title: "Moscow sends soldiers", AutoCountries: true, Themes: []string{"trade"}}
	if err := d.Normalize(testVocab); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Countries, []string{"RU"}) || !slices.Equal(d.Themes, []string{"trade"}) {
		t.Errorf("countries %v, themes %v; want [RU] from the tagger and the given [trade]", d.Countries, d.Themes)
	}
	d = Draft{Title: "Moscow sends soldiers", Countries: []string{}, AutoThemes: true}
	if err := d.Normalize(testVocab); err != nil {
		t.Fatal(err)
	}
	if len(d.Countries) != 0 || !slices.Equal(d.Themes, []string{"troops"}) {
		t.Errorf("countries %v, themes %v; want the given empty list and [troops] from the tagger", d.Countries, d.Themes)
	}
}

func TestNameKey(t *testing.T) {
	for in, want := range map[string]string{
		"  U.S.  ": "us", "Human-Rights": "human rights", "human_rights": "human rights",
		"Côte d'Ivoire": "côte divoire", "RU": "ru", "North   Korea": "north korea",
	} {
		if got := NameKey(in); got != want {
			t.Errorf("NameKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDraftNormalize(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.UTC)
	cases := []struct {
		name   string
		d      Draft
		fields []string // failing fields, in order; nil = valid
		check  func(t *testing.T, d Draft)
	}{
		{name: "defaults and resolution", d: Draft{Title: " Troops ", Countries: []string{"Russia", "dprk"}, Themes: []string{"military"}},
			check: func(t *testing.T, d Draft) {
				if d.Title != "Troops" || d.Language != "en" || d.Status != StatusPublished || !d.PublishedAt.IsZero() {
					t.Errorf("defaults: %+v", d)
				}
				if !slices.Equal(d.Countries, []string{"KP", "RU"}) || !slices.Equal(d.Themes, []string{"troops"}) {
					t.Errorf("tags %v %v", d.Countries, d.Themes)
				}
			}},
		{name: "times in UTC to the microsecond", d: Draft{Title: "x", PublishedAt: now.In(time.FixedZone("KST", 9*3600))},
			check: func(t *testing.T, d Draft) {
				if d.PublishedAt.Location() != time.UTC || !d.PublishedAt.Equal(now.Truncate(time.Microsecond)) {
					t.Errorf("published_at %v", d.PublishedAt)
				}
			}},
		{name: "empty title", d: Draft{Title: "  "}, fields: []string{"title"}},
		{name: "long title", d: Draft{Title: strings.Repeat("é", 301)}, fields: []string{"title"}},
		{name: "300 characters is fine", d: Draft{Title: strings.Repeat("é", 300)}},
		{name: "control character", d: Draft{Title: "a\u200bb\x1b"}, fields: []string{"title"}},
		{name: "urls", d: Draft{Title: "x", URL: "javascript:alert(1)", ImageURL: "/relative.png"}, fields: []string{"url", "image_url"}},
		{name: "http url ok", d: Draft{Title: "x", URL: "https://example.com/a?b=c"}},
		{name: "section slug", d: Draft{Title: "x", Section: "Foreign Relations"}, fields: []string{"section"}},
		{name: "language", d: Draft{Title: "x", Language: "english please"}, fields: []string{"language"}},
		{name: "language tag ok", d: Draft{Title: "x", Language: "ko-KR"}},
		{name: "status", d: Draft{Title: "x", Status: "secret"}, fields: []string{"status"}},
		{name: "unknown and duplicate tags", d: Draft{Title: "x", Countries: []string{"RU", "Russia", "Narnia"}, Themes: []string{"gossip"}},
			fields: []string{"countries", "countries", "themes"}},
		{name: "too many countries", d: Draft{Title: "x", Countries: make([]string, 21)}, fields: []string{"countries"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.d
			err := d.Normalize(testVocab)
			var got []string
			var ne *Error
			if errors.As(err, &ne) {
				if ne.Code != EValidation {
					t.Errorf("code %s, want validation", ne.Code)
				}
				for _, f := range ne.Fields {
					got = append(got, f.Field)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.fields) {
				t.Errorf("failing fields %v, want %v (%v)", got, tc.fields, err)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestUpdateApply(t *testing.T) {
	a := Article{Title: "old", Summary: "keep", URL: "https://example.com", Countries: []string{"RU"}}
	title, empty := "new", ""
	d := Update{Title: &title, URL: &empty}.Apply(a)
	if d.Title != "new" || d.Summary != "keep" || d.URL != "" || !slices.Equal(d.Countries, []string{"RU"}) {
		t.Errorf("apply: %+v", d)
	}
}

// TestVocabularyResolves: names, aliases and codes in any case and
// spelling resolve; a code wins over another entry's name that folds to
// the same key; display names fall back to the key.
func TestVocabularyResolves(t *testing.T) {
	v := NewVocabulary(
		[]Country{{Code: "US", Name: "United States", Aliases: []string{"U.S.A."}}, {Code: "UA", Name: "Ukraine", Aliases: []string{"us"}}},
		[]Theme{{Slug: "human-rights", Name: "Human rights"}, {Slug: "aid", Name: "Humanitarian aid", Aliases: []string{"human rights"}}},
		nil)
	for name, want := range map[string]string{"us": "US", "U.S.": "US", "usa": "US", "united-states": "US", "UKRAINE": "UA", "US": "US", "UA": "UA"} {
		if got, ok := v.Country(name); !ok || got != want {
			t.Errorf("Country(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	for name, want := range map[string]string{"Human Rights": "human-rights", "human_rights": "human-rights", "AID": "aid", "human-rights": "human-rights", "aid": "aid"} {
		if got, ok := v.Theme(name); !ok || got != want {
			t.Errorf("Theme(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	// A code or slug as stored resolves without folding, to what folding
	// finds for it.
	for _, c := range v.countries {
		if got, _ := v.Country(c.Code); got != v.countryBy[NameKey(c.Code)] {
			t.Errorf("Country(%q) = %q, folded %q", c.Code, got, v.countryBy[NameKey(c.Code)])
		}
	}
	for _, th := range v.themes {
		if got, _ := v.Theme(th.Slug); got != v.themeBy[NameKey(th.Slug)] {
			t.Errorf("Theme(%q) = %q, folded %q", th.Slug, got, v.themeBy[NameKey(th.Slug)])
		}
	}
	if got, ok := v.Country("Narnia"); ok {
		t.Errorf("Country(Narnia) = %q, want unknown", got)
	}
	if v.CountryName("UA") != "Ukraine" || v.CountryName("ZZ") != "ZZ" || v.ThemeName("aid") != "Humanitarian aid" || v.ThemeName("x") != "x" {
		t.Errorf("names: %q %q %q %q", v.CountryName("UA"), v.CountryName("ZZ"), v.ThemeName("aid"), v.ThemeName("x"))
	}
	if got := v.Classify("Moscow", "", ""); len(got.Countries)+len(got.Themes) != 0 {
		t.Errorf("a vocabulary without a tagger found %+v", got)
	}
	var zero Vocabulary
	if _, ok := zero.Theme("aid"); ok || zero.ThemeName("aid") != "aid" {
		t.Error("the zero vocabulary knows a name")
	}
}

// TestPublishedAtStaysRFC3339: a publication time is stored and answered
// in UTC, so one whose UTC year leaves 0001–9999 is refused, naming
// published_at: 9999-12-31T23:59:59-12:00 would be answered in year 10000,
// which no client parses.
func TestPublishedAtStaysRFC3339(t *testing.T) {
	for _, tc := range []struct {
		at string
		ok bool
	}{
		{"9999-12-31T23:59:59Z", true},
		{"0001-01-01T00:00:00.000001Z", true},
		{"9999-12-31T11:59:59-12:00", true},
		{"9999-12-31T23:59:59-12:00", false},
		{"0001-01-01T00:00:00+14:00", false},
		{"0000-06-01T00:00:00Z", false},
	} {
		at, err := time.Parse(time.RFC3339, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		d := Draft{Title: "A date at the edge", PublishedAt: at}
		err = d.Normalize(testVocab)
		var ne *Error
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.at, err)
		case !tc.ok && (!errors.As(err, &ne) || len(ne.Fields) != 1 || ne.Fields[0].Field != "published_at"):
			t.Errorf("%s: %v, want a problem naming published_at", tc.at, err)
		}
	}
}

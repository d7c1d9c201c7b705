package classify

import (
	"math"
	"slices"
	"testing"
)

var testTagger = New([]Entry{
	{Key: "KP", Terms: []string{"North Korea", "North Korean", "DPRK", "Pyongyang", "Kim Jong Un"}},
	{Key: "KR", Terms: []string{"South Korea", "South Korean", "ROK", "Seoul", "Lee Jae-myung", "N. Korea watcher"}},
	{Key: "US", Terms: []string{"United States", "US", "U.S.", "America", "-Latin America"}},
	{Key: "RU", Terms: []string{"Russia", "Moscow", "Kursk", "Shoigu"}},
	{Key: "TD", Terms: []string{"Chad", "-Chad O'Carroll"}},
	{Key: "PL", Terms: []string{"Poland", "Polish"}},
	{Key: "TR", Terms: []string{"Türkiye", "Turkey"}},
	{Key: "SD", Terms: []string{"Sudan"}},
	{Key: "SS", Terms: []string{"South Sudan"}},
}, []Entry{
	{Key: "sanctions", Terms: []string{"sanction", "export control"}},
	{Key: "trade", Terms: []string{"trade", "export"}},
	{Key: "troops", Terms: []string{"troop", "drill", "war", "-trade war"}},
	{Key: "cyber", Terms: []string{"cyber*", "hack"}},
	{Key: "labor", Terms: []string{"worker", "IT worker"}},
})

// Keys returns the keys of matches.
func Keys(matches []Match) []string {
	out := make([]string, len(matches))
	for i, m := range matches {
		out[i] = m.Key
	}
	return out
}

func tags(text Text) (countries, themes []string) {
	r := testTagger.Tag(text)
	return Keys(r.Countries), Keys(r.Themes)
}

func TestTagRules(t *testing.T) {
	cases := []struct {
		name, title       string
		countries, themes []string
	}{
		{"North Korean is not South Korean", "North Korean envoy meets South Korean minister", []string{"KP", "KR"}, nil},
		{"South Korean alone", "South Korean troops drill", []string{"KR"}, []string{"troops"}},
		{"capitals only as capitals", "Let us talk about US policy", []string{"US"}, nil},
		{"no capitals, no US", "tell us what happened", nil, nil},
		{"dotted capitals", "U.S. and ROK hold drills", []string{"US", "KR"}, []string{"troops"}},
		{"stems", "Sanctioned firms kept exporting", nil, []string{"sanctions", "trade"}},
		{"more stems", "New sanctions on traders who sanction-bust", nil, []string{"sanctions"}},
		{"whole words only", "Russian orthodoxy and Moscowitz", nil, nil},
		{"possessive", "Russia’s Kursk and Moscow's plans", []string{"RU"}, nil},
		{"longest term wins", "South Sudan and Sudan", []string{"SS", "SD"}, nil},
		{"longer theme term", "New export controls on chips", nil, []string{"sanctions"}},
		{"exclusion", "Trade war looms over Latin America", nil, []string{"trade"}},
		{"exclusion leaves other mentions", "Latin America and America", []string{"US"}, nil},
		{"a person is not a country", "Chad O'Carroll on Pyongyang", []string{"KP"}, nil},
		{"Chad the country", "Chad and DPRK sign pact", []string{"TD", "KP"}, nil},
		{"names need a capital", "polish the turkey", nil, nil},
		{"names in any case after the capital", "POLISH envoy in TURKEY", []string{"PL", "TR"}, nil},
		{"accents", "Türkiye and Turkiye", []string{"TR"}, nil},
		{"hyphenated name", "Lee Jae-myung visits", []string{"KR"}, nil},
		{"a name's later words in any case", "Kim Jong-un speaks", []string{"KP"}, nil},
		{"but its first word capitalized", "kim Jong Un", nil, nil},
		{"initial with a dot", "A N. Korea watcher says", []string{"KR"}, nil},
		{"no phrase across punctuation", "South, Korea", nil, nil},
		{"prefix", "A cyberattack and hacking", nil, []string{"cyber"}},
		{"an exclusion is of its own key only", "Trade war and troops", nil, []string{"trade", "troops"}},
		{"hyphen splits words", "US-DPRK talks", []string{"US", "KP"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gotC, gotT := tags(Text{Title: c.title})
			if !slices.Equal(gotC, c.countries) {
				t.Errorf("countries %v, want %v", gotC, c.countries)
			}
			if !slices.Equal(gotT, c.themes) {
				t.Errorf("themes %v, want %v", gotT, c.themes)
			}
		})
	}
}

func TestTieOfTwoKeysTagsBoth(t *testing.T) {
	tg := New(nil, []Entry{{Key: "cyber", Terms: []string{"IT worker"}}, {Key: "labor", Terms: []string{"IT worker", "worker"}}})
	got := Keys(tg.Tag(Text{Title: "IT workers"}).Themes)
	if !slices.Equal(got, []string{"cyber", "labor"}) {
		t.Errorf("themes %v, want [cyber labor]", got)
	}
}

func TestBodyNeedsTwoMentions(t *testing.T) {
	once, _ := tags(Text{Title: "Talks resume", Body: "A delegation flew in from Moscow."})
	twice, _ := tags(Text{Title: "Talks resume", Body: "A delegation flew in from Moscow. Moscow said little."})
	lead, _ := tags(Text{Title: "Talks resume", Summary: "Moscow sends a delegation"})
	if len(once) != 0 || !slices.Equal(twice, []string{"RU"}) || !slices.Equal(lead, []string{"RU"}) {
		t.Errorf("one body mention %v, two %v, one in the summary %v; want [], [RU], [RU]", once, twice, lead)
	}
}

func TestMatchesSayWhichWords(t *testing.T) {
	r := testTagger.Tag(Text{
		Title:   "Kim Jong Un to send workers to rebuild Russia’s Kursk: Shoigu",
		Summary: "North Korean deployment will include 5K construction workers, Moscow says",
	})
	want := []Match{
		{Key: "KP", Words: []string{"Kim Jong Un", "North Korean"}, Count: 2},
		{Key: "RU", Words: []string{"Russia", "Kursk", "Shoigu", "Moscow"}, Count: 4},
	}
	if !slices.EqualFunc(r.Countries, want, func(a, b Match) bool {
		return a.Key == b.Key && a.Count == b.Count && slices.Equal(a.Words, b.Words)
	}) {
		t.Errorf("countries %+v, want %+v", r.Countries, want)
	}
	if len(r.Themes) != 1 || r.Themes[0].Key != "labor" || !slices.Equal(r.Themes[0].Words, []string{"workers"}) {
		t.Errorf("themes %+v, want labor from \"workers\"", r.Themes)
	}
}

func TestStem(t *testing.T) {
	for in, want := range map[string]string{
		"sanctions": "sanction", "sanctioned": "sanction", "sanctioning": "sanction", "sanction": "sanction",
		"trade": "trad", "trading": "trad", "traded": "trad", "trades": "trad",
		"shipped": "ship", "drilled": "drill", "drills": "drill", "aide": "aide", "aid": "aid", "aided": "aid",
		"allies": "ally", "talks": "talk", "crisis": "crisis", "used": "used", "us": "us",
	} {
		if got := stem(in); got != want {
			t.Errorf("stem(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzTag(f *testing.F) {
	f.Add("North Korea’s U.S.-led Chad O'Carroll cyber* -trade war", "N. Korea. U.S.A.")
	f.Add("", "\xff\xfe'’s")
	f.Fuzz(func(t *testing.T, title, summary string) {
		r := testTagger.Tag(Text{Title: title, Summary: summary, Body: title})
		for _, m := range append(r.Countries, r.Themes...) {
			if m.Count < 1 || len(m.Words) == 0 {
				t.Fatalf("match without words: %+v", m)
			}
		}
	})
}

// TestEvidenceIsWeighed: a term in the title or summary, or twice in the
// body, is applied; one weak cue, or one mention in the body, is only
// suggested; weak cues in both title and summary add up to applied.
func TestEvidenceIsWeighed(t *testing.T) {
	tg := New(nil, []Entry{{Key: "diplomacy", Terms: []string{"summit", "~envoy", "~visit"}}})
	cases := []struct {
		name      string
		text      Text
		applied   bool
		suggested bool
		conf      float64
	}{
		{"a term in the title", Text{Title: "Summit in Hanoi"}, true, false, 1},
		{"a term in the summary", Text{Title: "Leaders meet", Summary: "The summit opened"}, true, false, 0.75},
		{"a term once in the body", Text{Title: "Leaders meet", Body: "The summit opened."}, false, true, 0.4},
		{"a term twice in the body", Text{Title: "Leaders meet", Body: "The summit opened. The summit closed."}, true, false, 0.64},
		{"one weak cue in the title", Text{Title: "Envoy attends a concert"}, false, true, 0.45},
		{"weak cues in title and summary", Text{Title: "Envoy arrives", Summary: "The visit lasts two days"}, true, false, 1 - 0.55*(1-0.75*0.45)},
		{"one weak cue in the body", Text{Title: "Concert", Body: "An envoy came."}, false, false, 0.18},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := tg.Tag(c.text)
			if got := len(r.Themes) == 1; got != c.applied {
				t.Errorf("applied %v, want %v (%+v)", r.Themes, c.applied, r)
			}
			if got := len(r.SuggestedThemes) == 1; got != c.suggested {
				t.Errorf("suggested %v, want %v", r.SuggestedThemes, c.suggested)
			}
			for _, m := range append(r.Themes, r.SuggestedThemes...) {
				if math.Abs(m.Confidence-c.conf) > 1e-9 {
					t.Errorf("confidence %.4f, want %.4f", m.Confidence, c.conf)
				}
			}
		})
	}
}

// TestNamePlaceholder: "-Jordan [Name]" makes "Jordan Whitfield" a person,
// not the country, and leaves "Jordan hosts" and "JORDAN ROK" alone.
func TestNamePlaceholder(t *testing.T) {
	tg := New([]Entry{{Key: "JO", Terms: []string{"Jordan", "Amman", "-Jordan [Name]", "-[Name] Jordan"}}, {Key: "KR", Terms: []string{"ROK"}}}, nil)
	for title, want := range map[string][]string{
		"Analyst Jordan Whitfield says":     nil,
		"Michael Jordan visits Pyongyang":   nil,
		"Jordan hosts qualifier in Amman":   {"JO"},
		"Talks in Jordan, Whitfield says":   {"JO"},
		"Jordan ROK match set":              {"JO", "KR"},
		"Officials in Jordan say Amman won": {"JO"},
	} {
		if got := Keys(tg.Tag(Text{Title: title}).Countries); !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Errorf("%q: %v, want %v", title, got, want)
		}
	}
}

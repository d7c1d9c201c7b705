package classify

import (
	"bytes"
	"math"
	"slices"
	"testing"
)

// modelTagger has a small themes vocabulary; the examples below teach its
// models what its rules cannot know: that "coal" shipped is trade, that a
// "drill" of a fire brigade is no troops, that a country after "than"
// is named in passing.
var modelTagger = New([]Entry{
	{Key: "KP", Terms: []string{"North Korea", "North Korean", "Pyongyang"}},
	{Key: "CN", Terms: []string{"China", "Beijing"}},
	{Key: "RU", Terms: []string{"Russia", "Moscow"}},
}, []Entry{
	{Key: "trade", Terms: []string{"trade", "export"}},
	{Key: "troops", Terms: []string{"troop", "drill"}},
})

func modelExamples() (themes, countries []Example) {
	for _, e := range []struct {
		title, summary string
		countries      []string
		themes         []string
	}{
		{"North Korea ships coal to China", "Coal barges left Nampo for Chinese ports", []string{"CN", "KP"}, []string{"trade"}},
		{"Coal shipments to China rise", "Pyongyang sold more coal than last year", []string{"CN", "KP"}, []string{"trade"}},
		{"China buys North Korean coal", "Beijing took coal worth $10M", []string{"CN", "KP"}, []string{"trade"}},
		{"Trade with China grows", "Exports rose, customs say", []string{"CN", "KP"}, []string{"trade"}},
		{"Russia and North Korea hold troop drill", "Soldiers trained near the border", []string{"KP", "RU"}, []string{"troops"}},
		{"Troops drill near Moscow", "North Korean soldiers took part", []string{"KP", "RU"}, []string{"troops"}},
		{"Fire brigade drill in Pyongyang", "Firefighters practised a fire drill at a market", []string{"KP"}, nil},
		{"Pyongyang fire brigade holds drill", "A fire drill at a school, more often than in Russia", []string{"KP"}, nil},
		{"North Korea holds fire drill", "A fire drill at a hotel, more than in China", []string{"KP"}, nil},
		{"North Korea opens a school", "A new school opened, bigger than one in Russia", []string{"KP"}, nil},
		{"Pyongyang opens a market", "A market opened, larger than markets in China", []string{"KP"}, nil},
		{"North Korea opens a park", "The park is larger than Moscow parks", []string{"KP"}, nil},
	} {
		text := Text{Title: e.title, Summary: e.summary}
		themes = append(themes, Example{Text: text, Keys: e.themes})
		countries = append(countries, Example{Text: text, Keys: e.countries})
	}
	return themes, countries
}

var modelOptions = TrainOptions{Lambda: 0.01, MinDocs: 2, Iterations: 500, ApplyAt: 0.5, SuggestAt: 0.3}

// TestModelsLearnWhatRulesCannot: trained on labelled examples, the
// themes model tags a coal shipment as trade without the word, and no
// fire drill as troops; the countries model drops a country named after
// "than"; and the rules' own evidence still counts.
func TestModelsLearnWhatRulesCannot(t *testing.T) {
	themes, countries := modelExamples()
	tg := modelTagger.WithThemesModel(modelTagger.TrainThemes([]string{"trade", "troops"}, themes, modelOptions)).
		WithCountriesModel(modelTagger.TrainCountries(countries, modelOptions))
	for _, c := range []struct {
		title, summary    string
		countries, themes []string
	}{
		{"North Korean coal reaches China", "Barges carried coal to Chinese ports", []string{"KP", "CN"}, []string{"trade"}},
		{"Fire drill at Pyongyang station", "Firefighters held a fire drill", []string{"KP"}, nil},
		{"Troops drill with Russia", "Soldiers trained in Moscow", []string{"RU"}, []string{"troops"}},
		{"North Korea opens a zoo", "The zoo is bigger than one in China", []string{"KP"}, nil},
	} {
		r := tg.Tag(Text{Title: c.title, Summary: c.summary})
		if got := Keys(r.Themes); !slices.Equal(got, c.themes) {
			t.Errorf("%q: themes %v, want %v (suggested %+v)", c.title, got, c.themes, r.SuggestedThemes)
		}
		if got := Keys(r.Countries); !slices.Equal(got, c.countries) {
			t.Errorf("%q: countries %v, want %v", c.title, got, c.countries)
		}
		for _, m := range append(r.Themes, r.Countries...) {
			if len(m.Words)+len(m.Learned) == 0 || m.Confidence < 0.5 || m.Confidence > 1 {
				t.Errorf("%q: %s applied with confidence %.3f and evidence %v", c.title, m.Key, m.Confidence, m.Words)
			}
		}
	}
	// The evidence of a theme found without its keyword names the words.
	r := tg.Tag(Text{Title: "North Korean coal reaches China"})
	if len(r.Themes) != 1 || !slices.Contains(r.Themes[0].Learned, "coal") {
		t.Errorf("trade from coal: evidence %+v, want it to name \"coal\"", r.Themes)
	}
}

// TestModelConfidenceIsItsRegression: the confidence the tagger gives is
// the logistic of the model's bias plus each feature times its weight,
// computed the slow way from ruleFeatures and wordFeatures.
func TestModelConfidenceIsItsRegression(t *testing.T) {
	themes, _ := modelExamples()
	m := modelTagger.TrainThemes([]string{"trade", "troops"}, themes, modelOptions)
	tg := modelTagger.WithThemesModel(m)
	text := Text{Title: "Troops drill as coal trade grows", Summary: "North Korea sold coal to China"}
	var s scan
	s.add(text.Title, WeightTitle)
	s.add(text.Summary, WeightSummary)
	tallies := modelTagger.themes.tally(s.tokens)
	r := tg.Tag(text)
	for _, got := range append(r.Themes, r.SuggestedThemes...) {
		w := m.Keys[got.Key]
		z := w.Bias
		for name, v := range ruleFeatures(got.Key, tallies) {
			z += w.Rules[name] * v
		}
		for _, tl := range tallies {
			if tl.Key == got.Key {
				for _, name := range contextFeatures(tl, s.tokens) {
					z += w.Rules[name]
				}
			}
		}
		for _, f := range wordFeatures(s.tokens) {
			z += w.Words[f.stem] * f.value
		}
		if want := 1 / (1 + math.Exp(-z)); math.Abs(got.Confidence-want) > 1e-12 {
			t.Errorf("%s: confidence %.6f, the regression gives %.6f", got.Key, got.Confidence, want)
		}
	}
	if len(r.Themes)+len(r.SuggestedThemes) == 0 {
		t.Fatal("nothing found to check")
	}
	// The countries' model the same way, from mentionFeatures.
	_, countries := modelExamples()
	cm := modelTagger.TrainCountries(countries, modelOptions)
	ctg := modelTagger.WithCountriesModel(cm)
	ctallies := modelTagger.countries.tally(s.tokens)
	cr := ctg.Tag(text)
	for _, got := range append(cr.Countries, cr.SuggestedCountries...) {
		var tl *tally
		for _, c := range ctallies {
			if c.Key == got.Key {
				tl = c
			}
		}
		z := cm.Bias
		for _, f := range mentionFeatures(tl, ctallies, s.tokens) {
			z += cm.Weights[f.name] * f.v
		}
		if want := 1 / (1 + math.Exp(-z)); math.Abs(got.Confidence-want) > 1e-12 {
			t.Errorf("%s: confidence %.6f, the regression gives %.6f", got.Key, got.Confidence, want)
		}
	}
	if len(cr.Countries)+len(cr.SuggestedCountries) == 0 {
		t.Fatal("no country found to check")
	}
}

// TestTrainingIsRepeatable: the same examples train the same bytes, and
// what ParseModel reads back tags alike.
func TestTrainingIsRepeatable(t *testing.T) {
	themes, _ := modelExamples()
	a := modelTagger.TrainThemes([]string{"trade", "troops"}, themes, modelOptions)
	b := modelTagger.TrainThemes([]string{"trade", "troops"}, themes, modelOptions)
	if !bytes.Equal(a.JSON(), b.JSON()) {
		t.Fatal("two trainings on the same examples differ")
	}
	back, err := ParseModel(a.JSON())
	if err != nil {
		t.Fatal(err)
	}
	text := Text{Title: "Coal shipments to China", Summary: "Fire drill at the port"}
	x, y := modelTagger.WithThemesModel(a).Tag(text), modelTagger.WithThemesModel(back).Tag(text)
	if !slices.Equal(Keys(x.Themes), Keys(y.Themes)) {
		t.Errorf("after a round trip through JSON: %v, before %v", Keys(y.Themes), Keys(x.Themes))
	}
}

// TestUnknownKeyKeepsTheRules: a theme the model has no weights for (made
// after it was trained) is weighed by the rules alone.
func TestUnknownKeyKeepsTheRules(t *testing.T) {
	themes, _ := modelExamples()
	m := modelTagger.TrainThemes([]string{"trade"}, themes, modelOptions)
	r := modelTagger.WithThemesModel(m).Tag(Text{Title: "Troop drill"})
	if got := Keys(r.Themes); !slices.Contains(got, "troops") {
		t.Errorf("themes %v: troops, unknown to the model, found by a term in the title, is not applied", got)
	}
}

// TestModelsLeaveTheBodyToTheRules: the models were trained on titles and
// summaries, so a body is weighed by the rules alone: a country or theme
// mentioned once in it is only suggested, twice applied, and nothing in
// it changes what the models make of the title and summary.
func TestModelsLeaveTheBodyToTheRules(t *testing.T) {
	themes, countries := modelExamples()
	tg := modelTagger.WithThemesModel(modelTagger.TrainThemes([]string{"trade", "troops"}, themes, modelOptions)).
		WithCountriesModel(modelTagger.TrainCountries(countries, modelOptions))
	lead := Text{Title: "Markets rally in Pyongyang", Summary: "Stocks rose on Tuesday"}
	without := tg.Tag(lead)
	once, twice := lead, lead
	once.Body = "Analysts noted that troops in Russia had not moved."
	twice.Body = "Analysts noted that troops in Russia had not moved. Russia said its troops stay."
	r1, r2 := tg.Tag(once), tg.Tag(twice)
	for _, k := range []struct {
		name    string
		applied []string
		r       Result
	}{
		{"once", Keys(without.Countries), r1},
		{"twice", append(Keys(without.Countries), "RU"), r2},
	} {
		if got := Keys(k.r.Countries); !slices.Equal(got, k.applied) {
			t.Errorf("body mentioning Russia %s: countries %v, want %v", k.name, got, k.applied)
		}
	}
	if !slices.Contains(Keys(r1.SuggestedCountries), "RU") || !slices.Contains(Keys(r1.SuggestedThemes), "troops") {
		t.Errorf("one mention in the body: suggested %v %v, want RU and troops", Keys(r1.SuggestedCountries), Keys(r1.SuggestedThemes))
	}
	if !slices.Contains(Keys(r2.Themes), "troops") {
		t.Errorf("two mentions in the body: themes %v, want troops applied", Keys(r2.Themes))
	}
}

package store

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/headlines/headlines/internal/classify"
)

// The tagger's models are trained on the dev parts of the labelled set
// only (see heldOutParts); the test parts are never trained on.
var trainingParts = []string{
	"../classify/testdata/dev.jsonl", "../classify/testdata/dev2.jsonl",
	"../classify/testdata/dev3.jsonl", "../classify/testdata/dev4.jsonl",
}

const (
	themesModelPath    = "../classify/themes.model.json"
	countriesModelPath = "../classify/countries.model.json"
)

// The settings the models are trained with, chosen by five-fold
// cross-validation on the dev parts.
var (
	themesTraining    = classify.TrainOptions{Lambda: 0.00003, MinDocs: 2, Iterations: 3000, ApplyAt: 0.4, SuggestAt: 0.2}
	countriesTraining = classify.TrainOptions{Lambda: 0.001, MinDocs: 2, Iterations: 2000, ApplyAt: 0.5, SuggestAt: 0.3}
)

// TestTaggerModelsAreTrained trains the tagger's models again, with the
// vocabulary the migrations seed, on the dev parts of the labelled set,
// and fails when the models the binary embeds are not what that gives:
// the models are data made from the labelled set, never edited by hand.
// HEADLINES_TRAIN_MODELS=1 writes them (`make tagger-model`).
func TestTaggerModelsAreTrained(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, "sqlite")
	ctx := context.Background()
	countries, err := s.Countries(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	themes, err := s.Themes(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	rules := newRulesTagger(countries, themes)
	var themeSet, countrySet []classify.Example
	for _, path := range trainingParts {
		for _, l := range readLabelled(t, path) {
			text := classify.Text{Title: l.Title, Summary: l.Summary}
			themeSet = append(themeSet, classify.Example{Text: text, Keys: l.Themes})
			countrySet = append(countrySet, classify.Example{Text: text, Keys: l.Countries})
		}
	}
	keys := make([]string, len(themes))
	for i, th := range themes {
		keys[i] = th.Slug
	}
	for _, m := range []struct {
		path string
		json []byte
	}{
		{themesModelPath, rules.TrainThemes(keys, themeSet, themesTraining).JSON()},
		{countriesModelPath, rules.TrainCountries(countrySet, countriesTraining).JSON()},
	} {
		if os.Getenv("HEADLINES_TRAIN_MODELS") != "" {
			if err := os.WriteFile(m.path, m.json, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		have, err := os.ReadFile(m.path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(have, m.json) {
			t.Errorf("%s is not the model the labelled dev parts train: run `make tagger-model` and commit it", m.path)
		}
	}
}

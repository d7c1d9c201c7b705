package api

import (
	"math"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/wire"
)

// ClassifyInput is a text to suggest tags for.
type ClassifyInput struct {
	Title   string `json:"title" example:"Kim Jong Un to send 6K military workers to rebuild Russia’s Kursk: Shoigu"`
	Summary string `json:"summary" example:"North Korean deployment will include 5K construction workers and 1K mine clearance specialists, security chief says"`
	Body    string `json:"body" example:""`
} //	@name	ClassifyInput

// CountrySuggestion is a country the automatic tagger finds in a text,
// with the words that are its evidence and how confident it is.
type CountrySuggestion struct {
	Code       string   `validate:"required" json:"code" example:"RU"`
	Name       string   `validate:"required" json:"name" example:"Russia"`
	Matched    []string `validate:"required" json:"matched" example:"Russia,Kursk,Shoigu"`
	Confidence float64  `validate:"required" json:"confidence" minimum:"0" maximum:"1" example:"1"`
} //	@name	CountrySuggestion

// ThemeSuggestion is a theme the automatic tagger finds in a text, with
// the words that are its evidence and how confident it is.
type ThemeSuggestion struct {
	Slug    string   `validate:"required" json:"slug" example:"labor"`
	Name    string   `validate:"required" json:"name" example:"Labor"`
	Matched []string `validate:"required" json:"matched" example:"workers"`
	// Other words of the text the tagger's trained model weighed most for
	// this theme, beside the keywords in matched (a theme found without
	// any keyword has only these; empty when no word weighed much).
	Weighed    []string `validate:"required" json:"weighed" example:"construction,Kursk"`
	Confidence float64  `validate:"required" json:"confidence" minimum:"0" maximum:"1" example:"1"`
} //	@name	ThemeSuggestion

// Suggested are the tags the automatic tagger finds on weaker evidence:
// shown to editors, never applied.
type Suggested struct {
	Countries []CountrySuggestion `validate:"required" json:"countries"`
	Themes    []ThemeSuggestion   `validate:"required" json:"themes"`
} //	@name	Suggested

// Classification is what the automatic tagger would assign to a text:
// the tags a create without countries or themes gets, and those it only
// suggests.
type Classification struct {
	Countries []CountrySuggestion `validate:"required" json:"countries"`
	Themes    []ThemeSuggestion   `validate:"required" json:"themes"`
	Suggested Suggested           `validate:"required" json:"suggested"`
} //	@name	Classification

// classify godoc
//
//	@Summary		Suggest countries and themes for a text
//	@Description	Runs the automatic tagger, the same one that fills countries or themes when a create, replace or import leaves them out, and returns what it finds with its evidence and a confidence (0-1): what the terms found in order of appearance, then any theme found by the model alone. The tagger reads English. First the vocabulary's terms are matched, each mention weighing its place (title 1, summary 0.75, body 0.4) times its strength (a keyword 1, a weak cue written "~envoy" 0.45); a keyword written "-trade barbs" is a sense rule: those words are no mention of the theme. Then trained models weigh what the terms found in the title and summary, and their confidence is the one returned: for themes, a logistic regression over the terms' evidence and the words of the text (matched lists the keywords, weighed other words that counted most, so a theme can be found without any keyword); for countries, one over how each was mentioned (where, how often, after which words: a country named in passing, "as in Myanmar last year", is not what the story is about). A body is weighed by the terms alone: a key mentioned there twice is applied, once suggested. Themes from 0.4 and countries from 0.5 are applied (countries, themes); from 0.2 and 0.3 they are only suggested (suggested.countries, suggested.themes). A theme made after the models were trained keeps the rules alone: applied from 0.6, suggested from 0.3. The terms are the countries' names and keywords and the themes' keywords (GET /v1/countries/{code}, GET /v1/themes/{slug}); an editor extends a theme's with PATCH /v1/themes/{slug}. Nothing is stored.
//	@Tags			articles
//	@ID				classify
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			text	body		ClassifyInput	true	"the text to tag: at least one of title, summary and body"
//	@Success		200		{object}	Classification
//	@Failure		400		{object}	Problem	"malformed JSON or unknown field"
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"the key is not an editor key"
//	@Failure		413		{object}	Problem
//	@Failure		415		{object}	Problem
//	@Failure		422		{object}	Problem	"no text, a field over its length limit, or a control character a create would refuse"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		429	{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Router			/v1/classify [post]
func (h *handlers) classify(c echo.Context) error {
	body, err := readJSON(c, echo.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	var in ClassifyInput
	if err := wire.DecodeStrict(body, &in); err != nil {
		return err
	}
	in.Title, in.Summary, in.Body = wire.NFC(in.Title), wire.NFC(news.NormalizeNewlines(in.Summary)), wire.NFC(news.NormalizeNewlines(in.Body))
	var p news.Problems
	// The text a create would refuse is refused here too, so that what
	// the tagger suggests is what a create of the same text would store.
	for _, f := range []struct {
		name, value string
		max         int
		multiline   bool
	}{{"title", in.Title, news.MaxTitle, false}, {"summary", in.Summary, news.MaxSummary, true}, {"body", in.Body, news.MaxBody, true}} {
		if n := utf8.RuneCountInString(f.value); n > f.max {
			p.Add(f.name, "must be at most %d characters, got %d", f.max, n)
		} else if msg := textProblem(f.name, strings.TrimSpace(f.value), f.multiline); msg != "" {
			p.Add(f.name, "%s", msg)
		}
	}
	if strings.TrimSpace(in.Title+in.Summary+in.Body) == "" {
		p.Add("title", "at least one of title, summary and body is required")
	}
	if err := p.Err(news.EValidation, "the text has invalid fields"); err != nil {
		return err
	}
	v := h.vocab.Vocabulary()
	found := v.Classify(in.Title, in.Summary, in.Body)
	out := Classification{Countries: countrySuggestions(v, found.Countries), Themes: themeSuggestions(v, found.Themes),
		Suggested: Suggested{Countries: countrySuggestions(v, found.SuggestedCountries), Themes: themeSuggestions(v, found.SuggestedThemes)}}
	return c.JSON(http.StatusOK, out)
}

// textProblem is what a create would refuse in a field's characters.
func textProblem(name, value string, multiline bool) string {
	if name == "title" {
		return news.TitleTextProblem(value)
	}
	return news.ControlProblem(value, multiline)
}

// confidence rounds a tagger's confidence for an answer.
func confidence(c float64) float64 { return math.Round(c*1000) / 1000 }

func countrySuggestions(v *news.Vocabulary, list []news.Suggestion) []CountrySuggestion {
	out := make([]CountrySuggestion, 0, len(list))
	for _, s := range list {
		out = append(out, CountrySuggestion{Code: s.Key, Name: v.CountryName(s.Key), Matched: wire.OrEmpty(s.Words), Confidence: confidence(s.Confidence)})
	}
	return out
}

func themeSuggestions(v *news.Vocabulary, list []news.Suggestion) []ThemeSuggestion {
	out := make([]ThemeSuggestion, 0, len(list))
	for _, s := range list {
		out = append(out, ThemeSuggestion{Slug: s.Key, Name: v.ThemeName(s.Key), Matched: wire.OrEmpty(s.Words), Weighed: wire.OrEmpty(s.Learned), Confidence: confidence(s.Confidence)})
	}
	return out
}

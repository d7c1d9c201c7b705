package api

import (
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

// CountrySuggestion is a country the automatic tagger finds in a text.
type CountrySuggestion struct {
	Code    string   `validate:"required" json:"code" example:"RU"`
	Name    string   `validate:"required" json:"name" example:"Russia"`
	Matched []string `validate:"required" json:"matched" example:"Russia,Kursk,Shoigu"`
} //	@name	CountrySuggestion

// ThemeSuggestion is a theme the automatic tagger finds in a text.
type ThemeSuggestion struct {
	Slug    string   `validate:"required" json:"slug" example:"labor"`
	Name    string   `validate:"required" json:"name" example:"Labor"`
	Matched []string `validate:"required" json:"matched" example:"workers"`
} //	@name	ThemeSuggestion

// Classification is what the automatic tagger would assign to a text:
// the tags a create without countries or themes gets.
type Classification struct {
	Countries []CountrySuggestion `validate:"required" json:"countries"`
	Themes    []ThemeSuggestion   `validate:"required" json:"themes"`
} //	@name	Classification

// classify godoc
//
//	@Summary		Suggest countries and themes for a text
//	@Description	Runs the automatic tagger, the same one that fills countries or themes when a create, replace or import leaves them out, and returns what it finds with the words that matched, in order of appearance. A country or theme counts when its terms appear in the title or summary, or twice in the body. The terms are the countries' names and keywords and the themes' keywords (GET /v1/countries/{code}, GET /v1/themes/{slug}); an editor extends a theme's with PATCH /v1/themes/{slug}. Nothing is stored.
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
		} else if msg := news.ControlProblem(strings.TrimSpace(f.value), f.multiline); msg != "" {
			p.Add(f.name, "%s", msg)
		}
	}
	if strings.TrimSpace(in.Title+in.Summary+in.Body) == "" {
		p.Add("title", "at least one of title, summary and body is required")
	}
	if err := p.Err(news.EValidation, "the text has invalid fields"); err != nil {
		return err
	}
	ctx := c.Request().Context()
	found, err := h.vocab.Classify(ctx, in.Title, in.Summary, in.Body)
	if err != nil {
		return err
	}
	out := Classification{Countries: []CountrySuggestion{}, Themes: []ThemeSuggestion{}}
	for _, s := range found.Countries {
		out.Countries = append(out.Countries, CountrySuggestion{Code: s.Key, Name: h.vocab.CountryName(s.Key), Matched: s.Words})
	}
	for _, s := range found.Themes {
		out.Themes = append(out.Themes, ThemeSuggestion{Slug: s.Key, Name: h.vocab.ThemeName(ctx, s.Key), Matched: s.Words})
	}
	return c.JSON(http.StatusOK, out)
}

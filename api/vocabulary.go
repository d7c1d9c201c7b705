package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/wire"
)

// Country is an ISO 3166-1 country with the names requests may use for it.
type Country struct {
	Code         string   `validate:"required" json:"code" example:"RU"`
	Name         string   `validate:"required" json:"name" example:"Russia"`
	Aliases      []string `validate:"required" json:"aliases" example:"Russian Federation"`
	Keywords     []string `validate:"required" json:"keywords" example:"Moscow,Kremlin,Putin"`
	ArticleCount int      `validate:"required" json:"article_count" example:"5"`
} //	@name	Country

// Theme is a topic of the theme vocabulary.
type Theme struct {
	Slug         string   `validate:"required" json:"slug" example:"troops"`
	Name         string   `validate:"required" json:"name" example:"Troops"`
	Description  string   `validate:"required" json:"description" example:"Military deployments, drills, arms transfers and military cooperation"`
	Aliases      []string `validate:"required" json:"aliases" example:"military"`
	Keywords     []string `validate:"required" json:"keywords" example:"troop,soldier,drill,-trade war"`
	ArticleCount int      `validate:"required" json:"article_count" example:"4"`
} //	@name	Theme

// ThemeInput creates a theme.
type ThemeInput struct {
	Slug        string   `validate:"required" json:"slug" example:"energy"`
	Name        string   `validate:"required" json:"name" example:"Energy"`
	Description string   `json:"description" example:"Oil, coal and electricity supplies"`
	Aliases     []string `json:"aliases" example:"oil,fuel"`
	// The automatic tagger's terms; the lower-case name when left out.
	Keywords []string `json:"keywords" example:"energy,oil,coal,electricity,power shortage"`
} //	@name	ThemeInput

// ThemePatch is a merge patch of a theme; a new slug renames it.
type ThemePatch struct {
	Slug        *string   `json:"slug" example:"energy-supply"`
	Name        *string   `json:"name" example:"Energy supply"`
	Description *string   `json:"description"`
	Aliases     *[]string `json:"aliases"`
	Keywords    *[]string `json:"keywords" example:"energy,oil,coal,fuel,electricity"`
} //	@name	ThemePatch

// nulls applies the null members of a merge patch, raw: description
// becomes empty, aliases and keywords empty lists; slug and name cannot
// be null, and a patch that makes them so is refused naming them and
// every other wrong member, as a theme with them checks them.
func (in *ThemePatch) nulls(raw map[string]json.RawMessage) error {
	var p news.Problems
	for _, name := range wire.NullMembers(raw) {
		switch name {
		case "slug", "name":
			p.Add(name, "cannot be null")
		case "description":
			in.Description = new(string)
		case "aliases":
			in.Aliases = &[]string{}
		case "keywords":
			in.Keywords = &[]string{}
		}
	}
	if len(p) == 0 {
		return nil
	}
	// The other members, on a theme valid in every field.
	t := in.update().Apply(news.Theme{Slug: "valid-slug", Name: "A valid name"})
	p = append(p, wire.SetProblems(t.Normalize(), raw, p)...)
	return p.Err(news.EValidation, "the patch has invalid fields")
}

// update is the domain update of the patch.
func (in *ThemePatch) update() news.ThemeUpdate {
	return news.ThemeUpdate{Slug: in.Slug, Name: in.Name, Description: in.Description, Aliases: in.Aliases, Keywords: in.Keywords}
}

// CountryList is the country vocabulary.
type CountryList struct {
	Data []Country `validate:"required" json:"data"`
} //	@name	CountryList

// ThemeList is the theme vocabulary.
type ThemeList struct {
	Data []Theme `validate:"required" json:"data"`
} //	@name	ThemeList

func toCountry(c news.Country) Country {
	return Country{Code: c.Code, Name: c.Name, Aliases: c.Aliases, Keywords: c.Keywords, ArticleCount: c.ArticleCount}
}

func toTheme(t news.Theme) Theme {
	return Theme{Slug: t.Slug, Name: t.Name, Description: t.Description, Aliases: t.Aliases, Keywords: t.Keywords,
		ArticleCount: t.ArticleCount}
}

// parseUsed reads the only parameter of the vocabulary lists.
func parseUsed(c echo.Context) (bool, error) {
	query := c.QueryParams()
	for _, name := range paramOrder(query) {
		if name != "used" {
			return false, unknownParam(name, []string{"used"})
		}
	}
	vals, ok := query["used"]
	if !ok {
		return false, nil
	}
	if len(vals) > 1 {
		return false, news.FieldErrorf(news.EInvalid, "used", "may be given only once")
	}
	b, err := strconv.ParseBool(vals[0])
	if err != nil {
		return false, news.FieldErrorf(news.EInvalid, "used", "must be true or false, got %q", vals[0])
	}
	return b, nil
}

// listCountries godoc
//
//	@Summary		List countries
//	@Description	Every ISO 3166-1 alpha-2 country with its aliases (what filters accept), the automatic tagger's keywords (besides the name: demonyms, capitals, institutions, leaders) and the number of published articles tagged with it.
//	@Tags			countries
//	@ID				listCountries
//	@Produce		json,application/problem+json
//	@Param			If-None-Match	header		string	false	"ETag of a copy the client holds"
//	@Param			used			query		bool	false	"only countries with articles"
//	@Success		200				{object}	CountryList
//	@Header			200				{string}	ETag	"validator for If-None-Match"
//	@Success		304				"not modified: the If-None-Match ETag is current"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem	"a key was sent and is not valid"
//	@Failure		429				{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		503				{object}	Problem	"the database is unavailable"
//	@Router			/v1/countries [get]
func (h *handlers) listCountries(c echo.Context) error {
	used, err := parseUsed(c)
	if err != nil {
		return err
	}
	list, err := h.vocab.Countries(c.Request().Context(), used)
	if err != nil {
		return err
	}
	out := CountryList{Data: make([]Country, len(list))}
	for i, x := range list {
		out.Data[i] = toCountry(x)
	}
	return c.JSON(http.StatusOK, out)
}

// getCountry godoc
//
//	@Summary		Get a country
//	@Description	By code, English name or alias, in any case.
//	@Tags			countries
//	@ID				getCountry
//	@Produce		json,application/problem+json
//	@Param			If-None-Match	header		string	false	"ETag of a copy the client holds"
//	@Param			code			path		string	true	"code, name or alias"	example(RU)
//	@Success		200				{object}	Country
//	@Header			200				{string}	ETag	"validator for If-None-Match"
//	@Success		304				"not modified: the If-None-Match ETag is current"
//	@Failure		400				{object}	Problem	"malformed If-None-Match"
//	@Failure		401				{object}	Problem	"a key was sent and is not valid"
//	@Failure		404				{object}	Problem
//	@Failure		429				{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		503				{object}	Problem	"the database is unavailable"
//	@Router			/v1/countries/{code} [get]
func (h *handlers) getCountry(c echo.Context) error {
	x, err := h.vocab.Country(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toCountry(x))
}

// listThemes godoc
//
//	@Summary		List themes
//	@Description	The theme vocabulary with the number of published articles carrying each theme.
//	@Tags			themes
//	@ID				listThemes
//	@Produce		json,application/problem+json
//	@Param			If-None-Match	header		string	false	"ETag of a copy the client holds"
//	@Param			used			query		bool	false	"only themes with articles"
//	@Success		200				{object}	ThemeList
//	@Header			200				{string}	ETag	"validator for If-None-Match"
//	@Success		304				"not modified: the If-None-Match ETag is current"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem	"a key was sent and is not valid"
//	@Failure		429				{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		503				{object}	Problem	"the database is unavailable"
//	@Router			/v1/themes [get]
func (h *handlers) listThemes(c echo.Context) error {
	used, err := parseUsed(c)
	if err != nil {
		return err
	}
	list, err := h.vocab.Themes(c.Request().Context(), used)
	if err != nil {
		return err
	}
	out := ThemeList{Data: make([]Theme, len(list))}
	for i, x := range list {
		out.Data[i] = toTheme(x)
	}
	return c.JSON(http.StatusOK, out)
}

// getTheme godoc
//
//	@Summary		Get a theme
//	@Description	By slug, name or alias, in any case.
//	@Tags			themes
//	@ID				getTheme
//	@Produce		json,application/problem+json
//	@Param			If-None-Match	header		string	false	"ETag of a copy the client holds"
//	@Param			slug			path		string	true	"slug, name or alias"	example(military)
//	@Success		200				{object}	Theme
//	@Header			200				{string}	ETag	"validator for If-None-Match"
//	@Success		304				"not modified: the If-None-Match ETag is current"
//	@Failure		400				{object}	Problem	"malformed If-None-Match"
//	@Failure		401				{object}	Problem	"a key was sent and is not valid"
//	@Failure		404				{object}	Problem
//	@Failure		429				{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		503				{object}	Problem	"the database is unavailable"
//	@Router			/v1/themes/{slug} [get]
func (h *handlers) getTheme(c echo.Context) error {
	t, err := h.vocab.Theme(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	return jsonETag(c, http.StatusOK, toTheme(t))
}

// createTheme godoc
//
//	@Summary		Create a theme
//	@Description	Adds a theme to the vocabulary. keywords are the automatic tagger's terms (the lower-case name when left out); they apply to new writes at once. Needs an editor key.
//	@Tags			themes
//	@ID				createTheme
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			theme	body		ThemeInput	true	"the new theme"
//	@Success		201		{object}	Theme
//	@Header			201		{string}	ETag	"the ETag a GET of the theme answers with"
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"the key is a reader key"
//	@Failure		409		{object}	Problem	"slug, name or alias already used"
//	@Failure		415		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		429	{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		507	{object}	Problem	"the database's storage is full: nothing was stored; Retry-After says when to try again"
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/themes [post]
func (h *handlers) createTheme(c echo.Context) error {
	body, err := readJSON(c, echo.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	var in ThemeInput
	if err := wire.DecodeStrict(body, &in); err != nil {
		return err
	}
	t, err := h.vocab.CreateTheme(c.Request().Context(), news.Theme{Slug: in.Slug, Name: in.Name, Description: in.Description, Aliases: in.Aliases, Keywords: in.Keywords})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, baseURL(c)+"/v1/themes/"+t.Slug)
	return jsonETag(c, http.StatusCreated, toTheme(t))
}

// updateTheme godoc
//
//	@Summary		Update or rename a theme
//	@Description	Merge patch; a new slug renames the theme and its articles keep it: each of them, drafts included, gets a new version (so a new ETag) and updated_at, and an entry in the change feed, all in one transaction. The theme still answers to its name and aliases, so send a new name too if the old slug is one. keywords are the automatic tagger's terms for the theme: lower-case words also match their inflections (sanction: sanctions, sanctioned), capitals match only capitals (OFAC), "cyber*" matches words beginning so, and "-trade war" marks words that are no mention of it. A null description, aliases or keywords clears it; a null slug or name is a 422. New keywords apply to new writes at once; run headlines retag to bring automatically tagged articles up to date. With If-Match (the ETag of the theme's GET), a stale ETag is a 412 and nothing changes. Needs an editor key.
//	@Tags			themes
//	@ID				updateTheme
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json,application/problem+json
//	@Param			slug		path		string		true	"theme slug"	example(troops)
//	@Param			patch		body		ThemePatch	true	"the members to change"
//	@Param			If-Match	header		string		false	"ETag the change is based on, as the theme's GET gave it"
//	@Failure		412			{object}	Problem		"stale If-Match"
//	@Success		200			{object}	Theme
//	@Header			200			{string}	ETag	"the ETag a GET of the theme now answers with"
//	@Failure		400			{object}	Problem
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem	"the key is a reader key"
//	@Failure		404			{object}	Problem
//	@Failure		409			{object}	Problem
//	@Failure		415			{object}	Problem
//	@Failure		422			{object}	Problem
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		429	{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		507	{object}	Problem	"the database's storage is full: nothing was stored; Retry-After says when to try again"
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/themes/{slug} [patch]
func (h *handlers) updateTheme(c echo.Context) error {
	body, err := readJSON(c, "application/merge-patch+json", echo.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return news.Errorf(news.EInvalid, "a merge patch must be a JSON object")
	}
	var in ThemePatch
	if err := wire.DecodeStrict(body, &in); err != nil {
		return err
	}
	if err := in.nulls(raw); err != nil {
		return err
	}
	slug, err := themeSlug(c)
	if err != nil {
		return err
	}
	if err := h.themeIfMatch(c, slug); err != nil {
		return err
	}
	t, err := h.vocab.UpdateTheme(c.Request().Context(), slug, in.update())
	if err != nil {
		return err
	}
	return jsonETag(c, http.StatusOK, toTheme(t))
}

// deleteTheme godoc
//
//	@Summary		Delete a theme
//	@Description	Only a theme that no article carries, drafts included, can be deleted (409 otherwise), so a delete changes no article. With If-Match (the ETag of the theme's GET), a stale ETag is a 412 and nothing is deleted. Needs an editor key.
//	@Tags			themes
//	@ID				deleteTheme
//	@Produce		application/problem+json
//	@Param			slug		path	string	true	"theme slug"
//	@Param			If-Match	header	string	false	"ETag the delete is based on, as the theme's GET gave it"
//	@Success		204			"deleted"
//	@Failure		412			{object}	Problem	"stale If-Match"
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem	"the key is a reader key"
//	@Failure		404			{object}	Problem
//	@Failure		409			{object}	Problem	"theme still in use"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		429	{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		507	{object}	Problem	"the database's storage is full: nothing was stored; Retry-After says when to try again"
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/themes/{slug} [delete]
func (h *handlers) deleteTheme(c echo.Context) error {
	slug, err := themeSlug(c)
	if err != nil {
		return err
	}
	if err := h.themeIfMatch(c, slug); err != nil {
		return err
	}
	if err := h.vocab.DeleteTheme(c.Request().Context(), slug); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// themeIfMatch checks If-Match on a write of the theme slug names
// against the ETag its GET answers with now: a stale one is a 412 and
// nothing changes. If-Match compares strongly (RFC 9110), and a theme's
// ETag is the strong digest of its answer (the ETag of a compressed
// answer, "…-gzip", names the same). The check precedes the write: two
// editors who send the same ETag within the write's own few
// milliseconds can both pass it.
func (h *handlers) themeIfMatch(c echo.Context, slug string) error {
	v, tags, err := ifMatchTags(c)
	if err != nil || tags == nil {
		return err
	}
	t, err := h.vocab.Theme(c.Request().Context(), slug)
	if err != nil {
		return err
	}
	body, err := jsonBody(toTheme(t))
	if err != nil {
		return err
	}
	current := strongBodyETag(body)
	for _, tag := range tags {
		if identityETag(tag) == current {
			return nil
		}
	}
	return news.FieldErrorf(news.EPreconditionFailed, "If-Match", "%s does not match theme %s, whose ETag is now %s: GET it again and send the ETag it answers with", v, slug, current)
}

// themeSlug is the {slug} of a theme write. No theme's slug holds a
// control character, so one that does names no theme, and never reaches
// the database (PostgreSQL refuses NUL in text).
func themeSlug(c echo.Context) (string, error) {
	slug := c.Param("slug")
	if news.ControlProblem(slug, false) != "" {
		return "", news.Errorf(news.ENotFound, "no theme %q", slug)
	}
	return slug, nil
}

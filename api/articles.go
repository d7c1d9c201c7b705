package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/wire"
)

// listArticles godoc
//
//	@Summary		List articles
//	@Description	Newest first by default, filtered by country, theme, text, dates and more. Pages are keyset: pass next_cursor back as cursor; the Link header carries the next page's URL. Countries and themes take codes, names or aliases in any case (RU, russia, Russian Federation; troops, military). Unknown or repeated parameters are errors.
//	@Tags			articles
//	@ID				listArticles
//	@Produce		json,application/problem+json
//	@Param			If-None-Match	header		string		false	"ETag of a copy the client holds"
//	@Param			country			query		[]string	false	"any of these countries (codes, names or aliases)"																	collectionFormat(csv)	example(RU)
//	@Param			country_all		query		[]string	false	"all of these countries"																							collectionFormat(csv)
//	@Param			country_not		query		[]string	false	"none of these countries (one that country_all requires, or every value of country, is a 400: nothing could match)"	collectionFormat(csv)
//	@Param			theme			query		[]string	false	"any of these themes (slugs, names or aliases)"																		collectionFormat(csv)
//	@Param			theme_all		query		[]string	false	"all of these themes"																								collectionFormat(csv)
//	@Param			theme_not		query		[]string	false	"none of these themes (one that theme_all requires, or every value of theme, is a 400: nothing could match)"		collectionFormat(csv)
//	@Param			q				query		string		false	"full-text search over title, summary and body; words are ANDed; a phrase in double quotes matches as a phrase"
//	@Param			since			query		string		false	"published at or after (RFC 3339 or YYYY-MM-DD)"
//	@Param			until			query		string		false	"published before (RFC 3339 or YYYY-MM-DD)"
//	@Param			source			query		string		false	"exact source"
//	@Param			section			query		string		false	"exact section slug"
//	@Param			language		query		string		false	"language tag, in any case (ko-KR = ko-kr)"
//	@Param			sort			query		string		false	"order; ties break on id. relevance ranks the matches of q by how well they match, among its 2,000 newest matches only (older matches are left out), which bounds the articles scored however common the words are; equal ranks go by the minute published, newest first, then by id"	Enums(-published_at, published_at, relevance)	default(-published_at)
//	@Param			limit			query		int			false	"page size"																																																																				minimum(1)										maximum(100)	default(20)
//	@Param			cursor			query		string		false	"next_cursor of the previous page"
//	@Param			fields			query		[]string	false	"top-level fields to return; id always comes; body only when named"	collectionFormat(csv)	example(title,countries,published_at)
//	@Param			include_total	query		bool		false	"add total, the number of matching articles (with sort=relevance, of those it ranks: at most 2,000)"
//	@Param			facets			query		[]string	false	"add counts per country and/or theme over the whole filtered set (with sort=relevance, over the matches it ranks)"	collectionFormat(csv)	Enums(country, theme)
//	@Success		200				{object}	ArticleList
//	@Header			200				{string}	ETag	"validator for If-None-Match"
//	@Success		304				"not modified: the If-None-Match ETag is current"
//	@Header			200				{string}	Link	"<...>; rel=\"next\" when another page follows"
//	@Failure		400				{object}	Problem	"bad parameter"
//	@Failure		401				{object}	Problem	"a key was sent and is not valid, or sent in the URL"
//	@Failure		503				{object}	Problem	"the database is unavailable, or a search, total, facets or exclusion found every slot for such reads taken or ran past its time limit; Retry-After says when to try again"
//	@Failure		429				{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Router			/v1/articles [get]
func (h *handlers) listArticles(c echo.Context) error {
	lr, err := parseList(c.QueryParams(), listParams, h.vocab.Vocabulary(), h.cursors, isEditor(c))
	if err != nil {
		return err
	}
	f := lr.filter
	// The list's own JSON of each article, as the store keeps it, where
	// the answer shows the list's fields.
	f.ListJSON = lr.fields == wire.ListFields
	page, err := h.list(c, f)
	if err != nil {
		return err
	}
	buf := getBuf()
	defer putBuf(buf)
	w := wire.NewWriter(buf)
	buf.Grow(512 + 640*len(page.Articles))
	buf.WriteString(`{"data":[`)
	for i := range page.Articles {
		if i > 0 {
			buf.WriteByte(',')
		}
		if a := &page.Articles[i]; a.ListJSON != "" {
			buf.WriteString(a.ListJSON)
		} else {
			w.Article(a, lr.fields)
		}
	}
	buf.WriteString(`],"next_cursor":`)
	if page.Next != nil {
		next := h.cursors.encode(*page.Next, lr.filter)
		w.Str(next)
		q := c.QueryParams()
		q.Set("cursor", next)
		c.Response().Header().Set("Link", "<"+baseURL(c)+"/v1/articles?"+q.Encode()+`>; rel="next"`)
	} else {
		buf.WriteString("null")
	}
	if page.Total != nil {
		buf.WriteString(`,"total":`)
		w.Int(int64(*page.Total))
	}
	if page.Facets != nil {
		facets := map[string][]Facet{}
		for name, counts := range page.Facets {
			list := make([]Facet, len(counts))
			for i, fc := range counts {
				list[i] = Facet{Value: fc.Key, Count: fc.Count}
			}
			facets[name] = list
		}
		enc, _ := json.Marshal(facets)
		buf.WriteString(`,"facets":`)
		buf.Write(enc)
	}
	buf.WriteString("}\n")
	return c.JSONBlob(http.StatusOK, buf.Bytes())
}

// articleID reads the {id} path parameter.
func articleID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, news.FieldErrorf(news.EInvalid, "id", "must be a positive whole number, got %q", c.Param("id"))
	}
	return id, nil
}

func etag(a news.Article) string {
	return `"` + strconv.FormatInt(a.ID, 10) + "." + strconv.Itoa(a.Version) + `"`
}

// ifMatch reads If-Match for article id: 0 when absent or "*", else the
// version it names. If-Match compares strongly (RFC 9110), so a weak or
// foreign ETag never matches; the ETag of a compressed answer ("3.2-gzip")
// names the same version as the plain one. A value that is not "*" or
// quoted entity tags is a 400 that shows the quoting: unquoted, it would
// never match, and the 412 would read as someone else's change. When the
// server requires If-Match, a request without one is refused with 428.
func (h *handlers) ifMatch(c echo.Context, id int64) (int, error) {
	v, tags, err := ifMatchTags(c)
	if v == "" && h.requireIfMatch {
		return 0, news.FieldErrorf(news.EPreconditionNeeded, "If-Match",
			"this server requires If-Match on changes: GET the article and send its ETag")
	}
	if err != nil || tags == nil {
		return 0, err
	}
	prefix := `"` + strconv.FormatInt(id, 10) + "."
	for _, tag := range tags {
		tag = identityETag(tag)
		if strings.HasPrefix(tag, prefix) {
			if n, err := strconv.Atoi(tag[len(prefix) : len(tag)-1]); err == nil && n > 0 {
				return n, nil
			}
		}
	}
	return 0, news.Errorf(news.EPreconditionFailed, "If-Match %s does not match article %d: GET it again and send the ETag it answers with", v, id)
}

// sendArticle answers one article with its ETag.
func sendArticle(c echo.Context, status int, a news.Article) error {
	c.Response().Header().Set("ETag", etag(a))
	c.Response().Header().Set(echo.HeaderLastModified, a.UpdatedAt.UTC().Format(http.TimeFormat))
	buf := getBuf()
	defer putBuf(buf)
	wire.NewWriter(buf).Article(&a, wire.AllFields)
	buf.WriteByte('\n')
	return c.JSONBlob(status, buf.Bytes())
}

// getArticle godoc
//
//	@Summary		Get an article
//	@Description	One article with its body. Drafts are visible only with an editor key. Answers 304 to a matching If-None-Match.
//	@Tags			articles
//	@ID				getArticle
//	@Produce		json,application/problem+json
//	@Param			id				path		int		true	"article id"	example(3)
//	@Param			If-None-Match	header		string	false	"ETag of a copy the client holds"
//	@Success		200				{object}	wire.Article
//	@Header			200				{string}	ETag	"the version of this article: id.version in double quotes, with -gzip before the closing quote when the answer is gzip-compressed"
//	@Success		304				"not modified"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem	"a key was sent and is not valid"
//	@Failure		404				{object}	Problem
//	@Failure		429				{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		503				{object}	Problem	"the database is unavailable"
//	@Router			/v1/articles/{id} [get]
func (h *handlers) getArticle(c echo.Context) error {
	id, err := articleID(c)
	if err != nil {
		return err
	}
	a, err := h.articles.Article(c.Request().Context(), id, isEditor(c))
	if err != nil {
		return err
	}
	return sendArticle(c, http.StatusOK, a)
}

func (h *handlers) readInput(c echo.Context) (news.Draft, error) {
	body, err := readJSON(c, echo.MIMEApplicationJSON)
	if err != nil {
		return news.Draft{}, err
	}
	var in wire.ArticleInput
	if err := wire.DecodeStrict(body, &in); err != nil {
		return news.Draft{}, err
	}
	return in.Draft(c.Request().Context(), h.vocab)
}

// createArticle godoc
//
//	@Summary		Create an article
//	@Description	Countries and themes take codes, names or aliases. Left out, the automatic tagger fills them from the title, summary and body, and tag_source says "auto" (POST /v1/classify shows what it would find); an explicit list, even [], is kept and marked "editor". url and image_url are stored in their RFC 3986 normal form (scheme and host in lower case, no default port, no fragment, percent-encoding normalized, dot segments resolved; the query as sent), and a url already stored in any spelling of that form is a 409 naming the existing article. summary and body may hold tab and newline (CRLF and CR are stored as newline) but no other control character; title, source and author none.
//	@Tags			articles
//	@ID				createArticle
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			Idempotency-Key	header		string				false	"makes a retry safe: a repeat with the same key and body gets the first answer (Idempotent-Replayed: true), not a second article"
//	@Param			article			body		wire.ArticleInput	true	"the new article"
//	@Success		201				{object}	wire.Article
//	@Header			201				{string}	Location	"URL of the new article"
//	@Header			201				{string}	ETag		"version of the new article"
//	@Failure		400				{object}	Problem		"malformed JSON or unknown field"
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem	"the key is not an editor key"
//	@Failure		409				{object}	Problem	"url already stored (existing_id), or a request with this Idempotency-Key still in progress"
//	@Failure		413				{object}	Problem
//	@Failure		415				{object}	Problem
//	@Failure		422				{object}	Problem	"invalid fields, all listed; or an Idempotency-Key reused with another body"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		429	{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		507	{object}	Problem	"the database's storage is full: nothing was stored; Retry-After says when to try again"
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/articles [post]
func (h *handlers) createArticle(c echo.Context) error {
	d, err := h.readInput(c)
	if err != nil {
		return err
	}
	a, err := h.createOnce(c, d)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, baseURL(c)+"/v1/articles/"+strconv.FormatInt(a.ID, 10))
	return sendArticle(c, http.StatusCreated, a)
}

// replaceArticle godoc
//
//	@Summary		Replace an article
//	@Description	Full replace: fields left out take their defaults, except published_at, which keeps the stored time, and countries and themes, which the automatic tagger fills (tag_source "auto"). With If-Match, a stale ETag is a 412 and nothing changes.
//	@Tags			articles
//	@ID				replaceArticle
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			id			path		int					true	"article id"	example(3)
//	@Param			If-Match	header		string				false	"ETag the change is based on, double quotes included, exactly as the ETag header gave it (gzip-compressed or not); without its quotes it is a 400"
//	@Param			article		body		wire.ArticleInput	true	"the whole article"
//	@Success		200			{object}	wire.Article
//	@Failure		400			{object}	Problem
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem	"the key is not an editor key"
//	@Failure		404			{object}	Problem
//	@Failure		409			{object}	Problem
//	@Failure		412			{object}	Problem	"stale If-Match"
//	@Failure		428			{object}	Problem	"If-Match missing where the server requires it"
//	@Failure		413			{object}	Problem
//	@Failure		415			{object}	Problem
//	@Failure		422			{object}	Problem
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		429	{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		507	{object}	Problem	"the database's storage is full: nothing was stored; Retry-After says when to try again"
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/articles/{id} [put]
func (h *handlers) replaceArticle(c echo.Context) error {
	id, err := articleID(c)
	if err != nil {
		return err
	}
	version, err := h.ifMatch(c, id)
	if err != nil {
		return err
	}
	d, err := h.readInput(c)
	if err != nil {
		return err
	}
	a, err := h.articles.ReplaceArticle(c.Request().Context(), id, d, version)
	if err != nil {
		return err
	}
	return sendArticle(c, http.StatusOK, a)
}

// updateArticle godoc
//
//	@Summary		Update an article
//	@Description	JSON merge patch (RFC 7386): members sent replace, null clears url, image_url, author, summary, body and tag lists. A tag list the patch sets becomes the editor's; one the automatic tagger chose stays automatic and is tagged again from the patched text. With If-Match, a stale ETag is a 412 and nothing changes.
//	@Tags			articles
//	@ID				updateArticle
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json,application/problem+json
//	@Param			id			path		int					true	"article id"	example(3)
//	@Param			If-Match	header		string				false	"ETag the change is based on, double quotes included, exactly as the ETag header gave it (gzip-compressed or not); without its quotes it is a 400"
//	@Param			patch		body		wire.ArticlePatch	true	"the members to change"
//	@Success		200			{object}	wire.Article
//	@Failure		400			{object}	Problem
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem	"the key is not an editor key"
//	@Failure		404			{object}	Problem
//	@Failure		409			{object}	Problem
//	@Failure		412			{object}	Problem	"stale If-Match"
//	@Failure		428			{object}	Problem	"If-Match missing where the server requires it"
//	@Failure		413			{object}	Problem
//	@Failure		415			{object}	Problem
//	@Failure		422			{object}	Problem
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		429	{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		507	{object}	Problem	"the database's storage is full: nothing was stored; Retry-After says when to try again"
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/articles/{id} [patch]
func (h *handlers) updateArticle(c echo.Context) error {
	id, err := articleID(c)
	if err != nil {
		return err
	}
	version, err := h.ifMatch(c, id)
	if err != nil {
		return err
	}
	body, err := readJSON(c, "application/merge-patch+json", echo.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return news.Errorf(news.EInvalid, "a merge patch must be a JSON object")
	}
	var in wire.ArticlePatch
	if err := wire.DecodeStrict(body, &in); err != nil {
		return err
	}
	u, err := in.Update(raw, h.vocab.Vocabulary())
	if err != nil {
		return err
	}
	a, err := h.articles.UpdateArticle(c.Request().Context(), id, u, version)
	if err != nil {
		return err
	}
	return sendArticle(c, http.StatusOK, a)
}

// deleteArticle godoc
//
//	@Summary		Delete an article
//	@Description	The article disappears from reads; a tombstone is kept for sync. With If-Match, a stale ETag is a 412 and nothing changes.
//	@Tags			articles
//	@ID				deleteArticle
//	@Produce		application/problem+json
//	@Param			id			path	int		true	"article id (no example: Swagger UI would delete a demo article on Execute)"
//	@Param			If-Match	header	string	false	"ETag the deletion is based on, double quotes included, exactly as the ETag header gave it (gzip-compressed or not); without its quotes it is a 400"
//	@Success		204			"deleted"
//	@Failure		400			{object}	Problem
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem	"the key is not an editor key"
//	@Failure		404			{object}	Problem
//	@Failure		412			{object}	Problem	"stale If-Match"
//	@Failure		428			{object}	Problem	"If-Match missing where the server requires it"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		429	{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		507	{object}	Problem	"the database's storage is full: nothing was stored; Retry-After says when to try again"
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/articles/{id} [delete]
func (h *handlers) deleteArticle(c echo.Context) error {
	id, err := articleID(c)
	if err != nil {
		return err
	}
	version, err := h.ifMatch(c, id)
	if err != nil {
		return err
	}
	if err := h.articles.DeleteArticle(c.Request().Context(), id, version); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

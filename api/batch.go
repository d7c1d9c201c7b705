package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/wire"
)

// MaxBatch is the most articles one batch may carry.
const MaxBatch = 100

// BatchInput is the body of POST /v1/articles/batch.
type BatchInput struct {
	Articles []wire.ArticleInput `validate:"required" json:"articles"`
} //	@name	BatchInput

// BatchResult is what happened to one item of a batch: the article with
// status 201 (created) or 200 (replaced, matched by url), or a problem.
type BatchResult struct {
	Index   int           `validate:"required" json:"index" example:"0"`
	Status  int           `validate:"required" json:"status" example:"201"`
	Article *wire.Article `json:"article,omitempty"`
	Problem *Problem      `json:"problem,omitempty"`
} //	@name	BatchResult

// BatchOutput is the 207 answer of a batch.
type BatchOutput struct {
	Results []BatchResult `validate:"required" json:"results"`
	Created int           `validate:"required" json:"created" example:"2"`
	Updated int           `validate:"required" json:"updated" example:"0"`
	Failed  int           `validate:"required" json:"failed" example:"1"`
} //	@name	BatchOutput

// batchArticles godoc
//
//	@Summary		Create or replace up to 100 articles
//	@Description	Each item is applied on its own, atomically: an item with a url already stored replaces that article (200), any other is created (201), and an item that fails, for its own fault or the server's (a 500 there says nothing internal; quote its request_id), gets its own problem without stopping the rest. The answer is 207 with a result per item, in order. Takes an Idempotency-Key like a single create: the 207 is stored, and a retry, even after a crash part-way, never stores an item twice.
//	@Tags			articles
//	@ID				batchArticles
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			Idempotency-Key	header		string		false	"makes a retry of the whole batch safe"
//	@Param			batch			body		BatchInput	true	"the articles"
//	@Success		207				{object}	BatchOutput
//	@Failure		400				{object}	Problem	"malformed JSON"
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem		"the key is not an editor key"
//	@Failure		409				{object}	Problem		"a request with this Idempotency-Key still in progress; Retry-After says when its time limit ends"
//	@Header			409				{integer}	Retry-After	"seconds until the request in progress reaches its time limit"
//	@Failure		413				{object}	Problem
//	@Failure		415				{object}	Problem
//	@Failure		422				{object}	Problem	"no articles, or more than 100"
//	@Failure		429				{object}	Problem
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		507	{object}	Problem	"the database's storage is full: nothing was stored; Retry-After says when to try again"
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/articles/batch [post]
func (h *handlers) batchArticles(c echo.Context) error {
	body, err := readJSON(c, echo.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	// Items are decoded one by one, so that a bad item is that item's problem.
	var in struct {
		Articles []json.RawMessage `json:"articles"`
	}
	if err := wire.DecodeStrict(body, &in); err != nil {
		return err
	}
	switch n := len(in.Articles); {
	case n == 0:
		return news.FieldErrorf(news.EValidation, "articles", "must hold at least one article")
	case n > MaxBatch:
		return news.FieldErrorf(news.EValidation, "articles", "must hold at most %d articles, got %d", MaxBatch, n)
	}
	ctx := c.Request().Context()
	requestID := c.Response().Header().Get(echo.HeaderXRequestID)
	out := BatchOutput{Results: make([]BatchResult, len(in.Articles))}
	for i, raw := range in.Articles {
		res := BatchResult{Index: i}
		a, created, err := h.upsertItem(c, i, raw)
		switch {
		case err != nil && ctx.Err() != nil && news.ErrorCode(err) == news.EInternal:
			// The request's time is up, or its client left: nothing more
			// is tried, and nothing is stored as its answer. Each item
			// written so far was written with its record, so a retry with
			// the same Idempotency-Key answers those and does the rest.
			return err
		case err != nil:
			// An item that fails, even for the server's own reason (a
			// database error, a full disk), is that item's problem: the
			// items before it are stored and reported, the next are tried.
			// A 500 says nothing internal; the cause goes to the log.
			p := toProblem(prefixFields(err, i), requestID)
			if p.Status >= 500 {
				h.log.Error("batch item failed", "request_id", requestID, "index", i, "status", p.Status, "error", err.Error())
			}
			res.Status, res.Problem = p.Status, &p
			out.Failed++
		default:
			dto := wire.FromNews(a)
			res.Article = &dto
			res.Status = http.StatusOK
			out.Updated++
			if created {
				res.Status = http.StatusCreated
				out.Updated--
				out.Created++
			}
		}
		out.Results[i] = res
	}
	return c.JSON(http.StatusMultiStatus, out)
}

// upsertItem checks, decodes and upserts item i of a batch: once per
// Idempotency-Key when the request has one.
func (h *handlers) upsertItem(c echo.Context, i int, raw []byte) (news.Article, bool, error) {
	ctx := c.Request().Context()
	claim, ok := c.Get(ctxClaim).(news.Claim)
	if !ok {
		return wire.Upsert(ctx, raw, h.articles, h.vocab)
	}
	d, err := wire.DecodeDraft(ctx, raw, h.vocab)
	if err != nil {
		return news.Article{}, false, err
	}
	return h.idem.UpsertArticleOnce(ctx, claim.Item(i), d)
}

// prefixFields names the fields of an item's problem by their place in
// the batch: articles[3].title.
func prefixFields(err error, i int) error {
	var ne *news.Error
	if !errors.As(err, &ne) || len(ne.Fields) == 0 {
		return err
	}
	cp := *ne
	cp.Fields = make([]news.FieldError, len(ne.Fields))
	for j, f := range ne.Fields {
		cp.Fields[j] = news.FieldError{Field: "articles[" + strconv.Itoa(i) + "]." + f.Field, Message: f.Message}
	}
	return &cp
}

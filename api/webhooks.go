package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/webhook"
	"github.com/headlines/headlines/internal/wire"
)

// webhookParams are the list parameters a webhook's filter may hold:
// those that say of one article whether it is selected.
var webhookParams = map[string]listParam{
	"country": {csv: true}, "country_all": {csv: true}, "country_not": {csv: true},
	"theme": {csv: true}, "theme_all": {csv: true}, "theme_not": {csv: true},
	"source": {}, "section": {}, "language": {},
}

// WebhookInput creates a webhook.
type WebhookInput struct {
	URL         string   `validate:"required" json:"url" maxLength:"2000" example:"https://partner.example/hooks/headlines"`
	Events      []string `json:"events" enums:"article.published,article.updated,article.deleted" example:"article.published,article.deleted"`
	Filter      string   `json:"filter" maxLength:"2000" example:"country=RU&theme=sanctions"`
	Description string   `json:"description" maxLength:"500" example:"Sanctions desk of partner.example"`
} //	@name	WebhookInput

// WebhookPatch changes a webhook; members left out stay as they are.
type WebhookPatch struct {
	URL         *string   `json:"url" maxLength:"2000" example:"https://partner.example/hooks/v2"`
	Events      *[]string `json:"events" enums:"article.published,article.updated,article.deleted"`
	Filter      *string   `json:"filter" maxLength:"2000" example:"country=RU,CN&theme=trade"`
	Description *string   `json:"description" maxLength:"500"`
	Paused      *bool     `json:"paused" example:"false"`
} //	@name	WebhookPatch

// Webhook is a receiver the change feed is pushed to, and how its
// deliveries fare.
type Webhook struct {
	ID          int64    `validate:"required" json:"id" example:"1"`
	URL         string   `validate:"required" json:"url" example:"https://partner.example/hooks/headlines"`
	Events      []string `validate:"required" json:"events" enums:"article.published,article.updated,article.deleted" example:"article.published,article.deleted"`
	Filter      string   `validate:"required" json:"filter" example:"country=RU&theme=sanctions"`
	Description string   `validate:"required" json:"description" example:"Sanctions desk of partner.example"`
	// The signing secret of the deliveries (Standard Webhooks), shown only
	// in the answer to the POST that creates the webhook or rotates it.
	Secret *string `json:"secret,omitempty" example:"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"`
	// The change-feed cursor of the last change dealt with.
	Position     int64      `validate:"required" json:"position" example:"41"`
	Paused       bool       `validate:"required" json:"paused" example:"false"`
	PausedReason string     `json:"paused_reason,omitempty" example:"the receiver answered 410 Gone, which disables a webhook; PATCH it with paused false to resume"`
	Failures     int        `validate:"required" json:"failures" example:"0"`
	NextAttempt  *time.Time `json:"next_attempt_at,omitempty"`
	LastSuccess  *time.Time `json:"last_success_at,omitempty"`
	LastFailure  *time.Time `json:"last_failure_at,omitempty"`
	LastError    string     `json:"last_error,omitempty" example:"HTTP 503"`
	// Until when the secret before the last rotation still signs too.
	PreviousSecretUntil *time.Time `json:"previous_secret_until,omitempty"`
	CreatedAt           time.Time  `validate:"required" json:"created_at"`
	UpdatedAt           time.Time  `validate:"required" json:"updated_at"`
} //	@name	Webhook

// WebhookList is every webhook.
type WebhookList struct {
	Data []Webhook `validate:"required" json:"data"`
} //	@name	WebhookList

// Delivery is one attempt to deliver an event.
type Delivery struct {
	ID        int64     `validate:"required" json:"id" example:"7"`
	MessageID string    `validate:"required" json:"message_id" example:"msg_1_41"`
	Event     string    `validate:"required" json:"event" enums:"article.published,article.updated,article.deleted,webhook.test" example:"article.published"`
	Seq       int64     `json:"seq,omitempty" example:"41"`
	Attempt   int       `validate:"required" json:"attempt" example:"1"`
	At        time.Time `validate:"required" json:"attempted_at"`
	// The receiver's HTTP status; left out when none came.
	Status     int     `json:"status,omitempty" example:"204"`
	Error      string  `json:"error,omitempty" example:"no answer within 10s"`
	DurationMS float64 `validate:"required" json:"duration_ms" example:"12.5"`
	Delivered  bool    `validate:"required" json:"delivered" example:"true"`
} //	@name	Delivery

// DeliveryList is a webhook's latest attempts, newest first.
type DeliveryList struct {
	Data []Delivery `validate:"required" json:"data"`
} //	@name	DeliveryList

// each is f of every item of in, in order; never nil, so that JSON has [].
func each[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toWebhook(w news.Webhook) Webhook {
	out := Webhook{ID: w.ID, URL: w.URL, Events: w.Events, Filter: w.Filter, Description: w.Description, Position: w.Position,
		Paused: w.Paused, PausedReason: w.PausedWhy, Failures: w.Failures, LastError: w.LastError,
		NextAttempt: optTime(w.NextAttempt), LastSuccess: optTime(w.LastSuccess), LastFailure: optTime(w.LastFailure),
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	if w.PreviousUntil.After(time.Now()) {
		out.PreviousSecretUntil = &w.PreviousUntil
	}
	if out.Events == nil {
		out.Events = []string{}
	}
	return out
}

func toDelivery(d news.Delivery) Delivery {
	return Delivery{ID: d.ID, MessageID: d.MessageID, Event: d.Event, Seq: d.Seq, Attempt: d.Attempt, At: d.At,
		Status: d.Status, Error: d.Error, DurationMS: float64(d.Duration.Microseconds()) / 1000, Delivered: d.Delivered()}
}

// webhookFilter is the list filter a webhook's filter stands for, with
// the vocabulary of now; its errors name the member of filter. It checks
// a filter an admin gives: one with an empty member ("&&&", a trailing &)
// would be read as asking for less than was meant, or for everything, so
// it is refused. (Delivery reads stored filters with deliveryFilter,
// which lets such a one stored before this check go on.)
func (h *handlers) webhookFilter(filter string) (news.Filter, error) {
	if filter != "" && slices.Contains(strings.Split(filter, "&"), "") {
		return news.Filter{}, news.FieldErrorf(news.EInvalid, "filter", "has an empty member (a stray &): write a query string such as country=RU&theme=sanctions, or \"\" for every article")
	}
	return h.webhookFilterWith(filter, h.vocab.Vocabulary())
}

// deliveryFilter is webhookFilter for the delivery of changes: with a
// vocabulary that knows every tag of their articles (see knowing).
func (h *handlers) deliveryFilter(ctx context.Context, filter string, changes []news.Change) (news.Filter, error) {
	return h.webhookFilterWith(filter, h.knowing(ctx, h.vocab.Vocabulary(), changes))
}

// webhookFilterWith is webhookFilter with vocabulary v.
func (h *handlers) webhookFilterWith(filter string, v *news.Vocabulary) (news.Filter, error) {
	if err := news.CheckWebhookText("filter", filter, news.MaxWebhookFilter); err != nil {
		return news.Filter{}, err
	}
	q, err := url.ParseQuery(filter)
	if err != nil {
		return news.Filter{}, news.FieldErrorf(news.EInvalid, "filter", "is not a query string such as country=RU&theme=sanctions: %v", err)
	}
	lr, err := parseList(q, webhookParams, v, h.cursors, false)
	if err != nil {
		var ne *news.Error
		if errors.As(err, &ne) {
			named := *ne
			named.Fields = nil
			for _, f := range ne.Fields {
				named.Fields = append(named.Fields, news.FieldError{Field: "filter." + f.Field, Message: f.Message})
			}
			named.Message = "filter: " + ne.Message
			return news.Filter{}, &named
		}
		return news.Filter{}, err
	}
	return lr.filter, nil
}

// pathWebhook reads the webhook the path names.
func (h *handlers) pathWebhook(c echo.Context) (news.Webhook, error) {
	id, err := webhookID(c)
	if err != nil {
		return news.Webhook{}, err
	}
	return h.webhooks.Webhook(c.Request().Context(), id)
}

func webhookID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, news.FieldErrorf(news.EInvalid, "id", "must be a positive whole number, got %q", c.Param("id"))
	}
	return id, nil
}

// createWebhook godoc
//
//	@Summary		Create a webhook
//	@Description	Pushes the change feed to url from now on, as signed POSTs that follow the Standard Webhooks specification (headers webhook-id, webhook-timestamp and webhook-signature: v1, and the base64 HMAC-SHA256 of "id.timestamp.body" keyed by the secret). The answer holds the signing secret, whsec_ and base64: it is shown only this once. events (all three when left out): article.published (an article the receiver did not hold is public and selected: new, a draft published, or edited into the filter), article.updated (one it holds changed), article.deleted (one it holds is gone, a draft again, or no longer selected; data is {"id": …}). The receiver is taken to hold what filter (a list query string of country, theme, their _all and _not forms, source, section, language) selects now. Each webhook walks the change feed from its own position and moves on only after a 2xx, so delivery is at least once and in change order; the webhook-id of an event is the same on every attempt. Failed attempts are retried with exponential backoff and jitter for up to HEADLINES_WEBHOOK_RETRY_FOR (24 h), then the webhook pauses with its reason; a 410 Gone pauses it at once. A receiver has 10 s to answer and at most 64 KiB of its answer is read; redirects are not followed, and loopback, private, link-local and metadata addresses are refused (HEADLINES_WEBHOOK_ALLOW_PRIVATE=true lifts this for development). Needs an admin key.
//	@Tags			webhooks
//	@ID				createWebhook
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			webhook	body		WebhookInput	true	"the receiver and what it is sent"
//	@Success		201		{object}	Webhook			"the webhook, with its secret"
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"the key is not an admin key"
//	@Failure		415		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Failure		429		{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		507		{object}	Problem	"the database's storage is full: nothing was stored; Retry-After says when to try again"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/webhooks [post]
func (h *handlers) createWebhook(c echo.Context) error {
	body, err := readJSON(c, echo.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	var in WebhookInput
	if err := wire.DecodeStrict(body, &in); err != nil {
		return err
	}
	u, err := webhook.CheckURL(in.URL, h.webhookAllowPrivate)
	if err != nil {
		return err
	}
	events := in.Events
	if events == nil {
		events = news.WebhookEvents
	}
	if events, err = news.CheckWebhookEvents(events); err != nil {
		return err
	}
	if err := news.CheckWebhookText("description", in.Description, news.MaxWebhookDescription); err != nil {
		return err
	}
	f, err := h.webhookFilter(in.Filter)
	if err != nil {
		return err
	}
	w, err := h.webhooks.CreateWebhook(c.Request().Context(),
		news.Webhook{URL: u, Events: events, Filter: in.Filter, Description: in.Description, Secret: news.NewWebhookSecret()}, f)
	if err != nil {
		return err
	}
	h.hooks.Claim()
	out := toWebhook(w)
	out.Secret = &w.Secret
	c.Response().Header().Set(echo.HeaderLocation, baseURL(c)+"/v1/webhooks/"+strconv.FormatInt(w.ID, 10))
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusCreated, out)
}

// listWebhooks godoc
//
//	@Summary		List webhooks
//	@Description	Every webhook, oldest first, with its position in the change feed, its last success, its last failure and why, and whether it is paused. Secrets are not shown. Needs an admin key.
//	@Tags			webhooks
//	@ID				listWebhooks
//	@Produce		json,application/problem+json
//	@Success		200	{object}	WebhookList
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"the key is not an admin key"
//	@Failure		429	{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/webhooks [get]
func (h *handlers) listWebhooks(c echo.Context) error {
	ws, err := h.webhooks.Webhooks(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, WebhookList{Data: each(ws, toWebhook)})
}

// getWebhook godoc
//
//	@Summary		Read a webhook
//	@Description	Its position in the change feed, its last success, its last failure and why, its failed attempts at the event now due and when the next is, and whether it is paused and why. Needs an admin key.
//	@Tags			webhooks
//	@ID				getWebhook
//	@Produce		json,application/problem+json
//	@Param			id	path		int	true	"webhook id"	example(1)
//	@Success		200	{object}	Webhook
//	@Failure		400	{object}	Problem
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"the key is not an admin key"
//	@Failure		404	{object}	Problem
//	@Failure		429	{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/webhooks/{id} [get]
func (h *handlers) getWebhook(c echo.Context) error {
	w, err := h.pathWebhook(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toWebhook(w))
}

// updateWebhook godoc
//
//	@Summary		Change, pause or resume a webhook
//	@Description	Members left out stay as they are; null empties filter or description, and is a 422 for url, events and paused. paused true stops deliveries; paused false resumes a paused webhook (by an editor, after its retries ran out, or after a 410) and tries the event it stopped at at once. A new filter starts the webhook again from now, as a new one would: the receiver is taken to hold what it selects now. Needs an admin key.
//	@Tags			webhooks
//	@ID				updateWebhook
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json,application/problem+json
//	@Param			id		path		int				true	"webhook id"	example(1)
//	@Param			patch	body		WebhookPatch	true	"the members to change"
//	@Success		200		{object}	Webhook
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"the key is not an admin key"
//	@Failure		404		{object}	Problem
//	@Failure		415		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Failure		429		{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		507		{object}	Problem	"the database's storage is full: nothing was stored; Retry-After says when to try again"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/webhooks/{id} [patch]
func (h *handlers) updateWebhook(c echo.Context) error {
	body, err := readJSON(c, "application/merge-patch+json", echo.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	var in WebhookPatch
	if err := wire.DecodeStrict(body, &in); err != nil {
		return err
	}
	// As a merge patch: null removes a member. A webhook has no url,
	// events or paused to remove; its filter and description become "".
	var members map[string]json.RawMessage
	_ = json.Unmarshal(body, &members) // DecodeStrict read it: an object
	for _, name := range []string{"url", "events", "paused", "filter", "description"} {
		if string(members[name]) != "null" {
			continue
		}
		switch name {
		case "filter":
			in.Filter = new(string)
		case "description":
			in.Description = new(string)
		default:
			return news.FieldErrorf(news.EValidation, name, "cannot be removed: leave it out to keep it, or send a new value")
		}
	}
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	p := news.WebhookPatch{Description: in.Description, Paused: in.Paused, Filter: in.Filter}
	if in.URL != nil {
		u, err := webhook.CheckURL(*in.URL, h.webhookAllowPrivate)
		if err != nil {
			return err
		}
		p.URL = &u
	}
	if in.Events != nil {
		if p.Events, err = news.CheckWebhookEvents(*in.Events); err != nil {
			return err
		}
	}
	if in.Description != nil {
		if err := news.CheckWebhookText("description", *in.Description, news.MaxWebhookDescription); err != nil {
			return err
		}
	}
	var hold *news.Filter
	if in.Filter != nil {
		f, err := h.webhookFilter(*in.Filter)
		if err != nil {
			return err
		}
		hold = &f
	}
	w, err := h.webhooks.UpdateWebhook(c.Request().Context(), id, p, hold)
	if err != nil {
		return err
	}
	h.hooks.Claim()
	return c.JSON(http.StatusOK, toWebhook(w))
}

// deleteWebhook godoc
//
//	@Summary		Delete a webhook
//	@Description	Stops its deliveries and forgets it, with its deliveries' record. An attempt under way may still arrive. Needs an admin key.
//	@Tags			webhooks
//	@ID				deleteWebhook
//	@Produce		application/problem+json
//	@Param			id	path	int	true	"webhook id"	example(1)
//	@Success		204	"deleted"
//	@Failure		400	{object}	Problem
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"the key is not an admin key"
//	@Failure		404	{object}	Problem
//	@Failure		429	{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		507	{object}	Problem	"the database's storage is full: nothing was stored; Retry-After says when to try again"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/webhooks/{id} [delete]
func (h *handlers) deleteWebhook(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	if err := h.webhooks.DeleteWebhook(c.Request().Context(), id); err != nil {
		return err
	}
	h.hooks.Claim()
	return c.NoContent(http.StatusNoContent)
}

// rotateWebhookSecret godoc
//
//	@Summary		Rotate a webhook's signing secret
//	@Description	Makes a new secret and answers the webhook with it, shown only this once. For the next 24 hours each delivery carries two signatures in webhook-signature, separated by a space: one with the new secret and one with the old, so a receiver verifies with either while it changes over (Standard Webhooks libraries accept any one that matches). After that only the new secret signs. Needs an admin key.
//	@Tags			webhooks
//	@ID				rotateWebhookSecret
//	@Produce		json,application/problem+json
//	@Param			id	path		int		true	"webhook id"	example(1)
//	@Success		200	{object}	Webhook	"the webhook, with its new secret"
//	@Failure		400	{object}	Problem
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"the key is not an admin key"
//	@Failure		404	{object}	Problem
//	@Failure		429	{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Failure		507	{object}	Problem	"the database's storage is full: nothing was stored; Retry-After says when to try again"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/webhooks/{id}/secret [post]
func (h *handlers) rotateWebhookSecret(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	w, err := h.webhooks.RotateWebhookSecret(c.Request().Context(), id, news.NewWebhookSecret(), time.Now().Add(news.SecretOverlap))
	if err != nil {
		return err
	}
	out := toWebhook(w)
	out.Secret = &w.Secret
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, out)
}

// testWebhook godoc
//
//	@Summary		Send a test event
//	@Description	Sends a webhook.test event ({"type": "webhook.test", "timestamp": …, "data": {"webhook_id": …, "url": …}}), signed as every delivery is, to the receiver now, paused or not, and answers how it went; the attempt is listed among the deliveries. It does not move the webhook's position. Needs an admin key.
//	@Tags			webhooks
//	@ID				testWebhook
//	@Produce		json,application/problem+json
//	@Param			id	path		int			true	"webhook id"	example(1)
//	@Success		200	{object}	Delivery	"the attempt, delivered or not"
//	@Failure		400	{object}	Problem
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"the key is not an admin key"
//	@Failure		404	{object}	Problem
//	@Failure		429	{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/webhooks/{id}/test [post]
func (h *handlers) testWebhook(c echo.Context) error {
	w, err := h.pathWebhook(c)
	if err != nil {
		return err
	}
	d := h.hooks.Test(c.Request().Context(), w)
	return c.JSON(http.StatusOK, toDelivery(d))
}

// listDeliveries godoc
//
//	@Summary		A webhook's recent deliveries
//	@Description	Its latest attempts (at most limit, of the last 100 kept), newest first: when, which event and message id, the receiver's status code or the error, and how long it took. Needs an admin key.
//	@Tags			webhooks
//	@ID				listDeliveries
//	@Produce		json,application/problem+json
//	@Param			id		path		int	true	"webhook id"			example(1)
//	@Param			limit	query		int	false	"how many (1 to 100)"	minimum(1)	maximum(100)	default(50)
//	@Success		200		{object}	DeliveryList
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"the key is not an admin key"
//	@Failure		404		{object}	Problem
//	@Failure		429		{object}	Problem	"over the rate limit; Retry-After says when to try again"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Failure		503	{object}	Problem	"the database is unavailable"
//	@Router			/v1/webhooks/{id}/deliveries [get]
func (h *handlers) listDeliveries(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	limit := 50
	if v, ok := c.QueryParams()["limit"]; ok {
		n, err := strconv.Atoi(v[0])
		if len(v) > 1 || err != nil || n < 1 || n > 100 {
			return news.FieldErrorf(news.EInvalid, "limit", "must be a whole number from 1 to 100, given once")
		}
		limit = n
	}
	ds, err := h.webhooks.Deliveries(c.Request().Context(), id, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, DeliveryList{Data: each(ds, toDelivery)})
}

// onlyParams refuses a request with a query parameter other than names.
func onlyParams(names ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			for _, name := range paramOrder(c.QueryParams()) {
				if !slices.Contains(names, name) {
					return unknownParam(name, names)
				}
			}
			return next(c)
		}
	}
}

// nudgeHooks tells the webhooks' followers that a write went through.
func (h *handlers) nudgeHooks() {
	if h.hooks != nil {
		h.hooks.Nudge()
	}
}

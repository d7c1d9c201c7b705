package news

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The events a webhook may subscribe to, and the one sent by a test.
const (
	EventPublished = "article.published" // an article its receiver did not hold is public and selected
	EventUpdated   = "article.updated"   // an article its receiver holds changed
	EventDeleted   = "article.deleted"   // an article its receiver holds is gone, a draft again, or no longer selected
	EventTest      = "webhook.test"      // POST /v1/webhooks/{id}/test
)

// WebhookEvents are the events a webhook may subscribe to, in the order
// they are listed.
var WebhookEvents = []string{EventPublished, EventUpdated, EventDeleted}

// Webhook is a receiver that the change feed is pushed to. Position is
// the sequence number of the last change it has dealt with: it moves on
// only after the receiver answered 2xx.
type Webhook struct {
	ID          int64
	URL         string
	Events      []string
	Filter      string // a list query string, e.g. country=RU&theme=sanctions
	Description string
	Secret      string // whsec_ and the base64 key: shown once, when created or rotated
	// PreviousSecret signs deliveries beside Secret until PreviousUntil,
	// after a rotation.
	PreviousSecret string
	PreviousUntil  time.Time
	Position       int64
	// DueSeq, DueEvent and DueArticle are the change whose publication
	// is being delivered, its event and its article: every attempt sends
	// the same, and a later change of the article is its publication
	// still until the receiver took one.
	DueSeq     int64
	DueEvent   string
	DueArticle int64
	Paused     bool
	PausedWhy  string
	// Failures counts the failed attempts at the event now due, since
	// FailingSince; NextAttempt is when it is tried again.
	Failures     int
	FailingSince time.Time
	NextAttempt  time.Time
	LastSuccess  time.Time // zero: never
	LastFailure  time.Time // zero: never
	LastError    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// WebhookPatch is a change of a webhook; nil fields stay as they are.
type WebhookPatch struct {
	URL         *string
	Events      []string // nil: unchanged
	Filter      *string
	Description *string
	Paused      *bool
}

// Delivery is one attempt to deliver an event to a webhook's receiver.
type Delivery struct {
	ID        int64
	MessageID string // the webhook-id header: the same for every attempt at one event
	Event     string
	Seq       int64 // the change delivered; 0 for a test
	Attempt   int
	At        time.Time
	Status    int // the receiver's HTTP status; 0 when none came
	Error     string
	Duration  time.Duration
}

// Delivered reports whether the receiver took the event (a 2xx).
func (d Delivery) Delivered() bool { return d.Status >= 200 && d.Status < 300 }

// WebhookStep is what a delivery loop did about the changes up to To:
// delivered (or skipped) them all, telling the receiver of Hold and that
// Release are gone.
type WebhookStep struct {
	To      int64
	Hold    []int64
	Release []int64
}

// WebhookService keeps webhooks, their positions and their deliveries.
type WebhookService interface {
	// CreateWebhook stores a webhook at the newest change; hold lists
	// every article its filter selects now, which the receiver is taken
	// to hold.
	CreateWebhook(ctx context.Context, w Webhook, hold Filter) (Webhook, error)
	Webhooks(ctx context.Context) ([]Webhook, error)
	Webhook(ctx context.Context, id int64) (Webhook, error)
	// UpdateWebhook applies p; a new filter starts from the newest change
	// with the articles hold selects, as a new webhook would. Resuming
	// clears the failures, so the due event is tried at once.
	UpdateWebhook(ctx context.Context, id int64, p WebhookPatch, hold *Filter) (Webhook, error)
	DeleteWebhook(ctx context.Context, id int64) error
	// RotateWebhookSecret makes secret the webhook's; the old one signs
	// beside it until until.
	RotateWebhookSecret(ctx context.Context, id int64, secret string, until time.Time) (Webhook, error)
	// Deliveries lists a webhook's latest attempts, newest first.
	Deliveries(ctx context.Context, id int64, limit int) ([]Delivery, error)
	// RecordDelivery notes an attempt and returns its id.
	RecordDelivery(ctx context.Context, webhookID int64, d Delivery) (int64, error)

	// ClaimWebhooks takes or renews, for owner, the lease of every
	// webhook that is not paused and whose lease is free or owner's,
	// until until, and returns those it holds.
	ClaimWebhooks(ctx context.Context, owner string, until time.Time) ([]Webhook, error)
	// Held says which of ids the webhook's receiver holds.
	Held(ctx context.Context, webhookID int64, ids []int64) (map[int64]bool, error)
	// Due notes, while owner holds the lease, the event of change seq
	// before its first attempt, and that the receiver may hold article id
	// (0: none) from now. A publication is noted so, since a crash after
	// the receiver took it and before Advance recorded it would otherwise
	// leave the receiver holding what the webhook never deletes; and its
	// retries are publications still, though the article is held now.
	Due(ctx context.Context, webhookID int64, owner string, seq int64, event string, id int64) error
	// Advance records step, and success as the webhook's last, while
	// owner holds its lease; ErrLeaseLost when it does not.
	Advance(ctx context.Context, webhookID int64, owner string, step WebhookStep, success time.Time) error
	// Fail records a failed attempt while owner holds the lease: the next
	// at next, or the webhook paused with reason when reason is not "".
	Fail(ctx context.Context, webhookID int64, owner string, at time.Time, why string, next time.Time, reason string) error
	// ReleaseWebhooks gives owner's leases up, for others to take at once.
	ReleaseWebhooks(ctx context.Context, owner string) error
}

// ErrLeaseLost says that another instance delivers the webhook now.
var ErrLeaseLost = Errorf(EConflict, "this instance no longer holds the webhook's lease")

// NewWebhookSecret makes a signing secret as the Standard Webhooks
// specification gives it: "whsec_" and the base64 of 32 random bytes.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// SecretOverlap is how long a rotated secret signs beside the new one.
const SecretOverlap = 24 * time.Hour

// WebhookKey is the HMAC key of a secret made by NewWebhookSecret.
func WebhookKey(secret string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
}

// Limits of a webhook's fields.
const (
	MaxWebhookURL         = 2000
	MaxWebhookDescription = 500
	MaxWebhookFilter      = 2000
)

// CheckWebhookEvents returns events without repeats, in the order of
// WebhookEvents, or an error naming field (events) when one is unknown or
// none is given.
func CheckWebhookEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, FieldErrorf(EInvalid, "events", "must list at least one of %s", strings.Join(WebhookEvents, ", "))
	}
	for i, e := range events {
		if !slices.Contains(WebhookEvents, e) {
			return nil, FieldErrorf(EInvalid, "events", "events[%d] is %q; the events are %s", i, e, strings.Join(WebhookEvents, ", "))
		}
	}
	out := make([]string, 0, len(WebhookEvents))
	for _, e := range WebhookEvents {
		if slices.Contains(events, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// CheckWebhookText checks a description or a filter's length and text.
func CheckWebhookText(field, s string, max int) error {
	switch {
	case !utf8.ValidString(s):
		return FieldErrorf(EInvalid, field, "must be UTF-8 text")
	case utf8.RuneCountInString(s) > max:
		return FieldErrorf(EInvalid, field, "must be at most %d characters", max)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }):
		return FieldErrorf(EInvalid, field, "must not hold control characters")
	}
	return nil
}

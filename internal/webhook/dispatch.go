package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/wire"
)

// Defaults of delivery.
const (
	// DefaultLease is how long an instance holds a webhook without
	// renewing it: if the instance dies, another takes the webhook over
	// within this time.
	DefaultLease = 30 * time.Second
	// DefaultTimeout is how long a receiver has to answer.
	DefaultTimeout = 10 * time.Second
	// DefaultRetryBase is the wait before the first retry; each next
	// one waits twice as long, up to DefaultRetryMax, less up to half at
	// random so that receivers coming back are not hit all at once.
	DefaultRetryBase = 5 * time.Second
	DefaultRetryMax  = time.Hour
	// DefaultRetryFor is how long an event is retried before the webhook
	// pauses, saying why.
	DefaultRetryFor = 24 * time.Hour
	// ReadLimit is how much of a receiver's answer is read.
	ReadLimit = 64 << 10
	// batch is how many changes a webhook reads at a time.
	batch = 100
)

// Options configure a Dispatcher.
type Options struct {
	Store news.WebhookService
	Feed  news.ChangeService
	// Parse turns a webhook's filter into the list filter it stands for,
	// with a vocabulary that knows every tag of changes' articles: a theme
	// renamed is still the one the filter names, and its articles are
	// not deletions. With no changes, the vocabulary of now.
	Parse        func(ctx context.Context, filter string, changes []news.Change) (news.Filter, error)
	Owner        string        // this instance's name in leases; host, process and a random part when ""
	Lease        time.Duration // DefaultLease when 0
	Poll         time.Duration // how often to look for changes written elsewhere; a second when 0
	RetryBase    time.Duration // DefaultRetryBase when 0
	RetryMax     time.Duration // DefaultRetryMax when 0
	RetryFor     time.Duration // DefaultRetryFor when 0
	Timeout      time.Duration // DefaultTimeout when 0
	AllowPrivate bool          // deliver to internal addresses too (development and tests)
	Now          func() time.Time
	Log          *slog.Logger
}

// Dispatcher delivers the webhooks whose leases this instance holds,
// each on a goroutine of its own, so that a slow receiver holds up only
// its own events.
type Dispatcher struct {
	o      Options
	client *http.Client
	kick   chan struct{} // claim now

	mu        sync.Mutex
	moved     chan struct{}       // closed when a write went through this instance
	following map[int64]*follower // by webhook id

	wg      sync.WaitGroup     // the followers
	ctx     context.Context    // ends when stopped
	cancel  context.CancelFunc // ends ctx
	stopped chan struct{}      // closed when the claim loop ended
}

type follower struct{ cancel context.CancelFunc }

// New returns a Dispatcher; Start starts it.
func New(o Options) *Dispatcher {
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.RetryBase <= 0 {
		o.RetryBase = DefaultRetryBase
	}
	if o.RetryMax <= 0 {
		o.RetryMax = DefaultRetryMax
	}
	if o.RetryFor <= 0 {
		o.RetryFor = DefaultRetryFor
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		o.Owner = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Dispatcher{o: o, client: Client(o.Timeout, o.AllowPrivate), kick: make(chan struct{}, 1),
		moved: make(chan struct{}), following: map[int64]*follower{}, ctx: ctx, cancel: cancel, stopped: make(chan struct{})}
}

// Start claims webhooks and delivers them until stop is called. stop
// waits for the deliveries under way (at most the timeout) and gives the
// leases up, so that another instance takes them at once.
func (d *Dispatcher) Start() (stop func()) {
	go d.claimLoop()
	return func() {
		d.cancel()
		<-d.stopped
		d.wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.o.Store.ReleaseWebhooks(ctx, d.o.Owner); err != nil {
			d.o.Log.Warn("webhooks: could not give the leases up; other instances take them when they run out", "err", err)
		}
	}
}

// Nudge says that a write went through this instance: the followers
// look at the feed now rather than at their next poll.
func (d *Dispatcher) Nudge() {
	d.mu.Lock()
	close(d.moved)
	d.moved = make(chan struct{})
	d.mu.Unlock()
}

// Claim asks for a claim now: a webhook was created, resumed or changed
// through this instance.
func (d *Dispatcher) Claim() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

func (d *Dispatcher) next() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.moved
}

// claimLoop renews this instance's leases three times per lease, takes
// free ones, and starts and stops followers to match.
func (d *Dispatcher) claimLoop() {
	defer close(d.stopped)
	t := time.NewTicker(d.o.Lease / 3)
	defer t.Stop()
	for {
		d.claim()
		select {
		case <-d.ctx.Done():
			return
		case <-t.C:
		case <-d.kick:
		}
	}
}

func (d *Dispatcher) claim() {
	ws, err := d.o.Store.ClaimWebhooks(d.ctx, d.o.Owner, d.o.Now().Add(d.o.Lease))
	if err != nil {
		if d.ctx.Err() == nil {
			d.o.Log.Warn("webhooks: could not claim leases", "err", err)
		}
		return
	}
	held := make(map[int64]bool, len(ws))
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, w := range ws {
		held[w.ID] = true
		if d.following[w.ID] == nil {
			ctx, cancel := context.WithCancel(d.ctx)
			f := &follower{cancel: cancel}
			d.following[w.ID] = f
			d.wg.Add(1)
			go d.follow(ctx, w.ID, f)
		}
	}
	for id, f := range d.following {
		if !held[id] { // paused, deleted or taken over
			f.cancel()
			delete(d.following, id)
		}
	}
}

// errStop ends a follower: the webhook is paused or gone, or another
// instance holds it now.
var errStop = errors.New("stop following")

// follow delivers one webhook until ctx ends or it must stop.
func (d *Dispatcher) follow(ctx context.Context, id int64, f *follower) {
	defer d.wg.Done()
	defer func() {
		d.mu.Lock()
		if d.following[id] == f {
			delete(d.following, id)
		}
		d.mu.Unlock()
		f.cancel()
	}()
	for ctx.Err() == nil {
		moved := d.next() // before the read, so that no write slips between
		wait, err := d.pass(ctx, id)
		if errors.Is(err, errStop) || ctx.Err() != nil {
			return
		}
		if err != nil {
			d.o.Log.Warn("webhooks: delivery pass failed; trying again", "webhook", id, "err", err)
		}
		timer := time.NewTimer(d.waitFor(wait))
		select {
		case <-ctx.Done():
		case <-moved:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// waitFor is how long a follower sleeps when its pass asked for wait (0:
// until the feed moves, looked for every poll).
func (d *Dispatcher) waitFor(wait time.Duration) time.Duration {
	if wait <= 0 {
		return d.o.Poll
	}
	return wait
}

// pass delivers what the webhook owes from its position, until it is
// caught up (0) or an attempt failed (the wait until the next).
func (d *Dispatcher) pass(ctx context.Context, id int64) (time.Duration, error) {
	w, err := d.o.Store.Webhook(ctx, id)
	if news.ErrorCode(err) == news.ENotFound {
		return 0, errStop
	}
	if err != nil {
		return 0, err
	}
	if w.Paused {
		return 0, errStop
	}
	if wait := w.NextAttempt.Sub(d.o.Now()); !w.NextAttempt.IsZero() && wait > 0 {
		return wait, nil
	}
	// A filter whose theme was deleted selects nothing the vocabulary
	// knows: the editor must say what the webhook is to select now.
	fail := func(err error) error {
		now := d.o.Now()
		reason := "its filter selects nothing the vocabulary knows now: " + err.Error()
		if err := d.o.Store.Fail(ctx, id, d.o.Owner, now, reason, now, reason); err != nil {
			return err
		}
		return errStop
	}
	if _, err := d.o.Parse(ctx, w.Filter, nil); err != nil {
		return 0, fail(err)
	}
	pos := w.Position
	for {
		list, err := d.o.Feed.Changes(news.WithFreshReads(ctx), pos, batch, false)
		if err != nil || len(list) == 0 {
			return 0, err
		}
		f, err := d.o.Parse(ctx, w.Filter, list)
		if err != nil {
			return 0, fail(err)
		}
		ids := make([]int64, len(list))
		for i, ch := range list {
			ids[i] = ch.ID
		}
		held, err := d.o.Store.Held(ctx, id, ids)
		if err != nil {
			return 0, err
		}
		var step news.WebhookStep
		for _, ch := range list {
			ev := EventOf(ch, f, held[ch.ID])
			if w.DueEvent != "" && ch.ID == w.DueArticle && (ch.Seq == w.DueSeq || ev == news.EventUpdated) {
				// A retry sends what the first attempt did; a publication
				// the receiver has not taken is one still, though the
				// article was held from before it was sent.
				ev = w.DueEvent
			}
			step.To = ch.Seq
			switch ev {
			case news.EventPublished:
				step.Hold = append(step.Hold, ch.ID)
			case news.EventDeleted:
				step.Release = append(step.Release, ch.ID)
			}
			if ev == "" || !slices.Contains(w.Events, ev) {
				continue
			}
			if ev == news.EventPublished && (ch.Seq != w.DueSeq || w.DueEvent == "") {
				// Held from before it is sent: see news.WebhookService.Due.
				if err := d.o.Store.Due(ctx, id, d.o.Owner, ch.Seq, ev, ch.ID); err != nil {
					if errors.Is(err, news.ErrLeaseLost) {
						return 0, errStop
					}
					return 0, err
				}
			}
			del := d.deliver(ctx, w, ev, ch)
			if ctx.Err() != nil {
				return 0, errStop // stopping: the event goes again, here or elsewhere
			}
			if !del.Delivered() {
				return d.failed(ctx, w, del)
			}
			if err := d.advance(ctx, id, step, del.At); err != nil {
				return 0, err
			}
			step, w.Failures = news.WebhookStep{}, 0
		}
		if step.To > 0 { // changes it owed nothing for
			if err := d.advance(ctx, id, step, time.Time{}); err != nil {
				return 0, err
			}
		}
		pos = list[len(list)-1].Seq
		if len(list) < batch {
			return 0, nil
		}
	}
}

func (d *Dispatcher) advance(ctx context.Context, id int64, step news.WebhookStep, success time.Time) error {
	err := d.o.Store.Advance(ctx, id, d.o.Owner, step, success)
	if errors.Is(err, news.ErrLeaseLost) {
		return errStop
	}
	return err
}

// EventOf is the event that change ch is to a webhook with filter f
// whose receiver holds the article or not; "" when it owes none: the
// article is neither selected now nor held.
func EventOf(ch news.Change, f news.Filter, held bool) string {
	if !ch.Deleted && ch.Article != nil {
		if selected, _ := f.Selects(*ch.Article); selected {
			if held {
				return news.EventUpdated
			}
			return news.EventPublished
		}
	}
	if held {
		return news.EventDeleted
	}
	return ""
}

// failed records a failed attempt and returns how long to wait for the
// next, or errStop when the webhook pauses.
func (d *Dispatcher) failed(ctx context.Context, w news.Webhook, del news.Delivery) (time.Duration, error) {
	since := w.FailingSince
	if since.IsZero() {
		since = del.At
	}
	attempts := w.Failures + 1
	wait := d.backoff(attempts)
	reason := ""
	switch {
	case del.Status == http.StatusGone:
		reason = "the receiver answered 410 Gone, which disables a webhook; PATCH it with paused false to resume"
	case del.At.Add(wait).Sub(since) > d.o.RetryFor:
		reason = fmt.Sprintf("gave up after %d attempts over %s; the last: %s", attempts, del.At.Sub(since).Round(time.Second), del.Error)
	}
	if err := d.o.Store.Fail(ctx, w.ID, d.o.Owner, del.At, del.Error, del.At.Add(wait), reason); err != nil {
		if errors.Is(err, news.ErrLeaseLost) {
			return 0, errStop
		}
		return 0, err
	}
	if reason != "" {
		d.o.Log.Warn("webhooks: paused", "webhook", w.ID, "url", w.URL, "reason", reason)
		return 0, errStop
	}
	return wait, nil
}

// backoff is the wait after the attempts-th failed attempt: doubling
// from RetryBase up to RetryMax, less up to half of it at random.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	wait := d.o.RetryMax
	if attempts < 40 {
		wait = min(d.o.RetryBase<<(attempts-1), d.o.RetryMax)
	}
	return wait - time.Duration(mrand.Int64N(int64(wait/2)+1)) //nolint:gosec // jitter, not a secret
}

// Message is the body of a delivery, as the Standard Webhooks
// specification shapes it.
type Message struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// Deleted is the data of an article.deleted event.
type Deleted struct {
	ID int64 `json:"id"`
}

// MessageID is the webhook-id of the event of change seq to webhook id:
// the same for every attempt, here or on another instance.
func MessageID(id, seq int64) string {
	return "msg_" + strconv.FormatInt(id, 10) + "_" + strconv.FormatInt(seq, 10)
}

// deliver sends the event of change ch and records the attempt.
func (d *Dispatcher) deliver(ctx context.Context, w news.Webhook, ev string, ch news.Change) news.Delivery {
	m := Message{Type: ev, Timestamp: ch.At.UTC()}
	if ev == news.EventDeleted {
		m.Data = Deleted{ID: ch.ID}
	} else {
		m.Data = wire.FromNews(*ch.Article)
	}
	del := d.post(ctx, w, MessageID(w.ID, ch.Seq), m)
	del.Seq, del.Attempt = ch.Seq, w.Failures+1
	del.ID = d.record(w.ID, del)
	return del
}

// Test sends a webhook.test event to w's receiver now, whether w is
// paused or not, and records the attempt.
func (d *Dispatcher) Test(ctx context.Context, w news.Webhook) news.Delivery {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	id := "msg_" + strconv.FormatInt(w.ID, 10) + "_test_" + hex.EncodeToString(b)
	del := d.post(ctx, w, id, Message{Type: news.EventTest, Timestamp: d.o.Now().UTC().Truncate(time.Microsecond),
		Data: map[string]any{"webhook_id": w.ID, "url": w.URL}})
	del.Attempt = 1
	del.ID = d.record(w.ID, del)
	return del
}

// record notes an attempt; a failure to is logged, not fatal: the
// delivery itself is what the position records.
func (d *Dispatcher) record(id int64, del news.Delivery) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := d.o.Store.RecordDelivery(ctx, id, del)
	if err != nil {
		d.o.Log.Warn("webhooks: could not record a delivery", "webhook", id, "err", err)
	}
	return n
}

// post signs m and sends it to w's receiver.
func (d *Dispatcher) post(ctx context.Context, w news.Webhook, id string, m Message) news.Delivery {
	at := d.o.Now()
	del := news.Delivery{MessageID: id, Event: m.Type, At: at}
	body, err := json.Marshal(m)
	if err != nil {
		del.Error = "encoding the event: " + err.Error()
		return del
	}
	sig, err := Sign(w.Secret, id, at, body)
	if err == nil && w.PreviousSecret != "" && at.Before(w.PreviousUntil) {
		// Rotated: signed with both, so that a receiver still on the
		// old secret verifies as well (the signatures are space-separated).
		var old string
		if old, err = Sign(w.PreviousSecret, id, at, body); err == nil {
			sig += " " + old
		}
	}
	if err != nil {
		del.Error = "the webhook's secret is not base64: " + err.Error()
		return del
	}
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		del.Error = "the URL: " + err.Error()
		return del
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "headlines-webhooks/1")
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	h.Set("webhook-signature", sig)
	start := time.Now()
	res, err := d.client.Do(req)
	if err != nil {
		del.Duration = time.Since(start)
		del.Error = describe(err, d.o.Timeout)
		return del
	}
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, ReadLimit))
	_ = res.Body.Close()
	del.Duration, del.Status = time.Since(start), res.StatusCode
	switch {
	case del.Delivered():
	case res.StatusCode >= 300 && res.StatusCode < 400:
		del.Error = fmt.Sprintf("HTTP %d: redirects are not followed (Location: %.200s)", res.StatusCode, res.Header.Get("Location"))
	default:
		del.Error = fmt.Sprintf("HTTP %d", res.StatusCode)
		if s := strings.TrimSpace(strings.ToValidUTF8(string(snippet), "")); s != "" {
			del.Error += ": " + truncate(s, 200)
		}
	}
	return del
}

// describe says why a request got no answer.
func describe(err error, timeout time.Duration) string {
	if re, ok := refusal(err); ok {
		return re.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error() // without the method and URL, which the webhook shows
	}
	return err.Error()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/wire"
)

// Defaults of the change stream.
const (
	// DefaultStreamHeartbeat is how often an idle stream sends a comment,
	// so that proxies and browsers keep the connection and notice when it
	// is gone.
	DefaultStreamHeartbeat = 15 * time.Second
	// DefaultStreamPoll is how often the stream looks for changes written
	// through other instances when Deps.CachePoll says nothing.
	DefaultStreamPoll = time.Second
	// streamBatch is how many changes a stream reads at a time.
	streamBatch = 500
)

// streamPath is the change stream's path: the middleware that buffers,
// digests, caches or compresses answers leaves it alone.
const streamPath = "/v1/changes/stream"

// streamParams are the parameters of GET /v1/changes/stream: where to
// start, and the list filters a stream can apply to each change.
var streamParams = map[string]listParam{
	"country": {csv: true}, "country_all": {csv: true}, "country_not": {csv: true},
	"theme": {csv: true}, "theme_all": {csv: true}, "theme_not": {csv: true},
	"source": {}, "section": {}, "language": {}, "cursor": {},
}

// changeWatch tells the change streams of this instance when the change
// feed has moved: one poll of the newest change for all of them, every
// interval while any is open, and one at once after a write through this
// instance.
type changeWatch struct {
	feed  news.ChangeService
	every time.Duration
	open  atomic.Int32  // streams open
	kick  chan struct{} // a write went through: poll now

	mu    sync.Mutex
	last  int64
	moved chan struct{} // closed when the feed moves past last
	ended chan struct{} // closed when the streams must end (shutdown)
	once  sync.Once
}

func newChangeWatch(feed news.ChangeService, every time.Duration) *changeWatch {
	if every <= 0 {
		every = DefaultStreamPoll
	}
	return &changeWatch{feed: feed, every: every, kick: make(chan struct{}, 1),
		moved: make(chan struct{}), ended: make(chan struct{})}
}

// run polls until stop is called.
func (w *changeWatch) run() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(w.every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-w.kick:
			}
			if w.open.Load() > 0 {
				w.poll(ctx)
			}
		}
	}()
	return func() {
		w.end()
		cancel()
		<-done
	}
}

// poll reads the newest change; if the feed moved, it wakes the streams.
// While the database cannot say, the streams wait for the next poll.
func (w *changeWatch) poll(ctx context.Context) {
	last, err := w.feed.LastChange(ctx)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if last != w.last {
		w.last = last
		close(w.moved)
		w.moved = make(chan struct{})
	}
}

// next is closed when the feed moves after the call.
func (w *changeWatch) next() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.moved
}

// nudge asks for a poll now (a write went through this instance).
func (w *changeWatch) nudge() {
	if w.open.Load() == 0 {
		return
	}
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// end ends every stream: the server is shutting down, and would
// otherwise wait for them until its timeout.
func (w *changeWatch) end() { w.once.Do(func() { close(w.ended) }) }

// afterWrites nudges the watch after each successful write.
func (w *changeWatch) afterWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if m := c.Request().Method; m != http.MethodGet && m != http.MethodHead && err == nil && c.Response().Status < 300 {
			w.nudge()
		}
		return err
	}
}

// streamChanges godoc
//
//	@Summary		The change feed live, as server-sent events
//	@Description	The entries of GET /v1/changes as they are committed, as text/event-stream: each event is named upsert or delete, its data is the entry's JSON and its id is the entry's cursor. An EventSource that reconnects sends the last id as Last-Event-ID and resumes after it with nothing missed; cursor= starts after a given cursor (without either, the stream starts now, and cursor=0 replays the whole feed first). A comment line is sent every 15 seconds while nothing changes. The list filters (country, theme, their _all and _not forms, source, section, language) apply to each change: an article that the filter does not select, or no longer selects, is a delete, exactly as a draft is to everyone but editors, so a copy kept from the stream stays exact. Changes written through other instances arrive within HEADLINES_CACHE_POLL. Never compressed or cached.
//	@Tags			articles
//	@ID				streamChanges
//	@Produce		text/event-stream,application/problem+json
//	@Param			Last-Event-ID	header		string		false	"the id of the last event received: resume after it"
//	@Param			cursor			query		string		false	"a cursor of the change feed to start after, or now (the default)"	example(0)
//	@Param			country			query		[]string	false	"ISO 3166-1 alpha-2 codes or names; any of them"					collectionFormat(csv)
//	@Param			country_all		query		[]string	false	"all of these countries"											collectionFormat(csv)
//	@Param			country_not		query		[]string	false	"none of these countries"											collectionFormat(csv)
//	@Param			theme			query		[]string	false	"theme slugs, names or aliases; any of them"						collectionFormat(csv)
//	@Param			theme_all		query		[]string	false	"all of these themes"												collectionFormat(csv)
//	@Param			theme_not		query		[]string	false	"none of these themes"												collectionFormat(csv)
//	@Param			source			query		string		false	"exact source"
//	@Param			section			query		string		false	"exact section"
//	@Param			language		query		string		false	"language tag, any case"
//	@Success		200				{string}	string		"the event stream"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		429				{object}	Problem
//	@Router			/v1/changes/stream [get]
func (h *handlers) streamChanges(c echo.Context) error {
	ctx := c.Request().Context()
	query := c.QueryParams()
	cursor := query.Get("cursor")
	if id := c.Request().Header.Get("Last-Event-ID"); id != "" {
		cursor = id // a reconnecting EventSource: its URL still has the first cursor
	}
	fq := make(map[string][]string, len(query))
	for name, vals := range query {
		if name != "cursor" {
			fq[name] = vals
		}
	}
	if vals := query["cursor"]; len(vals) > 1 {
		return news.FieldErrorf(news.EInvalid, "cursor", "may be given only once")
	}
	editor := isEditor(c)
	lr, err := parseList(fq, streamParams, h.vocab.Vocabulary(), h.cursors, editor)
	if err != nil {
		return err
	}
	f := lr.filter
	var after int64
	switch cursor {
	case "", "now":
		if after, err = h.changes.LastChange(news.WithFreshReads(ctx)); err != nil {
			return err
		}
	default:
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 0 {
			field := "cursor"
			if c.Request().Header.Get("Last-Event-ID") != "" {
				field = "Last-Event-ID"
			}
			return news.FieldErrorf(news.EInvalid, field, "must be an id of this stream (a cursor of the change feed), or now; got %q", cursor)
		}
		after = n
	}

	res := c.Response()
	hdr := res.Header()
	hdr.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	hdr.Set(echo.HeaderCacheControl, "no-store")
	hdr.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	res.WriteHeader(http.StatusOK)
	if c.Request().Method == http.MethodHead {
		return nil // the headers alone
	}
	rc := http.NewResponseController(res)
	// The stream outlives the server's read and write timeouts, which are
	// for ordinary requests: the read deadline is lifted (a read that timed
	// out would end the request), and each write gets its own.
	_ = rc.SetReadDeadline(time.Time{})
	h.watch.open.Add(1)
	defer h.watch.open.Add(-1)
	heartbeat := time.NewTicker(h.heartbeat)
	defer heartbeat.Stop()
	var buf bytes.Buffer
	send := func() error {
		_ = rc.SetWriteDeadline(time.Now().Add(h.heartbeat + streamWriteGrace))
		if _, err := res.Write(buf.Bytes()); err != nil {
			return err
		}
		buf.Reset()
		return rc.Flush()
	}
	buf.WriteString("retry: 2000\n\n") // reconnect after two seconds
	for {
		moved := h.watch.next() // before the read, so no change slips between
		list, err := h.changes.Changes(ctx, after, streamBatch, editor)
		if err != nil {
			return nil // the answer has begun: the client reconnects and resumes
		}
		for _, ch := range list {
			writeEvent(&buf, streamEntry(ch, f))
			after = ch.Seq
		}
		if buf.Len() > 0 {
			if err := send(); err != nil {
				return nil
			}
		}
		if len(list) == streamBatch {
			continue
		}
		select {
		case <-moved:
		case <-heartbeat.C:
			buf.WriteString(": heartbeat\n\n")
			if err := send(); err != nil {
				return nil
			}
		case <-ctx.Done():
			return nil
		case <-h.watch.ended:
			return nil
		}
	}
}

// streamWriteGrace is how long a write to a stream may take beyond the
// heartbeat before the client counts as gone.
const streamWriteGrace = 10 * time.Second

// streamEntry is ch as the stream with filter f sends it: an article the
// filter does not select is a deletion there.
func streamEntry(ch news.Change, f news.Filter) ChangeEntry {
	e := ChangeEntry{Op: "upsert", Seq: ch.Seq, ID: ch.ID}
	if !ch.Deleted {
		if selected, _ := f.Selects(*ch.Article); selected {
			a := wire.FromNews(*ch.Article)
			e.Article = &a
			return e
		}
	}
	e.Op = "delete"
	at := ch.At
	e.DeletedAt = &at
	return e
}

// writeEvent appends e as one server-sent event.
func writeEvent(buf *bytes.Buffer, e ChangeEntry) {
	data, _ := json.Marshal(e) // plain values: it cannot fail
	buf.WriteString("id: ")
	buf.WriteString(strconv.FormatInt(e.Seq, 10))
	buf.WriteString("\nevent: ")
	buf.WriteString(e.Op)
	buf.WriteString("\ndata: ")
	buf.Write(data) // JSON holds no raw newline
	buf.WriteString("\n\n")
}

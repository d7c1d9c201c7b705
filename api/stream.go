package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/ticker"
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
	// DefaultStreamsPerClient is how many streams one client address may
	// hold open at once: each costs the server about 25 KB.
	DefaultStreamsPerClient = 50
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
// instance. When the feed moved it reads the new changes once, as the
// public sees them, so that streams at the head of the feed (most of
// them) need no read of their own: 5,000 streams took 5.5 s to all
// receive one change when each read it.
type changeWatch struct {
	feed  news.ChangeService
	every time.Duration
	open  atomic.Int32  // streams open
	kick  chan struct{} // a write went through: poll now

	mu    sync.Mutex
	seen  int64         // the newest change when last polled
	pos   int64         // the last change read into batch
	batch *changeBatch  // the changes read at the last move; nil: seen and pos are to be read afresh
	moved chan struct{} // closed when the feed moves
	ended chan struct{} // closed when the streams must end (shutdown)
	once  sync.Once

	perClient int            // streams one client address may hold open
	clients   map[string]int // streams open by client address
}

// changeBatch is the public view of the changes after a position,
// complete when it holds every change there was after it.
type changeBatch struct {
	after    int64
	changes  []news.Change
	complete bool
}

func newChangeWatch(feed news.ChangeService, every time.Duration, perClient int) *changeWatch {
	if every <= 0 {
		every = DefaultStreamPoll
	}
	if perClient <= 0 {
		perClient = DefaultStreamsPerClient
	}
	return &changeWatch{feed: feed, every: every, kick: make(chan struct{}, 1),
		moved: make(chan struct{}), ended: make(chan struct{}), perClient: perClient, clients: map[string]int{}}
}

// admit counts a stream of client open, unless it holds as many as it
// may; release counts it closed.
func (w *changeWatch) admit(client string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.clients[client] >= w.perClient {
		return false
	}
	w.clients[client]++
	return true
}

func (w *changeWatch) release(client string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.clients[client]--; w.clients[client] <= 0 {
		delete(w.clients, client)
	}
}

// run polls until stop is called.
func (w *changeWatch) run() (stop func()) {
	stopPolls := ticker.Every(w.every, w.kick, func(ctx context.Context) {
		if w.open.Load() > 0 {
			w.poll(ctx)
			return
		}
		w.mu.Lock()
		w.batch = nil // read afresh when a stream opens
		w.mu.Unlock()
	})
	return func() {
		w.end()
		stopPolls()
	}
}

// poll reads the newest change; if the feed moved, it reads the new
// changes and wakes the streams. While the database cannot say, the
// streams wait for the next poll.
func (w *changeWatch) poll(ctx context.Context) {
	last, err := w.feed.LastChange(ctx)
	if err != nil {
		return
	}
	w.mu.Lock()
	primed, seen, pos := w.batch != nil, w.seen, w.pos
	w.mu.Unlock()
	if primed && last == seen {
		return
	}
	b := &changeBatch{after: pos}
	if primed {
		list, err := w.feed.Changes(ctx, pos, streamBatch, false)
		if err != nil {
			return
		}
		b.changes, b.complete = list, len(list) < streamBatch
		if len(list) > 0 {
			pos = list[len(list)-1].Seq
		}
	} else {
		pos = last
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if primed {
		if !b.complete || pos < last {
			// More to read, or changes not yet on the replica read (or a
			// vocabulary edit, which has no entry): read again next poll.
			last = seen
		}
		if b.complete && len(b.changes) == 0 {
			w.seen = last
			return // nothing to send: no stream need wake
		}
	}
	w.seen, w.pos, w.batch = last, pos, b
	close(w.moved)
	w.moved = make(chan struct{})
}

// next is closed when the feed moves after the call.
func (w *changeWatch) next() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.moved
}

// take returns the changes after position after as the public sees them,
// when the last batch read holds all of them: that batch, or none when
// after is where the watch has read to (a later change moves the feed).
func (w *changeWatch) take(after int64) ([]news.Change, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.batch
	switch {
	case b == nil || !b.complete:
		return nil, false
	case b.after == after:
		return b.changes, true
	case w.pos == after:
		return nil, true
	}
	return nil, false
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

// afterWrites calls each nudge after each successful write.
func afterWrites(nudges ...func()) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			if m := c.Request().Method; m != http.MethodGet && m != http.MethodHead && err == nil && c.Response().Status < 300 {
				for _, nudge := range nudges {
					nudge()
				}
			}
			return err
		}
	}
}

// streamChanges godoc
//
//	@Summary		The change feed live, as server-sent events
//	@Description	The entries of GET /v1/changes as they are committed, as text/event-stream: each event is named upsert or delete, its data is the entry's JSON and its id is the entry's cursor. An EventSource that reconnects sends the last id as Last-Event-ID and resumes after it with nothing missed; cursor= starts after a given cursor (without either, the stream starts now, and cursor=0 replays the whole feed first). A cursor ahead of the feed, as after a restore of the database from a backup, is a 400 naming it, as on GET /v1/changes: sync again from the beginning. A comment line is sent every 15 seconds while nothing changes. The list filters (country, theme, their _all and _not forms, source, section, language) apply to each change: an article that the filter does not select, or no longer selects, is a delete, exactly as a draft is to everyone but editors, so a copy kept from the stream stays exact. Changes written through other instances arrive within HEADLINES_CACHE_POLL. Never compressed or cached.
//	@Tags			articles
//	@ID				streamChanges
//	@Produce		text/event-stream,application/problem+json
//	@Param			Last-Event-ID	header		string		false	"the id of the last event received: resume after it"
//	@Param			cursor			query		string		false	"a cursor of the change feed to start after, or now (the default)"													example(0)
//	@Param			country			query		[]string	false	"ISO 3166-1 alpha-2 codes or names; any of them"																	collectionFormat(csv)
//	@Param			country_all		query		[]string	false	"all of these countries"																							collectionFormat(csv)
//	@Param			country_not		query		[]string	false	"none of these countries (one that country_all requires, or every value of country, is a 400: nothing could match)"	collectionFormat(csv)
//	@Param			theme			query		[]string	false	"theme slugs, names or aliases; any of them"																		collectionFormat(csv)
//	@Param			theme_all		query		[]string	false	"all of these themes"																								collectionFormat(csv)
//	@Param			theme_not		query		[]string	false	"none of these themes (one that theme_all requires, or every value of theme, is a 400: nothing could match)"		collectionFormat(csv)
//	@Param			source			query		string		false	"exact source"
//	@Param			section			query		string		false	"exact section"
//	@Param			language		query		string		false	"language tag, any case"
//	@Success		200				{string}	string		"the event stream"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem	"the database is unavailable"
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
	if vals, ok := query["cursor"]; ok && len(vals) > 1 {
		return news.FieldErrorf(news.EInvalid, "cursor", "may be given only once")
	} else if ok && vals[0] == "" {
		return news.FieldErrorf(news.EInvalid, "cursor", "must not be empty: a cursor of the change feed, or now")
	}
	editor := isEditor(c)
	vocab := h.vocab.Vocabulary()
	lr, err := parseList(fq, streamParams, vocab, h.cursors, editor)
	if err != nil {
		return err
	}
	f := lr.filter
	// The primary decides where the feed is, so that a replica that lags
	// is not mistaken for a restore.
	last, err := h.changes.LastChange(news.WithFreshReads(ctx))
	if err != nil {
		return err
	}
	after := last
	if cursor != "" && cursor != "now" {
		field := "cursor"
		if c.Request().Header.Get("Last-Event-ID") != "" {
			field = "Last-Event-ID"
		}
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 0 {
			return news.FieldErrorf(news.EInvalid, field, "must be an id of this stream (a cursor of the change feed), or now; got %q", cursor)
		}
		if n > last {
			// As GET /v1/changes says: after a restore of the database
			// from a backup, a client must hear it rather than wait for
			// changes it already skipped.
			return news.FieldErrorf(news.EInvalid, field, "%d is ahead of the feed, whose newest change is %d: the database was probably restored from a backup, so sync again from the beginning", n, last)
		}
		after = n
	}

	client := c.RealIP()
	if !h.watch.admit(client) {
		c.Response().Header().Set("Retry-After", "60")
		return news.Errorf(news.ETooMany, "this address holds %d change streams open, as many as it may; close one, or follow the feed with GET /v1/changes", h.watch.perClient)
	}

	res := c.Response()
	hdr := res.Header()
	hdr.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	hdr.Set(echo.HeaderCacheControl, "no-store")
	hdr.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	if c.Request().Method == http.MethodHead {
		h.watch.release(client)
		res.WriteHeader(http.StatusOK)
		return nil // the headers alone
	}
	s := stream{fq: fq, vocab: vocab, f: f, after: after, editor: editor}
	// An HTTP/1.1 connection is taken from the server (hijacked) and the
	// stream goes on from a goroutine of its own, which starts small and
	// holds no request: 5,000 idle streams took 226 MB of RSS while each
	// kept its request's goroutine (a 16 KB stack), net/http's buffers
	// and its reader goroutine, and take 134 MB so. HTTP/2 has no such
	// connection, and HTTP/1.0 reads no chunks: there the stream stays in
	// the request. The request log tells the stream's start, not its end.
	if r := c.Request(); r.ProtoMajor == 1 && r.ProtoMinor >= 1 {
		if conn, err := hijack(res); err == nil {
			res.Status, res.Committed = http.StatusOK, true // as the request log tells it
			go func() {
				defer h.watch.release(client)
				h.serveHijacked(context.WithoutCancel(ctx), conn, hdr.Clone(), s)
			}()
			return nil
		}
	}
	defer h.watch.release(client)
	res.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(res)
	// The stream outlives the server's read and write timeouts, which are
	// for ordinary requests: the read deadline is lifted (a read that timed
	// out would end the request), and each write gets its own.
	_ = rc.SetReadDeadline(time.Time{})
	h.runStream(ctx, s, func(b []byte) error {
		_ = rc.SetWriteDeadline(time.Now().Add(h.heartbeat + streamWriteGrace))
		if _, err := res.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	})
	return nil
}

// stream is where a change stream is, and what it sends.
type stream struct {
	fq     url.Values
	vocab  *news.Vocabulary
	f      news.Filter
	after  int64
	editor bool
}

// hijack takes res's HTTP/1.1 connection from the server, before
// anything is written. A request pipelined behind the stream's would go
// unanswered, as it would behind any stream.
func hijack(res *echo.Response) (net.Conn, error) {
	conn, _, err := http.NewResponseController(res).Hijack()
	return conn, err
}

// serveHijacked sends stream s on conn, chunked, with the headers the
// middleware set on the answer, until the client goes or the stream ends.
func (h *handlers) serveHijacked(ctx context.Context, conn net.Conn, hdr http.Header, s stream) {
	defer conn.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_ = conn.SetReadDeadline(time.Time{})
	go func() {
		// The client sends nothing more: a read ends when it goes.
		_, _ = io.Copy(io.Discard, conn)
		cancel()
	}()
	write := func(b []byte) error {
		_ = conn.SetWriteDeadline(time.Now().Add(h.heartbeat + streamWriteGrace))
		_, err := conn.Write(b)
		return err
	}
	hdr.Del(echo.HeaderContentLength)
	hdr.Set("Transfer-Encoding", "chunked")
	hdr.Set(echo.HeaderConnection, "close") // the connection ends with the stream
	hdr.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 200 OK\r\n")
	_ = hdr.Write(&head)
	head.WriteString("\r\n")
	if write(head.Bytes()) != nil {
		return
	}
	h.runStream(ctx, s, func(b []byte) error {
		chunk := make([]byte, 0, len(b)+12)
		chunk = strconv.AppendInt(chunk, int64(len(b)), 16)
		chunk = append(chunk, "\r\n"...)
		chunk = append(append(chunk, b...), "\r\n"...)
		return write(chunk)
	})
}

// runStream sends stream s with send until the client goes (ctx), a
// write fails or the server shuts down.
func (h *handlers) runStream(ctx context.Context, s stream, send func([]byte) error) {
	h.watch.open.Add(1)
	defer h.watch.open.Add(-1)
	h.watch.nudge() // a first poll now, when this is the only stream
	heartbeat := time.NewTicker(h.heartbeat)
	defer heartbeat.Stop()
	if send([]byte("retry: 2000\n\n")) != nil { // reconnect after two seconds
		return
	}
	for {
		moved := h.watch.next() // before the read, so no change slips between
		if s.resolve(h, h.vocab.Vocabulary()) != nil {
			return
		}
		var shared []news.Change
		ok := false
		if !s.editor {
			shared, ok = h.watch.take(s.after)
		}
		// Reads and encoding run on a goroutine of their own: this one
		// waits for hours, and keeps the stack it grew to. It may resolve
		// the filter again; this one waits for it meanwhile.
		out := make(chan streamChunk, 1)
		go func() { out <- h.streamRead(ctx, &s, shared, ok) }()
		chunk := <-out
		if chunk.err != nil {
			return // the answer has begun: the client reconnects and resumes
		}
		if chunk.n > 0 {
			s.after = chunk.last
			if send(chunk.events) != nil {
				return
			}
		}
		if chunk.n == streamBatch {
			continue
		}
		select {
		case <-moved:
		case <-heartbeat.C:
			if send([]byte(": heartbeat\n\n")) != nil {
				return
			}
		case <-ctx.Done():
			return
		case <-h.watch.ended:
			return
		}
	}
}

// streamChunk is what a stream sends next: n events, the last at cursor
// last.
type streamChunk struct {
	events []byte
	n      int
	last   int64
	err    error
}

// streamRead reads the changes after s's position (the watch's shared
// ones when ok) and encodes them for s's filter.
func (h *handlers) streamRead(ctx context.Context, s *stream, shared []news.Change, ok bool) streamChunk {
	list := shared
	if !ok {
		var err error
		if list, err = h.changes.Changes(ctx, s.after, streamBatch, s.editor); err != nil {
			return streamChunk{err: err}
		}
	}
	if err := s.resolve(h, h.knowing(ctx, s.vocab, list)); err != nil {
		return streamChunk{err: err}
	}
	var buf bytes.Buffer
	for _, ch := range list {
		writeEvent(&buf, changeEntry(ch, s.f))
	}
	c := streamChunk{events: buf.Bytes(), n: len(list)}
	if len(list) > 0 {
		c.last = list[len(list)-1].Seq
	}
	return c
}

// resolve resolves s's filter again when v is not the vocabulary it was
// resolved with: a theme renamed (its articles' changes follow) is still
// the theme the client named. A filter that names nothing now is an
// error, which ends the stream; the client's reconnect hears why.
func (s *stream) resolve(h *handlers, v *news.Vocabulary) error {
	if v == s.vocab {
		return nil
	}
	lr, err := parseList(s.fq, streamParams, v, h.cursors, s.editor)
	if err != nil {
		return err
	}
	s.vocab, s.f = v, lr.filter
	return nil
}

// knowing returns v when it knows every tag of list's articles, and else
// the vocabulary read again. A change can name a tag v does not know: a
// theme renamed through another instance (whose vocabulary this one
// reads again every second), or through this one, whose commit is
// visible a moment before its vocabulary is published. Tested against v, the renamed
// theme's articles would fail a filter on its old name, and go out as
// deletions.
func (h *handlers) knowing(ctx context.Context, v *news.Vocabulary, list []news.Change) *news.Vocabulary {
	if knowsAll(v, list) {
		return v
	}
	if cur := h.vocab.Vocabulary(); cur != v && knowsAll(cur, list) {
		return cur // published meanwhile
	}
	fresh, err := h.vocab.FreshVocabulary(ctx)
	if err != nil {
		return h.vocab.Vocabulary() // the newest there is; the tag stays unknown
	}
	return fresh
}

// knowsAll reports whether v knows every tag of list's articles.
func knowsAll(v *news.Vocabulary, list []news.Change) bool {
	for _, ch := range list {
		if ch.Article != nil && !v.Knows(*ch.Article) {
			return false
		}
	}
	return true
}

// streamWriteGrace is how long a write to a stream may take beyond the
// heartbeat before the client counts as gone.
const streamWriteGrace = 10 * time.Second

// changeEntry is ch as a feed with filter f sends it: an article the
// filter does not select is a deletion there.
func changeEntry(ch news.Change, f news.Filter) ChangeEntry {
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

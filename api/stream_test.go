package api_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/store/storetest"
)

// sseEvent is one server-sent event, or a comment line (comment set).
type sseEvent struct {
	id, event, data, comment string
}

// entry decodes the event's data, a change-feed entry.
func (ev sseEvent) entry(t *testing.T) api.ChangeEntry {
	t.Helper()
	var e api.ChangeEntry
	if err := json.Unmarshal([]byte(ev.data), &e); err != nil {
		t.Fatalf("event data %q: %v", ev.data, err)
	}
	return e
}

// stream is an open GET /v1/changes/stream.
type stream struct {
	t      *testing.T
	res    *http.Response
	events chan sseEvent
}

// openStream opens the stream at path with the request headers given as
// name, value pairs, and checks that it is an event stream.
func openStream(t *testing.T, base, path string, headers ...string) *stream {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip") // which the stream must not use
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	s := &stream{t: t, res: res, events: make(chan sseEvent, 1000)}
	t.Cleanup(s.close)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", path, res.StatusCode)
	}
	if ct, ce, cc := res.Header.Get("Content-Type"), res.Header.Get("Content-Encoding"), res.Header.Get("Cache-Control"); ct != "text/event-stream; charset=utf-8" || ce != "" || cc != "no-store" || res.Header.Get("ETag") != "" {
		t.Fatalf("%s: Content-Type %q, Content-Encoding %q, Cache-Control %q, ETag %q", path, ct, ce, cc, res.Header.Get("ETag"))
	}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			name, value, _ := strings.Cut(line, ": ")
			switch {
			case line == "":
				if ev != (sseEvent{}) {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				ev.comment = strings.TrimPrefix(line, ": ")
			case name == "id":
				ev.id = value
			case name == "event":
				ev.event = value
			case name == "data":
				ev.data = value
			case name == "retry":
			default:
				t.Errorf("a line no event stream holds: %q", line)
			}
		}
	}()
	return s
}

func (s *stream) close() { _ = s.res.Body.Close() }

// next returns the next event that is not a comment (retry and
// heartbeats are skipped), failing after a few seconds.
func (s *stream) next() sseEvent {
	s.t.Helper()
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				s.t.Fatal("the stream ended")
			}
			if ev.comment == "" && ev.event != "" {
				return ev
			}
		case <-time.After(5 * time.Second):
			s.t.Fatal("no event within 5 s")
		}
	}
}

// upsertsCarrying reads events up to the one of article last, each of
// which must be an upsert whose article carries theme slug, and returns
// how many they were.
func (s *stream) upsertsCarrying(slug string, last int64) int {
	s.t.Helper()
	for n := 1; ; n++ {
		en := s.next().entry(s.t)
		if en.Op != "upsert" || en.Article == nil || !slices.Contains(en.Article.Themes, slug) {
			s.t.Fatalf("event %d: %+v, want an upsert carrying %s", n, en, slug)
		}
		if en.ID == last {
			return n
		}
	}
}

// quiet checks that no event comes for a while.
func (s *stream) quiet(d time.Duration) {
	s.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev := <-s.events:
			if ev.event != "" {
				s.t.Fatalf("an event where none was due: %+v", ev)
			}
		case <-deadline:
			return
		}
	}
}

// TestChangeStream: a filtered stream sends, live and in commit order,
// the articles its filter selects as upserts and everything else (an
// article outside the filter, a draft to the public, a deletion) as
// deletes; each event's id is its cursor, and Last-Event-ID resumes after
// it with nothing missed, even when the URL names an older cursor. An
// editor's stream holds drafts; cursor=0 replays the feed.
func TestChangeStream(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		ru := openStream(t, e.srv.URL, "/v1/changes/stream?country=russia&theme_not=culture")
		editor := openStream(t, e.srv.URL, "/v1/changes/stream?country=RU", "Authorization", "Bearer "+editorKey)

		create := func(body string) int64 {
			r := e.do(req{method: "POST", path: "/v1/articles", key: true, body: body})
			if r.status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			return int64(r.json(t)["id"].(float64))
		}
		inRU := create(`{"title":"Moscow and Pyongyang sign a rail deal","url":"https://s.example/1","countries":["RU","KP"],"themes":["trade"]}`)
		inJP := create(`{"title":"Tokyo protests a missile launch","url":"https://s.example/2","countries":["JP"],"themes":["troops"]}`)
		draft := create(`{"title":"Draft on Russian envoys","url":"https://s.example/3","countries":["RU"],"themes":["diplomacy"],"status":"draft"}`)

		want := []struct {
			op string
			id int64
		}{{"upsert", inRU}, {"delete", inJP}, {"delete", draft}}
		var ids []string
		for i, w := range want {
			ev := ru.next()
			en := ev.entry(t)
			if ev.event != w.op || en.Op != w.op || en.ID != w.id || ev.id != strconv.FormatInt(en.Seq, 10) {
				t.Fatalf("event %d: %+v (%+v), want %s of %d with its seq as id", i, ev, en, w.op, w.id)
			}
			if w.op == "upsert" && (en.Article == nil || en.Article.Title == "" || en.Article.ID != w.id) {
				t.Errorf("an upsert without its article: %s", ev.data)
			}
			if w.op == "delete" && (en.Article != nil || en.DeletedAt == nil) {
				t.Errorf("a delete with an article or without deleted_at: %s", ev.data)
			}
			if i > 0 && en.Seq <= mustInt(t, ids[i-1]) {
				t.Errorf("seq %d after %s: not in commit order", en.Seq, ids[i-1])
			}
			ids = append(ids, ev.id)
		}
		// The editor sees the draft as what it is.
		for _, w := range []int64{inRU, inJP, draft} {
			en := editor.next().entry(t)
			if en.ID != w || (w != inJP) != (en.Op == "upsert") {
				t.Errorf("editor's stream: %+v, want %d as an upsert unless outside RU", en, w)
			}
		}
		ru.quiet(300 * time.Millisecond)
		ru.close()

		// A reconnect after the first event: its URL still says cursor=0,
		// Last-Event-ID wins; then it goes on live.
		again := openStream(t, e.srv.URL, "/v1/changes/stream?country=RU&theme_not=culture&cursor=0", "Last-Event-ID", ids[0])
		for i, w := range want[1:] {
			if en := again.next().entry(t); en.ID != w.id || en.Op != w.op || strconv.FormatInt(en.Seq, 10) != ids[i+1] {
				t.Fatalf("resumed event %d: %+v, want %s of %d as %s", i, en, w.op, w.id, ids[i+1])
			}
		}
		r := e.do(req{method: "PATCH", path: fmt.Sprintf("/v1/articles/%d", inJP), key: true, body: `{"countries":["JP","RU"]}`})
		if r.status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
		if en := again.next().entry(t); en.ID != inJP || en.Op != "upsert" || en.Article == nil || len(en.Article.Countries) != 2 {
			t.Errorf("after the article joined RU: %+v, want its upsert", en)
		}
		if r := e.do(req{method: "DELETE", path: fmt.Sprintf("/v1/articles/%d", inRU), key: true}); r.status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		if en := again.next().entry(t); en.ID != inRU || en.Op != "delete" {
			t.Errorf("after the delete: %+v", en)
		}

		// A theme renamed: its articles change, and a stream filtered on
		// the theme's old name (which still names it) sends them as
		// upserts, not as articles that left the filter.
		cyber := create(`{"title":"Lazarus hackers drain an exchange","url":"https://s.example/4","countries":["KP"],"themes":["cyber"]}`)
		renamed := openStream(t, e.srv.URL, "/v1/changes/stream?theme=cyber")
		if r := e.do(req{method: "PATCH", path: "/v1/themes/cyber", key: true, body: `{"slug":"cybercrime"}`}); r.status != http.StatusOK {
			t.Fatalf("rename: %d %s", r.status, r.body)
		}
		renamed.upsertsCarrying("cybercrime", cyber)

		// cursor=0 replays the whole feed, the demo's articles first.
		all := openStream(t, e.srv.URL, "/v1/changes/stream?cursor=0")
		seen := map[int64]bool{}
		for range 10 {
			seen[all.next().entry(t).ID] = true
		}
		if len(seen) != 10 {
			t.Errorf("replay from 0: %d distinct articles in the first 10 events", len(seen))
		}

		for _, c := range []struct {
			path, field string
			headers     []string
		}{
			{"/v1/changes/stream?cursor=yesterday", "cursor", nil},
			{"/v1/changes/stream?cursor=1&cursor=2", "cursor", nil},
			{"/v1/changes/stream?cursor=", "cursor", nil},
			{"/v1/changes/stream", "Last-Event-ID", []string{"Last-Event-ID", "-3"}},
			{"/v1/changes/stream?q=sanctions", "q", nil},
			{"/v1/changes/stream?limit=5", "limit", nil},
			{"/v1/changes/stream?country=Atlantis", "country", nil},
			{"/v1/changes/stream?cursor=99999999", "cursor", nil},                          // ahead of the feed
			{"/v1/changes/stream", "Last-Event-ID", []string{"Last-Event-ID", "99999999"}}, // so is this id
		} {
			assertProblem(t, e.do(req{path: c.path, headers: c.headers}), http.StatusBadRequest, c.field)
		}
	})
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestChangeStreamFromElsewhere: a write through one instance reaches a
// stream on another within its poll; an idle stream sends heartbeats; an
// address holds no more streams than it may; a server that shuts down
// ends its streams.
func TestChangeStreamFromElsewhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		writer := newEnv(t, kind)
		h := api.New(api.Deps{Articles: writer.store, Vocabulary: writer.store, Changes: writer.store, Ping: writer.store.Ping,
			CursorSecret: "test-cursor-secret-0123456789", Log: quietLog(), CachePoll: 50 * time.Millisecond, StreamHeartbeat: 100 * time.Millisecond,
			StreamsPerClient: 2})
		t.Cleanup(func() { _ = h.Close() })
		reader := serve(t, h, writer.store)

		s := openStream(t, reader.srv.URL, "/v1/changes/stream")
		beats := 0
		for deadline := time.After(5 * time.Second); beats < 2; {
			select {
			case ev := <-s.events:
				if ev.comment == "heartbeat" {
					beats++
				} else if ev.event != "" {
					t.Fatalf("an event before any write: %+v", ev)
				}
			case <-deadline:
				t.Fatalf("%d heartbeats in 5 s, at 100 ms", beats)
			}
		}
		r := writer.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Beijing hosts envoys","url":"https://s.example/9","countries":["CN"]}`})
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		start := time.Now()
		if en := s.next().entry(t); en.Op != "upsert" || en.Article == nil || en.Article.Title != "Beijing hosts envoys" {
			t.Errorf("from the other instance: %+v", en)
		}
		t.Logf("a write through the other instance arrived after %v (poll 50 ms)", time.Since(start))

		// Two streams per address here: a third is a 429 until one closes.
		second := openStream(t, reader.srv.URL, "/v1/changes/stream")
		r = reader.do(req{path: "/v1/changes/stream"})
		assertProblem(t, r, http.StatusTooManyRequests, "")
		if r.header.Get("Retry-After") == "" {
			t.Error("a 429 without Retry-After")
		}
		second.close()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			req, _ := http.NewRequest(http.MethodHead, reader.srv.URL+"/v1/changes/stream", nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a stream closed, and still %d", res.StatusCode)
			}
		}

		h.EndStreams()
		for deadline := time.After(5 * time.Second); ; {
			select {
			case _, ok := <-s.events:
				if !ok {
					return // ended
				}
			case <-deadline:
				t.Fatal("the stream outlived EndStreams")
			}
		}
	})
}

// TestChangeStreamInBrowser: a page on another origin follows the stream
// with EventSource and lists new headlines as they are created. The
// server then stops; while it is down, another instance takes writes;
// when it is back on the same address, the browser reconnects by itself
// with Last-Event-ID and the page shows every headline once, in order,
// with none missed.
func TestChangeStreamInBrowser(t *testing.T) {
	ctx, dialogs := browser(t)
	h, st := newAPI(t, "sqlite")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	start := func(h http.Handler, l net.Listener) *httptest.Server {
		srv := httptest.NewUnstartedServer(h)
		srv.Listener = l
		srv.Start()
		return srv
	}
	first := start(h, l)
	e := serve(t, h, st) // for the test's own writes, beside the browser's server
	oh := newAPIOn(t, st)
	other := serve(t, oh, st)
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Live headlines</title></head><body>
<h1>Live from Russia</h1><ol id="live"></ol>
<script>
window.opens = 0;
const es = new EventSource("http://%s/v1/changes/stream?country=RU");
es.onopen = () => { window.opens++; };
es.addEventListener("upsert", (ev) => {
  const entry = JSON.parse(ev.data);
  const li = document.createElement("li");
  li.textContent = entry.article.title;
  li.dataset.id = ev.lastEventId;
  document.getElementById("live").append(li);
});
</script></body></html>`, addr)
	}))
	defer partner.Close()

	waitFor := func(what, js string) {
		t.Helper()
		for range 200 {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
			if err == nil && ok {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		shot := screenshot(t, ctx, "stream-timeout.png")
		t.Fatalf("%s: not within 10 s (%s)", what, shot)
	}
	create := func(via *env, title string) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"title": title, "countries": []string{"RU"}})
		if r := via.do(req{method: "POST", path: "/v1/articles", key: true, body: string(body)}); r.status != http.StatusCreated {
			t.Fatalf("create %q: %d %s", title, r.status, r.body)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(partner.URL)); err != nil {
		t.Fatal(err)
	}
	waitFor("the stream opens", `window.opens === 1`)
	titles := []string{"Moscow hosts a trade fair", `<img src=x onerror=alert(1)> in a title`}
	for _, title := range titles {
		create(e, title)
	}
	waitFor("two headlines", `document.querySelectorAll("#live li").length === 2`)

	// The server goes away; writes go on through another instance.
	h.(*api.API).EndStreams()
	first.Close()
	for _, title := range []string{"Written while the server was down", "And another"} {
		create(other, title)
		titles = append(titles, title)
	}
	l2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the address again: %v", err)
	}
	h2 := newAPIOn(t, st)
	second := start(h2, l2)
	defer func() { h2.EndStreams(); second.Close() }() // the browser's stream is still open
	waitFor("the reconnect", `window.opens === 2`)
	titles = append(titles, "After the restart")
	create(e, "After the restart")
	waitFor("five headlines", `document.querySelectorAll("#live li").length >= 5`)
	if err := chromedp.Do(ctx, chromedp.Sleep(300*time.Millisecond)); err != nil { // time for a duplicate to show
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#live li")].map(li => li.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	shot := screenshot(t, ctx, "stream-after-restart.png")
	if strings.Join(got, "|") != strings.Join(titles, "|") {
		t.Errorf("the page shows %q, want %q once each, in order (%s)", got, titles, shot)
	}
	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened", n)
	}
}

// newAPIOn is a second API over st, as another instance of the server.
func newAPIOn(t *testing.T, st *store.Store) *api.API {
	t.Helper()
	h := api.New(api.Deps{Articles: st, Vocabulary: st, Keys: st, Changes: st, Ping: st.Ping, APIKeys: []string{editorKey},
		CursorSecret: "test-cursor-secret-0123456789", Log: quietLog()})
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// TestChangeStreamOnTheWire reads the stream's answer as bytes: over
// HTTP/1.1 (where the connection is taken from the server) it is chunked
// and carries the headers the middleware set, the security and CORS
// headers among them; over HTTP/1.0, which reads no chunks, it is the
// body itself until the connection closes.
func TestChangeStreamOnTheWire(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	for _, tc := range []struct{ proto, want, not string }{
		{"HTTP/1.1", "Transfer-Encoding: chunked", ""},
		{"HTTP/1.0", "HTTP/1.0 200 OK", "chunked"},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(conn, "GET /v1/changes/stream?country=RU %s\r\nHost: localhost\r\nOrigin: https://partner.example\r\n\r\n", tc.proto)
		var got strings.Builder
		buf := make([]byte, 4096)
		for !strings.Contains(got.String(), "retry: 2000") {
			n, err := conn.Read(buf)
			got.Write(buf[:n])
			if err != nil {
				break
			}
		}
		_ = conn.Close()
		head := got.String()
		for _, want := range []string{tc.want, "Content-Type: text/event-stream", "X-Content-Type-Options: nosniff",
			"Access-Control-Allow-Origin: *", "Cache-Control: no-store", "retry: 2000"} {
			if !strings.Contains(head, want) {
				t.Errorf("%s: the answer lacks %q:\n%s", tc.proto, want, head)
			}
		}
		if tc.not != "" && strings.Contains(head, tc.not) {
			t.Errorf("%s: the answer has %q:\n%s", tc.proto, tc.not, head)
		}
	}
}

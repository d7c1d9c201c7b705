package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
)

// delivery is one request a test receiver got.
type delivery struct {
	header http.Header
	body   []byte
	event  struct {
		Type string `json:"type"`
		Data struct {
			ID        int64    `json:"id"`
			Title     string   `json:"title"`
			Countries []string `json:"countries"`
			Themes    []string `json:"themes"`
		} `json:"data"`
	}
}

// receiver is a webhook receiver over real HTTP: it keeps what it is
// sent and answers with status(n) for the n-th request (from 0).
type receiver struct {
	srv    *httptest.Server
	status func(n int) int
	delay  time.Duration

	mu  sync.Mutex
	got []delivery
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	r := &receiver{status: status}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		n := len(r.got)
		d := delivery{header: req.Header.Clone(), body: body}
		_ = json.Unmarshal(body, &d.event)
		r.got = append(r.got, d)
		r.mu.Unlock()
		if r.delay > 0 {
			select {
			case <-time.After(r.delay):
			case <-req.Context().Done():
			}
		}
		code := http.StatusNoContent
		if r.status != nil {
			code = r.status(n)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// waitFor waits until the receiver holds n requests.
func (r *receiver) waitFor(t *testing.T, n int) []delivery {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if got := r.deliveries(); len(got) >= n {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := r.deliveries()
	t.Fatalf("the receiver got %d requests, want %d: %s", len(got), n, summary(got))
	return nil
}

func summary(ds []delivery) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("%s(%d)", d.event.Type, d.event.Data.ID))
	}
	return strings.Join(parts, " ")
}

// verify checks every request's signature with the Standard Webhooks
// library, not the server's own code.
func verify(t *testing.T, secret string, ds []delivery) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatalf("the secret %q is not one the library reads: %v", secret, err)
	}
	for i, d := range ds {
		if err := wh.Verify(d.body, d.header); err != nil {
			t.Errorf("request %d (%s): the signature does not verify: %v", i, d.header.Get("webhook-id"), err)
		}
	}
}

// webhookEnv is an API that delivers to loopback receivers quickly.
func webhookEnv(t *testing.T, kind string, opts ...func(*api.Deps)) *env {
	return newEnv(t, kind, append([]func(*api.Deps){func(d *api.Deps) {
		d.CachePoll = 50 * time.Millisecond
		d.Webhook = api.WebhookOptions{AllowPrivate: true, RetryBase: 20 * time.Millisecond, Lease: 3 * time.Second, Timeout: 2 * time.Second}
	}}, opts...)...)
}

// createWebhook creates a webhook and returns its id and secret.
func (e *env) createWebhook(body string) (int64, string) {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/v1/webhooks", admin: true, body: body})
	if r.status != http.StatusCreated {
		e.t.Fatalf("create webhook: %d %s", r.status, r.body)
	}
	var w struct {
		ID     int64
		Secret string
	}
	if err := json.Unmarshal(r.body, &w); err != nil || !strings.HasPrefix(w.Secret, "whsec_") {
		e.t.Fatalf("the created webhook has no whsec_ secret: %s", r.body)
	}
	return w.ID, w.Secret
}

// write sends an editor's write and returns the article's id.
func (e *env) write(method, path, body string) int64 {
	e.t.Helper()
	r := e.do(req{method: method, path: path, key: true, body: body})
	if r.status >= 300 {
		e.t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
	}
	if r.status == http.StatusNoContent {
		return 0
	}
	var a struct{ ID int64 }
	_ = json.Unmarshal(r.body, &a)
	return a.ID
}

// TestWebhookDeliversTheFeed follows one article through its life and
// checks what two webhooks are sent: one for Russia, all events; one
// for everything, deletions only. Each event arrives once, in order,
// signed so that the Standard Webhooks library verifies it; changes
// that a webhook's filter never selected are never sent to it.
func TestWebhookDeliversTheFeed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		e := webhookEnv(t, kind)
		ru, all := newReceiver(t, nil), newReceiver(t, nil)
		ruID, ruSecret := e.createWebhook(`{"url":"` + ru.srv.URL + `/hook","filter":"country=Russia","description":"Russia desk"}`)
		_, allSecret := e.createWebhook(`{"url":"` + all.srv.URL + `","events":["article.deleted"]}`)
		if r := e.do(req{path: fmt.Sprint("/v1/webhooks/", ruID), admin: true}); r.status != 200 || strings.Contains(string(r.body), "whsec_") {
			t.Errorf("GET of a webhook: %d, and it must not show the secret again: %s", r.status, r.body)
		}

		type want struct {
			typ string
			id  *int64
		}
		var expect []want
		step := func(method, path, body string, events ...string) int64 {
			t.Helper()
			id := e.write(method, path, body)
			if method == "DELETE" {
				_, _ = fmt.Sscanf(path, "/v1/articles/%d", &id)
			}
			for _, ev := range events {
				expect = append(expect, want{ev, &id})
			}
			if len(events) > 0 {
				ru.waitFor(t, len(expect)) // one change at a time: none is folded into a later one
			}
			return id
		}
		a := step("POST", "/v1/articles", `{"title":"Russia and North Korea sign a treaty","url":"https://example.com/w1","countries":["RU","KP"]}`, "article.published")
		pa := fmt.Sprint("/v1/articles/", a)
		step("POST", "/v1/articles", `{"title":"Japan protests a missile launch","url":"https://example.com/w2","countries":["JP"]}`)
		step("PATCH", pa, `{"title":"Russia and North Korea sign a defence treaty"}`, "article.updated")
		step("PATCH", pa, `{"status":"draft"}`, "article.deleted")
		// The deletions webhook walks the feed on its own: it must have sent
		// a's unpublishing before a is published again, or it is sent a as it
		// is now (partners.md), and never sees the deletion.
		all.waitFor(t, 1)
		step("PATCH", pa, `{"status":"published"}`, "article.published")
		step("PATCH", pa, `{"countries":["JP"]}`, "article.deleted")
		b := step("POST", "/v1/articles", `{"title":"China and Japan trade talks","url":"https://example.com/w3","countries":["CN","JP"]}`)
		expect = append(expect, want{"article.published", &b})
		step("PATCH", fmt.Sprint("/v1/articles/", b), `{"countries":["RU"]}`)
		ru.waitFor(t, len(expect))
		step("DELETE", fmt.Sprint("/v1/articles/", b), ``, "article.deleted")
		c := step("POST", "/v1/articles", `{"title":"Russia drafts a reply","countries":["RU"],"status":"draft"}`)
		step("DELETE", fmt.Sprint("/v1/articles/", c), ``)
		d := step("POST", "/v1/articles", `{"title":"Russia sends troops","url":"https://example.com/w4","countries":["RU"]}`, "article.published")

		ru.waitFor(t, len(expect))
		time.Sleep(300 * time.Millisecond) // anything more would arrive by now
		got := ru.deliveries()
		if len(got) != len(expect) {
			t.Fatalf("the Russia webhook got %d events, want %d: %s", len(got), len(expect), summary(got))
		}
		seen := map[string]bool{}
		for i, w := range expect {
			g := got[i]
			if g.event.Type != w.typ || g.event.Data.ID != *w.id {
				t.Errorf("event %d is %s(%d), want %s(%d); all: %s", i, g.event.Type, g.event.Data.ID, w.typ, *w.id, summary(got))
			}
			if id := g.header.Get("webhook-id"); seen[id] || !strings.HasPrefix(id, fmt.Sprintf("msg_%d_", ruID)) {
				t.Errorf("event %d has webhook-id %q: want a new msg_%d_… id", i, id, ruID)
			} else {
				seen[id] = true
			}
			if g.event.Type != "article.deleted" && !strings.Contains(strings.Join(g.event.Data.Countries, ","), "RU") {
				t.Errorf("event %d carries an article not about Russia: %s", i, g.body)
			}
		}
		verify(t, ruSecret, got)
		if ts := got[0].header.Get("webhook-timestamp"); ts == "" || got[0].header.Get("Content-Type") != "application/json" {
			t.Errorf("headers: %v", got[0].header)
		}

		// Deletions only, of everything public: a's unpublishing and b's
		// deletion. c was never public, and the rest were not deletions.
		all.waitFor(t, 2)
		time.Sleep(200 * time.Millisecond)
		if dels := all.deliveries(); summary(dels) != fmt.Sprintf("article.deleted(%d) article.deleted(%d)", a, b) {
			t.Errorf("the deletions webhook got %s", summary(dels))
		}
		verify(t, allSecret, all.deliveries())

		// The webhook shows where it is and how it fares.
		r := e.do(req{path: fmt.Sprint("/v1/webhooks/", ruID), admin: true})
		w := r.json(t)
		if w["last_success_at"] == nil || w["paused"] != false || w["failures"] != float64(0) {
			t.Errorf("the webhook after its deliveries: %s", r.body)
		}
		r = e.do(req{path: fmt.Sprint("/v1/webhooks/", ruID, "/deliveries?limit=3"), admin: true})
		var list struct {
			Data []struct {
				MessageID string `json:"message_id"`
				Event     string
				Status    int
				Delivered bool
			}
		}
		if err := json.Unmarshal(r.body, &list); err != nil || len(list.Data) != 3 {
			t.Fatalf("deliveries: %d %s", r.status, r.body)
		}
		if l := list.Data[0]; !l.Delivered || l.Status != 204 || l.Event != "article.published" || l.MessageID != got[len(got)-1].header.Get("webhook-id") {
			t.Errorf("the newest delivery listed is %+v, want the publication of %d", l, d)
		}

		// A test event is signed as the rest, and moves nothing.
		r = e.do(req{method: "POST", path: fmt.Sprint("/v1/webhooks/", ruID, "/test"), admin: true})
		if m := r.json(t); r.status != 200 || m["delivered"] != true || m["event"] != "webhook.test" {
			t.Errorf("test event: %d %s", r.status, r.body)
		}
		got = ru.deliveries()
		if last := got[len(got)-1]; last.event.Type != "webhook.test" {
			t.Errorf("the receiver's last request is %s, want the test", last.event.Type)
		}
		verify(t, ruSecret, got[len(got)-1:])
	})
}

// TestWebhookRetriesThenPauses: failed attempts are retried with the same
// webhook-id until one succeeds; a 410 pauses the webhook with its
// reason, nothing is sent while it is paused, and resuming sends the
// event it stopped at; retries that run out pause it too.
func TestWebhookRetriesThenPauses(t *testing.T) {
	t.Parallel()
	e := webhookEnv(t, "sqlite")
	codes := []int{500, 503, 204, 410, 204, 204}
	rcv := newReceiver(t, func(n int) int { return codes[min(n, len(codes)-1)] })
	id, secret := e.createWebhook(`{"url":"` + rcv.srv.URL + `"}`)
	path := fmt.Sprint("/v1/webhooks/", id)
	// Publications only, failing once: the retry is a publication still.
	pubs := newReceiver(t, func(n int) int { return []int{500, 204}[min(n, 1)] })
	e.createWebhook(`{"url":"` + pubs.srv.URL + `","events":["article.published"]}`)

	a := e.write("POST", "/v1/articles", `{"title":"First story","url":"https://example.com/r1"}`)
	got := rcv.waitFor(t, 3)
	for _, tries := range [][]delivery{got, pubs.waitFor(t, 2)} {
		for i, g := range tries {
			if g.event.Type != "article.published" || g.event.Data.ID != a || g.header.Get("webhook-id") != tries[0].header.Get("webhook-id") {
				t.Errorf("attempt %d: %s(%d) with id %s; want every attempt the publication of %d, with one id", i, g.event.Type, g.event.Data.ID, g.header.Get("webhook-id"), a)
			}
		}
	}
	verify(t, secret, got)
	var list struct {
		Data []struct {
			Attempt, Status int
			Error           string
		}
	}
	var r response
	for deadline := time.Now().Add(5 * time.Second); len(list.Data) < 3 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		r = e.do(req{path: path + "/deliveries", admin: true}) // the attempt is recorded just after the answer
		_ = json.Unmarshal(r.body, &list)
	}
	if len(list.Data) != 3 || list.Data[2].Status != 500 || list.Data[2].Error != "HTTP 500" || list.Data[1].Attempt != 2 || list.Data[0].Status != 204 {
		t.Errorf("deliveries after two failures and a success: %s", r.body)
	}

	// 410 Gone: the webhook pauses at once, saying why.
	b := e.write("POST", "/v1/articles", `{"title":"Second story","url":"https://example.com/r2"}`)
	rcv.waitFor(t, 4)
	deadline := time.Now().Add(10 * time.Second)
	var w map[string]any
	for time.Now().Before(deadline) {
		if w = e.do(req{path: path, admin: true}).json(t); w["paused"] == true {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if w["paused"] != true || !strings.Contains(fmt.Sprint(w["paused_reason"]), "410") {
		t.Fatalf("after a 410 the webhook is %v", w)
	}
	e.write("POST", "/v1/articles", `{"title":"Third story","url":"https://example.com/r3"}`)
	time.Sleep(300 * time.Millisecond)
	if n := len(rcv.deliveries()); n != 4 {
		t.Errorf("a paused webhook was sent %d more requests", n-4)
	}

	// Resumed, it sends the event it stopped at, then the next.
	if r := e.do(req{method: "PATCH", path: path, admin: true, body: `{"paused":false}`}); r.status != 200 || r.json(t)["paused"] != false {
		t.Fatalf("resume: %d %s", r.status, r.body)
	}
	got = rcv.waitFor(t, 6)
	if got[4].event.Data.ID != b || got[4].header.Get("webhook-id") != got[3].header.Get("webhook-id") || got[5].event.Type != "article.published" {
		t.Errorf("after resuming: %s", summary(got))
	}

	// Retries that run out pause the webhook with the last error.
	e2 := webhookEnv(t, "sqlite", func(d *api.Deps) { d.Webhook.RetryFor = 200 * time.Millisecond })
	failing := newReceiver(t, func(int) int { return 502 })
	id2, _ := e2.createWebhook(`{"url":"` + failing.srv.URL + `"}`)
	e2.write("POST", "/v1/articles", `{"title":"Lost cause","url":"https://example.com/r4"}`)
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if w = e2.do(req{path: fmt.Sprint("/v1/webhooks/", id2), admin: true}).json(t); w["paused"] == true {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if reason := fmt.Sprint(w["paused_reason"]); w["paused"] != true || !strings.Contains(reason, "gave up after") || !strings.Contains(reason, "HTTP 502") {
		t.Errorf("after its retries ran out the webhook is %v", w)
	}
	if n := len(failing.deliveries()); n < 2 {
		t.Errorf("the event was tried %d times before giving up", n)
	}
}

// TestWebhookReceiversDoNotHoldEachOtherUp: a receiver that does not
// answer in time, one that redirects and one that answers a megabyte
// fail or succeed on their own, while a fast receiver gets its event at
// once; the redirect is not followed.
func TestWebhookReceiversDoNotHoldEachOtherUp(t *testing.T) {
	t.Parallel()
	e := webhookEnv(t, "sqlite", func(d *api.Deps) { d.Webhook.Timeout = 300 * time.Millisecond })
	slow := newReceiver(t, nil)
	slow.delay = 5 * time.Second
	fast := newReceiver(t, nil)
	target := newReceiver(t, nil)
	redirect := httptest.NewServer(http.RedirectHandler(target.srv.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", 1<<20)))
	}))
	t.Cleanup(big.Close)

	slowID, _ := e.createWebhook(`{"url":"` + slow.srv.URL + `"}`)
	e.createWebhook(`{"url":"` + fast.srv.URL + `"}`)
	redirID, _ := e.createWebhook(`{"url":"` + redirect.URL + `"}`)
	bigID, _ := e.createWebhook(`{"url":"` + big.URL + `"}`)
	start := time.Now()
	e.write("POST", "/v1/articles", `{"title":"Everyone hears this","url":"https://example.com/s1"}`)
	fast.waitFor(t, 1)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the fast receiver waited %s behind the slow one", took)
	}
	lastError := func(id int64, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		var w map[string]any
		for time.Now().Before(deadline) {
			w = e.do(req{path: fmt.Sprint("/v1/webhooks/", id), admin: true}).json(t)
			if strings.Contains(fmt.Sprint(w["last_error"]), want) || (want == "" && w["last_success_at"] != nil) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("webhook %d: want last_error with %q, got %v", id, want, w)
	}
	lastError(slowID, "no answer within 300ms")
	lastError(redirID, "redirects are not followed")
	lastError(bigID, "")
	if n := len(target.deliveries()); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
}

// TestWebhookInputIsChecked: what an admin may send is checked, each
// refusal naming its field; internal addresses are refused unless
// allowed; editors may not manage webhooks.
func TestWebhookInputIsChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite") // internal addresses refused, as in production
	for _, tc := range []struct{ body, field, want string }{
		{`{"url":"http://127.0.0.1:8080/hook"}`, "url", "loopback"},
		{`{"url":"http://169.254.169.254/latest/meta-data/"}`, "url", "link-local"},
		{`{"url":"http://[::1]/"}`, "url", "loopback"},
		{`{"url":"http://[::ffff:10.0.0.1]/"}`, "url", "private"},
		{`{"url":"https://10.1.2.3/"}`, "url", "private"},
		{`{"url":"http://localhost:9000/"}`, "url", "this machine"},
		{`{"url":"http://100.100.100.200/"}`, "url", "reserved"},
		{`{"url":"ftp://partner.example/"}`, "url", "http or https"},
		{`{"url":"https://partner.example:99999/"}`, "url", "port"},
		{`{"url":"https://user:pw@partner.example/"}`, "url", "credentials"},
		{`{"url":"/relative"}`, "url", "http or https"},
		{`{"url":""}`, "url", "required"},
		{`{"url":"https://partner.example/","events":["article.created"]}`, "events", "article.created"},
		{`{"url":"https://partner.example/","events":[]}`, "events", "at least one"},
		{`{"url":"https://partner.example/","filter":"q=sanctions"}`, "filter.q", "not a parameter"},
		{`{"url":"https://partner.example/","filter":"country=Atlantis"}`, "filter.country", "Atlantis"},
		{`{"url":"https://partner.example/","filter":"country=RU;theme=trade"}`, "filter", "query string"},
		{`{"url":"https://partner.example/","filter":"&&&"}`, "filter", "stray &"},
		{`{"url":"https://partner.example/","filter":"country=RU&&theme=trade"}`, "filter", "stray &"},
		{`{"url":"https://partner.example/","filter":"country=RU&"}`, "filter", "stray &"},
		{`{"url":"https://partner.example/","description":"` + strings.Repeat("d", 501) + `"}`, "description", "500"},
	} {
		r := e.do(req{method: "POST", path: "/v1/webhooks", admin: true, body: tc.body})
		msg := ""
		if r.status == 400 || r.status == 422 {
			msg = problemOf(t, r, tc.field)
		}
		if msg == "" || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %s; want a problem naming %s with %q", tc.body, r.status, r.body, tc.field, tc.want)
		}
	}
	if r := e.do(req{method: "POST", path: "/v1/webhooks", key: true, body: `{"url":"https://partner.example/"}`}); r.status != 403 {
		t.Errorf("an editor creating a webhook: %d", r.status)
	}
	if r := e.do(req{path: "/v1/webhooks"}); r.status != 401 {
		t.Errorf("listing webhooks without a key: %d", r.status)
	}
	for path, status := range map[string]int{"/v1/webhooks/99": 404, "/v1/webhooks/abc": 400, "/v1/webhooks/99/deliveries": 404,
		"/v1/webhooks?limit=1": 400, "/v1/webhooks/99/deliveries?cursor=x": 400} {
		if r := e.do(req{path: path, admin: true}); r.status != status {
			t.Errorf("GET %s: %d, want %d", path, r.status, status)
		}
	}
	id, _ := e.createWebhook(`{"url":"https://partner.example/hooks"}`)
	if r := e.do(req{path: fmt.Sprint("/v1/webhooks/", id, "/deliveries?limit=0"), admin: true}); r.status != 400 || problemOf(t, r, "limit") == "" {
		t.Errorf("limit=0: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "PATCH", path: fmt.Sprint("/v1/webhooks/", id), admin: true, body: `{"url":"http://192.168.1.1/"}`}); r.status != 400 || problemOf(t, r, "url") == "" {
		t.Errorf("PATCH to a private address: %d %s", r.status, r.body)
	}
	r := e.do(req{method: "PATCH", path: fmt.Sprint("/v1/webhooks/", id), admin: true, body: `{"paused":true,"filter":"theme=trade","events":["article.deleted"]}`})
	if w := r.json(t); r.status != 200 || w["paused"] != true || w["filter"] != "theme=trade" || fmt.Sprint(w["events"]) != "[article.deleted]" {
		t.Errorf("PATCH: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "PATCH", path: fmt.Sprint("/v1/webhooks/", id), admin: true, body: `{"url":null}`}); r.status != 422 || problemOf(t, r, "url") == "" {
		t.Errorf("PATCH url null: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "PATCH", path: fmt.Sprint("/v1/webhooks/", id), admin: true, body: `{"filter":null,"description":null}`})
	if w := r.json(t); r.status != 200 || w["filter"] != "" || w["description"] != "" {
		t.Errorf("PATCH filter and description null: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "DELETE", path: fmt.Sprint("/v1/webhooks/", id), admin: true}); r.status != 204 {
		t.Errorf("DELETE: %d", r.status)
	}
	if r := e.do(req{path: fmt.Sprint("/v1/webhooks/", id), admin: true}); r.status != 404 {
		t.Errorf("GET after DELETE: %d", r.status)
	}
}

// TestWebhookSecretRotates: a rotation answers a new secret once; for a
// day after it, each delivery is signed with the new secret and the old,
// so that the Standard Webhooks library verifies it with either, and
// with no other.
func TestWebhookSecretRotates(t *testing.T) {
	t.Parallel()
	e := webhookEnv(t, "sqlite")
	rcv := newReceiver(t, nil)
	id, old := e.createWebhook(`{"url":"` + rcv.srv.URL + `"}`)
	r := e.do(req{method: "POST", path: fmt.Sprint("/v1/webhooks/", id, "/secret"), admin: true})
	w := r.json(t)
	fresh, _ := w["secret"].(string)
	if r.status != 200 || !strings.HasPrefix(fresh, "whsec_") || fresh == old || w["previous_secret_until"] == nil {
		t.Fatalf("rotate: %d %s", r.status, r.body)
	}
	if r := e.do(req{path: fmt.Sprint("/v1/webhooks/", id), admin: true}); strings.Contains(string(r.body), "whsec_") {
		t.Errorf("GET shows a secret after the rotation: %s", r.body)
	}
	e.write("POST", "/v1/articles", `{"title":"Signed twice","url":"https://example.com/k1"}`)
	got := rcv.waitFor(t, 1)
	if sigs := strings.Fields(got[0].header.Get("webhook-signature")); len(sigs) != 2 {
		t.Errorf("signatures after a rotation: %q", got[0].header.Get("webhook-signature"))
	}
	verify(t, fresh, got)
	verify(t, old, got)
	other, err := standardwebhooks.NewWebhook(news.NewWebhookSecret())
	if err != nil {
		t.Fatal(err)
	}
	if other.Verify(got[0].body, got[0].header) == nil {
		t.Error("a delivery verifies with a secret that is not the webhook's")
	}
	if r := e.do(req{method: "POST", path: "/v1/webhooks/99/secret", admin: true}); r.status != 404 {
		t.Errorf("rotating an unknown webhook: %d", r.status)
	}
}

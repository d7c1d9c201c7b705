package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/store/storetest"
)

const hookAdminKey = "hook-admin-key-0123456789"

// hookEnv is the environment of a server that delivers webhooks to
// loopback receivers, retries fast and gives a dead instance's webhooks
// to another within two seconds.
func hookEnv() []string {
	return []string{"HEADLINES_API_KEYS=" + crashKey + ",admin:" + hookAdminKey, "HEADLINES_WEBHOOK_ALLOW_PRIVATE=true",
		"HEADLINES_WEBHOOK_LEASE=2s", "HEADLINES_WEBHOOK_RETRY_BASE=50ms", "HEADLINES_CACHE_POLL=100ms"}
}

// hookRequest is one request a receiver got.
type hookRequest struct {
	header http.Header
	body   []byte
	seq    int64
	at     time.Time
	event  struct {
		Type string `json:"type"`
		Data struct {
			ID        int64    `json:"id"`
			Title     string   `json:"title"`
			Countries []string `json:"countries"`
		} `json:"data"`
	}
}

// hookReceiver keeps every request it gets, in arrival order, and
// answers 204.
type hookReceiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []hookRequest
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		h := hookRequest{header: req.Header.Clone(), body: body, at: time.Now()}
		_ = json.Unmarshal(body, &h.event)
		var wid int64
		_, _ = fmt.Sscanf(req.Header.Get("webhook-id"), "msg_%d_%d", &wid, &h.seq)
		r.mu.Lock()
		r.got = append(r.got, h)
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) requests() []hookRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// hookCall sends one request with a key and decodes the JSON answer into out.
func hookCall(client *http.Client, method, url, key, body string, out any) (int, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err == nil && out != nil && res.StatusCode < 300 {
		err = json.Unmarshal(b, out)
	}
	return res.StatusCode, err
}

// createHook creates a webhook through base and returns its id and secret.
func createHook(t *testing.T, base, body string) (int64, string) {
	t.Helper()
	var w struct {
		ID     int64
		Secret string
	}
	if status, err := hookCall(http.DefaultClient, "POST", base+"/v1/webhooks", hookAdminKey, body, &w); status != 201 || err != nil {
		t.Fatalf("create webhook: %d %v", status, err)
	}
	return w.ID, w.Secret
}

// hookWriters are writers that create, edit, publish, unpublish, retag
// and delete articles through whichever server base holds, and note
// every article that was ever meant to be about Russia.
type hookWriters struct {
	base   atomic.Value // string
	stop   chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	everRU map[int64]bool
	writes atomic.Int64
}

// await lets the writers run for 800 ms and until they have made n more
// writes, so that a machine slowed by other work still gives each server
// something to deliver before it is killed (a minute at most).
func (w *hookWriters) await(t *testing.T, n int64) {
	t.Helper()
	from, start := w.writes.Load(), time.Now()
	for time.Since(start) < 800*time.Millisecond || w.writes.Load()-from < n {
		if time.Since(start) > time.Minute {
			t.Fatalf("the writers made %d writes in a minute", w.writes.Load()-from)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startHookWriters(base string, n int, every time.Duration) *hookWriters {
	w := &hookWriters{stop: make(chan struct{}), everRU: map[int64]bool{}}
	w.base.Store(base)
	for i := range n {
		w.wg.Add(1)
		go w.run(i, every)
	}
	return w
}

func (w *hookWriters) run(writer int, every time.Duration) {
	defer w.wg.Done()
	client := &http.Client{Timeout: 5 * time.Second}
	rng := rand.New(rand.NewPCG(uint64(writer), 7))
	type mine struct {
		id      int64
		country string
	}
	var own []mine
	countries := []string{"RU", "JP"}
	for i := 0; ; i++ {
		select {
		case <-w.stop:
			return
		case <-time.After(every):
		}
		base := w.base.Load().(string)
		op := rng.IntN(10)
		if len(own) == 0 || op < 3 {
			c := countries[rng.IntN(2)]
			status := []string{"published", "published", "draft"}[rng.IntN(3)]
			var a struct{ ID int64 }
			body := fmt.Sprintf(`{"title":"writer %d story %d","countries":["%s"],"status":"%s"}`, writer, i, c, status)
			if code, err := hookCall(client, "POST", base+"/v1/articles", crashKey, body, &a); err == nil && code == 201 {
				own = append(own, mine{a.ID, c})
				if c == "RU" {
					w.mu.Lock()
					w.everRU[a.ID] = true
					w.mu.Unlock()
				}
				w.writes.Add(1)
			}
			continue
		}
		k := rng.IntN(len(own))
		a := &own[k]
		path := fmt.Sprint(base, "/v1/articles/", a.id)
		var body string
		switch op {
		case 3, 4:
			body = fmt.Sprintf(`{"title":"writer %d story edited at %d"}`, writer, i)
		case 5:
			body = `{"status":"draft"}`
		case 6:
			body = `{"status":"published"}`
		case 7, 8:
			next := countries[rng.IntN(2)]
			if next == "RU" {
				w.mu.Lock()
				w.everRU[a.id] = true // before the write: its answer may be lost to a kill
				w.mu.Unlock()
			}
			a.country = next
			body = fmt.Sprintf(`{"countries":["%s"]}`, next)
		default:
			if code, err := hookCall(client, "DELETE", path, crashKey, "", nil); err == nil && code < 300 {
				own = slices.Delete(own, k, k+1)
				w.writes.Add(1)
			}
			continue
		}
		if code, err := hookCall(client, "PATCH", path, crashKey, body, nil); err == nil && code < 300 {
			w.writes.Add(1)
		}
	}
}

// ever says which articles were ever meant to be about Russia.
func (w *hookWriters) ever() map[int64]bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.everRU)
}

func (w *hookWriters) halt() {
	close(w.stop)
	w.wg.Wait()
}

// waitCaughtUp waits until webhook id's position is the newest change.
func waitCaughtUp(t *testing.T, base string, id int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var pos, last int64
	for time.Now().Before(deadline) {
		var w struct{ Position int64 }
		var feed struct {
			NextCursor string `json:"next_cursor"`
		}
		_, err1 := hookCall(http.DefaultClient, "GET", fmt.Sprint(base, "/v1/webhooks/", id), hookAdminKey, "", &w)
		_, err2 := hookCall(http.DefaultClient, "GET", base+"/v1/changes?cursor=now", "", "", &feed)
		_, _ = fmt.Sscan(feed.NextCursor, &last)
		if pos = w.Position; err1 == nil && err2 == nil && pos == last && last > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("webhook %d is at %d, the feed at %d", id, pos, last)
}

// publicAbout reads the change feed as the public sees it and returns the
// titles of the public articles about country, by id.
func publicAbout(t *testing.T, base, country string) map[int64]string {
	t.Helper()
	out := map[int64]string{}
	cursor := "0"
	for {
		var page struct {
			Data []struct {
				Op      string
				ID      int64
				Article *struct {
					Title     string
					Countries []string
				}
			}
			NextCursor string `json:"next_cursor"`
		}
		if code, err := hookCall(http.DefaultClient, "GET", base+"/v1/changes?limit=1000&cursor="+cursor, "", "", &page); code != 200 || err != nil {
			t.Fatalf("changes: %d %v", code, err)
		}
		if len(page.Data) == 0 {
			return out
		}
		for _, e := range page.Data {
			delete(out, e.ID)
			if e.Op == "upsert" && slices.Contains(e.Article.Countries, country) {
				out[e.ID] = e.Article.Title
			}
		}
		cursor = page.NextCursor
	}
}

// checkHookDeliveries checks what a receiver of a webhook with filter
// country=RU got against the public articles about Russia now: every
// signature verifies with the Standard Webhooks library; events arrive
// in change order (an earlier change only as a repeat of an event
// already received, which at-least-once allows); applying them in order
// gives exactly the public articles about Russia, at their latest
// titles; no event concerns an article never about Russia. It returns
// the events and the repeats.
func checkHookDeliveries(t *testing.T, got []hookRequest, secret string, truth map[int64]string, everRU map[int64]bool) (events, repeats int) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var top int64
	held := map[int64]string{}
	for i, g := range got {
		if err := wh.VerifyIgnoringTimestamp(g.body, g.header); err != nil {
			t.Errorf("request %d (%s): the signature does not verify: %v", i, g.header.Get("webhook-id"), err)
		}
		id := g.header.Get("webhook-id")
		switch {
		case seen[id]:
			repeats++
		case g.seq < top:
			t.Errorf("request %d: %s (change %d) arrived after change %d", i, id, g.seq, top)
		}
		seen[id] = true
		top = max(top, g.seq)
		a := g.event.Data
		switch g.event.Type {
		case "article.published", "article.updated":
			if !slices.Contains(a.Countries, "RU") {
				t.Errorf("request %d: %s of article %d, about %v, not Russia", i, g.event.Type, a.ID, a.Countries)
			}
			held[a.ID] = a.Title
		case "article.deleted":
			if !everRU[a.ID] {
				t.Errorf("request %d: deletion of article %d, never about Russia", i, a.ID)
			}
			delete(held, a.ID)
		default:
			t.Errorf("request %d: event %q", i, g.event.Type)
		}
	}
	for id, title := range truth {
		if held[id] != title {
			t.Errorf("article %d %q: the receiver holds %q", id, title, held[id])
		}
	}
	for id := range held {
		if _, ok := truth[id]; !ok {
			t.Errorf("the receiver still holds article %d, which is not public about Russia", id)
		}
	}
	return len(seen), repeats
}

// TestWebhooksSurviveKills: four writers create, edit, publish,
// unpublish, retag and delete articles while the server is killed with
// SIGKILL three times and started again; a webhook for Russia delivers
// throughout. What its receiver got is checked by checkHookDeliveries.
func TestWebhooksSurviveKills(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			db := storetest.DSN(t, kind)
			rcv := newHookReceiver(t)
			cmd, base := startServe(t, db, hookEnv()...)
			id, secret := createHook(t, base, `{"url":"`+rcv.srv.URL+`","filter":"country=RU"}`)
			w := startHookWriters(base, 4, 5*time.Millisecond)
			for range 3 {
				w.await(t, 60)
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				cmd, base = startServe(t, db, hookEnv()...)
				w.base.Store(base)
			}
			w.await(t, 60)
			w.halt()
			waitCaughtUp(t, base, id)
			got := rcv.requests()
			truth := publicAbout(t, base, "RU")
			events, repeats := checkHookDeliveries(t, got, secret, truth, w.ever())
			t.Logf("%s: %d writes; %d events delivered (%d requests, %d of them repeats after kills); %d public articles about Russia at the end",
				kind, w.writes.Load(), events, len(got), repeats, len(truth))
			if events < 20 || len(truth) == 0 {
				t.Errorf("too little happened to tell: %d events, %d articles", events, len(truth))
			}
		})
	}
}

// TestWebhookOneDelivererOfTwo runs two instances on one PostgreSQL
// database, with writers on both. In steady state no event is delivered
// twice: one instance holds the webhook's lease. When that instance is
// killed with SIGKILL, the other takes the webhook over once the lease
// has run out, and the receiver ends up holding exactly what it should.
func TestWebhookOneDelivererOfTwo(t *testing.T) {
	db := storetest.DSN(t, "postgres")
	rcv := newHookReceiver(t)
	cmdA, baseA := startServe(t, db, hookEnv()...)
	cmdB, baseB := startServe(t, db, hookEnv()...)
	id, secret := createHook(t, baseA, `{"url":"`+rcv.srv.URL+`","filter":"country=RU"}`)
	wa, wb := startHookWriters(baseA, 2, 10*time.Millisecond), startHookWriters(baseB, 2, 10*time.Millisecond)
	time.Sleep(2500 * time.Millisecond)

	// Steady state: every request so far is a new event.
	before := rcv.requests()
	ids := map[string]bool{}
	for _, r := range before {
		if id := r.header.Get("webhook-id"); ids[id] {
			t.Errorf("%s was delivered twice while both instances ran", id)
		} else {
			ids[id] = true
		}
	}

	// Kill the instance that delivers; the writers go on through the other.
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var owner string
	if err := st.DB().QueryRow(`SELECT lease_owner FROM webhooks WHERE id = $1`, id).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	victim, survivor, moved := cmdA, baseB, wa
	if strings.Contains(owner, fmt.Sprintf(":%d:", cmdB.Process.Pid)) {
		victim, survivor, moved = cmdB, baseA, wb
	} else if !strings.Contains(owner, fmt.Sprintf(":%d:", cmdA.Process.Pid)) {
		t.Fatalf("the lease is held by %q, neither instance (%d, %d)", owner, cmdA.Process.Pid, cmdB.Process.Pid)
	}
	killed := time.Now()
	_ = victim.Process.Kill()
	_ = victim.Wait()
	moved.base.Store(survivor)
	time.Sleep(4 * time.Second)
	wa.halt()
	wb.halt()
	waitCaughtUp(t, survivor, id)

	got := rcv.requests()
	var resumed time.Duration
	for _, r := range got[len(before):] {
		if r.at.After(killed) {
			resumed = r.at.Sub(killed)
			break
		}
	}
	if resumed == 0 || resumed > 5*time.Second {
		t.Errorf("deliveries resumed %s after the kill; want within the lease (2s), a claim (0.7s) and a margin for a loaded machine", resumed)
	}
	ever := wa.ever()
	maps.Copy(ever, wb.ever())
	truth := publicAbout(t, survivor, "RU")
	events, repeats := checkHookDeliveries(t, got, secret, truth, ever)
	t.Logf("%d events before the kill, none twice; after it, deliveries resumed in %s; %d events in all, %d repeats; %d public articles about Russia at the end",
		len(before), resumed.Round(time.Millisecond), events, repeats, len(truth))
}

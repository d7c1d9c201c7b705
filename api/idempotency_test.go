package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
)

func TestIdempotencyKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		body := `{"title":"Russia and North Korea sign a visa waiver","countries":["RU","KP"]}`
		post := func(key, body string) response {
			return e.do(req{method: "POST", path: "/v1/articles", body: body, key: true, headers: []string{"Idempotency-Key", key}})
		}
		first := post("create-visa-story-1", body)
		if first.status != http.StatusCreated {
			t.Fatalf("first: %d %s", first.status, first.body)
		}
		again := post("create-visa-story-1", body)
		if again.status != http.StatusCreated || string(again.body) != string(first.body) ||
			again.header.Get("Location") != first.header.Get("Location") || again.header.Get("ETag") != first.header.Get("ETag") ||
			again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("repeat: %d %s, headers %v", again.status, again.body, again.header)
		}
		if n := len(titles(t, e.do(req{path: "/v1/articles?q=visa"}))); n != 1 {
			t.Errorf("%d visa stories, want 1", n)
		}
		// The same key with another body is refused; a new key is a new article.
		assertProblem(t, post("create-visa-story-1", `{"title":"Something else"}`), http.StatusUnprocessableEntity, "Idempotency-Key")
		if r := post("create-visa-story-2", body); r.status != 201 || string(r.body) == string(first.body) {
			t.Errorf("new key: %d", r.status)
		}
		// A failing first answer is replayed too: the client learns the same thing.
		bad := post("bad-body-1", `{"title":""}`)
		if bad.status != 422 || post("bad-body-1", `{"title":""}`).status != 422 {
			t.Errorf("replayed 422: %d", bad.status)
		}
		assertProblem(t, post("\u00e9t\u00e9", body), http.StatusBadRequest, "Idempotency-Key")

		// While the first request is still running, a duplicate is a 409.
		ctx := context.Background()
		sum := sha256.Sum256([]byte("POST /v1/articles\n" + body))
		if _, _, err := e.store.ClaimIdempotencyKey(ctx, news.KeyDigest(editorKey), "in-flight-1", hex.EncodeToString(sum[:]), time.Minute); err != nil {
			t.Fatal(err)
		}
		inFlight := post("in-flight-1", body)
		assertProblem(t, inFlight, http.StatusConflict, "Idempotency-Key")
		if ra := inFlight.header.Get("Retry-After"); ra != "60" && ra != "59" {
			t.Errorf("Retry-After %q while the first run holds the key for a minute, want 60", ra)
		}

		// Concurrent duplicates create one article between them.
		var wg sync.WaitGroup
		statuses := make(chan int, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses <- post("burst-1", `{"title":"Concurrent duplicate","countries":["JP"]}`).status
			}()
		}
		wg.Wait()
		close(statuses)
		counts := map[int]int{}
		for s := range statuses {
			counts[s]++
		}
		if counts[201] < 1 || counts[201]+counts[409] != 8 {
			t.Errorf("concurrent duplicates answered %v, want only 201s and 409s", counts)
		}
		if n := len(titles(t, e.do(req{path: "/v1/articles?country=JP&q=concurrent"}))); n != 1 {
			t.Errorf("%d articles from 8 concurrent duplicates, want 1", n)
		}
	})
}

// requestHash is the hash the API keeps of a keyed POST.
func requestHash(path, body string) string {
	sum := sha256.Sum256([]byte("POST " + path + "\n" + body))
	return hex.EncodeToString(sum[:])
}

// TestIdempotencyTakeover plays requests cut off by a crash: a claim
// whose lease has ended without an answer is taken over by a retry, which
// answers with what the first run committed (the article as stored, its
// id, Location and ETag) and writes only what it had not.
func TestIdempotencyTakeover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		ctx := context.Background()
		principal := news.KeyDigest(editorKey)
		post := func(path, key, body string) response {
			return e.do(req{method: "POST", path: path, body: body, key: true, headers: []string{"Idempotency-Key", key}})
		}
		// claim holds key as a run that then died would have.
		claim := func(path, key, body string) news.Claim {
			t.Helper()
			c, stored, err := e.store.ClaimIdempotencyKey(ctx, principal, key, requestHash(path, body), time.Millisecond)
			if err != nil || stored != nil {
				t.Fatalf("claim %s: %v %v", key, stored, err)
			}
			time.Sleep(5 * time.Millisecond) // the lease ends
			return c
		}
		draft := func(title string) news.Draft {
			t.Helper()
			d := news.Draft{Title: title, Countries: []string{"KP"}}
			if err := d.Normalize(e.store.Vocabulary()); err != nil {
				t.Fatal(err)
			}
			return d
		}

		// Died after its claim, before writing: the retry creates, once.
		body := `{"title":"Tumen river bridge opens to trucks","countries":["KP","RU"]}`
		claim("/v1/articles", "died-before-write", body)
		r := post("/v1/articles", "died-before-write", body)
		if r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("retry of a request that died before its write: %d %s", r.status, r.body)
		}
		if again := post("/v1/articles", "died-before-write", body); string(again.body) != string(r.body) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("the answer of the retry is not kept: %d %s", again.status, again.body)
		}

		// Died after committing its article, before storing its answer:
		// the retry answers with that article and creates none.
		body = `{"title":"Wonsan resort opens its beach","countries":["KP"]}`
		c := claim("/v1/articles", "died-after-write", body)
		a, err := e.store.CreateArticleOnce(ctx, c.Item(0), draft("Wonsan resort opens its beach"))
		if err != nil {
			t.Fatal(err)
		}
		before := countArticles(t, e)
		r = post("/v1/articles", "died-after-write", body)
		path := "/v1/articles/" + strconv.FormatInt(a.ID, 10)
		if r.status != http.StatusCreated || r.json(t)["id"] != float64(a.ID) || !strings.HasSuffix(r.header.Get("Location"), path) ||
			r.header.Get("ETag") == "" || r.header.Get("ETag") != e.do(req{path: path}).header.Get("ETag") {
			t.Errorf("retry of a request that died after its write: %d %s, Location %q, ETag %q; want article %d", r.status, r.body, r.header.Get("Location"), r.header.Get("ETag"), a.ID)
		}
		if n := countArticles(t, e); n != before {
			t.Errorf("the retry made %d more articles, want none", n-before)
		}

		// A batch that died after items 0 and 2: the retry writes item 1 only.
		body = `{"articles":[{"title":"Sinuiju customs clears a backlog"},{"title":"Dandong traders wait for permits"},{"title":"Hyesan market reopens"}]}`
		c = claim("/v1/articles/batch", "batch-died-midway", body)
		var stored []int64
		for _, i := range []int{0, 2} {
			a, created, err := e.store.UpsertArticleOnce(ctx, c.Item(i), draft([]string{"Sinuiju customs clears a backlog", "", "Hyesan market reopens"}[i]))
			if err != nil || !created {
				t.Fatal(created, err)
			}
			stored = append(stored, a.ID)
		}
		before = countArticles(t, e)
		r = post("/v1/articles/batch", "batch-died-midway", body)
		if r.status != http.StatusMultiStatus {
			t.Fatalf("retry of a batch that died midway: %d %s", r.status, r.body)
		}
		out := r.json(t)
		results := out["results"].([]any)
		id := func(i int) any { return results[i].(map[string]any)["article"].(map[string]any)["id"] }
		if out["created"] != 3.0 || id(0) != float64(stored[0]) || id(2) != float64(stored[1]) {
			t.Errorf("retry of a batch that died midway: %s; want items 0 and 2 as articles %v", r.body, stored)
		}
		if n := countArticles(t, e); n != before+1 {
			t.Errorf("the retry made %d more articles, want 1", n-before)
		}
	})
}

// TestIdempotentWritesRace: runs of one request that overlap (a claim
// taken over while its first run still goes on) make one article between
// them, and each answers with it.
func TestIdempotentWritesRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		ctx := context.Background()
		for n, url := range []string{"", "https://example.com/raced"} {
			d := news.Draft{Title: "Raced story " + strconv.Itoa(n), URL: url, Countries: []string{"KP"}}
			if err := d.Normalize(e.store.Vocabulary()); err != nil {
				t.Fatal(err)
			}
			o := news.Once{Principal: news.KeyDigest(editorKey), Key: "raced-" + strconv.Itoa(n)}
			ids := make(chan int64, 16)
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var a news.Article
					var err error
					if i%2 == 0 {
						a, err = e.store.CreateArticleOnce(ctx, o, d)
					} else {
						a, _, err = e.store.UpsertArticleOnce(ctx, o, d)
					}
					if err != nil {
						t.Errorf("run %d: %v", i, err)
					}
					ids <- a.ID
				}()
			}
			wg.Wait()
			close(ids)
			seen := map[int64]bool{}
			for id := range ids {
				seen[id] = true
			}
			var count int
			if err := e.store.DB().QueryRow(`SELECT count(*) FROM articles WHERE title = 'Raced story ` + strconv.Itoa(n) + `'`).Scan(&count); err != nil {
				t.Fatal(err)
			}
			if len(seen) != 1 || count != 1 {
				t.Errorf("16 overlapping runs (url %q) answered articles %v and stored %d, want one", url, seen, count)
			}
		}
	})
}

// TestUnreadRequestLeavesItsKeyFree: a keyed POST refused before it was
// read (wrong Content-Type, malformed JSON, too large) keeps no answer, so
// the corrected request with the same key is carried out.
func TestUnreadRequestLeavesItsKeyFree(t *testing.T) {
	e := newEnv(t, "sqlite")
	body := `{"title":"Sent first as text/plain"}`
	for i, first := range []struct{ contentType, body string }{
		{"text/plain", body},
		{"application/json", `{"title":`},
		{"application/json", `{"title":"x","body":"` + strings.Repeat("a", api.MaxBodyBytes) + `"}`},
	} {
		key := fmt.Sprintf("unread-%d", i)
		r := e.raw("POST", "/v1/articles", "", first.body, "Content-Type", first.contentType, "Authorization", "Bearer "+editorKey, "Idempotency-Key", key)
		if r.status < 400 || r.status >= 500 {
			t.Fatalf("%s %.40s: %d", first.contentType, first.body, r.status)
		}
		r = e.do(req{method: "POST", path: "/v1/articles", key: true, body: body, headers: []string{"Idempotency-Key", key}})
		if r.status != 201 || r.header.Get("Idempotent-Replayed") != "" {
			t.Errorf("after a %s %.40s refused, the corrected request: %d %s", first.contentType, first.body, r.status, r.body)
		}
	}
}

package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"
	"testing"

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
		if _, err := e.store.ClaimIdempotencyKey(ctx, news.KeyDigest(editorKey), "in-flight-1", hex.EncodeToString(sum[:])); err != nil {
			t.Fatal(err)
		}
		assertProblem(t, post("in-flight-1", body), http.StatusConflict, "Idempotency-Key")

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

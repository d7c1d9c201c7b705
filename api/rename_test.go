package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/store/storetest"
)

// TestRenameMadeElsewhere: a theme renamed through one instance reaches
// a change stream and a webhook on others, both filtered on the old
// slug, as what it is: the theme's articles changed and are still
// selected. The others read the vocabulary once an hour here, so they
// learn of the rename from the articles' changes themselves; had they
// tested them against the vocabulary they held, they would have gone
// out as deletions (the same moment comes on one instance, between a
// rename's commit and its new vocabulary).
func TestRenameMadeElsewhere(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		dsn := storetest.DSN(t, kind)
		stA := openDemo(t, dsn)
		a := serve(t, newAPIOn(t, stA), stA)
		// Two other instances: one holds the stream, the other delivers the
		// webhook, so that neither learns of the rename from the other.
		other := func(webhooks bool) *env {
			st := openStore(t, dsn, store.Options{VocabularyRefresh: time.Hour})
			d := api.Deps{Articles: st, Vocabulary: st, Keys: st, Changes: st, Ping: st.Ping,
				APIKeys: []string{editorKey, "admin:" + adminKey}, CursorSecret: "test-cursor-secret-0123456789", Log: quietLog(),
				CachePoll: 50 * time.Millisecond}
			if webhooks {
				d.Webhooks = st
				d.Webhook = api.WebhookOptions{AllowPrivate: true, RetryBase: 20 * time.Millisecond, Lease: 3 * time.Second, Timeout: 2 * time.Second}
			}
			h := api.New(d)
			t.Cleanup(func() { _ = h.Close() })
			return serve(t, h, st)
		}
		b, c := other(false), other(true)

		rcv := newReceiver(t, nil)
		c.createWebhook(`{"url":"` + rcv.srv.URL + `","filter":"theme=cyber"}`)
		s := openStream(t, b.srv.URL, "/v1/changes/stream?theme=cyber")
		id := a.write("POST", "/v1/articles", `{"title":"Lazarus hackers drain an exchange","url":"https://s.example/r1","countries":["KP"],"themes":["cyber"]}`)
		if en := s.next().entry(t); en.ID != id || en.Op != "upsert" {
			t.Fatalf("after the create: %+v, want the upsert of %d", en, id)
		}
		if got := rcv.waitFor(t, 1); got[0].event.Type != "article.published" || got[0].event.Data.ID != id {
			t.Fatalf("the webhook was sent %s, want article.published(%d)", summary(got), id)
		}
		r := a.do(req{path: "/v1/articles?theme=cyber&limit=100"})
		var page struct{ Data []struct{ ID int64 } }
		if err := json.Unmarshal(r.body, &page); err != nil || r.status != http.StatusOK {
			t.Fatalf("the articles of cyber: %d %s", r.status, r.body)
		}
		tagged := len(page.Data) // the demo's, and id

		if r := a.do(req{method: "PATCH", path: "/v1/themes/cyber", key: true, body: `{"slug":"cybercrime"}`}); r.status != http.StatusOK {
			t.Fatalf("rename: %d %s", r.status, r.body)
		}
		if seen := s.upsertsCarrying("cybercrime", id); seen != tagged {
			t.Errorf("the stream sent %d of the %d renamed articles", seen, tagged)
		}
		// The webhook's receiver holds id: it is sent id's update, and the
		// demo's articles, which it never held, as published.
		got := rcv.waitFor(t, 1+tagged)
		for _, d := range got[1:] {
			want := "article.published"
			if d.event.Data.ID == id {
				want = "article.updated"
			}
			if d.event.Type != want || !slices.Contains(d.event.Data.Themes, "cybercrime") {
				t.Errorf("the webhook after the rename: %s(%d) with themes %q, want %s carrying cybercrime (all: %s)",
					d.event.Type, d.event.Data.ID, d.event.Data.Themes, want, summary(got))
			}
		}
		if n := len(rcv.deliveries()); n != 1+tagged {
			t.Errorf("the webhook was sent %d requests, want %d: %s", n, 1+tagged, summary(rcv.deliveries()))
		}
	})
}

// TestRenameMadeElsewhereLeavesNoStaleAnswer: an instance whose
// vocabulary has not yet heard of a rename made through another answers
// a filter on the old slug from what it knows; once its vocabulary is
// current, the same request is answered afresh, not from the response
// cache, although no write happened in between.
func TestRenameMadeElsewhereLeavesNoStaleAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := storetest.DSN(t, "sqlite")
	stA := openDemo(t, dsn)
	a := serve(t, newAPIOn(t, stA), stA)
	stB := openStore(t, dsn, store.Options{VocabularyRefresh: time.Hour})
	hB := api.New(api.Deps{Articles: stB, Vocabulary: stB, Changes: stB, Ping: stB.Ping, CursorSecret: "test-cursor-secret-0123456789",
		Log: quietLog(), ResponseCache: true, CachePoll: 20 * time.Millisecond})
	t.Cleanup(func() { _ = hB.Close() })
	b := serve(t, hB, stB)

	id := a.write("POST", "/v1/articles", `{"title":"Lazarus hackers drain an exchange","url":"https://s.example/r2","countries":["KP"],"themes":["cyber"]}`)
	if r := a.do(req{method: "PATCH", path: "/v1/themes/cyber", key: true, body: `{"slug":"cybercrime"}`}); r.status != http.StatusOK {
		t.Fatalf("rename: %d %s", r.status, r.body)
	}
	time.Sleep(100 * time.Millisecond) // several of b's polls: its cache is of the rename's generation
	path := "/v1/articles?theme=cyber"
	for range 2 {
		b.do(req{path: path}) // answered, and kept, with the vocabulary from before the rename
	}
	if _, err := stB.FreshVocabulary(ctx); err != nil {
		t.Fatal(err)
	}
	r := b.do(req{path: path})
	var page struct{ Data []struct{ ID int64 } }
	if err := json.Unmarshal(r.body, &page); err != nil || r.status != http.StatusOK {
		t.Fatalf("%s: %d %s", path, r.status, r.body)
	}
	if len(page.Data) == 0 || page.Data[0].ID != id {
		t.Errorf("%s once the vocabulary knows the rename: %s (X-Cache %q), want article %d first", path, r.body, r.header.Get("X-Cache"), id)
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/store/storetest"
)

// keyedPost is one POST with an Idempotency-Key, and its first answer.
type keyedPost struct {
	key, path, body string
	titles          []string
	status          int // of the first answer; 0 when none came before the kill
	answer          []byte
}

// kept reports whether p's first answer is one the key keeps for replay:
// none came, or it said the server failed (a 503 when the request ran
// past its time limit on a busy machine), and the key was not kept.
func (p *keyedPost) kept() bool { return p.status != 0 && p.status < 500 }

// send posts p once and returns the status, the Idempotent-Replayed
// header and the body; err when the server is unreachable.
func (p *keyedPost) send(client *http.Client, base string) (int, string, []byte, error) {
	req, _ := http.NewRequest("POST", base+p.path, strings.NewReader(p.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", crashKey)
	req.Header.Set("Idempotency-Key", p.key)
	res, err := client.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Idempotent-Replayed"), body, err
}

// articleIDs are the ids of the articles an answer names, in order.
func articleIDs(status int, body []byte) ([]int64, error) {
	switch status {
	case http.StatusCreated:
		var a struct {
			ID int64 `json:"id"`
		}
		err := json.Unmarshal(body, &a)
		return []int64{a.ID}, err
	case http.StatusMultiStatus:
		var out struct {
			Results []struct {
				Status  int `json:"status"`
				Article *struct {
					ID int64 `json:"id"`
				} `json:"article"`
			} `json:"results"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			return nil, err
		}
		var ids []int64
		for i, r := range out.Results {
			if r.Status != http.StatusCreated || r.Article == nil {
				return nil, fmt.Errorf("item %d: status %d", i, r.Status)
			}
			ids = append(ids, r.Article.ID)
		}
		return ids, nil
	}
	return nil, fmt.Errorf("status %d", status)
}

// storedTitles maps the title of every stored article to its ids.
func storedTitles(t *testing.T, db string) map[string][]int64 {
	t.Helper()
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.DB().Query(`SELECT id, title FROM articles`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]int64{}
	for rows.Next() {
		var id int64
		var title string
		if err := rows.Scan(&id, &title); err != nil {
			t.Fatal(err)
		}
		out[title] = append(out[title], id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCrashLeavesNoKeyStuck kills the server with SIGKILL in the middle
// of concurrent creates and batches, each with its own Idempotency-Key,
// restarts it, and retries every key with its body until it stops
// answering 409, for at most the lease and a margin. Then every key has
// either replayed its first answer or, for those in flight at the kill
// (or answered 503), created its articles exactly once, naming the
// articles committed before the kill by their ids; no title is stored twice.
func TestCrashLeavesNoKeyStuck(t *testing.T) {
	const lease = 2 * time.Second // HEADLINES_WRITE_TIMEOUT: a request's time limit, and its key's lease
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			db := storetest.DSN(t, kind)
			env := "HEADLINES_WRITE_TIMEOUT=" + lease.String()
			cmd, base := startServe(t, db, env)

			var mu sync.Mutex
			var posts []*keyedPost
			answered := 0
			var wg sync.WaitGroup
			for w := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					client := &http.Client{Timeout: 10 * time.Second}
					for i := 0; ; i++ {
						p := &keyedPost{key: fmt.Sprintf("%s-w%d-r%d", kind, w, i), path: "/v1/articles"}
						items := 1
						if i%3 == 2 {
							p.path, items = "/v1/articles/batch", 3
						}
						var bodies []string
						for j := range items {
							title := fmt.Sprintf("%s writer %d request %d item %d", kind, w, i, j)
							p.titles = append(p.titles, title)
							bodies = append(bodies, `{"title":"`+title+`","countries":["KP"]}`)
						}
						p.body = bodies[0]
						if items > 1 {
							p.body = `{"articles":[` + strings.Join(bodies, ",") + `]}`
						}
						mu.Lock()
						posts = append(posts, p)
						mu.Unlock()
						status, _, body, err := p.send(client, base)
						if err != nil {
							return // the server is gone; p has no answer
						}
						mu.Lock()
						p.status, p.answer = status, body
						answered++
						mu.Unlock()
					}
				}()
			}
			// Kill it mid-burst, once it has answered a good number of keys.
			deadline := time.Now().Add(15 * time.Second)
			for {
				mu.Lock()
				n := answered
				mu.Unlock()
				if n >= 200 || time.Now().After(deadline) {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			wg.Wait()
			atKill := storedTitles(t, db)

			var inFlight []*keyedPost
			for _, p := range posts {
				if !p.kept() {
					inFlight = append(inFlight, p)
				} else if _, err := articleIDs(p.status, p.answer); err != nil {
					t.Fatalf("before the kill, key %s answered %d: %v\n%s", p.key, p.status, err, p.answer)
				}
			}
			if len(inFlight) == 0 {
				t.Fatal("no request was in flight at the kill")
			}

			_, base = startServe(t, db, env)
			restarted := time.Now()
			type final struct {
				status   int
				replayed string
				body     []byte
				waited   bool // answered 409 (or 503) at first
			}
			finals := make([]final, len(posts))
			jobs := make(chan int)
			var rw sync.WaitGroup
			for range 8 {
				rw.Add(1)
				go func() {
					defer rw.Done()
					client := &http.Client{Timeout: 10 * time.Second}
					for i := range jobs {
						f := &finals[i]
						for {
							status, replayed, body, err := posts[i].send(client, base)
							if err != nil {
								t.Errorf("key %s: %v", posts[i].key, err)
								break
							}
							f.status, f.replayed, f.body = status, replayed, body
							// A 503 is a run that ran out of time on a busy
							// machine; it kept nothing, and is tried again.
							again := status == http.StatusConflict || status == http.StatusServiceUnavailable
							if !again || time.Since(restarted) > lease+10*time.Second {
								break
							}
							f.waited = true
							time.Sleep(100 * time.Millisecond)
						}
					}
				}()
			}
			for i := range posts {
				jobs <- i
			}
			close(jobs)
			rw.Wait()

			committed, waited := 0, 0
			for i, p := range posts {
				f := finals[i]
				if f.waited {
					waited++
				}
				if f.status == http.StatusConflict {
					t.Errorf("key %s still answers 409 %.1f s after the restart: %s", p.key, time.Since(restarted).Seconds(), f.body)
					continue
				}
				if p.kept() {
					if f.status != p.status || string(f.body) != string(p.answer) || f.replayed != "true" {
						t.Errorf("key %s answered %d before the kill and %d (replayed %q) after:\n%s\n%s", p.key, p.status, f.status, f.replayed, p.answer, f.body)
					}
					continue
				}
				ids, err := articleIDs(f.status, f.body)
				if err != nil || len(ids) != len(p.titles) {
					t.Errorf("key %s, in flight at the kill, answered %d after the restart: %v\n%s", p.key, f.status, err, f.body)
					continue
				}
				for j, title := range p.titles {
					if before := atKill[title]; len(before) > 0 {
						committed++
						if ids[j] != before[0] {
							t.Errorf("key %s: %q was stored as article %d before the kill, and the retry names article %d", p.key, title, before[0], ids[j])
						}
					}
				}
			}
			after := storedTitles(t, db)
			sent := 0
			for _, p := range posts {
				for _, title := range p.titles {
					sent++
					if n := len(after[title]); n != 1 {
						t.Errorf("%q is stored %d times, want once (key %s)", title, n, p.key)
					}
				}
			}
			t.Logf("%s: %d keys (%d titles) sent, %d answered before the kill, %d without an answer kept (in flight at the kill, or 503); after the restart %d keys had to wait (409 while a lease ran, or 503), %d articles committed by a run cut off were answered, not made again; all settled %.1f s after the restart",
				kind, len(posts), sent, len(posts)-len(inFlight), len(inFlight), waited, committed, time.Since(restarted).Seconds())
		})
	}
}

package api_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/headlines/headlines/internal/store/storetest"
)

// TestConcurrentWritersAndReaders: 32 writers creating articles one by
// one while 8 readers page through lists. Nothing answers 5xx, every
// write is acknowledged, and every acknowledged write is stored.
func TestConcurrentWritersAndReaders(t *testing.T) {
	if testing.Short() {
		t.Skip("a load test")
	}
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		const writers, each, readers = 32, 10, 8
		var mu sync.Mutex
		statuses := map[int]int{}
		var created []float64
		record := func(status int, id float64) {
			mu.Lock()
			defer mu.Unlock()
			statuses[status]++
			if status == http.StatusCreated {
				created = append(created, id)
			}
		}
		var wg sync.WaitGroup
		done := make(chan struct{})
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					r := e.do(req{method: "POST", path: "/v1/articles", key: true,
						body: fmt.Sprintf(`{"title":"writer %d story %d","countries":["RU","KP"],"themes":["troops"]}`, w, i)})
					id, _ := r.json(t)["id"].(float64)
					record(r.status, id)
				}
			}()
		}
		var rg sync.WaitGroup
		for range readers {
			rg.Add(1)
			go func() {
				defer rg.Done()
				for {
					select {
					case <-done:
						return
					default:
					}
					r := e.do(req{path: "/v1/articles?country=RU&theme=troops&limit=20"})
					record(r.status, 0)
				}
			}()
		}
		wg.Wait()
		close(done)
		rg.Wait()
		for status, n := range statuses {
			if status >= 500 {
				t.Errorf("%d answers were %d", n, status)
			}
		}
		if statuses[http.StatusCreated] != writers*each {
			t.Errorf("%d creates acknowledged, want %d (answers: %v)", statuses[http.StatusCreated], writers*each, statuses)
		}
		for _, id := range created {
			if r := e.do(req{path: fmt.Sprintf("/v1/articles/%d", int(id))}); r.status != 200 {
				t.Errorf("acknowledged article %d is lost: %d", int(id), r.status)
			}
		}
		total := e.do(req{path: "/v1/articles?q=writer&include_total=true&limit=1"}).json(t)["total"]
		t.Logf("%s: %d writes, %d reads, answers %v, %v stored", kind, writers*each, statuses[200], statuses, total)
		if total != float64(writers*each) {
			t.Errorf("%v articles stored, want %d", total, writers*each)
		}
	})
}

// TestConditionalPatchesOneWinner: 16 PATCHes with the same If-Match race;
// exactly one wins each version, the rest get 412.
func TestConditionalPatchesOneWinner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		for round := range 5 {
			etag := e.do(req{path: "/v1/articles/1"}).header.Get("ETag")
			var wg sync.WaitGroup
			results := make(chan int, 16)
			for i := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := e.do(req{method: "PATCH", path: "/v1/articles/1", key: true,
						body:    fmt.Sprintf(`{"summary":"round %d, editor %d"}`, round, i),
						headers: []string{"If-Match", etag}})
					results <- r.status
				}()
			}
			wg.Wait()
			close(results)
			counts := map[int]int{}
			for s := range results {
				counts[s]++
			}
			if counts[200] != 1 || counts[412] != 15 {
				t.Errorf("round %d: %v, want one 200 and fifteen 412", round, counts)
			}
			if v := e.do(req{path: "/v1/articles/1"}).json(t)["version"]; v != float64(round+2) {
				t.Errorf("round %d: version %v, want %d", round, v, round+2)
			}
		}
	})
}

package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/store/storetest"
)

// BenchmarkWebhookLatency measures how long an event takes from the
// write's commit to its receipt: b.N articles are created one every 20 ms
// (50 writes/s) through the API over real HTTP, with one webhook
// delivering every change to a receiver on loopback. Reported: the
// median and the 99th percentile from the write's answer (after its
// commit) to the receiver's read of the event, in ms. Run it with
// -benchtime=500x: the pace, not b.N, sets the time it takes.
func BenchmarkWebhookLatency(b *testing.B) {
	for _, kind := range storetest.Kinds {
		b.Run(kind, func(b *testing.B) {
			if kind != "sqlite" {
				storetest.DSN(b, kind) // skips without a PostgreSQL server
			}
			h, st := newAPI(b, kind, func(d *api.Deps) {
				d.CachePoll = 50 * time.Millisecond
				d.Webhook = api.WebhookOptions{AllowPrivate: true}
			})
			srv := httptest.NewServer(h)
			defer srv.Close()
			var mu sync.Mutex
			got := map[int64]time.Time{}
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var id, seq int64
				_, _ = fmt.Sscanf(r.Header.Get("webhook-id"), "msg_%d_%d", &id, &seq)
				_, _ = io.Copy(io.Discard, r.Body)
				mu.Lock()
				got[seq] = time.Now()
				mu.Unlock()
				w.WriteHeader(http.StatusNoContent)
			}))
			defer rcv.Close()
			post := func(path, key, body string) (int, string) {
				req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+key)
				res, err := srv.Client().Do(req)
				if err != nil {
					b.Fatal(err)
				}
				defer res.Body.Close()
				out, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(out)
			}
			if code, body := post("/v1/webhooks", adminKey, `{"url":"`+rcv.URL+`"}`); code != 201 {
				b.Fatalf("create webhook: %d %s", code, body)
			}
			acked := make([]time.Time, 0, b.N)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			b.ResetTimer()
			for i := range b.N {
				<-tick.C
				if code, body := post("/v1/articles", editorKey, fmt.Sprintf(`{"title":"Latency probe %d","url":"https://example.com/l%d"}`, i, i)); code != 201 {
					b.Fatalf("create: %d %s", code, body)
				}
				acked = append(acked, time.Now())
			}
			last, err := st.LastChange(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				mu.Lock()
				_, done := got[last]
				mu.Unlock()
				if done {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			b.StopTimer()
			// The probes' changes are the newest b.N, in order.
			var lat []float64
			mu.Lock()
			for i, at := range acked {
				seq := last - int64(b.N-1-i)
				if r, ok := got[seq]; ok {
					lat = append(lat, float64(r.Sub(at).Microseconds())/1000)
				}
			}
			mu.Unlock()
			if len(lat) != b.N {
				b.Fatalf("%d of %d events arrived", len(lat), b.N)
			}
			slices.Sort(lat)
			b.ReportMetric(lat[len(lat)/2], "p50-ms")
			b.ReportMetric(lat[len(lat)*99/100], "p99-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

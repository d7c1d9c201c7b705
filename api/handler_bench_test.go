package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/store"
)

// benchN is the size of the handler benchmark's data set:
// HEADLINES_BENCH_ARTICLES, 100,000 by default.
func benchN() int {
	if n, err := strconv.Atoi(os.Getenv("HEADLINES_BENCH_ARTICLES")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

var benchAPI = sync.OnceValues(func() (http.Handler, error) {
	n := benchN()
	// Kept in the temp dir so that later runs skip the import.
	path := filepath.Join(os.TempDir(), fmt.Sprintf("headlines-apibench-%d-seed1.db", n))
	_, statErr := os.Stat(path)
	st, err := store.Open(path, store.Options{})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if _, err := st.MigrateUp(ctx); err != nil {
		return nil, err
	}
	if statErr != nil {
		if res, err := importGenerated(ctx, st, n); err != nil || res.Created != n {
			_ = os.Remove(path)
			return nil, fmt.Errorf("import: %+v, %w", res, err)
		}
	}
	return api.New(api.Deps{Articles: st, Vocabulary: st, Keys: st, Changes: st, Ping: st.Ping,
		CursorSecret: "bench-cursor-secret-0123456789", CacheMaxAge: time.Minute, Log: quietLog(),
		Build: api.Build{Version: "bench", Dialect: st.Dialect()}}), nil
})

// BenchmarkListHandler times whole requests through the Echo stack and the
// store, without a network: the public list of the hot path and an article.
// cpu-µs/op is the process's CPU time per request, the collector's
// included: steadier than ns/op on a shared machine.
func BenchmarkListHandler(b *testing.B) {
	h, err := benchAPI()
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ name, url string }{
		{"page1_RU_sanctions", "/v1/articles?country=RU&theme=sanctions"},
		{"rare_CU_human-rights", "/v1/articles?country=CU&theme=human-rights"},
		{"article_by_id", "/v1/articles/" + strconv.Itoa(benchN()/2)},
		{"search_sanctions", "/v1/articles?q=sanctions"},
		{"search_sanctions_talks_RU_sanctions", "/v1/articles?country=RU&theme=sanctions&q=sanctions%20talks"},
		{"search_food_aid_phrase_RU_sanctions", "/v1/articles?country=RU&theme=sanctions&q=%22food%20aid%22"},
		{"relevance_sanctions_talks", "/v1/articles?q=sanctions%20talks&sort=relevance"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, tc.url, nil)
			r.Host = "localhost" // an allowed host
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", tc.url, w.Code, w.Body)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e3, "cpu-µs/op")
		})
	}
}

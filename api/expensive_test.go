package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/store/storetest"
)

// newPoolEnv is newEnv with expensive reads bounded by pool.
func newPoolEnv(t *testing.T, kind string, pool *api.QueryPool) *env {
	t.Helper()
	_, st := newAPI(t, kind)
	return serve(t, poolAPI(st, pool), st)
}

func poolAPI(st *store.Store, pool *api.QueryPool) http.Handler {
	return api.New(api.Deps{Articles: st, Vocabulary: st, Keys: st, Changes: st, ResponseCache: true, Ping: st.Ping, APIKeys: []string{editorKey},
		CursorSecret: "test-cursor-secret-0123456789", CacheMaxAge: time.Minute, Log: quietLog(),
		Build: api.Build{Version: "test", Dialect: st.Dialect()}, Expensive: pool})
}

// TestExpensiveReadsRefusedWhenPoolFull: while every slot of the pool is
// taken, an expensive read answers 503 with Retry-After at once, and
// cheap reads, cached answers and readiness answer as ever.
func TestExpensiveReadsRefusedWhenPoolFull(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		pool := api.NewQueryPool(2, 10*time.Second)
		e := newPoolEnv(t, kind, pool)
		const cachedSearch = "/v1/articles?q=kim"
		if r := e.do(req{path: cachedSearch}); r.status != http.StatusOK {
			t.Fatalf("%s: %d", cachedSearch, r.status)
		}
		release := pool.HoldSlots(2)
		expensive := []req{
			{path: "/v1/articles?q=korea&sort=relevance"},
			{path: "/v1/articles?q=korea&include_total=true"},
			{path: "/v1/articles?include_total=true"},
			{path: "/v1/articles?facets=country"},
			{path: "/v1/articles?country=KP&include_total=1"},
			{path: "/v1/articles?source=NK%20News"},
			{path: "/v1/articles?section=foreign-relations"},
			{path: "/v1/articles?language=en"},
			{path: "/v1/articles?theme_not=aid"},
			{path: "/v1/articles?country=RU,CN"},
			{path: "/v1/articles?theme=troops&theme_all=labor"},
			// An editor's counts include drafts, which the pair counts leave out.
			{path: "/v1/articles?country=KP&theme=nuclear&include_total=true", key: true},
			{method: http.MethodHead, path: "/v1/articles?q=korea&sort=relevance"},
			{path: "/v1/feeds/articles.rss?q=korea&source=NK%20News"},
			{path: "/v1/feeds/articles.atom?country=KP,RU"},
			{path: "/v1/feeds/articles.json?source=NK%20News"},
			{path: "/embed/headlines?q=korea&country=KP,RU"},
			{path: "/"},
			{path: "/?country=KP"},
		}
		for _, r := range expensive {
			start := time.Now()
			res := e.do(r)
			took := time.Since(start)
			if res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") != "1" {
				t.Errorf("%s %s while the pool is full: %d, Retry-After %q, want 503 and 1: %s", r.method, r.path, res.status, res.header.Get("Retry-After"), res.body)
				continue
			}
			if took > time.Second {
				t.Errorf("%s took %s to be refused", r.path, took)
			}
			switch {
			case r.path == "/" || strings.HasPrefix(r.path, "/?") || strings.HasPrefix(r.path, "/embed/headlines"): // the front page and the widget tell people, in HTML
				if !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") || !strings.Contains(string(res.body), "please try again") {
					t.Errorf("%s while the pool is full: %q", r.path, res.header.Get("Content-Type"))
				}
			case r.method == "":
				assertProblem(t, res, http.StatusServiceUnavailable, "")
			}
		}
		cheap := []req{
			{path: "/v1/articles/1"},
			{path: "/v1/articles/2", key: true},
			{path: "/v1/articles"},
			{path: "/v1/articles?country=KP&limit=5&fields=title"},
			{path: "/v1/articles?theme_all=nuclear&since=2025-01-01&sort=published_at"},
			{path: "/v1/articles?country=KP&theme=nuclear&include_total=true&facets=country,theme"},
			{path: "/v1/articles?include_total=false"},
			{path: "/v1/feeds/articles.rss?country=KP"},
			{path: "/embed/headlines?theme=nuclear"},
			{path: "/?country=KP&theme=nuclear"},
			{path: "/v1/countries/KP"},
			{path: "/readyz"},
			{path: cachedSearch}, // the response cache answers: no slot needed
			// A search in date order walks its index for one page.
			{path: "/v1/articles?q=korea"},
			{path: "/v1/articles?q=korea&country=KP&theme=nuclear&sort=published_at"},
			{path: "/v1/feeds/articles.rss?q=korea"},
			{path: "/embed/headlines?q=korea"},
		}
		for _, r := range cheap {
			if res := e.do(r); res.status != http.StatusOK {
				t.Errorf("%s while the pool is full: %d %s", r.path, res.status, res.body)
			}
		}
		if r := e.do(req{path: "/v1/articles?q=korea&sort=relevance"}); r.status != http.StatusServiceUnavailable {
			t.Errorf("the pool was freed too soon: %d", r.status)
		}
		release()
		for _, r := range expensive {
			if res := e.do(r); res.status != http.StatusOK {
				t.Errorf("%s with the pool free: %d %s", r.path, res.status, res.body)
			}
		}
	})
}

// importSample adds n generated articles to st.
func importSample(t *testing.T, st *store.Store, n int) {
	t.Helper()
	if res, err := importGenerated(context.Background(), st, n); err != nil || res.Created != n {
		t.Fatalf("import: %+v, %v", res, err)
	}
}

// TestExpensiveReadTimeLimit: an expensive read still running at the time
// limit is stopped in the database and answers 503 with Retry-After,
// never 500, and the connection it used serves the next read. On SQLite
// the read is made slow by data: every theme excluded, over 20,000
// articles, has every article checked and none found. On PostgreSQL it
// waits for a lock that the test holds, and must not be left waiting.
func TestExpensiveReadTimeLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 20,000 articles")
	}
	storetest.Each(t, func(t *testing.T, kind string) {
		_, st := newAPI(t, kind)
		ctx := context.Background()
		const path = "/v1/articles?theme_not=sanctions,trade,troops,diplomacy,aid,labor,nuclear,culture,tourism,infrastructure,human-rights,cyber"
		var limit time.Duration
		if kind == "sqlite" {
			importSample(t, st, 20_000)
			// How long the read takes when nothing stops it, at best of
			// three (each a new URL, so that the response cache answers
			// none of them).
			free := serve(t, poolAPI(st, api.NewQueryPool(2, time.Minute)), st)
			uncut := time.Hour
			for i := range 3 {
				start := time.Now()
				if r := free.do(req{path: fmt.Sprintf("%s&limit=%d", path, 90+i)}); r.status != http.StatusOK {
					t.Fatalf("without a time limit: %d %s", r.status, r.body)
				}
				uncut = min(uncut, time.Since(start))
			}
			t.Logf("the read takes %s", uncut)
			limit = uncut / 4
		} else {
			conn, err := st.DB().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, q := range []string{"BEGIN", "LOCK TABLE articles IN ACCESS EXCLUSIVE MODE"} {
				if _, err := conn.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			// Released after 10 s whatever happens, so that a read the
			// limit fails to stop ends too, and the test with it.
			var once sync.Once
			unlock := func() { once.Do(func() { _, _ = conn.ExecContext(ctx, "ROLLBACK") }) }
			defer unlock()
			time.AfterFunc(10*time.Second, unlock)
			limit = 300 * time.Millisecond
		}
		e := serve(t, poolAPI(st, api.NewQueryPool(2, limit)), st)
		start := time.Now()
		r := e.do(req{path: path})
		took := time.Since(start)
		t.Logf("limit %s: answered %d after %s", limit, r.status, took)
		assertProblem(t, r, http.StatusServiceUnavailable, "")
		if r.header.Get("Retry-After") == "" || !strings.Contains(r.json(t)["detail"].(string), "time limit of "+limit.String()) {
			t.Errorf("Retry-After %q, detail %s: want both, naming the limit", r.header.Get("Retry-After"), r.body)
		}
		if took < limit {
			t.Errorf("answered after %s, before the limit of %s", took, limit)
		}
		if kind == "sqlite" {
			if inUse := st.Pools()["reads"].Stats().InUse; inUse != 0 {
				t.Errorf("%d read connections still busy after the answer: the statement was not interrupted", inUse)
			}
			if r := e.do(req{path: "/v1/articles?country=KP"}); r.status != http.StatusOK {
				t.Errorf("a read after the cut: %d %s", r.status, r.body)
			}
			return
		}
		// The server handles a cancel request apart from the statement it
		// stops, so the statement may wait a moment longer than the
		// answer; well before the lock's release it must be gone.
		var waiting int
		for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			if waiting == 0 || time.Now().After(deadline) {
				break
			}
		}
		if waiting != 0 {
			t.Errorf("%d statements still wait for the lock 2 s after the answer: the read was not cancelled", waiting)
		}
	})
}

// TestRefusalsLogOneLineEach: a request refused because the pool is full
// is logged by its request line only, not again as a failure, so that a
// flood of refusals does not double the log.
func TestRefusalsLogOneLineEach(t *testing.T) {
	var logs syncBuffer
	pool := api.NewQueryPool(1, 10*time.Second)
	e := newEnv(t, "sqlite", func(d *api.Deps) {
		d.Expensive = pool
		d.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	release := pool.HoldSlots(1)
	defer release()
	for range 3 {
		if r := e.raw("GET", "/v1/articles?q=korea&sort=relevance", "", ""); r.status != http.StatusServiceUnavailable {
			t.Fatalf("while the pool is full: %d %s", r.status, r.body)
		}
	}
	if n := strings.Count(logs.String(), `"msg":"request"`); n != 3 {
		t.Errorf("%d request lines, want 3", n)
	}
	if strings.Contains(logs.String(), "request failed") {
		t.Errorf("refusals logged as failures:\n%s", logs.String())
	}
}

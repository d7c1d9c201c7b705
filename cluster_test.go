package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/headlines/headlines/internal/store/storetest"
)

// cluster is deploy/local-cluster running for one test: the machine's
// PostgreSQL as primary, a streaming hot standby, two instances and nginx.
type cluster struct {
	t       *testing.T
	env     []string
	state   string
	proxy   string   // http://127.0.0.1:port of nginx
	apis    []string // http://127.0.0.1:port of each instance, directly
	primary string   // the cluster's database on the primary
	replica string   // the same database on the standby
}

// startCluster runs `deploy/local-cluster up` with env added to the
// instances' environment, and `down` when the test ends. It skips when
// the machine cannot run it (no PostgreSQL for the tests, not root, no
// nginx) unless HEADLINES_REQUIRE_CLUSTER=1, as in CI.
func startCluster(t *testing.T, env ...string) *cluster {
	t.Helper()
	missing := ""
	pg := os.Getenv(storetest.EnvPostgres)
	switch {
	case pg == "":
		missing = storetest.EnvPostgres + " is not set"
	case os.Geteuid() != 0:
		missing = "the standby runs as the postgres user, which needs root"
	default:
		if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
			missing = "nginx is not installed (deploy/local-cluster install)"
		}
	}
	if missing != "" {
		if os.Getenv("HEADLINES_REQUIRE_CLUSTER") == "1" {
			t.Fatalf("HEADLINES_REQUIRE_CLUSTER=1 but %s", missing)
		}
		t.Skipf("the local cluster test skipped: %s", missing)
	}
	u, err := url.Parse(pg)
	if err != nil {
		t.Fatal(err)
	}
	port := func() string { return strings.TrimPrefix(freeAddr(t), "127.0.0.1:") }
	proxyPort, api1, api2, replicaPort := port(), port(), port(), port()
	db := fmt.Sprintf("headlines_cluster_test_%d", os.Getpid())
	c := &cluster{t: t, proxy: "http://127.0.0.1:" + proxyPort,
		apis:    []string{"http://127.0.0.1:" + api1, "http://127.0.0.1:" + api2},
		state:   filepath.Join(os.TempDir(), fmt.Sprintf("headlines-cluster-test-%d", os.Getpid())),
		primary: fmt.Sprintf("postgres://postgres@127.0.0.1:%s/%s?sslmode=disable", u.Port(), db),
		replica: fmt.Sprintf("postgres://postgres@127.0.0.1:%s/%s?sslmode=disable", replicaPort, db)}
	c.env = append([]string{
		"HEADLINES_CLUSTER_DIR=" + c.state,
		"HEADLINES_CLUSTER_PORT=" + proxyPort,
		"HEADLINES_CLUSTER_API_PORTS=" + api1 + " " + api2,
		"HEADLINES_CLUSTER_REPLICA_PORT=" + replicaPort,
		"HEADLINES_CLUSTER_PRIMARY_PORT=" + u.Port(),
		"HEADLINES_CLUSTER_DB=" + db,
		"HEADLINES_BIN=" + binary,
		"HEADLINES_API_KEYS=" + crashKey,
	}, env...)
	t.Cleanup(func() {
		if t.Failed() {
			for _, f := range []string{"api-1.log", "api-2.log", "nginx/error.log", "run/replica.log"} {
				raw, err := os.ReadFile(filepath.Join(c.state, f))
				if err != nil {
					continue
				}
				// The instances log every request: show what went wrong.
				var notes []string
				for _, line := range strings.Split(string(raw), "\n") {
					if !strings.Contains(line, `"msg":"request"`) && len(notes) < 40 {
						notes = append(notes, line)
					}
				}
				t.Logf("%s:\n%s", f, tail([]byte(strings.Join(notes, "\n")), 8000))
			}
		}
		if out, err := c.script("down"); err != nil {
			t.Errorf("deploy/local-cluster down: %v\n%s", err, out)
		}
	})
	c.run("up")
	return c
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func (c *cluster) script(args ...string) ([]byte, error) {
	cmd := exec.Command("deploy/local-cluster", args...)
	cmd.Env = append(os.Environ(), c.env...)
	return cmd.CombinedOutput()
}

// run runs deploy/local-cluster with args and fails the test if it fails.
func (c *cluster) run(args ...string) {
	c.t.Helper()
	if out, err := c.script(args...); err != nil {
		c.t.Fatalf("deploy/local-cluster %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// logSize is where nginx's access log ends now.
func (c *cluster) logSize() int64 {
	st, err := os.Stat(filepath.Join(c.state, "nginx/access.log"))
	if err != nil {
		return 0
	}
	return st.Size()
}

// proxied counts the requests nginx logged from offset on: all of them,
// those it passed to an instance, and those it passed to a second one
// after the first failed.
func (c *cluster) proxied(offset int64) (all, upstream, retried int) {
	c.t.Helper()
	f, err := os.Open(filepath.Join(c.state, "nginx/access.log"))
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		c.t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		all++
		_, addr, _ := strings.Cut(sc.Text(), " upstream=")
		addr, _, _ = strings.Cut(addr, " upstream_status=")
		if addr != "-" {
			upstream++
		}
		if strings.Contains(addr, ",") {
			retried++
		}
	}
	return all, upstream, retried
}

// clientAddr is a made-up reader's address, sent in X-Forwarded-For: the
// instances trust nginx, so each reader has a rate-limit budget of its own.
func clientAddr(n int64) string { return fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255) }

// traffic is steady load through the proxy: readers GET public pages,
// writers create articles, each POST with an Idempotency-Key that its
// writer retries, with the same body, until an answer other than a
// failure comes.
type traffic struct {
	stop chan struct{}
	wg   sync.WaitGroup

	gets, getsFailed        atomic.Int64
	problems                atomic.Int64 // 503 problems, when allowed
	allow503                bool
	posts, postRetries      atomic.Int64
	mu                      sync.Mutex
	failures                []string
	acked                   map[string][]int64 // title → ids its answers named
	postsFailed, idempotent atomic.Int64
}

// batchSize is how many articles each of the traffic's POSTs creates.
const batchSize = 50

func startTraffic(c *cluster, readers, writers int, marker string, allow503 bool) *traffic {
	tr := &traffic{stop: make(chan struct{}), acked: map[string][]int64{}, allow503: allow503}
	// Half the reads ask for pages that the cache keeps for a second;
	// the other half, pages no one asked for before (a random limit and
	// list of fields), which reach the instances and their standby.
	var paths []string
	for i := 1; i <= 20; i++ {
		paths = append(paths, fmt.Sprintf("/v1/articles?limit=%d", i), fmt.Sprintf("/v1/articles/%d", i))
	}
	fields := []string{"title", "summary", "source", "section", "language", "countries", "themes", "published_at", "url"}
	uncached := func(rng *rand.Rand) string {
		var f []string
		for range 1 + rng.IntN(6) {
			f = append(f, fields[rng.IntN(len(fields))])
		}
		return fmt.Sprintf("/v1/articles?limit=%d&fields=%s", 1+rng.IntN(50), strings.Join(f, ","))
	}
	var n atomic.Int64
	for r := range readers {
		tr.wg.Add(1)
		go func() {
			defer tr.wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(r)))
			for i := r; ; i += readers {
				select {
				case <-tr.stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
				path := paths[i%len(paths)]
				if i%2 == 1 {
					path = uncached(rng)
				}
				req, _ := http.NewRequest("GET", c.proxy+path, nil)
				req.Header.Set("X-Forwarded-For", clientAddr(n.Add(1)))
				tr.gets.Add(1)
				res, err := client.Do(req)
				var body []byte
				if err == nil {
					body, err = io.ReadAll(res.Body)
					_ = res.Body.Close()
				}
				switch {
				case err != nil:
					tr.fail(&tr.getsFailed, "GET %s: %v", req.URL.Path, err)
				case res.StatusCode == 503 && tr.allow503 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json"):
					tr.problems.Add(1)
				case res.StatusCode != 200 && res.StatusCode != 404:
					tr.fail(&tr.getsFailed, "GET %s: %d %s", req.URL.RequestURI(), res.StatusCode, tail(body, 300))
				}
			}
		}()
	}
	for w := range writers {
		tr.wg.Add(1)
		go func() {
			defer tr.wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-tr.stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
				// A batch keeps its instance busy for a while, so that a
				// kill or a restart finds one in flight.
				p := &keyedPost{key: fmt.Sprintf("%s %d-%d", marker, w, i), path: "/v1/articles/batch"}
				var items []string
				for j := range batchSize {
					title := fmt.Sprintf("%s %d-%d item %d", marker, w, i, j)
					p.titles = append(p.titles, title)
					items = append(items, fmt.Sprintf(`{"title":%q,"countries":["KP"]}`, title))
				}
				p.body = `{"articles":[` + strings.Join(items, ",") + `]}`
				tr.posts.Add(1)
				deadline := time.Now().Add(20 * time.Second)
				for attempt := 0; ; attempt++ {
					if attempt > 0 {
						tr.postRetries.Add(1)
						time.Sleep(200 * time.Millisecond)
					}
					status, replayed, body, err := p.send(client, c.proxy)
					if err == nil && status < 500 && status != 409 {
						ids, err := articleIDs(status, body)
						if err == nil && len(ids) != len(p.titles) {
							err = fmt.Errorf("%d articles for %d items", len(ids), len(p.titles))
						}
						if err != nil {
							tr.fail(&tr.postsFailed, "POST %s: %d %v %s", p.key, status, err, tail(body, 300))
							break
						}
						if replayed == "true" {
							tr.idempotent.Add(1)
						}
						tr.mu.Lock()
						for j, title := range p.titles {
							tr.acked[title] = append(tr.acked[title], ids[j])
						}
						tr.mu.Unlock()
						break
					}
					// Unreachable, 5xx (the instance went away with it), or
					// 409 (the key is still held by the request a killed
					// instance took): the same key again, later.
					if time.Now().After(deadline) {
						tr.fail(&tr.postsFailed, "POST %s: still %d %v after 20 s of retries", p.key, status, err)
						break
					}
				}
			}
		}()
	}
	return tr
}

func (tr *traffic) fail(count *atomic.Int64, format string, args ...any) {
	count.Add(1)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.failures) < 20 {
		tr.failures = append(tr.failures, fmt.Sprintf(format, args...))
	}
}

func (tr *traffic) halt() {
	close(tr.stop)
	tr.wg.Wait()
}

// check halts the traffic and fails the test on any failed GET or POST,
// or on an article stored other than exactly once for its acknowledged
// POST; it logs the scenario's line of the failure table.
func (tr *traffic) check(t *testing.T, c *cluster, scenario string, logFrom int64) {
	t.Helper()
	tr.halt()
	all, upstream, retried := c.proxied(logFrom)
	t.Logf("| %s | %d GET, %d failed, %d answered 503 problem | %d POST of %d articles, %d failed, %d retried by the client (%d answered from the key) | nginx: %d requests, %d passed on, %d retried on the other instance |",
		scenario, tr.gets.Load(), tr.getsFailed.Load(), tr.problems.Load(), tr.posts.Load(), batchSize, tr.postsFailed.Load(), tr.postRetries.Load(), tr.idempotent.Load(), all, upstream, retried)
	for _, f := range tr.failures {
		t.Errorf("%s: %s", scenario, f)
	}
	if tr.gets.Load() < 1000 || tr.posts.Load() < 10 || upstream < 300 {
		t.Errorf("%s: too little load to show anything: %d GET, %d POST, %d reached the instances", scenario, tr.gets.Load(), tr.posts.Load(), upstream)
	}
	stored := storedTitles(t, c.primary)
	for title, ids := range tr.acked {
		got := stored[title]
		if len(got) != 1 {
			t.Errorf("%s: %q stored %d times (%v), want once", scenario, title, len(got), got)
			continue
		}
		for _, id := range ids {
			if id != got[0] {
				t.Errorf("%s: %q answered as article %d, stored as %d", scenario, title, id, got[0])
			}
		}
	}
	for title := range stored {
		if strings.HasPrefix(title, scenario+" ") && tr.acked[title] == nil {
			t.Errorf("%s: %q stored, but its writer never had it acknowledged", scenario, title)
		}
	}
}

// get sends a GET through the proxy with headers (name, value pairs).
func get(t *testing.T, u string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultTransport.RoundTrip(req) // no transparent gzip: the test sees what came
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

// TestLocalCluster runs deploy/local-cluster, the compose topology on this
// machine, and shows that it behaves as one service through its failures:
// an editor reads their write at once while public reads catch up; no
// GET fails when an instance is killed or during a rolling restart, and
// every POST retried with its Idempotency-Key is stored exactly once;
// public reads fall back to the primary while the standby is down, with
// the instances ready, and an instance starts meanwhile; rate-limit
// budgets are per instance.
func TestLocalCluster(t *testing.T) {
	const budget = 20
	c := startCluster(t,
		"HEADLINES_CACHE_MAX_AGE=1s", "HEADLINES_CACHE_STALE=2s",
		// A key held by a killed instance's request is free again after
		// this; clients retrying it get 409 until then.
		"HEADLINES_WRITE_TIMEOUT=3s",
		fmt.Sprintf("HEADLINES_RATE_PUBLIC=%d/1h", budget))
	primary, err := sql.Open("pgx", c.primary)
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	replica, err := sql.Open("pgx", c.replica)
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Close()
	var standby bool
	if err := replica.QueryRow(`SELECT pg_is_in_recovery()`).Scan(&standby); err != nil || !standby {
		t.Fatalf("the replica is not a hot standby: in recovery %v, %v", standby, err)
	}

	t.Run("editor reads the write at once, the public catches up", func(t *testing.T) {
		list := c.proxy + "/v1/articles?country=KP&limit=3&fields=title"
		if res, _ := get(t, list); res.StatusCode != 200 {
			t.Fatalf("public list: %d", res.StatusCode)
		}
		if res, _ := get(t, list); res.Header.Get("X-Cache-Status") != "HIT" {
			t.Errorf("the public list again: X-Cache-Status %q, want HIT", res.Header.Get("X-Cache-Status"))
		}
		p := &keyedPost{key: "fresh-1", path: "/v1/articles", body: `{"title":"Pyongyang opens a new tram line","countries":["KP"]}`}
		status, _, body, err := p.send(http.DefaultClient, c.proxy)
		if err != nil || status != 201 {
			t.Fatalf("create through the proxy: %d %v %s", status, err, body)
		}
		ids, _ := articleIDs(status, body)
		path := fmt.Sprint("/v1/articles/", ids[0])
		written := time.Now()
		res, body := get(t, c.proxy+path, "X-API-Key", crashKey)
		if res.StatusCode != 200 || res.Header.Get("X-Cache-Status") != "BYPASS" || res.Header.Get("Cache-Control") != "private, no-store" {
			t.Errorf("the editor's read at once: %d, X-Cache-Status %q, Cache-Control %q: %s", res.StatusCode,
				res.Header.Get("X-Cache-Status"), res.Header.Get("Cache-Control"), body)
		}
		if res, body := get(t, list, "X-API-Key", crashKey); !bytes.Contains(body, []byte("new tram line")) {
			t.Errorf("the editor's list at once: %d %s", res.StatusCode, body)
		}
		// The public list is the cached copy from before the write (or
		// the standby's) until max-age and the standby allow.
		var first int
		var firstSeen bool
		for {
			res, body := get(t, c.proxy+path)
			if first == 0 {
				first = res.StatusCode
			}
			_, lbody := get(t, list)
			seen := bytes.Contains(lbody, []byte("new tram line"))
			firstSeen = firstSeen || seen
			if res.StatusCode == 200 && seen {
				break
			}
			if res.StatusCode != 404 && res.StatusCode != 200 {
				t.Fatalf("public read: %d %s", res.StatusCode, body)
			}
			if time.Since(written) > 10*time.Second {
				t.Fatalf("the public list does not show the write after 10 s")
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("public reads caught up %v after the write (first public read of the article: %d)", time.Since(written).Round(time.Millisecond), first)
		var onStandby int
		if err := replica.QueryRow(`SELECT count(*) FROM articles WHERE id = $1`, ids[0]).Scan(&onStandby); err != nil || onStandby != 1 {
			t.Errorf("the article on the standby: %d, %v", onStandby, err)
		}
	})

	t.Run("cache variants", func(t *testing.T) {
		u := c.proxy + "/v1/articles?limit=7"
		get(t, u)
		if res, _ := get(t, u, "Accept-Encoding", "gzip"); res.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("a client that takes gzip: Content-Encoding %q", res.Header.Get("Content-Encoding"))
		}
		// Go's transport would ask for gzip itself, and hide the answer's
		// encoding, without an Accept-Encoding of the request's own.
		for _, ae := range []string{"identity", "identity, gzip;q=0"} {
			if res, _ := get(t, u, "Accept-Encoding", ae); res.Header.Get("Content-Encoding") != "" {
				t.Errorf("a client that does not take gzip (Accept-Encoding: %s) got Content-Encoding %q", ae, res.Header.Get("Content-Encoding"))
			}
		}
		if res, _ := get(t, u, "Origin", "https://partner.example"); res.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("a partner page's fetch got Access-Control-Allow-Origin %q, want *", res.Header.Get("Access-Control-Allow-Origin"))
		}
	})

	t.Run("kill -9", func(t *testing.T) {
		from := c.logSize()
		tr := startTraffic(c, 4, 4, "kill9", false)
		time.Sleep(2 * time.Second)
		c.run("kill", "api-1")
		time.Sleep(3 * time.Second)
		tr.check(t, c, "kill9", from)
		c.run("start", "api-1")
	})

	t.Run("rolling restart", func(t *testing.T) {
		from := c.logSize()
		tr := startTraffic(c, 4, 2, "rolling", false)
		for _, part := range []string{"api-1", "api-2"} {
			time.Sleep(time.Second)
			c.run("stop", part)
			time.Sleep(time.Second)
			c.run("start", part)
			// nginx leaves an instance that failed out for fail_timeout
			// (3 s): the other goes down only once this one is back in.
			time.Sleep(3 * time.Second)
		}
		tr.check(t, c, "rolling", from)
	})

	t.Run("standby stopped and started", func(t *testing.T) {
		from := c.logSize()
		tr := startTraffic(c, 4, 1, "standby", true)
		var notReady atomic.Int64
		stopProbe := make(chan struct{})
		probed := make(chan struct{})
		go func() {
			defer close(probed)
			for {
				for _, api := range c.apis[:1] { // api-2 restarts meanwhile
					res, err := http.Get(api + "/readyz")
					if err != nil || res.StatusCode != 200 {
						notReady.Add(1)
					}
					if err == nil {
						_ = res.Body.Close()
					}
				}
				select {
				case <-stopProbe:
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
		time.Sleep(time.Second)
		c.run("stop", "replica")
		time.Sleep(time.Second)
		// An instance that starts meanwhile starts, and becomes ready
		// (local-cluster start waits for /readyz).
		c.run("stop", "api-2")
		c.run("start", "api-2")
		time.Sleep(2 * time.Second)
		c.run("start", "replica")
		// Once it answers again, the instances read from it again.
		deadline := time.Now().Add(10 * time.Second)
		for {
			var reading int
			_ = replica.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&reading)
			if reading > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("no instance reads from the standby 10 s after it started again")
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		close(stopProbe)
		<-probed
		tr.check(t, c, "standby", from)
		// Reads caught on the standby's connections as it stopped fail
		// there, mark it down and run once more, on the primary: none
		// answers 503.
		if p := tr.problems.Load(); p > 0 {
			t.Errorf("%d of %d reads answered 503 while the standby stopped", p, tr.gets.Load())
		}
		if n := notReady.Load(); n > 0 {
			t.Errorf("/readyz failed %d times while the standby was down", n)
		}
	})

	t.Run("rate limits are per instance", func(t *testing.T) {
		// One reader, pages the cache has not seen: each instance spends
		// its own budget, and nginx alternates between them.
		counts := map[int]int{}
		for i := range 3 * budget {
			res, body := get(t, fmt.Sprintf("%s/v1/articles?limit=%d&fields=id,title", c.proxy, i%100+1), "X-Forwarded-For", "198.51.100.7")
			counts[res.StatusCode]++
			if res.StatusCode == 429 && (res.Header.Get("Retry-After") == "" || !bytes.Contains(body, []byte(`"status":429`))) {
				t.Errorf("429 without Retry-After or problem: %v %s", res.Header, body)
			}
		}
		t.Logf("one client, %d requests through the proxy to 2 instances with %d each: %v", 3*budget, budget, counts)
		if counts[200] != 2*budget || counts[429] != budget {
			t.Errorf("answers %v, want %d 200 (the budget of each of the 2 instances) and %d 429", counts, 2*budget, budget)
		}
	})
}

// TestComposeAndLocalClusterShareTheProxy: deploy/compose.yaml mounts
// deploy/nginx.conf, the file deploy/local-cluster includes, and the two
// files that nginx.conf includes.
func TestComposeAndLocalClusterShareTheProxy(t *testing.T) {
	raw, err := os.ReadFile("deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Volumes     []string          `json:"volumes"`
			Environment map[string]string `json:"environment"`
		} `json:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatal(err)
	}
	mounts := map[string]string{}
	for _, v := range compose.Services["proxy"].Volumes {
		parts := strings.Split(v, ":")
		mounts[parts[0]] = parts[1]
	}
	conf, err := os.ReadFile("deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, inc := range []string{"headlines-upstream.conf", "headlines-server.conf"} {
		if !bytes.Contains(conf, []byte("include "+inc+";")) {
			t.Errorf("deploy/nginx.conf does not include %s", inc)
		}
		if got := mounts["./nginx-compose/"+inc]; got != "/etc/nginx/"+inc {
			t.Errorf("compose mounts ./nginx-compose/%s at %q, want /etc/nginx/%s, beside nginx's main configuration", inc, got, inc)
		}
	}
	if mounts["./nginx.conf"] == "" {
		t.Errorf("compose's proxy does not mount deploy/nginx.conf: %v", mounts)
	}
	script, err := os.ReadFile("deploy/local-cluster")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(script, []byte("include $repo/deploy/nginx.conf;")) {
		t.Error("deploy/local-cluster does not include deploy/nginx.conf")
	}
	if compose.Services["api"].Environment["HEADLINES_DB_REPLICAS"] == "" {
		t.Error("compose's instances read from no replica")
	}
}

// instanceLogSizes is where each instance's log ends now.
func (c *cluster) instanceLogSizes() []int64 {
	var sizes []int64
	for i := range c.apis {
		st, err := os.Stat(filepath.Join(c.state, fmt.Sprintf("api-%d.log", i+1)))
		if err != nil {
			c.t.Fatal(err)
		}
		sizes = append(sizes, st.Size())
	}
	return sizes
}

// served counts, by status, the requests for path that the instances
// logged from offsets on: every request that reached one, whether nginx
// passed on a client's or revalidated its copy in the background.
func (c *cluster) served(offsets []int64, path string) map[int]int {
	c.t.Helper()
	byStatus := map[int]int{}
	for i, off := range offsets {
		raw, err := os.ReadFile(filepath.Join(c.state, fmt.Sprintf("api-%d.log", i+1)))
		if err != nil {
			c.t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw[off:]), "\n") {
			var entry struct {
				Msg    string `json:"msg"`
				Path   string `json:"path"`
				Status int    `json:"status"`
			}
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "request" && entry.Path == path {
				byStatus[entry.Status]++
			}
		}
	}
	return byStatus
}

// TestClusterOffload measures what the proxy takes off the instances, for
// docs/operations.md; it runs only with HEADLINES_CLUSTER_OFFLOAD=1 (about
// three minutes). Partner widgets: embeds spread evenly over 12
// country/theme views, each refreshing every period, with max-age and
// stale-while-revalidate scaled by the same factor as the period (time
// runs HEADLINES_CLUSTER_SPEEDUP times faster, 3 by default), without
// writes, then with an editor's write every second. Then page 1 through
// the proxy against page 1 from one instance directly.
func TestClusterOffload(t *testing.T) {
	if os.Getenv("HEADLINES_CLUSTER_OFFLOAD") != "1" {
		t.Skip("set HEADLINES_CLUSTER_OFFLOAD=1 to measure the proxy's offload")
	}
	const embeds, views, realPeriod, realMaxAge = 2000, 12, 30 * time.Second, 30 * time.Second
	speedup := 3
	if s := os.Getenv("HEADLINES_CLUSTER_SPEEDUP"); s != "" {
		_, _ = fmt.Sscan(s, &speedup)
	}
	period := realPeriod / time.Duration(speedup)
	c := startCluster(t, "HEADLINES_RATE_PUBLIC=off", "HEADLINES_RATE_KEY=off",
		fmt.Sprintf("HEADLINES_CACHE_MAX_AGE=%v", realMaxAge/time.Duration(speedup)),
		fmt.Sprintf("HEADLINES_CACHE_STALE=%v", 2*realMaxAge/time.Duration(speedup)))
	viewPaths := []string{}
	for _, country := range []string{"KP", "RU", "KR", "JP", "US", "IL", "IR", "CA"} {
		viewPaths = append(viewPaths, "/embed/headlines?limit=5&country="+country)
	}
	for _, v := range []string{"KP&theme=troops", "KP&theme=tourism", "RU&theme=troops", "KP&theme=labor"} {
		viewPaths = append(viewPaths, "/embed/headlines?limit=5&country="+v)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

	widgets := func(name string, runFor time.Duration, writeEvery time.Duration) {
		var sent, failed atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		offsets := c.instanceLogSizes()
		// Let the first refresh of every embed pass before counting, as
		// on a day the widgets have long been up.
		for i := range embeds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				next := time.Now().Add(period * time.Duration(i) / embeds)
				for {
					select {
					case <-stop:
						return
					case <-time.After(time.Until(next)):
					}
					next = next.Add(period)
					sent.Add(1)
					res, err := client.Get(c.proxy + viewPaths[i%views])
					if err == nil {
						_, _ = io.Copy(io.Discard, res.Body)
						_ = res.Body.Close()
					}
					if err != nil || res.StatusCode != 200 {
						failed.Add(1)
					}
				}
			}()
		}
		if writeEvery > 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					case <-time.After(writeEvery):
					}
					p := &keyedPost{key: fmt.Sprintf("%s-%d", name, i), path: "/v1/articles",
						body: fmt.Sprintf(`{"title":"%s, story %d","countries":["KP","RU"],"themes":["troops"]}`, name, i)}
					_, _, _, _ = p.send(client, c.proxy)
				}
			}()
		}
		time.Sleep(runFor)
		close(stop)
		wg.Wait()
		reached := c.served(offsets, "/embed/headlines")
		total := 0
		for _, n := range reached {
			total += n
		}
		secs := runFor.Seconds()
		t.Logf("| %s | %d embeds × 12 views, every %v (%v real) | arriving %.1f/s (%.1f/s real) | reaching the instances %.2f/s (%.2f/s real), by status %v | %.2f%% | failed %d |",
			name, embeds, period, realPeriod, float64(sent.Load())/secs, float64(sent.Load())/secs/float64(speedup),
			float64(total)/secs, float64(total)/secs/float64(speedup), reached, 100*float64(total)/float64(sent.Load()), failed.Load())
	}
	runFor := 2 * period
	if s := os.Getenv("HEADLINES_CLUSTER_OFFLOAD_FOR"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			runFor = d
		}
	}
	widgets("warm-up", period, 0)
	widgets("widgets, no writes", runFor, 0)
	widgets("widgets, a write every second", runFor, time.Second/time.Duration(speedup))

	pageOne := func(name, base string) {
		const conns, d = 32, 5 * time.Second
		var n, failed atomic.Int64
		var firstFailure atomic.Value
		var wg sync.WaitGroup
		end := time.Now().Add(d)
		for range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(end) {
					res, err := client.Get(base + "/v1/articles")
					if err == nil {
						_, _ = io.Copy(io.Discard, res.Body)
						_ = res.Body.Close()
					}
					if err != nil || res.StatusCode != 200 {
						failed.Add(1)
						firstFailure.CompareAndSwap(nil, fmt.Sprint(err, res))
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		t.Logf("| page 1, %s | %d connections, %v | %.0f requests/s | failed %d |", name, conns, d, float64(n.Load())/d.Seconds(), failed.Load())
		if f := firstFailure.Load(); f != nil {
			t.Errorf("page 1, %s: %v", name, f)
		}
	}
	pageOne("through the proxy", c.proxy)
	pageOne("from one instance directly", c.apis[0])
	pageOne("through the proxy", c.proxy)
	pageOne("from one instance directly", c.apis[0])
}

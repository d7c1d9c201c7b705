package api_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/config"
)

// fakeClock is a clock that tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func limitedEnv(t *testing.T, trusted []*net.IPNet) (*env, *fakeClock) {
	t.Helper()
	_, st := newAPI(t, "sqlite")
	clk := &fakeClock{t: time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)}
	h := api.New(api.Deps{Articles: st, Vocabulary: st, Keys: st, Ping: st.Ping, APIKeys: []string{editorKey},
		CursorSecret: "test-cursor-secret-0123456789", Log: quietLog(), Now: clk.now, TrustedProxies: trusted,
		Limits: api.Limits{
			Public:   config.Rate{Burst: 3, Per: time.Minute},
			Key:      config.Rate{Burst: 5, Per: time.Minute},
			AuthFail: config.Rate{Burst: 2, Per: 10 * time.Minute},
		}})
	return serve(t, h, st), clk
}

func TestRateLimits(t *testing.T) {
	e, clk := limitedEnv(t, nil)
	for i, want := range []string{`"public";r=2;t=20`, `"public";r=1;t=40`, `"public";r=0;t=60`} {
		r := e.do(req{path: "/v1/articles?limit=1"})
		if r.status != 200 || r.header.Get("RateLimit") != want || r.header.Get("RateLimit-Policy") != `"public";q=3;w=60` {
			t.Errorf("request %d: %d, RateLimit %q, Policy %q", i+1, r.status, r.header.Get("RateLimit"), r.header.Get("RateLimit-Policy"))
		}
	}
	r := e.do(req{path: "/v1/articles?limit=1"})
	assertProblem(t, r, http.StatusTooManyRequests, "")
	if r.header.Get("Retry-After") != "20" {
		t.Errorf("Retry-After %q, want 20 (one request every 20 s)", r.header.Get("Retry-After"))
	}
	// A forged X-Forwarded-For does not buy a fresh budget.
	assertProblem(t, e.do(req{path: "/v1/articles", headers: []string{"X-Forwarded-For", "198.51.100.9"}}), http.StatusTooManyRequests, "")
	// Health checks are never limited; a key has a budget of its own.
	if r := e.do(req{path: "/healthz"}); r.status != 200 {
		t.Errorf("healthz when limited: %d", r.status)
	}
	if r := e.do(req{path: "/v1/articles?limit=1", key: true}); r.status != 200 || r.header.Get("RateLimit-Policy") != `"key";q=5;w=60` {
		t.Errorf("keyed request: %d, policy %q", r.status, r.header.Get("RateLimit-Policy"))
	}
	clk.add(20 * time.Second)
	if r := e.do(req{path: "/v1/articles?limit=1"}); r.status != 200 {
		t.Errorf("after 20 s: %d", r.status)
	}

	// Refused keys: after two, this address may not try a third, even a good one.
	for i := range 2 {
		r := e.do(req{path: "/v1/articles", headers: []string{"X-API-Key", "guess-0123456789abcdef"}})
		assertProblem(t, r, http.StatusUnauthorized, "")
		if r.header.Get("RateLimit-Policy") != `"auth-failures";q=2;w=600` || !strings.HasPrefix(r.header.Get("RateLimit"), fmt.Sprintf(`"auth-failures";r=%d;`, 1-i)) {
			t.Errorf("refused key %d: RateLimit %q, Policy %q", i+1, r.header.Get("RateLimit"), r.header.Get("RateLimit-Policy"))
		}
	}
	r = e.do(req{path: "/v1/articles", key: true})
	assertProblem(t, r, http.StatusTooManyRequests, "")
	if r.header.Get("Retry-After") != "300" {
		t.Errorf("Retry-After after refused keys %q, want 300", r.header.Get("Retry-After"))
	}
	clk.add(5 * time.Minute)
	if r := e.do(req{path: "/v1/articles?limit=1", key: true}); r.status != 200 {
		t.Errorf("a good key after the wait: %d %s", r.status, r.body)
	}
}

func TestRateLimitsBehindTrustedProxy(t *testing.T) {
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	e, _ := limitedEnv(t, []*net.IPNet{loopback})
	from := func(ip string) []string { return []string{"X-Forwarded-For", ip} }
	for range 3 {
		if r := e.do(req{path: "/v1/articles?limit=1", headers: from("203.0.113.1")}); r.status != 200 {
			t.Fatalf("first client: %d", r.status)
		}
	}
	assertProblem(t, e.do(req{path: "/v1/articles?limit=1", headers: from("203.0.113.1")}), http.StatusTooManyRequests, "")
	// Behind the proxy, each client address has its own budget ...
	if r := e.do(req{path: "/v1/articles?limit=1", headers: from("203.0.113.2")}); r.status != 200 {
		t.Errorf("second client: %d", r.status)
	}
	// ... and a client cannot prepend a fake address: the proxy's view wins.
	if r := e.do(req{path: "/v1/articles?limit=1", headers: from("10.9.9.9, 203.0.113.1")}); r.status != http.StatusTooManyRequests {
		t.Errorf("spoofed chain: %d", r.status)
	}
}

// IPv6 clients share the budget of their /64, the network one subscriber
// is given, so that a client cannot take a fresh address for every
// request; an IPv4 address spends its own, however it is written.
func TestRateLimitsByNetwork(t *testing.T) {
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	e, _ := limitedEnv(t, []*net.IPNet{loopback})
	from := func(ip string) []string { return []string{"X-Forwarded-For", ip} }
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff"} {
		if r := e.do(req{path: "/v1/articles?limit=1", headers: from(ip)}); r.status != 200 {
			t.Fatalf("%s: %d", ip, r.status)
		}
	}
	assertProblem(t, e.do(req{path: "/v1/articles?limit=1", headers: from("2001:db8:1:2:abcd::9")}), http.StatusTooManyRequests, "")
	if r := e.do(req{path: "/v1/articles?limit=1", headers: from("2001:db8:1:3::1")}); r.status != 200 {
		t.Errorf("the next /64: %d, want its own budget", r.status)
	}

	for _, ip := range []string{"203.0.113.7", "::ffff:203.0.113.7", "203.0.113.7"} {
		if r := e.do(req{path: "/v1/articles?limit=1", headers: from(ip)}); r.status != 200 {
			t.Fatalf("%s: %d", ip, r.status)
		}
	}
	assertProblem(t, e.do(req{path: "/v1/articles?limit=1", headers: from("::ffff:203.0.113.7")}), http.StatusTooManyRequests, "")
	if r := e.do(req{path: "/v1/articles?limit=1", headers: from("203.0.113.8")}); r.status != 200 {
		t.Errorf("the next IPv4 address: %d, want its own budget", r.status)
	}
}

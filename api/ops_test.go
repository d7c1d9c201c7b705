package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/store/storetest"
)

func TestVersionMetricsAndRequestIDs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		v := e.do(req{path: "/version"}).json(t)
		if v["version"] != "test" || v["commit"] != "abc123" || v["dialect"] != kind {
			t.Errorf("/version: %v", v)
		}
		// X-Request-ID is honoured, echoed and quoted in problems.
		r := e.do(req{path: "/v1/articles?limit=0", headers: []string{"X-Request-ID", "partner-req-42"}})
		if r.header.Get("X-Request-ID") != "partner-req-42" || r.json(t)["request_id"] != "partner-req-42" {
			t.Errorf("request id: header %q, body %s", r.header.Get("X-Request-ID"), r.body)
		}
		if r := e.do(req{path: "/v1/articles"}); len(r.header.Get("X-Request-ID")) < 16 {
			t.Errorf("no request id generated: %q", r.header.Get("X-Request-ID"))
		}
		e.do(req{path: "/v1/articles/424242"})
		m := string(e.do(req{path: "/metrics"}).body)
		for _, want := range []string{
			`headlines_http_requests_total{method="GET",route="/v1/articles",status="400"} 1`,
			`headlines_http_requests_total{method="GET",route="/v1/articles/:id",status="404"} 1`,
			`headlines_http_request_duration_seconds_bucket{method="GET",route="/v1/articles",status="200",le="+Inf"}`,
			`headlines_build_info{commit="abc123",dialect="` + kind + `",go_version="go-test",version="test"} 1`,
		} {
			if !strings.Contains(m, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

// TestRequestLogs: every request is one JSON log line with its request ID.
func TestRequestLogs(t *testing.T) {
	var buf syncBuffer
	st, err := store.Open(storetest.DSN(t, "sqlite"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := serve(t, api.New(api.Deps{Articles: st, Vocabulary: st, Ping: st.Ping, CursorSecret: "test-cursor-secret-0123456789",
		Log: slog.New(slog.NewJSONHandler(&buf, nil))}), st)
	e.do(req{path: "/v1/articles?country=RU", headers: []string{"X-Request-ID", "trace-me-1"}})
	e.do(req{path: "/v1/articles?country=Narnia", headers: []string{"X-Request-ID", "trace-me-2"}})
	logs := buf.String()
	for _, want := range []string{
		`"msg":"request","request_id":"trace-me-1","method":"GET","route":"/v1/articles","path":"/v1/articles","status":200`,
		`"request_id":"trace-me-2","method":"GET","route":"/v1/articles","path":"/v1/articles","status":400`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proxy is a TCP relay to PostgreSQL that a test can cut and restore, to
// play a database that goes away and comes back.
type proxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func (p *proxy) start(t *testing.T) {
	t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may linger a moment after a cut
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.ln.Close()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// TestReadyzFollowsTheDatabase: /readyz answers 503 while PostgreSQL is
// unreachable and 200 again once it is back; reads fail with 503, not 500.
func TestReadyzFollowsTheDatabase(t *testing.T) {
	dsn := storetest.DSN(t, "postgres")
	u := strings.SplitN(strings.SplitN(dsn, "@", 2)[1], "/", 2)
	p := &proxy{addr: "127.0.0.1:0", target: u[0]}
	p.start(t)
	defer p.cut()
	viaProxy := strings.Replace(dsn, u[0], p.addr, 1)
	st, err := store.Open(viaProxy, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := serve(t, api.New(api.Deps{Articles: st, Vocabulary: st, Ping: st.Ping, CursorSecret: "test-cursor-secret-0123456789", Log: quietLog()}), st)
	if r := e.do(req{path: "/readyz"}); r.status != 200 {
		t.Fatalf("readyz while up: %d %s", r.status, r.body)
	}
	p.cut()
	if r := e.do(req{path: "/readyz"}); r.status != http.StatusServiceUnavailable {
		t.Errorf("readyz while the database is away: %d %s", r.status, r.body)
	}
	if r := e.do(req{path: "/v1/articles"}); r.status != http.StatusServiceUnavailable {
		t.Errorf("a read while the database is away: %d %s", r.status, r.body)
	}
	p.start(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := e.do(req{path: "/readyz"})
		if r.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz did not recover: %d %s", r.status, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r := e.do(req{path: "/v1/articles"}); r.status != 200 {
		t.Errorf("a read after recovery: %d %s", r.status, r.body)
	}
}

// TestMetricLabelsBounded: invented methods and paths add no series.
func TestMetricLabelsBounded(t *testing.T) {
	e := newEnv(t, "sqlite")
	series := func() int {
		return strings.Count(string(e.raw("GET", "/metrics", "", "").body), "\nheadlines_http_requests_total{")
	}
	invent := func(i int) {
		e.raw(fmt.Sprintf("M%04d", i), fmt.Sprintf("/v1/nothing/%d", i), "", "")
		e.raw(fmt.Sprintf("X%04d", i), "/v1/articles", "", "")
		e.raw("GET", fmt.Sprintf("/random/%d", i), "", "")
	}
	// One of each kind of request first, /metrics itself included.
	invent(-1)
	series()
	before := series()
	for i := range 300 {
		invent(i)
	}
	if after := series(); after != before {
		t.Errorf("%d series after 900 invented requests, %d before", after, before)
	}
	m := string(e.raw("GET", "/metrics", "", "").body)
	for _, want := range []string{
		`headlines_http_requests_total{method="other",route="/v1/articles",status="405"} 301`,
		`headlines_http_requests_total{method="GET",route="unmatched",status="404"} 301`,
		`headlines_http_requests_total{method="other",route="unmatched",status="404"} 301`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

package api_test

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/store/storetest"
)

// cachedRoutes are the public GETs the response cache keeps, each with
// a query that makes its answer hold absolute URLs where it has any.
func cachedRoutes(base string) []string {
	return []string{
		"/v1/articles?limit=2", "/v1/articles?country=KP&limit=1&fields=title", "/v1/articles/1",
		"/v1/feeds/articles.rss", "/v1/feeds/articles.atom", "/v1/feeds/articles.json?country=RU",
		"/v1/countries?used=true", "/v1/themes", "/v1/changes?limit=5", "/",
		"/embed/headlines?country=KP", "/embed.js", "/oembed?url=" + url.QueryEscape(base+"/embed/headlines?country=KP"),
		"/openapi.json", "/articles/1",
	}
}

// forgedHeaders are what a client may add to pass for another host or scheme.
var forgedHeaders = []string{
	"X-Forwarded-Host", "attacker.example", "X-Forwarded-Proto", "https",
	"Forwarded", "for=1.2.3.4;host=attacker.example;proto=https", "X-Forwarded-Server", "attacker.example",
}

// answerText is everything of an answer that could carry a URL.
func answerText(r response) string {
	var b strings.Builder
	for name, v := range r.header {
		fmt.Fprintf(&b, "%s: %s\n", name, strings.Join(v, ", "))
	}
	b.Write(r.body)
	return b.String()
}

// TestHostCannotPoisonAnswers: a client that names another host, or
// forges the forwarding headers, never gets its host or scheme into the
// answer another client receives, from the response cache or otherwise.
// Every cached route is poisoned first and then fetched twice as an
// ordinary client (the second time from the cache).
func TestHostCannotPoisonAnswers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Run("allow-list by default", func(t *testing.T) {
			e := newEnv(t, kind)
			host := strings.TrimPrefix(e.srv.URL, "http://")
			for _, path := range cachedRoutes("http://attacker.example") {
				r := e.raw("GET", path, "attacker.example", "", forgedHeaders...)
				// Pages for people say it in HTML, the rest in problem+json.
				named := strings.Contains(string(r.body), `"field":"Host"`) || strings.Contains(string(r.body), `<code>Host</code>`)
				if r.status != http.StatusBadRequest || !named || strings.Contains(answerText(r), "attacker") {
					t.Errorf("GET %s for Host attacker.example: %d %s, want 400 naming Host", path, r.status, r.body)
				}
			}
			// An allowed host with forged forwarding headers is served as
			// if the headers were not there.
			for _, path := range cachedRoutes(e.srv.URL) {
				if r := e.raw("GET", path, host, "", forgedHeaders...); r.status != http.StatusOK {
					t.Errorf("GET %s with forged headers: %d %s", path, r.status, r.body)
				}
			}
			for _, path := range cachedRoutes(e.srv.URL) {
				for round := range 2 {
					r := e.raw("GET", path, "", "")
					if r.status != http.StatusOK {
						t.Errorf("GET %s: %d %s", path, r.status, r.body)
						continue
					}
					if text := answerText(r); strings.Contains(text, "attacker") || strings.Contains(text, "https://"+host) {
						t.Errorf("GET %s (round %d, X-Cache %q) carries a forged host or scheme:\n%s", path, round, r.header.Get("X-Cache"), text)
					}
				}
			}
			// The answers do name the host they were asked for.
			r := e.raw("GET", "/v1/articles?limit=2", "", "")
			if link := r.header.Get("Link"); !strings.HasPrefix(link, "<"+e.srv.URL+"/v1/articles?") {
				t.Errorf("Link %q, want it on %s", link, e.srv.URL)
			}
			// Only a port may follow the host name: anything else would
			// travel into the answer's URLs whole.
			port := host[strings.LastIndex(host, ":")+1:]
			for junk, want := range map[string]int{
				"localhost:1.attacker.example": 400, "127.0.0.1:" + port + ";attacker.example": 400, "localhost:%2F%2Fattacker.example": 400,
				"localhost": 200, "LOCALHOST:" + port: 200, "[::1]:" + port: 200,
			} {
				if r := e.raw("GET", "/v1/articles?limit=2", junk, ""); r.status != want {
					t.Errorf("Host %s: %d, want %d (Link %q)", junk, r.status, want, r.header.Get("Link"))
				}
			}
			// Health and readiness answer for any host: load balancers
			// probe them by address.
			if r := e.raw("GET", "/readyz", "10.1.2.3:8080", ""); r.status != http.StatusOK {
				t.Errorf("/readyz by address: %d", r.status)
			}
		})
		t.Run("configured base URL", func(t *testing.T) {
			e := newEnv(t, kind, func(d *api.Deps) { d.BaseURL = "https://news.example.org" })
			for _, path := range cachedRoutes("https://news.example.org") {
				r := e.raw("GET", path, "attacker.example", "", forgedHeaders...)
				if strings.Contains(answerText(r), "attacker") {
					t.Errorf("GET %s for Host attacker.example: %d carries it:\n%s", path, r.status, answerText(r))
				}
				r = e.raw("GET", path, "", "")
				if r.status != http.StatusOK || strings.Contains(answerText(r), "attacker") {
					t.Errorf("GET %s: %d\n%s", path, r.status, answerText(r))
				}
			}
			r := e.raw("GET", "/v1/articles?limit=2", "attacker.example", "")
			if link := r.header.Get("Link"); !strings.HasPrefix(link, "<https://news.example.org/v1/articles?") {
				t.Errorf("Link %q, want it on the base URL", link)
			}
		})
		t.Run("allowed hosts", func(t *testing.T) {
			e := newEnv(t, kind, func(d *api.Deps) { d.AllowedHosts = []string{"api.example.com", ".example.net"} })
			for host, want := range map[string]int{
				"api.example.com": 200, "API.Example.com:8443": 200, "example.net": 200, "cdn.example.net": 200,
				"example.com": 400, "api.example.com.evil.org": 400, "evilexample.net": 400, "127.0.0.1": 400,
				"api.example.com:1.evil.org": 400, "x.example.net:%2F%2Fevil.org": 400, "api.example.com:": 400, "api.example.com:123456": 400,
				"[::1]:8080": 400,
			} {
				if r := e.raw("GET", "/v1/articles?limit=2", host, ""); r.status != want {
					t.Errorf("Host %s: %d, want %d", host, r.status, want)
				}
			}
			// Each host gets answers naming itself, also from the cache.
			for range 2 {
				for _, host := range []string{"api.example.com", "cdn.example.net"} {
					r := e.raw("GET", "/v1/articles?limit=2", host, "")
					if link := r.header.Get("Link"); !strings.HasPrefix(link, "<http://"+host+"/") {
						t.Errorf("Host %s: Link %q (X-Cache %q)", host, link, r.header.Get("X-Cache"))
					}
				}
			}
		})
	})
}

// TestUntrustedForwardingWarnsOnce: X-Forwarded-For from a peer that is
// not a trusted proxy is ignored, and the operator is told once.
func TestUntrustedForwardingWarnsOnce(t *testing.T) {
	var logs syncBuffer
	e := newEnv(t, "sqlite", func(d *api.Deps) { d.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	for i := range 3 {
		e.raw("GET", "/v1/articles?limit=1", "", "", "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
	}
	if n := strings.Count(logs.String(), "HEADLINES_TRUSTED_PROXIES"); n != 1 {
		t.Errorf("%d warnings about X-Forwarded-For from an untrusted peer, want 1:\n%s", n, logs.String())
	}
	logs = syncBuffer{}
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	e = newEnv(t, "sqlite", func(d *api.Deps) {
		d.Log = slog.New(slog.NewJSONHandler(&logs, nil))
		d.TrustedProxies = []*net.IPNet{loopback}
	})
	e.raw("GET", "/v1/articles?limit=1", "", "", "X-Forwarded-For", "203.0.113.9")
	if strings.Contains(logs.String(), "HEADLINES_TRUSTED_PROXIES") {
		t.Errorf("a warning about a trusted proxy:\n%s", logs.String())
	}
}

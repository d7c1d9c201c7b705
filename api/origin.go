package api

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
)

// DefaultAllowedHosts are the hosts a request may name when neither a base
// URL nor an allow-list is configured: this machine only, on any port, so
// that `make run` works and nothing else does until it is configured.
var DefaultAllowedHosts = []string{"localhost", "127.0.0.1", "[::1]"}

// ctxBase is where originGuard leaves the request's base URL.
const ctxBase = "base_url"

// origins decides the scheme and host of the absolute URLs in answers
// (Location, Link, feed ids and links, the widget snippet). They come from
// the configured base URL, or from the request's Host when that host is on
// the allow-list, never from a header a client may set freely
// (X-Forwarded-Host, Forwarded), and X-Forwarded-Proto counts only from a
// trusted proxy. Every answer the response cache keeps is keyed by the
// base it was made with, so no request can put its host into another
// client's answer.
type origins struct {
	base    string   // HEADLINES_BASE_URL without a trailing slash; when set, the only base
	allowed []string // host names; ".example.com" also allows every subdomain
	trusted []*net.IPNet
}

func newOrigins(base string, allowed []string, trusted []*net.IPNet) *origins {
	o := &origins{base: strings.TrimSuffix(base, "/"), trusted: trusted}
	for _, h := range allowed {
		o.allowed = append(o.allowed, strings.ToLower(h))
	}
	if len(o.allowed) == 0 && o.base == "" {
		o.allowed = DefaultAllowedHosts
	}
	return o
}

// hostAllowed reports whether the Host of a request, with or without a
// port, is on the allow-list.
func (o *origins) hostAllowed(host string) bool {
	name := strings.ToLower(host)
	if h, port, err := net.SplitHostPort(name); err == nil {
		if !validPort(port) {
			return false // "localhost:1.evil.org" would end up in URLs whole
		}
		name = h
		if strings.Contains(name, ":") {
			name = "[" + name + "]" // an IPv6 address is listed in brackets, as in URLs
		}
	}
	if name == "" || strings.HasSuffix(name, ".") {
		return false
	}
	for _, a := range o.allowed {
		if name == a || strings.HasPrefix(a, ".") && (name == a[1:] || strings.HasSuffix(name, a)) {
			return true
		}
	}
	return false
}

// validPort accepts 1 to 5 digits: a port and nothing else.
func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// scheme is https for TLS connections and, behind a trusted proxy, what
// its X-Forwarded-Proto says; http otherwise.
func (o *origins) scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if len(o.trusted) > 0 && peerTrusted(r.RemoteAddr, o.trusted) {
		if p := strings.ToLower(strings.TrimSpace(r.Header.Get(echo.HeaderXForwardedProto))); p == "https" || p == "http" {
			return p
		}
	}
	return "http"
}

// guard refuses requests for a host that is not allowed, and leaves the
// base URL of the answer in the context. Health, readiness, build info
// and metrics make no URLs, and load balancers probe them by address, so
// they answer for any host.
func (o *origins) guard(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		switch r.URL.Path {
		case "/healthz", "/readyz", "/version", "/metrics":
			return next(c)
		}
		base := o.base
		if len(o.allowed) > 0 && !o.hostAllowed(r.Host) {
			// The host is not repeated: nothing a client sent as a host
			// goes into an answer.
			return news.FieldErrorf(news.EInvalid, "Host", "is not a host this API answers for; its operator sets HEADLINES_BASE_URL or HEADLINES_ALLOWED_HOSTS")
		}
		if base == "" {
			base = o.scheme(r) + "://" + strings.ToLower(r.Host)
		}
		c.Set(ctxBase, base)
		return next(c)
	}
}

// baseURL is the base of the absolute URLs in the answer to c, as the
// origin guard decided it.
func baseURL(c echo.Context) string {
	b, _ := c.Get(ctxBase).(string)
	return b
}

// peerTrusted reports whether the connection comes from one of the
// trusted proxies.
func peerTrusted(remoteAddr string, trusted []*net.IPNet) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, n := range trusted {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// warnUntrustedForwarding logs once when a request carries X-Forwarded-For
// from a peer that is not a trusted proxy. The header is then ignored, so
// behind a proxy that is not in HEADLINES_TRUSTED_PROXIES every client
// looks like the proxy: they share one rate-limit budget, and a few wrong
// keys from anyone lock out everyone. The operator should hear of it.
func warnUntrustedForwarding(log *slog.Logger, trusted []*net.IPNet) echo.MiddlewareFunc {
	var once sync.Once
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.Header.Get(echo.HeaderXForwardedFor) != "" && !peerTrusted(r.RemoteAddr, trusted) {
				once.Do(func() {
					host, _, _ := net.SplitHostPort(r.RemoteAddr)
					log.Warn("a request carries X-Forwarded-For from a peer that is not a trusted proxy; the header is ignored and the peer counts as the client. If the service runs behind a proxy, add the proxy's address to HEADLINES_TRUSTED_PROXIES (logged once)",
						"peer", host)
				})
			}
			return next(c)
		}
	}
}

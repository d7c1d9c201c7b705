// Package config reads the service's settings from HEADLINES_* environment
// variables, fills defaults and validates them. It holds no globals.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the service.
type Config struct {
	Addr            string        // HEADLINES_ADDR: listen address
	MetricsAddr     string        // HEADLINES_METRICS_ADDR: serve /metrics on this address only; empty = on Addr, public
	DB              string        // HEADLINES_DB: SQLite file path or postgres:// URL
	Replicas        []string      // HEADLINES_DB_REPLICAS: comma-separated postgres:// URLs of read replicas
	APIKeys         []string      // HEADLINES_API_KEYS: comma-separated bootstrap keys, each "secret" (editor) or "role:secret"
	CursorSecret    string        // HEADLINES_CURSOR_SECRET: signs pagination cursors
	BaseURL         string        // HEADLINES_BASE_URL: public URL of every absolute URL in answers; empty = from the request's allowed Host
	AllowedHosts    []string      // HEADLINES_ALLOWED_HOSTS: host names requests may name (".example.com" with subdomains)
	CacheMaxAge     time.Duration // HEADLINES_CACHE_MAX_AGE: max-age of public list responses
	CacheStale      time.Duration // HEADLINES_CACHE_STALE: stale-while-revalidate of public responses
	ResponseCache   bool          // HEADLINES_RESPONSE_CACHE: keep public answers in memory until the data changes
	CachePoll       time.Duration // HEADLINES_CACHE_POLL: how often to look for changes made through other instances
	ShutdownTimeout time.Duration // HEADLINES_SHUTDOWN_TIMEOUT: how long SIGTERM waits for in-flight requests
	HeaderTimeout   time.Duration // HEADLINES_READ_HEADER_TIMEOUT: time a client has to send its request headers
	ReadTimeout     time.Duration // HEADLINES_READ_TIMEOUT: time a client has to send its whole request
	WriteTimeout    time.Duration // HEADLINES_WRITE_TIMEOUT: time to answer a request
	IdleTimeout     time.Duration // HEADLINES_IDLE_TIMEOUT: how long an idle keep-alive connection stays open
	NoDemo          bool          // HEADLINES_NO_DEMO: do not load the demo headlines into an empty database
	RequireIfMatch  bool          // HEADLINES_REQUIRE_IF_MATCH: PUT, PATCH and DELETE need If-Match (428 without)
	RatePublic      Rate          // HEADLINES_RATE_PUBLIC: budget per client address without a key
	RateKey         Rate          // HEADLINES_RATE_KEY: budget per API key
	RateAuthFail    Rate          // HEADLINES_RATE_AUTH_FAIL: refused keys allowed per client address
	TrustedProxies  []*net.IPNet  // HEADLINES_TRUSTED_PROXIES: proxies whose X-Forwarded-For names the client
	CORSOrigins     []string      // HEADLINES_CORS_ORIGINS: origins whose pages may write (any origin may read)
	// ExpensiveQueries (HEADLINES_EXPENSIVE_QUERIES) is how many expensive
	// reads (searches, totals, facets, filters the indexes do not serve)
	// run at once; more answer 503 at once.
	ExpensiveQueries int
	// ExpensiveTimeout (HEADLINES_EXPENSIVE_TIMEOUT) is how long one of
	// them may take before its statement is stopped and it answers 503.
	ExpensiveTimeout time.Duration
	// StreamsPerClient (HEADLINES_STREAMS_PER_CLIENT) is how many change
	// streams one client address may hold open at once; more answer 429.
	StreamsPerClient int
	// Webhooks: HEADLINES_WEBHOOK_ALLOW_PRIVATE lets deliveries reach
	// loopback, private and link-local addresses (development, tests);
	// HEADLINES_WEBHOOK_LEASE is how long an instance holds a webhook
	// without renewing it (another takes over after it); an event is
	// retried from HEADLINES_WEBHOOK_RETRY_BASE, doubling, for
	// HEADLINES_WEBHOOK_RETRY_FOR before its webhook pauses.
	WebhookAllowPrivate bool
	WebhookLease        time.Duration
	WebhookRetryBase    time.Duration
	WebhookRetryFor     time.Duration
}

// Bounds of ExpensiveQueries: SQLite's read pool is sized to keep reads
// free beside them, and PostgreSQL's pool holds 20 connections.
const (
	MinExpensiveQueries = 1
	MaxExpensiveQueries = 16
)

// Rate is a token-bucket budget: Burst requests at once, refilled evenly
// over Per. The zero Rate is no limit.
type Rate struct {
	Burst int
	Per   time.Duration
}

// ParseRate reads "300/1m" (300 requests, refilled over a minute) or "off".
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return Rate{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	burst, err := strconv.Atoi(n)
	d, derr := time.ParseDuration(per)
	if !ok || err != nil || derr != nil || burst < 1 || d <= 0 {
		return Rate{}, fmt.Errorf("%q: want requests/duration such as 300/1m, or off", s)
	}
	return Rate{Burst: burst, Per: d}, nil
}

// DevCursorSecret signs cursors when HEADLINES_CURSOR_SECRET is unset. It
// is public: set a secret of your own in production.
const DevCursorSecret = "headlines-development-cursor-secret"

// Default returns the settings used when nothing is set.
func Default() Config {
	return Config{
		Addr:            ":8080",
		DB:              "headlines.db",
		CursorSecret:    DevCursorSecret,
		CacheMaxAge:     30 * time.Second,
		CacheStale:      60 * time.Second,
		ResponseCache:   true,
		CachePoll:       time.Second,
		ShutdownTimeout: 15 * time.Second,
		HeaderTimeout:   5 * time.Second,
		ReadTimeout:     30 * time.Second,
		WriteTimeout:    30 * time.Second,
		IdleTimeout:     120 * time.Second,
		RatePublic:      Rate{Burst: 300, Per: time.Minute},
		RateKey:         Rate{Burst: 3000, Per: time.Minute},
		RateAuthFail:    Rate{Burst: 20, Per: 10 * time.Minute},
		// One expensive read per core of the 2-core machines the service
		// is sized for: each keeps a core busy, and a third would only
		// slow the other two and every cheap read.
		ExpensiveQueries: 2,
		StreamsPerClient: 50,
		WebhookLease:     30 * time.Second,
		WebhookRetryBase: 5 * time.Second,
		WebhookRetryFor:  24 * time.Hour,
		// Ten seconds holds the slowest legitimate expensive read at a
		// million articles, the front page's counts for its most common
		// country (4.0 s; every article 1.5-1.9 s, a search by relevance
		// 1.1 s), with room for a busy machine, and cuts what would hold
		// a slot for longer (every theme excluded ran past 5 s).
		ExpensiveTimeout: 10 * time.Second,
	}
}

// Load reads the settings through getenv over the defaults and validates
// them, reporting every bad setting by its variable name.
func Load(getenv func(string) string) (Config, error) {
	c := Default()
	s := &settings{getenv: getenv}
	s.str("HEADLINES_ADDR", &c.Addr)
	s.str("HEADLINES_METRICS_ADDR", &c.MetricsAddr)
	s.str("HEADLINES_DB", &c.DB)
	s.str("HEADLINES_CURSOR_SECRET", &c.CursorSecret)
	s.str("HEADLINES_BASE_URL", &c.BaseURL)
	s.dur("HEADLINES_CACHE_MAX_AGE", &c.CacheMaxAge)
	s.dur("HEADLINES_CACHE_STALE", &c.CacheStale)
	s.dur("HEADLINES_CACHE_POLL", &c.CachePoll)
	s.dur("HEADLINES_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout)
	s.dur("HEADLINES_READ_HEADER_TIMEOUT", &c.HeaderTimeout)
	s.dur("HEADLINES_READ_TIMEOUT", &c.ReadTimeout)
	s.dur("HEADLINES_WRITE_TIMEOUT", &c.WriteTimeout)
	s.dur("HEADLINES_IDLE_TIMEOUT", &c.IdleTimeout)
	c.CORSOrigins = s.origins("HEADLINES_CORS_ORIGINS")
	c.AllowedHosts = s.hosts("HEADLINES_ALLOWED_HOSTS")
	c.Replicas = s.list("HEADLINES_DB_REPLICAS")
	c.APIKeys = s.list("HEADLINES_API_KEYS")
	s.integer("HEADLINES_EXPENSIVE_QUERIES", &c.ExpensiveQueries)
	s.integer("HEADLINES_STREAMS_PER_CLIENT", &c.StreamsPerClient)
	s.boolean("HEADLINES_WEBHOOK_ALLOW_PRIVATE", &c.WebhookAllowPrivate)
	s.dur("HEADLINES_WEBHOOK_LEASE", &c.WebhookLease)
	s.dur("HEADLINES_WEBHOOK_RETRY_BASE", &c.WebhookRetryBase)
	s.dur("HEADLINES_WEBHOOK_RETRY_FOR", &c.WebhookRetryFor)
	if s.get("HEADLINES_EXPENSIVE_TIMEOUT") == "" && c.WriteTimeout > 0 && c.ExpensiveTimeout >= c.WriteTimeout {
		// Left unset under a short write timeout, the limit follows it, so
		// that the 503 is written before the server gives up on the answer.
		c.ExpensiveTimeout = c.WriteTimeout / 2
	}
	s.dur("HEADLINES_EXPENSIVE_TIMEOUT", &c.ExpensiveTimeout)
	s.rate("HEADLINES_RATE_PUBLIC", &c.RatePublic)
	s.rate("HEADLINES_RATE_KEY", &c.RateKey)
	s.rate("HEADLINES_RATE_AUTH_FAIL", &c.RateAuthFail)
	c.TrustedProxies = s.proxies("HEADLINES_TRUSTED_PROXIES")
	s.boolean("HEADLINES_NO_DEMO", &c.NoDemo)
	s.boolean("HEADLINES_RESPONSE_CACHE", &c.ResponseCache)
	s.boolean("HEADLINES_REQUIRE_IF_MATCH", &c.RequireIfMatch)
	if err := c.Validate(); err != nil {
		s.errs = append(s.errs, err)
	}
	return c, errors.Join(s.errs...)
}

// settings reads the HEADLINES_* variables through getenv, keeping every
// one that is bad; a setting left unset or blank keeps its default.
type settings struct {
	getenv func(string) string
	errs   []error
}

func (s *settings) get(name string) string { return strings.TrimSpace(s.getenv(name)) }

func (s *settings) str(name string, dst *string) {
	if v := s.get(name); v != "" {
		*dst = v
	}
}

func (s *settings) dur(name string, dst *time.Duration) {
	v := s.get(name)
	if v == "" {
		return
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		s.errs = append(s.errs, fmt.Errorf("%s=%q: want a non-negative duration such as 30s", name, v))
		return
	}
	*dst = d
}

func (s *settings) boolean(name string, dst *bool) {
	if v := s.get(name); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("%s=%q: want true or false", name, v))
		}
		*dst = b
	}
}

func (s *settings) integer(name string, dst *int) {
	if v := s.get(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("%s=%q: want a whole number", name, v))
			return
		}
		*dst = n
	}
}

func (s *settings) rate(name string, dst *Rate) {
	if v := s.get(name); v != "" {
		r, err := ParseRate(v)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("%s=%w", name, err))
			return
		}
		*dst = r
	}
}

// list reads a comma-separated list, without blank items.
func (s *settings) list(name string) []string {
	var out []string
	for _, v := range strings.Split(s.getenv(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// origins reads web origins such as https://cms.example.com.
func (s *settings) origins(name string) []string {
	var out []string
	for _, o := range s.list(name) {
		o = strings.TrimSuffix(o, "/")
		if o == "" {
			continue
		}
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			s.errs = append(s.errs, fmt.Errorf("%s: %q is not an origin such as https://cms.example.com", name, o))
			continue
		}
		out = append(out, o)
	}
	return out
}

// hosts reads host names, in lower case (see validHostName).
func (s *settings) hosts(name string) []string {
	var out []string
	for _, h := range s.list(name) {
		h = strings.ToLower(h)
		if !validHostName(h) {
			s.errs = append(s.errs, fmt.Errorf("%s: %q is not a host name such as api.example.com, .example.com (with subdomains) or [::1], without a port", name, h))
			continue
		}
		out = append(out, h)
	}
	return out
}

// proxies reads addresses and CIDR ranges; an address alone is its own
// range (/32 or /128).
func (s *settings) proxies(name string) []*net.IPNet {
	var out []*net.IPNet
	for _, p := range s.list(name) {
		if !strings.Contains(p, "/") {
			if ip := net.ParseIP(p); ip != nil && ip.To4() != nil {
				p += "/32"
			} else {
				p += "/128"
			}
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("%s: %q is not an address or CIDR range", name, p))
			continue
		}
		out = append(out, n)
	}
	return out
}

// Validate reports settings that cannot work together.
func (c Config) Validate() error {
	var errs []error
	if !strings.Contains(c.Addr, ":") {
		errs = append(errs, fmt.Errorf("HEADLINES_ADDR=%q: want host:port such as :8080", c.Addr))
	}
	if c.MetricsAddr != "" && (!strings.Contains(c.MetricsAddr, ":") || c.MetricsAddr == c.Addr) {
		errs = append(errs, fmt.Errorf("HEADLINES_METRICS_ADDR=%q: want host:port other than HEADLINES_ADDR, such as 127.0.0.1:9090", c.MetricsAddr))
	}
	if isPostgres(c.DB) {
		if u, err := url.Parse(c.DB); err != nil || u.Host == "" {
			errs = append(errs, fmt.Errorf("HEADLINES_DB: a PostgreSQL URL needs a host, such as postgres://user@127.0.0.1:5432/headlines"))
		}
	}
	for i, r := range c.Replicas {
		if !isPostgres(c.DB) {
			errs = append(errs, fmt.Errorf("HEADLINES_DB_REPLICAS: read replicas need a PostgreSQL primary in HEADLINES_DB"))
			break
		}
		if u, err := url.Parse(r); err != nil || !isPostgres(r) || u.Host == "" {
			errs = append(errs, fmt.Errorf("HEADLINES_DB_REPLICAS: replica %d is not a postgres:// URL with a host", i+1))
		}
	}
	if len(c.CursorSecret) < 16 {
		errs = append(errs, fmt.Errorf("HEADLINES_CURSOR_SECRET: want at least 16 characters"))
	}
	for _, k := range c.APIKeys {
		secret := k
		for _, role := range []string{"reader:", "editor:", "admin:"} {
			secret = strings.TrimPrefix(secret, role)
		}
		if len(secret) < 16 {
			errs = append(errs, fmt.Errorf("HEADLINES_API_KEYS: every key needs at least 16 characters (one has %d)", len(secret)))
			break
		}
	}
	if c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		errs = append(errs, fmt.Errorf("HEADLINES_BASE_URL=%q: want an http(s) URL", c.BaseURL))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"HEADLINES_WEBHOOK_LEASE", c.WebhookLease}, {"HEADLINES_WEBHOOK_RETRY_BASE", c.WebhookRetryBase}, {"HEADLINES_WEBHOOK_RETRY_FOR", c.WebhookRetryFor}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s=%s: want a positive duration such as 30s", d.name, d.v))
		}
	}
	if c.StreamsPerClient < 1 {
		errs = append(errs, fmt.Errorf("HEADLINES_STREAMS_PER_CLIENT=%d: want 1 or more", c.StreamsPerClient))
	}
	if c.ExpensiveQueries < MinExpensiveQueries || c.ExpensiveQueries > MaxExpensiveQueries {
		errs = append(errs, fmt.Errorf("HEADLINES_EXPENSIVE_QUERIES=%d: want %d to %d", c.ExpensiveQueries, MinExpensiveQueries, MaxExpensiveQueries))
	}
	switch {
	case c.ExpensiveTimeout <= 0:
		errs = append(errs, fmt.Errorf("HEADLINES_EXPENSIVE_TIMEOUT=%s: want a positive duration such as 10s", c.ExpensiveTimeout))
	case c.WriteTimeout > 0 && c.ExpensiveTimeout >= c.WriteTimeout:
		// The 503 must be written before the server gives up on the answer.
		errs = append(errs, fmt.Errorf("HEADLINES_EXPENSIVE_TIMEOUT=%s: want less than HEADLINES_WRITE_TIMEOUT (%s)", c.ExpensiveTimeout, c.WriteTimeout))
	}
	return errors.Join(errs...)
}

// validHostName accepts a DNS name or IPv4 address, optionally starting
// with a dot (the name and its subdomains), or an IPv6 address in brackets.
func validHostName(h string) bool {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		ip := net.ParseIP(h[1 : len(h)-1])
		return ip != nil && ip.To4() == nil
	}
	name := strings.TrimPrefix(h, ".")
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
				return false
			}
		}
	}
	return true
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

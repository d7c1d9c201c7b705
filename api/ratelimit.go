package api

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/headlines/headlines/internal/config"
	"github.com/headlines/headlines/internal/news"
)

// Limits are the request budgets of one server.
type Limits struct {
	Public   config.Rate // per client address, for requests without a key
	Key      config.Rate // per API key
	AuthFail config.Rate // per client address, for requests whose key was refused
}

// maxClients is how many clients each policy remembers. A client costs
// about 200 bytes with its place in the table (TestLimiterFloodIsBounded
// measures 21 MB for a full one); a client dropped from it comes back with
// a full bucket.
const maxClients = 100_000

// limiter keeps a token bucket for each client of one policy, in a table
// of at most size clients: when it is full, the client seen least recently
// is dropped. A flood of new addresses therefore costs a fixed amount of
// memory, and pushes out idle clients before busy ones.
type limiter struct {
	name  string
	rate  config.Rate
	limit rate.Limit // tokens per second
	now   func() time.Time
	size  int

	mu      sync.Mutex
	clients map[string]*client
	// seen is the sentinel of a ring of the clients by when they were
	// last seen: seen.next is the most recent, seen.prev the least.
	seen client
}

// client is one client's bucket and its place in the ring.
type client struct {
	key        string
	bucket     *rate.Limiter
	prev, next *client
}

func newLimiter(name string, r config.Rate, now func() time.Time) *limiter {
	if r.Burst <= 0 {
		return nil
	}
	l := &limiter{name: name, rate: r, limit: rate.Limit(float64(r.Burst) / r.Per.Seconds()), now: now, size: maxClients,
		clients: map[string]*client{}}
	l.seen.prev, l.seen.next = &l.seen, &l.seen
	return l
}

// bucket is key's bucket, marked as seen most recently; a new client gets a
// full one, in the place of the least recently seen when the table is full.
// l.mu must be held.
func (l *limiter) bucket(key string) *rate.Limiter {
	c, ok := l.clients[key]
	if ok {
		c.unlink()
	} else {
		if len(l.clients) >= l.size {
			c = l.seen.prev
			c.unlink()
			delete(l.clients, c.key)
		} else {
			c = &client{}
		}
		c.key, c.bucket = key, rate.NewLimiter(l.limit, l.rate.Burst)
		l.clients[key] = c
	}
	c.prev, c.next = &l.seen, l.seen.next
	c.next.prev = c
	l.seen.next = c
	return c.bucket
}

func (c *client) unlink() {
	c.prev.next, c.next.prev = c.next, c.prev
}

// take spends a token of key's bucket if there is one.
func (l *limiter) take(key string) (ok bool, remaining int, reset, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.bucket(key)
	ok = b.AllowN(now, 1)
	tokens := b.TokensAt(now)
	return ok, int(tokens), l.until(tokens, float64(l.rate.Burst)), l.until(tokens, 1)
}

// peek reports whether key's bucket has a token, without spending it,
// and without remembering a client it does not know (whose bucket is
// full): looking must not push another client out of the table.
func (l *limiter) peek(key string) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, known := l.clients[key]
	if !known {
		return true, 0
	}
	tokens := c.bucket.TokensAt(l.now())
	return tokens >= 1, l.until(tokens, 1)
}

// until is how long a bucket holding tokens takes to hold n.
func (l *limiter) until(tokens, n float64) time.Duration {
	if tokens >= n {
		return 0
	}
	perToken := l.rate.Per.Seconds() / float64(l.rate.Burst)
	return time.Duration((n - tokens) * perToken * float64(time.Second))
}

// clientKey is the budget a client address spends: an IPv4 address has
// its own; an IPv6 address shares its /64, the network one subscriber is
// normally given, so that the addresses of one home or server are not a
// fresh budget each. An IPv4 address written as IPv6 (::ffff:192.0.2.1)
// is the IPv4 address.
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	switch {
	case err != nil || a.Is4():
		return ip
	case a.Is4In6():
		return a.Unmap().String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// describe sets the RateLimit and RateLimit-Policy headers
// (draft-ietf-httpapi-ratelimit-headers) of this policy.
func (l *limiter) describe(c echo.Context, remaining int, reset time.Duration) {
	h := c.Response().Header()
	h.Set("RateLimit-Policy", l.policy())
	h.Set("RateLimit", fmt.Sprintf(`"%s";r=%d;t=%d`, l.name, remaining, ceilSeconds(reset)))
}

// policy is the RateLimit-Policy value.
func (l *limiter) policy() string {
	return fmt.Sprintf(`"%s";q=%d;w=%d`, l.name, l.rate.Burst, int(math.Ceil(l.rate.Per.Seconds())))
}

func ceilSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// rateLimits applies the budgets: every response says where its caller
// stands (RateLimit, RateLimit-Policy), and one over budget is a 429 with
// Retry-After. A client whose keys keep being refused is held back, on a
// stricter budget, before its next key is even checked.
type rateLimits struct {
	public, key, authFail *limiter
}

func newRateLimits(l Limits, now func() time.Time) *rateLimits {
	return &rateLimits{
		public:   newLimiter("public", l.Public, now),
		key:      newLimiter("key", l.Key, now),
		authFail: newLimiter("auth-failures", l.AuthFail, now),
	}
}

func tooMany(c echo.Context, retry time.Duration, what string) error {
	c.Response().Header().Set("Retry-After", strconv.Itoa(max(1, ceilSeconds(retry))))
	return news.Errorf(news.ETooMany, "%s; retry in %d s", what, max(1, ceilSeconds(retry)))
}

// guardAuth runs before keys are checked.
func (rl *rateLimits) guardAuth(next echo.HandlerFunc) echo.HandlerFunc {
	if rl.authFail == nil {
		return next
	}
	return func(c echo.Context) error {
		_, sent, _ := presentedKey(c)
		if sent {
			if ok, retry := rl.authFail.peek(clientKey(c.RealIP())); !ok {
				return tooMany(c, retry, "too many requests with keys that were refused from this address")
			}
		}
		err := next(c)
		if sent && news.ErrorCode(err) == news.EUnauthorized {
			// The refusal spends the stricter budget, and says so.
			_, remaining, reset, _ := rl.authFail.take(clientKey(c.RealIP()))
			rl.authFail.describe(c, remaining, reset)
		}
		return err
	}
}

// limit runs after keys are checked: a keyed request spends its key's
// budget, any other its client address's. Health checks and metrics,
// which infrastructure polls, are not limited.
func (rl *rateLimits) limit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().URL.Path {
		case "/healthz", "/readyz", "/metrics":
			return next(c)
		}
		l, id := rl.public, clientKey(c.RealIP())
		if key, ok := c.Get(ctxKeyID).(string); ok {
			l, id = rl.key, key
		}
		if l == nil {
			return next(c)
		}
		ok, remaining, reset, retry := l.take(id)
		l.describe(c, remaining, reset)
		if !ok {
			return tooMany(c, retry, "rate limit of the "+l.name+" policy reached")
		}
		return next(c)
	}
}

// ipExtractor finds the client address: the connection's, or, when the
// connection comes from a trusted proxy, the nearest untrusted address in
// X-Forwarded-For. Without trusted proxies a forwarded header is ignored,
// so a client cannot pick a fresh address for every request.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

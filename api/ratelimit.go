package api

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
)

// Rate is a token-bucket budget: Burst requests at once, refilled evenly
// over Per. The zero Rate means no limit.
type Rate struct {
	Burst int
	Per   time.Duration
}

// Limits are the request budgets of one server.
type Limits struct {
	Public   Rate // per client IP, for requests without a key
	Key      Rate // per API key
	AuthFail Rate // per client IP, for requests whose key was refused
}

// bucket is one client's tokens as of last.
type bucket struct {
	tokens float64
	last   time.Time
}

// limiter keeps token buckets for one policy. Idle buckets are full, so
// they are dropped when the map grows, and recreated full when needed.
type limiter struct {
	name string
	rate Rate
	now  func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

const maxBuckets = 100_000

func newLimiter(name string, r Rate, now func() time.Time) *limiter {
	if r.Burst <= 0 {
		return nil
	}
	return &limiter{name: name, rate: r, now: now, buckets: map[string]*bucket{}}
}

// refill brings b up to now.
func (l *limiter) refill(b *bucket, now time.Time) {
	perToken := l.rate.Per.Seconds() / float64(l.rate.Burst)
	b.tokens = math.Min(float64(l.rate.Burst), b.tokens+now.Sub(b.last).Seconds()/perToken)
	b.last = now
}

func (l *limiter) get(key string, now time.Time) *bucket {
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			for k, old := range l.buckets {
				if l.refill(old, now); old.tokens >= float64(l.rate.Burst) {
					delete(l.buckets, k)
				}
			}
			if len(l.buckets) >= maxBuckets { // all busy: start afresh rather than grow without bound
				l.buckets = map[string]*bucket{}
			}
		}
		b = &bucket{tokens: float64(l.rate.Burst), last: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	return b
}

// take spends a token of key's bucket if there is one.
func (l *limiter) take(key string) (ok bool, remaining int, reset, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.get(key, now)
	if b.tokens >= 1 {
		b.tokens--
		ok = true
	}
	return ok, int(b.tokens), l.until(b, float64(l.rate.Burst)), l.until(b, 1)
}

// peek reports whether key's bucket has a token, without spending it.
func (l *limiter) peek(key string) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.get(key, l.now())
	return b.tokens >= 1, l.until(b, 1)
}

// until is how long b takes to hold n tokens.
func (l *limiter) until(b *bucket, n float64) time.Duration {
	if b.tokens >= n {
		return 0
	}
	perToken := l.rate.Per.Seconds() / float64(l.rate.Burst)
	return time.Duration((n - b.tokens) * perToken * float64(time.Second))
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
			if ok, retry := rl.authFail.peek(c.RealIP()); !ok {
				return tooMany(c, retry, "too many requests with keys that were refused from this address")
			}
		}
		err := next(c)
		if sent && news.ErrorCode(err) == news.EUnauthorized {
			// The refusal spends the stricter budget, and says so.
			_, remaining, reset, _ := rl.authFail.take(c.RealIP())
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
		l, id := rl.public, c.RealIP()
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

package api

import (
	"math"
	"sync"
	"time"

	"github.com/headlines/headlines/internal/config"
)

// The hand-written limiter that x/time/rate replaced, kept to measure the
// two side by side (BenchmarkLimiter).

// bucket is one client's tokens as of last.
type bucket struct {
	tokens float64
	last   time.Time
}

// oldLimiter keeps token buckets for one policy. Idle buckets are full, so
// they are dropped when the map grows, and recreated full when needed.
type oldLimiter struct {
	name string
	rate config.Rate
	now  func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

const maxBuckets = 100_000

func newOldLimiter(name string, r config.Rate, now func() time.Time) *oldLimiter {
	if r.Burst <= 0 {
		return nil
	}
	return &oldLimiter{name: name, rate: r, now: now, buckets: map[string]*bucket{}}
}

// refill brings b up to now.
func (l *oldLimiter) refill(b *bucket, now time.Time) {
	perToken := l.rate.Per.Seconds() / float64(l.rate.Burst)
	b.tokens = math.Min(float64(l.rate.Burst), b.tokens+now.Sub(b.last).Seconds()/perToken)
	b.last = now
}

func (l *oldLimiter) get(key string, now time.Time) *bucket {
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
func (l *oldLimiter) take(key string) (ok bool, remaining int, reset, retry time.Duration) {
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

// until is how long b takes to hold n tokens.
func (l *oldLimiter) until(b *bucket, n float64) time.Duration {
	if b.tokens >= n {
		return 0
	}
	perToken := l.rate.Per.Seconds() / float64(l.rate.Burst)
	return time.Duration((n - b.tokens) * perToken * float64(time.Second))
}

package api

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/config"
)

// taker is what the rate-limit middleware asks of a limiter.
type taker interface {
	take(key string) (ok bool, remaining int, reset, retry time.Duration)
}

// BenchmarkLimiter compares the hand-written limiter (ratelimit_old_test.go)
// with the one on x/time/rate, in one run: one busy client, 10,000 clients
// taking turns, a flood of new addresses (each request from one not seen
// before, the table full), and 10,000 clients on every core at once.
func BenchmarkLimiter(b *testing.B) {
	r := config.Rate{Burst: 300, Per: time.Minute}
	impls := []struct {
		name string
		make func() taker
	}{
		{"old", func() taker { return newOldLimiter("public", r, time.Now) }},
		{"xrate", func() taker { return newLimiter("public", r, time.Now) }},
	}
	keys := make([]string, 1<<20)
	for i := range keys {
		keys[i] = "10." + strconv.Itoa(i>>16&255) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
	}
	for _, impl := range impls {
		b.Run(impl.name+"/one-client", func(b *testing.B) {
			take := impl.make().take
			for b.Loop() {
				take(keys[0])
			}
		})
		b.Run(impl.name+"/10k-clients", func(b *testing.B) {
			take := impl.make().take
			i := 0
			for b.Loop() {
				take(keys[i%10_000])
				i++
			}
		})
		b.Run(impl.name+"/flood", func(b *testing.B) {
			take := impl.make().take
			for i := range 2 * maxClients { // the table full before the clock starts
				take(keys[i])
			}
			i := 2 * maxClients
			b.ReportAllocs()
			for b.Loop() {
				take(keys[i&(len(keys)-1)])
				i++
			}
		})
		b.Run(impl.name+"/10k-clients-parallel", func(b *testing.B) {
			take := impl.make().take
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				i := int(n.Add(1)) * 7919
				for pb.Next() {
					take(keys[i%10_000])
					i++
				}
			})
		})
	}
}

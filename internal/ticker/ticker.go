// Package ticker runs a function at an interval in the background: the
// response cache's poll, the change streams' watch and the read replicas'
// checks.
package ticker

import (
	"context"
	"time"
)

// Every calls fn every interval, and at once on each signal of kick (nil:
// never), until stop is called; stop returns once fn has returned for the
// last time. fn's context ends when stop is called.
func Every(interval time.Duration, kick <-chan struct{}, fn func(ctx context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-kick:
			}
			fn(ctx)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

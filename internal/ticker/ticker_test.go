package ticker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestEvery: fn runs on each tick and each kick, and not after stop
// returns, whose context it saw end.
func TestEvery(t *testing.T) {
	var runs atomic.Int64
	kick := make(chan struct{})
	var last context.Context
	stop := Every(time.Hour, kick, func(ctx context.Context) { runs.Add(1); last = ctx })
	kick <- struct{}{}
	kick <- struct{}{} // taken only once the first run is over
	stop()
	if n := runs.Load(); n < 1 || n > 2 {
		t.Fatalf("%d runs after two kicks and an hour's interval", n)
	}
	if last.Err() == nil {
		t.Error("fn's context did not end with stop")
	}
	n := runs.Load()
	time.Sleep(20 * time.Millisecond)
	if runs.Load() != n {
		t.Error("fn ran after stop returned")
	}

	ticks := make(chan struct{}, 10)
	stop = Every(time.Millisecond, nil, func(context.Context) { ticks <- struct{}{} })
	<-ticks
	<-ticks
	stop()
}

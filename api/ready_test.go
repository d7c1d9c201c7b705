package api_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/store/storetest"
)

// TestReadyWhileEveryConnectionIsBusy: readiness says whether the
// database answers, not whether a connection is free: with every
// connection of every pool taken, /readyz answers 200 at once.
func TestReadyWhileEveryConnectionIsBusy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		ctx := context.Background()
		for name, db := range e.store.Pools() {
			for range db.Stats().MaxOpenConnections {
				conn, err := db.Conn(ctx)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				defer conn.Close()
			}
		}
		client := &http.Client{Timeout: 3 * time.Second}
		for range 3 {
			r, err := client.Get(e.srv.URL + "/readyz")
			if err != nil {
				t.Fatalf("/readyz with every connection busy: %v", err)
			}
			body, _ := io.ReadAll(r.Body)
			_ = r.Body.Close()
			if r.StatusCode != http.StatusOK {
				t.Fatalf("/readyz with every connection busy: %d %s", r.StatusCode, body)
			}
		}
	})
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/demo"
	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/store/storetest"
)

// TestServersStartTogetherOnNewFile starts three servers at once on a new
// SQLite file, several times: each becomes ready, the schema is migrated
// once, and the demo headlines are loaded once.
func TestServersStartTogetherOnNewFile(t *testing.T) {
	t.Parallel()
	want := len(bytes.Split(bytes.TrimSpace(demo.Articles), []byte("\n")))
	for round := range 5 {
		db := filepath.Join(t.TempDir(), fmt.Sprintf("new-%d.db", round))
		var ins []*instance
		for range 3 {
			ins = append(ins, startServer(t, db, nil))
		}
		for _, in := range ins {
			waitReady(t, in.base+"/readyz")
		}
		res, err := http.Get(ins[0].base + "/v1/articles?include_total=true&limit=1")
		if err != nil {
			t.Fatal(err)
		}
		var page struct{ Total int }
		_ = json.NewDecoder(res.Body).Decode(&page)
		_ = res.Body.Close()
		if page.Total != want {
			t.Errorf("round %d: %d articles after three servers started, want the %d demo headlines once", round, page.Total, want)
		}
	}
}

// TestOlderBinaryRefusesNewerSchema: on a database that a newer release
// migrated, serve and the other commands that migrate refuse to start,
// naming the database's version and the binary's.
func TestOlderBinaryRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		dsn := storetest.DSN(t, kind)
		ctx := context.Background()
		st, err := store.Open(dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		status, err := st.MigrateStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		newest := status[len(status)-1].Version
		future := newest + 1
		// What a newer release's migration leaves in goose's table.
		if _, err := st.DB().ExecContext(ctx, fmt.Sprintf("INSERT INTO goose_db_version (version_id, is_applied) VALUES (%d, true)", future)); err != nil {
			t.Fatal(err)
		}
		_ = st.Close()

		for _, args := range [][]string{{"serve"}, {"migrate", "up"}, {"export"}, {"import", "-"}, {"keys", "list"}} {
			ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			cmd := exec.CommandContext(ctx, binary, args...)
			cmd.Env = append(os.Environ(), "HEADLINES_DB="+dsn, "HEADLINES_ADDR="+freeAddr(t))
			cmd.Stdin = strings.NewReader("")
			out, err := cmd.CombinedOutput()
			timedOut := ctx.Err() != nil
			cancel()
			msg := string(out)
			if err == nil || timedOut {
				t.Errorf("%s on a newer schema: %v, %q; want a refusal", strings.Join(args, " "), err, msg)
				continue
			}
			if !strings.Contains(msg, fmt.Sprintf("migration %d", future)) || !strings.Contains(msg, fmt.Sprintf("migration %d", newest)) {
				t.Errorf("%s: %q does not name both versions %d and %d", strings.Join(args, " "), msg, future, newest)
			}
		}
	})
}

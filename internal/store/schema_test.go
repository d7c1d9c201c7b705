package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/headlines/headlines/internal/store/storetest"
)

// TestSchemaNewerThanBinary: a database that a newer release migrated
// past this binary's newest migration is refused, naming both versions,
// by every operation that migrates, and left as it was.
func TestSchemaNewerThanBinary(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		st, err := s.MigrateStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		newest := st[len(st)-1].Version
		future := newest + 1
		// What a newer release's migration leaves in goose's table.
		if _, err := s.DB().ExecContext(ctx, fmt.Sprintf("INSERT INTO goose_db_version (version_id, is_applied) VALUES (%d, true)", future)); err != nil {
			t.Fatal(err)
		}
		check := func(what string, err error) {
			t.Helper()
			var newer *SchemaTooNewError
			if !errors.As(err, &newer) || newer.Database != future || newer.Binary != newest {
				t.Errorf("%s on a newer schema: %v; want a SchemaTooNewError %d > %d", what, err, future, newest)
				return
			}
			msg := err.Error()
			if !strings.Contains(msg, fmt.Sprint(future)) || !strings.Contains(msg, fmt.Sprint(newest)) {
				t.Errorf("%s: %q does not name both versions %d and %d", what, msg, future, newest)
			}
		}
		applied, err := s.MigrateUp(ctx)
		check("migrate up", err)
		if len(applied) != 0 {
			t.Errorf("migrate up applied %v", applied)
		}
		_, err = s.MigrateDown(ctx)
		check("migrate down", err)
		// Status still lists what this binary knows.
		if st, err := s.MigrateStatus(ctx); err != nil || len(st) == 0 || !st[len(st)-1].Applied {
			t.Errorf("status on a newer schema: %+v, %v", st, err)
		}
		// Nothing was rolled back: the newest migration's version is still there.
		var n int
		if err := s.DB().QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM goose_db_version WHERE version_id IN (%d, %d)", newest, future)).Scan(&n); err != nil || n != 2 {
			t.Errorf("versions %d and %d recorded: %d, %v; want both", newest, future, n, err)
		}
	})
}

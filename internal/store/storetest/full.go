package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"
)

// FillStorage makes the database behind db full, so that writes which
// need more space fail as on a full disk: on SQLite, db must be the
// store's one writer connection, whose max_page_count is set to the pages
// the file has now; on PostgreSQL, where a full disk cannot be arranged,
// a trigger raises SQLSTATE 53100 (disk_full) for every new article.
func FillStorage(tb testing.TB, db *sql.DB, kind string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if kind == "sqlite" {
		var pages int
		if err := db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
			tb.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
			tb.Fatal(err)
		}
		return
	}
	for _, q := range []string{
		`CREATE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			RAISE EXCEPTION 'could not extend file "base/1/2": No space left on device' USING ERRCODE = 'disk_full';
		END $$`,
		`CREATE TRIGGER test_disk_full BEFORE INSERT ON articles FOR EACH ROW EXECUTE FUNCTION test_disk_full()`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			tb.Fatal(err)
		}
	}
}

// FreeStorage undoes FillStorage: space is free again.
func FreeStorage(tb testing.TB, db *sql.DB, kind string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q := "PRAGMA max_page_count = 4294967294"
	if kind != "sqlite" {
		q = "DROP TRIGGER test_disk_full ON articles"
	}
	if _, err := db.ExecContext(ctx, q); err != nil {
		tb.Fatal(err)
	}
}

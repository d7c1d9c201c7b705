package store

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
)

// TestStorageFull fills the database: writes fail as storage_full, naming
// the cause, by every write path (the article transaction and the bulk
// upsert); Ping reports it until a write goes through or storageFullFor
// passes; and every write that succeeded before is still stored.
func TestStorageFull(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, clk := newStore(t, kind)
		ctx := context.Background()
		cause := map[string]string{"sqlite": "SQLITE_FULL", "postgres": "SQLSTATE 53100"}[kind]
		var stored []int64
		for i := range 3 {
			stored = append(stored, mustCreate(t, s, draft(t, s, fmt.Sprintf("before %d", i), t0, []string{"KP"}, nil)).ID)
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("ping before: %v", err)
		}

		storetest.FillStorage(t, s.DB(), kind)
		// SQLite fits a few more rows into the pages it has; each article
		// carries 8 KiB, which needs pages of its own.
		var err error
		for i := 0; i < 50 && err == nil; i++ {
			d := draft(t, s, fmt.Sprintf("while full %d", i), t0, []string{"KP"}, nil)
			d.Body = strings.Repeat(fmt.Sprintf("word%d ", i), 1200)
			var a news.Article
			if a, err = s.CreateArticle(ctx, d); err == nil {
				stored = append(stored, a.ID)
			}
		}
		checkFull := func(what string, err error) {
			t.Helper()
			if news.ErrorCode(err) != news.EStorageFull || !strings.Contains(err.Error(), cause) {
				t.Errorf("%s on a full database: %v; want storage_full naming %s", what, err, cause)
			}
			perr := s.Ping(ctx)
			if news.ErrorCode(perr) != news.EUnavailable || !strings.Contains(perr.Error(), "storage is full") || !strings.Contains(perr.Error(), cause) {
				t.Errorf("ping after %s failed: %v; want unavailable, storage is full, %s", what, perr, cause)
			}
		}
		checkFull("a create", err)

		clk.t = clk.t.Add(storageFullFor)
		if err := s.Ping(ctx); err != nil {
			t.Errorf("ping %s after the last failed write: %v", storageFullFor, err)
		}
		d := draft(t, s, "upserted while full", t0, []string{"KP"}, nil)
		d.URL, d.Body = "https://example.com/full", strings.Repeat("upsert ", 1200)
		_, _, err = s.UpsertArticle(ctx, d)
		checkFull("an upsert", err)

		for _, id := range stored {
			if _, err := s.Article(ctx, id, true); err != nil {
				t.Errorf("article %d, stored before the storage filled: %v", id, err)
			}
		}

		storetest.FreeStorage(t, s.DB(), kind)
		d.Title = "after space was freed"
		if _, err := s.CreateArticle(ctx, d); err != nil {
			t.Fatalf("a create after space was freed: %v", err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("ping after a write went through: %v", err)
		}
	})
}

// TestStorageFullCause: which driver errors mean a full storage. The I/O
// errors cannot be caused on demand, so they are built as the drivers
// report them.
func TestStorageFullCause(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  error
		full bool
		code news.Code // what translate makes of it
	}{
		{sqlite3.Error{Code: sqlite3.ErrFull}, true, news.EStorageFull},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrWrite, SystemErrno: syscall.ENOSPC}, true, news.EStorageFull},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrFsync, SystemErrno: syscall.EDQUOT}, true, news.EStorageFull},
		{sqlite3.Error{Code: sqlite3.ErrIoErr, ExtendedCode: sqlite3.ErrIoErrRead, SystemErrno: syscall.EIO}, false, news.EUnavailable},
		{sqlite3.Error{Code: sqlite3.ErrConstraint}, false, news.EConflict},
		{fmt.Errorf("commit: %w", &pgconn.PgError{Code: "53100"}), true, news.EStorageFull},
		{&pgconn.PgError{Code: "53200"}, false, news.EInternal},                                             // out_of_memory
		{&pgconn.PgError{Code: "53300"}, false, news.EUnavailable},                                          // too_many_connections: a 503, not a 500
		{fmt.Errorf("query: %w", &pgconn.ConnectError{Config: &pgconn.Config{}}), false, news.EUnavailable}, // when connecting
	} {
		if _, full := storageFullCause(c.err); full != c.full {
			t.Errorf("%#v: full %v, want %v", c.err, full, c.full)
		}
		if code := news.ErrorCode(translate(c.err, "write")); code != c.code {
			t.Errorf("%#v: translated to %s, want %s", c.err, code, c.code)
		}
	}
}

// TestStorageFullAtCommit: a write whose commit finds the storage full
// (SQLite's WAL cannot grow on a full disk; PostgreSQL's deferred checks
// run at commit) is storage_full like a statement's failure, for themes
// and keys as for articles. On PostgreSQL a deferred trigger raises
// disk_full at COMMIT; on SQLite the page limit stops the statement.
func TestStorageFullAtCommit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		ctx := context.Background()
		big := strings.Repeat("x", 900)
		var keywords []string
		for i := range 200 {
			keywords = append(keywords, fmt.Sprintf("keyword number %d %s", i, big[:40]))
		}
		if kind == "sqlite" {
			storetest.FillStorage(t, s.DB(), kind)
		} else {
			for _, q := range []string{
				`CREATE FUNCTION test_full_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN
					RAISE EXCEPTION 'could not write to file "pg_wal/x": No space left on device' USING ERRCODE = 'disk_full';
				END $$`,
				`CREATE CONSTRAINT TRIGGER test_full_at_commit AFTER INSERT OR UPDATE OR DELETE ON themes
					DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_full_at_commit()`,
			} {
				if _, err := s.DB().ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}
		check := func(what string, err error) {
			t.Helper()
			if news.ErrorCode(err) != news.EStorageFull {
				t.Errorf("%s on a full database: %v (%s); want storage_full", what, err, news.ErrorCode(err))
			}
		}
		_, err := s.CreateTheme(ctx, news.Theme{Slug: "energy", Name: "Energy", Description: big, Keywords: keywords})
		check("a theme create", err)
		desc := strings.Repeat("y", 990)
		_, err = s.UpdateTheme(ctx, "trade", news.ThemeUpdate{Description: &desc, Keywords: &keywords})
		check("a theme update", err)
		if kind == "postgres" { // a delete needs no new page on SQLite
			check("a theme delete", s.DeleteTheme(ctx, "cyber"))
		}
	})
}

// Package storetest gives tests a fresh, empty database of each kind the
// store supports: a SQLite file in the test's temp dir always, and a
// PostgreSQL database of its own when HEADLINES_TEST_POSTGRES names a
// server. Each PostgreSQL database is dropped when its test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// EnvPostgres names the variable holding a PostgreSQL URL whose user may
// create databases, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvPostgres = "HEADLINES_TEST_POSTGRES"

// Kinds are the database kinds every store and API test runs against.
var Kinds = []string{"sqlite", "postgres"}

// SkipMessage is the one line a PostgreSQL test prints when it cannot run.
const SkipMessage = "PostgreSQL tests skipped: set " + EnvPostgres +
	"=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable (a user that may create databases) to run them"

// Each runs fn as a subtest once per database kind.
func Each(t *testing.T, fn func(t *testing.T, kind string)) {
	t.Helper()
	for _, kind := range Kinds {
		t.Run(kind, func(t *testing.T) { fn(t, kind) })
	}
}

// DSN returns the address of a new, empty database of the given kind: a
// SQLite path, or the URL of a PostgreSQL database created for this test
// and dropped after it. Without HEADLINES_TEST_POSTGRES a PostgreSQL test
// is skipped with SkipMessage.
func DSN(tb testing.TB, kind string) string {
	tb.Helper()
	if kind == "sqlite" {
		return filepath.Join(tb.TempDir(), "test.db")
	}
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		if os.Getenv("HEADLINES_REQUIRE_POSTGRES") == "1" {
			tb.Fatal("HEADLINES_REQUIRE_POSTGRES=1 but " + EnvPostgres + " is not set")
		}
		tb.Skip(SkipMessage)
	}
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("%s: %v", EnvPostgres, err)
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "headlines_test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("creating a test database on %s: %v", u.Redacted(), err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", admin)
		if err != nil {
			tb.Error(err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("dropping test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

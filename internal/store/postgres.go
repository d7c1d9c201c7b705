package store

import (
	"context"
	"fmt"
	"net/url"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// openPostgres opens one pool on a PostgreSQL database; reads and writes
// share it. Optimistic versions in the UPDATEs keep concurrent writers
// from losing each other's changes.
func openPostgres(dsn string, opt Options) (*Store, error) {
	if opt.MaxConns <= 0 {
		opt.MaxConns = 20
	}
	cfg := &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true}
	db, err := gorm.Open(postgres.New(postgres.Config{DSN: dsn}), cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", Redact(dsn), err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(opt.MaxConns)
	sqlDB.SetMaxIdleConns(opt.MaxConns)
	if err := sqlDB.PingContext(context.Background()); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open %s: %w", Redact(dsn), err)
	}
	return &Store{w: db, r: db, dialect: postgresDialect, now: opt.Now}, nil
}

// Redact hides the password of a database URL, for logs and messages; a
// SQLite path comes back as it is.
func Redact(dsn string) string {
	if !IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "the PostgreSQL URL"
	}
	return u.Redacted()
}

// Exclusive runs fn while holding a lock named key that every process on
// this database shares: a PostgreSQL advisory lock, held on a connection
// of its own. On SQLite, which one process serves, it just runs fn.
func (s *Store) Exclusive(ctx context.Context, key string, fn func() error) error {
	if !s.dialect.postgres {
		return fn()
	}
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		return translate(err, "lock "+key)
	}
	defer func() { _ = conn.Close() }()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(hashtext($1))", "headlines:"+key); err != nil {
		return translate(err, "lock "+key)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext($1))", "headlines:"+key)
	}()
	return fn()
}

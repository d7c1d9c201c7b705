package store

import (
	"context"
	"fmt"
	"net/url"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// openPostgres opens a pool on the primary, which takes the writes (and
// reads when there are no replicas), and one on each read replica.
// Optimistic versions in the UPDATEs keep concurrent writers from losing
// each other's changes.
func openPostgres(dsn string, opt Options) (*Store, error) {
	if opt.MaxConns <= 0 {
		opt.MaxConns = 20
	}
	primary, err := openPool(dsn, opt.MaxConns)
	if err != nil {
		return nil, err
	}
	s := &Store{w: primary, r: primary, dialect: postgresDialect, now: opt.Now}
	for _, r := range opt.Replicas {
		replica, err := openPool(r, opt.MaxConns)
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("replica: %w", err)
		}
		s.replicas = append(s.replicas, replica)
	}
	return s, nil
}

func openPool(dsn string, size int) (*gorm.DB, error) {
	cfg := &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true}
	db, err := gorm.Open(postgres.New(postgres.Config{DSN: dsn}), cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", Redact(dsn), err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(size)
	sqlDB.SetMaxIdleConns(size)
	if err := sqlDB.PingContext(context.Background()); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open %s: %w", Redact(dsn), err)
	}
	return db, nil
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

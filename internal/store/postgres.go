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
		return nil, fmt.Errorf("open %s: %w", redact(dsn), err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(opt.MaxConns)
	sqlDB.SetMaxIdleConns(opt.MaxConns)
	if err := sqlDB.PingContext(context.Background()); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open %s: %w", redact(dsn), err)
	}
	return &Store{w: db, r: db, dialect: postgresDialect, now: opt.Now}, nil
}

// redact hides the password of a database URL in messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "the PostgreSQL URL"
	}
	return u.Redacted()
}

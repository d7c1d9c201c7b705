// Package store keeps articles and the vocabularies in SQLite through GORM.
// It implements the news services, translates database errors into news
// errors, and runs the embedded migrations. GORM types never leave it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/migrations"
)

// Store is the SQLite-backed implementation of news.ArticleService and
// news.VocabularyService.
type Store struct {
	w   *gorm.DB // the one writer connection: every write transaction is BEGIN IMMEDIATE
	r   *gorm.DB // the read pool
	now func() time.Time

	vocabMu   sync.RWMutex
	countries []news.Country    // by code; loaded once, the list is fixed by migrations
	countryBy map[string]string // NameKey(code, name or alias) → code
	themeBy   map[string]string // NameKey(slug, name or alias) → slug; nil until loaded
}

// Options tune Open; the zero value is fine.
type Options struct {
	Now         func() time.Time // clock; time.Now when nil
	ReadConns   int              // size of the read pool; 4 when 0
	BusyTimeout time.Duration    // how long a statement waits for a lock; 10s when 0
}

// Open opens (creating if needed) the SQLite database at path. It does not
// migrate: call MigrateUp.
func Open(path string, opt Options) (*Store, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.ReadConns <= 0 {
		opt.ReadConns = 4
	}
	if opt.BusyTimeout <= 0 {
		opt.BusyTimeout = 10 * time.Second
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath()
	params := url.Values{}
	// WAL: readers never block the writer and the writer never blocks readers.
	params.Set("_journal_mode", "WAL")
	// busy_timeout: a connection that meets a lock waits for it instead of
	// failing at once with "database is locked".
	params.Set("_busy_timeout", fmt.Sprint(opt.BusyTimeout.Milliseconds()))
	// foreign_keys: tags must name real countries and themes, and go with their article.
	params.Set("_foreign_keys", "on")
	// synchronous=FULL: a write is on disk before it is acknowledged, so a
	// crash or power cut loses nothing that was answered 201.
	params.Set("_synchronous", "FULL")
	writeParams := cloneValues(params)
	// BEGIN IMMEDIATE: a write transaction takes the write lock when it
	// starts, so it never fails mid-way upgrading a read lock.
	writeParams.Set("_txlock", "immediate")
	readParams := cloneValues(params)
	// query_only: the read pool cannot write by accident.
	readParams.Set("_query_only", "true")

	cfg := &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true, PrepareStmt: true}
	w, err := gorm.Open(sqlite.Open(base+"?"+writeParams.Encode()), cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	wdb, err := w.DB()
	if err != nil {
		return nil, err
	}
	// One writer connection: SQLite allows one writer at a time anyway, and
	// queueing in Go's pool is fairer than spinning on the busy handler.
	wdb.SetMaxOpenConns(1)
	wdb.SetConnMaxIdleTime(0)
	if err := wdb.PingContext(context.Background()); err != nil {
		_ = wdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r, err := gorm.Open(sqlite.Open(base+"?"+readParams.Encode()), cfg)
	if err != nil {
		_ = wdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	rdb, err := r.DB()
	if err != nil {
		_ = wdb.Close()
		return nil, err
	}
	rdb.SetMaxOpenConns(opt.ReadConns)
	rdb.SetMaxIdleConns(opt.ReadConns)
	return &Store{w: w, r: r, now: opt.Now}, nil
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Close closes both connection pools.
func (s *Store) Close() error {
	var errs []error
	for _, g := range []*gorm.DB{s.r, s.w} {
		if db, err := g.DB(); err == nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	db, err := s.r.DB()
	if err != nil {
		return err
	}
	if err := db.PingContext(ctx); err != nil {
		return news.Errorf(news.EUnavailable, "database unavailable")
	}
	return nil
}

// DB returns the writer's *sql.DB, for tests and tools that inspect the file.
func (s *Store) DB() *sql.DB {
	db, _ := s.w.DB()
	return db
}

func (s *Store) provider() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations.SQLite, "sqlite")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectSQLite3, s.DB(), fsys)
}

// MigrateUp applies every pending migration and returns the versions applied.
func (s *Store) MigrateUp(ctx context.Context) ([]int64, error) {
	p, err := s.provider()
	if err != nil {
		return nil, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate up: %w", err)
	}
	var versions []int64
	for _, r := range res {
		versions = append(versions, r.Source.Version)
	}
	s.invalidateThemes()
	return versions, nil
}

// MigrateDown rolls back the newest applied migration and returns its
// version, or 0 when none was applied.
func (s *Store) MigrateDown(ctx context.Context) (int64, error) {
	p, err := s.provider()
	if err != nil {
		return 0, err
	}
	res, err := p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("migrate down: %w", err)
	}
	s.invalidateThemes()
	return res.Source.Version, nil
}

// MigrationStatus is one migration and whether it has been applied.
type MigrationStatus struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// MigrateStatus lists every known migration.
func (s *Store) MigrateStatus(ctx context.Context) ([]MigrationStatus, error) {
	p, err := s.provider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, m := range st {
		name := m.Source.Path
		if i := strings.LastIndex(name, "/"); i >= 0 {
			name = name[i+1:]
		}
		out = append(out, MigrationStatus{Version: m.Source.Version, Name: name, Applied: m.State == goose.StateApplied, AppliedAt: m.AppliedAt})
	}
	return out, nil
}

// translate turns database errors into news errors: context ends pass
// through, a closed or unreachable database is EUnavailable, a constraint
// failure is EConflict; anything else is wrapped with what was being done.
func translate(err error, doing string) error {
	if err == nil {
		return nil
	}
	var ne *news.Error
	switch {
	case errors.As(err, &ne), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return news.Errorf(news.ENotFound, "%s: not found", doing)
	case errors.Is(err, sql.ErrConnDone):
		return news.Errorf(news.EUnavailable, "database unavailable")
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrConstraint:
			return &news.Error{Code: news.EConflict, Message: "the change conflicts with stored data"}
		case sqlite3.ErrCantOpen, sqlite3.ErrNotADB, sqlite3.ErrIoErr:
			return news.Errorf(news.EUnavailable, "database unavailable")
		}
	}
	return fmt.Errorf("%s: %w", doing, err)
}

func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

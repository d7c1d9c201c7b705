package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// openSQLite opens the SQLite file at path with two pools: one writer
// connection and a read pool.
func openSQLite(path string, opt Options) (*Store, error) {
	if opt.ReadConns <= 0 {
		opt.ReadConns = 4
	}
	if opt.BusyTimeout <= 0 {
		opt.BusyTimeout = 10 * time.Second
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath()
	params := url.Values{}
	// busy_timeout: a connection that meets a lock waits for it instead of
	// failing at once with "database is locked".
	params.Set("_busy_timeout", fmt.Sprint(opt.BusyTimeout.Milliseconds()))
	// foreign_keys: tags must name real countries and themes, and go with their article.
	params.Set("_foreign_keys", "on")
	// synchronous=FULL: a write is on disk before it is acknowledged, so a
	// crash or power cut loses nothing that was answered 201.
	params.Set("_synchronous", "FULL")
	// Compiled statements in the driver's own cache, 256 per connection
	// (see below).
	params.Set("_stmt_cache_size", "256")
	writeParams := cloneValues(params)
	// WAL: readers never block the writer and the writer never blocks
	// readers. The mode is kept in the file, so the writer, which opens
	// first, sets it for every connection; readers do not ask for it
	// themselves, which would wait for a load that left WAL for a while
	// (see load).
	writeParams.Set("_journal_mode", "WAL")
	// BEGIN IMMEDIATE: a write transaction takes the write lock when it
	// starts, so it never fails mid-way upgrading a read lock.
	writeParams.Set("_txlock", "immediate")
	// A 32 MiB page cache for the writer (the default is 2 MiB). A server's
	// writes touch a few pages each, all over the file: with 128 MiB, 32
	// writers on a million articles filled it within seconds and the
	// server's peak RSS reached 161 MiB, for no more creates per second
	// than with 32 MiB (83 MiB; 876–979 against 901–968 creates/s). Bulk
	// commands ask for more (Options.WriteCacheMiB).
	if opt.WriteCacheMiB <= 0 {
		opt.WriteCacheMiB = 32
	}
	writeParams.Set("_cache_size", fmt.Sprint(-opt.WriteCacheMiB<<10))
	readParams := cloneValues(params)
	// query_only: the read pool cannot write by accident.
	readParams.Set("_query_only", "true")
	// 16 MiB of page cache per read connection (the default is 2 MiB): the
	// index and article pages of the lists people ask for stay in memory
	// instead of being read from the file again on every request.
	readParams.Set("_cache_size", "-16384")

	// Both pools keep compiled statements in the driver's own cache, 256
	// per connection, the least recently used finalized first (a statement
	// is cached only while no one runs it).
	// - The writer: gorm's are prepared on the pool, and database/sql
	//   compiles such a statement again inside every transaction that uses
	//   it, which is every write. Measured with 32 writers: 872 → 655 µs of
	//   server CPU per create (medians of three).
	// - The readers: each filter shape and page size is a statement of its
	//   own (the LIMIT is written in, see limitSQL), and gorm's store keeps
	//   them all for a day, or closes an evicted one while another request
	//   may be about to run it.
	cfg := &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true}
	wcfg := *cfg // gorm keeps each database's state in its Config
	// The writer's connections tell the store when the storage is full.
	st := &storage{now: opt.Now}
	wconn := sql.OpenDB(watchedSQLite{drv: &sqlite3.SQLiteDriver{}, dsn: base + "?" + writeParams.Encode(), st: st})
	// The writer's first connection switches a new file to WAL, in turn
	// with other processes starting on the same file (see lockPath).
	unlock, err := lockFile(context.Background(), lockPath(path))
	if err != nil {
		_ = wconn.Close()
		return nil, err
	}
	w, err := openWriter(wconn, &wcfg)
	if uerr := unlock(); err == nil && uerr != nil {
		err = uerr
	}
	if err != nil {
		_ = wconn.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r, err := gorm.Open(sqlite.Open(base+"?"+readParams.Encode()), cfg)
	if err != nil {
		_ = wconn.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	rdb, err := r.DB()
	if err != nil {
		_ = wconn.Close()
		return nil, err
	}
	rdb.SetMaxOpenConns(opt.ReadConns)
	rdb.SetMaxIdleConns(opt.ReadConns)
	return &Store{w: w, r: r, dialect: sqliteDialect, now: opt.Now, group: newGroupCommit(w), storage: st, file: path}, nil
}

// openWriter opens gorm on the writer's pool, which keeps one connection:
// SQLite allows one writer at a time anyway, and queueing in Go's pool is
// fairer than spinning on the busy handler.
func openWriter(conn *sql.DB, cfg *gorm.Config) (*gorm.DB, error) {
	conn.SetMaxOpenConns(1)
	conn.SetConnMaxIdleTime(0)
	w, err := gorm.Open(sqlite.New(sqlite.Config{Conn: conn}), cfg)
	if err != nil {
		return nil, err
	}
	return w, conn.PingContext(context.Background())
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

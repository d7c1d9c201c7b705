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
	"gorm.io/gorm/callbacks"
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
	if opt.WriteCacheMiB <= 0 {
		opt.WriteCacheMiB = 32
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath()
	params := sqliteParams(opt)
	// The writer's connections tell the store when the storage is full.
	st := &storage{now: opt.Now}
	w, wconn, err := openSQLiteWriter(path, base+"?"+writerParams(params, opt).Encode(), st)
	if err != nil {
		return nil, err
	}
	r, err := openSQLiteReader(base+"?"+readerParams(params).Encode(), opt.ReadConns)
	if err != nil {
		_ = wconn.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Store{w: w, r: r, dialect: sqliteDialect, now: opt.Now, group: newGroupCommit(w, false), storage: st, file: path}, nil
}

// sqliteParams are the connection parameters of both pools.
func sqliteParams(opt Options) url.Values {
	params := url.Values{}
	// busy_timeout: a connection that meets a lock waits for it instead of
	// failing at once with "database is locked".
	params.Set("_busy_timeout", fmt.Sprint(opt.BusyTimeout.Milliseconds()))
	// foreign_keys: tags must name real countries and themes, and go with their article.
	params.Set("_foreign_keys", "on")
	// synchronous=FULL: a write is on disk before it is acknowledged, so a
	// crash or power cut loses nothing that was answered 201.
	params.Set("_synchronous", "FULL")
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
	params.Set("_stmt_cache_size", "256")
	return params
}

// writerParams are the writer connection's parameters.
func writerParams(params url.Values, opt Options) url.Values {
	w := cloneValues(params)
	// WAL: readers never block the writer and the writer never blocks
	// readers. The mode is kept in the file, so the writer, which opens
	// first, sets it for every connection; readers do not ask for it
	// themselves, which would wait for a load that left WAL for a while
	// (see load).
	w.Set("_journal_mode", "WAL")
	// BEGIN IMMEDIATE: a write transaction takes the write lock when it
	// starts, so it never fails mid-way upgrading a read lock.
	w.Set("_txlock", "immediate")
	// A 32 MiB page cache for the writer (the default is 2 MiB). A server's
	// writes touch a few pages each, all over the file: with 128 MiB, 32
	// writers on a million articles filled it within seconds and the
	// server's peak RSS reached 161 MiB, for no more creates per second
	// than with 32 MiB (83 MiB; 876–979 against 901–968 creates/s). Bulk
	// commands ask for more (Options.WriteCacheMiB).
	w.Set("_cache_size", fmt.Sprint(-opt.WriteCacheMiB<<10))
	return w
}

// readerParams are the read pool's parameters.
func readerParams(params url.Values) url.Values {
	r := cloneValues(params)
	// query_only: the read pool cannot write by accident.
	r.Set("_query_only", "true")
	// 16 MiB of page cache per read connection (the default is 2 MiB): the
	// index and article pages of the lists people ask for stay in memory
	// instead of being read from the file again on every request.
	r.Set("_cache_size", "-16384")
	// No SQLite mutex per connection (SQLITE_OPEN_NOMUTEX, the
	// "multi-thread" mode): database/sql hands a connection, and the
	// statements and rows made on it, to one goroutine at a time, and the
	// driver's cancellation calls sqlite3_interrupt, which SQLite allows
	// from any thread. The default serialized mode locked and unlocked a
	// pthread mutex around every call into SQLite, each column of each row
	// included: 8% of the server's CPU on page 1 of a country and a theme.
	r.Set("_mutex", "no")
	return r
}

// openSQLiteWriter opens the writer's pool on dsn, watched by st, and
// gorm on it. Its first connection switches a new file to WAL, in turn
// with other processes starting on the same file (see lockPath).
func openSQLiteWriter(path, dsn string, st *storage) (*gorm.DB, *sql.DB, error) {
	wconn := sql.OpenDB(watchedSQLite{drv: &sqlite3.SQLiteDriver{}, dsn: dsn, st: st})
	unlock, err := lockFile(context.Background(), lockPath(path))
	if err != nil {
		_ = wconn.Close()
		return nil, nil, err
	}
	w, err := openWriter(wconn, sqliteDialect.gormConfig())
	if uerr := unlock(); err == nil && uerr != nil {
		err = uerr
	}
	if err != nil {
		_ = wconn.Close()
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	return w, wconn, nil
}

// openWriter opens gorm on the writer's pool, which keeps one connection:
// SQLite allows one writer at a time anyway, and queueing in Go's pool is
// fairer than spinning on the busy handler.
//
// Its INSERTs read a new row's id from the connection, as the bulk path's
// do (see insertArticle), where gorm's SQLite dialect adds RETURNING: with
// the full-text trigger on articles, an INSERT … RETURNING of an article
// took 87–97 µs of CPU against 30–43 µs (5,000 inserts in a transaction,
// three runs each).
func openWriter(conn *sql.DB, cfg *gorm.Config) (*gorm.DB, error) {
	conn.SetMaxOpenConns(1)
	conn.SetConnMaxIdleTime(0)
	w, err := gorm.Open(sqlite.New(sqlite.Config{Conn: conn}), cfg)
	if err != nil {
		return nil, err
	}
	err = w.Callback().Create().Replace("gorm:create", callbacks.Create(&callbacks.Config{LastInsertIDReversed: true}))
	if err != nil {
		return nil, err
	}
	return w, conn.PingContext(context.Background())
}

// openSQLiteReader opens the read pool of n connections on dsn.
func openSQLiteReader(dsn string, n int) (*gorm.DB, error) {
	r, err := gorm.Open(sqlite.Open(dsn), sqliteDialect.gormConfig())
	if err != nil {
		return nil, err
	}
	rdb, err := r.DB()
	if err != nil {
		return nil, err
	}
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	return r, nil
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"

	"github.com/headlines/headlines/internal/news"
)

// storageFullFor is how long Ping reports the database's storage as full
// after the last write that found it so, unless a write goes through
// sooner. An instance that readiness took out of its load balancer gets
// no writes to find out that space was freed: after this long it is
// ready again, and the next write that fails makes it unready anew.
const storageFullFor = 10 * time.Second

// storageFullCause says whether err means that the database's storage is
// full, and names the cause without the server's file paths: SQLite's
// SQLITE_FULL, or an I/O error whose system error is "no space left" or
// "quota exceeded" (SQLite reports most of those as SQLITE_FULL itself);
// PostgreSQL's SQLSTATE 53100 disk_full, which it also raises for ENOSPC
// and EDQUOT on its files. The rest of class 53 (out of memory, too many
// connections, a configured limit) is not about space.
func storageFullCause(err error) (string, bool) {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch {
		case se.Code == sqlite3.ErrFull:
			return "SQLITE_FULL: database or disk is full", true
		case se.Code == sqlite3.ErrIoErr && (se.SystemErrno == syscall.ENOSPC || se.SystemErrno == syscall.EDQUOT):
			return "SQLITE_IOERR: " + se.SystemErrno.Error(), true
		}
		return "", false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "53100" {
		return "SQLSTATE 53100 disk_full", true
	}
	return "", false
}

// storage remembers the last storage-full error of the writer's
// connections, so that readiness can say why writes fail.
type storage struct {
	now  func() time.Time
	full atomic.Pointer[fullAt] // nil while no write has found the storage full
}

type fullAt struct {
	cause string
	at    time.Time
}

// saw records err when it means that the storage is full, and says
// whether it did.
func (s *storage) saw(err error) bool {
	cause, ok := storageFullCause(err)
	if ok {
		s.full.Store(&fullAt{cause: cause, at: s.now()})
	}
	return ok
}

// wrote forgets the storage-full error: a write has gone through since.
func (s *storage) wrote() {
	if f := s.full.Load(); f != nil {
		s.full.CompareAndSwap(f, nil)
	}
}

// err is the error Ping reports while the storage is full, or nil.
func (s *storage) err() error {
	f := s.full.Load()
	if f == nil || s.now().Sub(f.at) >= storageFullFor {
		return nil
	}
	return news.Errorf(news.EUnavailable, "the database's storage is full (%s, at %s): writes fail until space is freed",
		f.cause, f.at.UTC().Format(time.RFC3339))
}

// watchedSQLite opens SQLite connections that tell the store's storage
// state of every error and commit: the writer's, through which every
// write goes, whether by gorm or by database/sql. A transaction that
// commits without having met a full storage clears a storage-full error:
// in WAL mode SQLite needs the space at the commit, when it appends the
// pages to the log.
type watchedSQLite struct {
	drv *sqlite3.SQLiteDriver
	dsn string
	st  *storage
}

func (w watchedSQLite) Connect(context.Context) (driver.Conn, error) {
	c, err := w.drv.Open(w.dsn)
	if err != nil {
		return nil, err
	}
	if sc, ok := c.(*sqlite3.SQLiteConn); ok {
		return &watchedConn{SQLiteConn: sc, st: w.st}, nil
	}
	return c, nil
}

func (w watchedSQLite) Driver() driver.Driver { return w.drv }

// watchedConn is a SQLite connection whose context methods, the ones
// database/sql calls, report to the storage state.
type watchedConn struct {
	*sqlite3.SQLiteConn
	st     *storage
	fullTx bool // the storage was found full since the transaction began
}

func (c *watchedConn) saw(err error) error {
	if err != nil && c.st.saw(err) {
		c.fullTx = true
	}
	return err
}

func (c *watchedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.SQLiteConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, c.saw(err)
	}
	c.fullTx = false
	return watchedTx{Tx: tx, c: c}, nil
}

func (c *watchedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	res, err := c.SQLiteConn.ExecContext(ctx, query, args)
	return res, c.saw(err)
}

func (c *watchedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.SQLiteConn.QueryContext(ctx, query, args)
	if err != nil {
		return nil, c.saw(err)
	}
	return c.rows(rows), nil
}

func (c *watchedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.SQLiteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, c.saw(err)
	}
	if s, ok := st.(*sqlite3.SQLiteStmt); ok {
		return &watchedStmt{SQLiteStmt: s, c: c}, nil
	}
	return st, nil
}

// rows watches the rows of a statement: SQLite runs it as they are read.
func (c *watchedConn) rows(rows driver.Rows) driver.Rows {
	if r, ok := rows.(*sqlite3.SQLiteRows); ok {
		return &watchedRows{SQLiteRows: r, c: c}
	}
	return rows
}

type watchedTx struct {
	driver.Tx
	c *watchedConn
}

func (t watchedTx) Commit() error {
	if err := t.Tx.Commit(); err != nil {
		return t.c.saw(err)
	}
	if !t.c.fullTx {
		t.c.st.wrote()
	}
	return nil
}

type watchedStmt struct {
	*sqlite3.SQLiteStmt
	c *watchedConn
}

func (s *watchedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	res, err := s.SQLiteStmt.ExecContext(ctx, args)
	return res, s.c.saw(err)
}

func (s *watchedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := s.SQLiteStmt.QueryContext(ctx, args)
	if err != nil {
		return nil, s.c.saw(err)
	}
	return s.c.rows(rows), nil
}

type watchedRows struct {
	*sqlite3.SQLiteRows
	c *watchedConn
}

func (r *watchedRows) Next(dest []driver.Value) error {
	return r.c.saw(r.SQLiteRows.Next(dest))
}

// watchedPostgres traces the statements of the primary's connections for
// the storage state. PostgreSQL takes the space a row needs when the
// statement runs, so a statement that changed rows clears a storage-full
// error.
type watchedPostgres struct{ st *storage }

func (w watchedPostgres) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (w watchedPostgres) TraceQueryEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	tag := d.CommandTag
	switch {
	case d.Err != nil:
		w.st.saw(d.Err)
	case tag.RowsAffected() > 0 && (tag.Insert() || tag.Update() || tag.Delete()):
		w.st.wrote()
	}
}

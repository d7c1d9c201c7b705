package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/pressly/goose/v3/lock"
)

// lockWait bounds how long a process waits for a lock another process
// holds, as goose's PostgreSQL lock does: a migration of a large database
// can take minutes, a holder that keeps it longer is stuck.
const lockWait = 5 * time.Minute

// lockFile takes an exclusive lock on the file at path, created if need
// be, waiting while another process (or another caller in this one)
// holds it, until ctx ends or lockWait passes. The lock is flock(2) on the
// file, not on the database: the kernel lets it go when its holder exits,
// even by kill -9, so a crash never leaves a stale lock behind, and it
// does not touch SQLite's own locks of the database file. The file is
// left in place: removing it would let a waiter lock a file that the
// next process no longer sees.
func lockFile(ctx context.Context, path string) (unlock func() error, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644) //nolint:gosec // the file holds nothing; others who open the database may need to lock it
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		ok, err := tryLock(f)
		if ok || err != nil {
			if err != nil {
				_ = f.Close()
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
			return f.Close, nil // closing the file lets the lock go
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, fmt.Errorf("lock %s: another process has held it for %s", path, lockWait)
			}
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// lockPath is the lock file beside the SQLite database file at path. One
// lock serves every step that processes starting together on one file
// take turns at: switching the file to WAL mode, migrating, loading the
// demo headlines. They must not overlap in any pairing: two connections
// switching to WAL at once, or one switching while a load has left WAL,
// fail at once with "database is locked" instead of waiting.
func lockPath(path string) string { return path + ".lock" }

// fileLocker is goose's session lock for SQLite: what PostgreSQL's
// advisory lock is for goose there, the lock file beside the database
// (see lockFile and lockPath). Instances that start together on a new database run each
// migration once; the others wait, then find nothing to do. It does not
// use the session's connection, which goose runs the migrations on.
type fileLocker struct {
	path   string
	unlock func() error // set while the lock is held
}

func (l *fileLocker) SessionLock(ctx context.Context, _ *sql.Conn) error {
	unlock, err := lockFile(ctx, l.path)
	if err != nil {
		return err
	}
	l.unlock = unlock
	return nil
}

func (l *fileLocker) SessionUnlock(context.Context, *sql.Conn) error {
	if l.unlock == nil {
		return nil
	}
	err := l.unlock()
	l.unlock = nil
	return err
}

var _ lock.SessionLocker = (*fileLocker)(nil)

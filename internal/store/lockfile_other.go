//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

import "os"

// tryLock: this system has no flock(2). The lock is not taken, so one
// process at a time must open a SQLite database here; PostgreSQL's
// locks work everywhere.
func tryLock(*os.File) (bool, error) { return true, nil }

//go:build !sqlite_fts5

package store

// The store needs SQLite's FTS5 full-text module, which mattn/go-sqlite3
// compiles only with the sqlite_fts5 build tag. Without the tag the build
// stops here, naming the tag, instead of failing at run time with
// "no such module: fts5". Build with: go build -tags sqlite_fts5 (make does).
const _ = this_build_needs_the_sqlite_fts5_build_tag__use_go_build_tags_sqlite_fts5_or_make

//go:build cgo

package store

/*
// SQLite's own functions, compiled into the binary by
// github.com/mattn/go-sqlite3, whose header is not on this package's
// include path.
int sqlite3_config(int, ...);
long long sqlite3_memory_used(void);

// SQLITE_CONFIG_MEMSTATUS (9), off. sqlite3_config takes a variable
// argument list, which Go cannot pass.
static int headlines_memstatus_off(void) { return sqlite3_config(9, 0); }
*/
import "C"

// SQLite counts the memory it allocates unless told not to, and every
// allocation and free then takes one lock that all of the process's
// connections and sorting threads share. The import runs two connections
// and the index builds' sorting threads at once, and they queued on that
// lock (a tenth of its CPU in mutexes and futex calls, by perf). With no
// count, a million articles imported in 24.5–31.8 s (median 27.7) against
// 30.9–39.3 s (median 32.6), with half the system time (six alternated
// runs each of `headlines import` into a new database); ten million in
// 296 s against 403 s (one run each). Nothing here reads the counts, and
// the server's page 1 ran at the same rate (8,110–8,565 against
// 7,950–8,604 req/s, three alternated runs).
//
// SQLite takes the setting only before its first connection opens, which
// no package does while packages are initialised. Should it be refused,
// SQLite runs as before, only slower.
var sqliteMemstatus = C.headlines_memstatus_off()

// sqliteMemoryUsed is what SQLite counts as allocated: 0 while it keeps
// no count.
func sqliteMemoryUsed() int64 { return int64(C.sqlite3_memory_used()) }

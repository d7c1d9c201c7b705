package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

// Store implements news.ArticleService and news.VocabularyService on
// SQLite (the embedded default) or PostgreSQL.
type Store struct {
	w       *gorm.DB // writes; on SQLite the one writer connection, every transaction BEGIN IMMEDIATE
	r       *gorm.DB // reads from the primary: on SQLite a separate query_only pool, on PostgreSQL the primary's pool
	dialect dialect

	replicas []*replica    // PostgreSQL read replicas; reads go round-robin to those that answer
	next     atomic.Uint64 // the replica for the next read
	unwatch  func()        // stops the replicas' health checks (nil without replicas)
	now      func() time.Time

	vocab   vocabulary           // the published vocabulary snapshot and its refresher
	terms   aged[int64]          // SQLite: the number of matches of the phrases searched by relevance
	shares  aged[filterShare]    // SQLite: the share of the articles a search's filter selects (planSearch)
	matches aged[int64]          // SQLite: the matches of a search, counted up to matchCountCap (planSearch)
	rare    aged[bool]           // PostgreSQL: whether a search's words were rare among its filter's newest rows (pgSearch)
	since   aged[relevanceSince] // PostgreSQL: where a search by relevance looks for its window (pgRelevanceSince)
	// loads counts the loads in progress. A load holds the write lock to
	// its end, so the vocabulary cannot change meanwhile, and the
	// refresher leaves it alone: reading it again could wait on the load's
	// lock of the file (see load).
	loads atomic.Int32

	keyUse sync.Map // key id → time.Time its use was last recorded

	group *groupCommit // article writes of concurrent requests share commits

	storage *storage // whether writes have found the database's storage full
	file    string   // SQLite: the database file, beside which its lock file lies
}

// Options tune Open; the zero value is fine.
type Options struct {
	Now         func() time.Time // clock; time.Now when nil
	ReadConns   int              // SQLite: size of the read pool; 4 when 0
	BusyTimeout time.Duration    // SQLite: how long a statement waits for a lock; 10s when 0
	MaxConns    int              // PostgreSQL: size of each connection pool; 20 when 0
	Replicas    []string         // PostgreSQL: URLs of read replicas
	// WriteCacheMiB is SQLite's page cache for the writer connection, in
	// MiB; 32 when 0. A bulk import gains from one as large as its indexes.
	WriteCacheMiB int
	// VocabularyRefresh is how often the countries and themes are read
	// again, to see changes made through other instances; vocabTTL (1 s)
	// when 0.
	VocabularyRefresh time.Duration
}

// read returns the pool a read goes to, bound to ctx: a replica that
// answers, in turn, or the primary when there is none, none answers or ctx
// asks for fresh reads.
func (s *Store) read(ctx context.Context) *gorm.DB {
	if len(s.replicas) == 0 || news.FreshReads(ctx) {
		return s.r.WithContext(ctx)
	}
	n := uint64(len(s.replicas))
	start := s.next.Add(1)
	for i := range n {
		if r := s.replicas[(start+i)%n]; !r.down.Load() {
			return r.db.WithContext(ctx)
		}
	}
	return s.r.WithContext(ctx)
}

// IsPostgres reports whether dsn names a PostgreSQL database rather than a
// SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the database that dsn names: a postgres:// URL, or else the
// path of a SQLite file (created if needed). It does not migrate: call
// MigrateUp.
func Open(dsn string, opt Options) (*Store, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	open := openSQLite
	if IsPostgres(dsn) {
		open = openPostgres
	}
	s, err := open(dsn, opt)
	if err != nil {
		return nil, err
	}
	s.startVocabulary(opt.VocabularyRefresh)
	return s, nil
}

// Close stops the vocabulary's refresher and the replicas' health checks,
// and closes the connection pools.
func (s *Store) Close() error {
	s.stopVocabulary()
	if s.unwatch != nil {
		s.unwatch()
	}
	if s.group != nil {
		s.group.close()
	}
	var errs []error
	for _, db := range s.Pools() {
		errs = append(errs, db.Close())
	}
	return errors.Join(errs...)
}

// Pools names every connection pool: "primary", and "reads" (SQLite's
// read pool) or "replica-N", for metrics.
func (s *Store) Pools() map[string]*sql.DB {
	pools := map[string]*sql.DB{}
	add := func(name string, g *gorm.DB) {
		if db, err := g.DB(); err == nil {
			pools[name] = db
		}
	}
	add("primary", s.w)
	if s.r != s.w {
		add("reads", s.r)
	}
	for i, r := range s.replicas {
		add(fmt.Sprintf("replica-%d", i+1), r.db)
	}
	return pools
}

// Dialect names the database: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.name }

// Ping reports whether the database answers, and whether writes can be
// stored: while a recent write found the database's storage full
// (SQLITE_FULL, SQLSTATE 53100), it says so, until a write goes through
// again or storageFullFor has passed. It never waits for a busy pool (see
// ping). Replicas do not count: while one is unreachable its reads go to
// the primary (see watchReplicas), so the instance can still answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.storage.err(); err != nil {
		return err
	}
	for name, db := range s.Pools() {
		if strings.HasPrefix(name, "replica-") {
			continue
		}
		if err := ping(ctx, db); err != nil {
			return news.Errorf(news.EUnavailable, "database unavailable (%s)", name)
		}
	}
	return nil
}

// ping checks one pool without queueing behind the requests that use it:
// a pool whose every connection is at work is answering them, so it
// counts as reachable, at the moment the check starts or while it waits
// for a connection. A ping that had to queue for SQLite's read pool (4
// connections) kept /readyz waiting, and failing, for as long as slow
// reads held all of them.
func ping(ctx context.Context, db *sql.DB) error {
	busy := func() bool {
		st := db.Stats()
		return st.MaxOpenConnections > 0 && st.InUse >= st.MaxOpenConnections
	}
	if busy() {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- db.PingContext(ctx) }()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			if busy() {
				return nil
			}
		}
	}
}

// DB returns the writer's *sql.DB, for tests and tools that inspect the file.
func (s *Store) DB() *sql.DB {
	db, _ := s.w.DB()
	return db
}

// provider is goose on this database. Every operation that reads or
// changes the schema holds the migration lock: PostgreSQL's advisory
// lock, or on SQLite the lock file beside the database (see fileLocker);
// instances that start together run each migration once, the others wait
// and then find nothing to do.
func (s *Store) provider() (*goose.Provider, error) {
	var locker lock.SessionLocker = &fileLocker{path: lockPath(s.file)}
	if s.dialect.postgres {
		var err error
		if locker, err = lock.NewPostgresSessionLocker(); err != nil {
			return nil, err
		}
	}
	return goose.NewProvider(s.dialect.goose, s.DB(), s.dialect.migrations, goose.WithSessionLocker(locker))
}

// SchemaTooNewError is the refusal to work on a database that a newer
// release has migrated past the newest migration this binary embeds: this
// binary would not know what it finds there.
type SchemaTooNewError struct {
	Database int64 // the newest migration applied to the database
	Binary   int64 // the newest migration this binary embeds
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("the database's schema is at migration %d, newer than this binary's newest migration %d: "+
		"run the release that migrated it, or a later one", e.Database, e.Binary)
}

// checkSchema refuses, with a *SchemaTooNewError, a database migrated past
// p's newest migration. It reads the version under the migration lock.
func checkSchema(ctx context.Context, p *goose.Provider) error {
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return err
	}
	if src := p.ListSources(); len(src) > 0 && v > src[len(src)-1].Version {
		return &SchemaTooNewError{Database: v, Binary: src[len(src)-1].Version}
	}
	return nil
}

// Optimize refreshes the planner's statistics where the data changed
// much: SQLite's PRAGMA optimize; on PostgreSQL VACUUM ANALYZE, which also
// marks the new rows all-visible so that counts are index-only scans. On
// SQLite it also merges the full-text index into one segment (see
// searchIndexMerge).
func (s *Store) Optimize(ctx context.Context) error {
	if s.dialect.postgres {
		return translate(s.w.WithContext(ctx).Exec("VACUUM (ANALYZE)").Error, "optimize")
	}
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		return translate(err, "optimize")
	}
	defer func() { _ = conn.Close() }()
	// ANALYZE reads every index once: through a small page cache rather
	// than the writer's (a GiB for an import), which it would fill with
	// pages it never reads again. After a million articles' import, 1.2 s
	// of CPU against 3.4–4.0 s.
	var size int
	if err := conn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&size); err != nil {
		return translate(err, "optimize")
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA cache_size = -2048"); err != nil {
		return translate(err, "optimize")
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA cache_size = %d", size))
	}()
	if _, err = conn.ExecContext(ctx, searchIndexMerge); err != nil {
		return translate(err, "optimize")
	}
	_, err = conn.ExecContext(ctx, "PRAGMA optimize=0x10002") // every table, not only those this connection queried
	return translate(err, "optimize")
}

// searchIndexMerge merges every segment of the full-text index into one.
// A search walks each segment that holds its words: after a million
// articles' import, in 8 segments, 21 matches of "sanctions" newest first
// took 107 µs, and in one 19 µs (two words, 217 against 33 µs); the merge
// took 2.5 s. Writes add small segments again, which FTS5 merges as they
// accumulate.
const searchIndexMerge = `INSERT INTO articles_fts (articles_fts) VALUES ('optimize')`

// MigrateUp applies every pending migration and returns the versions applied.
// A database migrated past this binary's newest migration is refused with
// a *SchemaTooNewError.
func (s *Store) MigrateUp(ctx context.Context) ([]int64, error) {
	p, err := s.provider()
	if err != nil {
		return nil, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate up: %w", err)
	}
	// Checked after Up: on a newer schema Up finds nothing pending and
	// changes nothing, and a newer release that migrates while Up runs is
	// still seen.
	if err := checkSchema(ctx, p); err != nil {
		return nil, err
	}
	var versions []int64
	for _, r := range res {
		versions = append(versions, r.Source.Version)
	}
	if err := s.reloadVocabulary(ctx); err != nil {
		return nil, err
	}
	return versions, nil
}

// MigrateDown rolls back the newest applied migration and returns its
// version, or 0 when none was applied. Like MigrateUp, it refuses a
// database newer than this binary.
func (s *Store) MigrateDown(ctx context.Context) (int64, error) {
	p, err := s.provider()
	if err != nil {
		return 0, err
	}
	if err := checkSchema(ctx, p); err != nil {
		return 0, err
	}
	res, err := p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("migrate down: %w", err)
	}
	if s.reloadVocabulary(ctx) != nil {
		// The vocabulary's tables are gone with the migration: no name
		// resolves any more.
		s.clearVocabulary()
	}
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
// through, a closed or unreachable database is EUnavailable, a full
// storage is EStorageFull, a constraint failure is EConflict; anything
// else is wrapped with what was being done.
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
	case errors.Is(err, sql.ErrConnDone), errors.Is(err, io.ErrUnexpectedEOF):
		// ErrUnexpectedEOF: the server closed the connection in the middle of a statement.
		return news.Errorf(news.EUnavailable, "database unavailable")
	}
	if cause, ok := storageFullCause(err); ok {
		return news.Errorf(news.EStorageFull, "the database's storage is full (%s): nothing more can be stored until space is freed", cause)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505" || pe.Code == "23503": // unique_violation, foreign_key_violation
			return &news.Error{Code: news.EConflict, Message: "the change conflicts with stored data"}
		case strings.HasPrefix(pe.Code, "08"), pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03":
			return news.Errorf(news.EUnavailable, "database unavailable")
		case pe.Code == "53300": // too_many_connections: busy now, not broken; a retry may find a slot
			return news.Errorf(news.EUnavailable, "database unavailable: it has no free connection")
		}
	}
	var ce *pgconn.ConnectError
	var neterr net.Error
	if errors.As(err, &ce) || errors.As(err, &neterr) || errors.Is(err, driver.ErrBadConn) {
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

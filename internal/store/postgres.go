package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/ticker"
)

// openPostgres opens a pool on the primary, which takes the writes (and
// reads when there are no replicas), and one on each read replica.
// Optimistic versions in the UPDATEs keep concurrent writers from losing
// each other's changes.
func openPostgres(dsn string, opt Options) (*Store, error) {
	if opt.MaxConns <= 0 {
		opt.MaxConns = 20
	}
	// The primary's statements tell the store when the storage is full.
	st := &storage{now: opt.Now}
	primary, err := openPool(dsn, opt.MaxConns, watchedPostgres{st: st}, true)
	if err != nil {
		return nil, err
	}
	s := &Store{w: primary, r: primary, dialect: postgresDialect, now: opt.Now, group: newGroupCommit(primary, true), storage: st}
	for _, dsn := range opt.Replicas {
		r := &replica{}
		// A replica that does not answer yet is no reason not to start:
		// its reads go to the primary until it does (see watchReplicas).
		db, err := openPool(dsn, opt.MaxConns, r, false)
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("replica: %w", err)
		}
		r.db = db
		s.replicas = append(s.replicas, r)
	}
	if len(s.replicas) > 0 {
		s.unwatch = watchReplicas(primary, s.replicas, replicaCheck)
	}
	return s, nil
}

// replicaCheck is how often every replica is checked. A replica that
// stops answering loses its reads within this time (or at once, when a
// statement on it finds it gone), and one that answers again gets them
// back.
const replicaCheck = 500 * time.Millisecond

// schemaVersion is the newest migration a database has applied.
const schemaVersion = `SELECT coalesce(max(version_id), 0) FROM goose_db_version`

// errSchemaBehind says that a replica has not yet replayed every migration
// the primary has applied: its tables may lack what the statements need.
var errSchemaBehind = errors.New("the replica's schema is behind the primary's")

// replica is a read replica's pool and whether it is unreachable. It
// traces its connections: a connection that cannot be made, or a
// statement that fails for want of the server, marks it down at once, so
// that the reads after it go elsewhere rather than fail in turn until the
// next check.
type replica struct {
	db   *gorm.DB
	down atomic.Bool
}

func (r *replica) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (r *replica) TraceQueryEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	r.saw(d.Err)
}

func (r *replica) TraceConnectStart(ctx context.Context, _ pgx.TraceConnectStartData) context.Context {
	return ctx
}

func (r *replica) TraceConnectEnd(_ context.Context, d pgx.TraceConnectEndData) { r.saw(d.Err) }

// saw marks the replica down when err says that it is unreachable, or
// that it lacks a table or column (it has not replayed a migration yet).
func (r *replica) saw(err error) {
	var pe *pgconn.PgError
	behind := errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "42703") // undefined_table, undefined_column
	if err != nil && (behind || news.ErrorCode(translate(err, "")) == news.EUnavailable) {
		r.down.Store(true)
	}
}

// check reports whether the replica answers within ctx and has applied
// migration want: nil when it may take reads. A pool busy with reads
// counts as answering (see ping).
func (r *replica) check(ctx context.Context, want int64) error {
	db, err := r.db.DB()
	if err != nil {
		return err
	}
	if err := ping(ctx, db); err != nil {
		return err
	}
	var have int64
	err = db.QueryRowContext(ctx, schemaVersion).Scan(&have)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return nil // it answered the ping: the reads before this one hold its connections
	case err != nil:
		return err
	case have < want:
		return errSchemaBehind
	}
	return nil
}

// watchReplicas checks each replica at once and then every interval
// against the primary's schema version, marking it down when the check
// fails and up when it passes, until stop is called; stop returns once
// the checks have ended. Until its first check passes, a replica takes no
// reads: one that has not replayed the migrations the instance just ran
// would answer "relation does not exist".
func watchReplicas(primary *gorm.DB, replicas []*replica, every time.Duration) (stop func()) {
	checkAll := func(stopped context.Context) {
		ctx, cancel := context.WithTimeout(stopped, every)
		defer cancel()
		var want int64 // 0 while the primary cannot say: then only reachability counts
		_ = primary.WithContext(ctx).Raw(schemaVersion).Scan(&want).Error
		for _, r := range replicas {
			if err := r.check(ctx, want); stopped.Err() == nil {
				r.down.Store(err != nil)
			}
		}
	}
	for _, r := range replicas {
		r.down.Store(true)
	}
	checkAll(context.Background())
	return ticker.Every(every, nil, checkAll)
}

// genericPlans is the plan_cache_mode of the store's connections, unless
// their URL sets one: a statement is planned once per connection, and
// its plan is kept. PostgreSQL's default (auto) planned page 1 of a
// country and a theme anew on every request, as its estimate for the
// kept plan was a little dearer than for one made for the request's own
// values, and the planning took 0.2 ms against the page's 0.07 ms of
// execution. A search's ranking and counts ask for plans made for its
// words (ListArticles).
const genericPlans = "force_generic_plan"

// setsPlanCacheMode says whether a connection's parameters, from its URL,
// set plan_cache_mode: by name, in any case, or in options (-c
// plan_cache_mode=…).
func setsPlanCacheMode(params map[string]string) bool {
	for k, v := range params {
		if strings.EqualFold(k, "plan_cache_mode") || (k == "options" && strings.Contains(strings.ToLower(v), "plan_cache_mode")) {
			return true
		}
	}
	return false
}

// openPool opens a pool of size connections on dsn, whose statements
// tracer sees when it is not nil. With mustAnswer, a database that does
// not answer a ping is an error.
func openPool(dsn string, size int, tracer pgx.QueryTracer, mustAnswer bool) (*gorm.DB, error) {
	cfg := postgresDialect.gormConfig()
	cfg.DisableAutomaticPing = !mustAnswer
	pc := postgres.Config{DSN: dsn}
	pc.OptionOpenDB = []stdlib.OptionOpenDB{stdlib.OptionBeforeConnect(func(_ context.Context, c *pgx.ConnConfig) error {
		if tracer != nil {
			c.Tracer = tracer
		}
		if !setsPlanCacheMode(c.RuntimeParams) {
			c.RuntimeParams["plan_cache_mode"] = genericPlans
		}
		return nil
	})}
	db, err := gorm.Open(postgres.New(pc), cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", Redact(dsn), err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(size)
	sqlDB.SetMaxIdleConns(size)
	if !mustAnswer {
		return db, nil
	}
	if err := sqlDB.PingContext(context.Background()); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open %s: %w", Redact(dsn), err)
	}
	return db, nil
}

// Redact hides the password of a database URL, for logs and messages; a
// SQLite path comes back as it is.
func Redact(dsn string) string {
	if !IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "the PostgreSQL URL"
	}
	return u.Redacted()
}

// Exclusive runs fn while holding a lock named key that every process on
// this database shares: a PostgreSQL advisory lock, held on a connection
// of its own. On SQLite it is the one lock file beside the database,
// whatever the key (see lockPath).
func (s *Store) Exclusive(ctx context.Context, key string, fn func() error) error {
	if !s.dialect.postgres {
		unlock, err := lockFile(ctx, lockPath(s.file))
		if err != nil {
			return err
		}
		defer func() { _ = unlock() }()
		return fn()
	}
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		return translate(err, "lock "+key)
	}
	defer func() { _ = conn.Close() }()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(hashtext($1))", "headlines:"+key); err != nil {
		return translate(err, "lock "+key)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext($1))", "headlines:"+key)
	}()
	return fn()
}

package store

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
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
	primary, err := openPool(dsn, opt.MaxConns, watchedPostgres{st: st})
	if err != nil {
		return nil, err
	}
	s := &Store{w: primary, r: primary, dialect: postgresDialect, now: opt.Now, storage: st}
	for _, dsn := range opt.Replicas {
		r := &replica{}
		db, err := openPool(dsn, opt.MaxConns, r)
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("replica: %w", err)
		}
		r.db = db
		s.replicas = append(s.replicas, r)
	}
	if len(s.replicas) > 0 {
		s.unwatch = watchReplicas(s.replicas, replicaCheck)
	}
	return s, nil
}

// replicaCheck is how often every replica is pinged. A replica that stops
// answering loses its reads within this time (or at once, when a statement
// on it finds it gone), and one that answers again gets them back.
const replicaCheck = 500 * time.Millisecond

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

func (r *replica) saw(err error) {
	if err != nil && news.ErrorCode(translate(err, "")) == news.EUnavailable {
		r.down.Store(true)
	}
}

// watchReplicas pings each replica every interval, marking it down when it
// does not answer within the interval and up when it does (a pool busy
// with reads counts as answering, see ping), until stop is called; stop
// returns once the checks have ended.
func watchReplicas(replicas []*replica, every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for _, r := range replicas {
				db, err := r.db.DB()
				if err == nil {
					pctx, cancel := context.WithTimeout(ctx, every)
					err = ping(pctx, db)
					cancel()
				}
				if ctx.Err() == nil {
					r.down.Store(err != nil)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// openPool opens a pool of size connections on dsn, whose statements
// tracer sees when it is not nil.
func openPool(dsn string, size int, tracer pgx.QueryTracer) (*gorm.DB, error) {
	cfg := postgresDialect.gormConfig()
	pc := postgres.Config{DSN: dsn}
	if tracer != nil {
		pc.OptionOpenDB = []stdlib.OptionOpenDB{stdlib.OptionBeforeConnect(func(_ context.Context, c *pgx.ConnConfig) error {
			c.Tracer = tracer
			return nil
		})}
	}
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

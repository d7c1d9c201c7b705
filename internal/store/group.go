package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// groupCommit runs the article writes of concurrent requests as one
// transaction with one commit (one fsync), each write inside its own
// savepoint: a write that fails is rolled back to its savepoint and
// answered with its error, the others commit. A write is answered only
// after the commit that holds it, so nothing acknowledged can be lost. A
// lone write runs as a plain transaction.
//
// On SQLite the writes share the one writer connection. On PostgreSQL
// (postgres set) every write of an instance goes through one of the
// pool's connections, where they used to run as concurrent transactions
// that waited for one another on the change counter's row and each paid
// for its own commit:
//   - A savepoint costs a round trip to the server there, so a batch runs
//     without them first and, only when one of its writes fails, is
//     rolled back whole and run again with them.
//   - Each transaction first takes an advisory lock that the instances
//     sharing the database share, so that two instances' batches, which
//     lock articles in no common order, run one after the other rather
//     than deadlock; they already committed one at a time.
//   - The batch's change entries are written together at its end
//     (pendingChanges), so that it takes the change counter's row last,
//     as a lone write does. Taken by its first write, the row was held
//     while the next waited for rows that a theme's rename had locked
//     before waiting for the counter: a deadlock.
type groupCommit struct {
	w        *gorm.DB
	postgres bool
	queue    chan *groupWrite
	done     chan struct{} // closed when loop has returned

	mu     sync.RWMutex // held for reading while a write is queued
	closed bool         // no more writes are queued
}

type groupWrite struct {
	ctx    context.Context
	fn     func(tx *gorm.DB) error
	piped  *pipedInsert // the same write, as a statement a batch may send with others; or nil
	answer chan error
}

// pipedInsert is a write that a PostgreSQL batch sends together with the
// other such writes next to it, in one round trip (sendPiped): one
// statement that returns the new row's id, made by build when the batch
// comes to the write (so that what it takes from the clock follows the
// order of the commits, as the write's fn does), and done, which
// completes the write in the batch's transaction once the id is known,
// without another round trip. The write's fn stays what runs when the
// batch reruns with savepoints, or where the write is alone.
//
// Why: each round trip of a batch waits for the writer's goroutine to be
// scheduled again. With 32 connections reading page 1 from the response
// cache on the same core, that wait was a turn of every reader's
// goroutine, and a batch of 30 creates made 35 round trips.
type pipedInsert struct {
	build func() (sql string, args []any) // sql with PostgreSQL's $n placeholders
	done  func(tx *gorm.DB, id int64) error
}

// pipedStatement is a built pipedInsert's statement.
type pipedStatement struct {
	sql  string
	args []any
}

// maxGroup bounds how many writes share a commit.
const maxGroup = 64

func newGroupCommit(w *gorm.DB, postgres bool) *groupCommit {
	g := &groupCommit{w: w, postgres: postgres, queue: make(chan *groupWrite, maxGroup), done: make(chan struct{})}
	go g.loop()
	return g
}

// run queues fn and waits for the commit that holds it. After close it
// returns sql.ErrConnDone, as the closed pool would.
func (g *groupCommit) run(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return g.runPiped(ctx, fn, nil)
}

// runPiped is run for a write that a batch may also send as piped.
func (g *groupCommit) runPiped(ctx context.Context, fn func(tx *gorm.DB) error, piped *pipedInsert) error {
	req := &groupWrite{ctx: ctx, fn: fn, piped: piped, answer: make(chan error, 1)}
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return sql.ErrConnDone
	}
	select {
	case g.queue <- req:
		g.mu.RUnlock()
	case <-ctx.Done():
		g.mu.RUnlock()
		return ctx.Err()
	}
	// Once queued, the write may commit: its answer is awaited even if the
	// caller has given up, so that no error is reported for a stored write.
	return <-req.answer
}

// close stops the loop once it has committed the writes queued so far.
func (g *groupCommit) close() {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.queue)
	}
	g.mu.Unlock()
	<-g.done
}

func (g *groupCommit) loop() {
	defer close(g.done)
	for first := range g.queue {
		batch := []*groupWrite{first}
		// Let the requests being prepared reach the queue before taking
		// it: yield while the queue keeps growing. Without this, on one
		// core, the loop ran as soon as one write was queued and the other
		// handlers had not yet been scheduled: 1.15 writes per commit and
		// 600-660 creates/s with 32 writers; with it, 17 per commit and
		// 1,900/s. With nothing else to run, Gosched returns at once.
		for n := -1; n != len(g.queue); {
			n = len(g.queue)
			runtime.Gosched()
		}
	drain:
		for len(batch) < maxGroup {
			select {
			case r, ok := <-g.queue:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		g.commit(batch)
	}
}

// groupLock is the advisory lock that a batch takes on PostgreSQL, and
// every other transaction that locks several articles or a theme's row
// (see lockArticleWrites).
const groupLock = `SELECT pg_advisory_xact_lock(hashtext('headlines:article writes'))`

// lockArticleWrites takes groupLock in tx on PostgreSQL, first thing in a
// transaction that locks several articles or a theme's row: a batch of
// writes locks articles and themes in no order that such a transaction
// could share, so the two run one after the other instead. A theme's
// rename, which locks the theme's articles and then its row, deadlocked
// with batches that created an article naming the theme and then edited
// one of its articles.
func lockArticleWrites(tx *gorm.DB, postgres bool) error {
	if !postgres {
		return nil
	}
	return tx.Exec(groupLock).Error
}

func (g *groupCommit) commit(batch []*groupWrite) {
	if len(batch) == 1 {
		r := batch[0]
		r.answer <- g.w.WithContext(context.WithoutCancel(r.ctx)).Transaction(func(tx *gorm.DB) error {
			if err := lockArticleWrites(tx, g.postgres); err != nil {
				return err
			}
			return r.fn(tx)
		})
		return
	}
	// On PostgreSQL, where a savepoint is a round trip, without them
	// unless a write fails.
	if g.postgres && g.runBatch(batch, false) {
		return
	}
	g.runBatch(batch, true)
}

// runBatch runs batch in one transaction and answers its writes. With
// savepoints, a write that fails is rolled back to its own and answered
// with its error, and the others commit. Without them, a write that fails
// rolls the whole transaction back: runBatch then answers none and says so.
func (g *groupCommit) runBatch(batch []*groupWrite, savepoints bool) (answered bool) {
	errs := make([]error, len(batch))
	failed := false
	err := g.transaction(func(tx *gorm.DB, raw rawConn) error {
		if err := lockArticleWrites(tx, g.postgres); err != nil {
			return err
		}
		changes := g.changes()
		// The piped writes waiting to be sent, by their place in batch,
		// and their statements.
		var piped []int
		var stmts []pipedStatement
		send := func() error {
			if len(piped) == 0 {
				return nil
			}
			ids, err := sendPiped(raw, stmts)
			if err != nil {
				return err
			}
			for k, i := range piped {
				r := batch[i]
				if errs[i] = r.piped.done(tx.WithContext(changes.in(context.WithoutCancel(r.ctx))), ids[k]); errs[i] != nil {
					return errs[i]
				}
			}
			piped, stmts = piped[:0], stmts[:0]
			return nil
		}
		for i, r := range batch {
			if err := r.ctx.Err(); err != nil {
				errs[i] = err // gave up before its turn: not run
				continue
			}
			if !savepoints && raw != nil && r.piped != nil {
				sql, args := r.piped.build()
				piped, stmts = append(piped, i), append(stmts, pipedStatement{sql, args})
				continue
			}
			if err := send(); err != nil {
				failed = true
				return err
			}
			kept := changes.len()
			sp := fmt.Sprintf("w%d", i)
			if savepoints {
				if err := tx.SavePoint(sp).Error; err != nil {
					return err
				}
			}
			// A started write is not interrupted by its request's context:
			// SQLite rolls back the whole transaction when a statement is
			// interrupted, and that would take the others' writes with it.
			errs[i] = r.fn(tx.WithContext(changes.in(context.WithoutCancel(r.ctx))))
			if !savepoints {
				if errs[i] != nil {
					failed = true
					return errs[i]
				}
				continue
			}
			if errs[i] != nil {
				if err := tx.RollbackTo(sp).Error; err != nil {
					return err
				}
				changes.truncate(kept)
			}
			// GORM has SavePoint and RollbackTo, but no release.
			if err := tx.Exec("RELEASE SAVEPOINT " + sp).Error; err != nil {
				return err
			}
		}
		if err := send(); err != nil {
			failed = true
			return err
		}
		return changes.record(tx)
	})
	if failed {
		return false
	}
	for i, r := range batch {
		if err != nil {
			errs[i] = err // the commit failed: none of them is stored
		}
		r.answer <- errs[i]
	}
	return true
}

// rawConn runs f on the pgx connection of a batch's transaction.
type rawConn func(f func(c *pgx.Conn) error) error

// transaction runs fn in a transaction of the writer's pool. On
// PostgreSQL the transaction runs on a connection held for it, whose pgx
// connection raw reaches; on SQLite raw is nil.
func (g *groupCommit) transaction(fn func(tx *gorm.DB, raw rawConn) error) error {
	if !g.postgres {
		return g.w.Transaction(func(tx *gorm.DB) error { return fn(tx, nil) })
	}
	return g.w.Connection(func(c *gorm.DB) error {
		conn, ok := c.Statement.ConnPool.(*sql.Conn)
		if !ok {
			return fmt.Errorf("group commit: a held connection is a %T", c.Statement.ConnPool)
		}
		raw := func(f func(c *pgx.Conn) error) error {
			return conn.Raw(func(dc any) error {
				sc, ok := dc.(*stdlib.Conn)
				if !ok {
					return fmt.Errorf("group commit: the driver's connection is a %T", dc)
				}
				return f(sc.Conn())
			})
		}
		return c.Transaction(func(tx *gorm.DB) error { return fn(tx, raw) })
	})
}

// sendPiped sends stmts in one round trip, in the transaction that raw
// reaches, and returns the ids they returned. A statement that fails
// fails the transaction.
func sendPiped(raw rawConn, stmts []pipedStatement) ([]int64, error) {
	ids := make([]int64, len(stmts))
	err := raw(func(c *pgx.Conn) error {
		b := &pgx.Batch{}
		for _, st := range stmts {
			b.Queue(st.sql, st.args...)
		}
		res := c.SendBatch(context.Background(), b)
		for k := range stmts {
			if err := res.QueryRow().Scan(&ids[k]); err != nil {
				_ = res.Close()
				return err
			}
		}
		return res.Close()
	})
	return ids, err
}

// changes is where a batch's writes leave their change entries: on
// PostgreSQL a pendingChanges, on SQLite none (nil), where each write
// records its own as it goes, the one writer holding the database.
func (g *groupCommit) changes() *pendingChanges {
	if !g.postgres {
		return nil
	}
	return &pendingChanges{}
}

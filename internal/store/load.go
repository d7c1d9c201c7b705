package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/mattn/go-sqlite3"

	"github.com/headlines/headlines/internal/news"
)

// A load fills a SQLite database that has no articles yet, in one
// transaction: what `headlines import` does to a new database. Articles go
// in as they come, with no index but the url's and no full-text trigger;
// the tag, pair and change rows are then made from the stored articles in
// SQL, in order of publication, and the indexes and the full-text index are built
// once at the end. Upserting the same records batch by batch updates every
// index at random places and the full-text index row by row: at a million
// articles that took 392 s.
//
// The transaction holds the write lock throughout: other writers wait, and
// readers see an empty database until the commit. A failure or a crash
// leaves the database as it was, empty.
//
// When no other connection has the file open, the load runs with a
// rollback journal instead of the write-ahead log, and the database goes
// back to WAL when it ends. The journal then holds the few pages of the
// empty database, and the load's gigabyte is written once, straight into
// the file: through the log, the commit wrote it as frames that straddle
// the file system's pages (8 s for a million articles, against about 1 s)
// and a checkpoint copied it again. A crash part way leaves a hot journal,
// which the next connection rolls back before anything reads the file.
type load struct {
	s    *Store
	ctx  context.Context
	conn *sql.Conn
	tx   *sql.Tx
	st   *bulkStatements
	now  int64
	// first and restore recreate the indexes and triggers dropped for the
	// load, from their own SQL in the schema: first the indexes of
	// articles, before the tag rows are made, then the others.
	first, restore []string
	seed           maphash.Seed
	urls           map[uint64]struct{} // hashes of the urls loaded
	done           bool
	journal        bool // the load left WAL for a rollback journal
}

// loadTables are the tables whose secondary indexes and triggers a load
// drops and builds again.
var loadTables = []string{"articles", "article_countries", "article_themes", "article_pairs", "changes"}

// BeginLoad starts a load when the database is SQLite and has no articles;
// otherwise it returns nil and the caller upserts as usual.
func (s *Store) BeginLoad(ctx context.Context) (news.Loader, error) {
	if s.dialect.postgres {
		return nil, nil
	}
	calm := context.WithoutCancel(ctx) // see upsertMany
	// The vocabulary, read now: the load's records are resolved and tagged
	// from it while the load holds the file (see Store.loads).
	if _, err := s.loadThemeKeys(ctx); err != nil {
		return nil, err
	}
	if _, err := s.loadTagger(ctx); err != nil {
		return nil, err
	}
	conn, err := s.DB().Conn(calm)
	if err != nil {
		return nil, translate(err, "import")
	}
	l := &load{s: s, ctx: calm, conn: conn, now: micros(s.now()), seed: maphash.MakeSeed(), urls: map[uint64]struct{}{}}
	s.loads.Add(1)
	ok, err := l.begin()
	if err != nil || !ok {
		l.Rollback()
		return nil, err
	}
	return l, nil
}

func (l *load) begin() (bool, error) {
	for _, p := range []string{
		// Sorting for index builds on worker threads too.
		"PRAGMA threads = 2",
		// Every tag was resolved against the vocabulary before it came
		// here, and the rows made from the articles name their own ids:
		// checking each of millions of rows again costs seconds.
		"PRAGMA foreign_keys = OFF",
	} {
		if _, err := l.conn.ExecContext(l.ctx, p); err != nil {
			return false, translate(err, "import")
		}
	}
	if err := l.leaveWAL(); err != nil {
		return false, translate(err, "import")
	}
	tx, err := l.conn.BeginTx(l.ctx, nil)
	if err != nil {
		return false, translate(err, "import")
	}
	l.tx = tx
	var some int
	err = tx.QueryRowContext(l.ctx, `SELECT EXISTS (SELECT 1 FROM articles)`).Scan(&some)
	if err != nil || some != 0 {
		return false, translate(err, "import")
	}
	drop, err := l.schemaToRebuild()
	if err != nil {
		return false, translate(err, "import")
	}
	for _, q := range drop {
		if _, err := tx.ExecContext(l.ctx, q); err != nil {
			return false, translate(err, "import")
		}
	}
	l.st = &bulkStatements{ctx: l.ctx, tx: tx, d: l.s.dialect, stmts: map[string]*sql.Stmt{}}
	return true, nil
}

// leaveWAL switches the database to a rollback journal for the load when
// this connection is the only one open on the file; otherwise the load
// goes through the log as every write does. The read pool's idle
// connections are closed first, since each keeps the file open in WAL
// mode; a reader that opens during the load reads the empty database
// through the journal (read connections do not ask for WAL themselves:
// the mode is kept in the file, which the writer set when it opened).
func (l *load) leaveWAL() error {
	if rdb, err := l.s.r.DB(); err == nil {
		n := rdb.Stats().MaxOpenConnections
		rdb.SetMaxIdleConns(0)
		defer rdb.SetMaxIdleConns(n)
	}
	var mode string
	if err := l.conn.QueryRowContext(l.ctx, "PRAGMA journal_mode = DELETE").Scan(&mode); err != nil {
		var se sqlite3.Error
		if errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) {
			return nil // another connection holds the file in WAL mode
		}
		return err
	}
	l.journal = mode == "delete"
	return nil
}

// schemaToRebuild lists the statements that drop the secondary indexes
// and triggers of loadTables, and keeps those that create them again.
func (l *load) schemaToRebuild() (drop []string, err error) {
	rows, err := l.tx.QueryContext(l.ctx, `SELECT type, name, tbl_name, sql FROM sqlite_schema
		WHERE type IN ('index', 'trigger') AND sql IS NOT NULL AND tbl_name IN (?, ?, ?, ?, ?) ORDER BY type, name`,
		loadTables[0], loadTables[1], loadTables[2], loadTables[3], loadTables[4])
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var typ, name, table, ddl string
		if err := rows.Scan(&typ, &name, &table, &ddl); err != nil {
			return nil, err
		}
		if typ == "index" && strings.Contains(ddl, " WHERE ") {
			// A partial index (articles_drafts) stays: the load adds the
			// few entries it holds as rows come, where building it again
			// would read every article.
			continue
		}
		drop = append(drop, fmt.Sprintf("DROP %s %q", typ, name))
		// The indexes of articles come back first: the pair rows are
		// made in order of publication, through articles_published.
		if typ == "index" && table == "articles" {
			l.first = append(l.first, ddl)
		} else {
			l.restore = append(l.restore, ddl)
		}
	}
	return drop, rows.Err()
}

// Add stores drafts as articles; one whose url came earlier in the load
// replaces that article, as an upsert does.
func (l *load) Add(_ context.Context, drafts []news.Draft) ([]bool, error) {
	created := make([]bool, len(drafts))
	for i, d := range drafts {
		// The database had no articles: a url is taken only if it came
		// earlier in the load, which a hash of each url tells cheaply (a
		// collision costs one lookup).
		var existing int64
		if d.URL != "" {
			h := maphash.String(l.seed, d.URL)
			if _, seen := l.urls[h]; seen {
				err := l.st.queryRow(sqlFindURL, []any{d.URL}, &existing)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return nil, translate(err, "import")
				}
			}
			l.urls[h] = struct{}{}
		}
		var err error
		if existing == 0 {
			_, err = l.st.execResult(sqlInsertArticle, insertArgs(d, published(d, l.now), l.now)...)
			created[i] = true
		} else {
			var stored int64
			err = l.st.queryRow(sqlBulkUpdate, updateArgs(d, keptTime(d), l.now, existing), &stored)
		}
		if err != nil {
			return nil, translate(err, "import")
		}
	}
	return created, nil
}

// tagRows lists an article's tags from its comma-separated column as rows
// of json_each: tag codes and slugs never hold a comma or a quote.
const tagRows = `json_each('["' || replace(%s, ',', '","') || '"]')`

// loadFinish makes the rows the articles imply and builds what was dropped.
// The country and theme rows go in sorted by their key, each after the one
// before it (a million articles imported in 33.8, 34.6, 36.6 s against
// 38.1, 36.9, 38.3 s in date order, alternating runs); the pairs, three
// times as many and wider, cost the same either way and skip the sort.
var loadFinish = []string{
	`INSERT INTO article_countries (country, published_at, article_id)
	SELECT c.value, a.published_at, a.id FROM articles a, ` + fmt.Sprintf(tagRows, "a.countries") + ` c
	WHERE a.countries <> '' ORDER BY 1, 2, 3`,
	`INSERT INTO article_themes (theme, published_at, article_id)
	SELECT t.value, a.published_at, a.id FROM articles a, ` + fmt.Sprintf(tagRows, "a.themes") + ` t
	WHERE a.themes <> '' ORDER BY 1, 2, 3`,
	`INSERT INTO article_pairs (country, theme, published_at, article_id, countries, themes)
	SELECT c.value, t.value, a.published_at, a.id, a.countries, a.themes
	FROM articles a, ` + fmt.Sprintf(tagRows, "a.countries") + ` c, ` + fmt.Sprintf(tagRows, "a.themes") + ` t
	WHERE a.status = 'published' AND a.countries <> '' AND a.themes <> '' ORDER BY a.published_at, a.id`,
	// The tag-set counts: rows left at zero by articles deleted before go.
	`DELETE FROM article_tagsets`,
	`INSERT INTO article_tagsets (country, theme, countries, themes, n)
	SELECT country, theme, countries, themes, count(*) FROM article_pairs GROUP BY 1, 2, 3, 4`,
	// The change feed: every article once, in id order, after whatever the
	// feed held (tombstones of articles deleted before).
	`INSERT INTO changes (seq, article_id, deleted, changed_at)
	SELECT (SELECT seq FROM change_seq WHERE id = 1) + row_number() OVER (ORDER BY id), id, FALSE, updated_at
	FROM articles ORDER BY id`,
	`UPDATE change_seq SET seq = seq + (SELECT count(*) FROM articles) WHERE id = 1`,
}

// Commit makes the tag, pair and change rows, builds the indexes and
// commits: the load is on disk when it returns.
func (l *load) Commit(context.Context) error {
	defer l.Rollback()
	l.st.close()
	l.st = nil
	steps := append(append(append(l.first, loadFinish...), l.restore...),
		`INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')`)
	for _, q := range steps {
		if _, err := l.tx.ExecContext(l.ctx, q); err != nil {
			return translate(err, "import")
		}
	}
	if err := l.tx.Commit(); err != nil {
		return translate(err, "import")
	}
	l.done = true
	if !l.journal {
		// The commit synced the log (synchronous=FULL, as for every
		// write), so the load is on disk. Copying the log into the
		// database file now rather than on some later write keeps the log
		// from staying as large as the database; a reader that holds it
		// up only delays that.
		_, _ = l.conn.ExecContext(l.ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
	return nil
}

// Rollback ends the load, undoing it unless it was committed, and gives
// the writer connection back with its usual settings.
func (l *load) Rollback() {
	if l.conn == nil {
		return
	}
	if l.st != nil {
		l.st.close()
		l.st = nil
	}
	if l.tx != nil && !l.done {
		_ = l.tx.Rollback()
	}
	for _, p := range []string{
		"PRAGMA threads = 0",
		"PRAGMA foreign_keys = ON",
	} {
		_, _ = l.conn.ExecContext(l.ctx, p)
	}
	if l.journal {
		// Back to WAL. Should that fail (a reader of the journal in the
		// middle of a read), the next connection to open the file as a
		// writer asks for WAL again.
		_, _ = l.conn.ExecContext(l.ctx, "PRAGMA journal_mode = WAL")
	}
	_ = l.conn.Close()
	l.conn = nil
	l.s.loads.Add(-1)
}

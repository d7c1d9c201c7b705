package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/headlines/headlines/internal/news"
)

// A load fills a SQLite database that has no articles yet, in one
// transaction: what `headlines import` does to a new database. Articles go
// in as they come, with no secondary index (but the partial one of drafts)
// and no full-text trigger; the tag, pair and tag-set rows are then made
// in Go, sorted by their keys (see loadTags), the change rows in SQL, and
// the indexes and the full-text index are built once at the end. Upserting
// the same records batch by batch updates every index at random places
// and the full-text index row by row: at a million articles that took
// 392 s. HEADLINES_LOAD_TRACE=1 prints how long each step takes.
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
	loadBase
	// first and restore recreate the indexes and triggers dropped for the
	// load, from their own SQL in the schema: first the indexes of
	// articles, while the tag rows are made, then the others.
	first, restore []string
	pending        []pendingArticle // new articles not yet inserted (see flush)
	args           []any            // flush's, kept for the next
	// ids are the first and last ids of the articles inserted; gaps, that
	// some id between them is not an article's (see loadFeed).
	ids       [2]int64
	gaps      bool
	cacheSize int          // the connection's cache_size, given back at the end
	side      string       // the side file, attached as load_side; "" for none
	sideDDL   []string     // the SQL of sideTables
	journal   bool         // the load left WAL for a rollback journal
	json      bytes.Buffer // listJSON's
}

// loadBase is what a load of either database holds.
type loadBase struct {
	s       *Store
	ctx     context.Context
	conn    *sql.Conn
	inTx    bool // the load's transaction is open
	st      *bulkStatements
	now     int64
	seed    maphash.Seed
	urls    map[uint64]int64 // hashes of the urls loaded, to their articles
	tags    loadTags
	started time.Time
	// feed writes the change rows and sets the counter at Commit: by
	// default every article once, in id order (the load's loadFeed); an
	// exact restore writes the entries it was given (see exactRestore).
	feed func() error
}

func newLoadBase(s *Store, calm context.Context, conn *sql.Conn) loadBase {
	return loadBase{s: s, ctx: calm, conn: conn, now: micros(s.now()), started: time.Now(),
		seed: maphash.MakeSeed(), urls: map[uint64]int64{}}
}

// exec runs steps on the load's connection, each traced.
func (l *loadBase) exec(steps ...string) error {
	for _, q := range steps {
		tr := time.Now()
		if _, err := l.conn.ExecContext(l.ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		trace(q, tr)
	}
	return nil
}

// loadTables are the tables whose secondary indexes and triggers a load
// drops and builds again.
var loadTables = []string{"articles", "article_countries", "article_themes", "article_pairs", "changes"}

// BeginLoad starts a load when the database has no articles (see load,
// and pgLoad for PostgreSQL); otherwise it returns nil and the caller
// upserts as usual.
func (s *Store) BeginLoad(ctx context.Context) (news.Loader, error) {
	if s.dialect.postgres {
		l, err := s.startPGLoad(ctx, false)
		if l == nil || err != nil {
			return nil, err
		}
		return l, nil
	}
	l, err := s.startLoad(ctx, false)
	if l == nil || err != nil {
		return nil, err
	}
	return l, nil
}

// startLoad starts a load into a SQLite database that has no articles
// and, for an exact restore, no tombstones; otherwise it returns nil.
func (s *Store) startLoad(ctx context.Context, exact bool) (*load, error) {
	// The load's records are resolved and tagged from the vocabulary
	// snapshot in memory, which the refresher leaves alone while the load
	// holds the file (see Store.loads).
	return startWith(s, ctx, exact, func(calm context.Context, conn *sql.Conn) *load {
		l := &load{loadBase: newLoadBase(s, calm, conn)}
		l.feed = l.loadFeed
		return l
	})
}

// beginner is a load of either database, as startWith begins it.
type beginner interface {
	begin(exact bool) (bool, error)
	Rollback()
}

// startWith starts a load that start makes on a connection of its own,
// counted in Store.loads until its Rollback, and begins it; it returns
// nil when the database is not one to load into.
func startWith[L beginner](s *Store, ctx context.Context, exact bool, start func(calm context.Context, conn *sql.Conn) L) (L, error) {
	var none L
	calm := context.WithoutCancel(ctx) // see upsertMany
	conn, err := s.DB().Conn(calm)
	if err != nil {
		return none, translate(err, "import")
	}
	l := start(calm, conn)
	s.loads.Add(1)
	ok, err := l.begin(exact)
	if err != nil || !ok {
		l.Rollback()
		return none, err
	}
	return l, nil
}

func (l *load) begin(exact bool) (bool, error) {
	// A page cache of at most 256 MiB: a load writes each table and index
	// in key order, so it needs few pages at a time, and the pages it
	// fills spill to the file while it runs. With the 1 GiB that imports
	// ask for, the whole database waited in memory for the commit: a
	// million articles imported in 33.4 and 33.0 s against 36.1 and
	// 34.7 s (commit 1.6 and 0.9 s against 3.7 and 4.2 s; peak RSS 1.1 GB
	// against 1.4–1.6 GB; alternating runs).
	var pageSize int
	if err := l.conn.QueryRowContext(l.ctx, "PRAGMA cache_size").Scan(&l.cacheSize); err != nil {
		return false, translate(err, "import")
	}
	if err := l.conn.QueryRowContext(l.ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return false, translate(err, "import")
	}
	cacheKiB := -l.cacheSize // negative: KiB; positive: pages
	if l.cacheSize > 0 {
		cacheKiB = l.cacheSize * pageSize / 1024
	}
	for _, p := range []string{
		fmt.Sprintf("PRAGMA cache_size = %d", -min(cacheKiB, 256<<10)),
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
	if err := l.attachSide(); err != nil {
		return false, translate(err, "import")
	}
	// A deferred BEGIN, then a write to take the main database's write
	// lock at once: BEGIN IMMEDIATE would lock the side file too, which
	// another connection fills (see attachSide).
	if _, err := l.conn.ExecContext(l.ctx, "BEGIN"); err != nil {
		return false, translate(err, "import")
	}
	l.inTx = true
	if _, err := l.conn.ExecContext(l.ctx, "UPDATE change_seq SET seq = seq WHERE id = 1"); err != nil {
		return false, translate(err, "import")
	}
	var some int
	q := `SELECT EXISTS (SELECT 1 FROM articles)`
	if exact {
		q += ` OR EXISTS (SELECT 1 FROM article_tombstones)`
	}
	err := l.conn.QueryRowContext(l.ctx, q).Scan(&some)
	if err != nil || some != 0 {
		return false, translate(err, "import")
	}
	drop, err := l.schemaToRebuild()
	if err != nil {
		return false, translate(err, "import")
	}
	for _, q := range drop {
		if _, err := l.conn.ExecContext(l.ctx, q); err != nil {
			return false, translate(err, "import")
		}
	}
	l.st = &bulkStatements{ctx: l.ctx, tx: l.conn, d: l.s.dialect, stmts: map[string]*sql.Stmt{}}
	return true, nil
}

// sideTables are the tables a load fills in its side file.
var sideTables = []string{"article_countries", "article_themes", "article_pairs", "article_tagsets"}

// attachSide makes an empty side file beside the database and attaches it
// as load_side, before the load's transaction begins (SQLite attaches no
// file inside one). At the end, another connection fills it with the tag
// rows on another core while this one builds the full-text index, and
// this one then copies them in: SQLite copies a table into an empty one
// of the same shape without decoding its rows. It keeps the tables' SQL
// for the other connection. A database with no file gets no side file.
func (l *load) attachSide() error {
	var path string
	if err := l.conn.QueryRowContext(l.ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil || path == "" {
		return err
	}
	rows, err := l.conn.QueryContext(l.ctx, `SELECT sql FROM sqlite_schema WHERE type = 'table' AND name IN (?, ?, ?, ?) ORDER BY name`,
		sideTables[0], sideTables[1], sideTables[2], sideTables[3])
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var ddl string
		if err := rows.Scan(&ddl); err != nil {
			return err
		}
		l.sideDDL = append(l.sideDDL, ddl)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	side := path + "-load"
	if err := os.Remove(side); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err // left by a load that was killed
	}
	if _, err := l.conn.ExecContext(l.ctx, `ATTACH DATABASE ? AS load_side`, side); err != nil {
		return err
	}
	l.side = side
	return nil
}

// fillSide makes the tag rows and writes them to the side file, on a
// connection of its own, and closes it.
func (l *load) fillSide() error {
	rows := l.tags.rows()
	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: l.side}).EscapedPath()+
		"?_journal_mode=OFF&_synchronous=OFF&_cache_size=-16384")
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(l.ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	for _, ddl := range l.sideDDL {
		if _, err := tx.ExecContext(l.ctx, ddl); err != nil {
			return err
		}
	}
	st := &bulkStatements{ctx: l.ctx, tx: tx, d: l.s.dialect, stmts: map[string]*sql.Stmt{}}
	defer st.close()
	if err := insertTagRows(st, rows); err != nil {
		return err
	}
	return tx.Commit()
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
	rows, err := l.conn.QueryContext(l.ctx, `SELECT type, name, tbl_name, sql FROM sqlite_schema
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
		// The indexes of articles come back first, while other cores
		// make the tag rows.
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
	for i := range drafts {
		d := &drafts[i]
		var hash uint64
		if d.URL != "" {
			hash = maphash.String(l.seed, d.URL)
		}
		existing, err := l.stored(d.URL, hash)
		if err == nil && existing == pendingID {
			// Its url came earlier in this batch: store that one first.
			if err = l.flush(); err == nil {
				existing, err = l.stored(d.URL, hash)
			}
		}
		if err != nil {
			return nil, translate(err, "import")
		}
		pub := published(*d, l.now)
		countries, themes := tagText(d.Countries), tagText(d.Themes)
		if existing == 0 {
			created[i] = true
			l.pending = append(l.pending, pendingArticle{d: d, pub: pub, hash: hash, countries: countries, themes: themes})
			if d.URL != "" {
				l.urls[hash] = pendingID
			}
			if len(l.pending) == loadInsertRows {
				err = l.flush()
			}
		} else if err = l.st.queryRow(sqlBulkUpdate, updateArgs(*d, keptTime(*d), l.now, existing), &pub); err == nil {
			l.tags.add(existing, pub, countries, themes, d.Status == news.StatusPublished)
			// The load has dropped the trigger that would clear it.
			_, err = l.st.execResult(`UPDATE articles SET list_json = NULL WHERE id = ?`, existing)
		}
		if err != nil {
			return nil, translate(err, "import")
		}
	}
	if err := l.flush(); err != nil {
		return nil, translate(err, "import")
	}
	return created, nil
}

// pendingID marks a url whose article waits in load.pending.
const pendingID = -1

// loadInsertRows is how many articles a load inserts per statement: binding
// their values costs the same, but each statement costs a round of calls
// into SQLite (a million rows into a test table took 4.9 s 40 at a time,
// against 7.0 s one at a time).
const loadInsertRows = 50

// sqlInsertArticle with the list JSON (see listjson.go), as the head and
// one row of a multi-row INSERT, and that INSERT of loadInsertRows rows.
var (
	articleInsertHead, articleInsertTuple = splitValues(strings.Replace(strings.Replace(sqlInsertArticle,
		"auto_tags)", "auto_tags, list_json)", 1), "?)", "?, ?)", 1))
	loadInsertSQL = multiRow(articleInsertHead, articleInsertTuple, loadInsertRows)
)

// splitValues splits a one-row INSERT after its VALUES keyword.
func splitValues(insert string) (head, tuple string) {
	head, tuple, _ = strings.Cut(insert, "VALUES")
	return head + "VALUES", strings.TrimSpace(tuple)
}

// pendingArticle is an article that waits to be inserted, published at
// pub, with its url's hash and its tag texts. It waits no longer than the
// Add that gave its draft.
type pendingArticle struct {
	d                 *news.Draft
	pub               int64
	hash              uint64
	countries, themes string
}

// flush inserts the pending articles in one statement. SQLite numbers the
// rows of one INSERT one after the other, each the highest rowid yet plus
// one, so the last rowid gives every id.
func (l *load) flush() error {
	k := len(l.pending)
	if k == 0 {
		return nil
	}
	q := loadInsertSQL
	if k < loadInsertRows {
		q = multiRow(articleInsertHead, articleInsertTuple, k)
	}
	// Each article's list JSON goes in with it, made for the id SQLite
	// gives it (sqlNextArticleID, then one after the other).
	next := l.ids[1] + 1
	if l.ids[1] == 0 {
		if err := l.st.queryRow(sqlNextArticleID, nil, &next); err != nil {
			return err
		}
	}
	args := l.args[:0]
	for i, p := range l.pending {
		args = appendInsertArgs(args, p.d, p.pub, l.now, p.countries, p.themes)
		args = append(args, l.listJSON(next+int64(i), p))
	}
	l.args = args
	res, err := l.st.execResult(q, args...)
	if err != nil {
		return err
	}
	last, err := res.LastInsertId()
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(k) {
		return fmt.Errorf("inserted %d articles of %d: %w", n, k, err)
	}
	first := last - int64(k-1)
	if first != next {
		// Not the ids the JSON was made for: the articles are read in full
		// until KeepListJSON writes theirs.
		if _, err := l.conn.ExecContext(l.ctx, `UPDATE articles SET list_json = NULL WHERE id BETWEEN ? AND ?`, first, last); err != nil {
			return err
		}
	}
	switch {
	case l.ids[1] == 0:
		l.ids[0] = first
	case first != l.ids[1]+1:
		l.gaps = true
	}
	l.ids[1] = last
	for i, p := range l.pending {
		id := last - int64(k-1-i)
		l.tags.add(id, p.pub, p.countries, p.themes, p.d.Status == news.StatusPublished)
		if p.d.URL != "" {
			l.urls[p.hash] = id
		}
	}
	clear(l.pending) // the drafts are the caller's
	l.pending = l.pending[:0]
	return nil
}

// stored returns the id of the article that came earlier in the load with
// url, whose hash is given, or 0. The database had no articles, and the
// url's index is built at the end: a hash of each url loaded tells where
// to look (two urls with one hash cost a scan of the table).
func (l *load) stored(url string, hash uint64) (int64, error) {
	if url == "" {
		return 0, nil
	}
	id, seen := l.urls[hash]
	if !seen || id == pendingID {
		return id, nil
	}
	var same int
	if err := l.st.queryRow(`SELECT url = ? FROM articles WHERE id = ?`, []any{url, id}, &same); err != nil {
		return 0, err
	}
	if same == 1 {
		return id, nil
	}
	err := l.st.queryRow(sqlFindURL, []any{url}, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// loadFinish makes the change rows the articles imply (the tag rows come
// from loadTags).
var loadFinish = []string{
	// The change feed: every article once, in id order, after whatever the
	// feed held (tombstones of articles deleted before).
	`INSERT INTO changes (seq, article_id, deleted, changed_at)
	SELECT (SELECT seq FROM change_seq WHERE id = 1) + row_number() OVER (ORDER BY id), id, FALSE, updated_at
	FROM articles ORDER BY id`,
	`UPDATE change_seq SET seq = seq + (SELECT count(*) FROM articles) WHERE id = 1`,
	// Tag-set counts left at zero by articles deleted before the load.
	`DELETE FROM article_tagsets`,
}

// loadSearchIndex fills the full-text index, which is contentless and
// keyed by date (migrations 00014, 00021), in one pass in key order (an entry
// written below the last key would make the index flush what it holds),
// and leaves it in one segment (see searchIndexMerge).
//
// It is built with FTS5's own settings, which flush every 1 MiB of terms
// and merge as segments pile up. Holding 64 MiB and merging only at the
// end built it faster (8.2 → 5.5 s at a million articles), but left its
// one segment at level 1 of FTS5's merge tree rather than 5: the first
// writes after the import merged into it, the whole index again and
// again, and 32 writers made 1,206 creates/s against 3,993 with p99 1.8 s
// against 0.15 s.
var loadSearchIndex = []string{
	`INSERT INTO articles_fts (rowid, title, summary, body, tags)
	SELECT ` + searchKeySQL("published_at", "id") + `, title, summary, body, ` + searchTagsSQL("countries", "themes") + ` FROM articles ORDER BY 1`,
	searchIndexMerge,
}

// loadFeedIDs writes the change rows of articles first to last, every
// id in between an article's, all written at the load's time, and moves
// the counter past them: loadFinish's first two steps without reading the
// articles (at a million articles 0.4 s of CPU against 0.9 s). A load
// inserts its articles in one transaction that deletes none, so their ids
// follow one another, and each one's updated_at is the load's time.
const loadFeedIDs = `WITH RECURSIVE ids (id) AS (SELECT ?1 UNION ALL SELECT id + 1 FROM ids WHERE id < ?2)
	INSERT INTO changes (seq, article_id, deleted, changed_at)
	SELECT (SELECT seq FROM change_seq WHERE id = 1) + id - ?1 + 1, id, FALSE, ?3 FROM ids`

// loadFeed is a load's feed: loadFinish, with loadFeedIDs for its first
// two steps unless the ids have a gap.
func (l *load) loadFeed() error {
	if l.gaps {
		return l.exec(loadFinish...)
	}
	if first, last := l.ids[0], l.ids[1]; last != 0 {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{loadFeedIDs, []any{first, last, l.now}},
			{`UPDATE change_seq SET seq = seq + ? WHERE id = 1`, []any{last - first + 1}},
		} {
			tr := time.Now()
			if _, err := l.conn.ExecContext(l.ctx, q.sql, q.args...); err != nil {
				return err
			}
			trace(q.sql, tr)
		}
	}
	return l.exec(loadFinish[2])
}

// Commit makes the tag, pair and change rows and the article counts,
// builds the indexes and commits: the load is on disk when it returns.
func (l *load) Commit(context.Context) error {
	defer l.Rollback()
	trace("articles", l.started)
	// The tag rows are made, sorted and written to the side file on other
	// cores while this connection indexes the articles, writes the change
	// feed and builds the full-text index; then they are copied in. With
	// no side file, they are written here.
	filled := make(chan error, 1)
	tr := time.Now()
	if l.side != "" {
		go func() { filled <- l.fillSide() }()
	}
	err := l.exec(l.first...)
	if err == nil {
		err = l.feed()
	}
	if l.side == "" && err == nil {
		err = insertTagRows(l.st, l.tags.rows())
	}
	l.st.close()
	l.st = nil
	if err == nil {
		err = l.exec(loadSearchIndex...)
	}
	if l.side != "" {
		if ferr := <-filled; err == nil {
			err = ferr
		}
		trace("tag rows, made in the side file", tr)
		for _, t := range sideTables {
			if err == nil {
				err = l.exec(fmt.Sprintf(`INSERT INTO main.%[1]s SELECT * FROM load_side.%[1]s`, t))
			}
		}
	}
	l.tags = loadTags{}
	if err == nil {
		// The article counts, whose triggers on articles the load dropped.
		err = l.s.dialect.recountTags(func(q string, _ ...any) error { return l.exec(q) })
	}
	if err == nil {
		err = l.exec(l.restore...)
	}
	if err != nil {
		return translate(err, "import")
	}
	return l.commit()
}

// commit commits the load's transaction.
func (l *load) commit() error {
	tr := time.Now()
	if _, err := l.conn.ExecContext(l.ctx, "COMMIT"); err != nil {
		return translate(err, "import")
	}
	l.inTx = false
	trace("commit", tr)
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
	if l.inTx {
		_, _ = l.conn.ExecContext(l.ctx, "ROLLBACK")
	}
	if l.side != "" {
		_, _ = l.conn.ExecContext(l.ctx, "DETACH DATABASE load_side")
		_ = os.Remove(l.side)
	}
	for _, p := range []string{
		"PRAGMA threads = 0",
		"PRAGMA foreign_keys = ON",
		fmt.Sprintf("PRAGMA cache_size = %d", l.cacheSize),
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

// trace prints how long a step of the load took, from start, to standard
// error when HEADLINES_LOAD_TRACE is set.
func trace(step string, start time.Time) {
	if os.Getenv("HEADLINES_LOAD_TRACE") != "" {
		fmt.Fprintf(os.Stderr, "load: %6.2f s  %.60s\n", time.Since(start).Seconds(), strings.Join(strings.Fields(step), " "))
	}
}

package store

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/headlines/headlines/internal/news"
)

// A pgLoad fills a PostgreSQL database that has no articles yet, in one
// transaction, as load does SQLite's: what `headlines import` does to a
// new database, and the exact restore of an export. The tables of
// loadTables lose their secondary indexes, unique and foreign keys (but
// the primary key of articles, by which a url that comes again is
// rewritten, and the partial index of drafts) and their triggers are
// disabled; articles go in with COPY, numbered by the load; the tag, pair
// and tag-set rows are made in Go, sorted by their keys (see loadTags),
// and copied in at the end with the change feed; then the indexes and keys
// are built once, the foreign keys checked once, and the triggers enabled
// again. Upserting the same records batch by batch, with every index and
// foreign key checked row by row, took 1,284 s for a million articles.
// HEADLINES_LOAD_TRACE=1 prints how long each step takes.
//
// Dropping an index locks its table: until the commit, other writers and
// readers of articles and of its tag tables wait (readers of SQLite's
// load see an empty database instead). A failure leaves the database as
// it was, empty, with its schema as it was.
type pgLoad struct {
	loadBase
	// nextID is the id of the next new article, taken from the sequence
	// of articles.id (see number); 0 until the first.
	nextID int64
	// copied: every article numbered below it is in the table.
	copied int64
	// first and rebuild create again what the load dropped: first the
	// indexes and keys of articles, then the others and the foreign keys;
	// enable enables the triggers it disabled.
	first, rebuild, enable []string
	// emptied are the tables the load truncated, which COPY fills with
	// rows frozen and marked visible to all (see begin).
	emptied map[string]bool
	ids     []int64 // the loaded articles' ids in order, for the feed (see Commit)
	pending [][]any // articles not yet copied, as rows of articleCopyColumns
	// copying ends with the outcome of the COPY of articles under way, on
	// another goroutine (see flush); nil when none is.
	copying chan error
}

// pgAfterLoad are the statements that recount, set-based, the tables that
// triggers on loadTables keep: the load disabled those triggers, so each
// such table is made right here, after the articles and their tag, pair
// and change rows are in and before the indexes and triggers come back.
// A migration that adds a table kept by such triggers adds its recount
// here; tag_counts is recounted by recountTags, after these. (article_tagsets, kept by triggers on article_pairs, is written
// by the load itself from the tag rows it makes: see copyTagRows.)
var pgAfterLoad = []string{}

// pgLoadCopyRows is how many articles a load copies at a time at most:
// those of one Add call, which an import makes with 5,000.
const pgLoadCopyRows = 10000

// startPGLoad starts a load into a PostgreSQL database that has no
// articles and, for an exact restore, no tombstones; otherwise it returns
// nil.
func (s *Store) startPGLoad(ctx context.Context, exact bool) (*pgLoad, error) {
	l, err := startWith(s, ctx, exact, func(calm context.Context, conn *sql.Conn) *pgLoad {
		l := &pgLoad{loadBase: newLoadBase(s, calm, conn)}
		l.feed = l.loadFeed
		return l
	})
	return l, translate(err, "import")
}

func (l *pgLoad) begin(exact bool) (bool, error) {
	q := `SELECT EXISTS (SELECT 1 FROM articles)`
	if exact {
		q += ` OR EXISTS (SELECT 1 FROM article_tombstones)`
	}
	// Asked first without a lock, so that an import into a database that
	// holds articles, which upserts, never makes readers wait; asked again
	// once the tables are locked.
	var some bool
	if err := l.conn.QueryRowContext(l.ctx, q).Scan(&some); err != nil || some {
		return false, err
	}
	if _, err := l.conn.ExecContext(l.ctx, "BEGIN"); err != nil {
		return false, err
	}
	l.inTx = true
	// Index builds sort in memory rather than in temporary files (the
	// default is 64 MB), unless the server allows them more already; a
	// B-tree build takes its parallel workers from this budget too.
	if _, err := l.conn.ExecContext(l.ctx, `SELECT set_config('maintenance_work_mem', '512MB', true)
		WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes('512MB')`); err != nil {
		return false, err
	}
	// A load's index builds take seconds, and its transaction waits while
	// the import reads the next records: limits a server sets for the
	// statements and idle transactions of requests are not for it.
	if _, err := l.conn.ExecContext(l.ctx, "SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0"); err != nil {
		return false, err
	}
	// Every table whose indexes go, locked at once in the order writers
	// take them, rather than one by one as each index is dropped.
	lock := "LOCK TABLE " + strings.Join(loadTables, ", ") + ", article_tombstones IN ACCESS EXCLUSIVE MODE"
	if _, err := l.conn.ExecContext(l.ctx, lock); err != nil {
		return false, err
	}
	if err := l.conn.QueryRowContext(l.ctx, q).Scan(&some); err != nil || some {
		return false, err
	}
	drop, err := l.schemaToRebuild()
	if err != nil {
		return false, err
	}
	for _, q := range drop {
		if _, err := l.conn.ExecContext(l.ctx, q); err != nil {
			return false, fmt.Errorf("%s: %w", q, err)
		}
	}
	// The tables that hold no rows are truncated (articles deleted before
	// leave dead rows behind; changes keeps their tombstones' entries), so
	// that COPY writes their rows frozen and visible to all, with the
	// visibility map set: no later pass writes every page again to set
	// hint bits or to freeze them (1.7 GB at a million articles), and
	// index-only scans need no VACUUM first.
	l.emptied = map[string]bool{}
	for _, t := range append(slices.Clone(loadTables), "article_tagsets") {
		var some bool
		if err := l.conn.QueryRowContext(l.ctx, `SELECT EXISTS (SELECT 1 FROM `+t+`)`).Scan(&some); err != nil {
			return false, err
		}
		if !some {
			l.emptied[t] = true
		}
	}
	if len(l.emptied) > 0 {
		if _, err := l.conn.ExecContext(l.ctx, "TRUNCATE "+strings.Join(slices.Sorted(maps.Keys(l.emptied)), ", ")); err != nil {
			return false, err
		}
	}
	l.st = &bulkStatements{ctx: l.ctx, tx: l.conn, d: l.s.dialect, stmts: map[string]*sql.Stmt{}, ready: l.wait}
	return true, nil
}

// schemaToRebuild lists the statements that drop the foreign keys, unique
// keys, primary keys and indexes of loadTables and disable their
// triggers, and keeps those that make them again, each from the
// database's own definition of it.
func (l *pgLoad) schemaToRebuild() (drop []string, err error) {
	tables := "ARRAY['" + strings.Join(loadTables, "', '") + "']::regclass[]"
	// Foreign keys first, then keys, each with its index; then indexes of
	// their own. The primary key of articles stays: rewriting an article
	// whose url comes again finds it by id. So does a partial index (the
	// drafts'): the load adds the few entries it holds as rows come, where
	// building it again would read every article.
	rows, err := l.conn.QueryContext(l.ctx, `
		SELECT 0, c.contype = 'f', c.conrelid::regclass::text, c.conrelid = 'articles'::regclass,
			quote_ident(c.conname), pg_get_constraintdef(c.oid)
		FROM pg_constraint c
		WHERE (c.conrelid = ANY (`+tables+`) AND c.contype IN ('f', 'p', 'u') OR c.confrelid = ANY (`+tables+`))
			AND NOT (c.conrelid = 'articles'::regclass AND c.contype = 'p')
		UNION ALL
		SELECT 1, false, i.indrelid::regclass::text, i.indrelid = 'articles'::regclass,
			i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		WHERE i.indrelid = ANY (`+tables+`) AND i.indpred IS NULL
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid)
		ORDER BY 1, 2 DESC, 3, 5`)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var fkeys []string
	for rows.Next() {
		var kind int
		var fkey, onArticles bool
		var table, name, def string
		if err := rows.Scan(&kind, &fkey, &table, &onArticles, &name, &def); err != nil {
			return nil, err
		}
		create := def
		if kind == 0 {
			drop = append(drop, "ALTER TABLE "+table+" DROP CONSTRAINT "+name)
			create = "ALTER TABLE " + table + " ADD CONSTRAINT " + name + " " + def
		} else {
			drop = append(drop, "DROP INDEX "+name)
		}
		switch {
		case fkey:
			fkeys = append(fkeys, create)
		case onArticles:
			l.first = append(l.first, create)
		default:
			l.rebuild = append(l.rebuild, create)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	l.rebuild = append(l.rebuild, fkeys...)
	triggers, err := l.conn.QueryContext(l.ctx, `
		SELECT t.tgrelid::regclass::text, quote_ident(t.tgname), t.tgenabled
		FROM pg_trigger t WHERE t.tgrelid = ANY (`+tables+`) AND NOT t.tgisinternal AND t.tgenabled <> 'D'
		ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	defer func() { _ = triggers.Close() }()
	for triggers.Next() {
		var table, name, enabled string
		if err := triggers.Scan(&table, &name, &enabled); err != nil {
			return nil, err
		}
		drop = append(drop, "ALTER TABLE "+table+" DISABLE TRIGGER "+name)
		how := map[string]string{"A": "ENABLE ALWAYS", "R": "ENABLE REPLICA"}[enabled]
		if how == "" {
			how = "ENABLE"
		}
		l.enable = append(l.enable, "ALTER TABLE "+table+" "+how+" TRIGGER "+name)
	}
	return drop, triggers.Err()
}

// Add stores drafts as articles; one whose url came earlier in the load
// replaces that article, as an upsert does.
func (l *pgLoad) Add(_ context.Context, drafts []news.Draft) ([]bool, error) {
	created := make([]bool, len(drafts))
	for i, d := range drafts {
		existing, err := l.stored(d.URL)
		if err != nil {
			return nil, translate(err, "import")
		}
		pub := published(d, l.now)
		if existing == 0 {
			var id int64
			if id, err = l.number(); err != nil {
				return nil, translate(err, "import")
			}
			created[i] = true
			l.pending = append(l.pending, []any{id, d.Title, d.Summary, d.Body, nullable(d.URL), nullable(d.ImageURL),
				d.Source, d.Section, nullable(d.Author), d.Language, string(d.Status), pub, l.now, l.now, 1,
				tagText(d.Countries), tagText(d.Themes), autoTags(d)})
			l.tags.add(id, pub, tagText(d.Countries), tagText(d.Themes), d.Status == news.StatusPublished)
			if d.URL != "" {
				l.urls[maphash.String(l.seed, d.URL)] = id
			}
			if len(l.pending) == pgLoadCopyRows {
				err = l.flush()
			}
		} else if err = l.st.queryRow(sqlBulkUpdate, updateArgs(d, keptTime(d), l.now, existing), &pub); err == nil {
			l.tags.add(existing, pub, tagText(d.Countries), tagText(d.Themes), d.Status == news.StatusPublished)
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

// number gives a new article its id: the next the sequence of articles.id
// would give, as an INSERT would take it. The load takes the first from
// the sequence and counts on from there (no other writer of articles can
// take one meanwhile: they wait for its lock), and Commit sets the
// sequence past the last.
func (l *pgLoad) number() (int64, error) {
	if l.nextID == 0 {
		if err := l.st.queryRow(`SELECT nextval(pg_get_serial_sequence('articles', 'id'))`, nil, &l.nextID); err != nil {
			return 0, err
		}
		l.copied = l.nextID
	}
	l.nextID++
	return l.nextID - 1, nil
}

// articleCopyColumns are the columns of an article as the load copies it
// in: sqlRestoreArticleHead's, whose values restoreArgs gives.
var articleCopyColumns = []string{"id", "title", "summary", "body", "url", "image_url", "source", "section", "author", "language",
	"status", "published_at", "created_at", "updated_at", "version", "countries", "themes", "auto_tags"}

// flush starts copying the pending articles in, once the COPY before has
// ended, and returns: the records that come next are read and decoded
// while the database takes these (wait waits for it). Copied one batch at
// a time, each COPY waited for the import's next batch of records, and
// the import for the COPY.
func (l *pgLoad) flush() error {
	if err := l.wait(); err != nil || len(l.pending) == 0 {
		return err
	}
	rows := l.pending
	l.pending = make([][]any, 0, len(rows))
	l.copied = l.nextID
	l.copying = make(chan error, 1)
	go func(done chan<- error) {
		done <- l.copyRows("articles", articleCopyColumns, len(rows), func(i int) []any { return rows[i] })
	}(l.copying)
	return nil
}

// wait waits for the COPY of articles under way, if any, and returns its
// error. Every other use of the load's connection waits for it first (l.st
// does before each statement).
func (l *pgLoad) wait() error {
	if l.copying == nil {
		return nil
	}
	err := <-l.copying
	l.copying = nil
	return err
}

// copyRows copies n rows into table's columns with COPY, on the load's
// connection; row gives row i's values (nil, string, int, int64 or bool).
// Into a table the load emptied, the rows go in frozen (see begin). The
// rows are written in COPY's text format as they are made, on another
// goroutine: pgx's CopyFrom, which encodes them in the binary format,
// cannot ask for FREEZE.
func (l *pgLoad) copyRows(table string, cols []string, n int, row func(i int) []any) error {
	if n == 0 {
		return nil
	}
	q := "COPY " + table + " (" + strings.Join(cols, ", ") + ") FROM STDIN"
	if l.emptied[table] {
		q += " WITH (FREEZE)"
	}
	r, w := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(w, 64<<10)
		var line []byte
		for i := range n {
			line = appendCopyRow(line[:0], row(i))
			if _, err := bw.Write(line); err != nil {
				return // the COPY ended: r is closed
			}
		}
		_ = w.CloseWithError(bw.Flush())
	}()
	err := l.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("a PostgreSQL load on a %T connection", dc)
		}
		_, err := c.Conn().PgConn().CopyFrom(l.ctx, r, q)
		return err
	})
	_ = r.Close()
	if err != nil {
		// The pool's tracer sees statements, not COPY: a full storage is
		// noted here (see storage).
		l.s.storage.saw(err)
		return fmt.Errorf("%s: %w", table, err)
	}
	return nil
}

// appendCopyRow appends a row of COPY's text format to b: its values
// separated by tabs, NULL as \N, backslash, tab and line breaks escaped.
func appendCopyRow(b []byte, vals []any) []byte {
	for i, v := range vals {
		if i > 0 {
			b = append(b, '\t')
		}
		switch v := v.(type) {
		case nil:
			b = append(b, `\N`...)
		case string:
			for j := 0; j < len(v); j++ {
				switch c := v[j]; c {
				case '\\':
					b = append(b, `\\`...)
				case '\t':
					b = append(b, `\t`...)
				case '\n':
					b = append(b, `\n`...)
				case '\r':
					b = append(b, `\r`...)
				default:
					b = append(b, c)
				}
			}
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case bool:
			b = strconv.AppendBool(b, v)
		default:
			panic(fmt.Sprintf("appendCopyRow: a %T", v))
		}
	}
	return append(b, '\n')
}

// stored returns the id of the article that came earlier in the load with
// url, or 0. The url's index is built at the end: a hash of each url
// loaded tells where to look (two urls with one hash cost a scan of the
// table).
func (l *pgLoad) stored(url string) (int64, error) {
	if url == "" {
		return 0, nil
	}
	id, seen := l.urls[maphash.String(l.seed, url)]
	if !seen {
		return 0, nil
	}
	if id >= l.copied {
		// Still pending: every article that has a url of that hash is
		// numbered at or below id, so all of them are in after a flush
		// (which l.st waits for).
		if err := l.flush(); err != nil {
			return 0, err
		}
	}
	var same bool
	if err := l.st.queryRow(`SELECT url = ? FROM articles WHERE id = ?`, []any{url, id}, &same); err != nil {
		return 0, err
	}
	if same {
		return id, nil
	}
	err := l.st.queryRow(sqlFindURL, []any{url}, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// Commit makes the tag, pair, tag-set and change rows, builds the indexes
// and keys, enables the triggers and commits: the load is stored when it
// returns.
func (l *pgLoad) Commit(context.Context) error {
	defer l.Rollback()
	err := l.flush()
	if err == nil {
		err = l.wait()
	}
	trace("articles", l.started)
	// The tag rows are made and sorted on another core while the indexes
	// of articles are built.
	made := make(chan *loadRows, 1)
	// The feed lists the articles in id order, the order they came in,
	// which rows() sorts by time.
	l.ids = make([]int64, len(l.tags.articles))
	for i, a := range l.tags.articles {
		l.ids[i] = a.id
	}
	go func() { made <- l.tags.rows() }()
	if err == nil {
		err = l.exec(l.first...)
	}
	tr := time.Now()
	rows := <-made
	trace("tag rows, made", tr)
	if err == nil {
		err = l.copyTagRows(rows)
	}
	if err == nil {
		err = l.feed()
	}
	if err == nil {
		err = l.exec(pgAfterLoad...)
	}
	if err == nil { // tag_counts, kept by triggers on articles (migration 00012)
		err = l.s.dialect.recountTags(func(q string, _ ...any) error { return l.exec(q) })
	}
	l.tags = loadTags{}
	if err == nil {
		err = l.exec(l.rebuild...)
	}
	if err == nil {
		err = l.exec(l.enable...)
	}
	if err == nil && l.nextID > 0 {
		// Past the last id numbered, as the INSERTs would have left it.
		var last int64
		err = l.st.queryRow(`SELECT setval(pg_get_serial_sequence('articles', 'id'), ?)`, []any{l.nextID - 1}, &last)
	}
	if err != nil {
		return translate(err, "import")
	}
	tr = time.Now()
	l.st.close()
	l.st = nil
	if _, err := l.conn.ExecContext(l.ctx, "COMMIT"); err != nil {
		return translate(err, "import")
	}
	l.inTx = false
	trace("commit", tr)
	return nil
}

// copyTagRows copies in the rows of the country, theme, pair and tag-set
// tables.
func (l *pgLoad) copyTagRows(r *loadRows) error {
	tr := time.Now()
	tagCols := func(col string) []string { return []string{col, "published_at", "article_id"} }
	n := len(r.tags)
	err := l.copyRows("article_countries", tagCols("country"), r.countries.len(), r.countries.rows(func(k int, a *loadArticle) []any {
		return []any{r.tags[k], a.pub, a.id}
	}, r.articles))
	if err == nil {
		err = l.copyRows("article_themes", tagCols("theme"), r.themes.len(), r.themes.rows(func(k int, a *loadArticle) []any {
			return []any{r.tags[k], a.pub, a.id}
		}, r.articles))
	}
	if err == nil {
		err = l.copyRows("article_pairs", []string{"country", "theme", "published_at", "article_id", "countries", "themes"}, r.pairs.len(),
			r.pairs.rows(func(k int, a *loadArticle) []any {
				return []any{r.tags[k/n], r.tags[k%n], a.pub, a.id, r.sets[a.countries], r.sets[a.themeSet()]}
			}, r.articles))
	}
	if err == nil && !l.emptied["article_tagsets"] {
		// Counts of the tag sets of articles deleted before, should any be
		// left (00013 deletes a count that falls to zero).
		_, err = l.conn.ExecContext(l.ctx, `DELETE FROM article_tagsets`)
	}
	if err == nil {
		sets := tagSetsWithTotals(r)
		err = l.copyRows("article_tagsets", []string{"country", "theme", "countries", "themes", "n"}, len(sets),
			func(i int) []any { return sets[i] })
	}
	trace("tag rows, copied", tr)
	return err
}

// tagSetsWithTotals are the rows of article_tagsets on PostgreSQL: before
// the tag sets of each pair, in key order, the row of the pair's total,
// whose tag sets are empty (migration 00013).
func tagSetsWithTotals(r *loadRows) [][]any {
	out := make([][]any, 0, len(r.tagSets)+len(r.tagSets)/4)
	for i := 0; i < len(r.tagSets); {
		c, th := r.tagSets[i].country, r.tagSets[i].theme
		total := []any{r.tags[c], r.tags[th], "", "", int64(0)}
		out = append(out, total)
		for ; i < len(r.tagSets) && r.tagSets[i].country == c && r.tagSets[i].theme == th; i++ {
			k := r.tagSets[i]
			total[4] = total[4].(int64) + int64(k.n)
			out = append(out, []any{r.tags[c], r.tags[th], r.sets[k.countries], r.sets[k.themes], int64(k.n)})
		}
	}
	return out
}

// loadFeed writes the change feed: every article once, in id order, after
// whatever the feed held (tombstones of articles deleted before), all
// written when the load began.
func (l *pgLoad) loadFeed() error {
	tr := time.Now()
	var seq int64
	if err := l.st.queryRow(`SELECT seq FROM change_seq WHERE id = 1`, nil, &seq); err != nil {
		return err
	}
	ids := l.ids
	err := l.copyRows("changes", []string{"seq", "article_id", "deleted", "changed_at"}, len(ids), func(i int) []any {
		return []any{seq + int64(i) + 1, ids[i], false, l.now}
	})
	if err == nil {
		err = l.st.exec(`UPDATE change_seq SET seq = ? WHERE id = 1`, seq+int64(len(ids)))
	}
	trace("change feed", tr)
	return err
}

// exec runs steps on the load's connection, tracing each.

// Rollback ends the load, undoing it unless it was committed.
func (l *pgLoad) Rollback() {
	if l.conn == nil {
		return
	}
	_ = l.wait()
	if l.st != nil {
		l.st.close()
		l.st = nil
	}
	if l.inTx {
		_, _ = l.conn.ExecContext(l.ctx, "ROLLBACK")
		l.inTx = false
	}
	_ = l.conn.Close()
	l.conn = nil
	l.s.loads.Add(-1)
}

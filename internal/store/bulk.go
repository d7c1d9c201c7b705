package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/headlines/headlines/internal/news"
)

// bulkStatements prepares each statement of one bulk upsert once, on
// first use, within its transaction.
type bulkStatements struct {
	ctx   context.Context
	tx    preparer
	d     dialect
	stmts map[string]*sql.Stmt
	// ready, when set, runs before each statement: on a PostgreSQL load,
	// the COPY under way on the same connection ends first, and its error
	// is the statement's (see pgLoad.flush).
	ready func() error
}

// preparer is a transaction, or a connection that runs one.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

func (st *bulkStatements) stmt(q string) (*sql.Stmt, error) {
	if st.ready != nil {
		if err := st.ready(); err != nil {
			return nil, err
		}
	}
	if s, ok := st.stmts[q]; ok {
		return s, nil
	}
	s, err := st.tx.PrepareContext(st.ctx, st.d.rebind(q)) //nolint:sqlclosecheck // closed by bulkStatements.close
	if err != nil {
		return nil, err
	}
	st.stmts[q] = s
	return s, nil
}

func (st *bulkStatements) exec(q string, args ...any) error {
	_, err := st.execResult(q, args...)
	return err
}

func (st *bulkStatements) execResult(q string, args ...any) (sql.Result, error) {
	s, err := st.stmt(q) //nolint:sqlclosecheck // cached; closed by bulkStatements.close
	if err != nil {
		return nil, err
	}
	return s.ExecContext(st.ctx, args...)
}

// insertArticle runs sqlInsertArticle with args and returns the new id.
// On SQLite it does not use RETURNING: with the full-text trigger on
// articles, an INSERT … RETURNING took 108 µs against 25 µs for the same
// INSERT followed by reading the last rowid, which the one writer
// connection holds until its next insert.
func (s *Store) insertArticle(exec func(q string, args ...any) (sql.Result, error),
	queryRow func(q string, args []any, dest ...any) error, args []any) (int64, error) {
	if s.dialect.postgres {
		var id int64
		err := queryRow(sqlInsertArticle+" RETURNING id", args, &id)
		return id, err
	}
	res, err := exec(sqlInsertArticle, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (st *bulkStatements) queryRow(q string, args []any, dest ...any) error {
	s, err := st.stmt(q) //nolint:sqlclosecheck // cached; closed by bulkStatements.close
	if err == nil {
		err = s.QueryRowContext(st.ctx, args...).Scan(dest...)
	}
	return err
}

// query runs a cached statement that returns rows.
func (st *bulkStatements) query(q string, args ...any) (*sql.Rows, error) {
	s, err := st.stmt(q) //nolint:sqlclosecheck // cached; closed by bulkStatements.close
	if err != nil {
		return nil, err
	}
	return s.QueryContext(st.ctx, args...)
}

// queryInts appends the one integer column of q's rows to out.
func (st *bulkStatements) queryInts(q string, args []any, out *[]int64) error {
	rows, err := st.query(q, args...)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return err
		}
		*out = append(*out, n)
	}
	return rows.Err()
}

func (st *bulkStatements) close() {
	for _, s := range st.stmts {
		_ = s.Close()
	}
}

// rebind turns ? placeholders into PostgreSQL's $1, $2, ….
func (d dialect) rebind(q string) string {
	if !d.postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// published is when d is published, in microseconds: its own time, or
// now for a draft without one.
func published(d news.Draft, now int64) int64 {
	if d.PublishedAt.IsZero() {
		return now
	}
	return micros(d.PublishedAt)
}

// insertArgs are sqlInsertArticle's arguments for d, published at pub and
// written at now.
func insertArgs(d news.Draft, pub, now int64) []any {
	return appendInsertArgs(make([]any, 0, 16), &d, pub, now, tagText(d.Countries), tagText(d.Themes))
}

// appendInsertArgs appends insertArgs's values to args, with d's tag
// texts made already.
func appendInsertArgs(args []any, d *news.Draft, pub, now int64, countries, themes string) []any {
	return append(args, d.Title, d.Summary, d.Body, nullable(d.URL), nullable(d.ImageURL), d.Source, d.Section, nullable(d.Author),
		d.Language, string(d.Status), pub, now, now, countries, themes, autoTags(*d))
}

// updateArgs are the arguments of an UPDATE that writes d over article id
// at now (sqlUpdateArticle, sqlBulkUpdate and update's): the columns of
// insertArgs but created_at, then id. pub is the publication time, or for
// sqlBulkUpdate nil to keep the stored one.
func updateArgs(d news.Draft, pub any, now, id int64) []any {
	return []any{d.Title, d.Summary, d.Body, nullable(d.URL), nullable(d.ImageURL), d.Source, d.Section, nullable(d.Author),
		d.Language, string(d.Status), pub, now, tagText(d.Countries), tagText(d.Themes), autoTags(d), id}
}

// keptTime is sqlBulkUpdate's publication time for d: its own, or NULL to
// keep the stored one.
func keptTime(d news.Draft) any {
	if d.PublishedAt.IsZero() {
		return nil
	}
	return micros(d.PublishedAt)
}

const (
	sqlFindURL = `SELECT id FROM articles WHERE url = ?`
	// sqlInsertArticle is the one INSERT of an article, for every write
	// path. PostgreSQL returns the id with RETURNING; SQLite reads the
	// connection's last rowid instead (see insertArticle).
	sqlInsertArticle = `INSERT INTO articles (title, summary, body, url, image_url, source, section, author, language,
		status, published_at, created_at, updated_at, version, countries, themes, auto_tags)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`
	sqlBulkUpdate = `UPDATE articles SET title = ?, summary = ?, body = ?, url = ?, image_url = ?, source = ?, section = ?,
		author = ?, language = ?, status = ?, published_at = COALESCE(?, published_at), updated_at = ?, version = version + 1,
		countries = ?, themes = ?, auto_tags = ? WHERE id = ? RETURNING published_at`
	sqlBumpSeq = `UPDATE change_seq SET seq = seq + ? WHERE id = 1 RETURNING seq`
)

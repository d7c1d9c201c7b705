package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/headlines/headlines/internal/news"
)

// bulkStatements prepares each statement of one bulk upsert once, on
// first use, within its transaction.
type bulkStatements struct {
	ctx   context.Context
	tx    *sql.Tx
	d     dialect
	stmts map[string]*sql.Stmt
}

func (st *bulkStatements) stmt(q string) (*sql.Stmt, error) {
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
	s, err := st.stmt(q) //nolint:sqlclosecheck // cached; closed by bulkStatements.close
	if err == nil {
		_, err = s.ExecContext(st.ctx, args...)
	}
	return err
}

func (st *bulkStatements) queryRow(q string, args []any, dest ...any) error {
	s, err := st.stmt(q) //nolint:sqlclosecheck // cached; closed by bulkStatements.close
	if err == nil {
		err = s.QueryRowContext(st.ctx, args...).Scan(dest...)
	}
	return err
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

const (
	sqlFindURL    = `SELECT id FROM articles WHERE url = ?`
	sqlBulkInsert = `INSERT INTO articles (title, summary, body, url, image_url, source, section, author, language,
		status, published_at, created_at, updated_at, version, countries, themes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) RETURNING id`
	sqlBulkUpdate = `UPDATE articles SET title = ?, summary = ?, body = ?, url = ?, image_url = ?, source = ?, section = ?,
		author = ?, language = ?, status = ?, published_at = COALESCE(?, published_at), updated_at = ?, version = version + 1,
		countries = ?, themes = ? WHERE id = ? RETURNING published_at`
	sqlBumpSeq   = `UPDATE change_seq SET seq = seq + ? WHERE id = 1 RETURNING seq`
	sqlDelChange = `DELETE FROM changes WHERE article_id = ?`
	sqlAddChange = `INSERT INTO changes (seq, article_id, deleted, changed_at) VALUES (?, ?, ?, ?)`
)

// UpsertArticles upserts many normalized drafts in one transaction, all or
// none, through prepared statements: the path of imports.
func (s *Store) UpsertArticles(ctx context.Context, drafts []news.Draft) ([]bool, error) {
	_, created, err := s.upsertMany(ctx, drafts)
	return created, err
}

// upsertMany is UpsertArticles, also returning the articles' ids.
func (s *Store) upsertMany(ctx context.Context, drafts []news.Draft) (ids []int64, created []bool, err error) {
	created = make([]bool, len(drafts))
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, translate(err, "import")
	}
	defer func() { _ = tx.Rollback() }()
	// The statements run without the caller's cancellation: with a context
	// that can end, the SQLite driver starts a goroutine per statement to
	// watch it, which costs more than the statement. The caller checks its
	// context between batches, and the transaction is short.
	st := &bulkStatements{ctx: context.WithoutCancel(ctx), tx: tx, d: s.dialect, stmts: map[string]*sql.Stmt{}}
	defer st.close()
	now := micros(s.now())
	ids = make([]int64, len(drafts))
	for i, d := range drafts {
		var existing int64
		if d.URL != "" {
			err := st.queryRow(sqlFindURL, []any{d.URL}, &existing)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, nil, translate(err, "import")
			}
		}
		var pub int64
		countries, themes := tagText(d.Countries), tagText(d.Themes)
		if existing == 0 {
			pub = now
			if !d.PublishedAt.IsZero() {
				pub = micros(d.PublishedAt)
			}
			err = st.queryRow(sqlBulkInsert, []any{d.Title, d.Summary, d.Body, nullable(d.URL), nullable(d.ImageURL), d.Source,
				d.Section, nullable(d.Author), d.Language, string(d.Status), pub, now, now, countries, themes}, &ids[i])
			created[i] = true
		} else {
			var keep any // NULL keeps the stored time
			if !d.PublishedAt.IsZero() {
				keep = micros(d.PublishedAt)
			}
			ids[i] = existing
			err = st.queryRow(sqlBulkUpdate, []any{d.Title, d.Summary, d.Body, nullable(d.URL), nullable(d.ImageURL), d.Source,
				d.Section, nullable(d.Author), d.Language, string(d.Status), keep, now, countries, themes, existing}, &pub)
		}
		if err == nil {
			err = writeTags(st.exec, ids[i], pub, d, existing != 0)
		}
		if err != nil {
			return nil, nil, translate(err, "import")
		}
	}
	// The change feed: one bump of the counter for the whole batch, as the
	// last statements before the commit.
	var last int64
	if err := st.queryRow(sqlBumpSeq, []any{len(drafts)}, &last); err != nil {
		return nil, nil, translate(err, "import")
	}
	first := last - int64(len(drafts)) + 1
	for i, id := range ids {
		if !created[i] {
			if err := st.exec(sqlDelChange, id); err != nil {
				return nil, nil, translate(err, "import")
			}
		}
		if err := st.exec(sqlAddChange, first+int64(i), id, false, now); err != nil {
			return nil, nil, translate(err, "import")
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, translate(err, "import")
	}
	return ids, created, nil
}

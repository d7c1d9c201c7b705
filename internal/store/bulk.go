package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/headlines/headlines/internal/news"
)

// bulkStatements are the prepared statements of one bulk upsert.
type bulkStatements struct {
	findURL, insert, update, delCountries, delThemes, addCountry, addTheme, bumpSeq, delChange, addChange *sql.Stmt
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

func (s *Store) prepareBulk(ctx context.Context, tx *sql.Tx) (*bulkStatements, error) {
	var st bulkStatements
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&st.findURL, `SELECT id FROM articles WHERE url = ?`},
		{&st.insert, `INSERT INTO articles (title, summary, body, url, image_url, source, section, author, language,
			status, published_at, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`},
		{&st.update, `UPDATE articles SET title = ?, summary = ?, body = ?, url = ?, image_url = ?, source = ?, section = ?,
			author = ?, language = ?, status = ?, published_at = COALESCE(?, published_at), updated_at = ?, version = version + 1
			WHERE id = ? RETURNING published_at`},
		{&st.delCountries, `DELETE FROM article_countries WHERE article_id = ?`},
		{&st.delThemes, `DELETE FROM article_themes WHERE article_id = ?`},
		{&st.addCountry, `INSERT INTO article_countries (country, published_at, article_id) VALUES (?, ?, ?)`},
		{&st.addTheme, `INSERT INTO article_themes (theme, published_at, article_id) VALUES (?, ?, ?)`},
		{&st.bumpSeq, `UPDATE change_seq SET seq = seq + ? WHERE id = 1 RETURNING seq`},
		{&st.delChange, `DELETE FROM changes WHERE article_id = ?`},
		{&st.addChange, `INSERT INTO changes (seq, article_id, deleted, changed_at) VALUES (?, ?, ?, ?)`},
	} {
		stmt, err := tx.PrepareContext(ctx, s.dialect.rebind(p.q)) //nolint:sqlclosecheck // closed by bulkStatements.close
		if err != nil {
			st.close()
			return nil, err
		}
		*p.dst = stmt
	}
	return &st, nil
}

func (st *bulkStatements) close() {
	for _, s := range []*sql.Stmt{st.findURL, st.insert, st.update, st.delCountries, st.delThemes, st.addCountry, st.addTheme, st.bumpSeq, st.delChange, st.addChange} {
		if s != nil {
			_ = s.Close()
		}
	}
}

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
	st, err := s.prepareBulk(ctx, tx)
	if err != nil {
		return nil, nil, translate(err, "import")
	}
	defer st.close()
	now := micros(s.now())
	ids = make([]int64, len(drafts))
	for i, d := range drafts {
		var existing int64
		if d.URL != "" {
			err := st.findURL.QueryRowContext(ctx, d.URL).Scan(&existing)
			if err != nil && err != sql.ErrNoRows {
				return nil, nil, translate(err, "import")
			}
		}
		var pub int64
		if existing == 0 {
			pub = now
			if !d.PublishedAt.IsZero() {
				pub = micros(d.PublishedAt)
			}
			err = st.insert.QueryRowContext(ctx, d.Title, d.Summary, d.Body, nullable(d.URL), nullable(d.ImageURL), d.Source,
				d.Section, nullable(d.Author), d.Language, string(d.Status), pub, now, now).Scan(&ids[i])
			created[i] = true
		} else {
			var keep any // NULL keeps the stored time
			if !d.PublishedAt.IsZero() {
				keep = micros(d.PublishedAt)
			}
			ids[i] = existing
			err = st.update.QueryRowContext(ctx, d.Title, d.Summary, d.Body, nullable(d.URL), nullable(d.ImageURL), d.Source,
				d.Section, nullable(d.Author), d.Language, string(d.Status), keep, now, existing).Scan(&pub)
			if err == nil {
				_, err = st.delCountries.ExecContext(ctx, existing)
			}
			if err == nil {
				_, err = st.delThemes.ExecContext(ctx, existing)
			}
		}
		if err != nil {
			return nil, nil, translate(err, "import")
		}
		for _, c := range d.Countries {
			if _, err := st.addCountry.ExecContext(ctx, c, pub, ids[i]); err != nil {
				return nil, nil, translate(err, "import")
			}
		}
		for _, t := range d.Themes {
			if _, err := st.addTheme.ExecContext(ctx, t, pub, ids[i]); err != nil {
				return nil, nil, translate(err, "import")
			}
		}
	}
	// The change feed: one bump of the counter for the whole batch, as the
	// last statements before the commit.
	var last int64
	if err := st.bumpSeq.QueryRowContext(ctx, len(drafts)).Scan(&last); err != nil {
		return nil, nil, translate(err, "import")
	}
	first := last - int64(len(drafts)) + 1
	for i, id := range ids {
		if !created[i] {
			if _, err := st.delChange.ExecContext(ctx, id); err != nil {
				return nil, nil, translate(err, "import")
			}
		}
		if _, err := st.addChange.ExecContext(ctx, first+int64(i), id, false, now); err != nil {
			return nil, nil, translate(err, "import")
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, translate(err, "import")
	}
	return ids, created, nil
}

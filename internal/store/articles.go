package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

// articleRow is an article as the database holds it.
type articleRow struct {
	ID                            int64
	Title, Summary, Body          string
	URL, ImageURL, Author         sql.NullString
	Source, Section, Language     string
	Status                        string
	PublishedAt, Created, Updated int64
	Version                       int
	Countries, Themes             sql.NullString
	AutoTags                      int
}

func (r *articleRow) dest() []any {
	return []any{&r.ID, &r.Title, &r.Summary, &r.Body, &r.URL, &r.ImageURL, &r.Source, &r.Section,
		&r.Author, &r.Language, &r.Status, &r.PublishedAt, &r.Created, &r.Updated, &r.Version,
		&r.Countries, &r.Themes, &r.AutoTags}
}

func splitTags(s sql.NullString) []string {
	if !s.Valid || s.String == "" {
		return []string{}
	}
	tags := strings.Split(s.String, ",")
	slices.Sort(tags)
	return tags
}

func (r *articleRow) toArticle() news.Article {
	return news.Article{
		ID: r.ID, Title: r.Title, Summary: r.Summary, Body: r.Body,
		URL: r.URL.String, ImageURL: r.ImageURL.String, Author: r.Author.String,
		Source: r.Source, Section: r.Section, Language: r.Language,
		Countries: splitTags(r.Countries), Themes: splitTags(r.Themes),
		Status:      news.Status(r.Status),
		PublishedAt: fromMicros(r.PublishedAt), CreatedAt: fromMicros(r.Created), UpdatedAt: fromMicros(r.Updated),
		Version:       r.Version,
		AutoCountries: r.AutoTags&autoCountries != 0, AutoThemes: r.AutoTags&autoThemes != 0,
	}
}

// The bits of articles.auto_tags: which tag lists the tagger chose.
const (
	autoCountries = 1
	autoThemes    = 2
)

func autoTags(d news.Draft) int {
	n := 0
	if d.AutoCountries {
		n |= autoCountries
	}
	if d.AutoThemes {
		n |= autoThemes
	}
	return n
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// queryArticles runs a query whose columns are dialect.columns.
func queryArticles(ctx context.Context, db *gorm.DB, q string, args []any) ([]news.Article, error) {
	rows, err := db.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []news.Article
	for rows.Next() {
		var r articleRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, err
		}
		out = append(out, r.toArticle())
	}
	return out, rows.Err()
}

func (s *Store) article(ctx context.Context, db *gorm.DB, id int64, withDrafts bool) (news.Article, error) {
	q := `SELECT ` + s.dialect.columns(true) + ` FROM articles a WHERE a.id = ?`
	if !withDrafts {
		q += ` AND a.status = 'published'`
	}
	list, err := queryArticles(ctx, db, q, []any{id})
	if err != nil {
		return news.Article{}, translate(err, "get article")
	}
	if len(list) == 0 {
		return news.Article{}, news.Errorf(news.ENotFound, "no article %d", id)
	}
	return list[0], nil
}

// Article returns one article.
func (s *Store) Article(ctx context.Context, id int64, withDrafts bool) (news.Article, error) {
	return s.article(ctx, s.read(ctx), id, withDrafts)
}

// checkURL returns EConflict naming the article that already has d's URL.
func checkURL(tx *gorm.DB, url string, except int64) error {
	if url == "" {
		return nil
	}
	var ids []int64
	if err := tx.Raw(`SELECT id FROM articles WHERE url = ? AND id <> ?`, url, except).Scan(&ids).Error; err != nil {
		return translate(err, "check url")
	}
	if len(ids) > 0 {
		e := news.FieldErrorf(news.EConflict, "url", "another article (id %d) already has this url", ids[0])
		e.ExistingID = ids[0]
		return e
	}
	return nil
}

// gormExec runs writeTags' statements in a gorm transaction.
func gormExec(tx *gorm.DB) func(q string, args ...any) error {
	return func(q string, args ...any) error { return tx.Exec(q, args...).Error }
}

// connExec runs a statement on tx's connection and returns its
// sql.Result, which gorm's Exec does not give.
func (d dialect) connExec(tx *gorm.DB) func(q string, args ...any) (sql.Result, error) {
	return func(q string, args ...any) (sql.Result, error) {
		return tx.Statement.ConnPool.ExecContext(tx.Statement.Context, d.rebind(q), args...)
	}
}

// connQueryRow scans the one row a statement returns on tx's connection.
func (d dialect) connQueryRow(tx *gorm.DB) func(q string, args []any, dest ...any) error {
	return func(q string, args []any, dest ...any) error {
		return tx.Statement.ConnPool.QueryRowContext(tx.Statement.Context, d.rebind(q), args...).Scan(dest...)
	}
}

func (s *Store) insert(ctx context.Context, tx *gorm.DB, d news.Draft) (news.Article, error) {
	if err := checkURL(tx, d.URL, 0); err != nil {
		return news.Article{}, err
	}
	now := micros(s.now())
	if d.PublishedAt.IsZero() {
		d.PublishedAt = s.now()
	}
	id, err := s.insertArticle(s.dialect.connExec(tx), s.dialect.connQueryRow(tx), insertArgs(d, micros(d.PublishedAt), now))
	if err != nil {
		return news.Article{}, translate(err, "create article")
	}
	if err := writeTags(gormExec(tx), id, micros(d.PublishedAt), d); err != nil {
		return news.Article{}, translate(err, "tag article")
	}
	if err := s.recordChange(tx, id, false); err != nil {
		return news.Article{}, err
	}
	return s.article(ctx, tx, id, true)
}

// update overwrites article id with d when its version matches ifVersion
// (0 = any). The row is read and locked first: its tag rows are found
// from it, and deleted only when the write goes ahead (Retag carries on in
// the same transaction after a write it skips).
func (s *Store) update(ctx context.Context, tx *gorm.DB, id int64, d news.Draft, ifVersion int) (news.Article, error) {
	if err := checkURL(tx, d.URL, id); err != nil {
		return news.Article{}, err
	}
	var cur []struct {
		PublishedAt int64
		Version     int
	}
	if err := tx.Raw(`SELECT published_at, version FROM articles WHERE id = ?`+s.dialect.forUpdate(), id).Scan(&cur).Error; err != nil {
		return news.Article{}, translate(err, "update article")
	}
	if len(cur) == 0 {
		return news.Article{}, news.Errorf(news.ENotFound, "no article %d", id)
	}
	if ifVersion != 0 && cur[0].Version != ifVersion {
		return news.Article{}, news.Errorf(news.EPreconditionFailed, "article %d has changed since the version in If-Match", id)
	}
	if d.PublishedAt.IsZero() { // a replace without a time keeps the stored one
		d.PublishedAt = fromMicros(cur[0].PublishedAt)
	}
	if err := s.dialect.dropTags(gormExec(tx), id); err != nil {
		return news.Article{}, translate(err, "tag article")
	}
	q := `UPDATE articles SET title = ?, summary = ?, body = ?, url = ?, image_url = ?, source = ?, section = ?,
		author = ?, language = ?, status = ?, published_at = ?, updated_at = ?, version = version + 1,
		countries = ?, themes = ?, auto_tags = ? WHERE id = ?`
	if err := tx.Exec(q, updateArgs(d, micros(d.PublishedAt), micros(s.now()), id)...).Error; err != nil {
		return news.Article{}, translate(err, "update article")
	}
	if err := writeTags(gormExec(tx), id, micros(d.PublishedAt), d); err != nil {
		return news.Article{}, translate(err, "tag article")
	}
	if err := s.recordChange(tx, id, false); err != nil {
		return news.Article{}, err
	}
	return s.article(ctx, tx, id, true)
}

// missOrStale explains why a versioned write touched no row.
func (s *Store) missOrStale(ctx context.Context, tx *gorm.DB, id int64) error {
	var n int64
	if err := tx.WithContext(ctx).Raw(`SELECT count(*) FROM articles WHERE id = ?`, id).Scan(&n).Error; err != nil {
		return translate(err, "check article")
	}
	if n == 0 {
		return news.Errorf(news.ENotFound, "no article %d", id)
	}
	return news.Errorf(news.EPreconditionFailed, "article %d has changed since the version in If-Match", id)
}

// tx runs an article write in a transaction: on SQLite through the group
// commit, so that concurrent writes share one commit.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.group != nil {
		return translate(s.group.run(ctx, fn), "write")
	}
	return s.inTx(ctx, "write", fn)
}

// inTx runs fn in a transaction on the primary and translates its error,
// the commit's own included, with doing.
func (s *Store) inTx(ctx context.Context, doing string, fn func(tx *gorm.DB) error) error {
	return translate(s.w.WithContext(ctx).Transaction(fn), doing)
}

// CreateArticle stores a normalized draft.
func (s *Store) CreateArticle(ctx context.Context, d news.Draft) (a news.Article, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		a, err = s.insert(ctx, tx, d)
		return err
	})
	return a, s.nameExisting(ctx, err, d.URL)
}

// nameExisting completes a conflict that the database raised (two
// PostgreSQL transactions inserting one URL at once) with the id of the
// article that won, as the URL check inside the transaction does.
func (s *Store) nameExisting(ctx context.Context, err error, url string) error {
	var ne *news.Error
	if url == "" || !errors.As(err, &ne) || ne.Code != news.EConflict || ne.ExistingID != 0 {
		return err
	}
	var ids []int64
	if s.r.WithContext(ctx).Raw(`SELECT id FROM articles WHERE url = ?`, url).Scan(&ids).Error != nil || len(ids) == 0 {
		return err
	}
	e := news.FieldErrorf(news.EConflict, "url", "another article (id %d) already has this url", ids[0])
	e.ExistingID = ids[0]
	return e
}

// ReplaceArticle overwrites an article with a normalized draft.
func (s *Store) ReplaceArticle(ctx context.Context, id int64, d news.Draft, ifVersion int) (a news.Article, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		a, err = s.update(ctx, tx, id, d, ifVersion)
		return err
	})
	return a, err
}

// UpdateArticle applies a partial update and normalizes the result.
func (s *Store) UpdateArticle(ctx context.Context, id int64, u news.Update, ifVersion int) (a news.Article, err error) {
	// The patched draft is normalized inside the transaction, against
	// the vocabulary snapshot in memory.
	err = s.tx(ctx, func(tx *gorm.DB) error {
		cur, err := s.article(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if ifVersion != 0 && cur.Version != ifVersion {
			return news.Errorf(news.EPreconditionFailed, "article %d has changed since the version in If-Match", id)
		}
		d := u.Apply(cur)
		if err := d.Normalize(s.Vocabulary()); err != nil {
			return err
		}
		if d.Matches(cur) {
			a = cur // nothing changes, so neither does the version
			return nil
		}
		// The UPDATE checks the version it read, so nothing slips in between.
		a, err = s.update(ctx, tx, id, d, cur.Version)
		return err
	})
	return a, err
}

// DeleteArticle removes an article and records a tombstone.
func (s *Store) DeleteArticle(ctx context.Context, id int64, ifVersion int) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		// Its pairs and tag rows first, found from its row. Should the
		// version not match, the write is rolled back, tag rows and all.
		if err := s.dialect.dropTags(gormExec(tx), id); err != nil {
			return translate(err, "delete article")
		}
		var versions []int
		q := `DELETE FROM articles WHERE id = ?`
		args := []any{id}
		if ifVersion != 0 {
			q += ` AND version = ?`
			args = append(args, ifVersion)
		}
		if err := tx.Raw(q+` RETURNING version`, args...).Scan(&versions).Error; err != nil {
			return translate(err, "delete article")
		}
		if len(versions) == 0 {
			return s.missOrStale(ctx, tx, id)
		}
		err := tx.Exec(`INSERT INTO article_tombstones (id, version, deleted_at) VALUES (?, ?, ?)`,
			id, versions[0]+1, micros(s.now())).Error
		if err != nil {
			return translate(err, "record tombstone")
		}
		return s.recordChange(tx, id, true)
	})
}

// UpsertArticle creates an article or replaces the one with the same URL,
// through the import path. When another transaction inserts the same URL
// first, it retries once and replaces that one.
func (s *Store) UpsertArticle(ctx context.Context, d news.Draft) (news.Article, bool, error) {
	ids, created, err := s.upsertMany(ctx, []news.Draft{d})
	if news.ErrorCode(err) == news.EConflict {
		ids, created, err = s.upsertMany(ctx, []news.Draft{d})
	}
	if err != nil {
		return news.Article{}, false, err
	}
	a, err := s.article(ctx, s.r, ids[0], true)
	return a, created[0], err
}

// EachArticle calls fn for every article, drafts included, in id order,
// from the primary. It reads in batches so that a large export holds no long read transaction.
func (s *Store) EachArticle(ctx context.Context, fn func(news.Article) error) error {
	var after int64
	for {
		list, err := queryArticles(ctx, s.r, `SELECT `+s.dialect.columns(true)+` FROM articles a WHERE a.id > ? ORDER BY a.id LIMIT 500`, []any{after})
		if err != nil {
			return translate(err, "export articles")
		}
		for _, a := range list {
			if err := fn(a); err != nil {
				return err
			}
		}
		if len(list) < 500 {
			return nil
		}
		after = list[len(list)-1].ID
	}
}

// Empty reports whether the database has never held an article (no
// articles and no tombstones), the condition for loading demo data.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var n int64
	err := s.r.WithContext(ctx).Raw(`SELECT (SELECT count(*) FROM (SELECT 1 FROM articles LIMIT 1) a) + (SELECT count(*) FROM (SELECT 1 FROM article_tombstones LIMIT 1) t)`).Scan(&n).Error
	return n == 0, translate(err, "check for articles")
}

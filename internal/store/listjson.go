package store

import (
	"bytes"
	"context"
	gosql "database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/ticker"
	"github.com/headlines/headlines/internal/wire"
)

// On SQLite each article keeps the JSON a list shows it as (the fields of
// wire.ListFields) in articles.list_json, and a list page whose caller
// writes that JSON (news.Filter.ListJSON) reads three columns per row,
// the id, the date and the JSON, instead of eighteen, and copies the JSON
// out instead of writing it again; so does a search's walk (readWalk).
// Measured on page 1 of a country and a theme at a million articles, one
// server core: 8,385 → 11,825 req/s (medians of five alternated runs).
// Of the 112 µs a page took, SQLite's reading of eighteen columns of 21
// rows, the driver's conversion of each value and the JSON writer were
// about 40.
//
// list_json is NULL or the JSON of the row as it is (migration 00023):
// any UPDATE of an article that does not itself write list_json clears
// it, in a trigger, so no write path has to know of it, and an INSERT
// leaves it NULL unless it writes it. A create (insert, withListJSON)
// and a load (an import into an empty database) write it with each
// article; an upsert of a new article and an exact restore of an export
// leave it to the server. FillListJSON writes the rest, newest ids first, on
// the writer in a transaction of its own: the rows it reads cannot change
// before it writes them. A server runs it in the background
// (KeepListJSON): articles changed through the API get theirs again
// within listJSONEvery, and every article of a database migrated to the
// column gets its own, newest first. Until then, a page or walk that
// meets such a row is read again by its columns (readListJSONPage).
//
// PostgreSQL has the column but leaves it NULL: its lists read columns.

// listJSONBatch is how many articles FillListJSON writes per transaction:
// small enough that the writer's other work waits a few milliseconds at
// most.
const listJSONBatch = 200

// listJSONEvery is how often KeepListJSON looks for articles without
// their list JSON.
const listJSONEvery = 100 * time.Millisecond

// FillListJSON writes the list JSON of up to n articles that have none,
// newest ids first, and returns how many it wrote.
func (s *Store) FillListJSON(ctx context.Context, n int) (int, error) {
	if s.dialect.postgres {
		return 0, nil
	}
	filled := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		ids, docs, err := s.listJSONToWrite(tx, n)
		if err != nil {
			return err
		}
		for i, id := range ids {
			if err := tx.Exec(`UPDATE articles SET list_json = ? WHERE id = ?`, docs[i], id).Error; err != nil {
				return err
			}
		}
		filled = len(ids)
		return nil
	})
	return filled, err
}

// listJSONToWrite reads up to n articles without their list JSON, newest
// ids first, and returns their ids and JSON.
func (s *Store) listJSONToWrite(tx *gorm.DB, n int) (ids []int64, docs []string, err error) {
	rows, err := tx.Raw(`SELECT `+s.dialect.columns(false)+` FROM articles a
		WHERE a.list_json IS NULL ORDER BY a.id DESC LIMIT ?`, n).Rows()
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = rows.Close() }()
	var (
		r   articleRow
		buf bytes.Buffer
	)
	for rows.Next() {
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, nil, err
		}
		ids, docs = append(ids, r.ID), append(docs, listJSONOf(r.toArticle(), &buf))
	}
	return ids, docs, rows.Err()
}

// KeepListJSON fills the list JSON of articles that have none, every
// listJSONEvery, in batches until none is left, until the returned stop
// is called. A failed batch is tried again at the next tick. It does
// nothing on PostgreSQL.
func (s *Store) KeepListJSON() (stop func()) {
	if s.dialect.postgres {
		return func() {}
	}
	return ticker.Every(listJSONEvery, nil, func(ctx context.Context) {
		// Asked of a reader first: a batch is a write transaction, which
		// every tick would otherwise take on the one writer for nothing.
		if n, err := s.ListJSONMissing(ctx, 1); err != nil || n == 0 {
			return
		}
		for ctx.Err() == nil {
			n, err := s.FillListJSON(ctx, listJSONBatch)
			if err != nil || n < listJSONBatch {
				return
			}
		}
	})
}

// ListJSONMissing counts the articles without their list JSON, up to
// limit: 0 once KeepListJSON has caught up. Always 0 on PostgreSQL.
func (s *Store) ListJSONMissing(ctx context.Context, limit int) (int64, error) {
	if s.dialect.postgres {
		return 0, nil
	}
	var n int64
	err := s.read(ctx).Raw(`SELECT count(*) FROM (SELECT 1 FROM articles WHERE list_json IS NULL LIMIT ?)`, limit).Scan(&n).Error
	return n, translate(err, "count articles without their list JSON")
}

// listJSONColumns are what a page of list JSON selects (see
// readListJSONPage).
const listJSONColumns = "a.id, a.published_at, a.list_json"

// listJSONPage says whether the page of q, the list of f, is read as list
// JSON: on SQLite, in date order, without bodies, for a caller that
// writes the list's JSON.
func listJSONPage(d dialect, q listQuery, f news.Filter) bool {
	return listJSONWalk(d, f) && q.rank == ""
}

// listJSONWalk says whether a search walk for f reads list JSON (see
// readWalk): as listJSONPage.
func listJSONWalk(d dialect, f news.Filter) bool {
	return !d.postgres && f.ListJSON && !f.WithBody
}

// readListJSONPage runs a page query of limit+1 rows that selects
// listJSONColumns: each article comes back as its list JSON with its id
// and date. When one comes without (written in the last moments, or
// stored before the column and not yet filled), the page is read again
// full, which reads every column. Not those articles alone, by id: a
// second statement would see what was written after the first, and a
// public page could then show an article that had become a draft since,
// or no longer matches its filter, in the place the first found it.
func readListJSONPage(db *gorm.DB, sql string, args []any, limit int, full func() (news.Page, error)) (news.Page, error) {
	page := news.Page{Articles: make([]news.Article, 0, limit)}
	missing := false
	err := listJSONRows(db, sql, args, func(vals []driver.Value) (bool, error) {
		if len(vals) != 3 {
			return false, fmt.Errorf("a list JSON row has %d columns, not 3", len(vals))
		}
		if len(page.Articles) == limit {
			last := page.Articles[limit-1]
			page.Next = &news.Cursor{PublishedAt: last.PublishedAt, ID: last.ID}
			return false, nil
		}
		var r articleRow
		if err := r.fromListJSON(vals); err != nil {
			return false, err
		}
		if !r.ListJSON.Valid {
			missing = true
			return false, nil
		}
		page.Articles = append(page.Articles, news.Article{ID: r.ID, PublishedAt: fromMicros(r.PublishedAt), ListJSON: r.ListJSON.String})
		return true, nil
	})
	if err != nil {
		return news.Page{}, err
	}
	if missing {
		return full()
	}
	return page, nil
}

// errListJSONMissing says that a search walk read as list JSON found an
// article without it: the walk is read again by its columns (readWalkOf).
var errListJSONMissing = errors.New("an article of the walk has no list JSON")

// listJSONRows calls each with the values of every row of the query, as
// driverRows does, from the driver itself when db is the read pool, or
// through database/sql inside a transaction.
func listJSONRows(db *gorm.DB, sql string, args []any, each func(vals []driver.Value) (more bool, err error)) error {
	if pool, ok := db.Statement.ConnPool.(*gosql.DB); ok {
		return driverRows(db.Statement.Context, pool, sql, args, each)
	}
	rows, err := db.Raw(sql, args...).Rows()
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	var (
		id, pub int64
		doc     gosql.NullString
	)
	for rows.Next() {
		if err := rows.Scan(&id, &pub, &doc); err != nil {
			return err
		}
		vals := []driver.Value{id, pub, nil}
		if doc.Valid {
			vals[2] = doc.String
		}
		if more, err := each(vals); err != nil || !more {
			return err
		}
	}
	return rows.Err()
}

// listJSON is the list JSON of the article p that the load inserts as id:
// the JSON FillListJSON would write for the row, made from the values
// the row is inserted with.
func (l *load) listJSON(id int64, p pendingArticle) string {
	d := p.d
	null := func(s string) gosql.NullString { return gosql.NullString{String: s, Valid: s != ""} }
	r := articleRow{
		ID: id, Title: d.Title, Summary: d.Summary, URL: null(d.URL), ImageURL: null(d.ImageURL),
		Source: d.Source, Section: d.Section, Author: null(d.Author), Language: d.Language, Status: string(d.Status),
		PublishedAt: p.pub, Created: l.now, Updated: l.now, Version: 1,
		Countries: null(p.countries), Themes: null(p.themes), AutoTags: autoTags(*d),
	}
	return listJSONOf(r.toArticle(), &l.json)
}

// listJSONOf is a's list JSON, written in buf.
func listJSONOf(a news.Article, buf *bytes.Buffer) string {
	buf.Reset()
	wire.NewWriter(buf).Article(&a, wire.ListFields)
	return buf.String()
}

// sqlNextArticleID is the id SQLite gives the next article inserted: the
// highest it gave yet plus one (AUTOINCREMENT), on the one writer.
const sqlNextArticleID = `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'articles'), 0) + 1`

// fromListJSON sets r's id, date and list JSON from a row of
// listJSONColumns.
func (r *articleRow) fromListJSON(v []driver.Value) error {
	id, idOK := v[0].(int64)
	pub, pubOK := v[1].(int64)
	if !idOK || !pubOK {
		return fmt.Errorf("a list JSON row is %T %T", v[0], v[1])
	}
	r.ID, r.PublishedAt = id, pub
	switch doc := v[2].(type) {
	case string:
		r.ListJSON = gosql.NullString{String: doc, Valid: true}
	case []byte:
		r.ListJSON = gosql.NullString{String: string(doc), Valid: true}
	case nil:
		r.ListJSON = gosql.NullString{}
	default:
		return fmt.Errorf("the list JSON of article %d is %T", id, doc)
	}
	return nil
}

// withListJSON gives the new SQLite article m the id SQLite would give it,
// the highest it gave yet plus one (AUTOINCREMENT; the writer is the one
// connection, inside its transaction), and its list JSON for that id, so
// that it is inserted with its JSON rather than written a second time by
// FillListJSON.
func withListJSON(tx *gorm.DB, m *articleModel) error {
	if err := tx.Raw(sqlNextArticleID).Scan(&m.ID).Error; err != nil {
		return err
	}
	var buf bytes.Buffer
	doc := listJSONOf(m.toArticle(), &buf)
	m.ListJSON = &doc
	return nil
}

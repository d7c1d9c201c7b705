package store

import (
	"context"
	"database/sql"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

// Dump writes everything the database holds that a move must carry (see
// news.DumpWriter) from one read transaction, so that the change counter
// written last matches the articles and tombstones before it, however
// writers go on meanwhile. On PostgreSQL the transaction is REPEATABLE
// READ, a snapshot; a SQLite read transaction is one already. A long read
// on SQLite keeps the write-ahead log from being copied back into the
// file until it ends, which for a move, when writers are stopped, costs
// nothing. API keys and idempotency records are not written: keys are
// issued to the clients of one database, and idempotency records are
// forgotten after a day.
func (s *Store) Dump(ctx context.Context, w news.DumpWriter) error {
	var opts *sql.TxOptions
	if s.dialect.postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	return translate(s.r.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, step := range []func(*gorm.DB, news.DumpWriter) error{dumpThemes, dumpCountries, s.dumpArticles, dumpTombstones} {
			if err := step(tx, w); err != nil {
				return err
			}
		}
		var counter changeSeqModel
		if err := tx.First(&counter, 1).Error; err != nil {
			return err
		}
		return w.End(counter.Seq)
	}, opts), "export")
}

func dumpThemes(tx *gorm.DB, w news.DumpWriter) error {
	var rows []themeModel
	if err := tx.Order("slug").Find(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		t := news.Theme{Slug: r.Slug, Name: r.Name, Description: r.Description, Aliases: jsonList(r.Aliases), Keywords: jsonList(r.Keywords)}
		if err := w.Theme(t); err != nil {
			return err
		}
	}
	return nil
}

func dumpCountries(tx *gorm.DB, w news.DumpWriter) error {
	var rows []countryModel
	if err := tx.Order("code").Find(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		c := news.Country{Code: r.Code, Name: r.Name, Aliases: jsonList(r.Aliases), Keywords: jsonList(r.Keywords)}
		if err := w.Country(c); err != nil {
			return err
		}
	}
	return nil
}

// dumpArticles streams every article, drafts included, in id order, with
// its entry in the change feed.
func (s *Store) dumpArticles(tx *gorm.DB, w news.DumpWriter) error {
	rows, err := tx.Raw(`SELECT ` + s.dialect.columns(true) + `, c.seq, c.changed_at
		FROM articles a LEFT JOIN changes c ON c.article_id = a.id AND NOT c.deleted ORDER BY a.id`).Rows()
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var r articleRow
		var seq, at sql.NullInt64
		if err := rows.Scan(append(r.dest(), &seq, &at)...); err != nil {
			return err
		}
		if err := w.Article(r.toArticle(), feedEntry(seq, at)); err != nil {
			return err
		}
	}
	return rows.Err()
}

func dumpTombstones(tx *gorm.DB, w news.DumpWriter) error {
	rows, err := tx.Raw(`SELECT t.id, t.version, t.deleted_at, c.seq, c.changed_at
		FROM article_tombstones t LEFT JOIN changes c ON c.article_id = t.id AND c.deleted ORDER BY t.id`).Rows()
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var t news.Tombstone
		var deleted int64
		var seq, at sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Version, &deleted, &seq, &at); err != nil {
			return err
		}
		t.DeletedAt = fromMicros(deleted)
		if err := w.Tombstone(t, feedEntry(seq, at)); err != nil {
			return err
		}
	}
	return rows.Err()
}

// feedEntry is a change-feed entry read through a LEFT JOIN: none when
// the row has no entry.
func feedEntry(seq, at sql.NullInt64) news.FeedEntry {
	if !seq.Valid {
		return news.FeedEntry{}
	}
	return news.FeedEntry{Seq: seq.Int64, At: fromMicros(at.Int64)}
}

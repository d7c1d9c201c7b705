package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"time"

	"github.com/headlines/headlines/internal/news"
)

// BeginRestore starts taking back an export (see news.Restore). Into a
// database that has never held an article (no articles, no tombstones)
// the restore is exact (see exactRestore); into one that has, it merges
// (see mergeRestore).
func (s *Store) BeginRestore(ctx context.Context) (news.Restore, error) {
	empty, err := s.Empty(ctx)
	if err != nil {
		return nil, err
	}
	if empty {
		e, err := s.beginExact(ctx)
		if err != nil {
			return nil, err
		}
		if e != nil {
			return e, nil
		}
		// An article came in meanwhile: merge.
	}
	return s.beginMerge(ctx)
}

// exactRestore restores an export into a database that has never held an
// article, in one transaction, all or nothing: the vocabulary becomes the
// export's (themes it does not name are deleted), and every article and
// tombstone is stored with its id, version, times, tag sources and
// change-feed entry; Commit sets the change counter, and moves the ids
// that the database hands out next past the highest restored.
//
// Records must come in the export's order: the themes before the
// articles that carry them, articles and tombstones each by id. The
// restore is a load (see load, and pgLoad on PostgreSQL): articles go in
// with the indexes dropped, and its Commit makes the tag rows and builds
// the indexes.
type exactRestore struct {
	s       *Store
	ctx     context.Context
	ld      *load   // SQLite: the load that holds the file
	pl      *pgLoad // PostgreSQL: the load that holds the tables
	st      *bulkStatements
	tags    *loadTags // the restored articles, for their tag rows and ids
	vocab   restoreVocab
	pending []news.Article // articles waiting to be inserted (see flush)
	// The highest article and tombstone ids restored.
	lastArticle, lastTombstone int64
	seed                       maphash.Seed
	urls                       map[uint64]int64 // hashes of the restored urls, to their articles
	feed                       []feedRow
	counter                    int64 // the change counter when the restore began
	changeSeq                  int64 // the counter Commit sets, at least
}

// feedRow is a row of changes; seq 0 until the restore numbers it.
type feedRow struct {
	seq, id, at int64
	deleted     bool
}

// beginExact starts an exact restore, or returns nil when the database
// holds an article or a tombstone by the time its transaction began.
func (s *Store) beginExact(ctx context.Context) (*exactRestore, error) {
	e := &exactRestore{s: s, ctx: context.WithoutCancel(ctx), seed: maphash.MakeSeed(), urls: map[uint64]int64{}}
	if s.dialect.postgres {
		pl, err := s.startPGLoad(ctx, true)
		if pl == nil || err != nil {
			return nil, err
		}
		e.pl, e.st, e.tags = pl, pl.st, &pl.tags
		pl.feed = e.writeFeed
	} else {
		ld, err := s.startLoad(ctx, true)
		if ld == nil || err != nil {
			return nil, err
		}
		e.ld, e.st, e.tags = ld, ld.st, &ld.tags
		ld.feed = e.writeFeed
	}
	err := e.st.queryRow(`SELECT seq FROM change_seq WHERE id = 1`, nil, &e.counter)
	if err == nil {
		err = e.vocab.loadCountries(e.st)
	}
	if err != nil {
		e.Rollback()
		return nil, translate(err, "restore")
	}
	return e, nil
}

// Exact reports that the restore is exact.
func (e *exactRestore) Exact() bool { return true }

// Theme stores a theme, in place of the database's one of that slug.
func (e *exactRestore) Theme(_ context.Context, t news.Theme) error {
	if err := t.Normalize(); err != nil {
		return err
	}
	if err := e.vocab.addTheme(t); err != nil {
		return err
	}
	aliases, keywords := themeLists(t)
	return translate(e.st.exec(sqlUpsertTheme, t.Slug, t.Name, t.Description, aliases, keywords), "restore theme")
}

// sqlUpsertTheme stores a theme over the one of its slug.
const sqlUpsertTheme = `INSERT INTO themes (slug, name, description, aliases, keywords) VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (slug) DO UPDATE SET name = excluded.name, description = excluded.description,
	aliases = excluded.aliases, keywords = excluded.keywords`

// Country stores a country's name, aliases and keywords.
func (e *exactRestore) Country(_ context.Context, c news.Country) error {
	if err := normalizeCountry(&c, e.vocab.countries); err != nil {
		return err
	}
	aliases, _ := json.Marshal(c.Aliases)
	keywords, _ := json.Marshal(c.Keywords)
	return translate(e.st.exec(`UPDATE countries SET name = ?, aliases = ?, keywords = ? WHERE code = ?`,
		c.Name, string(aliases), string(keywords), c.Code), "restore country")
}

// Articles stores articles as they are, with their feed entries.
func (e *exactRestore) Articles(ctx context.Context, list []news.Article, feed []news.FeedEntry) ([]news.Outcome, []error, error) {
	out, errs := make([]news.Outcome, len(list)), make([]error, len(list))
	for i, a := range list {
		err := e.article(a, feed[i])
		switch {
		case refused(err):
			errs[i] = err
		case err != nil:
			return nil, nil, translate(err, "restore")
		default:
			out[i] = news.Created
		}
	}
	return out, errs, nil
}

// restoreInsertRows is how many restored articles wait before they are
// inserted, many per statement; on PostgreSQL, copied in (pgLoadCopyRows).
const restoreInsertRows = 470

func (e *exactRestore) article(a news.Article, f news.FeedEntry) error {
	a, err := normalizeRestored(a, e.vocab.snapshot())
	if err != nil {
		return err
	}
	if a.ID <= e.lastArticle {
		return news.FieldErrorf(news.EValidation, "id", "%d comes after article %d: an export lists articles by id", a.ID, e.lastArticle)
	}
	if err := e.checkURL(a.URL); err != nil {
		return err
	}
	e.lastArticle = a.ID
	if a.URL != "" {
		e.urls[maphash.String(e.seed, a.URL)] = a.ID
	}
	e.pending = append(e.pending, a)
	e.tags.add(a.ID, micros(a.PublishedAt), tagText(a.Countries), tagText(a.Themes), a.Status == news.StatusPublished)
	e.feed = append(e.feed, feedRow{seq: f.Seq, id: a.ID, at: feedTime(f, a.UpdatedAt)})
	per := restoreInsertRows
	if e.pl != nil {
		per = pgLoadCopyRows
	}
	if len(e.pending) >= per {
		return e.flush()
	}
	return nil
}

// checkURL refuses a url that an article restored before has. The url's
// index is built at the end (on SQLite): a hash of each url restored
// tells where to look.
func (e *exactRestore) checkURL(url string) error {
	if url == "" {
		return nil
	}
	if _, seen := e.urls[maphash.String(e.seed, url)]; !seen {
		return nil
	}
	if err := e.flush(); err != nil {
		return err
	}
	var ids []int64
	if err := e.st.queryInts(`SELECT id FROM articles WHERE url = ?`, []any{url}, &ids); err != nil {
		return err
	}
	if len(ids) > 0 {
		return news.FieldErrorf(news.EConflict, "url", "article %d of this import has this url already", ids[0])
	}
	return nil // two urls with one hash
}

// flush inserts the pending articles with their ids, many per statement;
// on PostgreSQL it starts copying them in (see pgLoad.flush: the next
// statement waits for the COPY).
func (e *exactRestore) flush() error {
	if len(e.pending) == 0 {
		return nil
	}
	if e.pl != nil {
		for _, a := range e.pending {
			e.pl.pending = append(e.pl.pending, restoreArgs(a))
		}
		e.pending = e.pending[:0]
		return e.pl.flush()
	}
	err := e.st.insertRowsAs(sqlRestoreArticleHead, "articles", restoreArticleColumns, len(e.pending), func(i int, args []any) []any {
		return append(args, restoreArgs(e.pending[i])...)
	})
	e.pending = e.pending[:0]
	return err
}

// sqlRestoreArticleHead inserts articles with all their stored columns.
const sqlRestoreArticleHead = `INSERT INTO articles (id, title, summary, body, url, image_url, source, section, author, language,
	status, published_at, created_at, updated_at, version, countries, themes, auto_tags) VALUES`

const restoreArticleColumns = 18

// restoreArgs are the values of sqlRestoreArticleHead's columns for a.
func restoreArgs(a news.Article) []any {
	return []any{a.ID, a.Title, a.Summary, a.Body, nullable(a.URL), nullable(a.ImageURL), a.Source, a.Section, nullable(a.Author),
		a.Language, string(a.Status), micros(a.PublishedAt), micros(a.CreatedAt), micros(a.UpdatedAt), a.Version,
		tagText(a.Countries), tagText(a.Themes), autoTags(news.Draft{AutoCountries: a.AutoCountries, AutoThemes: a.AutoThemes})}
}

// feedTime is when a feed entry was written: its own time, or else the
// time of the write it records.
func feedTime(f news.FeedEntry, written time.Time) int64 {
	if f.At.IsZero() {
		return micros(written)
	}
	return micros(f.At)
}

// Tombstones stores tombstones as they are, with their feed entries.
func (e *exactRestore) Tombstones(_ context.Context, list []news.Tombstone, feed []news.FeedEntry) ([]news.Outcome, []error, error) {
	out, errs := make([]news.Outcome, len(list)), make([]error, len(list))
	var rows []news.Tombstone
	for i, t := range list {
		if err := e.tombstone(t); err != nil {
			errs[i] = err
			continue
		}
		e.lastTombstone = t.ID
		rows = append(rows, t)
		e.feed = append(e.feed, feedRow{seq: feed[i].Seq, id: t.ID, at: feedTime(feed[i], t.DeletedAt), deleted: true})
		out[i] = news.Created
	}
	err := e.st.insertRows("article_tombstones", []string{"id", "version", "deleted_at"}, len(rows), func(i int, args []any) []any {
		return append(args, rows[i].ID, rows[i].Version, micros(rows[i].DeletedAt))
	})
	if err != nil {
		return nil, nil, translate(err, "restore tombstones")
	}
	return out, errs, nil
}

// tombstone says why t cannot be restored, or nil.
func (e *exactRestore) tombstone(t news.Tombstone) error {
	if err := checkTombstone(t); err != nil {
		return err
	}
	if t.ID <= e.lastTombstone {
		return news.FieldErrorf(news.EValidation, "id", "%d comes after tombstone %d: an export lists tombstones by id", t.ID, e.lastTombstone)
	}
	if e.tags.has(t.ID) {
		return news.FieldErrorf(news.EConflict, "id", "article %d of this import has this id: a deleted article's id is not reused", t.ID)
	}
	return nil
}

// checkTombstone says what is wrong with t's fields, or nil.
func checkTombstone(t news.Tombstone) error {
	var p news.Problems
	if t.ID < 1 {
		p.Add("id", "must be at least 1")
	}
	if t.Version < 1 {
		p.Add("version", "must be at least 1")
	}
	if t.DeletedAt.IsZero() {
		p.Add("deleted_at", "is required")
	}
	return p.Err(news.EValidation, "the tombstone has invalid fields")
}

// Commit deletes the themes the export does not name, writes the change
// feed and the tag rows, and commits.
func (e *exactRestore) Commit(_ context.Context, changeSeq int64) error {
	defer e.Rollback()
	e.changeSeq = changeSeq
	err := e.flush()
	if err == nil {
		slugs := slices.Sorted(maps.Keys(e.vocab.themes))
		err = e.st.exec(`DELETE FROM themes WHERE slug NOT IN (SELECT value FROM `+e.s.dialect.tagRows("?", "j")+`)`, tagText(slugs))
	}
	if err != nil {
		return translate(err, "restore")
	}
	if e.ld != nil {
		err = e.ld.Commit(e.ctx) // which calls writeFeed
		e.ld = nil
	} else {
		err = e.pl.Commit(e.ctx) // likewise
		e.pl = nil
	}
	e.s.reloadAfterRestore(e.ctx)
	return err
}

// writeFeed writes the change rows in sequence order, numbering those
// that came without an entry after the others, sets the change counter
// and moves the article ids past the highest restored.
func (e *exactRestore) writeFeed() error {
	given := func(f feedRow) int { // entries given first
		if f.seq == 0 {
			return 1
		}
		return 0
	}
	slices.SortFunc(e.feed, func(a, b feedRow) int {
		return cmp.Or(cmp.Compare(given(a), given(b)), cmp.Compare(a.seq, b.seq), cmp.Compare(a.id, b.id))
	})
	last := max(e.changeSeq, e.counter+1)
	for i := range e.feed {
		f := &e.feed[i]
		if i > 0 && f.seq != 0 && f.seq == e.feed[i-1].seq {
			return fmt.Errorf("the change feed entry %d is given to both %d and %d", f.seq, e.feed[i-1].id, f.id)
		}
		if f.seq == 0 { // after every entry given
			f.seq = last + 1
		}
		last = max(last, f.seq)
	}
	cols := []string{"seq", "article_id", "deleted", "changed_at"}
	var err error
	if e.pl != nil {
		err = e.pl.copyRows("changes", cols, len(e.feed), func(i int) []any {
			f := &e.feed[i]
			return []any{f.seq, f.id, f.deleted, f.at}
		})
	} else {
		err = e.st.insertRows("changes", cols, len(e.feed), func(i int, args []any) []any {
			f := &e.feed[i]
			return append(args, f.seq, f.id, f.deleted, f.at)
		})
	}
	if err == nil {
		err = e.st.exec(`UPDATE change_seq SET seq = ? WHERE id = 1`, last)
	}
	if err == nil && !e.s.dialect.postgres {
		// Tag-set counts left at zero by articles deleted before.
		err = e.st.exec(`DELETE FROM article_tagsets`)
	}
	if err == nil {
		err = e.s.dialect.passIDs(e.st, max(e.lastArticle, e.lastTombstone))
	}
	return err
}

// Rollback drops what was not committed.
func (e *exactRestore) Rollback() {
	if e.ld != nil {
		e.ld.Rollback()
		e.ld = nil
	}
	if e.pl != nil {
		e.pl.Rollback()
		e.pl = nil
	}
}

// passIDs makes the database hand out article ids above id from now on:
// on SQLite, the AUTOINCREMENT counter of articles (inserting an article
// with its id moves it too, a tombstone's does not); on PostgreSQL, the
// sequence of the id column, which an insert with an id leaves alone.
func (d dialect) passIDs(st *bulkStatements, id int64) error {
	if id < 1 {
		return nil
	}
	if d.postgres {
		var n int64
		return st.queryRow(`SELECT setval(pg_get_serial_sequence('articles', 'id'),
			GREATEST(?, coalesce(pg_sequence_last_value(pg_get_serial_sequence('articles', 'id')::regclass), 0)))`, []any{id}, &n)
	}
	res, err := st.execResult(`UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'articles'`, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	return st.exec(`INSERT INTO sqlite_sequence (name, seq) VALUES ('articles', ?)`, id)
}

// refused says whether err refuses one record (a bad field, a conflict
// with another record) rather than ends the restore.
func refused(err error) bool {
	var ne *news.Error
	return errors.As(err, &ne) && (ne.Code == news.EValidation || ne.Code == news.EConflict)
}

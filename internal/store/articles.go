package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/headlines/headlines/internal/news"
)

// articleRow is an article as the list queries read it, in the order of
// dialect.columns: the list path scans its rows by hand (see doc.go).
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
	ListJSON                      sql.NullString // read by pages and walks of list JSON alone (fromListJSON)
}

func (r *articleRow) dest() []any {
	return []any{&r.ID, &r.Title, &r.Summary, &r.Body, &r.URL, &r.ImageURL, &r.Source, &r.Section,
		&r.Author, &r.Language, &r.Status, &r.PublishedAt, &r.Created, &r.Updated, &r.Version,
		&r.Countries, &r.Themes, &r.AutoTags}
}

// tagList reads a tag text column (see tagText); never nil.
func tagList(s string) []string {
	if s == "" {
		return []string{}
	}
	tags := strings.Split(s, ",")
	slices.Sort(tags)
	return tags
}

// tagLists reads a row's two tag text columns as tagList does, into one
// array: a page's rows split theirs on every list request.
func tagLists(countries, themes string) ([]string, []string) {
	count := func(s string) int {
		if s == "" {
			return 0
		}
		return strings.Count(s, ",") + 1
	}
	nc := count(countries)
	all := make([]string, nc+count(themes))
	c, t := all[:nc:nc], all[nc:]
	splitInto(c, countries)
	splitInto(t, themes)
	slices.Sort(c)
	slices.Sort(t)
	return c, t
}

// splitInto fills dst with the comma-separated items of s, as many as
// dst holds.
func splitInto(dst []string, s string) {
	for i := range dst {
		item, rest, _ := strings.Cut(s, ",")
		dst[i], s = item, rest
	}
}

func (r *articleRow) toArticle() news.Article {
	countries, themes := tagLists(r.Countries.String, r.Themes.String)
	return news.Article{
		ID: r.ID, Title: r.Title, Summary: r.Summary, Body: r.Body,
		URL: r.URL.String, ImageURL: r.ImageURL.String, Author: r.Author.String,
		Source: r.Source, Section: r.Section, Language: r.Language,
		Countries: countries, Themes: themes,
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

// toArticle is the article that m holds, read as a list's row is.
func (m *articleModel) toArticle() news.Article {
	r := articleRow{
		ID: m.ID, Title: m.Title, Summary: m.Summary, Body: m.Body,
		URL: nullString(m.URL), ImageURL: nullString(m.ImageURL), Author: nullString(m.Author),
		Source: m.Source, Section: m.Section, Language: m.Language, Status: m.Status,
		PublishedAt: m.PublishedAt, Created: m.CreatedAt, Updated: m.UpdatedAt, Version: m.Version,
		Countries: sql.NullString{String: m.Countries, Valid: true}, Themes: sql.NullString{String: m.Themes, Valid: true},
		AutoTags: m.AutoTags,
	}
	return r.toArticle()
}

func nullString(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}

// newArticleModel is the row of a new article d, published at pub and
// written at now (microseconds).
func newArticleModel(d news.Draft, pub, now int64) articleModel {
	return articleModel{
		Title: d.Title, Summary: d.Summary, Body: d.Body,
		URL: optional(d.URL), ImageURL: optional(d.ImageURL), Author: optional(d.Author),
		Source: d.Source, Section: d.Section, Language: d.Language, Status: string(d.Status),
		PublishedAt: pub, CreatedAt: now, UpdatedAt: now, Version: 1,
		Countries: tagText(d.Countries), Themes: tagText(d.Themes), AutoTags: autoTags(d),
	}
}

// optional is a nullable column's value: nil (NULL) for "".
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// noArticle is the answer for an article that does not exist.
func noArticle(id int64) error { return news.Errorf(news.ENotFound, "no article %d", id) }

// stale is the answer for a write whose If-Match version is not the article's.
func stale(id int64) error {
	return news.Errorf(news.EPreconditionFailed, "article %d has changed since the version in If-Match", id)
}

// article reads article id through db (a pool or a transaction); a draft
// only when withDrafts.
func (s *Store) article(ctx context.Context, db *gorm.DB, id int64, withDrafts bool) (news.Article, error) {
	q := db.WithContext(ctx).Where("id = ?", id)
	if !withDrafts {
		q = q.Where("status = 'published'")
	}
	var m articleModel
	if err := q.Take(&m).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return news.Article{}, noArticle(id)
		}
		return news.Article{}, translate(err, "get article")
	}
	return m.toArticle(), nil
}

// Article returns one article.
func (s *Store) Article(ctx context.Context, id int64, withDrafts bool) (news.Article, error) {
	return s.article(ctx, s.read(ctx), id, withDrafts)
}

// lockedArticle reads article id in the write transaction tx: on
// PostgreSQL it locks the row until tx ends; a SQLite write transaction
// holds the whole database already (GORM's SQLite dialect leaves the
// FOR UPDATE out).
func lockedArticle(tx *gorm.DB, id int64) (articleModel, error) {
	var m articleModel
	err := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).Where("id = ?", id).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return m, noArticle(id)
	}
	return m, translate(err, "read article")
}

// articleWithURL is the id of an article other than except whose URL is
// url, or 0.
func articleWithURL(db *gorm.DB, url string, except int64) (int64, error) {
	var ids []int64
	err := db.Model(&articleModel{}).Where("url = ? AND id <> ?", url, except).Limit(1).Pluck("id", &ids).Error
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	return ids[0], nil
}

// urlTaken is the conflict of a URL that article id already has.
func urlTaken(id int64) error {
	e := news.FieldErrorf(news.EConflict, "url", "another article (id %d) already has this url", id)
	e.ExistingID = id
	return e
}

// checkURL returns EConflict naming the article other than except that
// already has url.
func checkURL(tx *gorm.DB, url string, except int64) error {
	if url == "" {
		return nil
	}
	id, err := articleWithURL(tx, url, except)
	switch {
	case err != nil:
		return translate(err, "check url")
	case id != 0:
		return urlTaken(id)
	}
	return nil
}

// insert stores the new article d, its tag rows and its change entry in
// tx. A URL that another article has already breaks the unique index on
// articles.url, and the caller names that article (nameExisting): a
// SELECT first, for every create, cost more than the rare conflict.
func (s *Store) insert(tx *gorm.DB, d news.Draft) (news.Article, error) {
	m, d := s.newRow(d)
	if s.dialect.postgres {
		if err := pgInsert(tx, &m, d); err != nil {
			return news.Article{}, translate(err, "create article")
		}
	} else {
		if err := withListJSON(tx, &m); err != nil {
			return news.Article{}, translate(err, "create article")
		}
		if err := tx.Create(&m).Error; err != nil {
			return news.Article{}, translate(err, "create article")
		}
		if err := createTags(tx, m.ID, m.PublishedAt, d); err != nil {
			return news.Article{}, translate(err, "tag article")
		}
	}
	if err := s.recordChange(tx, m.ID, false); err != nil {
		return news.Article{}, err
	}
	return m.toArticle(), nil
}

// newRow is the row of the new article d, created now, and d with its
// publication time: now, where d has none.
func (s *Store) newRow(d news.Draft) (articleModel, news.Draft) {
	now := micros(s.now())
	if d.PublishedAt.IsZero() {
		d.PublishedAt = s.now()
	}
	return newArticleModel(d, micros(d.PublishedAt), now), d
}

// pgInsert writes the new article m on PostgreSQL as insert does, with
// its tag rows (as tagModels makes them), in one statement: one round
// trip to the server instead of four, which is what the writes that share
// a commit (group.go) wait for one after another. It sets m.ID. The
// change entry stays a statement of its own, after this one and its
// triggers, so that the counter's row is still taken last.
func pgInsert(tx *gorm.DB, m *articleModel, d news.Draft) error {
	q, args := pgInsertSQL(m, d)
	return tx.Raw(q, args...).Row().Scan(&m.ID)
}

// pgInsertSQL is pgInsert's statement, with ? placeholders, and its
// arguments.
func pgInsertSQL(m *articleModel, d news.Draft) (string, []any) {
	pairs := ""
	args := []any{m.Title, m.Summary, m.Body, m.URL, m.ImageURL, m.Source, m.Section, m.Author, m.Language, m.Status,
		m.PublishedAt, m.CreatedAt, m.UpdatedAt, m.Version, m.Countries, m.Themes, m.AutoTags,
		m.PublishedAt, m.Countries, m.PublishedAt, m.Themes}
	if d.Status == news.StatusPublished {
		pairs = `, tp AS (INSERT INTO article_pairs (country, theme, published_at, article_id, countries, themes)
			SELECT c, t, ?, a.id, ?, ? FROM a, unnest(string_to_array(?, ',')) c, unnest(string_to_array(?, ',')) t)`
		args = append(args, m.PublishedAt, m.Countries, m.Themes, m.Countries, m.Themes)
	}
	return `WITH a AS (INSERT INTO articles (title, summary, body, url, image_url, source, section, author,
			language, status, published_at, created_at, updated_at, version, countries, themes, auto_tags)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id),
		tc AS (INSERT INTO article_countries (country, published_at, article_id)
			SELECT x, ?, a.id FROM a, unnest(string_to_array(?, ',')) x),
		tt AS (INSERT INTO article_themes (theme, published_at, article_id)
			SELECT x, ?, a.id FROM a, unnest(string_to_array(?, ',')) x)` + pairs + `
		SELECT id FROM a`, args
}

// pgPipedInsert is the create of d on PostgreSQL as a batch may send it
// with others (pipedInsert): pgInsert's statement, made when the batch
// comes to it, as insert makes it, then the change entry, which the batch
// holds until its end. done leaves the created article in *a.
func (s *Store) pgPipedInsert(d news.Draft, a *news.Article) *pipedInsert {
	var m articleModel
	build := func() (string, []any) {
		var pd news.Draft
		m, pd = s.newRow(d)
		q, args := pgInsertSQL(&m, pd)
		return postgresDialect.rebind(q), args
	}
	return &pipedInsert{build: build, done: func(tx *gorm.DB, id int64) error {
		m.ID = id
		if err := s.recordChange(tx, id, false); err != nil {
			return err
		}
		*a = m.toArticle()
		return nil
	}}
}

// update overwrites article id with d when its version matches ifVersion
// (0 = any). The row is read and locked first: its tag rows are found
// from it, and deleted only when the write goes ahead (Retag carries on in
// the same transaction after a write it skips).
func (s *Store) update(tx *gorm.DB, id int64, d news.Draft, ifVersion int) (news.Article, error) {
	if err := checkURL(tx, d.URL, id); err != nil {
		return news.Article{}, err
	}
	cur, err := lockedArticle(tx, id)
	if err != nil {
		return news.Article{}, err
	}
	if ifVersion != 0 && cur.Version != ifVersion {
		return news.Article{}, stale(id)
	}
	return s.rewrite(tx, &cur, d)
}

// rewrite writes d over the article cur, read and locked in tx, with its
// tag rows and its change entry, as its next version.
func (s *Store) rewrite(tx *gorm.DB, cur *articleModel, d news.Draft) (news.Article, error) {
	if d.PublishedAt.IsZero() { // a replace without a time keeps the stored one
		d.PublishedAt = fromMicros(cur.PublishedAt)
	}
	if err := recordCorrections(tx, cur, d, micros(s.now())); err != nil {
		return news.Article{}, translate(err, "record tag corrections")
	}
	if err := deleteTags(tx, cur); err != nil {
		return news.Article{}, translate(err, "tag article")
	}
	m := newArticleModel(d, micros(d.PublishedAt), micros(s.now()))
	m.ID, m.CreatedAt, m.Version = cur.ID, cur.CreatedAt, cur.Version+1
	// Every column but the id and created_at, zero values included.
	if err := tx.Select("*").Omit("id", "created_at").Updates(&m).Error; err != nil {
		return news.Article{}, translate(err, "update article")
	}
	if err := createTags(tx, m.ID, m.PublishedAt, d); err != nil {
		return news.Article{}, translate(err, "tag article")
	}
	if err := s.recordChange(tx, m.ID, false); err != nil {
		return news.Article{}, err
	}
	return m.toArticle(), nil
}

// tx runs an article write in a transaction through the group commit, so
// that concurrent writes share one commit.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return translate(s.group.run(ctx, fn), "write")
}

// inTx runs fn in a transaction on the primary and translates its error,
// the commit's own included, with doing.
func (s *Store) inTx(ctx context.Context, doing string, fn func(tx *gorm.DB) error) error {
	return translate(s.w.WithContext(ctx).Transaction(fn), doing)
}

// CreateArticle stores a normalized draft.
func (s *Store) CreateArticle(ctx context.Context, d news.Draft) (a news.Article, err error) {
	fn := func(tx *gorm.DB) error {
		a, err = s.insert(tx, d)
		return err
	}
	var piped *pipedInsert
	if s.dialect.postgres {
		piped = s.pgPipedInsert(d, &a)
	}
	err = translate(s.group.runPiped(ctx, fn, piped), "write")
	return a, s.nameExisting(ctx, err, d.URL)
}

// nameExisting completes a conflict that the database raised on a new
// article's URL with the id of the article that has it, as checkURL does
// for a write over an article.
func (s *Store) nameExisting(ctx context.Context, err error, url string) error {
	var ne *news.Error
	if url == "" || !errors.As(err, &ne) || ne.Code != news.EConflict || ne.ExistingID != 0 {
		return err
	}
	id, rerr := articleWithURL(s.r.WithContext(ctx), url, 0)
	if rerr != nil || id == 0 {
		return err
	}
	return urlTaken(id)
}

// ReplaceArticle overwrites an article with a normalized draft.
func (s *Store) ReplaceArticle(ctx context.Context, id int64, d news.Draft, ifVersion int) (a news.Article, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		a, err = s.update(tx, id, d, ifVersion)
		return err
	})
	return a, err
}

// UpdateArticle applies a partial update and normalizes the result.
func (s *Store) UpdateArticle(ctx context.Context, id int64, u news.Update, ifVersion int) (a news.Article, err error) {
	// The patched draft is normalized inside the transaction, against
	// the vocabulary snapshot in memory.
	err = s.tx(ctx, func(tx *gorm.DB) error {
		row, err := lockedArticle(tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && row.Version != ifVersion {
			return stale(id)
		}
		cur := row.toArticle()
		d := u.Apply(cur)
		if err := d.Normalize(s.Vocabulary()); err != nil {
			return err
		}
		if d.Matches(cur) {
			a = cur // nothing changes, so neither does the version
			return nil
		}
		if err := checkURL(tx, d.URL, id); err != nil {
			return err
		}
		a, err = s.rewrite(tx, &row, d)
		return err
	})
	return a, err
}

// DeleteArticle removes an article and records a tombstone.
func (s *Store) DeleteArticle(ctx context.Context, id int64, ifVersion int) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		cur, err := lockedArticle(tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && cur.Version != ifVersion {
			return stale(id)
		}
		// Its pairs and tag rows first, found from its row.
		if err := deleteTags(tx, &cur); err != nil {
			return translate(err, "delete article")
		}
		if err := tx.Delete(&cur).Error; err != nil {
			return translate(err, "delete article")
		}
		err = tx.Create(&tombstoneModel{ID: id, Version: cur.Version + 1, DeletedAt: micros(s.now())}).Error
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
	const batch = 500
	var after int64
	for {
		var rows []articleModel
		if err := s.r.WithContext(ctx).Where("id > ?", after).Order("id").Limit(batch).Find(&rows).Error; err != nil {
			return translate(err, "export articles")
		}
		for i := range rows {
			if err := fn(rows[i].toArticle()); err != nil {
				return err
			}
		}
		if len(rows) < batch {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

// Empty reports whether the database has never held an article (no
// articles and no tombstones), the condition for loading demo data.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	for _, m := range []any{&articleModel{}, &tombstoneModel{}} {
		var ids []int64
		if err := s.r.WithContext(ctx).Model(m).Limit(1).Pluck("id", &ids).Error; err != nil {
			return false, translate(err, "check for articles")
		}
		if len(ids) > 0 {
			return false, nil
		}
	}
	return true, nil
}

// recordCorrections records, in the write's transaction, each list of
// cur that the tagger filled and d sets by hand: an editor's correction
// (or confirmation) of the tagger, with the text the tagger saw.
func recordCorrections(tx *gorm.DB, cur *articleModel, d news.Draft, now int64) error {
	var rows []tagCorrectionModel
	add := func(kind, auto string, editor []string) {
		rows = append(rows, tagCorrectionModel{ArticleID: cur.ID, Kind: kind, Auto: auto, Editor: tagText(editor),
			Title: cur.Title, Summary: cur.Summary, CreatedAt: now})
	}
	if cur.AutoTags&autoCountries != 0 && !d.AutoCountries {
		add("country", cur.Countries, d.Countries)
	}
	if cur.AutoTags&autoThemes != 0 && !d.AutoThemes {
		add("theme", cur.Themes, d.Themes)
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.Create(&rows).Error
}

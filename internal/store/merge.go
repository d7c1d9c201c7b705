package store

import (
	"context"
	"encoding/json"
	"slices"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

// mergeRestore takes an export into a database that holds articles (or
// tombstones) already. It never gives a record another id, and never
// overwrites an article with a different one:
//
//   - A theme, by slug, is added, or takes the record's name,
//     description, aliases and keywords, as an edit through the API
//     would (a name another theme answers to refuses it). Themes the
//     export does not name are kept.
//   - A country, by code, takes the record's name, aliases and keywords.
//   - An article whose id is stored here with the same url (or none on
//     both) is the same article: it takes the record's fields as an
//     import's update does (a new version, written now), unless it holds
//     them already. An article whose id is free here (no article, no
//     tombstone) and whose url no article here has is created with its
//     id, version and times. Otherwise it is refused: its id is another
//     article's here, or a deleted one's, or its url is another id's.
//   - A tombstone whose id is a tombstone here already changes nothing;
//     one whose id is unknown here is recorded; one whose id is an
//     article's here is refused.
//
// Every write gets this database's next change-feed entry: the export's
// entries and counter are not used. Each batch is a transaction.
type mergeRestore struct {
	s         *Store
	countries map[string]news.Country // by code, as stored when the merge began or as it wrote them
}

func (s *Store) beginMerge(ctx context.Context) (*mergeRestore, error) {
	var rows []countryModel
	if err := s.w.WithContext(ctx).Find(&rows).Error; err != nil {
		return nil, translate(err, "read countries")
	}
	m := &mergeRestore{s: s, countries: make(map[string]news.Country, len(rows))}
	for _, r := range rows {
		m.countries[r.Code] = news.Country{Code: r.Code, Name: r.Name, Aliases: jsonList(r.Aliases), Keywords: jsonList(r.Keywords)}
	}
	return m, nil
}

// Exact reports that the restore merges.
func (m *mergeRestore) Exact() bool { return false }

// Theme adds a theme, or updates the one of its slug.
func (m *mergeRestore) Theme(ctx context.Context, t news.Theme) error {
	if err := t.Normalize(); err != nil {
		return err
	}
	cur, err := m.s.themeBySlug(ctx, m.s.r, t.Slug)
	switch {
	case news.ErrorCode(err) == news.ENotFound:
		_, err = m.s.CreateTheme(ctx, t)
		return err
	case err != nil:
		return err
	case cur.Name == t.Name && cur.Description == t.Description && slices.Equal(cur.Aliases, t.Aliases) && slices.Equal(cur.Keywords, t.Keywords):
		return nil
	}
	_, err = m.s.UpdateTheme(ctx, t.Slug, news.ThemeUpdate{Name: &t.Name, Description: &t.Description, Aliases: &t.Aliases, Keywords: &t.Keywords})
	return err
}

// Country updates a country, when the record differs from it.
func (m *mergeRestore) Country(ctx context.Context, c news.Country) error {
	cur, ok := m.countries[c.Code]
	if err := normalizeCountry(&c, map[string]bool{c.Code: ok}); err != nil {
		return err
	}
	if cur.Name == c.Name && slices.Equal(cur.Aliases, c.Aliases) && slices.Equal(cur.Keywords, c.Keywords) {
		return nil
	}
	aliases, _ := json.Marshal(c.Aliases)
	keywords, _ := json.Marshal(c.Keywords)
	err := m.s.inTx(ctx, "update country", func(tx *gorm.DB) error {
		err := tx.Model(&countryModel{Code: c.Code}).
			Updates(map[string]any{"name": c.Name, "aliases": string(aliases), "keywords": string(keywords)}).Error
		if err != nil {
			return err
		}
		return bumpGeneration(tx)
	})
	if err == nil {
		m.countries[c.Code] = c
	}
	m.s.reloadAfterRestore(ctx)
	return err
}

// Articles merges articles (see mergeRestore), a batch in one
// transaction. Should the database refuse the batch (another writer took
// a url meanwhile), each record is merged again on its own, so that the
// refused one is named and the others are kept.
func (m *mergeRestore) Articles(ctx context.Context, list []news.Article, _ []news.FeedEntry) ([]news.Outcome, []error, error) {
	out, errs := make([]news.Outcome, len(list)), make([]error, len(list))
	vocab := m.s.Vocabulary()
	for i := range list {
		var err error
		if list[i], err = normalizeRestored(list[i], vocab); err != nil {
			errs[i] = err
		}
	}
	err := m.s.bulkTx(ctx, func(st *bulkStatements) error { return m.articles(st, list, out, errs) })
	if !refused(translate(err, "import")) {
		return out, errs, translate(err, "import")
	}
	for i := range list {
		if errs[i] != nil {
			continue
		}
		one := []error{nil}
		err := m.s.bulkTx(ctx, func(st *bulkStatements) error { return m.articles(st, list[i:i+1], out[i:i+1], one) })
		switch err = translate(err, "import"); {
		case refused(err):
			errs[i] = err
		case err != nil:
			return nil, nil, err
		default:
			errs[i] = one[0]
		}
	}
	return out, errs, nil
}

// articles merges list in st's transaction, skipping the records that
// errs refuses already and refusing more there.
func (m *mergeRestore) articles(st *bulkStatements, list []news.Article, out []news.Outcome, errs []error) error {
	byID, byURL, gone, err := m.storedFor(st, list, errs)
	if err != nil {
		return err
	}
	seen, seenURL := map[int64]bool{}, map[string]bool{}
	var writes []articleWrite
	var top int64
	for i, a := range list {
		if errs[i] != nil {
			continue
		}
		old := byID[a.ID]
		switch {
		case seen[a.ID]:
			errs[i] = news.FieldErrorf(news.EConflict, "id", "article %d came earlier in this import", a.ID)
		case gone[a.ID]:
			errs[i] = news.FieldErrorf(news.EConflict, "id", "article %d was deleted here", a.ID)
		case old != nil && old.URL.String != a.URL:
			errs[i] = news.FieldErrorf(news.EConflict, "id", "article %d here is another article (url %q): ids of two databases do not merge", a.ID, old.URL.String)
		case old != nil && matches(draftOf(a), old):
			out[i] = news.Unchanged
		case old != nil:
			writes, out[i] = append(writes, articleWrite{d: draftOf(a), old: old, at: i}), news.Updated
		case byURL[a.URL] != 0 || seenURL[a.URL]:
			errs[i] = news.FieldErrorf(news.EConflict, "url", "another article (id %d) already has this url", byURL[a.URL])
		default:
			writes, out[i] = append(writes, articleWrite{fixed: &list[i], at: i}), news.Created
			top = max(top, a.ID)
		}
		if errs[i] == nil {
			seen[a.ID] = true
			if a.URL != "" {
				seenURL[a.URL] = true
			}
		}
	}
	now := micros(m.s.now())
	if err := m.s.writeArticles(st, writes, now); err != nil {
		return err
	}
	if err := m.s.dialect.passIDs(st, top); err != nil {
		return err
	}
	return recordWrites(st, writes, now)
}

// storedFor reads what is stored under the ids and urls of list's
// records that errs does not refuse: articles by id, the ids of articles
// by url, and which ids are tombstones.
func (m *mergeRestore) storedFor(st *bulkStatements, list []news.Article, errs []error) (map[int64]*articleRow, map[string]int64, map[int64]bool, error) {
	var ids, urls []any
	for i, a := range list {
		if errs[i] == nil {
			ids = append(ids, a.ID)
			if a.URL != "" {
				urls = append(urls, a.URL)
			}
		}
	}
	rows, err := m.s.storedArticles(st, "id", ids)
	if err != nil {
		return nil, nil, nil, err
	}
	byID := make(map[int64]*articleRow, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	owners, err := m.s.storedArticles(st, "url", urls)
	if err != nil {
		return nil, nil, nil, err
	}
	byURL := make(map[string]int64, len(owners))
	for _, r := range owners {
		byURL[r.URL.String] = r.ID
	}
	gone, err := tombstonesAmong(st, ids)
	return byID, byURL, gone, err
}

// tombstonesAmong says which of ids are tombstones.
func tombstonesAmong(st *bulkStatements, ids []any) (map[int64]bool, error) {
	const per = 500
	var found []int64
	for start := 0; start < len(ids); start += per {
		chunk := ids[start:min(start+per, len(ids))]
		if err := st.queryInts(`SELECT id FROM article_tombstones WHERE id IN (`+placeholders(len(chunk))+`)`, chunk, &found); err != nil {
			return nil, err
		}
	}
	out := make(map[int64]bool, len(found))
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// Tombstones merges tombstones (see mergeRestore), in one transaction.
func (m *mergeRestore) Tombstones(ctx context.Context, list []news.Tombstone, _ []news.FeedEntry) ([]news.Outcome, []error, error) {
	out, errs := make([]news.Outcome, len(list)), make([]error, len(list))
	err := m.s.bulkTx(ctx, func(st *bulkStatements) error {
		ids := make([]any, len(list))
		for i, t := range list {
			ids[i] = t.ID
		}
		live, err := m.s.storedArticles(st, "id", ids)
		if err != nil {
			return err
		}
		gone, err := tombstonesAmong(st, ids)
		if err != nil {
			return err
		}
		isLive := make(map[int64]bool, len(live))
		for _, r := range live {
			isLive[r.ID] = true
		}
		var added []int64
		for i, t := range list {
			switch {
			case checkTombstone(t) != nil:
				errs[i] = checkTombstone(t)
			case isLive[t.ID]:
				errs[i] = news.FieldErrorf(news.EConflict, "id", "article %d is stored here; the export records it deleted", t.ID)
			case gone[t.ID]:
				out[i] = news.Unchanged
			default:
				if err := st.exec(`INSERT INTO article_tombstones (id, version, deleted_at) VALUES (?, ?, ?)`, t.ID, t.Version, micros(t.DeletedAt)); err != nil {
					return err
				}
				gone[t.ID], out[i] = true, news.Created
				added = append(added, t.ID)
			}
		}
		if err := m.s.dialect.passIDs(st, slices.Max(append(added, 0))); err != nil {
			return err
		}
		return recordFeed(st, added, nil, true, micros(m.s.now()))
	})
	if err != nil {
		return nil, nil, translate(err, "import")
	}
	return out, errs, nil
}

// Commit ends the merge: every batch is stored already.
func (m *mergeRestore) Commit(ctx context.Context, _ int64) error {
	m.s.reloadAfterRestore(ctx)
	return nil
}

// Rollback does nothing: every batch is stored already.
func (m *mergeRestore) Rollback() {}

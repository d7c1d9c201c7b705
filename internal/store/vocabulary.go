package store

import (
	"context"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

// The vocabulary's single-row reads and writes go through GORM on
// countryModel and themeModel. Two kinds of statement stay SQL: the
// article counts (tagCountSQL, recountTags), read from tag_counts, which
// triggers on articles keep (migration 00012), and a theme's rename
// (renameTheme), which moves the tag rows, pairs and articles of the
// theme in one statement each.

// jsonList reads a JSON array of strings column; never nil. Most
// countries have no aliases and no keywords: "[]" skips the decoder,
// which took a third of listing the countries.
func jsonList(s string) []string {
	if s == "[]" {
		return []string{}
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil || out == nil {
		return []string{}
	}
	return out
}

// The columns of countryModel and themeModel, named rather than read as
// *: on PostgreSQL a statement cached by a pool's connection fails once
// ("cached plan must not change result type") after a migration adds or
// drops a column of its table.
var (
	countryColumns = []string{"code", "name", "aliases", "keywords"}
	themeColumns   = []string{"slug", "name", "description", "aliases", "keywords"}
)

func (m countryModel) toCountry() news.Country {
	return news.Country{Code: m.Code, Name: m.Name, Aliases: jsonList(m.Aliases), Keywords: jsonList(m.Keywords)}
}

func (m themeModel) toTheme() news.Theme {
	return news.Theme{Slug: m.Slug, Name: m.Name, Description: m.Description, Aliases: jsonList(m.Aliases), Keywords: jsonList(m.Keywords)}
}

// themeLists encodes a theme's aliases and keywords as their columns hold them.
func themeLists(t news.Theme) (aliases, keywords string) {
	a, _ := json.Marshal(t.Aliases)
	k, _ := json.Marshal(t.Keywords)
	return string(a), string(k)
}

// toThemeModel is t's row.
func toThemeModel(t news.Theme) themeModel {
	aliases, keywords := themeLists(t)
	return themeModel{Slug: t.Slug, Name: t.Name, Description: t.Description, Aliases: aliases, Keywords: keywords}
}

// Countries lists the countries with their published article counts.
func (s *Store) Countries(ctx context.Context, usedOnly bool) ([]news.Country, error) {
	db := s.read(ctx)
	var rows []countryModel
	if err := db.Select(countryColumns).Order("code").Find(&rows).Error; err != nil {
		return nil, translate(err, "list countries")
	}
	counts, err := s.tagCounts(db, tagCountry, "")
	if err != nil {
		return nil, err
	}
	out := make([]news.Country, 0, len(rows))
	for _, r := range rows {
		c := r.toCountry()
		c.ArticleCount = counts[c.Code]
		if usedOnly && c.ArticleCount == 0 {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// Country returns one country by code, name or alias.
func (s *Store) Country(ctx context.Context, name string) (news.Country, error) {
	code, ok := s.Vocabulary().Country(name)
	if !ok {
		return news.Country{}, news.Errorf(news.ENotFound, "no country %q", name)
	}
	db := s.read(ctx)
	var row countryModel
	if err := db.Select(countryColumns).Take(&row, "code = ?", code).Error; err != nil {
		return news.Country{}, translate(err, fmt.Sprintf("get country %q", code))
	}
	counts, err := s.tagCounts(db, tagCountry, code)
	if err != nil {
		return news.Country{}, err
	}
	c := row.toCountry()
	c.ArticleCount = counts[code]
	return c, nil
}

// The kinds of tag_counts' rows (migration 00012).
const (
	tagCountry = "country"
	tagTheme   = "theme"
)

// tagCounts reads, through db, the published article counts of the tags
// of kind (tagCountry or tagTheme), or of its one tag when tag is not "".
func (s *Store) tagCounts(db *gorm.DB, kind, tag string) (map[string]int, error) {
	q, args := s.dialect.tagCountSQL(kind, tag)
	return keyCounts(db, q, "count articles per "+kind, args...)
}

// keyCounts runs a query of (key, count) rows into a map.
func keyCounts(db *gorm.DB, sql, doing string, args ...any) (map[string]int, error) {
	var rows []struct {
		Key   string
		Count int
	}
	if err := db.Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, translate(err, doing)
	}
	m := make(map[string]int, len(rows))
	for _, r := range rows {
		m[r.Key] = r.Count
	}
	return m, nil
}

// tagListColumn names the articles column that lists the tags of kind.
func tagListColumn(kind string) string {
	if kind == tagCountry {
		return "countries"
	}
	return "themes"
}

// tagCountSQL is tagCounts' query: tag_counts' rows of kind (of its one
// tag ? when tag is not ""), a range of its key (TestTagCountPlans).
// Triggers keep them exact at every commit (migration 00012).
func (d dialect) tagCountSQL(kind, tag string) (string, []any) {
	q := `SELECT tag AS key, n AS count FROM tag_counts t WHERE kind = '` + kind + `'`
	if tag == "" {
		return q, nil
	}
	return q + ` AND t.tag = ?`, []any{tag}
}

// recountTags counts tag_counts afresh, through exec, for a write that
// went around its triggers on articles: a load, which drops them (see
// load.Commit), or a bulk copy with triggers off. Each tag's count is its
// rows in the tag table less the drafts' tags, read from the drafts'
// lists (articles_drafts): run it once the tag rows are written, in the
// same transaction. On PostgreSQL it first holds change_seq's row, which
// every writer of articles takes before its commit, so that none commits
// (and folds its changes into tag_counts) while it counts, and drops the
// changes its own transaction noted, which the count includes. At a
// million articles it takes about a third of a second on SQLite.
func (d dialect) recountTags(exec func(q string, args ...any) error) error {
	var steps []string
	if d.postgres {
		steps = append(steps, `SELECT seq FROM change_seq WHERE id = 1 FOR UPDATE`,
			`DELETE FROM tag_count_changes WHERE xid = txid_current()`)
	}
	steps = append(steps, `DELETE FROM tag_counts`, `INSERT INTO tag_counts (kind, tag, n) `+
		d.countTagRows(tagCountry, "article_countries", "country")+` UNION ALL `+
		d.countTagRows(tagTheme, "article_themes", "theme"))
	for _, q := range steps {
		if err := exec(q); err != nil {
			return err
		}
	}
	return nil
}

// countTagRows counts the published articles of each tag of kind, whose
// rows are in table with the tag in column col: the rows along the key,
// less the drafts' tags, read from the drafts' lists. CROSS JOIN keeps
// SQLite walking the drafts (articles_drafts) and splitting their lists:
// a join of every tag row to its article for the status took seconds at
// a million articles (migration 00008).
func (d dialect) countTagRows(kind, table, col string) string {
	list := tagListColumn(kind)
	return fmt.Sprintf(`SELECT '%[5]s', key, sum(n) FROM (
		SELECT %[2]s AS key, count(*) AS n FROM %[1]s GROUP BY %[2]s
		UNION ALL
		SELECT j.value, -count(*) FROM articles a CROSS JOIN %[3]s
		WHERE a.status = 'draft' AND a.%[4]s <> '' GROUP BY j.value
	) c GROUP BY key HAVING sum(n) <> 0`, table, col, d.tagRows("a."+list, "j"), list, kind)
}

// Themes lists the themes with their published article counts.
func (s *Store) Themes(ctx context.Context, usedOnly bool) ([]news.Theme, error) {
	db := s.read(ctx)
	var rows []themeModel
	if err := db.Select(themeColumns).Order("slug").Find(&rows).Error; err != nil {
		return nil, translate(err, "list themes")
	}
	counts, err := s.tagCounts(db, tagTheme, "")
	if err != nil {
		return nil, err
	}
	out := make([]news.Theme, 0, len(rows))
	for _, r := range rows {
		t := r.toTheme()
		t.ArticleCount = counts[t.Slug]
		if usedOnly && t.ArticleCount == 0 {
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// Theme returns one theme by slug, name or alias.
func (s *Store) Theme(ctx context.Context, name string) (news.Theme, error) {
	slug, ok := s.Vocabulary().Theme(name)
	if !ok {
		return news.Theme{}, news.Errorf(news.ENotFound, "no theme %q", name)
	}
	return s.themeBySlug(ctx, s.read(ctx), slug)
}

// writtenTheme reads one theme, with its count, in the write transaction
// tx, after tx changed it or its articles. On PostgreSQL, tx's changes to
// the counts are folded into tag_counts when it commits (migration
// 00012): SET CONSTRAINTS folds them now, so that the count read here
// has them.
func (s *Store) writtenTheme(ctx context.Context, tx *gorm.DB, slug string) (news.Theme, error) {
	if s.dialect.postgres {
		if err := tx.WithContext(ctx).Exec(`SET CONSTRAINTS tag_counts_fold IMMEDIATE`).Error; err != nil {
			return news.Theme{}, translate(err, "count theme")
		}
	}
	return s.themeBySlug(ctx, tx, slug)
}

// themeBySlug reads one theme, with its count, through db: a pool, or a
// transaction that has not changed the counts (else see writtenTheme).
func (s *Store) themeBySlug(ctx context.Context, db *gorm.DB, slug string) (news.Theme, error) {
	db = db.WithContext(ctx)
	var rows []themeModel
	if err := db.Select(themeColumns).Limit(1).Find(&rows, "slug = ?", slug).Error; err != nil {
		return news.Theme{}, translate(err, "get theme")
	}
	if len(rows) == 0 {
		return news.Theme{}, news.Errorf(news.ENotFound, "no theme %q", slug)
	}
	counts, err := s.tagCounts(db, tagTheme, slug)
	if err != nil {
		return news.Theme{}, err
	}
	t := rows[0].toTheme()
	t.ArticleCount = counts[slug]
	return t, nil
}

// checkThemeNames reports a slug, name or alias of t that another theme
// (not the one called except) already answers to, as the themes stand in
// the transaction tx.
func checkThemeNames(tx *gorm.DB, t news.Theme, except string) error {
	var rows []themeModel
	if err := tx.Select("slug", "name", "aliases").Find(&rows).Error; err != nil {
		return translate(err, "check theme names")
	}
	others := make([]news.Theme, 0, len(rows))
	for _, r := range rows {
		if r.Slug != except {
			others = append(others, r.toTheme())
		}
	}
	taken := news.NewVocabulary(nil, others, nil)
	check := func(field, n string) error {
		if owner, ok := taken.Theme(n); ok {
			return news.FieldErrorf(news.EConflict, field, "%q is already used by theme %q", n, owner)
		}
		return nil
	}
	if err := check("slug", t.Slug); err != nil {
		return err
	}
	if err := check("name", t.Name); err != nil {
		return err
	}
	for _, a := range t.Aliases {
		if err := check("aliases", a); err != nil {
			return err
		}
	}
	return nil
}

// insertTheme adds t's row; the error is left for the caller to translate.
func insertTheme(tx *gorm.DB, t news.Theme) error {
	row := toThemeModel(t)
	return tx.Create(&row).Error
}

// CreateTheme adds a theme.
func (s *Store) CreateTheme(ctx context.Context, t news.Theme) (news.Theme, error) {
	if err := t.Normalize(); err != nil {
		return news.Theme{}, err
	}
	var out news.Theme
	err := s.writeTheme(ctx, "write theme", func(tx *gorm.DB) (string, *news.Theme, error) {
		if err := checkThemeNames(tx, t, ""); err != nil {
			return "", nil, err
		}
		if err := insertTheme(tx, t); err != nil {
			return "", nil, translate(err, "create theme")
		}
		if err := bumpGeneration(tx); err != nil {
			return "", nil, err
		}
		var err error
		out, err = s.writtenTheme(ctx, tx, t.Slug)
		return "", &out, err
	})
	return out, err
}

// UpdateTheme changes or renames a theme. A rename changes every article
// that carries the theme: each gets the new slug, a new version and
// updated_at, and an entry in the change feed (see renameTheme).
func (s *Store) UpdateTheme(ctx context.Context, slug string, u news.ThemeUpdate) (news.Theme, error) {
	var out news.Theme
	err := s.writeTheme(ctx, "write theme", func(tx *gorm.DB) (string, *news.Theme, error) {
		cur, err := s.themeBySlug(ctx, tx, slug)
		if err != nil {
			return "", nil, err
		}
		t := u.Apply(cur)
		if err := t.Normalize(); err != nil {
			return "", nil, err
		}
		if err := checkThemeNames(tx, t, cur.Slug); err != nil {
			return "", nil, err
		}
		if err := s.changeTheme(tx, cur.Slug, t); err != nil {
			return "", nil, err
		}
		out, err = s.writtenTheme(ctx, tx, t.Slug)
		return cur.Slug, &out, err
	})
	return out, err
}

// changeTheme writes t over the theme called from: a rename (see
// renameTheme) when the slug changes, else an update of its row's other
// columns, named, so that none is left out for being empty.
func (s *Store) changeTheme(tx *gorm.DB, from string, t news.Theme) error {
	var n int64
	if t.Slug != from {
		var err error
		if n, err = s.renameTheme(tx, from, t); err != nil {
			return err
		}
	} else {
		res := tx.Model(&themeModel{}).Where("slug = ?", from).
			Select("name", "description", "aliases", "keywords").Updates(toThemeModel(t))
		if res.Error != nil {
			return translate(res.Error, "update theme")
		}
		if res.RowsAffected == 0 { // deleted meanwhile
			return news.Errorf(news.ENotFound, "no theme %q", from)
		}
	}
	if n == 0 {
		// No article changed, but what reads show did (names, or the
		// slugs that filters accept): caches keyed by the counter must notice.
		return bumpGeneration(tx)
	}
	return nil
}

// DeleteTheme removes a theme that no article carries, drafts included
// (their tag rows are in article_themes too), and refuses one that any
// carries: so a delete never changes an article, and no version or
// change-feed entry is due. Were it to take the tag off articles instead,
// it would have to do for them what renameTheme does.
func (s *Store) DeleteTheme(ctx context.Context, slug string) error {
	return s.writeTheme(ctx, "delete theme", func(tx *gorm.DB) (string, *news.Theme, error) {
		var n int64
		if err := tx.Model(&articleThemeModel{}).Where("theme = ?", slug).Count(&n).Error; err != nil {
			return "", nil, translate(err, "delete theme")
		}
		if n > 0 {
			return "", nil, news.Errorf(news.EConflict, "theme %q is carried by %d articles; retag them first", slug, n)
		}
		res := tx.Where("slug = ?", slug).Delete(&themeModel{})
		if res.Error != nil {
			return "", nil, translate(res.Error, "delete theme")
		}
		if res.RowsAffected == 0 {
			return "", nil, news.Errorf(news.ENotFound, "no theme %q", slug)
		}
		return slug, nil, bumpGeneration(tx)
	})
}

// writeTheme runs write in a transaction and, once it has committed,
// publishes the vocabulary with the theme that write names as from
// removed and the theme it returns put in its place. vocab.mu is held
// throughout, so that snapshots follow the order of the commits.
func (s *Store) writeTheme(ctx context.Context, doing string, write func(tx *gorm.DB) (from string, put *news.Theme, err error)) error {
	s.vocab.mu.Lock()
	defer s.vocab.mu.Unlock()
	var from string
	var put *news.Theme
	err := s.inTx(ctx, doing, func(tx *gorm.DB) (err error) {
		if err := lockArticleWrites(tx, s.dialect.postgres); err != nil {
			return err
		}
		from, put, err = write(tx)
		return err
	})
	if err == nil {
		s.editVocabularyLocked(ctx, from, put)
	}
	return err
}

// taggedWith lists, as one column id, the articles (drafts too) that
// carry theme ?: a range of article_themes' primary key.
const taggedWith = `SELECT article_id AS id FROM article_themes WHERE theme = ?`

// renameTheme renames theme from to t.Slug (with t's other members) for
// every article that carries it, and returns how many those are. Each
// step is one statement over the whole set, however many articles that
// is; at a million articles the commonest theme has 443,000, with
// 1,450,000 pairs:
//
//   - The theme's row under the new slug comes first and the old row goes
//     last, so that every tag row moves once, by a statement that also
//     rewrites the rest of its row. Updating the slug in place moved the
//     tag rows through ON UPDATE CASCADE, and the pairs' themes text took
//     a second pass over the same rows.
//   - The pairs, whose themes text (read by facets and tag-set counts)
//     changes for every pair of such an article, not only for the pairs
//     of this theme, are found by one pass over their table: looking
//     1,450,000 pairs up by key, from their articles, took 25 s, the
//     pass 0.6 s.
//   - The articles, found through the theme's range of article_themes,
//     get the new themes text, a version one higher and updated_at now,
//     so that their ETags change and caches load them again.
//   - Each of them gets a change-feed entry (recordChanges).
//
// A text list is sorted again after the rename, as tagText sorts.
func (s *Store) renameTheme(tx *gorm.DB, from string, t news.Theme) (int64, error) {
	d := s.dialect
	if err := s.lockForRename(tx, from); err != nil {
		return 0, err
	}
	if err := insertTheme(tx, t); err != nil {
		return 0, translate(err, "rename theme")
	}
	tags := tx.Exec(sqlRenameTagRows, t.Slug, from)
	if tags.Error != nil {
		return 0, translate(tags.Error, "rename theme")
	}
	var n int64
	if tags.RowsAffected > 0 { // else no pair or article names it: spare the pass over the pairs
		if err := tx.Exec(d.sqlRenamePairs(), from, t.Slug, from, t.Slug, ","+from+",").Error; err != nil {
			return 0, translate(err, "rename theme")
		}
		if !d.postgres {
			// The pairs' triggers left the tag-set counts of the old slug at
			// zero: no article will carry that tag set again, and the counts
			// of a pair are read whole by its facets (a rename of the
			// commonest theme left 128,000 such rows among 360,000).
			if err := tx.Exec(`DELETE FROM article_tagsets WHERE n = 0 AND `+d.hasTag("themes"), ","+from+",").Error; err != nil {
				return 0, translate(err, "rename theme")
			}
		}
		res := tx.Exec(d.sqlRenameArticles(), from, t.Slug, micros(s.now()), t.Slug)
		if res.Error != nil {
			return 0, translate(res.Error, "rename theme")
		}
		n = res.RowsAffected
	}
	del := tx.Where("slug = ?", from).Delete(&themeModel{})
	if del.Error != nil {
		return 0, translate(del.Error, "rename theme")
	}
	if del.RowsAffected == 0 { // deleted or renamed meanwhile
		return 0, news.Errorf(news.ENotFound, "no theme %q", from)
	}
	return n, s.recordChanges(tx, n, taggedWith, t.Slug)
}

// lockForRename locks, on PostgreSQL, the articles that carry theme slug,
// in id order, and then the theme's row. An article write locks its
// article first and then, as its tag rows' foreign keys are checked, the
// row of each theme it names: taken the other way round, the locks of a
// rename and of a write to one of its articles would deadlock. Once the
// theme's row is locked, a write that has not yet named the theme waits
// for the rename, and then fails (409) for want of the old slug; one
// that named it before has committed, and its tag rows are renamed with
// the rest. A batch of writes (group.go), which may name the theme and
// then edit one of its articles, is kept apart by lockArticleWrites,
// which writeTheme takes first. On SQLite the write transaction holds
// the whole database.
func (s *Store) lockForRename(tx *gorm.DB, slug string) error {
	if !s.dialect.postgres {
		return nil
	}
	var n int64
	if err := tx.Raw(`SELECT count(*) FROM (SELECT a.id FROM articles a WHERE a.id IN (`+taggedWith+`)
		ORDER BY a.id FOR UPDATE) x`, slug).Scan(&n).Error; err != nil {
		return translate(err, "lock articles of theme")
	}
	var slugs []string
	if err := tx.Raw(`SELECT slug FROM themes WHERE slug = ? FOR UPDATE`, slug).Scan(&slugs).Error; err != nil {
		return translate(err, "lock theme")
	}
	if len(slugs) == 0 {
		return news.Errorf(news.ENotFound, "no theme %q", slug)
	}
	return nil
}

// sqlRenamePairs renames theme ? to ? (its first two parameters) in the
// theme column and the themes text (the next two) of every pair of an
// article that carries it, which the last parameter names as ",slug,".
func (d dialect) sqlRenamePairs() string {
	return `UPDATE article_pairs SET theme = CASE theme WHEN ? THEN ? ELSE theme END,
		themes = ` + d.renamedTags("article_pairs.themes") + ` WHERE ` + d.hasTag("article_pairs.themes")
}

// sqlRenameTagRows moves the tag rows of theme ? (the second parameter)
// to theme ? (the first), along the theme's range of the key.
const sqlRenameTagRows = `UPDATE article_themes SET theme = ? WHERE theme = ?`

// sqlRenameArticles renames theme ? to ? in the themes text of every
// article that carries it (the new slug by now, the fourth parameter),
// and gives each the next version and updated_at ? (the third).
func (d dialect) sqlRenameArticles() string {
	return `UPDATE articles SET themes = ` + d.renamedTags("articles.themes") + `, version = version + 1, updated_at = ?
		WHERE id IN (` + taggedWith + `)`
}

// hasTag is a condition that the tag text list in column col holds the
// tag that its parameter names as ",tag," (a tag never holds a comma).
func (d dialect) hasTag(col string) string {
	if d.postgres {
		return `strpos(',' || ` + col + ` || ',', ?) > 0`
	}
	return `instr(',' || ` + col + ` || ',', ?) > 0`
}

// renamedTags is the tag text list in column col with the tag ? renamed
// to ?, sorted again byte by byte, as tagText sorts (COLLATE "C": a
// PostgreSQL locale would put "human-rights" after "humanitarian").
func (d dialect) renamedTags(col string) string {
	renamed := `SELECT CASE j.value WHEN ? THEN ? ELSE j.value END AS v FROM ` + d.tagRows(col, "j")
	if d.postgres {
		return `(SELECT string_agg(r.v, ',' ORDER BY r.v COLLATE "C") FROM (` + renamed + `) r)`
	}
	return `(SELECT group_concat(r.v, ',' ORDER BY r.v) FROM (` + renamed + `) r)`
}

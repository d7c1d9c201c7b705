package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/classify"
	"github.com/headlines/headlines/internal/news"
)

type countryRow struct {
	Code     string
	Name     string
	Aliases  string
	Keywords string
	Count    int
}

type themeRow struct {
	Slug        string
	Name        string
	Description string
	Aliases     string
	Keywords    string
	Count       int
}

// jsonList reads a JSON array of strings column; never nil.
func jsonList(s string) []string {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil || out == nil {
		return []string{}
	}
	return out
}

func (r themeRow) toTheme() news.Theme {
	return news.Theme{Slug: r.Slug, Name: r.Name, Description: r.Description, ArticleCount: r.Count,
		Aliases: jsonList(r.Aliases), Keywords: jsonList(r.Keywords)}
}

// loadCountries reads the fixed country list once.
func (s *Store) loadCountries(ctx context.Context) error {
	s.vocabMu.RLock()
	done := s.countryBy != nil
	s.vocabMu.RUnlock()
	if done {
		return nil
	}
	var rows []countryRow
	if err := s.read(ctx).Raw(`SELECT code, name, aliases, keywords FROM countries ORDER BY code`).Scan(&rows).Error; err != nil {
		return translate(err, "load countries")
	}
	list := make([]news.Country, 0, len(rows))
	by := make(map[string]string, len(rows)*3)
	for _, r := range rows {
		c := news.Country{Code: r.Code, Name: r.Name, Aliases: jsonList(r.Aliases), Keywords: jsonList(r.Keywords)}
		for _, n := range append([]string{c.Code, c.Name}, c.Aliases...) {
			by[news.NameKey(n)] = c.Code
		}
		list = append(list, c)
	}
	// Codes win over names and aliases that fold to the same key.
	for _, c := range list {
		by[news.NameKey(c.Code)] = c.Code
	}
	s.vocabMu.Lock()
	s.countries, s.countryBy = list, by
	s.vocabMu.Unlock()
	return nil
}

// ResolveCountry returns the code for a country code, name or alias in any case.
func (s *Store) ResolveCountry(name string) (string, bool) {
	if err := s.loadCountries(context.Background()); err != nil {
		return "", false
	}
	s.vocabMu.RLock()
	defer s.vocabMu.RUnlock()
	code, ok := s.countryBy[news.NameKey(name)]
	return code, ok
}

func (s *Store) invalidateThemes() {
	s.vocabMu.Lock()
	s.themeBy, s.tagger = nil, nil
	s.vocabMu.Unlock()
}

// vocabTTL is how long the themes read from the database (names, aliases,
// keywords and the tagger built from them) are used before they are read
// again: a change made through this process takes effect at once, one
// made through another instance sharing the database within this time.
const vocabTTL = 10 * time.Second

// vocabCurrent says whether vocabulary read at at is still current.
func (s *Store) vocabCurrent(at time.Time) bool {
	return s.now().Sub(at) < vocabTTL || s.loads.Load() > 0
}

// loadTagger returns the automatic tagger, built on first use from the
// countries' names and keywords and the themes' keywords, and again after
// a theme changes or vocabTTL passes.
func (s *Store) loadTagger(ctx context.Context) (*classify.Tagger, error) {
	s.vocabMu.RLock()
	t, at := s.tagger, s.taggerAt
	s.vocabMu.RUnlock()
	if t != nil && s.vocabCurrent(at) {
		return t, nil
	}
	if err := s.loadCountries(ctx); err != nil {
		return nil, err
	}
	var rows []themeRow
	// From the primary, like the theme names: a keyword added a moment ago counts.
	if err := s.r.WithContext(ctx).Raw(`SELECT slug, keywords FROM themes ORDER BY slug`).Scan(&rows).Error; err != nil {
		return nil, translate(err, "load theme keywords")
	}
	themes := make([]classify.Entry, len(rows))
	for i, r := range rows {
		themes[i] = classify.Entry{Key: r.Slug, Terms: jsonList(r.Keywords)}
	}
	s.vocabMu.Lock()
	defer s.vocabMu.Unlock()
	countries := make([]classify.Entry, len(s.countries))
	for i, c := range s.countries {
		countries[i] = classify.Entry{Key: c.Code, Terms: append([]string{c.Name}, c.Keywords...)}
	}
	s.tagger, s.taggerAt = classify.New(countries, themes), s.now()
	return s.tagger, nil
}

// Classify runs the automatic tagger over a text.
func (s *Store) Classify(ctx context.Context, title, summary, body string) (news.Suggestions, error) {
	t, err := s.loadTagger(ctx)
	if err != nil {
		return news.Suggestions{}, err
	}
	res := t.Tag(classify.Text{Title: title, Summary: summary, Body: body})
	return news.Suggestions{Countries: suggestions(res.Countries), Themes: suggestions(res.Themes)}, nil
}

func suggestions(matches []classify.Match) []news.Suggestion {
	out := make([]news.Suggestion, len(matches))
	for i, m := range matches {
		out[i] = news.Suggestion{Key: m.Key, Words: m.Words}
	}
	return out
}

func (s *Store) loadThemeKeys(ctx context.Context) (map[string]string, error) {
	s.vocabMu.RLock()
	by, at := s.themeBy, s.themeAt
	s.vocabMu.RUnlock()
	if by != nil && s.vocabCurrent(at) {
		return by, nil
	}
	var rows []themeRow
	// From the primary (never a replica): a theme created a moment ago must
	// resolve. On SQLite the read pool, since a write transaction may be
	// holding the one writer connection while it resolves names.
	if err := s.r.WithContext(ctx).Raw(`SELECT slug, name, aliases FROM themes`).Scan(&rows).Error; err != nil {
		return nil, translate(err, "load themes")
	}
	by = make(map[string]string, len(rows)*3)
	for _, r := range rows {
		t := r.toTheme()
		for _, n := range append([]string{t.Name}, t.Aliases...) {
			by[news.NameKey(n)] = t.Slug
		}
	}
	for _, r := range rows {
		by[news.NameKey(r.Slug)] = r.Slug
	}
	names := make(map[string]string, len(rows))
	for _, r := range rows {
		names[r.Slug] = r.Name
	}
	s.vocabMu.Lock()
	s.themeBy, s.themeNames, s.themeAt = by, names, s.now()
	s.vocabMu.Unlock()
	return by, nil
}

// CountryName is the English name of a country code, from memory.
func (s *Store) CountryName(code string) string {
	if err := s.loadCountries(context.Background()); err != nil {
		return code
	}
	s.vocabMu.RLock()
	defer s.vocabMu.RUnlock()
	i, ok := slices.BinarySearchFunc(s.countries, code, func(c news.Country, code string) int { return strings.Compare(c.Code, code) })
	if !ok {
		return code
	}
	return s.countries[i].Name
}

// ThemeName is the name of a theme slug, from the cached vocabulary.
func (s *Store) ThemeName(ctx context.Context, slug string) string {
	if _, err := s.loadThemeKeys(ctx); err != nil {
		return slug
	}
	s.vocabMu.RLock()
	defer s.vocabMu.RUnlock()
	if n, ok := s.themeNames[slug]; ok {
		return n
	}
	return slug
}

// ResolveTheme returns the slug for a theme slug, name or alias in any case.
func (s *Store) ResolveTheme(ctx context.Context, name string) (string, bool, error) {
	by, err := s.loadThemeKeys(ctx)
	if err != nil {
		return "", false, err
	}
	slug, ok := by[news.NameKey(name)]
	return slug, ok, nil
}

// Countries lists the countries with their published article counts.
func (s *Store) Countries(ctx context.Context, usedOnly bool) ([]news.Country, error) {
	if err := s.loadCountries(ctx); err != nil {
		return nil, err
	}
	counts, err := s.tagCounts(ctx, "article_countries", "country", "countries")
	if err != nil {
		return nil, err
	}
	s.vocabMu.RLock()
	defer s.vocabMu.RUnlock()
	out := make([]news.Country, 0, len(s.countries))
	for _, c := range s.countries {
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
	code, ok := s.ResolveCountry(name)
	if !ok {
		return news.Country{}, news.Errorf(news.ENotFound, "no country %q", name)
	}
	all, err := s.Countries(ctx, false)
	if err != nil {
		return news.Country{}, err
	}
	i, _ := slices.BinarySearchFunc(all, code, func(c news.Country, code string) int { return strings.Compare(c.Code, code) })
	return all[i], nil
}

// tagCounts counts published articles per tag value of a join table: its
// rows along its key, less the rows of drafts, which articles_drafts lists
// (a join of every row to its article for the status took seconds at a
// million articles).
func (s *Store) tagCounts(ctx context.Context, table, col, list string) (map[string]int, error) {
	var rows []struct {
		Key   string
		Count int
	}
	if err := s.read(ctx).Raw(s.dialect.tagCountSQL(table, col, list)).Scan(&rows).Error; err != nil {
		return nil, translate(err, "count "+col)
	}
	m := make(map[string]int, len(rows))
	for _, r := range rows {
		m[r.Key] = r.Count
	}
	return m, nil
}

// tagCountSQL is tagCounts' query: the tag's rows, counted along the tag
// table's key, less the drafts' tags, read from the drafts' list column.
// CROSS JOIN keeps SQLite walking the drafts (articles_drafts) and
// splitting their lists.
func (d dialect) tagCountSQL(table, col, list string) string {
	return fmt.Sprintf(`SELECT key, sum(n) AS count FROM (
		SELECT %[2]s AS key, count(*) AS n FROM %[1]s GROUP BY %[2]s
		UNION ALL
		SELECT j.value, -count(*) FROM articles a CROSS JOIN %[3]s
		WHERE a.status = 'draft' AND a.%[4]s <> '' GROUP BY j.value
	) c GROUP BY key`, table, col, d.tagRows("a."+list, "j"), list)
}

// themeSelect reads themes with their published article counts, as
// tagCounts counts them: the theme's rows less the drafts that carry it.
// CROSS JOIN keeps SQLite walking the drafts, not every article of the
// theme (2.9 s at a million articles).
func (d dialect) themeSelect() string {
	return `SELECT th.slug, th.name, th.description, th.aliases, th.keywords,
	(SELECT count(*) FROM article_themes t WHERE t.theme = th.slug)
	- (SELECT count(*) FROM articles a CROSS JOIN ` + d.tagRows("a.themes", "j") + `
	  WHERE a.status = 'draft' AND a.themes <> '' AND j.value = th.slug) AS count
	FROM themes th`
}

// Themes lists the themes with their published article counts.
func (s *Store) Themes(ctx context.Context, usedOnly bool) ([]news.Theme, error) {
	var rows []themeRow
	if err := s.read(ctx).Raw(s.dialect.themeSelect() + ` ORDER BY th.slug`).Scan(&rows).Error; err != nil {
		return nil, translate(err, "list themes")
	}
	out := make([]news.Theme, 0, len(rows))
	for _, r := range rows {
		if usedOnly && r.Count == 0 {
			continue
		}
		out = append(out, r.toTheme())
	}
	return out, nil
}

// Theme returns one theme by slug, name or alias.
func (s *Store) Theme(ctx context.Context, name string) (news.Theme, error) {
	slug, ok, err := s.ResolveTheme(ctx, name)
	if err != nil {
		return news.Theme{}, err
	}
	if !ok {
		return news.Theme{}, news.Errorf(news.ENotFound, "no theme %q", name)
	}
	return s.themeBySlug(ctx, s.read(ctx), slug)
}

func (s *Store) themeBySlug(ctx context.Context, db *gorm.DB, slug string) (news.Theme, error) {
	var rows []themeRow
	if err := db.WithContext(ctx).Raw(s.dialect.themeSelect()+` WHERE th.slug = ?`, slug).Scan(&rows).Error; err != nil {
		return news.Theme{}, translate(err, "get theme")
	}
	if len(rows) == 0 {
		return news.Theme{}, news.Errorf(news.ENotFound, "no theme %q", slug)
	}
	return rows[0].toTheme(), nil
}

// checkThemeNames reports a slug, name or alias of t that another theme
// (not the one called except) already answers to.
func (s *Store) checkThemeNames(ctx context.Context, t news.Theme, except string) error {
	s.invalidateThemes()
	by, err := s.loadThemeKeys(ctx)
	if err != nil {
		return err
	}
	check := func(field, n string) error {
		if owner, ok := by[news.NameKey(n)]; ok && owner != except {
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

// themeLists encodes a theme's aliases and keywords as their columns hold them.
func themeLists(t news.Theme) (aliases, keywords string) {
	a, _ := json.Marshal(t.Aliases)
	k, _ := json.Marshal(t.Keywords)
	return string(a), string(k)
}

// insertTheme adds t's row; the error is left for the caller to translate.
func insertTheme(tx *gorm.DB, t news.Theme) error {
	aliases, keywords := themeLists(t)
	return tx.Exec(`INSERT INTO themes (slug, name, description, aliases, keywords) VALUES (?, ?, ?, ?, ?)`,
		t.Slug, t.Name, t.Description, aliases, keywords).Error
}

// CreateTheme adds a theme.
func (s *Store) CreateTheme(ctx context.Context, t news.Theme) (news.Theme, error) {
	if err := t.Normalize(); err != nil {
		return news.Theme{}, err
	}
	var out news.Theme
	err := s.inTx(ctx, "write theme", func(tx *gorm.DB) error {
		if err := s.checkThemeNames(ctx, t, ""); err != nil {
			return err
		}
		if err := insertTheme(tx, t); err != nil {
			return translate(err, "create theme")
		}
		if err := bumpGeneration(tx); err != nil {
			return err
		}
		var err error
		out, err = s.themeBySlug(ctx, tx, t.Slug)
		return err
	})
	s.invalidateThemes()
	return out, err
}

// UpdateTheme changes or renames a theme. A rename changes every article
// that carries the theme: each gets the new slug, a new version and
// updated_at, and an entry in the change feed (see renameTheme).
func (s *Store) UpdateTheme(ctx context.Context, slug string, u news.ThemeUpdate) (news.Theme, error) {
	var out news.Theme
	err := s.inTx(ctx, "write theme", func(tx *gorm.DB) error {
		cur, err := s.themeBySlug(ctx, tx, slug)
		if err != nil {
			return err
		}
		t := u.Apply(cur)
		if err := t.Normalize(); err != nil {
			return err
		}
		if err := s.checkThemeNames(ctx, t, cur.Slug); err != nil {
			return err
		}
		var n int64
		if t.Slug != cur.Slug {
			if n, err = s.renameTheme(tx, cur.Slug, t); err != nil {
				return err
			}
		} else {
			aliases, keywords := themeLists(t)
			res := tx.Exec(`UPDATE themes SET name = ?, description = ?, aliases = ?, keywords = ? WHERE slug = ?`,
				t.Name, t.Description, aliases, keywords, cur.Slug)
			if res.Error != nil {
				return translate(res.Error, "update theme")
			}
			if res.RowsAffected == 0 { // deleted meanwhile
				return news.Errorf(news.ENotFound, "no theme %q", cur.Slug)
			}
		}
		if n == 0 {
			// No article changed, but what reads show did (names, or the
			// slugs that filters accept): caches keyed by the counter must notice.
			if err := bumpGeneration(tx); err != nil {
				return err
			}
		}
		out, err = s.themeBySlug(ctx, tx, t.Slug)
		return err
	})
	s.invalidateThemes()
	return out, err
}

// DeleteTheme removes a theme that no article carries, drafts included
// (their tag rows are in article_themes too), and refuses one that any
// carries: so a delete never changes an article, and no version or
// change-feed entry is due. Were it to take the tag off articles instead,
// it would have to do for them what renameTheme does.
func (s *Store) DeleteTheme(ctx context.Context, slug string) error {
	err := s.inTx(ctx, "delete theme", func(tx *gorm.DB) error {
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM article_themes WHERE theme = ?`, slug).Scan(&n).Error; err != nil {
			return translate(err, "delete theme")
		}
		if n > 0 {
			return news.Errorf(news.EConflict, "theme %q is carried by %d articles; retag them first", slug, n)
		}
		res := tx.Exec(`DELETE FROM themes WHERE slug = ?`, slug)
		if res.Error != nil {
			return translate(res.Error, "delete theme")
		}
		if res.RowsAffected == 0 {
			return news.Errorf(news.ENotFound, "no theme %q", slug)
		}
		return bumpGeneration(tx)
	})
	s.invalidateThemes()
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
	del := tx.Exec(`DELETE FROM themes WHERE slug = ?`, from)
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
// the rest. On SQLite the write transaction holds the whole database.
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

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

// CreateTheme adds a theme.
func (s *Store) CreateTheme(ctx context.Context, t news.Theme) (news.Theme, error) {
	if err := t.Normalize(); err != nil {
		return news.Theme{}, err
	}
	var out news.Theme
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.checkThemeNames(ctx, t, ""); err != nil {
			return err
		}
		aliases, _ := json.Marshal(t.Aliases)
		keywords, _ := json.Marshal(t.Keywords)
		if err := tx.Exec(`INSERT INTO themes (slug, name, description, aliases, keywords) VALUES (?, ?, ?, ?, ?)`,
			t.Slug, t.Name, t.Description, string(aliases), string(keywords)).Error; err != nil {
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

// UpdateTheme changes or renames a theme; tags follow a rename.
func (s *Store) UpdateTheme(ctx context.Context, slug string, u news.ThemeUpdate) (news.Theme, error) {
	var out news.Theme
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
		aliases, _ := json.Marshal(t.Aliases)
		keywords, _ := json.Marshal(t.Keywords)
		if err := tx.Exec(`UPDATE themes SET slug = ?, name = ?, description = ?, aliases = ?, keywords = ? WHERE slug = ?`,
			t.Slug, t.Name, t.Description, string(aliases), string(keywords), cur.Slug).Error; err != nil {
			return translate(err, "update theme")
		}
		if t.Slug != cur.Slug {
			// A rename changes how its articles read: the change feed says so.
			var ids []int64
			if err := tx.Raw(`SELECT article_id FROM article_themes WHERE theme = ? ORDER BY article_id`, t.Slug).Scan(&ids).Error; err != nil {
				return translate(err, "update theme")
			}
			for _, id := range ids {
				if err := s.dialect.retagText(tx, id, cur.Slug, t.Slug); err != nil {
					return translate(err, "update theme")
				}
				if err := s.recordChange(tx, id, false); err != nil {
					return err
				}
			}
		}
		if err := bumpGeneration(tx); err != nil {
			return err
		}
		out, err = s.themeBySlug(ctx, tx, t.Slug)
		return err
	})
	s.invalidateThemes()
	return out, err
}

// DeleteTheme removes a theme that no article carries.
func (s *Store) DeleteTheme(ctx context.Context, slug string) error {
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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

// retagText rewrites the theme text of article id and of its pairs after
// the theme from was renamed to, which their theme rows already say (ON
// UPDATE CASCADE).
func (d dialect) retagText(tx *gorm.DB, id int64, from, to string) error {
	var lists []string
	if err := tx.Raw(`SELECT themes FROM articles WHERE id = ?`, id).Scan(&lists).Error; err != nil || len(lists) == 0 {
		return err
	}
	text := renamedTags(lists[0], from, to)
	if err := tx.Exec(`UPDATE articles SET themes = ? WHERE id = ?`, text, id).Error; err != nil {
		return err
	}
	return tx.Exec(d.sqlRetagPairs(), text, id).Error
}

package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/headlines/headlines/internal/news"
)

// restoreVocab is the vocabulary an exact restore's articles may carry:
// every country code, and the themes restored so far. It resolves codes
// and slugs as they are written, nothing else, and never tags.
type restoreVocab struct {
	countries map[string]bool
	themes    map[string]bool
	names     map[string]string // news.NameKey of a restored theme's slug, name or alias → its slug
	snap      *news.Vocabulary  // made from the above by snapshot, nil after they change
}

func (v *restoreVocab) loadCountries(st *bulkStatements) error {
	rows, err := st.query(`SELECT code FROM countries`)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	v.countries, v.snap = map[string]bool{}, nil
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			return err
		}
		v.countries[code] = true
	}
	return rows.Err()
}

// addTheme notes a restored theme, refusing a slug restored before or a
// name another restored theme answers to.
func (v *restoreVocab) addTheme(t news.Theme) error {
	if v.themes == nil {
		v.themes, v.names = map[string]bool{}, map[string]string{}
	}
	if v.themes[t.Slug] {
		return news.FieldErrorf(news.EConflict, "slug", "theme %q came earlier in this import", t.Slug)
	}
	fields := []struct{ field, name string }{{"slug", t.Slug}, {"name", t.Name}}
	for _, a := range t.Aliases {
		fields = append(fields, struct{ field, name string }{"aliases", a})
	}
	for _, f := range fields {
		if owner, ok := v.names[news.NameKey(f.name)]; ok {
			return news.FieldErrorf(news.EConflict, f.field, "%q is already used by theme %q", f.name, owner)
		}
	}
	v.themes[t.Slug], v.snap = true, nil
	for _, f := range fields {
		v.names[news.NameKey(f.name)] = t.Slug
	}
	return nil
}

// snapshot is the vocabulary the restored articles are checked against:
// the country codes and the slugs of the themes restored so far, with no
// names, aliases or tagger, so that a tag resolves only as an export
// writes it. It is made again after a theme is added.
func (v *restoreVocab) snapshot() *news.Vocabulary {
	if v.snap == nil {
		countries := make([]news.Country, 0, len(v.countries))
		for code := range v.countries {
			countries = append(countries, news.Country{Code: code})
		}
		themes := make([]news.Theme, 0, len(v.themes))
		for slug := range v.themes {
			themes = append(themes, news.Theme{Slug: slug})
		}
		v.snap = news.NewVocabulary(countries, themes, nil)
	}
	return v.snap
}

// normalizeRestored checks a restored article as a write would (see
// news.Draft.Normalize), with its tags resolved against v and never
// tagged again, and checks the fields a write does not take: id,
// version and times.
func normalizeRestored(a news.Article, v *news.Vocabulary) (news.Article, error) {
	var p news.Problems
	if a.ID < 1 {
		p.Add("id", "must be at least 1")
	}
	if a.Version < 1 {
		p.Add("version", "must be at least 1")
	}
	for _, t := range []struct {
		field string
		at    time.Time
	}{{"published_at", a.PublishedAt}, {"created_at", a.CreatedAt}, {"updated_at", a.UpdatedAt}} {
		if t.at.Truncate(time.Microsecond).IsZero() {
			p.Add(t.field, "is required and must be after 0001-01-01T00:00:00Z, the zero time, which stands for none")
		}
	}
	if err := p.Err(news.EValidation, "the article has invalid fields"); err != nil {
		return a, err
	}
	d := news.Draft{Title: a.Title, Summary: a.Summary, Body: a.Body, URL: a.URL, ImageURL: a.ImageURL, Source: a.Source,
		Section: a.Section, Author: a.Author, Language: a.Language, Countries: a.Countries, Themes: a.Themes,
		Status: a.Status, PublishedAt: a.PublishedAt}
	if err := d.Normalize(v); err != nil {
		return a, err
	}
	a.Title, a.Summary, a.Body, a.URL, a.ImageURL = d.Title, d.Summary, d.Body, d.URL, d.ImageURL
	a.Source, a.Section, a.Author, a.Language = d.Source, d.Section, d.Author, d.Language
	a.Countries, a.Themes, a.Status, a.PublishedAt = d.Countries, d.Themes, d.Status, d.PublishedAt
	a.CreatedAt = a.CreatedAt.UTC().Truncate(time.Microsecond)
	a.UpdatedAt = a.UpdatedAt.UTC().Truncate(time.Microsecond)
	return a, nil
}

// normalizeCountry checks a restored country, whose code must be one of
// known: a name, and aliases and keywords that are each a line of text.
func normalizeCountry(c *news.Country, known map[string]bool) error {
	if !known[c.Code] {
		return news.FieldErrorf(news.EValidation, "code", "unknown country code %q", c.Code)
	}
	var p news.Problems
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" || utf8.RuneCountInString(c.Name) > 100 || news.ControlProblem(c.Name, false) != "" {
		p.Add("name", "must be 1 to 100 characters without control characters")
	}
	for _, l := range []struct {
		field string
		list  *[]string
	}{{"aliases", &c.Aliases}, {"keywords", &c.Keywords}} {
		out := make([]string, 0, len(*l.list))
		for _, v := range *l.list {
			v = strings.TrimSpace(v)
			if v == "" || utf8.RuneCountInString(v) > 100 || news.ControlProblem(v, false) != "" {
				p.Add(l.field, "each value must be 1 to 100 characters without control characters")
				continue
			}
			out = append(out, v)
		}
		*l.list = out
	}
	return p.Err(news.EValidation, "the country has invalid fields")
}

// has says whether an article of id was added (the articles are in id
// order).
func (t *loadTags) has(id int64) bool {
	_, ok := slices.BinarySearchFunc(t.articles, id, func(a loadArticle, id int64) int { return cmp.Compare(a.id, id) })
	return ok
}

// reloadAfterRestore publishes the vocabulary a restore changed
// underneath the snapshot; should reading it fail, the empty one, which
// the refresher reads again at its next tick.
func (s *Store) reloadAfterRestore(ctx context.Context) {
	if err := s.reloadVocabulary(context.WithoutCancel(ctx)); err != nil {
		s.clearVocabulary()
	}
}

package news

import (
	"context"
	"slices"
	"strings"
	"unicode"
)

// Country is an ISO 3166-1 alpha-2 country with the names users may write.
type Country struct {
	Code         string
	Name         string
	Aliases      []string
	Keywords     []string // the automatic tagger's terms, besides the name
	ArticleCount int
}

// Theme is a topic from the editable theme vocabulary.
type Theme struct {
	Slug         string
	Name         string
	Description  string
	Aliases      []string
	Keywords     []string // the automatic tagger's terms
	ArticleCount int
}

// ThemeUpdate is a partial change of a theme; nil fields are left alone.
// A new Slug renames the theme and keeps its articles.
type ThemeUpdate struct {
	Slug        *string
	Name        *string
	Description *string
	Aliases     *[]string
	Keywords    *[]string
}

// NameKey folds a user-written name for lookup: trimmed, lower-case, with
// runs of spaces, dots, underscores and hyphens treated alike, so that
// "U.S.", "us" and "Human Rights" / "human-rights" meet.
func NameKey(s string) string {
	var b strings.Builder
	pendingSep := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch r {
		case ' ', '-', '_', '\t':
			pendingSep = b.Len() > 0
		case '.', '\'', '’':
		default:
			if pendingSep {
				b.WriteByte(' ')
				pendingSep = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Normalize checks a theme for create and fills its defaults; every failing
// field is reported.
func (t *Theme) Normalize() error {
	var p Problems
	t.Slug = strings.TrimSpace(t.Slug)
	if t.Slug == "" || len(t.Slug) > 64 || !isSlug(t.Slug) {
		p.Add("slug", "must be a lower-case slug of at most 64 characters, such as human-rights")
	}
	t.Name = strings.TrimSpace(t.Name)
	nameOK := false
	if t.Name == "" {
		p.Add("name", "is required")
	} else if len(t.Name) > 100 || hasControl(t.Name) {
		p.Add("name", "must be at most 100 characters without control characters")
	} else {
		nameOK = true
	}
	t.Description = strings.TrimSpace(NormalizeNewlines(t.Description))
	if len(t.Description) > 1000 {
		p.Add("description", "must be at most 1000 characters")
	} else if msg := ControlProblem(t.Description, true); msg != "" {
		p.Add("description", "%s", msg)
	}
	var aliases []string
	for _, a := range t.Aliases {
		a = strings.TrimSpace(a)
		if a == "" || len(a) > 100 || hasControl(a) {
			p.Add("aliases", "each alias must be 1 to 100 characters without control characters")
			continue
		}
		aliases = append(aliases, a)
	}
	if len(aliases) > 50 {
		p.Add("aliases", "must hold at most 50 values")
	}
	t.Aliases = aliases
	if t.Aliases == nil {
		t.Aliases = []string{}
	}
	if t.Keywords == nil && nameOK {
		// A new theme without keywords is found by its name.
		t.Keywords = []string{strings.ToLower(t.Name)}
	}
	keywords := []string{}
	for _, k := range t.Keywords {
		k = strings.Join(strings.Fields(k), " ")
		if msg := checkKeyword(k); msg != "" {
			p.Add("keywords", "%q %s", k, msg)
			continue
		}
		if !slices.Contains(keywords, k) {
			keywords = append(keywords, k)
		}
	}
	if len(keywords) > MaxKeywords {
		p.Add("keywords", "must hold at most %d values", MaxKeywords)
	}
	t.Keywords = keywords
	return p.Err(EValidation, "the theme has invalid fields")
}

// Apply returns t with u applied.
func (u ThemeUpdate) Apply(t Theme) Theme {
	if u.Slug != nil {
		t.Slug = *u.Slug
	}
	if u.Name != nil {
		t.Name = *u.Name
	}
	if u.Description != nil {
		t.Description = *u.Description
	}
	if u.Aliases != nil {
		t.Aliases = *u.Aliases
	}
	if u.Keywords != nil {
		t.Keywords = *u.Keywords
	}
	return t
}

// MaxKeywords bounds a theme's keyword list.
const MaxKeywords = 200

// checkKeyword says what is wrong with a tagger term, or "" when it is
// usable: one or more words, "-" in front for an exclusion (a sense rule)
// or "~" for a weak cue, "*" after at least three letters to match the
// beginnings of words, "[Name]" (any capitalized word) beside a word in a
// sense rule only.
func checkKeyword(k string) string {
	if k == "" || len(k) > 100 || hasControl(k) {
		return "must be 1 to 100 characters without control characters"
	}
	words := 0
	rest, exclusion := strings.CutPrefix(k, "-")
	if !exclusion {
		rest = strings.TrimPrefix(k, "~")
	}
	if strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "~") {
		return "may start with one - (a sense rule) or one ~ (a weak cue), not more"
	}
	if strings.Contains(rest, "[Name]") && !exclusion {
		return "may use [Name] only in a sense rule (starting with -)"
	}
	for _, w := range strings.FieldsFunc(strings.ReplaceAll(rest, "[Name]", " "), func(r rune) bool { return r == ' ' || r == '-' }) {
		letters := 0
		for i, r := range w {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r):
				letters++
			case r == '*' && i != len(w)-1:
				return "may have * only at the end of a word"
			case r == '*' && letters < 3:
				return "needs at least three letters before *"
			}
		}
		if letters > 0 {
			words++
		}
	}
	if words == 0 {
		return "must contain a word"
	}
	return ""
}

// VocabularyService publishes the vocabulary snapshot (Resolver), lists
// the countries and themes with their article counts, and manages themes.
// A change made through it is in the snapshot once the call returns.
type VocabularyService interface {
	Resolver
	// FreshVocabulary reads the vocabulary from the database, publishes
	// it when it changed, and returns the snapshot now published. It is
	// for a reader that met a tag the snapshot does not know (see
	// Vocabulary.Knows); a change through this service that is committed
	// but not yet published is waited for.
	FreshVocabulary(ctx context.Context) (*Vocabulary, error)
	// Countries lists every country by code; usedOnly keeps those with
	// published articles.
	Countries(ctx context.Context, usedOnly bool) ([]Country, error)
	// Country returns one country by code, name or alias; ENotFound.
	Country(ctx context.Context, name string) (Country, error)
	// Themes lists the themes by slug; usedOnly keeps those with published articles.
	Themes(ctx context.Context, usedOnly bool) ([]Theme, error)
	// Theme returns one theme by slug, name or alias; ENotFound.
	Theme(ctx context.Context, name string) (Theme, error)
	// CreateTheme adds a theme; EValidation, EConflict when the slug, name
	// or an alias is taken.
	CreateTheme(ctx context.Context, t Theme) (Theme, error)
	// UpdateTheme changes or renames a theme; ENotFound, EValidation, EConflict.
	UpdateTheme(ctx context.Context, slug string, u ThemeUpdate) (Theme, error)
	// DeleteTheme removes an unused theme; ENotFound, EConflict when
	// articles still carry it.
	DeleteTheme(ctx context.Context, slug string) error
}

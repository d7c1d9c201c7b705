package news

import (
	"slices"
	"strings"
)

// Resolver publishes the vocabulary that names are resolved against.
// Vocabulary returns the current snapshot: never nil, and never changed
// once returned, so one request resolves all its names against one
// snapshot without a lock, a context or a database round trip.
type Resolver interface {
	Vocabulary() *Vocabulary
}

// Tagger is the automatic tagger: the countries and themes a text is
// about, with the words that matched.
type Tagger func(title, summary, body string) Suggestions

// Suggestion is a country code or theme slug the automatic tagger finds in
// a text, with the words of the text that matched its terms, as written,
// those its trained model weighed most (Learned), and the confidence of
// that evidence (0-1).
type Suggestion struct {
	Key        string
	Words      []string
	Learned    []string
	Confidence float64
}

// Suggestions are the automatic tagger's findings, in order of first
// appearance in the text: the tags it applies, and those it only
// suggests, on weaker evidence.
type Suggestions struct {
	Countries, Themes                   []Suggestion
	SuggestedCountries, SuggestedThemes []Suggestion
}

// Keys returns the keys of list, at most max of them.
func Keys(list []Suggestion, max int) []string {
	out := make([]string, 0, min(len(list), max))
	for _, s := range list[:min(len(list), max)] {
		out = append(out, s.Key)
	}
	return out
}

// Vocabulary is a snapshot of the countries and themes: the names users
// may write for them, their display names, and the automatic tagger built
// from their keywords. It is immutable: a change of the vocabulary makes
// a new Vocabulary. The zero value knows no names and tags nothing.
type Vocabulary struct {
	countries []Country         // by code, without article counts
	themes    []Theme           // by slug, without article counts
	countryBy map[string]string // NameKey(code, name or alias) → code
	themeBy   map[string]string // NameKey(slug, name or alias) → slug
	tag       Tagger
}

// NewVocabulary makes a snapshot of countries and themes, with tag as its
// automatic tagger (nil tags nothing). It keeps, and sorts, the slices it
// is given: the caller must not change them afterwards.
func NewVocabulary(countries []Country, themes []Theme, tag Tagger) *Vocabulary {
	slices.SortFunc(countries, func(a, b Country) int { return strings.Compare(a.Code, b.Code) })
	slices.SortFunc(themes, func(a, b Theme) int { return strings.Compare(a.Slug, b.Slug) })
	v := &Vocabulary{countries: countries, themes: themes, tag: tag,
		countryBy: make(map[string]string, len(countries)*3), themeBy: make(map[string]string, len(themes)*3)}
	for _, c := range countries {
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			v.countryBy[NameKey(n)] = c.Code
		}
	}
	for _, t := range themes {
		for _, n := range append([]string{t.Name}, t.Aliases...) {
			v.themeBy[NameKey(n)] = t.Slug
		}
	}
	// Codes and slugs win over names and aliases that fold to the same key.
	for _, c := range countries {
		v.countryBy[NameKey(c.Code)] = c.Code
	}
	for _, t := range themes {
		v.themeBy[NameKey(t.Slug)] = t.Slug
	}
	return v
}

// Country returns the code of a country code, name or alias in any case;
// ok is false for an unknown name.
func (v *Vocabulary) Country(name string) (code string, ok bool) {
	if _, ok := v.countryByCode(name); ok {
		return name, true // a code as stored, which wins over what folds like it
	}
	code, ok = v.countryBy[NameKey(name)]
	return code, ok
}

// Theme returns the slug of a theme slug, name or alias in any case; ok
// is false for an unknown name.
func (v *Vocabulary) Theme(name string) (slug string, ok bool) {
	if _, ok := v.themeBySlug(name); ok {
		return name, true // a slug as stored, which wins over what folds like it
	}
	slug, ok = v.themeBy[NameKey(name)]
	return slug, ok
}

// CountryName is the English name of a country code, or the code when
// unknown.
func (v *Vocabulary) CountryName(code string) string {
	if c, ok := v.countryByCode(code); ok {
		return c.Name
	}
	return code
}

// ThemeName is the name of a theme slug, or the slug when unknown.
func (v *Vocabulary) ThemeName(slug string) string {
	if t, ok := v.themeBySlug(slug); ok {
		return t.Name
	}
	return slug
}

// Knows reports whether every country and theme a carries is in the
// vocabulary. Articles carry only tags the database holds, so one it
// does not know was made after the snapshot: a theme renamed, say, by
// another instance, or by this one in the moment between its commit and
// its publishing of the new snapshot.
func (v *Vocabulary) Knows(a Article) bool {
	for _, c := range a.Countries {
		if _, ok := v.countryByCode(c); !ok {
			return false
		}
	}
	for _, t := range a.Themes {
		if _, ok := v.themeBySlug(t); !ok {
			return false
		}
	}
	return true
}

// countryByCode returns the country of a code, exactly as stored.
func (v *Vocabulary) countryByCode(code string) (Country, bool) {
	i, ok := slices.BinarySearchFunc(v.countries, code, func(c Country, code string) int { return strings.Compare(c.Code, code) })
	if !ok {
		return Country{}, false
	}
	return v.countries[i], true
}

// themeBySlug returns the theme of a slug, exactly as stored.
func (v *Vocabulary) themeBySlug(slug string) (Theme, bool) {
	i, ok := slices.BinarySearchFunc(v.themes, slug, func(t Theme, slug string) int { return strings.Compare(t.Slug, slug) })
	if !ok {
		return Theme{}, false
	}
	return v.themes[i], true
}

// Countries returns every country by code, without article counts. The
// list is a copy; the members' Aliases and Keywords are shared.
func (v *Vocabulary) Countries() []Country { return slices.Clone(v.countries) }

// Themes returns every theme by slug, without article counts. The list is
// a copy; the members' Aliases and Keywords are shared.
func (v *Vocabulary) Themes() []Theme { return slices.Clone(v.themes) }

// Classify runs the automatic tagger over a text.
func (v *Vocabulary) Classify(title, summary, body string) Suggestions {
	if v.tag == nil {
		return Suggestions{}
	}
	return v.tag(title, summary, body)
}

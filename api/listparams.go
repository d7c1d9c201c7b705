package api

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/wire"
)

// listParam describes one query parameter of GET /v1/articles.
type listParam struct {
	csv bool // comma-separated list; may also repeat
}

// listParams is the allow-list of list parameters.
var listParams = map[string]listParam{
	"country": {csv: true}, "country_all": {csv: true}, "country_not": {csv: true},
	"theme": {csv: true}, "theme_all": {csv: true}, "theme_not": {csv: true},
	"q": {}, "since": {}, "until": {}, "source": {}, "section": {}, "language": {},
	"sort": {}, "limit": {}, "cursor": {}, "fields": {csv: true}, "include_total": {}, "facets": {csv: true},
}

// filterParams are the parameters that select articles, without paging or
// shaping: what feeds and widgets accept.
var filterParams = map[string]listParam{
	"country": {csv: true}, "country_all": {csv: true}, "country_not": {csv: true},
	"theme": {csv: true}, "theme_all": {csv: true}, "theme_not": {csv: true},
	"q": {}, "source": {}, "section": {}, "language": {}, "limit": {},
}

// Bounds of a search (q). The cost of a full-text search grows with its
// terms faster than linearly: on 200,000 articles, ranked by relevance,
// one common word took 0.15 s, eight distinct ones 0.16 s, the same word
// eight times 0.27 s and eighty times 3.6 s; seven quoted phrases of
// about twenty common words each took 1.2–2.4 s, the words being what
// the index reads. A headline search is a few words or a name in quotes:
// eight terms of up to 64 characters and sixteen words hold any of them,
// and repeated terms, which change nothing in what matches, are dropped
// before they are counted.
const (
	maxQueryLength = 500 // bytes of the whole q
	maxTerms       = 8   // distinct words and "quoted phrases"
	maxTermLength  = 64  // characters of one term
	maxQueryWords  = 16  // words in all terms together, a phrase counting each of its words
)

// listRequest is a parsed list query: the domain filter plus what only the
// response shape depends on.
type listRequest struct {
	filter news.Filter
	fields wire.Fields
	cursor string
}

// parseList parses and bounds every list parameter in one place. Unknown,
// repeated, empty and contradictory parameters are errors naming the
// parameter (each wrong value's, where the names are right); countries
// and themes are resolved against the vocabulary snapshot v, in memory.
func parseList(query url.Values, allowed map[string]listParam, v *news.Vocabulary, cc cursorCodec, drafts bool) (listRequest, error) {
	// WithDrafts is part of the query a cursor belongs to, so it is set
	// before the cursor is read.
	lr := listRequest{filter: news.Filter{Sort: news.SortNewest, Limit: news.DefaultLimit, WithDrafts: drafts}, fields: wire.ListFields}
	f := &lr.filter
	values, err := splitValues(query, allowed)
	if err != nil {
		return lr, err
	}
	// Every parameter is checked, so that one answer names every wrong
	// one; the order only by a search it can tell relevance needs.
	var errs paramErrors
	errs.add(values.resolveTags(v, f))
	searchErr := values.search(f)
	errs.add(searchErr)
	errs.add(values.dates(f))
	errs.add(values.exact(f))
	errs.add(values.order(f, searchErr == nil))
	errs.add(values.shape(&lr))
	if err := errs.join(); err != nil {
		return lr, err
	}
	if c, ok := values.one("cursor"); ok {
		after, err := cc.decode(c, *f)
		if err != nil {
			return lr, err
		}
		f.After = &after
		lr.cursor = c
	}
	return lr, nil
}

// paramErrors are the errors of a query's parameters, one a parameter.
type paramErrors []error

// add adds err, if any.
func (errs *paramErrors) add(err error) {
	if err != nil {
		*errs = append(*errs, err)
	}
}

// join is the one error of a query's checks: nil, the only one, or their
// fields together ordered by name (the first error alone where one is
// not about a parameter's value).
func (errs paramErrors) join() error {
	var first *news.Error
	var fields []news.FieldError
	for _, err := range errs {
		if err == nil {
			continue
		}
		var ne *news.Error
		if !errors.As(err, &ne) || ne.Code != news.EInvalid {
			return err
		}
		if first == nil {
			first = ne
		}
		fields = append(fields, ne.Fields...)
	}
	if first == nil {
		return nil
	}
	if len(fields) == len(first.Fields) {
		return first
	}
	slices.SortStableFunc(fields, func(a, b news.FieldError) int { return strings.Compare(a.Field, b.Field) })
	msgs := make([]string, len(fields))
	for i, fe := range fields {
		msgs[i] = fe.Field + ": " + fe.Message
	}
	return &news.Error{Code: news.EInvalid, Message: strings.Join(msgs, "; "), Fields: fields}
}

// listValues are a list query's values by parameter, comma-separated
// lists split into their items.
type listValues map[string][]string

// one returns the value of a parameter given once.
func (values listValues) one(name string) (string, bool) {
	v, ok := values[name]
	if !ok {
		return "", false
	}
	return v[0], true
}

// splitValues checks every parameter against allowed and every value for
// what no parameter accepts, and splits the lists. Of several wrong
// parameters it names the first by name, so that the same query always
// gets the same answer (a query's parameters come in no order).
func splitValues(query url.Values, allowed map[string]listParam) (listValues, error) {
	values := listValues{}
	var first error
	firstName := ""
	for name, vals := range query {
		if first != nil && name > firstName {
			continue
		}
		if err := splitParam(values, name, vals, allowed); err != nil {
			first, firstName = err, name
		}
	}
	if first != nil {
		return nil, first
	}
	return values, nil
}

// splitParam checks the values vals of parameter name and adds them to
// values.
func splitParam(values listValues, name string, vals []string, allowed map[string]listParam) error {
	spec, ok := allowed[name]
	if !ok {
		return unknownParam(name, paramNames(allowed))
	}
	if len(vals) > 1 && !spec.csv {
		return news.FieldErrorf(news.EInvalid, name, "may be given only once")
	}
	for _, v := range vals {
		if !utf8.ValidString(v) {
			return news.FieldErrorf(news.EInvalid, name, "is not valid UTF-8")
		}
		if strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return news.FieldErrorf(news.EInvalid, name, "must not contain control characters")
		}
		if strings.TrimSpace(v) == "" {
			return news.FieldErrorf(news.EInvalid, name, "must not be empty")
		}
		if !spec.csv {
			values[name] = append(values[name], v)
			continue
		}
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				return news.FieldErrorf(news.EInvalid, name, "has an empty item in %q", v)
			}
			values[name] = append(values[name], item)
		}
	}
	return nil
}

// resolveTags resolves the country and theme parameters against v.
func (values listValues) resolveTags(v *news.Vocabulary, f *news.Filter) error {
	var errs paramErrors
	// Method expressions, not values: a method value bound to v is a
	// closure made on every request.
	for _, p := range []struct {
		name    string
		dst     *[]string
		resolve func(*news.Vocabulary, string) (string, bool)
		unknown string
	}{
		{"country", &f.Countries, (*news.Vocabulary).Country, countryHint}, {"country_all", &f.CountriesAll, (*news.Vocabulary).Country, countryHint},
		{"country_not", &f.CountriesNot, (*news.Vocabulary).Country, countryHint}, {"theme", &f.Themes, (*news.Vocabulary).Theme, themeHint},
		{"theme_all", &f.ThemesAll, (*news.Vocabulary).Theme, themeHint}, {"theme_not", &f.ThemesNot, (*news.Vocabulary).Theme, themeHint},
	} {
		for _, name := range values[p.name] {
			key, ok := p.resolve(v, name)
			if !ok {
				errs.add(news.FieldErrorf(news.EInvalid, p.name, p.unknown, name))
				break
			}
			*p.dst = appendUnique(*p.dst, key)
		}
	}
	errs.add(contradiction("country", f.Countries, f.CountriesAll, f.CountriesNot))
	errs.add(contradiction("theme", f.Themes, f.ThemesAll, f.ThemesNot))
	return errs.join()
}

// contradiction refuses a kind's values (resolved to keys) that no
// article can match: one both required (kind_all) and excluded
// (kind_not), or kind's values all excluded. Like sort=relevance without
// q, such a query is an error rather than an empty answer (DESIGN §3).
func contradiction(kind string, anyOf, all, not []string) error {
	for _, v := range not {
		if slices.Contains(all, v) {
			return news.FieldErrorf(news.EInvalid, kind+"_not", "excludes %s, which %s_all requires: no article can match", v, kind)
		}
	}
	if len(anyOf) > 0 && !slices.ContainsFunc(anyOf, func(v string) bool { return !slices.Contains(not, v) }) {
		return news.FieldErrorf(news.EInvalid, kind+"_not", "excludes every value of %s (%s): no article can match", kind, strings.Join(anyOf, ","))
	}
	return nil
}

// The messages for an unknown country or theme.
const (
	countryHint = "unknown country %q; use an ISO 3166-1 code, an English name or an alias (see /v1/countries)"
	themeHint   = "unknown theme %q (see /v1/themes)"
)

// search reads q.
func (values listValues) search(f *news.Filter) error {
	q, ok := values.one("q")
	if !ok {
		return nil
	}
	if len(q) > maxQueryLength {
		return news.FieldErrorf(news.EInvalid, "q", "must be at most %d bytes", maxQueryLength)
	}
	if f.Query = parseSearch(q); len(f.Query) == 0 {
		return news.FieldErrorf(news.EInvalid, "q", "has no words to search for")
	}
	return boundSearch(f.Query)
}

// dates reads since and until.
func (values listValues) dates(f *news.Filter) error {
	var errs paramErrors
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v, ok := values.one(p.name); ok {
			t, ok := wire.ParseTime(v)
			if !ok {
				errs.add(news.FieldErrorf(news.EInvalid, p.name, "must be RFC 3339 (2025-06-25T11:00:00Z) or a date (2025-06-25), got %q", v))
				continue
			}
			*p.dst = &t
		}
	}
	if f.Since != nil && f.Until != nil && !f.Since.Before(*f.Until) {
		errs.add(news.FieldErrorf(news.EInvalid, "until", "must be later than since"))
	}
	return errs.join()
}

// exact reads source, section and language, matched as given. A value
// longer than any article's can hold is refused rather than matched to
// nothing.
func (values listValues) exact(f *news.Filter) error {
	var errs paramErrors
	for _, p := range []struct {
		name string
		max  int
		dst  **string
	}{{"source", news.MaxShortText, &f.Source}, {"section", news.MaxShortText, &f.Section}, {"language", news.MaxLanguageTag, &f.Language}} {
		if v, ok := values.one(p.name); ok {
			if n := utf8.RuneCountInString(v); n > p.max {
				errs.add(news.FieldErrorf(news.EInvalid, p.name, "must be at most %d characters (as long as an article's can be), got %d", p.max, n))
				continue
			}
			given := v // on the heap only when given
			*p.dst = &given
		}
	}
	return errs.join()
}

// order reads sort and limit. searched says whether q was read: only
// then can it tell a relevance order without a search.
func (values listValues) order(f *news.Filter, searched bool) error {
	var errs paramErrors
	if v, ok := values.one("sort"); ok {
		switch s := news.Sort(v); s {
		case news.SortNewest, news.SortOldest, news.SortRelevance:
			f.Sort = s
		default:
			errs.add(news.FieldErrorf(news.EInvalid, "sort", "must be one of -published_at, published_at, relevance; got %q%s", v,
				suggestion(v, []string{string(news.SortNewest), string(news.SortOldest), string(news.SortRelevance)})))
		}
	}
	if searched && f.Sort == news.SortRelevance && len(f.Query) == 0 {
		errs.add(news.FieldErrorf(news.EInvalid, "sort", "relevance needs a search: add q"))
	}
	if v, ok := values.one("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > news.MaxLimit {
			errs.add(news.FieldErrorf(news.EInvalid, "limit", "must be a whole number from 1 to %d, got %q", news.MaxLimit, v))
		} else {
			f.Limit = n
		}
	}
	return errs.join()
}

// shape reads fields, include_total and facets: what the answer holds.
func (values listValues) shape(lr *listRequest) error {
	var errs paramErrors
	f := &lr.filter
	if names, ok := values["fields"]; ok {
		fields, err := parseFields(names)
		errs.add(err)
		if err == nil {
			lr.fields, f.WithBody = fields, fields&wire.BodyField != 0
		}
	}
	if v, ok := values.one("include_total"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs.add(news.FieldErrorf(news.EInvalid, "include_total", "must be true or false, got %q", v))
		} else {
			f.IncludeTotal = b
		}
	}
	for _, v := range values["facets"] {
		if v != news.FacetCountry && v != news.FacetTheme {
			errs.add(news.FieldErrorf(news.EInvalid, "facets", "must list country and/or theme, got %q%s", v,
				suggestion(v, []string{news.FacetCountry, news.FacetTheme})))
			break
		}
		f.Facets = appendUnique(f.Facets, v)
	}
	return errs.join()
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

// parseSearch splits a q value into terms: words, and "quoted phrases"
// kept whole. Quote marks inside are dropped; an unclosed quote runs to
// the end. A term that repeats an earlier one, in any case (both
// databases fold case), is dropped: it would change nothing in what
// matches, only the cost of finding it.
func parseSearch(q string) []string {
	var terms []string
	seen := map[string]bool{}
	add := func(t string) {
		if key := strings.ToLower(t); hasWord(t) && !seen[key] {
			seen[key] = true
			terms = append(terms, t)
		}
	}
	for i, part := range strings.Split(q, `"`) {
		if i%2 == 1 { // inside quotes
			add(strings.Join(strings.Fields(part), " "))
			continue
		}
		for _, w := range strings.Fields(part) {
			add(w)
		}
	}
	return terms
}

// boundSearch refuses a search with more terms or words, or longer terms,
// than the bounds above.
func boundSearch(terms []string) error {
	if len(terms) > maxTerms {
		return news.FieldErrorf(news.EInvalid, "q", "has %d different terms; at most %d are allowed", len(terms), maxTerms)
	}
	words := 0
	for _, t := range terms {
		if n := utf8.RuneCountInString(t); n > maxTermLength {
			return news.FieldErrorf(news.EInvalid, "q", "has a term of %d characters (%q…); at most %d are allowed", n, string([]rune(t)[:20]), maxTermLength)
		}
		words += countWords(t)
	}
	if words > maxQueryWords {
		return news.FieldErrorf(news.EInvalid, "q", "has %d words; at most %d are allowed", words, maxQueryWords)
	}
	return nil
}

// countWords counts the runs of letters and digits in s: the words the
// full-text index looks up ("north-korea" is two).
func countWords(s string) int {
	n, in := 0, false
	for _, r := range s {
		w := isWordRune(r)
		if w && !in {
			n++
		}
		in = w
	}
	return n
}

// hasWord reports whether s holds a letter or digit, the only things the
// full-text index keeps.
func hasWord(s string) bool {
	return strings.IndexFunc(s, isWordRune) >= 0
}

// isWordRune reports whether r is part of a word for the full-text index:
// an ASCII letter or digit, or any character beyond ASCII.
func isWordRune(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127
}

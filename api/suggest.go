package api

import (
	"maps"
	"net/url"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/suggest"
)

// paramOrder is the names of query's parameters in order: checked in
// that order, the same wrong one of several is named every time (a
// query's parameters come in no order).
func paramOrder(query url.Values) []string { return slices.Sorted(maps.Keys(query)) }

// unknownParam is the 400 for a query parameter that route does not take.
func unknownParam(name string, known []string) error {
	// A name is echoed (as the field and in the message) only in part
	// when long: a 60 KB name made a 120 KB problem.
	const shown = 64
	if len(name) > shown {
		cut := shown
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		return news.FieldErrorf(news.EInvalid, name[:cut]+"…", "is not a parameter of this endpoint (a name of %d bytes)", len(name))
	}
	if len(known) == 0 {
		return news.FieldErrorf(news.EInvalid, name, "is not a parameter of this endpoint, which takes none")
	}
	return news.FieldErrorf(news.EInvalid, name, "is not a parameter of this endpoint%s", suggest.DidYouMean(name, known))
}

// paramNames lists the names of a parameter allow-list.
func paramNames(m map[string]listParam) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggestion is "; did you mean X?" for a value close to one of known,
// else "": for messages that list the known values already.
func suggestion(v string, known []string) string {
	return suggest.Hint(v, known)
}

package api

import (
	"sort"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/suggest"
)

// unknownParam is the 400 for a query parameter that route does not take.
func unknownParam(name string, known []string) error {
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

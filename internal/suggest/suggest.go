// Package suggest finds the name a client probably meant when it sent one
// that is not known: a parameter, a field, a value or a path.
package suggest

import (
	"slices"
	"sort"
	"strings"
)

// synonyms are names other APIs use for what a parameter or field here
// does: a client that sends them is told the name this API uses.
var synonyms = map[string]string{
	"query": "q", "search": "q", "text": "q", "keyword": "q", "keywords": "q",
	"per_page": "limit", "page_size": "limit", "pagesize": "limit", "size": "limit", "count": "limit", "max": "limit",
	"page": "cursor", "offset": "cursor", "after": "cursor", "next": "cursor", "next_cursor": "cursor",
	"from": "since", "start": "since", "to": "until", "end": "until", "before": "until",
	"order": "sort", "order_by": "sort", "orderby": "sort", "sort_by": "sort", "sortby": "sort",
	"tag": "theme", "tags": "theme", "topic": "theme", "topics": "theme", "lang": "language", "locale": "language",
	"link": "url", "image": "image_url", "photo": "image_url", "headline": "title", "content": "body", "text_body": "body",
	"description": "summary", "dek": "summary", "byline": "author", "date": "published_at", "published": "published_at",
}

// Closest is the name in known that name was most likely meant to be, or
// "" when none is close: a different case, a known synonym, a typo of up
// to a third of the word's letters (at least one, at most three edits:
// a swap of neighbours counts as one), or a long shared start
// (countries → country, sort_by → sort).
func Closest(name string, known []string) string {
	if len(name) > 64 {
		return ""
	}
	lower := strings.ToLower(name)
	if lower != name && slices.Contains(known, lower) {
		return lower
	}
	if s, ok := synonyms[lower]; ok && slices.Contains(known, s) {
		return s
	}
	best, bestScore := "", 1<<30
	for _, k := range known {
		d := editDistance(lower, k)
		limit := max(1, min(3, len(k)/3))
		p := commonPrefix(lower, k)
		near := (d <= limit && d < len(k) && d < len(lower)) || (p >= 4 && 3*p >= 2*len(k))
		if !near {
			continue
		}
		// Fewer edits win; then the longer shared start.
		if score := 100*d - p; score < bestScore {
			best, bestScore = k, score
		}
	}
	return best
}

// Hint is "; did you mean X?" for a value close to one of known, else "":
// for messages that list the known values already.
func Hint(v string, known []string) string {
	if c := Closest(v, known); c != "" {
		return "; did you mean " + c + "?"
	}
	return ""
}

// DidYouMean is the end of a message about an unknown name: the closest
// known one, or else the list of known ones (when it is short enough to read).
func DidYouMean(name string, known []string) string {
	if s := Hint(name, known); s != "" {
		return s
	}
	if len(known) > 24 {
		return ""
	}
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	return "; known: " + strings.Join(sorted, ", ")
}

// editDistance is the optimal string alignment distance of a and b:
// insertions, deletions, substitutions and swaps of neighbours, one each.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

package news

import (
	"testing"
	"time"
)

// TestFilterSelects covers what the store's list comparisons do not
// (TestSearchListsWhatItMatches in internal/store checks tags, dates and
// drafts against the SQL): source and section exactly, language in any
// case, and no answer for a full-text query.
func TestFilterSelects(t *testing.T) {
	a := Article{Source: "Yonhap", Section: "foreign-relations", Language: "en", Status: StatusPublished,
		Countries: []string{"KP", "RU"}, Themes: []string{"trade"}, PublishedAt: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	str := func(s string) *string { return &s }
	for _, c := range []struct {
		name string
		f    Filter
		want bool
	}{
		{"no filter", Filter{}, true},
		{"source", Filter{Source: str("Yonhap")}, true},
		{"source in other case", Filter{Source: str("yonhap")}, false},
		{"section", Filter{Section: str("sports")}, false},
		{"language in any case", Filter{Language: str("EN")}, true},
		{"another language", Filter{Language: str("ko")}, false},
		{"any country", Filter{Countries: []string{"JP", "RU"}}, true},
		{"all countries", Filter{CountriesAll: []string{"KP", "JP"}}, false},
		{"not a theme", Filter{ThemesNot: []string{"trade"}}, false},
	} {
		if got, ok := c.f.Selects(a); !ok || got != c.want {
			t.Errorf("%s: %v (ok %v), want %v", c.name, got, ok, c.want)
		}
	}
	draft := a
	draft.Status = StatusDraft
	if got, _ := (Filter{}).Selects(draft); got {
		t.Error("a draft selected without WithDrafts")
	}
	if got, _ := (Filter{WithDrafts: true}).Selects(draft); !got {
		t.Error("a draft not selected WithDrafts")
	}
	if _, ok := (Filter{Query: []string{"trade"}}).Selects(a); ok {
		t.Error("an answer for a full-text query")
	}
}

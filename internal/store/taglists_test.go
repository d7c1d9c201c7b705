package store

import (
	"slices"
	"testing"
)

// A row's two tag lists read as each alone would, and appending to the
// countries never reaches the themes, which share their array.
func TestTagListsReadAsTagList(t *testing.T) {
	texts := []string{"", "RU", "KP,RU", "RU,KP,CN", "a,,b", ",", "x,"}
	for _, c := range texts {
		for _, th := range texts {
			countries, themes := tagLists(c, th)
			if want := tagList(c); countries == nil || !slices.Equal(countries, want) {
				t.Errorf("countries of %q: %q, want %q", c, countries, want)
			}
			if want := tagList(th); themes == nil || !slices.Equal(themes, want) {
				t.Errorf("themes of %q: %q, want %q", th, themes, want)
			}
			before := slices.Clone(themes)
			_ = append(countries, "ZZ")
			if !slices.Equal(themes, before) {
				t.Errorf("appending to the countries of %q changed the themes %q to %q", c, before, themes)
			}
		}
	}
}

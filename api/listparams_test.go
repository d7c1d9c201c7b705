package api

import (
	"slices"
	"strings"
	"testing"
)

// TestParseSearchDropsRepeats: a term that repeats an earlier one, in any
// case or spacing, as a word or a phrase, is dropped; the first spelling
// stays.
func TestParseSearchDropsRepeats(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"korea", []string{"korea"}},
		{strings.Repeat("korea ", 80), []string{"korea"}},
		{`Korea korea KOREA "korea"`, []string{"Korea"}},
		{`"north korea" North "NORTH   Korea" korea north`, []string{"north korea", "North", "korea"}},
		{`kim "kim jong un" kim "kim  jong un"`, []string{"kim", "kim jong un"}},
		{`-- "" " " trade`, []string{"trade"}},
	} {
		if got := parseSearch(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("parseSearch(%.30q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}

// TestBoundSearch: at most 8 terms, 64 characters a term, 16 words in all.
func TestBoundSearch(t *testing.T) {
	for _, tc := range []struct {
		q  string
		ok bool
	}{
		{"a b c d e f g h", true},
		{"a b c d e f g h i", false},
		{strings.Repeat("a b c d e f g h ", 10), true}, // 8 different terms
		{strings.Repeat("é", 64), true},                // characters, not bytes
		{strings.Repeat("é", 65), false},
		{`"one two three four five six seven eight" "nine ten eleven twelve thirteen fourteen fifteen sixteen"`, true},
		{`"one two three four five six seven eight" "nine ten eleven twelve thirteen fourteen fifteen sixteen" more`, false},
		// The index splits a word at anything but letters and digits.
		{"a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p", true},
		{"a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q", false},
	} {
		err := boundSearch(parseSearch(tc.q))
		if (err == nil) != tc.ok {
			t.Errorf("boundSearch(%.40q): %v, want ok=%v", tc.q, err, tc.ok)
		}
	}
}

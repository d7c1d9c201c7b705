package news

import (
	"regexp"
	"testing"
)

// TestCanonicalLanguage: BCP 47 tags in the case RFC 5646 recommends.
func TestCanonicalLanguage(t *testing.T) {
	for in, want := range map[string]string{
		"EN": "en", "ko-kr": "ko-KR", "zh-hant-tw": "zh-Hant-TW", "SR-LATN": "sr-Latn",
		"en-US-x-TWAIN": "en-US-x-twain", "de-CH-1996": "de-CH-1996", "es-419": "es-419", "en": "en", "Fil": "fil",
	} {
		if got := CanonicalLanguage(in); got != want {
			t.Errorf("%s → %s, want %s", in, got, want)
		}
	}
}

// TestFormsMatchTheirPatterns: the checks of a slug and of a language
// tag's form accept what their regular expressions do, every string of up
// to six characters of an alphabet that covers each rule, and longer ones.
func TestFormsMatchTheirPatterns(t *testing.T) {
	slug := regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	language := regexp.MustCompile(`^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$`)
	check := func(s string) {
		if got, want := isSlug(s), slug.MatchString(s); got != want {
			t.Errorf("isSlug(%q) = %v, want %v", s, got, want)
		}
		if got, want := isLanguageTag(s), language.MatchString(s); got != want {
			t.Errorf("isLanguageTag(%q) = %v, want %v", s, got, want)
		}
	}
	const alphabet = "aZ0-_\xe9"
	var walk func(prefix string)
	walk = func(prefix string) {
		check(prefix)
		if len(prefix) < 6 {
			for i := 0; i < len(alphabet); i++ {
				walk(prefix + alphabet[i:i+1])
			}
		}
	}
	walk("")
	for _, s := range []string{
		"foreign-relations", "human-rights", "a-b-c-d-e-f", "zh-Hant-TW", "en-US-x-twain", "de-CH-1996",
		"en-abcdefgh", "en-abcdefghi", "abcd", "e", "en--us", "en-", "-en", "sect1on-2", "Section",
	} {
		check(s)
	}
}

package news

import "testing"

// TestCanonicalLanguage: BCP 47 tags in the case RFC 5646 recommends.
func TestCanonicalLanguage(t *testing.T) {
	for in, want := range map[string]string{
		"EN": "en", "ko-kr": "ko-KR", "zh-hant-tw": "zh-Hant-TW", "SR-LATN": "sr-Latn",
		"en-US-x-TWAIN": "en-US-x-twain", "de-CH-1996": "de-CH-1996", "es-419": "es-419",
	} {
		if got := CanonicalLanguage(in); got != want {
			t.Errorf("%s → %s, want %s", in, got, want)
		}
	}
}

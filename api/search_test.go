package api_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/headlines/headlines/internal/store/storetest"
)

// TestSearchTermsBounded: a search is held to 8 different terms of at
// most 64 characters and 16 words in all, on every endpoint that takes
// q; repeated terms are dropped first, so 80 times "korea" is the search
// for "korea", answer for answer.
func TestSearchTermsBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		tooMany := "north korea kim talks trade troops nuclear sanctions aid" // 9 terms
		tooLong := "korea " + strings.Repeat("k", 65)
		tooWordy := `"kim jong un meets putin in vladivostok" "north korea and russia sign a defence treaty" on arms` // 17 words
		for _, path := range []string{"/v1/articles", "/v1/feeds/articles.rss", "/v1/feeds/articles.atom", "/v1/feeds/articles.json", "/embed/headlines"} {
			for _, q := range []string{tooMany, tooLong, tooWordy} {
				t.Run(path+" "+q[:12], func(t *testing.T) {
					assertAnswersProblem(t, path, e.do(req{path: path + "?q=" + url.QueryEscape(q)}), http.StatusBadRequest, "q")
				})
			}
		}
		for _, q := range []string{
			"north korea kim talks trade troops nuclear sanctions", // 8 terms
			"korea " + strings.Repeat("k", 64),
			`"kim jong un meets putin in vladivostok" "north korea and russia sign a defence treaty" arms`, // 16 words
		} {
			if r := e.do(req{path: "/v1/articles?q=" + url.QueryEscape(q)}); r.status != http.StatusOK {
				t.Errorf("q=%s: %d %s", q, r.status, r.body)
			}
		}

		list := func(q string) response {
			t.Helper()
			r := e.do(req{path: "/v1/articles?sort=relevance&include_total=true&limit=3&q=" + url.QueryEscape(q)})
			if r.status != http.StatusOK {
				t.Fatalf("q=%.40s…: %d %s", q, r.status, r.body)
			}
			return r
		}
		cases := []string{"korea", "Korea", "KOREA"}
		var korea80 []string
		for i := range 80 {
			korea80 = append(korea80, cases[i%3])
		}
		eight := "kim jong un send military workers rebuild kursk"
		for _, tc := range []struct{ repeated, once string }{
			{strings.Join(korea80, " "), "korea"},
			{`korea "korea" "  Korea " korea`, "korea"},
			{`"south korean" president "South  Korean" PRESIDENT`, `"south korean" president`},
			{strings.Repeat(eight+" ", 6), eight}, // 48 terms, 8 different
		} {
			once, repeated := list(tc.once), list(tc.repeated)
			if total := once.json(t)["total"]; total == float64(0) {
				t.Errorf("q=%s finds nothing: the comparison would prove little", tc.once)
			}
			if !bytes.Equal(once.body, repeated.body) {
				t.Errorf("q=%.40s… differs from q=%s:\n%s\n%s", tc.repeated, tc.once, repeated.body, once.body)
			}
		}
	})
}

package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"unicode"

	"github.com/headlines/headlines/internal/store/storetest"
)

// jsonString is s as a JSON string literal: control characters escaped.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// articleCount is how many articles, drafts included, the list holds.
func articleCount(t *testing.T, e *env) int {
	t.Helper()
	r := e.do(req{path: "/v1/articles?include_total=true&limit=1", key: true})
	if r.status != http.StatusOK {
		t.Fatalf("count: %d %s", r.status, r.body)
	}
	return int(r.json(t)["total"].(float64))
}

// TestInvisibleTitle: a title of nothing but zero-width characters and
// spaces, which a list would show as an empty headline, is refused like
// an empty one, naming the title; one with a visible character among
// them is kept as sent.
func TestInvisibleTitle(t *testing.T) {
	e := newEnv(t, "sqlite")
	for _, title := range []string{"\u200b", "\u200b\u200c\u200d", " \ufeff\u2060 "} {
		body := `{"title":` + jsonString(title) + `}`
		assertProblem(t, e.do(req{method: "POST", path: "/v1/articles", body: body, key: true}), http.StatusUnprocessableEntity, "title")
		assertProblem(t, e.do(req{method: "PUT", path: "/v1/articles/1", body: body, key: true}), http.StatusUnprocessableEntity, "title")
		assertProblem(t, e.do(req{method: "PATCH", path: "/v1/articles/1", body: body, key: true}), http.StatusUnprocessableEntity, "title")
	}
	r := e.do(req{method: "POST", path: "/v1/articles", body: `{"title":"Kim\u200bJong Un"}`, key: true})
	if r.status != http.StatusCreated || r.json(t)["title"] != "Kim\u200bJong Un" {
		t.Errorf("a title with a zero-width space inside: %d %s", r.status, r.body)
	}
}

// TestControlCharactersInText sends NUL and other C0 control characters in
// every text a client can write. Both databases answer alike: 422 naming
// the field, and nothing stored (PostgreSQL cannot store NUL in text, so
// SQLite must not either, or its data could not move).
func TestControlCharactersInText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		before := articleCount(t, e)
		for _, c := range []string{"\x00", "\x1b", "\x07", "\x0b", "\x1f"} {
			bad := jsonString("a" + c + "b")
			for _, tc := range []struct {
				field, body string
			}{
				{"title", `{"title":` + bad + `}`},
				{"summary", `{"title":"x","summary":` + bad + `}`},
				{"body", `{"title":"x","body":` + bad + `}`},
				{"source", `{"title":"x","source":` + bad + `}`},
				{"author", `{"title":"x","author":` + bad + `}`},
				{"section", `{"title":"x","section":` + bad + `}`},
				{"language", `{"title":"x","language":` + bad + `}`},
				{"status", `{"title":"x","status":` + bad + `}`},
				{"url", `{"title":"x","url":` + jsonString("https://example.com/a"+c+"b") + `}`},
				{"image_url", `{"title":"x","image_url":` + jsonString("https://example.com/a"+c+"b") + `}`},
				{"countries", `{"title":"x","countries":[` + bad + `]}`},
				{"themes", `{"title":"x","themes":[` + bad + `]}`},
				{"published_at", `{"title":"x","published_at":` + bad + `}`},
			} {
				t.Run(fmt.Sprintf("%U/%s", []rune(c)[0], tc.field), func(t *testing.T) {
					assertProblem(t, e.do(req{method: "POST", path: "/v1/articles", body: tc.body, key: true}), http.StatusUnprocessableEntity, tc.field)
					assertProblem(t, e.do(req{method: "PUT", path: "/v1/articles/1", body: tc.body, key: true}), http.StatusUnprocessableEntity, tc.field)
					if tc.field != "title" {
						// A patch of one member checks the article it makes.
						var patch map[string]json.RawMessage
						if err := json.Unmarshal([]byte(tc.body), &patch); err != nil {
							t.Fatal(err)
						}
						delete(patch, "title")
						body, _ := json.Marshal(patch)
						assertProblem(t, e.do(req{method: "PATCH", path: "/v1/articles/2", body: string(body), key: true}), http.StatusUnprocessableEntity, tc.field)
					}
					// In a batch, the bad item gets its own 422 and the good
					// one is still created.
					r := e.do(req{method: "POST", path: "/v1/articles/batch", key: true,
						body: `{"articles":[` + tc.body + `,{"title":"a good neighbour"}]}`})
					if r.status != http.StatusMultiStatus {
						t.Fatalf("batch: %d %s", r.status, r.body)
					}
					var out struct {
						Results []struct {
							Status  int
							Problem *struct{ Errors []struct{ Field string } }
						}
					}
					if err := json.Unmarshal(r.body, &out); err != nil {
						t.Fatal(err)
					}
					if len(out.Results) != 2 || out.Results[0].Status != 422 || out.Results[0].Problem == nil ||
						len(out.Results[0].Problem.Errors) == 0 || out.Results[0].Problem.Errors[0].Field != "articles[0]."+tc.field || out.Results[1].Status != 201 {
						t.Errorf("batch results: %s", r.body)
					}
					before++ // the good neighbour
				})
			}
			for _, tc := range []struct {
				field, body string
			}{
				{"name", `{"slug":"ctl","name":` + bad + `}`},
				{"description", `{"slug":"ctl","name":"Ctl","description":` + bad + `}`},
				{"aliases", `{"slug":"ctl","name":"Ctl","aliases":[` + bad + `]}`},
				{"keywords", `{"slug":"ctl","name":"Ctl","keywords":[` + bad + `]}`},
				{"slug", `{"slug":` + bad + `,"name":"Ctl"}`},
			} {
				if tc.field == "keywords" && unicode.IsSpace([]rune(c)[0]) {
					continue // a keyword's white space, VT and FF included, folds to one space
				}
				t.Run(fmt.Sprintf("%U/theme %s", []rune(c)[0], tc.field), func(t *testing.T) {
					assertProblem(t, e.do(req{method: "POST", path: "/v1/themes", body: tc.body, admin: true}), http.StatusUnprocessableEntity, tc.field)
					var patch map[string]json.RawMessage
					if err := json.Unmarshal([]byte(tc.body), &patch); err != nil {
						t.Fatal(err)
					}
					if tc.field != "slug" {
						delete(patch, "slug")
					}
					if tc.field != "name" {
						delete(patch, "name")
					}
					body, _ := json.Marshal(patch)
					assertProblem(t, e.do(req{method: "PATCH", path: "/v1/themes/culture", body: string(body), admin: true}), http.StatusUnprocessableEntity, tc.field)
				})
			}
			t.Run(fmt.Sprintf("%U/classify", []rune(c)[0]), func(t *testing.T) {
				for _, f := range []string{"title", "summary", "body"} {
					assertProblem(t, e.do(req{method: "POST", path: "/v1/classify", body: `{"` + f + `":` + bad + `}`, key: true}), http.StatusUnprocessableEntity, f)
				}
			})
			t.Run(fmt.Sprintf("%U/theme path", []rune(c)[0]), func(t *testing.T) {
				path := "/v1/themes/a%" + fmt.Sprintf("%02X", c[0]) + "b"
				assertProblem(t, e.do(req{method: "PATCH", path: path, body: `{"name":"X"}`, admin: true}), http.StatusNotFound, "")
				assertProblem(t, e.do(req{method: "DELETE", path: path, admin: true}), http.StatusNotFound, "")
			})
		}
		if n := articleCount(t, e); n != before {
			t.Errorf("%d articles after the refused writes, want %d", n, before)
		}
		r := e.do(req{path: "/v1/themes/culture"})
		if r.status != http.StatusOK || r.json(t)["name"] != "Culture" {
			t.Errorf("culture theme changed: %s", r.body)
		}
	})
}

// TestLinesInText shows what multi-line text keeps: tab and newline as
// sent, CRLF and lone CR as newline, on create, patch, batch, themes and
// classify.
func TestLinesInText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		r := e.do(req{method: "POST", path: "/v1/articles", key: true,
			body: `{"title":"Lines","summary":"one\ttwo\nthree","body":"para one\n\n\tpara two\n"}`})
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		a := r.json(t)
		if a["summary"] != "one\ttwo\nthree" || a["body"] != "para one\n\n\tpara two\n" {
			t.Errorf("tab and newline not kept: %q %q", a["summary"], a["body"])
		}
		id := int(a["id"].(float64))
		r = e.do(req{path: fmt.Sprintf("/v1/articles/%d", id)})
		if got := r.json(t); got["summary"] != "one\ttwo\nthree" || got["body"] != "para one\n\n\tpara two\n" {
			t.Errorf("read back: %q %q", got["summary"], got["body"])
		}

		r = e.do(req{method: "PATCH", path: fmt.Sprintf("/v1/articles/%d", id), key: true,
			body: `{"summary":"win\r\ndows\rmac","body":"a\r\nb\r\n"}`})
		if got := r.json(t); r.status != http.StatusOK || got["summary"] != "win\ndows\nmac" || got["body"] != "a\nb\n" {
			t.Errorf("patch with CRLF: %d %q %q", r.status, got["summary"], got["body"])
		}

		r = e.do(req{method: "POST", path: "/v1/articles/batch", key: true,
			body: `{"articles":[{"title":"Batch lines","summary":"x\r\ny","body":"\tz\r"}]}`})
		var out struct {
			Results []struct{ Article map[string]any }
		}
		if err := json.Unmarshal(r.body, &out); err != nil || len(out.Results) != 1 || out.Results[0].Article == nil {
			t.Fatalf("batch: %d %s", r.status, r.body)
		}
		if got := out.Results[0].Article; got["summary"] != "x\ny" || got["body"] != "\tz\n" {
			t.Errorf("batch: %q %q", got["summary"], got["body"])
		}

		r = e.do(req{method: "POST", path: "/v1/themes", admin: true,
			body: `{"slug":"lines","name":"Lines","description":"first\r\nsecond\tthird"}`})
		if r.status != http.StatusCreated || r.json(t)["description"] != "first\nsecond\tthird" {
			t.Errorf("theme: %d %s", r.status, r.body)
		}

		r = e.do(req{method: "POST", path: "/v1/classify", key: true, body: `{"title":"Russia","summary":"a\r\nb","body":"c\td\ne"}`})
		if r.status != http.StatusOK {
			t.Errorf("classify: %d %s", r.status, r.body)
		}
	})
}

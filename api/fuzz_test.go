package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzListQuery sends arbitrary query strings to GET /v1/articles: the
// answer is a 200 or a 4xx problem, never a 5xx or a panic.
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{
		"", "country=RU&theme=sanctions", "country=russia,china&theme_not=trade&limit=5",
		"q=%22film+festival%22&sort=relevance", "q=NEAR(a+b)+OR+*", "q=%22", "since=2025-06-01&until=2025-07-01",
		"cursor=AAAA", "fields=title,body&include_total=true&facets=country,theme", "limit=-1", "country_all=KP,RU",
		"%zz", "q=\xff", "q=-x+AND+NOT+y:", "q=’",
	} {
		f.Add(seed)
	}
	h, _ := newAPI(f, "sqlite")
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest(http.MethodGet, "/v1/articles", nil)
		r.URL.RawQuery = query
		serveClean(t, h, r, http.StatusOK)
	})
}

// FuzzCreateBody posts arbitrary bodies to POST /v1/articles: the answer
// is a 201 or a 4xx problem, never a 5xx or a panic.
func FuzzCreateBody(f *testing.F) {
	for _, seed := range []string{
		`{"title":"x"}`, `{"title":"Russia","countries":["ru","China"],"themes":["military"],"url":"https://example.com/a"}`,
		`{"title":"x","title":"y"}`, `{"title":"x"}garbage`, `{"title":"x","published_at":"2025-13-45"}`,
		`{"title":"\u0000"}`, `[]`, `null`, `{"title":"x","countries":null}`, `{"title":"x","url":"javascript:alert(1)"}`,
		`{"title":"` + strings.Repeat("a", 400) + `"}`, "{\"title\":\"\xff\"}", `{"title":1e999}`,
	} {
		f.Add(seed)
	}
	h, _ := newAPI(f, "sqlite")
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/v1/articles", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+editorKey)
		serveClean(t, h, r, http.StatusCreated)
	})
}

// FuzzPatchBody sends arbitrary merge patches to PATCH /v1/articles/1.
func FuzzPatchBody(f *testing.F) {
	for _, seed := range []string{
		`{"title":"x"}`, `{"url":null,"author":null}`, `{"countries":["ru","China"],"themes":null}`, `{}`, `null`, `[]`,
		`{"title":null}`, `{"published_at":"2025-06-01"}`, `{"status":"draft"}`, `{"id":3}`, `{"title":"a","title":"b"}`,
		"{\"title\":\"\u202e\"}", `{"url":"HTTPS://Example.COM/X"}`,
	} {
		f.Add(seed)
	}
	h, _ := newAPI(f, "sqlite")
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPatch, "/v1/articles/1", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/merge-patch+json")
		r.Header.Set("Authorization", "Bearer "+editorKey)
		serveClean(t, h, r, http.StatusOK)
	})
}

// serveClean serves r and fails on a 5xx, or on any answer other than ok
// that is not a problem document.
func serveClean(t *testing.T, h http.Handler, r *http.Request, ok int) {
	t.Helper()
	r.Host = "localhost" // an allowed host, so that the request reaches the handler
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code >= 500 {
		t.Fatalf("%s %s → %d: %s", r.Method, r.URL, w.Code, w.Body)
	}
	if w.Code != ok && w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%s %s → %d without a problem body", r.Method, r.URL, w.Code)
	}
}

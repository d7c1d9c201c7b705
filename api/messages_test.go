package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// problemOf reads a problem answer: its detail, and the message about field.
func problemOf(t *testing.T, r response, field string) (detail, message string) {
	t.Helper()
	p := r.json(t)
	detail, _ = p["detail"].(string)
	errs, _ := p["errors"].([]any)
	for _, fe := range errs {
		if m := fe.(map[string]any); m["field"] == field {
			message, _ = m["message"].(string)
		}
	}
	return detail, message
}

// TestUnknownNamesSuggestTheClosest: a misspelt or foreign parameter,
// body member, field, facet or sort order is a 400 naming it and the
// name the client probably meant; nothing is suggested when nothing is close.
func TestUnknownNamesSuggestTheClosest(t *testing.T) {
	e := newEnv(t, "sqlite")
	for _, tc := range []struct {
		path, field, want string
	}{
		{"/v1/articles?countries=RU", "countries", "did you mean country?"},
		{"/v1/articles?thme=trade", "thme", "did you mean theme?"},
		{"/v1/articles?limt=5", "limt", "did you mean limit?"},
		{"/v1/articles?Country=RU", "Country", "did you mean country?"},
		{"/v1/articles?page_size=5", "page_size", "did you mean limit?"},
		{"/v1/articles?sort_by=published_at", "sort_by", "did you mean sort?"},
		{"/v1/articles?country_al=RU", "country_al", "did you mean country_all?"},
		{"/v1/articles?fields=titel", "fields", "did you mean title?"},
		{"/v1/articles?facets=countries", "facets", "did you mean country?"},
		{"/v1/articles?sort=published", "sort", "did you mean published_at?"},
		{"/v1/feeds/articles.rss?lang=en", "lang", "did you mean language?"},
		{"/v1/changes?limits=5", "limits", "did you mean limit?"},
		{"/v1/countries?use=true", "use", "did you mean used?"},
	} {
		r := e.do(req{path: tc.path})
		assertProblem(t, r, http.StatusBadRequest, tc.field)
		if _, msg := problemOf(t, r, tc.field); !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %q, want %q", tc.path, msg, tc.want)
		}
	}
	// Nothing close: no guess, and a short list of what there is.
	r := e.do(req{path: "/v1/articles?zzzzzz=1"})
	assertProblem(t, r, http.StatusBadRequest, "zzzzzz")
	if _, msg := problemOf(t, r, "zzzzzz"); strings.Contains(msg, "did you mean") || !strings.Contains(msg, "country") {
		t.Errorf("far from everything: %q", msg)
	}
	r = e.do(req{path: "/v1/countries?xyz=1"})
	if _, msg := problemOf(t, r, "xyz"); strings.Contains(msg, "did you mean") || !strings.Contains(msg, "known: used") {
		t.Errorf("far from everything: %q", msg)
	}
	// Body members.
	for _, tc := range []struct{ method, path, body, field, want string }{
		{"POST", "/v1/articles", `{"title":"T","titel":"x"}`, "titel", "did you mean title?"},
		{"POST", "/v1/articles", `{"title":"T","image":"https://example.com/a.png"}`, "image", "did you mean image_url?"},
		{"PATCH", "/v1/articles/1", `{"sumary":"x"}`, "sumary", "did you mean summary?"},
		{"POST", "/v1/articles", `{"title":"T","qqqqqqq":1}`, "qqqqqqq", "known: author, body"},
	} {
		r := e.do(req{method: tc.method, path: tc.path, body: tc.body, key: true})
		assertProblem(t, r, http.StatusBadRequest, tc.field)
		if _, msg := problemOf(t, r, tc.field); !strings.Contains(msg, tc.want) {
			t.Errorf("%s %s: %q, want %q", tc.method, tc.body, msg, tc.want)
		}
	}
}

// TestEchoErrorsAreProblems: what the router refuses (no route, wrong
// method) and what the body rules refuse answer problem+json with RFC
// 9110's reason phrase as title, a type of their own and a detail that
// says what to do, never Echo's own texts.
func TestEchoErrorsAreProblems(t *testing.T) {
	e := newEnv(t, "sqlite")
	type want struct {
		status        int
		title, typ    string
		detail, allow string
	}
	for name, tc := range map[string]struct {
		r    response
		want want
	}{
		"unknown route": {e.raw("GET", "/v1/artcles", "", ""),
			want{404, "Not Found", "urn:headlines:problem:not_found", "/v1/artcles is not a route of this API; did you mean /v1/articles?", ""}},
		"unknown route with an id": {e.raw("GET", "/v1/article/3", "", ""),
			want{404, "Not Found", "urn:headlines:problem:not_found", "did you mean /v1/articles/3?", ""}},
		"nothing close": {e.raw("GET", "/nothing/like/it", "", ""),
			want{404, "Not Found", "urn:headlines:problem:not_found", "/nothing/like/it is not a route of this API. The routes are listed in /openapi.json", ""}},
		"wrong method": {e.raw("DELETE", "/v1/countries/RU", "", ""),
			want{405, "Method Not Allowed", "urn:headlines:problem:method_not_allowed", "DELETE is not a method of /v1/countries/RU; it allows", "GET"}},
		"invalid body": {e.raw("POST", "/v1/articles", "", `{"title":""}`, "Authorization", "Bearer "+editorKey, "Content-Type", "application/json"),
			want{422, "Unprocessable Content", "urn:headlines:problem:validation", "", ""}},
		"too large": {e.raw("POST", "/v1/articles", "", `{"title":"`+strings.Repeat("a", 1<<20)+`"}`, "Authorization", "Bearer "+editorKey, "Content-Type", "application/json"),
			want{413, "Content Too Large", "urn:headlines:problem:too_large", "", ""}},
		"wrong content type": {e.raw("POST", "/v1/articles", "", `{"title":"x"}`, "Authorization", "Bearer "+editorKey, "Content-Type", "text/plain"),
			want{415, "Unsupported Media Type", "urn:headlines:problem:unsupported_media", "", ""}},
	} {
		r := tc.r
		if r.status != tc.want.status || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s, want %d problem+json", name, r.status, r.header.Get("Content-Type"), tc.want.status)
			continue
		}
		p := r.json(t)
		if p["title"] != tc.want.title || p["type"] != tc.want.typ || p["status"] != float64(tc.want.status) {
			t.Errorf("%s: title %q, type %q; want %q, %q", name, p["title"], p["type"], tc.want.title, tc.want.typ)
		}
		detail, _ := p["detail"].(string)
		if !strings.Contains(detail, tc.want.detail) || strings.Contains(detail, "not Found") || strings.Contains(detail, "method Not") {
			t.Errorf("%s: detail %q, want %q", name, detail, tc.want.detail)
		}
		if tc.want.allow != "" && !strings.Contains(r.header.Get("Allow"), tc.want.allow) {
			t.Errorf("%s: Allow %q", name, r.header.Get("Allow"))
		}
	}
}

package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/store/storetest"
	"github.com/headlines/headlines/internal/transfer"
)

// problemOf reads a problem answer's message about field.
func problemOf(t *testing.T, r response, field string) (message string) {
	t.Helper()
	errs, _ := r.json(t)["errors"].([]any)
	for _, fe := range errs {
		if m := fe.(map[string]any); m["field"] == field {
			message, _ = m["message"].(string)
		}
	}
	return message
}

// TestSeveralWrongParametersNameTheFirst: a query with several wrong
// parameters gets the same 400 every time, whichever order Go's map of
// them gives; of several unknown names, it names the first.
func TestSeveralWrongParametersNameTheFirst(t *testing.T) {
	e := newEnv(t, "sqlite")
	for _, tc := range []struct{ path, field string }{
		{"/v1/articles?zeta=1&limit=0&mid=2&beta=3", "beta"},
		{"/v1/articles?zeta=1&limit=0&sort=x", "zeta"},
		{"/v1/feeds/articles.rss?zeta=1&mid=2&beta=3", "beta"},
		{"/v1/changes?zeta=1&limit=0&beta=3", "beta"},
		{"/v1/countries?zeta=1&mid=2&beta=3", "beta"},
		{"/v1/themes?used=true&zeta=1", "zeta"},
		{"/v1/articles/1?zeta=1&mid=2&beta=3", "beta"},
		{"/oembed?zeta=1&mid=2&beta=3", "beta"},
	} {
		for range 20 {
			r := e.do(req{path: tc.path})
			assertProblem(t, r, http.StatusBadRequest, tc.field)
			if t.Failed() {
				t.Fatalf("%s: %s", tc.path, r.body)
			}
		}
	}
}

// TestEveryWrongValueIsNamed: a list query whose parameters are known
// but several of whose values are wrong gets one 400 naming each of
// them, ordered by name, the same every time.
func TestEveryWrongValueIsNamed(t *testing.T) {
	e := newEnv(t, "sqlite")
	for _, tc := range []struct {
		path   string
		fields []string
	}{
		{"/v1/articles?sort=x&limit=0&fields=nope&country=zz&since=soon", []string{"country", "fields", "limit", "since", "sort"}},
		{"/v1/articles?include_total=maybe&facets=nope", []string{"facets", "include_total"}},
		{"/v1/feeds/articles.rss?theme=gossip&limit=0", []string{"limit", "theme"}},
		// Relevance without a search is said only where q is right.
		{"/v1/articles?sort=relevance&limit=0", []string{"limit", "sort"}},
		{"/v1/articles?limit=5", nil},
	} {
		for range 5 {
			r := e.do(req{path: tc.path})
			if tc.fields == nil {
				if r.status != http.StatusOK {
					t.Errorf("%s: %d %s", tc.path, r.status, r.body)
				}
				break
			}
			assertProblem(t, r, http.StatusBadRequest, tc.fields[0])
			var got []string
			errs, _ := r.json(t)["errors"].([]any)
			for _, fe := range errs {
				got = append(got, fe.(map[string]any)["field"].(string))
			}
			if !slices.Equal(got, tc.fields) {
				t.Fatalf("%s names %v, want %v: %s", tc.path, got, tc.fields, r.body)
			}
		}
	}
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
		if msg := problemOf(t, r, tc.field); !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %q, want %q", tc.path, msg, tc.want)
		}
	}
	// Nothing close: no guess, and a short list of what there is.
	r := e.do(req{path: "/v1/articles?zzzzzz=1"})
	assertProblem(t, r, http.StatusBadRequest, "zzzzzz")
	if msg := problemOf(t, r, "zzzzzz"); strings.Contains(msg, "did you mean") || !strings.Contains(msg, "country") {
		t.Errorf("far from everything: %q", msg)
	}
	r = e.do(req{path: "/v1/countries?xyz=1"})
	if msg := problemOf(t, r, "xyz"); strings.Contains(msg, "did you mean") || !strings.Contains(msg, "known: used") {
		t.Errorf("far from everything: %q", msg)
	}
	// Body members.
	for _, tc := range []struct{ method, path, body, field, want string }{
		{"POST", "/v1/articles", `{"title":"T","titel":"x"}`, "titel", "did you mean title?"},
		{"POST", "/v1/articles", `{"title":"T","image":"https://example.com/a.png"}`, "image", "did you mean image_url?"},
		{"PATCH", "/v1/articles/1", `{"summar":"x"}`, "summar", "did you mean summary?"},
		{"POST", "/v1/articles", `{"title":"T","qqqqqqq":1}`, "qqqqqqq", "known: author, body"},
	} {
		r := e.do(req{method: tc.method, path: tc.path, body: tc.body, key: true})
		assertProblem(t, r, http.StatusBadRequest, tc.field)
		if msg := problemOf(t, r, tc.field); !strings.Contains(msg, tc.want) {
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

// TestMalformedPreconditionsExplainQuoting: an unquoted or otherwise
// malformed If-Match or If-None-Match is a 400 that shows how entity tags
// are quoted, not a 412 that would say someone else changed the article;
// *, strong and weak quoted tags work as before.
func TestMalformedPreconditionsExplainQuoting(t *testing.T) {
	e := newEnv(t, "sqlite")
	for _, tc := range []struct{ method, header, value, hint string }{
		{"PATCH", "If-Match", "1.2", `did you mean If-Match: "1.2"?`},
		{"PATCH", "If-Match", `"1.2`, `did you mean If-Match: "1.2"?`},
		{"DELETE", "If-Match", `W/1.1`, `did you mean If-Match: "1.1"?`},
		{"PUT", "If-Match", `"1.1" "1.2"`, `(If-Match: "3.2")`},
		{"PATCH", "If-Match", `"1.1",`, `(If-Match: "3.2")`},
		{"GET", "If-None-Match", "1.1", `did you mean If-None-Match: "1.1"?`},
	} {
		body := ""
		if tc.method == "PATCH" || tc.method == "PUT" {
			body = `{"title":"changed"}`
		}
		r := e.do(req{method: tc.method, path: "/v1/articles/1", body: body, key: true, headers: []string{tc.header, tc.value}})
		assertProblem(t, r, http.StatusBadRequest, tc.header)
		if msg := problemOf(t, r, tc.header); !strings.Contains(msg, "double quotes") || !strings.Contains(msg, tc.hint) {
			t.Errorf("%s %s: %s: %q, want %q", tc.method, tc.header, tc.value, msg, tc.hint)
		}
	}
	if got := e.do(req{path: "/v1/articles/1"}).json(t); got["title"] == "changed" || got["version"] != 1.0 {
		t.Fatalf("a refused write changed the article: %v", got)
	}
	tag := e.do(req{path: "/v1/articles/1"}).header.Get("ETag")
	for _, tc := range []struct {
		header, value string
		want          int
	}{
		{"If-Match", `"2.1", ` + tag, 200}, // another article's, then this one's
		{"If-Match", "*", 200},
		{"If-Match", `"1.1"`, 412},   // stale now
		{"If-Match", `W/"1.3"`, 412}, // weak tags never match If-Match
		{"If-Match", `"1.3-x"`, 412},
		{"If-Match", `"1.3-gzip"`, 200}, // the ETag of a compressed answer
	} {
		r := e.do(req{method: "PATCH", path: "/v1/articles/1", body: `{"summary":` + strconv.Quote(tc.value) + `}`, key: true, headers: []string{tc.header, tc.value}})
		if r.status != tc.want {
			t.Errorf("%s: %s → %d, want %d: %s", tc.header, tc.value, r.status, tc.want, r.body)
		}
	}
	tag = e.do(req{path: "/v1/articles/1"}).header.Get("ETag")
	for _, v := range []string{tag, "W/" + tag, "*", `"x", ` + tag} {
		if r := e.do(req{path: "/v1/articles/1", headers: []string{"If-None-Match", v}}); r.status != http.StatusNotModified {
			t.Errorf("If-None-Match: %s → %d", v, r.status)
		}
	}
}

// TestCompressedAnswersHaveTheirOwnETag: a strong ETag names one
// representation, so an article sent gzip-compressed carries "id.v-gzip"
// and the plain one "id.v" (RFC 9110 8.8.3), through the response cache,
// HEAD, 304s and idempotent replays alike; either form revalidates and
// either is accepted by If-Match. Small answers are not compressed and
// keep the plain tag; weak tags (lists) are the same either way.
func TestCompressedAnswersHaveTheirOwnETag(t *testing.T) {
	for _, cached := range []bool{true, false} {
		t.Run(fmt.Sprintf("response cache %v", cached), func(t *testing.T) {
			e := newEnv(t, "sqlite", func(d *api.Deps) { d.ResponseCache = cached })
			big := e.do(req{method: "POST", path: "/v1/articles", key: true, headers: []string{"Idempotency-Key", "big-1"},
				body: `{"title":"A long story","body":"` + strings.Repeat("Long body text. ", 200) + `","countries":["KP"],"themes":[]}`})
			small := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Short","countries":[],"themes":[]}`})
			if big.status != 201 || small.status != 201 {
				t.Fatalf("create: %d %d", big.status, small.status)
			}
			bigPath, smallPath := big.header.Get("Location"), small.header.Get("Location")
			bigPath, smallPath = bigPath[strings.Index(bigPath, "/v1/"):], smallPath[strings.Index(smallPath, "/v1/"):]
			plainTag := fmt.Sprintf(`"%v.1"`, big.json(t)["id"])
			gzipTag := fmt.Sprintf(`"%v.1-gzip"`, big.json(t)["id"])
			gz, plain := []string{"Accept-Encoding", "gzip"}, []string{"Accept-Encoding", "identity"}
			get := func(method, path string, h ...string) response { return e.raw(method, path, "", "", h...) }
			for round := range 2 { // the second round comes from the response cache when there is one
				for _, tc := range []struct {
					name        string
					r           response
					tag, coding string
				}{
					{"GET gzip", get("GET", bigPath, gz...), gzipTag, "gzip"},
					{"GET plain", get("GET", bigPath, plain...), plainTag, ""},
					{"HEAD gzip", get("HEAD", bigPath, gz...), gzipTag, "gzip"},
					{"HEAD plain", get("HEAD", bigPath, plain...), plainTag, ""},
					{"small GET gzip", get("GET", smallPath, gz...), fmt.Sprintf(`"%v.1"`, small.json(t)["id"]), ""},
					{"304 gzip, asked with the gzip tag", get("GET", bigPath, append(gz, "If-None-Match", gzipTag)...), gzipTag, ""},
					{"304 gzip, asked with the plain tag", get("GET", bigPath, append(gz, "If-None-Match", plainTag)...), gzipTag, ""},
					{"304 plain, asked with the gzip tag", get("GET", bigPath, append(plain, "If-None-Match", gzipTag)...), plainTag, ""},
				} {
					if tc.r.header.Get("ETag") != tc.tag || tc.r.header.Get("Content-Encoding") != tc.coding {
						t.Errorf("round %d, %s: %d, ETag %s, Content-Encoding %q; want %s, %q", round, tc.name, tc.r.status,
							tc.r.header.Get("ETag"), tc.r.header.Get("Content-Encoding"), tc.tag, tc.coding)
					}
				}
			}
			// Weak tags of lists do not change with the coding.
			if a, b := get("GET", "/v1/articles", gz...), get("GET", "/v1/articles", plain...); a.header.Get("Content-Encoding") != "gzip" ||
				a.header.Get("ETag") != b.header.Get("ETag") || !strings.HasPrefix(a.header.Get("ETag"), "W/") {
				t.Errorf("list: %q %q vs %q", a.header.Get("Content-Encoding"), a.header.Get("ETag"), b.header.Get("ETag"))
			}
			// The idempotent replay is marked by how it is sent, too.
			replay := e.raw("POST", "/v1/articles", "", `{"title":"A long story","body":"`+strings.Repeat("Long body text. ", 200)+`","countries":["KP"],"themes":[]}`,
				"Authorization", "Bearer "+editorKey, "Content-Type", "application/json", "Idempotency-Key", "big-1", "Accept-Encoding", "identity")
			if replay.header.Get("Idempotent-Replayed") != "true" || replay.header.Get("ETag") != plainTag {
				t.Errorf("plain replay: %d, ETag %s, replayed %q", replay.status, replay.header.Get("ETag"), replay.header.Get("Idempotent-Replayed"))
			}
			// A client that holds the gzip tag can write with it.
			r := e.raw("PATCH", bigPath, "", `{"summary":"new"}`, "Authorization", "Bearer "+editorKey, "Content-Type", "application/json",
				"If-Match", gzipTag, "Accept-Encoding", "gzip")
			if r.status != 200 || r.header.Get("ETag") != strings.Replace(gzipTag, ".1-", ".2-", 1) {
				t.Errorf("PATCH with the gzip tag: %d, ETag %s", r.status, r.header.Get("ETag"))
			}
		})
	}
}

// TestMalformedIfNoneMatchOnEveryRead: every API read refuses a malformed
// If-None-Match with a 400 its spec documents; pages for browsers and
// operational endpoints answer in full.
func TestMalformedIfNoneMatchOnEveryRead(t *testing.T) {
	e := newEnv(t, "sqlite")
	for _, p := range []string{"/v1/articles", "/v1/articles/1", "/v1/countries/RU", "/v1/themes/trade", "/v1/countries", "/v1/changes"} {
		assertProblem(t, e.do(req{path: p, headers: []string{"If-None-Match", "abc"}}), http.StatusBadRequest, "If-None-Match")
	}
	for _, p := range []string{"/healthz", "/embed.js", "/"} {
		if r := e.do(req{path: p, headers: []string{"If-None-Match", "abc"}}); r.status != 200 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
}

// TestAbsentValuesOneRule: an article without url, image_url, author,
// summary, body, source or section reads the same everywhere: null for
// the three that may be absent, "" for the strings, never left out when
// asked for, in GET, lists with fields=, batch results, the change feed
// and the export. In writes, null means the default.
func TestAbsentValuesOneRule(t *testing.T) {
	e := newEnv(t, "sqlite")
	wantNull := []string{"url", "image_url", "author"}
	wantEmpty := []string{"summary", "body", "source", "section"}
	check := func(where string, a map[string]any, empties ...string) {
		t.Helper()
		for _, f := range wantNull {
			if v, ok := a[f]; !ok || v != nil {
				t.Errorf("%s: %s is %#v (present %v), want null", where, f, v, ok)
			}
		}
		for _, f := range empties {
			if v, ok := a[f]; !ok || v != "" {
				t.Errorf("%s: %s is %#v (present %v), want \"\"", where, f, v, ok)
			}
		}
	}
	r := e.do(req{method: "POST", path: "/v1/articles", key: true,
		body: `{"title":"Bare","summary":null,"body":null,"source":null,"section":null,"url":null,"image_url":null,"author":null,"language":null,"countries":[],"themes":[]}`})
	if r.status != 201 {
		t.Fatalf("create with nulls: %d %s", r.status, r.body)
	}
	check("POST answer", r.json(t), wantEmpty...)
	if r.json(t)["language"] != "en" {
		t.Errorf("language null → %v, want the default en", r.json(t)["language"])
	}
	path := fmt.Sprintf("/v1/articles/%v", r.json(t)["id"])
	check("GET", e.do(req{path: path}).json(t), wantEmpty...)
	list := e.do(req{path: "/v1/articles?limit=1&fields=summary,body,source,section,url,image_url,author,tag_source"}).json(t)
	check("list with fields=", list["data"].([]any)[0].(map[string]any), wantEmpty...)
	batch := e.do(req{method: "POST", path: "/v1/articles/batch", key: true, body: `{"articles":[{"title":"Bare in a batch","countries":[],"themes":[]}]}`})
	check("batch result", batch.json(t)["results"].([]any)[0].(map[string]any)["article"].(map[string]any), wantEmpty...)
	changes := e.do(req{path: "/v1/changes?limit=100"}).json(t)["data"].([]any)
	check("change feed", changes[len(changes)-1].(map[string]any)["article"].(map[string]any), wantEmpty...)
	var out bytes.Buffer
	if _, err := transfer.Export(context.Background(), &out, e.store, nil); err != nil {
		t.Fatal(err)
	}
	var last struct{ Article map[string]any }
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(l, `{"article":`) {
			if err := json.Unmarshal([]byte(l), &last); err != nil {
				t.Fatal(err)
			}
		}
	}
	check("export", last.Article, wantEmpty...)

	// Merge patch: null clears, and is refused where there is no empty value.
	r = e.do(req{method: "PATCH", path: "/v1/articles/1", key: true, body: `{"summary":null,"source":null,"section":null,"author":null,"url":null,"image_url":null}`})
	check("PATCH answer", r.json(t), "summary", "source", "section")
	for _, f := range []string{"title", "status", "published_at"} {
		assertProblem(t, e.do(req{method: "PATCH", path: "/v1/articles/1", key: true, body: `{"` + f + `":null}`}), http.StatusUnprocessableEntity, f)
	}
}

// TestPatchNamesEveryWrongMember: a patch refused for a null title or a
// published_at that is no time names the other wrong members too, as a
// POST does, and nothing of it is stored.
func TestPatchNamesEveryWrongMember(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		before := e.do(req{path: "/v1/articles/1"})
		for _, c := range []struct {
			body      string
			want, not []string
		}{
			{`{"title":null,"status":"gone","countries":["Atlantis"],"summary":"Still fine"}`,
				[]string{"title", "status", "countries"}, []string{"summary"}},
			{`{"published_at":"soon","language":"not a tag!","themes":["trade"]}`,
				[]string{"published_at", "language"}, []string{"themes", "title"}},
			{`{"status":null,"title":"   ","url":"ftp://example.com/x"}`,
				[]string{"status", "title", "url"}, nil},
			// Nothing else wrong: the null alone, as before.
			{`{"published_at":null,"summary":"Fine"}`, []string{"published_at"}, []string{"summary"}},
		} {
			r := e.do(req{method: "PATCH", path: "/v1/articles/1", key: true, body: c.body})
			assertProblem(t, r, http.StatusUnprocessableEntity, c.want[0])
			for _, f := range c.want {
				if problemOf(t, r, f) == "" {
					t.Errorf("%s: %s not named: %s", c.body, f, r.body)
				}
			}
			for _, f := range c.not {
				if m := problemOf(t, r, f); m != "" {
					t.Errorf("%s: %s named (%s): %s", c.body, f, m, r.body)
				}
			}
		}
		if after := e.do(req{path: "/v1/articles/1"}); string(after.body) != string(before.body) {
			t.Errorf("a refused patch changed the article:\n%s\n%s", before.body, after.body)
		}
	})
}

// TestMemberNamesAreExact: a member named in another case ("Title",
// "Url") is refused with a 400 naming it and the name meant, on a
// create, a replace and a patch, rather than taken for the field (a null
// "Title" slipped past the refusal of a null title) or ignored (a
// patch's "Url" changed nothing and answered 200); one answer names
// every such member, and the unknown ones; nothing is stored.
func TestMemberNamesAreExact(t *testing.T) {
	e := newEnv(t, "sqlite")
	before := e.do(req{path: "/v1/articles/1"})
	etag := before.header.Get("ETag")
	for _, c := range []struct{ method, path, body, field string }{
		{"PATCH", "/v1/articles/1", `{"Title":null,"summary":"Stored although the title is null"}`, "Title"},
		{"PATCH", "/v1/articles/1", `{"Url":"https://example.com/moved"}`, "Url"},
		{"PATCH", "/v1/articles/1", `{"title":"First","Title":"Second"}`, "Title"},
		{"PATCH", "/v1/articles/1", `{"PUBLISHED_AT":null}`, "PUBLISHED_AT"},
		{"PUT", "/v1/articles/1", `{"title":"Replaced","Countries":["Japan"]}`, "Countries"},
		{"POST", "/v1/articles", `{"Title":"Created","url":"https://example.com/case"}`, "Title"},
	} {
		r := e.do(req{method: c.method, path: c.path, key: true, body: c.body, headers: []string{"If-Match", etag}})
		assertProblem(t, r, http.StatusBadRequest, c.field)
		if m := problemOf(t, r, c.field); !strings.Contains(m, "did you mean") {
			t.Errorf("%s %s: %q does not name the member meant", c.method, c.body, m)
		}
	}
	// Every such member at once, and the unknown and the server's beside them.
	r := e.do(req{method: "PATCH", path: "/v1/articles/1", key: true, body: `{"Summary":"x","titel":"y","id":3,"Status":"draft","body":"fine"}`})
	assertProblem(t, r, http.StatusBadRequest, "Status")
	for f, want := range map[string]string{"Summary": "case-sensitive: did you mean summary?", "Status": "case-sensitive: did you mean status?", "titel": "did you mean title?", "id": "set by the server"} {
		if m := problemOf(t, r, f); !strings.Contains(m, want) {
			t.Errorf("%s: %q, want it to say %s: %s", f, m, want, r.body)
		}
	}
	if after := e.do(req{path: "/v1/articles/1"}); string(after.body) != string(before.body) {
		t.Errorf("a refused write changed the article:\n%s\n%s", before.body, after.body)
	}
	if r := e.do(req{path: "/v1/articles?q=Created"}); len(r.json(t)["data"].([]any)) != 0 {
		t.Errorf("a refused create was stored: %s", r.body)
	}
}

// TestContradictoryTagsAreRefused: a tag both required and excluded,
// or every value of country= excluded, matches nothing: a 400 naming the
// exclusion, not an empty page; an exclusion that leaves a value is fine.
func TestContradictoryTagsAreRefused(t *testing.T) {
	e := newEnv(t, "sqlite")
	for _, q := range []string{
		"/v1/articles?country_all=KP,RU&country_not=KP",
		"/v1/articles?country=Russia&country_not=RU",
		"/v1/articles?country=RU,CN&country_not=CN,ru",
		"/v1/articles?theme_all=trade&theme_not=trade&country=KP",
		"/v1/feeds/articles.rss?theme=sanctions&theme_not=sanctions",
	} {
		r := e.do(req{path: q})
		field := "country_not"
		if strings.Contains(q, "theme_not") {
			field = "theme_not"
		}
		assertProblem(t, r, http.StatusBadRequest, field)
		if m := problemOf(t, r, field); !strings.Contains(m, "no article can match") {
			t.Errorf("%s: %q", q, m)
		}
	}
	for _, q := range []string{"/v1/articles?country=RU,CN&country_not=CN", "/v1/articles?theme_all=trade&theme_not=sanctions"} {
		if r := e.do(req{path: q}); r.status != http.StatusOK {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

// TestTwoDifferentKeysAreRefused: a wrong X-API-Key beside a valid Bearer
// key is a 401 naming X-API-Key, not ignored; the same key in both is fine.
func TestTwoDifferentKeysAreRefused(t *testing.T) {
	e := newEnv(t, "sqlite")
	r := e.do(req{path: "/v1/articles", key: true, headers: []string{"X-API-Key", "not-a-key"}})
	assertProblem(t, r, http.StatusUnauthorized, "X-API-Key")
	if r := e.do(req{path: "/v1/articles", key: true, headers: []string{"X-API-Key", editorKey}}); r.status != 200 {
		t.Errorf("the same key twice: %d %s", r.status, r.body)
	}
}

// TestLanguageIgnoresCase: language tags are case-insensitive (RFC 5646):
// stored in canonical case, and matched by the filter in any case.
func TestLanguageIgnoresCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		r := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Seoul story","language":"KO-kr","countries":["KR"],"themes":[]}`})
		if r.status != 201 || r.json(t)["language"] != "ko-KR" {
			t.Fatalf("create: %d, language %v", r.status, r.json(t)["language"])
		}
		for _, v := range []string{"ko-KR", "ko-kr", "KO-KR"} {
			if got := titles(t, e.do(req{path: "/v1/articles?language=" + v})); len(got) != 1 || got[0] != "Seoul story" {
				t.Errorf("language=%s: %v", v, got)
			}
		}
		if got := titles(t, e.do(req{path: "/v1/articles?language=EN&limit=100"})); len(got) != 10 {
			t.Errorf("language=EN: %d articles, want the 10 demo ones", len(got))
		}
	})
}

package api_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/store/storetest"
)

// TestHostileInput: each hostile body gets exactly this status, naming
// exactly this field.
func TestHostileInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		cases := []struct {
			name, body string
			status     int
			field      string
		}{
			{"right-to-left override in title", "{\"title\":\"Sanctions \u202Egnol\u202C lifted\"}", 422, "title"},
			{"isolate in title", "{\"title\":\"a \u2067b\u2069\"}", 422, "title"},
			{"C0 control in title", `{"title":"bell\u0007"}`, 422, "title"},
			{"C1 control in title", `{"title":"next\u0085line"}`, 422, "title"},
			{"javascript url", `{"title":"x","url":"javascript:alert(1)"}`, 422, "url"},
			{"JavaScript url in capitals", `{"title":"x","url":"JAVASCRIPT:alert(1)"}`, 422, "url"},
			{"file url", `{"title":"x","url":"file:///etc/passwd"}`, 422, "url"},
			{"data url", `{"title":"x","url":"data:text/html,<script>alert(1)</script>"}`, 422, "url"},
			{"scheme-relative url", `{"title":"x","url":"//example.com/story"}`, 422, "url"},
			{"credentials in url", `{"title":"x","url":"https://user:secret@example.com/"}`, 422, "url"},
			{"javascript image", `{"title":"x","image_url":"javascript:alert(1)"}`, 422, "image_url"},
			{"id in body", `{"title":"x","id":1}`, 400, "id"},
			{"version in body", `{"title":"x","version":9}`, 400, "version"},
			{"created_at in body", `{"title":"x","created_at":"2020-01-01T00:00:00Z"}`, 400, "created_at"},
			{"updated_at in body", `{"title":"x","updated_at":"2020-01-01T00:00:00Z"}`, 400, "updated_at"},
			{"nested unknown", `{"title":"x","countries":{"RU":true}}`, 400, "countries"},
			{"prototype pollution key", `{"title":"x","__proto__":{"admin":true}}`, 400, "__proto__"},
			{"body over 1 MiB", `{"title":"x","body":"` + strings.Repeat("a", api.MaxBodyBytes) + `"}`, 413, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				assertProblem(t, e.do(req{method: "POST", path: "/v1/articles", body: tc.body, key: true}), tc.status, tc.field)
			})
		}
		// Text is stored in NFC: a decomposed é comes back composed.
		r := e.do(req{method: "POST", path: "/v1/articles", key: true, body: "{\"title\":\"Cafe\u0301 diplomacy in Pyongyang\"}"})
		if r.status != 201 || r.json(t)["title"] != "Caf\u00e9 diplomacy in Pyongyang" {
			t.Errorf("NFC: %d %q", r.status, r.json(t)["title"])
		}
		// Scheme and host are lower-cased before the uniqueness check.
		r = e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"y","url":"HTTPS://Example.COM/Story?id=7"}`})
		if r.status != 201 || r.json(t)["url"] != "https://example.com/Story?id=7" {
			t.Fatalf("url case: %d %s", r.status, r.body)
		}
		first := r.json(t)["id"]
		r = e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"z","url":"https://EXAMPLE.com/Story?id=7"}`})
		assertProblem(t, r, http.StatusConflict, "url")
		if r.json(t)["existing_id"] != first {
			t.Errorf("409 names %v, want %v", r.json(t)["existing_id"], first)
		}
	})
}

func TestSecurityHeadersAndMethods(t *testing.T) {
	e := newEnv(t, "sqlite")
	for _, path := range []string{"/v1/articles", "/v1/articles/999", "/swagger/index.html"} {
		r := e.do(req{path: path})
		if r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "*") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	if csp := e.do(req{path: "/v1/articles"}).header.Get("Content-Security-Policy"); csp != "default-src 'none'; frame-ancestors 'none'" {
		t.Errorf("API CSP %q", csp)
	}
	for _, m := range []string{"TRACE", "CONNECT", "PROPFIND"} {
		r := e.do(req{method: m, path: "/v1/articles"})
		if r.status != http.StatusMethodNotAllowed || !strings.Contains(r.header.Get("Allow"), "GET") || !strings.Contains(r.header.Get("Allow"), "POST") {
			t.Errorf("%s: %d, Allow %q", m, r.status, r.header.Get("Allow"))
		}
	}
}

func TestIfMatchRequired(t *testing.T) {
	_, st := newAPI(t, "sqlite")
	e := serve(t, api.New(api.Deps{Articles: st, Vocabulary: st, Ping: st.Ping, APIKeys: []string{editorKey},
		CursorSecret: "test-cursor-secret-0123456789", RequireIfMatch: true, Log: quietLog()}), st)
	for _, m := range []string{"PATCH", "PUT", "DELETE"} {
		body := `{"title":"blind"}`
		if m == "DELETE" {
			body = ""
		}
		assertProblem(t, e.do(req{method: m, path: "/v1/articles/1", body: body, key: true}), http.StatusPreconditionRequired, "If-Match")
	}
	etag := e.do(req{path: "/v1/articles/1"}).header.Get("ETag")
	if r := e.do(req{method: "PATCH", path: "/v1/articles/1", body: `{"summary":"with If-Match"}`, key: true, headers: []string{"If-Match", etag}}); r.status != 200 {
		t.Errorf("PATCH with If-Match: %d %s", r.status, r.body)
	}
}

// TestDeclaredBodyTooLarge: a body whose Content-Length is over the limit
// is a 413 at once, before any of it is sent: no wait for the upload, and
// no 100 Continue inviting it.
func TestDeclaredBodyTooLarge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	for _, expect := range []string{"", "Expect: 100-continue\r\n"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
		fmt.Fprintf(conn, "POST /v1/articles HTTP/1.1\r\nHost: localhost\r\nX-API-Key: %s\r\nContent-Type: application/json\r\n"+
			"Content-Length: 20000000\r\n%s\r\n", editorKey, expect)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		_ = conn.Close()
		if err != nil {
			t.Fatalf("%q: no answer before the body was sent: %v", expect, err)
		}
		if res.StatusCode != http.StatusRequestEntityTooLarge || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%q: %d %s, want a 413 problem", expect, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}

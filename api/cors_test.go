package api_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/headlines/headlines/api"
)

func corsEnv(t *testing.T) *env {
	t.Helper()
	_, st := newAPI(t, "sqlite")
	return serve(t, api.New(api.Deps{Articles: st, Vocabulary: st, Keys: st, Ping: st.Ping, APIKeys: []string{editorKey},
		CursorSecret: "test-cursor-secret-0123456789", Log: quietLog(), CORSOrigins: []string{"https://cms.example.com"}}), st)
}

func TestCORS(t *testing.T) {
	e := corsEnv(t)
	partner := []string{"Origin", "https://partner.example.org"}
	// Any page may read, without credentials, and see the useful headers.
	r := e.do(req{path: "/v1/articles?limit=2", headers: partner})
	if r.header.Get("Access-Control-Allow-Origin") != "*" || r.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("public read: Allow-Origin %q, Allow-Credentials %q", r.header.Get("Access-Control-Allow-Origin"), r.header.Get("Access-Control-Allow-Credentials"))
	}
	for _, h := range []string{"ETag", "Link", "RateLimit", "RateLimit-Policy"} {
		if !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), h) {
			t.Errorf("%s is not exposed: %q", h, r.header.Get("Access-Control-Expose-Headers"))
		}
	}
	// Preflights: reads for anyone, writes only for the configured origins.
	pre := func(origin, method string) response {
		return e.do(req{method: "OPTIONS", path: "/v1/articles", headers: []string{"Origin", origin,
			"Access-Control-Request-Method", method, "Access-Control-Request-Headers", "authorization, content-type"}})
	}
	if r := pre("https://partner.example.org", "GET"); r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("read preflight: %d %v", r.status, r.header)
	}
	if r := pre("https://partner.example.org", "POST"); r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("write preflight from a partner: %d, Allow-Origin %q", r.status, r.header.Get("Access-Control-Allow-Origin"))
	}
	r = pre("https://cms.example.com", "PATCH")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "https://cms.example.com" ||
		!strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "PATCH") || !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("write preflight from the CMS: %d %v", r.status, r.header)
	}
	// The writes themselves.
	body := `{"title":"From a browser"}`
	assertProblem(t, e.do(req{method: "POST", path: "/v1/articles", body: body, key: true, headers: partner}), http.StatusForbidden, "Origin")
	if r := e.do(req{method: "POST", path: "/v1/articles", body: body, key: true, headers: []string{"Origin", "https://cms.example.com"}}); r.status != 201 ||
		r.header.Get("Access-Control-Allow-Origin") != "https://cms.example.com" {
		t.Errorf("write from the CMS: %d, Allow-Origin %q", r.status, r.header.Get("Access-Control-Allow-Origin"))
	}
	if r := e.do(req{method: "POST", path: "/v1/articles", body: body, key: true, headers: []string{"Origin", e.srv.URL}}); r.status != 201 {
		t.Errorf("write from the API's own origin (Swagger UI): %d %s", r.status, r.body)
	}
}

func TestCompression(t *testing.T) {
	e := corsEnv(t)
	get := func(path string, headers ...string) *http.Response {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := http.DefaultTransport.RoundTrip(req) // no transparent decompression
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := get("/v1/articles")
	zr, err := gzip.NewReader(res.Body)
	if err != nil || res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("a large list is not gzipped: %v %q", err, res.Header.Get("Content-Encoding"))
	}
	plain, _ := io.ReadAll(zr)
	_ = res.Body.Close()
	if !strings.HasPrefix(string(plain), `{"data":[`) {
		t.Errorf("gunzipped body: %.40s", plain)
	}
	// Small answers and 304s are not compressed.
	res = get("/healthz")
	_ = res.Body.Close()
	if res.Header.Get("Content-Encoding") != "" {
		t.Errorf("a tiny answer was compressed")
	}
	res = get("/v1/articles")
	tag := res.Header.Get("ETag")
	_ = res.Body.Close()
	res = get("/v1/articles", "If-None-Match", tag)
	n, _ := io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 304 || n != 0 || res.Header.Get("Content-Encoding") != "" {
		t.Errorf("304: status %d, %d bytes, Content-Encoding %q", res.StatusCode, n, res.Header.Get("Content-Encoding"))
	}
}

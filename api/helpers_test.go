package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/docs"
	"github.com/headlines/headlines/internal/demo"
	"github.com/headlines/headlines/internal/sample"
	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/store/storetest"
	"github.com/headlines/headlines/internal/transfer"
)

const (
	editorKey = "test-editor-key-0123456789"
	adminKey  = "test-admin-key-0123456789"
	readerKey = "test-reader-key-0123456789"
)

// env is one API over real HTTP on a fresh SQLite file with the demo
// headlines loaded. Every response is checked against the OpenAPI spec.
type env struct {
	t      *testing.T
	h      http.Handler
	srv    *httptest.Server
	store  *store.Store
	router routers.Router
}

var openAPIDoc = sync.OnceValues(func() (*openapi3.T, error) {
	// Feeds and pages are checked for status and content type, not schema.
	for _, ct := range []string{"application/rss+xml", "application/atom+xml", "text/html", "text/javascript"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
	return openapi3.NewLoader().LoadFromData(docs.OpenAPI)
})

func newEnv(t *testing.T, kind string, opts ...func(*api.Deps)) *env {
	t.Helper()
	h, st := newAPI(t, kind, opts...)
	return serve(t, h, st)
}

// serve runs h over real HTTP for one test.
func serve(t *testing.T, h http.Handler, st *store.Store) *env {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	doc, err := openAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	doc = cloneDoc(t, doc)
	doc.Servers = openapi3.Servers{{URL: srv.URL}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, h: h, srv: srv, store: st, router: router}
}

// newAPI is the API handler on a fresh database of the given kind with
// the demo headlines loaded; opts may change its settings.
func newAPI(t testing.TB, kind string, opts ...func(*api.Deps)) (http.Handler, *store.Store) {
	t.Helper()
	st := openDemo(t, storetest.DSN(t, kind))
	d := api.Deps{Articles: st, Vocabulary: st, Keys: st, Idempotency: st, Changes: st, Webhooks: st, ResponseCache: true, Ping: st.Ping, APIKeys: []string{editorKey, "admin:" + adminKey, "reader:" + readerKey},
		CursorSecret: "test-cursor-secret-0123456789", CacheMaxAge: time.Minute, StaleWhileRevalidate: 2 * time.Minute, Log: quietLog(),
		Build: api.Build{Version: "test", Commit: "abc123", GoVersion: "go-test", Dialect: st.Dialect()}}
	for _, o := range opts {
		o(&d)
	}
	a := api.New(d)
	t.Cleanup(func() { _ = a.Close() }) // its background work: the change watch, the cache's poll
	return a, st
}

// openStore opens a store on dsn with options o, closed when the test ends.
func openStore(t testing.TB, dsn string, o store.Options) *store.Store {
	t.Helper()
	st, err := store.Open(dsn, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// openDemo opens a store on the empty database at dsn, migrates it and
// loads the demo headlines.
func openDemo(t testing.TB, dsn string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st := openStore(t, dsn, store.Options{})
	if _, err := st.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := transfer.Import(ctx, bytes.NewReader(demo.Articles), st, nil)
	if err != nil || res.Created != 10 {
		t.Fatalf("demo import: %+v, %v", res, err)
	}
	return st
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func cloneDoc(t *testing.T, doc *openapi3.T) *openapi3.T {
	t.Helper()
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	out, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// response is what a test looks at.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// req describes a request; headers are name, value pairs.
type req struct {
	method, path string
	body         string
	headers      []string
	key          bool // send the editor key
	admin        bool // send the admin key
}

func (e *env) do(r req) response {
	e.t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	hr := e.request(r.method, r.path, r.body)
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.key {
		hr.Header.Set("Authorization", "Bearer "+editorKey)
	}
	if r.admin {
		hr.Header.Set("Authorization", "Bearer "+adminKey)
	}
	for i := 0; i+1 < len(r.headers); i += 2 {
		hr.Header.Set(r.headers[i], r.headers[i+1])
	}
	out := e.send(hr)
	e.checkSpec(hr, out)
	return out
}

// checkSpec validates a response against the operation the spec documents
// for its request: status, content type, headers and body schema.
func (e *env) checkSpec(hr *http.Request, r response) {
	e.t.Helper()
	if r.status >= 500 && r.status != http.StatusServiceUnavailable && r.status != http.StatusNotImplemented && r.status != http.StatusInsufficientStorage {
		e.t.Errorf("%s %s answered %d: %s", hr.Method, hr.URL, r.status, r.body)
	}
	if hr.Method == http.MethodOptions || r.status == http.StatusMethodNotAllowed || (r.status == http.StatusNotFound && !strings.HasPrefix(hr.URL.Path, "/v1/")) {
		return
	}
	if !strings.HasPrefix(hr.URL.Path, "/v1/") && hr.URL.Path != "/healthz" && hr.URL.Path != "/readyz" {
		return // the docs themselves are not part of the spec
	}
	route, params, err := e.router.FindRoute(hr)
	if err != nil {
		if r.status == http.StatusNotFound {
			return // no such route, and the API said so
		}
		e.t.Errorf("%s %s: not in the spec: %v", hr.Method, hr.URL.Path, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: hr, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: r.status, Header: r.header, Body: io.NopCloser(bytes.NewReader(r.body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if r.status == http.StatusNotModified || r.status == http.StatusNoContent {
		in.Options.ExcludeResponseBody = true
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		e.t.Errorf("%s %s → %d does not match the spec: %v\nbody: %s", hr.Method, hr.URL, r.status, err, r.body)
	}
}

// raw sends one request as a client may send it, with any Host and
// headers (name, value pairs), and returns the answer unchecked.
func (e *env) raw(method, path, host, body string, headers ...string) response {
	e.t.Helper()
	hr := e.request(method, path, body)
	if host != "" {
		hr.Host = host
	}
	for i := 0; i+1 < len(headers); i += 2 {
		hr.Header.Set(headers[i], headers[i+1])
	}
	return e.send(hr)
}

// request is a request to the test server, with body when it is not empty.
func (e *env) request(method, path, body string) *http.Request {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	hr, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	return hr
}

// send sends hr and reads the whole answer.
func (e *env) send(hr *http.Request) response {
	e.t.Helper()
	return sendWith(e.t, e.srv.Client(), hr)
}

// sendWith sends hr with client and reads the whole answer.
func sendWith(t testing.TB, client *http.Client, hr *http.Request) response {
	t.Helper()
	res, err := client.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// importGenerated imports n generated articles (seed 1) into st.
func importGenerated(ctx context.Context, st *store.Store, n int) (transfer.Result, error) {
	pr, pw := io.Pipe()
	go func() {
		enc, g := json.NewEncoder(pw), sample.New(1)
		for range n {
			if err := enc.Encode(g.Next()); err != nil {
				break
			}
		}
		_ = pw.Close()
	}()
	res, err := transfer.Import(ctx, pr, st, nil)
	_ = pr.Close() // an import that stopped early stops the writer too
	return res, err
}

package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/config"
	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
)

// The contract sweep: a table of varied requests over every route —
// reads with every filter, writes, errors of every status, conditional
// requests, HEAD, the widget and the pages — sent to a real server, each
// request and each answer validated with openapi3filter against the spec
// that server itself serves at /openapi.json. A route added to the router
// without a case here, or served without being in the spec, fails it.

// minSweep is the least number of distinct requests the sweep must send.
const minSweep = 80

// outsideContract are the routes the spec does not describe on purpose:
// Swagger UI's page and assets belong to the UI, not to the API. They are
// still requested (and must answer), but not validated.
var outsideContract = map[string]string{
	"GET /swagger":           "Swagger UI's redirect to its page",
	"GET /swagger/":          "Swagger UI's redirect to its page",
	"GET /swagger/*":         "Swagger UI's page and assets",
	"GET /swagger/doc.json":  "the served spec again, where Swagger UI used to read it",
	"GET /swagger/doc.yaml":  "the served spec again, where Swagger UI used to read it",
	"HEAD /swagger":          "Swagger UI's redirect, for link checkers",
	"HEAD /swagger/":         "Swagger UI's redirect, for link checkers",
	"HEAD /swagger/*":        "Swagger UI's page and assets, for link checkers",
	"HEAD /swagger/doc.json": "the served spec again, for link checkers",
	"HEAD /swagger/doc.yaml": "the served spec again, for link checkers",
}

// contractHeaders are the response headers a client relies on: when a
// response carries one, the spec must declare it on that response, so that
// generated clients can read it.
var contractHeaders = []string{"ETag", "Last-Modified", "Location", "Link", "Retry-After", "RateLimit", "RateLimit-Policy",
	"X-Request-Id", "Idempotent-Replayed", "WWW-Authenticate"}

// specVerdict is what the spec must say of a request.
type specVerdict int

const (
	// specAccepts: the request is one the contract allows; the spec must
	// accept it (this is the default: every valid request).
	specAccepts specVerdict = iota
	// specRejects: the request breaks a rule the spec can state (a type,
	// an enum, a bound, a required member or header, the content type,
	// missing credentials); the spec must reject it, as the server does.
	specRejects
	// specCannotTell: the request breaks a rule beyond what OpenAPI can
	// say (unknown query parameters, vocabulary names, cross-parameter
	// rules, opaque tokens, sizes of the whole body); either verdict.
	specCannotTell
)

// sweepCase is one request of the sweep and the status it must get.
type sweepCase struct {
	name         string
	on           string // "limited": the server with tiny rate limits; "": the main one
	method, path string // path and body may name saved values as {{name}}
	body         string
	ctype        string   // Content-Type of the body; application/json when empty
	headers      []string // name, value pairs; values may name saved values
	as           string   // "editor", "admin", "reader", "bogus" (a key no one has), "apikey" (the editor key in X-API-Key)
	want         int
	spec         specVerdict
	unrouted     bool // the spec has no operation for it (unknown path or method): only a problem+json is checked
	save         func(s *sweeper, r response)
	check        func(t *testing.T, r response)
}

func TestContractSweep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		s := newSweeper(t, kind)
		for _, c := range sweepCases() {
			s.run(c)
		}
		s.finish()
	})
}

// sweepServer is one server of the sweep with the spec it serves.
type sweepServer struct {
	e      *env
	echo   *echo.Echo
	doc    *openapi3.T
	router routers.Router
	routes map[string]bool // "METHOD /path" as the router knows them
}

type sweeper struct {
	t       *testing.T
	kind    string // the database
	servers map[string]*sweepServer
	vars    map[string]string
	names   map[string]bool
	hit     map[string]bool // routes requested, "METHOD /path" as the router knows them
	ops     map[string]bool // spec operations validated, "METHOD /path" as the spec spells them
	sent    int             // requests sent
	derived int             // of which HEAD and If-None-Match repeats
	headed  map[string]bool // GET routes already repeated as HEAD and conditional GET
	client  *http.Client    // follows no redirect: a 302 is an answer to check
}

func newSweeper(t *testing.T, kind string) *sweeper {
	t.Helper()
	if _, err := openAPIDoc(); err != nil { // registers the body decoders of feeds and pages
		t.Fatal(err)
	}
	s := &sweeper{t: t, kind: kind, servers: map[string]*sweepServer{}, vars: map[string]string{}, names: map[string]bool{},
		hit: map[string]bool{}, ops: map[string]bool{}, headed: map[string]bool{},
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	s.servers[""] = s.serve(kind)
	clock := &fakeClock{t: time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)}
	busy := api.NewQueryPool(1, time.Minute)
	t.Cleanup(busy.HoldSlots(1))
	s.servers["limited"] = s.serve(kind, func(d *api.Deps) {
		d.Now = clock.now // a clock that stands still: no budget refills during the sweep
		d.RequireIfMatch = true
		d.Expensive = busy // every slot for searches, totals and facets taken
		d.Ping = func(context.Context) error {
			return news.Errorf(news.EUnavailable, "database unavailable (as the store says it)")
		}
		d.Limits = api.Limits{
			Public:   config.Rate{Burst: 5, Per: time.Minute},
			Key:      config.Rate{Burst: 2, Per: time.Minute},
			AuthFail: config.Rate{Burst: 2, Per: 10 * time.Minute},
		}
	})
	main := s.servers[""].e.srv.URL
	s.vars["widget"] = url.QueryEscape(main + "/embed/headlines?country=KP&theme=troops")
	return s
}

// serve starts a server and loads the spec it serves.
func (s *sweeper) serve(kind string, opts ...func(*api.Deps)) *sweepServer {
	t := s.t
	t.Helper()
	h, st := newAPI(t, kind, opts...)
	e := serve(t, h, st)
	a, ok := h.(*api.API)
	if !ok {
		t.Fatalf("api.New returned a %T, not an *api.API", h)
	}
	ec := a.Echo()
	res := e.send(e.request(http.MethodGet, "/openapi.json", ""))
	if res.status != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d %s", res.status, res.body)
	}
	doc, err := openapi3.NewLoader().LoadFromData(res.body)
	if err != nil {
		t.Fatalf("the served /openapi.json does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Errorf("the served /openapi.json is not a valid OpenAPI document: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: e.srv.URL}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("no router for the served spec: %v", err)
	}
	routes := map[string]bool{}
	for _, r := range ec.Routes() {
		routes[r.Method+" "+r.Path] = true
	}
	return &sweepServer{e: e, echo: ec, doc: doc, router: router, routes: routes}
}

var varRef = regexp.MustCompile(`\{\{(\w+)\}\}`)

// expand replaces {{name}} with the value saved under name.
func (s *sweeper) expand(c sweepCase, in string) string {
	return varRef.ReplaceAllStringFunc(in, func(m string) string {
		v, ok := s.vars[m[2:len(m)-2]]
		if !ok {
			s.t.Errorf("%s: %s was never saved (did an earlier case fail?)", c.name, m)
		}
		return v
	})
}

// run sends one case, validates request and answer against the spec, and,
// for the first successful GET of a route, repeats it as HEAD and with
// If-None-Match.
func (s *sweeper) run(c sweepCase) {
	t := s.t
	t.Helper()
	if s.names[c.name] {
		t.Fatalf("two cases are named %q", c.name)
	}
	s.names[c.name] = true
	srv := s.servers[c.on]
	if c.method == "" {
		c.method = http.MethodGet
	}
	c.path = s.expand(c, c.path)
	c.body = s.expand(c, c.body)
	headers := slices.Clone(c.headers)
	for i := range headers {
		headers[i] = s.expand(c, headers[i])
	}
	switch c.as {
	case "editor":
		headers = append(headers, "Authorization", "Bearer "+editorKey)
	case "admin":
		headers = append(headers, "Authorization", "Bearer "+adminKey)
	case "reader":
		headers = append(headers, "Authorization", "Bearer "+readerKey)
	case "bogus":
		headers = append(headers, "Authorization", "Bearer not-a-key-anyone-has-0123456789")
	case "apikey":
		headers = append(headers, "X-API-Key", editorKey)
	case "":
	default:
		t.Fatalf("%s: unknown identity %q", c.name, c.as)
	}
	if c.body != "" {
		ct := c.ctype
		if ct == "" {
			ct = "application/json"
		}
		headers = append(headers, "Content-Type", ct)
	}
	r := s.send(srv, c, headers)
	if c.save != nil && r.status == c.want {
		c.save(s, r)
	}

	route := c.method + " " + s.routeOf(srv, c.method, c.path)
	// Not on the limited server: the repeats would spend its budgets.
	if c.on == "" && c.method == http.MethodGet && r.status == http.StatusOK && !s.headed[route] {
		s.headed[route] = true
		if srv.routes[http.MethodHead+" "+strings.TrimPrefix(route, "GET ")] {
			s.derived++
			h := c
			h.name, h.method, h.want, h.save, h.check = "HEAD "+c.name, http.MethodHead, http.StatusOK, nil, nil
			hr := s.send(srv, h, headers)
			if len(hr.body) != 0 {
				t.Errorf("%s: HEAD answered a body of %d bytes", h.name, len(hr.body))
			}
			if got, want := hr.header.Get("Content-Type"), r.header.Get("Content-Type"); got != want {
				t.Errorf("%s: HEAD says Content-Type %q, GET %q", h.name, got, want)
			}
		}
		// Every GET with an ETag honours If-None-Match; the resources, feeds,
		// pages and the widget must have one.
		if tag := r.header.Get("ETag"); tag == "" {
			if p, _, _ := strings.Cut(c.path, "?"); api.Cacheable(p) {
				t.Errorf("%s: a cacheable GET answered 200 without an ETag", c.name)
			}
		} else {
			s.derived++
			n := c
			n.name, n.want, n.save, n.check = "If-None-Match "+c.name, http.StatusNotModified, nil, nil
			nr := s.send(srv, n, append(slices.Clone(headers), "If-None-Match", tag))
			if len(nr.body) != 0 {
				t.Errorf("%s: 304 with a body of %d bytes", n.name, len(nr.body))
			}
		}
	}
	if c.check != nil && r.status == c.want {
		c.check(t, r)
	}
}

// routeOf is the route the server's router picks for method and path ("" for none).
func (s *sweeper) routeOf(srv *sweepServer, method, p string) string {
	p, _, _ = strings.Cut(p, "?")
	hr, err := http.NewRequest(method, p, nil)
	if err != nil {
		return ""
	}
	ctx := srv.echo.NewContext(hr, nil)
	srv.echo.Router().Find(method, p, ctx)
	if srv.routes[method+" "+ctx.Path()] {
		return ctx.Path()
	}
	return ""
}

// send sends one request, then checks it and its answer against the spec.
func (s *sweeper) send(srv *sweepServer, c sweepCase, headers []string) response {
	t := s.t
	t.Helper()
	s.sent++
	build := func() *http.Request {
		hr := srv.e.request(c.method, c.path, c.body)
		for i := 0; i+1 < len(headers); i += 2 {
			hr.Header.Set(headers[i], headers[i+1])
		}
		return hr
	}
	r := s.do(build())
	if r.header.Get("Content-Encoding") == "gzip" { // asked for explicitly: the transport left it compressed
		zr, err := gzip.NewReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	if r.status != c.want {
		t.Errorf("%s: %s %s answered %d, want %d\nbody: %.600s", c.name, c.method, c.path, r.status, c.want, r.body)
	}
	if key := c.method + " " + s.routeOf(srv, c.method, c.path); srv.routes[key] {
		s.hit[key] = true
		if outsideContract[key] != "" {
			return r
		}
	}
	for _, err := range s.validate(srv, c, build(), r) {
		t.Errorf("%s: %s %s → %d: %v\nbody: %.600s", c.name, c.method, c.path, r.status, err, r.body)
	}
	return r
}

// do sends hr as it is, without following redirects, and reads the whole answer.
func (s *sweeper) do(hr *http.Request) response {
	s.t.Helper()
	return sendWith(s.t, s.client, hr)
}

// validate checks a request and its answer against the served spec. HEAD:
// when the spec has a HEAD operation for the path it is used; otherwise a
// HEAD is validated against the GET operation of the path, as the GET
// answer without its body (RFC 9110 §9.3.2): same status, headers and
// content type, and no body.
func (s *sweeper) validate(srv *sweepServer, c sweepCase, hr *http.Request, r response) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	asGet := hr
	if hr.Method == http.MethodHead {
		asGet = hr.Clone(context.Background())
		asGet.Method = http.MethodGet
	}
	route, params, err := srv.router.FindRoute(hr)
	if err != nil && hr.Method == http.MethodHead {
		route, params, err = srv.router.FindRoute(asGet)
	}
	if err != nil {
		if !c.unrouted {
			fail("the spec has no operation for it: %v", err)
			return errs
		}
		return append(errs, checkUnrouted(srv.doc, r)...)
	}
	if c.unrouted {
		fail("the spec has an operation for a request the sweep sends as unknown")
	}
	s.ops[route.Method+" "+route.Path] = true

	// The request.
	reqIn := &openapi3filter.RequestValidationInput{Request: asGet, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: credentialsPresent}}
	reqErr := openapi3filter.ValidateRequest(context.Background(), reqIn)
	switch {
	case c.spec == specAccepts && reqErr != nil:
		fail("the spec refuses a request the contract allows: %v", reqErr)
	case c.spec == specRejects && reqErr == nil:
		fail("the spec accepts a request the server must refuse (answered %d)", r.status)
	}

	// The answer: status, declared headers and body schema, by openapi3filter.
	// It passes over HEAD and 304 answers, so those are validated as a GET
	// answer of the declared response without its body.
	respRef := route.Operation.Responses.Status(r.status)
	if respRef == nil {
		fail("status %d is not declared", r.status)
		return errs
	}
	vroute, vstatus := route, r.status
	bodyless := hr.Method == http.MethodHead || r.status == http.StatusNotModified
	if bodyless {
		op := *route.Operation
		op.Responses = openapi3.NewResponses(openapi3.WithStatus(http.StatusOK, respRef))
		rc := *route
		rc.Operation = &op
		vroute, vstatus = &rc, http.StatusOK
	}
	respIn := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: asGet, PathParams: params, Route: vroute},
		Status:                 vstatus, Header: r.header, Body: io.NopCloser(bytes.NewReader(r.body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: bodyless},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), respIn); err != nil {
		fail("%v", err)
	}

	// One content type per answer, the one the server sends: a client
	// picks its decoder by status alone. A HEAD answer's Content-Type is
	// the one its GET declares.
	resp, content := respRef.Value, respRef.Value.Content
	if hr.Method == http.MethodHead {
		content = nil
		if get, _, err := srv.router.FindRoute(asGet); err != nil {
			fail("HEAD without a GET operation: %v", err)
		} else if ref := get.Operation.Responses.Status(r.status); ref != nil {
			content = ref.Value.Content
		}
	}
	got := mediaType(r.header.Get("Content-Type"))
	switch {
	case r.status == http.StatusNoContent || r.status == http.StatusNotModified:
		if len(content) != 0 {
			fail("a %d has no body, yet the spec declares content %v", r.status, keys(content))
		}
	case len(content) != 1:
		fail("status %d declares %d content types %v; want exactly the one sent, %q", r.status, len(content), keys(content), got)
	case content[got] == nil:
		fail("status %d is sent as %q, declared as %v", r.status, got, keys(content))
	}
	// Every header a client relies on is declared where it is sent.
	for _, name := range contractHeaders {
		if r.header.Get(name) != "" && !hasHeader(resp.Headers, name) {
			fail("header %s is sent but not declared on %d (declared: %v)", name, r.status, keys(resp.Headers))
		}
	}
	return errs
}

// checkUnrouted checks an answer to a request the spec has no operation
// for: still a problem+json, valid against the spec's Problem schema,
// with Allow on a 405.
func checkUnrouted(doc *openapi3.T, r response) []error {
	var errs []error
	if r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
		errs = append(errs, fmt.Errorf("a request outside the spec answered %d, want 404 or 405", r.status))
	}
	if r.status == http.StatusMethodNotAllowed && r.header.Get("Allow") == "" {
		errs = append(errs, errors.New("a 405 without Allow"))
	}
	if got := mediaType(r.header.Get("Content-Type")); got != "application/problem+json" {
		errs = append(errs, fmt.Errorf("answered %q, want application/problem+json", got))
	}
	ref := doc.Components.Schemas["Problem"]
	if ref == nil || ref.Value == nil {
		return append(errs, errors.New("the spec has no Problem schema"))
	}
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		return append(errs, fmt.Errorf("the problem is not JSON: %w", err))
	}
	if err := ref.Value.VisitJSON(v, openapi3.VisitAsResponse()); err != nil {
		errs = append(errs, fmt.Errorf("the problem does not match the spec's Problem schema: %w", err))
	}
	if m, ok := v.(map[string]any); ok {
		if m["status"] != float64(r.status) {
			errs = append(errs, fmt.Errorf("the problem says status %v, the answer %d", m["status"], r.status))
		}
		if m["title"] != http.StatusText(r.status) {
			errs = append(errs, fmt.Errorf("the problem's title is %q, want %q", m["title"], http.StatusText(r.status)))
		}
	}
	return errs
}

// credentialsPresent stands for the server's key check in request
// validation: a scheme is satisfied when its credentials are sent (the
// spec cannot know which keys exist; the server answers 401 for those).
func credentialsPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	sch, hr := in.SecurityScheme, in.RequestValidationInput.Request
	switch {
	case sch.Type == "apiKey" && sch.In == "header":
		if hr.Header.Get(sch.Name) == "" {
			return fmt.Errorf("no %s header", sch.Name)
		}
	case sch.Type == "http" && strings.EqualFold(sch.Scheme, "bearer"):
		if a := hr.Header.Get("Authorization"); len(a) < 7 || !strings.EqualFold(a[:7], "bearer ") {
			return errors.New("no bearer token")
		}
	default:
		return fmt.Errorf("security scheme %s/%s is not one the sweep knows", sch.Type, sch.In)
	}
	return nil
}

func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ct
	}
	return mt
}

func hasHeader(h openapi3.Headers, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// finish checks the sweep's reach: enough requests, every route of the
// router requested, every operation of the spec validated.
func (s *sweeper) finish() {
	t := s.t
	t.Helper()
	t.Logf("contract sweep on %s: %d requests (%d cases, %d HEAD and If-None-Match repeats), %d routes, %d spec operations",
		s.kind, s.sent, len(s.names), s.derived, len(s.hit), len(s.ops))
	if distinct := len(s.names) + s.derived; distinct < minSweep {
		t.Errorf("the sweep sent %d distinct requests, want at least %d", distinct, minSweep)
	}
	for _, srv := range []*sweepServer{s.servers[""]} {
		for _, r := range keys(srv.routes) {
			if !s.hit[r] {
				t.Errorf("route %s is not covered by any case of the sweep", r)
			}
		}
		for _, p := range srv.doc.Paths.InMatchingOrder() {
			for method := range srv.doc.Paths.Value(p).Operations() {
				if !s.ops[method+" "+p] {
					t.Errorf("spec operation %s %s was never validated by the sweep", method, p)
				}
			}
		}
	}
}

// saveJSON saves the member name of a JSON answer (a number, string or
// null) under as, query-escaped.
func saveJSON(as, name string) func(s *sweeper, r response) {
	return func(s *sweeper, r response) {
		var m map[string]any
		if err := json.Unmarshal(r.body, &m); err != nil {
			s.t.Errorf("saving %s: %v", as, err)
			return
		}
		switch v := m[name].(type) {
		case float64:
			s.vars[as] = fmt.Sprint(int64(v))
		case string:
			s.vars[as] = url.QueryEscape(v)
		default:
			s.t.Errorf("saving %s: member %s is %T", as, name, v)
		}
	}
}

// saveETag saves the answer's ETag under as.
func saveETag(as string) func(s *sweeper, r response) {
	return func(s *sweeper, r response) {
		if s.vars[as] = r.header.Get("ETag"); s.vars[as] == "" {
			s.t.Errorf("saving %s: no ETag", as)
		}
	}
}

func saves(fs ...func(s *sweeper, r response)) func(s *sweeper, r response) {
	return func(s *sweeper, r response) {
		for _, f := range fs {
			f(s, r)
		}
	}
}

// wantHeader asserts a header of the answer.
func wantHeader(name, want string) func(t *testing.T, r response) {
	return func(t *testing.T, r response) {
		t.Helper()
		if got := r.header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// wantBody asserts that the answer contains each of subs.
func wantBody(subs ...string) func(t *testing.T, r response) {
	return func(t *testing.T, r response) {
		t.Helper()
		for _, sub := range subs {
			if !bytes.Contains(r.body, []byte(sub)) {
				t.Errorf("the answer lacks %q: %.300s", sub, r.body)
			}
		}
	}
}

// oversized is a batch over the 1 MiB body limit whose every article is
// within the article limits: only its size is wrong.
func oversized() string {
	item := `{"title":"Long read","body":"` + strings.Repeat("a", 99_000) + `"}`
	return `{"articles":[` + strings.TrimSuffix(strings.Repeat(item+",", 11), ",") + `]}`
}

func sweepCases() []sweepCase {
	const widget = "{{widget}}"
	return []sweepCase{
		// The articles list, with every parameter.
		{name: "list", path: "/v1/articles", want: 200},
		{name: "list first page", path: "/v1/articles?country=KP&limit=2", want: 200, save: saveJSON("cursor", "next_cursor"),
			check: func(t *testing.T, r response) {
				if !strings.Contains(r.header.Get("Link"), `rel="next"`) {
					t.Errorf("Link: %q", r.header.Get("Link"))
				}
			}},
		{name: "list next page", path: "/v1/articles?country=KP&limit=2&cursor={{cursor}}", want: 200},
		{name: "list any country and a theme", path: "/v1/articles?country=RU,CN&theme=troops", want: 200},
		{name: "list country repeated", path: "/v1/articles?country=KR&country=RU", want: 200},
		{name: "list country by name", path: "/v1/articles?country=North%20Korea", want: 200},
		{name: "list country_all", path: "/v1/articles?country_all=KP,RU", want: 200},
		{name: "list country_not", path: "/v1/articles?country_not=KP", want: 200},
		{name: "list theme_all", path: "/v1/articles?theme_all=troops,labor", want: 200},
		{name: "list theme_not", path: "/v1/articles?theme_not=diplomacy", want: 200},
		{name: "list search", path: "/v1/articles?q=sanctions", want: 200},
		{name: "list search by relevance", path: "/v1/articles?q=Korea&sort=relevance", want: 200},
		{name: "list since and until as dates", path: "/v1/articles?since=2025-06-17&until=2025-06-30", want: 200},
		{name: "list since as a timestamp", path: "/v1/articles?since=2025-06-17T12:00:00Z", want: 200},
		{name: "list source section language", path: "/v1/articles?source=NK%20News&section=foreign-relations&language=en", want: 200},
		{name: "list oldest first", path: "/v1/articles?sort=published_at", want: 200},
		{name: "list fields", path: "/v1/articles?fields=title,countries", want: 200},
		{name: "list fields with body", path: "/v1/articles?fields=body&limit=3", want: 200},
		{name: "list include_total", path: "/v1/articles?include_total=true", want: 200, check: wantBody(`"total":`)},
		{name: "list facets", path: "/v1/articles?facets=country,theme", want: 200, check: wantBody(`"facets":`)},
		{name: "list fields total and facets", path: "/v1/articles?fields=title&include_total=true&facets=theme&limit=1", want: 200},
		{name: "list as editor", path: "/v1/articles?limit=5", as: "editor", want: 200, check: wantHeader("Cache-Control", "private, no-store")},
		{name: "list as reader", path: "/v1/articles?limit=5", as: "reader", want: 200},
		{name: "list gzip", path: "/v1/articles?limit=100", headers: []string{"Accept-Encoding", "gzip"}, want: 200, check: wantHeader("Content-Encoding", "gzip")},
		{name: "list gzip refused", path: "/v1/articles?limit=100", headers: []string{"Accept-Encoding", "identity, gzip;q=0"}, want: 200, check: wantHeader("Content-Encoding", "")},
		{name: "list gzip weighed", path: "/v1/articles?limit=100", headers: []string{"Accept-Encoding", "br;q=1, gzip; q=0.5"}, want: 200, check: wantHeader("Content-Encoding", "gzip")},
		{name: "list limit 0", path: "/v1/articles?limit=0", want: 400, spec: specRejects},
		{name: "list limit 101", path: "/v1/articles?limit=101", want: 400, spec: specRejects},
		{name: "list limit not a number", path: "/v1/articles?limit=ten", want: 400, spec: specRejects},
		{name: "list sort unknown", path: "/v1/articles?sort=title", want: 400, spec: specRejects},
		{name: "list relevance without q", path: "/v1/articles?sort=relevance", want: 400, spec: specCannotTell},
		{name: "list unknown parameter", path: "/v1/articles?countries=RU", want: 400, spec: specCannotTell},
		{name: "list unknown parameter with a long name", path: "/v1/articles?" + strings.Repeat("x", 5000) + "=1", want: 400, spec: specCannotTell,
			check: func(t *testing.T, r response) {
				if len(r.body) > 1000 || !strings.Contains(string(r.body), `"field":"`+strings.Repeat("x", 64)+`…"`) {
					t.Errorf("a 5,000-byte name: %d bytes of problem, %.300s", len(r.body), r.body)
				}
			}},
		{name: "list bad cursor", path: "/v1/articles?cursor=not-a-cursor", want: 400, spec: specCannotTell},
		{name: "list bad since", path: "/v1/articles?since=yesterday", want: 400, spec: specCannotTell},
		{name: "list unknown country", path: "/v1/articles?country=Narnia", want: 400, spec: specCannotTell},
		{name: "list unknown field", path: "/v1/articles?fields=nope", want: 400, spec: specCannotTell},
		{name: "list source longer than any", path: "/v1/articles?source=" + strings.Repeat("a", 201), want: 400, spec: specCannotTell, check: wantBody(`"field":"source"`)},
		{name: "list unknown facet", path: "/v1/articles?facets=author", want: 400, spec: specRejects},
		{name: "list include_total not a boolean", path: "/v1/articles?include_total=maybe", want: 400, spec: specRejects},
		{name: "list limit repeated", path: "/v1/articles?limit=1&limit=2", want: 400, spec: specCannotTell},
		{name: "list with a refused key", path: "/v1/articles", as: "bogus", want: 401},

		// One article.
		{name: "get", path: "/v1/articles/1", want: 200, check: func(t *testing.T, r response) {
			if r.header.Get("ETag") == "" || r.header.Get("Last-Modified") == "" {
				t.Errorf("ETag %q, Last-Modified %q", r.header.Get("ETag"), r.header.Get("Last-Modified"))
			}
		}},
		{name: "get as editor", path: "/v1/articles/2", as: "editor", want: 200},
		{name: "get unknown id", path: "/v1/articles/999999", want: 404},
		{name: "get id not a number", path: "/v1/articles/abc", want: 400, spec: specRejects},

		// Writes.
		{name: "create", method: "POST", path: "/v1/articles", as: "editor", want: 201,
			body: `{"title":"North Korea-China trade jumps","summary":"Official data","url":"https://example.com/sweep/trade","countries":["KP","CN"],"themes":["trade"],"author":"A. Writer","image_url":"https://example.com/sweep/trade.jpg","published_at":"2025-06-25T11:00:00Z"}`,
			save: saves(saveJSON("id", "id"), saveETag("etag")),
			check: func(t *testing.T, r response) {
				if !strings.HasSuffix(r.header.Get("Location"), "/v1/articles/"+fmt.Sprint(r.json(t)["id"])) {
					t.Errorf("Location %q", r.header.Get("Location"))
				}
			}},
		{name: "create minimal with nulls", method: "POST", path: "/v1/articles", as: "editor", want: 201,
			body: `{"title":"Pyongyang marathon reopens to tourists","url":null,"author":null,"image_url":null}`, save: saveJSON("minimal", "id")},
		{name: "create with X-API-Key", method: "POST", path: "/v1/articles", as: "apikey", want: 201,
			body: `{"title":"Seoul and Tokyo hold talks","countries":[],"themes":[]}`},
		{name: "create with Idempotency-Key", method: "POST", path: "/v1/articles", as: "editor", want: 201,
			headers: []string{"Idempotency-Key", "sweep-once"}, body: `{"title":"Kaesong park stays shut","url":"https://example.com/sweep/kaesong"}`,
			save: saveJSON("idem", "id")},
		{name: "create replayed", method: "POST", path: "/v1/articles", as: "editor", want: 201,
			headers: []string{"Idempotency-Key", "sweep-once"}, body: `{"title":"Kaesong park stays shut","url":"https://example.com/sweep/kaesong"}`,
			check: wantHeader("Idempotent-Replayed", "true")},
		{name: "create key reused with another body", method: "POST", path: "/v1/articles", as: "editor", want: 422,
			headers: []string{"Idempotency-Key", "sweep-once"}, body: `{"title":"Another story"}`},
		{name: "create duplicate url", method: "POST", path: "/v1/articles", as: "editor", want: 409,
			body: `{"title":"Same story again","url":"https://example.com/sweep/trade"}`, check: wantBody(`"existing_id":`)},
		{name: "create without a key", method: "POST", path: "/v1/articles", want: 401, spec: specRejects,
			body: `{"title":"x"}`, check: func(t *testing.T, r response) {
				if r.header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			}},
		{name: "create with a refused key", method: "POST", path: "/v1/articles", as: "bogus", want: 401, body: `{"title":"x"}`},
		{name: "create as reader", method: "POST", path: "/v1/articles", as: "reader", want: 403, body: `{"title":"x"}`},
		{name: "create malformed JSON", method: "POST", path: "/v1/articles", as: "editor", want: 400, spec: specRejects, body: `{"title":`},
		{name: "create unknown member", method: "POST", path: "/v1/articles", as: "editor", want: 400, spec: specCannotTell, body: `{"headline":"x"}`},
		{name: "create as text", method: "POST", path: "/v1/articles", as: "editor", want: 415, spec: specRejects, body: `title=x`, ctype: "text/plain"},
		{name: "create blank title", method: "POST", path: "/v1/articles", as: "editor", want: 422, spec: specCannotTell, body: `{"title":"   "}`},
		{name: "create unknown country", method: "POST", path: "/v1/articles", as: "editor", want: 422, spec: specCannotTell, body: `{"title":"x","countries":["Narnia"]}`},
		{name: "create without title", method: "POST", path: "/v1/articles", as: "editor", want: 422, spec: specRejects, body: `{"summary":"no title"}`},
		{name: "batch over 1 MiB", method: "POST", path: "/v1/articles/batch", as: "editor", want: 413, body: oversized()},

		{name: "replace", method: "PUT", path: "/v1/articles/{{id}}", as: "editor", want: 200, headers: []string{"If-Match", "{{etag}}"},
			body: `{"title":"North Korea-China trade jumps to $230M","url":"https://example.com/sweep/trade","countries":["KP","CN"],"themes":["trade"]}`,
			save: saveETag("etag2")},
		{name: "replace with a stale If-Match", method: "PUT", path: "/v1/articles/{{id}}", as: "editor", want: 412, headers: []string{"If-Match", "{{etag}}"},
			body: `{"title":"Lost update"}`},
		{name: "replace unknown id", method: "PUT", path: "/v1/articles/999999", as: "editor", want: 404, body: `{"title":"Nothing here"}`},
		{name: "replace without title", method: "PUT", path: "/v1/articles/{{id}}", as: "editor", want: 422, spec: specRejects, body: `{"summary":"x"}`},
		{name: "patch summary only", method: "PATCH", path: "/v1/articles/{{id}}", as: "editor", want: 200, ctype: "application/merge-patch+json",
			headers: []string{"If-Match", "{{etag2}}"}, body: `{"summary":"Customs figures for May"}`, save: saveETag("etag3")},
		{name: "patch clears url and author", method: "PATCH", path: "/v1/articles/{{id}}", as: "editor", want: 200, body: `{"url":null,"author":null}`,
			save: saveETag("etag4")},
		{name: "patch with a stale If-Match", method: "PATCH", path: "/v1/articles/{{id}}", as: "editor", want: 412,
			headers: []string{"If-Match", "{{etag2}}"}, body: `{"summary":"stale"}`},
		{name: "patch with an unquoted If-Match", method: "PATCH", path: "/v1/articles/{{id}}", as: "editor", want: 400, spec: specCannotTell,
			headers: []string{"If-Match", "1.2"}, body: `{"summary":"x"}`},
		{name: "patch unknown id", method: "PATCH", path: "/v1/articles/999999", as: "editor", want: 404, body: `{"summary":"x"}`},
		{name: "patch blank title", method: "PATCH", path: "/v1/articles/{{id}}", as: "editor", want: 422, spec: specCannotTell, body: `{"title":" "}`},
		// A route that takes no query parameters refuses any, naming it:
		// a client that sends fields= to one article learns it is not applied.
		{name: "article with fields", path: "/v1/articles/{{id}}?fields=title", want: 400, spec: specCannotTell, check: wantBody(`"field":"fields"`, "which takes none")},
		{name: "patch with a query parameter", method: "PATCH", path: "/v1/articles/{{id}}?x=1", as: "editor", want: 400, spec: specCannotTell, body: `{"summary":"x"}`, check: wantBody(`"field":"x"`)},
		{name: "country with a query parameter", path: "/v1/countries/RU?x=1", want: 400, spec: specCannotTell, check: wantBody(`"field":"x"`)},
		{name: "theme with a query parameter", path: "/v1/themes/sanctions?x=1", want: 400, spec: specCannotTell, check: wantBody(`"field":"x"`)},
		{name: "patch as reader", method: "PATCH", path: "/v1/articles/{{id}}", as: "reader", want: 403, body: `{"summary":"x"}`},
		{name: "delete", method: "DELETE", path: "/v1/articles/{{id}}", as: "editor", want: 204, headers: []string{"If-Match", "{{etag4}}"}},
		{name: "get deleted", path: "/v1/articles/{{id}}", want: 404},
		{name: "delete again", method: "DELETE", path: "/v1/articles/{{id}}", as: "editor", want: 404},
		{name: "delete without a key", method: "DELETE", path: "/v1/articles/{{minimal}}", want: 401, spec: specRejects},
		{name: "delete with a stale If-Match", method: "DELETE", path: "/v1/articles/{{minimal}}", as: "editor", want: 412, headers: []string{"If-Match", `"999"`}},

		// Batch.
		{name: "batch mixed", method: "POST", path: "/v1/articles/batch", as: "editor", want: 207,
			body: `{"articles":[{"title":"China reopens a border crossing","url":"https://example.com/sweep/crossing","countries":["CN"]},{"title":"  "}]}`},
		{name: "batch with Idempotency-Key", method: "POST", path: "/v1/articles/batch", as: "editor", want: 207, headers: []string{"Idempotency-Key", "sweep-batch"},
			body: `{"articles":[{"title":"Rason port expands","url":"https://example.com/sweep/rason"}]}`},
		{name: "batch replayed", method: "POST", path: "/v1/articles/batch", as: "editor", want: 207, headers: []string{"Idempotency-Key", "sweep-batch"},
			body: `{"articles":[{"title":"Rason port expands","url":"https://example.com/sweep/rason"}]}`, check: wantHeader("Idempotent-Replayed", "true")},
		{name: "batch not an object", method: "POST", path: "/v1/articles/batch", as: "editor", want: 400, spec: specRejects, body: `[{"title":"x"}]`},
		{name: "batch empty", method: "POST", path: "/v1/articles/batch", as: "editor", want: 422, spec: specCannotTell, body: `{"articles":[]}`},

		// Classify.
		{name: "classify", method: "POST", path: "/v1/classify", as: "editor", want: 200,
			body: `{"title":"DPRK hackers steal crypto from Japanese exchange","summary":"Sanctions evasion"}`},
		{name: "classify blank", method: "POST", path: "/v1/classify", as: "editor", want: 422, spec: specCannotTell, body: `{"title":"  "}`},
		{name: "classify without a key", method: "POST", path: "/v1/classify", want: 401, spec: specRejects, body: `{"title":"x"}`},

		// The change feed.
		{name: "changes", path: "/v1/changes?limit=5", want: 200, save: saveJSON("changes", "next_cursor")},
		{name: "changes next page", path: "/v1/changes?limit=50&cursor={{changes}}", want: 200},
		{name: "changes bad cursor", path: "/v1/changes?cursor=nope", want: 400, spec: specCannotTell},
		{name: "changes limit 0", path: "/v1/changes?limit=0", want: 400, spec: specRejects},
		// The stream never ends, so its 200 is TestChangeStream's; here its
		// errors, and a HEAD that answers the headers alone.
		{name: "changes stream bad cursor", path: "/v1/changes/stream?cursor=nope", want: 400, spec: specCannotTell},
		{name: "changes stream unknown filter", path: "/v1/changes/stream?q=sanctions", want: 400, spec: specCannotTell},
		{name: "changes stream HEAD", method: "HEAD", path: "/v1/changes/stream?country=RU", want: 200},

		// Feeds.
		{name: "rss", path: "/v1/feeds/articles.rss?country=KP", want: 200},
		{name: "atom", path: "/v1/feeds/articles.atom?theme=troops", want: 200},
		{name: "json feed", path: "/v1/feeds/articles.json?limit=5", want: 200},
		{name: "json feed unknown country", path: "/v1/feeds/articles.json?country=Narnia", want: 400, spec: specCannotTell},
		{name: "rss limit 0", path: "/v1/feeds/articles.rss?limit=0", want: 400, spec: specRejects},

		// Countries and themes.
		{name: "countries", path: "/v1/countries", want: 200},
		{name: "countries used", path: "/v1/countries?used=true", want: 200},
		{name: "countries used not a boolean", path: "/v1/countries?used=maybe", want: 400, spec: specRejects},
		{name: "country", path: "/v1/countries/KP", want: 200},
		{name: "country by alias", path: "/v1/countries/Russian%20Federation", want: 200},
		{name: "country unknown", path: "/v1/countries/Narnia", want: 404},
		{name: "themes", path: "/v1/themes", want: 200},
		{name: "themes used", path: "/v1/themes?used=true", want: 200},
		{name: "theme", path: "/v1/themes/troops", want: 200},
		{name: "theme by alias", path: "/v1/themes/military", want: 200},
		{name: "theme unknown", path: "/v1/themes/astrology", want: 404},
		{name: "theme create", method: "POST", path: "/v1/themes", as: "admin", want: 201,
			body: `{"slug":"fisheries","name":"Fisheries","description":"Fishing rights and catches","aliases":["fishing"]}`},
		{name: "theme create duplicate", method: "POST", path: "/v1/themes", as: "admin", want: 409, body: `{"slug":"fisheries","name":"Fisheries again"}`},
		{name: "theme create as reader", method: "POST", path: "/v1/themes", as: "reader", want: 403, body: `{"slug":"weather","name":"Weather"}`},
		{name: "theme create bad slug", method: "POST", path: "/v1/themes", as: "admin", want: 422, spec: specCannotTell, body: `{"slug":"Not A Slug!","name":"x"}`},
		{name: "theme rename", method: "PATCH", path: "/v1/themes/fisheries", as: "admin", want: 200, body: `{"name":"Fisheries and the sea"}`},
		{name: "theme patch unknown", method: "PATCH", path: "/v1/themes/astrology", as: "admin", want: 404, body: `{"name":"x"}`},
		{name: "theme delete in use", method: "DELETE", path: "/v1/themes/troops", as: "admin", want: 409},
		{name: "theme delete", method: "DELETE", path: "/v1/themes/fisheries", as: "admin", want: 204},
		{name: "theme delete unknown", method: "DELETE", path: "/v1/themes/fisheries", as: "admin", want: 404},
		{name: "webhook create", method: "POST", path: "/v1/webhooks", as: "admin", want: 201, save: saveJSON("hook", "id"),
			body: `{"url":"https://partner.example/hooks","events":["article.published","article.deleted"],"filter":"country=RU&theme=sanctions","description":"Sanctions desk"}`},
		{name: "webhook create as editor", method: "POST", path: "/v1/webhooks", as: "editor", want: 403, body: `{"url":"https://partner.example/hooks"}`},
		{name: "webhook create to loopback", method: "POST", path: "/v1/webhooks", as: "admin", want: 400, spec: specCannotTell, body: `{"url":"http://127.0.0.1/hooks"}`},
		{name: "webhook create unknown event", method: "POST", path: "/v1/webhooks", as: "admin", want: 400, spec: specRejects,
			body: `{"url":"https://partner.example/hooks","events":["article.created"]}`},
		{name: "webhook create without url", method: "POST", path: "/v1/webhooks", as: "admin", want: 400, spec: specRejects, body: `{"events":["article.deleted"]}`},
		{name: "webhooks", path: "/v1/webhooks", as: "admin", want: 200},
		{name: "webhooks without a key", path: "/v1/webhooks", want: 401, spec: specRejects},
		{name: "webhook", path: "/v1/webhooks/{{hook}}", as: "admin", want: 200},
		{name: "webhook unknown", path: "/v1/webhooks/9999", as: "admin", want: 404},
		{name: "webhook pause", method: "PATCH", path: "/v1/webhooks/{{hook}}", as: "admin", want: 200, body: `{"paused":true}`},
		{name: "webhook patch bad filter", method: "PATCH", path: "/v1/webhooks/{{hook}}", as: "admin", want: 400, spec: specCannotTell, body: `{"filter":"q=kim"}`},
		{name: "webhook test", method: "POST", path: "/v1/webhooks/{{hook}}/test", as: "admin", want: 200},
		{name: "webhook rotate secret", method: "POST", path: "/v1/webhooks/{{hook}}/secret", as: "admin", want: 200},
		{name: "webhook rotate secret as editor", method: "POST", path: "/v1/webhooks/{{hook}}/secret", as: "editor", want: 403},
		{name: "webhook deliveries", path: "/v1/webhooks/{{hook}}/deliveries?limit=10", as: "admin", want: 200},
		{name: "webhook deliveries bad limit", path: "/v1/webhooks/{{hook}}/deliveries?limit=1000", as: "admin", want: 400, spec: specRejects},
		{name: "webhook delete", method: "DELETE", path: "/v1/webhooks/{{hook}}", as: "admin", want: 204},
		{name: "webhook delete unknown", method: "DELETE", path: "/v1/webhooks/{{hook}}", as: "admin", want: 404},

		// Operations and documents.
		{name: "healthz", path: "/healthz", want: 200},
		{name: "readyz", path: "/readyz", want: 200},
		{name: "version", path: "/version", want: 200},
		{name: "metrics", path: "/metrics", want: 200},
		{name: "openapi.json", path: "/openapi.json", want: 200},
		{name: "swagger redirect", path: "/swagger", want: 302},
		{name: "swagger redirect HEAD", method: "HEAD", path: "/swagger", want: 302},
		{name: "swagger/ redirect", path: "/swagger/", want: 302},
		{name: "swagger/ redirect HEAD", method: "HEAD", path: "/swagger/", want: 302},
		{name: "swagger page", path: "/swagger/index.html", want: 200},
		{name: "swagger doc.json", path: "/swagger/doc.json", want: 200},
		{name: "swagger doc.yaml", path: "/swagger/doc.yaml", want: 200},

		// Pages and the widget.
		{name: "front page", path: "/", want: 200},
		{name: "front page filtered", path: "/?country=KP&theme=troops", want: 200},
		{name: "front page unknown country", path: "/?country=Narnia", want: 400, spec: specCannotTell},
		{name: "article page", path: "/articles/1", want: 200},
		{name: "article page unknown", path: "/articles/999999", want: 404},
		{name: "article page id not a number", path: "/articles/abc", want: 404, spec: specRejects},
		{name: "widget", path: "/embed/headlines?country=KP&limit=3&style=dark", want: 200},
		{name: "widget unknown style", path: "/embed/headlines?style=neon", want: 400, spec: specRejects},
		{name: "widget script", path: "/embed.js", want: 200},
		{name: "oembed", path: "/oembed?format=json&maxwidth=320&url=" + widget, want: 200},
		{name: "oembed xml", path: "/oembed?format=xml&url=" + widget, want: 501, spec: specCannotTell},
		{name: "oembed foreign url", path: "/oembed?url=https%3A%2F%2Fevil.example.com%2Fembed%2Fheadlines", want: 404},
		{name: "oembed without url", path: "/oembed", want: 400, spec: specRejects},

		// Requests no operation answers.
		{name: "unknown API path", path: "/v1/nope", want: 404, unrouted: true},
		{name: "unknown page", path: "/nope", want: 404, unrouted: true},
		{name: "POST to healthz", method: "POST", path: "/healthz", want: 405, unrouted: true},
		{name: "PUT a theme", method: "PUT", path: "/v1/themes/trade", as: "admin", body: `{"name":"x"}`, want: 405, unrouted: true},
		{name: "DELETE the countries", method: "DELETE", path: "/v1/countries", as: "admin", want: 405, unrouted: true},

		// On a server with tiny budgets (5 public requests, 2 per key, 2
		// refused keys; the sweep spent one public request on its spec),
		// that requires If-Match, whose database does not answer pings and
		// whose slots for expensive reads are all taken.
		{on: "limited", name: "limited list", path: "/v1/articles?limit=1", want: 200},
		{on: "limited", name: "busy search", path: "/v1/articles?q=sanctions&sort=relevance", want: 503},
		{on: "limited", name: "busy front page", path: "/", want: 503},
		{on: "limited", name: "limited country", path: "/v1/countries/KP", want: 200},
		{on: "limited", name: "public budget spent", path: "/v1/articles?limit=1", want: 429, check: wantHeader("Retry-After", "12")},
		{on: "limited", name: "alive", path: "/healthz", want: 200},
		{on: "limited", name: "not ready", path: "/readyz", want: 503},
		{on: "limited", name: "delete without If-Match", method: "DELETE", path: "/v1/articles/1", as: "editor", want: 428},
		{on: "limited", name: "keyed read", path: "/v1/themes/trade", as: "editor", want: 200},
		{on: "limited", name: "key budget spent", method: "POST", path: "/v1/classify", as: "editor", body: `{"title":"x"}`, want: 429},
		// Refused keys come last: once their budget is spent, no key from
		// this address is even checked.
		{on: "limited", name: "refused key", path: "/v1/themes", as: "bogus", want: 401},
		{on: "limited", name: "refused key again", path: "/v1/themes", as: "bogus", want: 401},
		{on: "limited", name: "refused keys budget spent", path: "/v1/themes", as: "bogus", want: 429},
	}
}

package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/docs"
	"github.com/headlines/headlines/internal/store/storetest"
)

// TestSpecIsValid loads the served spec and validates it, and checks that
// every operation is documented for clients.
func TestSpecIsValid(t *testing.T) {
	doc, err := openAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi %q, want 3.0.3", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI 3 document is not valid: %v", err)
	}
	ops := 0
	for path, item := range doc.Paths.Map() {
		if item.Get != nil && item.Head == nil {
			t.Errorf("GET %s has no HEAD beside it", path)
		}
		for method, op := range item.Operations() {
			ops++
			if op.OperationID == "" || len(op.Tags) == 0 || op.Summary == "" {
				t.Errorf("%s %s lacks an operation id, tag or summary", method, path)
			}
			if method != "GET" && method != "HEAD" && op.Security == nil {
				t.Errorf("%s %s is a write without a security requirement", method, path)
			}
		}
	}
	if ops < 15 {
		t.Errorf("the spec documents %d operations, want every route", ops)
	}
	for _, name := range []string{"ApiKeyAuth", "BearerAuth"} {
		if doc.Components.SecuritySchemes[name] == nil {
			t.Errorf("security scheme %s missing", name)
		}
	}
}

// TestSpecContract checks what generated clients rely on: one media type
// per answer (problem+json for errors), declared headers, 304 and 401
// answers, optional keys on public reads, nullable and optional members.
func TestSpecContract(t *testing.T) {
	doc, err := openAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	if s := doc.Components.SecuritySchemes["BearerAuth"].Value; s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("BearerAuth is %s/%s, want http/bearer", s.Type, s.Scheme)
	}
	described := map[string]bool{}
	for _, tag := range doc.Tags {
		described[tag.Name] = tag.Description != ""
	}
	hasHeader := func(r *openapi3.Response, name string) bool { return r.Headers[name] != nil }
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			read := method == http.MethodGet || method == http.MethodHead
			for _, tag := range op.Tags {
				if !described[tag] {
					t.Errorf("%s: tag %s has no description", where, tag)
				}
			}
			if read && (op.Security == nil || len(*op.Security) == 0) {
				t.Errorf("%s: no security: an optional key cannot be expressed", where)
			}
			if op.Responses.Value("401") == nil {
				t.Errorf("%s: no 401, though a key that is not valid is refused everywhere", where)
			}
			// The server's own rule, on the path as a client sends it.
			conditional := read && api.Cacheable(regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(path, "x"))
			if conditional != (op.Responses.Value("304") != nil) {
				t.Errorf("%s: the server answers If-None-Match: %v; the spec declares a 304: %v", where, conditional, !conditional)
			}
			for code, ref := range op.Responses.Map() {
				r := ref.Value
				where := where + " → " + code
				if code == "204" || code == "304" || method == http.MethodHead {
					if len(r.Content) != 0 {
						t.Errorf("%s: a body-less answer declares content", where)
					}
				} else if len(r.Content) != 1 {
					t.Errorf("%s: %d media types, want exactly one", where, len(r.Content))
				}
				for ct, mt := range r.Content {
					if code >= "400" && api.ForPeople(path) {
						if ct != "text/html" {
							t.Errorf("%s: an error of a page for people as %s", where, ct)
						}
					} else if code >= "400" {
						if ct != "application/problem+json" {
							t.Errorf("%s: error as %s", where, ct)
						}
						ex, _ := mt.Example.(map[string]any)
						if fmt.Sprint(ex["status"]) != code || ex["title"] == "" || ex["detail"] == "" {
							t.Errorf("%s: example problem %v does not match its status", where, ex)
						}
						var status int
						_, _ = fmt.Sscan(code, &status)
						if ex["title"] != api.ReasonPhrase(status) {
							t.Errorf("%s: the example's title %q, the server writes %q", where, ex["title"], api.ReasonPhrase(status))
						}
					} else if ct == "application/problem+json" {
						t.Errorf("%s: success as problem+json", where)
					}
				}
				for _, h := range []string{"X-Request-Id", "Cache-Control"} {
					if !hasHeader(r, h) {
						t.Errorf("%s: %s not declared", where, h)
					}
				}
				want := map[string]bool{
					"ETag":             (code == "200" && conditional) || code == "304",
					"Location":         code == "201",
					"Retry-After":      code == "429" || code == "503" || code == "507",
					"WWW-Authenticate": code == "401",
					"RateLimit":        code == "429",
				}
				for h, need := range want {
					if need && !hasHeader(r, h) {
						t.Errorf("%s: %s not declared", where, h)
					}
				}
			}
		}
	}
	for _, path := range []string{"/v1/articles/{id}"} {
		for _, m := range []string{"PUT", "PATCH"} {
			if r := doc.Paths.Value(path).GetOperation(m).Responses.Value("200").Value; !hasHeader(r, "ETag") {
				t.Errorf("%s %s → 200: the new ETag is not declared", m, path)
			}
		}
	}
	if r := doc.Paths.Value("/v1/articles").Post.Responses.Value("201").Value; !hasHeader(r, "Idempotent-Replayed") {
		t.Error("POST /v1/articles → 201: Idempotent-Replayed not declared")
	}
	if r := doc.Paths.Value("/v1/feeds/articles.json").Get.Responses.Value("200").Value; r.Content.Get("application/feed+json") == nil {
		t.Error("the JSON Feed is not declared as application/feed+json")
	}
	schemas := doc.Components.Schemas
	for _, m := range []string{"url", "image_url", "author"} {
		if !schemas["Article"].Value.Properties[m].Value.Nullable {
			t.Errorf("Article.%s is not nullable", m)
		}
	}
	if !schemas["ArticleList"].Value.Properties["next_cursor"].Value.Nullable {
		t.Error("ArticleList.next_cursor is not nullable")
	}
	for _, m := range []string{"published_at", "created_at", "updated_at"} {
		if f := schemas["Article"].Value.Properties[m].Value.Format; f != "date-time" {
			t.Errorf("Article.%s has format %q, want date-time", m, f)
		}
	}
	if req := schemas["ArticlePatch"].Value.Required; len(req) != 0 {
		t.Errorf("ArticlePatch requires %v: a merge patch may send any member alone", req)
	}
	if req := schemas["ArticleListItem"].Value.Required; len(req) != 1 || req[0] != "id" {
		t.Errorf("ArticleListItem requires %v, want only id (fields= may leave out the rest)", req)
	}
	if q := findParam(doc, "/v1/articles", "q"); !strings.Contains(q.Description, "phrase") {
		t.Errorf("q's description is cut short: %q", q.Description)
	}
}

func findParam(doc *openapi3.T, path, name string) *openapi3.Parameter {
	for _, p := range doc.Paths.Value(path).Get.Parameters {
		if p.Value.Name == name {
			return p.Value
		}
	}
	return &openapi3.Parameter{}
}

// TestRequestExamples sends every request body example of the spec, as
// Swagger UI's Try it out would, to a fresh server: each must be accepted.
func TestRequestExamples(t *testing.T) {
	doc, err := openAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	type example struct{ method, path, ct, body string }
	var examples []example
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			for _, p := range op.Parameters {
				if p.Value.In == "path" {
					path = strings.ReplaceAll(path, "{"+p.Value.Name+"}", fmt.Sprint(p.Value.Example))
				}
			}
			for ct, mt := range op.RequestBody.Value.Content {
				if mt.Example == nil {
					t.Errorf("%s %s (%s) has no example", method, path, ct)
					continue
				}
				body, err := json.Marshal(mt.Example)
				if err != nil {
					t.Fatal(err)
				}
				examples = append(examples, example{method, path, ct, string(body)})
			}
		}
	}
	sort.Slice(examples, func(i, j int) bool {
		return examples[i].method+examples[i].path+examples[i].ct < examples[j].method+examples[j].path+examples[j].ct
	})
	// Swagger UI fills a parameter's example in: a delete must not come
	// with one, or Execute deletes a demo article.
	for _, p := range doc.Paths.Find("/v1/articles/{id}").Delete.Parameters {
		if p.Value.In == "path" && p.Value.Example != nil {
			t.Errorf("DELETE /v1/articles/{id}: the id has the example %v", p.Value.Example)
		}
	}
	if len(examples) < 8 {
		t.Fatalf("%d request examples, want one per write and media type", len(examples))
	}
	for _, ex := range examples {
		t.Run(ex.method+" "+ex.path+" "+ex.ct, func(t *testing.T) {
			e := newEnv(t, "sqlite")
			// Webhooks are an admin's; the example's path names webhook 1.
			admin := strings.HasPrefix(ex.path, "/v1/webhooks")
			if admin && ex.path != "/v1/webhooks" {
				e.do(req{method: "POST", path: "/v1/webhooks", admin: true, body: `{"url":"https://partner.example/hooks/headlines"}`})
			}
			r := e.do(req{method: ex.method, path: ex.path, body: ex.body, key: !admin, admin: admin, headers: []string{"Content-Type", ex.ct}})
			if r.status < 200 || r.status > 299 {
				t.Errorf("the example answered %d: %s\nexample: %s", r.status, r.body, ex.body)
			}
			if strings.HasPrefix(ex.path, "/v1/articles") && ex.method == "POST" && !strings.Contains(string(r.body), `"status":"draft"`) {
				t.Errorf("an editor trying the example publishes it on the live site: %s", r.body)
			}
			if ex.method == "POST" && ex.path == "/v1/articles" {
				// Swagger UI users press Execute more than once.
				if r := e.do(req{method: ex.method, path: ex.path, body: ex.body, key: true, headers: []string{"Content-Type", ex.ct}}); r.status != 201 {
					t.Errorf("the create example sent again answered %d: %s", r.status, r.body)
				}
			}
		})
	}
}

// TestErrorExamplesAsServed provokes a 409 and a 412 and compares the
// server's detail with the spec's example for the same answer, so the
// examples clients show (and generate from) say what the server says.
func TestErrorExamplesAsServed(t *testing.T) {
	doc, err := openAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	example := func(path, method, status string) string {
		t.Helper()
		op := doc.Paths.Find(path).GetOperation(method)
		mt := op.Responses.Value(status).Value.Content.Get("application/problem+json")
		ex, _ := mt.Example.(map[string]any)
		detail, _ := ex["detail"].(string)
		return detail
	}
	e := newEnv(t, "sqlite")
	created := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"One story","url":"https://example.com/one"}`})
	var a struct{ ID int64 }
	if err := json.Unmarshal(created.body, &a); err != nil || created.status != 201 {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	id := fmt.Sprint(a.ID)
	dup := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Same story","url":"https://example.com/one"}`})
	want := strings.ReplaceAll(example("/v1/articles", "POST", "409"), "(id 3)", "(id "+id+")")
	if got := problemDetail(t, dup); dup.status != 409 || got != want {
		t.Errorf("409: the server says %q, the spec's example %q", got, want)
	}
	e.do(req{method: "PATCH", path: "/v1/articles/" + id, key: true, body: `{"summary":"a"}`, headers: []string{"Content-Type", "application/merge-patch+json"}})
	stale := e.do(req{method: "PATCH", path: "/v1/articles/" + id, key: true, body: `{"summary":"b"}`,
		headers: []string{"Content-Type", "application/merge-patch+json", "If-Match", `"` + id + `.1"`}})
	want = strings.ReplaceAll(example("/v1/articles/{id}", "PATCH", "412"), "article 3 ", "article "+id+" ")
	if got := problemDetail(t, stale); stale.status != 412 || got != want {
		t.Errorf("412: the server says %q, the spec's example %q", got, want)
	}
}

func problemDetail(t *testing.T, r response) string {
	t.Helper()
	var p struct{ Detail string }
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("%d %s: %v", r.status, r.body, err)
	}
	return p.Detail
}

func TestOpenAPIAndSwaggerServed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		served := e.do(req{path: "/openapi.json"})
		if served.status != 200 || !bytes.Equal(served.body, docs.OpenAPI) {
			t.Errorf("GET /openapi.json: %d, %d bytes, want the %d bytes of docs/openapi.json", served.status, len(served.body), len(docs.OpenAPI))
		}
		for _, path := range []string{"/swagger/doc.json", "/swagger/doc.yaml"} {
			if r := e.do(req{path: path}); r.status != 200 || !bytes.Equal(r.body, docs.OpenAPI) {
				t.Errorf("GET %s: %d, %d bytes, want the served document", path, r.status, len(r.body))
			}
		}
		r := e.do(req{path: "/swagger/index.html"})
		if r.status != 200 || !regexp.MustCompile(`persistAuthorization:\s*true`).Match(r.body) {
			t.Error("Swagger UI does not persist the authorization across reloads")
		}
		if urls := regexp.MustCompile(`url: "([^"]*)"`).FindAllSubmatch(r.body, -1); len(urls) != 1 || string(urls[0][1]) != `\/openapi.json` {
			t.Errorf("Swagger UI does not read /openapi.json:\n%s", r.body)
		}
	})
}

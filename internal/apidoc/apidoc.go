// Package apidoc turns the Swagger 2.0 document that swag writes from the
// annotations in api/ into the OpenAPI 3.0.3 document the server serves at
// /openapi.json. swag describes routes one by one and cannot say a few
// things the API does on every route (headers its middleware sets, the
// 401 any sent key may get, 304 answers to If-None-Match, problem+json
// errors), nor some JSON Schema facts (nullable members, timestamps, a
// merge patch whose members are all optional). Build adds them by rule, so
// a route added or changed in the annotations gets them too, and checks
// the result with kin-openapi.
//
// `make docs` runs it through the command in gen/.
package apidoc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

// problemType is the media type of every error answer (RFC 9457).
const problemType = "application/problem+json"

// Build converts swag's Swagger 2.0 JSON to OpenAPI 3.0.3, applies the
// rules of this package and validates the result.
func Build(swagger2 []byte) (*openapi3.T, error) {
	var v2 openapi2.T
	if err := json.Unmarshal(swagger2, &v2); err != nil {
		return nil, fmt.Errorf("reading the Swagger 2.0 document: %w", err)
	}
	doc, err := openapi2conv.ToV3(&v2)
	if err != nil {
		return nil, fmt.Errorf("converting to OpenAPI 3: %w", err)
	}
	// oapi-codegen and most generators read 3.0; 3.1 buys nothing here.
	doc.OpenAPI = "3.0.3"
	if err := checkTags(doc); err != nil {
		return nil, err
	}
	fixSecurity(doc)
	fixSchemas(doc)
	addHeaders(doc)
	examples, err := parameterExamples(swagger2)
	if err != nil {
		return nil, err
	}
	for _, op := range operations(doc) {
		fixParameters(op, examples)
		fixOperation(op)
	}
	if err := addExamples(doc); err != nil {
		return nil, err
	}
	if err := addHead(doc); err != nil {
		return nil, err
	}
	// Round-trip through JSON so that what is validated is exactly what
	// is written, $refs resolved by the loader as a client would.
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	out, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("loading the OpenAPI 3 document: %w", err)
	}
	if err := out.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the OpenAPI 3 document is not valid: %w", err)
	}
	if err := checkExamples(out); err != nil {
		return nil, err
	}
	return out, nil
}

// operation is one method of one path.
type operation struct {
	path, method string
	*openapi3.Operation
}

// operations lists every operation in a stable order.
func operations(doc *openapi3.T) []operation {
	var ops []operation
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			ops = append(ops, operation{path, method, op})
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].path != ops[j].path {
			return ops[i].path < ops[j].path
		}
		return ops[i].method < ops[j].method
	})
	return ops
}

// checkTags makes sure every tag an operation names is described at the
// top of the document (swag drops @tag lines it cannot attach).
func checkTags(doc *openapi3.T) error {
	defined := map[string]bool{}
	for _, t := range doc.Tags {
		if t.Description == "" {
			return fmt.Errorf("tag %q has no description", t.Name)
		}
		defined[t.Name] = true
	}
	for _, op := range operations(doc) {
		for _, t := range op.Tags {
			if !defined[t] {
				return fmt.Errorf("%s %s: tag %q has no @tag.name and @tag.description in api/routes.go", op.method, op.path, t)
			}
		}
	}
	return nil
}

// fixSecurity declares BearerAuth as what it is, HTTP bearer
// authentication, which swag v1 cannot write (Swagger 2.0 has no such
// scheme): clients then send "Authorization: Bearer <key>" themselves.
func fixSecurity(doc *openapi3.T) {
	if s := doc.Components.SecuritySchemes["BearerAuth"]; s != nil && s.Value != nil {
		s.Value = &openapi3.SecurityScheme{Type: "http", Scheme: "bearer", Description: "An API key sent as Authorization: Bearer <key>."}
	}
}

// fixSchemas applies the JSON Schema facts swag cannot express.
func fixSchemas(doc *openapi3.T) {
	schemas := doc.Components.Schemas
	for name, ref := range schemas {
		walkSchema(ref.Value, func(s *openapi3.Schema) {
			// swag writes x-nullable for a member marked so in the Go
			// struct; OpenAPI 3.0 says nullable.
			if v, ok := s.Extensions["x-nullable"]; ok {
				s.Nullable = v == true
				delete(s.Extensions, "x-nullable")
			}
		})
		// Timestamps the API writes are RFC 3339 date-times. Request
		// bodies also take a date alone, so they stay plain strings.
		if !strings.HasSuffix(name, "Input") && !strings.HasSuffix(name, "Patch") {
			for prop, p := range ref.Value.Properties {
				if strings.HasSuffix(prop, "_at") && p.Value != nil && p.Value.Type.Is("string") {
					p.Value.Format = "date-time"
				}
			}
		}
		// A merge patch (RFC 7386) may send any member alone: none is
		// required, or a client could not change only the summary.
		if strings.HasSuffix(name, "Patch") {
			ref.Value.Required = nil
		}
	}
	// fields= may leave out any member but id, so list items are their
	// own schema with only id required; one article read alone is whole.
	if a := schemas["Article"]; a != nil {
		item := *a.Value
		item.Required = []string{"id"}
		item.Description = "An article in a list: every member of Article, or those fields= names (id always comes). Lists leave out body and tag_source unless fields= names them."
		schemas["ArticleListItem"] = &openapi3.SchemaRef{Value: &item}
		// tag_source comes whenever an article is read alone (body is left
		// out of batch results and change entries when it is empty).
		a.Value.Required = appendMissing(a.Value.Required, "tag_source")
		if l := schemas["ArticleList"]; l != nil {
			if data := l.Value.Properties["data"]; data != nil && data.Value != nil && data.Value.Items != nil {
				data.Value.Items = &openapi3.SchemaRef{Ref: "#/components/schemas/ArticleListItem"}
			}
		}
	}
}

func appendMissing(list []string, names ...string) []string {
	for _, n := range names {
		found := false
		for _, have := range list {
			found = found || have == n
		}
		if !found {
			list = append(list, n)
		}
	}
	sort.Strings(list)
	return list
}

// walkSchema calls f on s and every schema written inside it (not those
// reached through a $ref, which are visited as components).
func walkSchema(s *openapi3.Schema, f func(*openapi3.Schema)) {
	if s == nil {
		return
	}
	f(s)
	inline := func(r *openapi3.SchemaRef) {
		if r != nil && r.Ref == "" {
			walkSchema(r.Value, f)
		}
	}
	for _, p := range s.Properties {
		inline(p)
	}
	inline(s.Items)
	if s.AdditionalProperties.Schema != nil {
		inline(s.AdditionalProperties.Schema)
	}
	for _, list := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
		for _, r := range list {
			inline(r)
		}
	}
}

// parameterExamples reads the examples swag writes onto parameters (an
// extension of Swagger 2.0, which allows them on bodies only, so the
// converter drops them), by "METHOD path in name".
func parameterExamples(swagger2 []byte) (map[string]any, error) {
	var raw struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name, In string
				Example  any
			}
		}
	}
	if err := json.Unmarshal(swagger2, &raw); err != nil {
		return nil, err
	}
	out := map[string]any{}
	for path, methods := range raw.Paths {
		for method, op := range methods {
			for _, p := range op.Parameters {
				if p.Example != nil {
					out[strings.ToUpper(method)+" "+path+" "+p.In+" "+p.Name] = p.Example
				}
			}
		}
	}
	return out, nil
}

// fixParameters puts back the examples of parameters, which Swagger UI
// fills in for Try it out; an array parameter's example, written as a
// comma-separated string in the annotation, becomes an array.
func fixParameters(op operation, examples map[string]any) {
	for _, p := range op.Parameters {
		v := p.Value
		if v == nil || v.Schema == nil || v.Schema.Value == nil {
			continue
		}
		ex, ok := examples[op.method+" "+op.path+" "+v.In+" "+v.Name]
		if !ok {
			continue
		}
		if s, ok := ex.(string); ok && v.Schema.Value.Type.Is("array") {
			ex = strings.Split(s, ",")
		}
		v.Example = ex
	}
}

// withoutRateLimit are the paths the rate limiter leaves alone (health
// checks that infrastructure polls).
var withoutRateLimit = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// conditionalGET says which GET answers carry an ETag and honour
// If-None-Match with 304. It mirrors cacheable() in api/httpcache.go: the
// API's resources, feeds, widgets, the front page, article pages and this
// document, not the operational endpoints. TestSpecContract in api/ checks
// the two agree.
func conditionalGET(op operation) bool {
	p := op.path
	return op.method == http.MethodGet && p != "/v1/changes/stream" &&
		(strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/embed") || p == "/oembed" || p == "/openapi.json" || p == "/" || strings.HasPrefix(p, "/articles/"))
}

// forPeople says which paths are pages for people, whose errors are HTML
// pages rather than problem+json. It mirrors forPeople() in api/web.go;
// TestSpecContract in api/ checks the two agree.
func forPeople(path string) bool {
	return path == "/" || strings.HasPrefix(path, "/articles/") || path == "/embed/headlines"
}

// fixOperation applies the rules that hold for every route.
func fixOperation(op operation) {
	if op.Responses == nil {
		op.Responses = openapi3.NewResponses()
	}
	// Public reads take a key too (a reader key has its own rate limit,
	// an editor key shows drafts): the key is optional, not absent.
	if op.Security == nil {
		op.Security = &openapi3.SecurityRequirements{{}, {"ApiKeyAuth": {}}, {"BearerAuth": {}}}
	}
	// Every route may refuse a bad query string or Host (400), a key that
	// is not valid or sent in the URL (401) and too many requests (429:
	// over the rate limit, or, even on health checks, too many refused
	// keys from one address): the middleware runs before any handler.
	addError(op, http.StatusBadRequest, "a malformed query, an unknown or bad parameter, or a Host this API does not answer for")
	addError(op, http.StatusUnauthorized, "a key was sent and is not valid, or was sent in the URL; or this operation needs a key and none was sent")
	addError(op, http.StatusTooManyRequests, "over the rate limit, or too many refused keys from this address; Retry-After says when to try again")
	if conditionalGET(op) {
		ensureHeaderParam(op, "If-None-Match", "ETag of a copy the client holds: a 304 answers when it is current")
		if op.Responses.Value("304") == nil {
			op.Responses.Set("304", &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription("Not Modified: the If-None-Match ETag is current")})
		}
	}
	idempotent := hasParam(op, "header", "Idempotency-Key")
	// A whole article answers with its version's ETag and its update
	// time as Last-Modified; a 304 to its GET repeats them.
	article := false
	if ok := op.Responses.Value("200"); ok != nil {
		article = sendsArticle(ok.Value)
	}
	for code, ref := range op.Responses.Map() {
		r := ref.Value
		status := 0
		_, _ = fmt.Sscan(code, &status)
		fixContent(status, r, forPeople(op.path))
		r.Headers = openapi3.Headers{}
		header := func(name string) { r.Headers[name] = &openapi3.HeaderRef{Ref: "#/components/headers/" + name} }
		header("X-Request-Id")
		header("Cache-Control")
		if !withoutRateLimit[op.path] || status == http.StatusUnauthorized || status == http.StatusTooManyRequests {
			header("RateLimit")
			header("RateLimit-Policy")
		}
		switch {
		case status == http.StatusOK && conditionalGET(op), status == http.StatusNotModified:
			header("ETag")
		case (status == http.StatusOK || status == http.StatusCreated) && (sendsArticle(r) || sends(r, "Theme")):
			header("ETag")
		}
		if ((status == http.StatusOK || status == http.StatusCreated) && sendsArticle(r)) || (status == http.StatusNotModified && article) {
			header("Last-Modified")
		}
		if status == http.StatusOK && conditionalGET(op) && hasParam(op, "query", "cursor") && op.path == "/v1/articles" {
			header("Link")
		}
		if status == http.StatusCreated {
			header("Location")
		}
		if idempotent && status >= 200 && status < 300 {
			header("Idempotent-Replayed")
		}
		switch status {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusInsufficientStorage:
			header("Retry-After")
		case http.StatusConflict:
			if idempotent {
				header("Retry-After")
			}
		case http.StatusUnauthorized:
			header("WWW-Authenticate")
		}
	}
}

// addHead declares HEAD beside every GET: the server answers HEAD on each
// GET route with the same status and headers and no body, and a client or
// a contract test must find it in the document.
func addHead(doc *openapi3.T) error {
	for _, op := range operations(doc) {
		if op.method != http.MethodGet {
			continue
		}
		var head openapi3.Operation
		raw, err := json.Marshal(op.Operation)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return err
		}
		head.OperationID = "head" + strings.ToUpper(op.OperationID[:1]) + op.OperationID[1:]
		head.Summary = op.Summary + " (headers only)"
		head.Description = "What GET " + op.path + " answers, without the body."
		for _, r := range head.Responses.Map() {
			r.Value.Content = nil
		}
		doc.Paths.Value(op.path).Head = &head
	}
	return nil
}

// sendsArticle says whether a response's body is one whole article (whose
// ETag names its version).
func sendsArticle(r *openapi3.Response) bool { return sends(r, "Article") }

// sends says whether r's JSON body is the schema named schema. A theme
// written (201, 200) answers with the ETag its GET gives.
func sends(r *openapi3.Response, schema string) bool {
	mt := r.Content.Get("application/json")
	return mt != nil && mt.Schema != nil && mt.Schema.Ref == "#/components/schemas/"+schema
}

// fixContent leaves one media type per response: swag declares every
// @Produce type on every response, so a generated client could not tell
// which body it got. Success answers keep the operation's real type;
// errors are problem+json, or HTML pages on pages for people.
func fixContent(status int, r *openapi3.Response, html bool) {
	if status == http.StatusNoContent || status == http.StatusNotModified {
		r.Content = nil
		return
	}
	if status >= 400 {
		r.Content = errorContent(html)
		return
	}
	var keep string
	for ct := range r.Content {
		if ct != problemType && (keep == "" || ct < keep) {
			keep = ct
		}
	}
	if keep == "" {
		return
	}
	r.Content = openapi3.Content{keep: r.Content[keep]}
}

// errorContent is the body of an error answer: a problem, or on a page for
// people an HTML page that shows it.
func errorContent(html bool) openapi3.Content {
	if html {
		return openapi3.Content{"text/html": &openapi3.MediaType{Schema: openapi3.NewStringSchema().NewRef()}}
	}
	return openapi3.Content{problemType: &openapi3.MediaType{Schema: &openapi3.SchemaRef{Ref: "#/components/schemas/Problem"}}}
}

// addError declares status on op with an error body, unless it is there.
func addError(op operation, status int, description string) {
	code := fmt.Sprint(status)
	if op.Responses.Value(code) != nil {
		return
	}
	op.Responses.Set(code, &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription(description).
		WithContent(errorContent(forPeople(op.path)))})
}

func hasParam(op operation, in, name string) bool {
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.In == in && strings.EqualFold(p.Value.Name, name) {
			return true
		}
	}
	return false
}

func ensureHeaderParam(op operation, name, description string) {
	if hasParam(op, "header", name) {
		return
	}
	op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
		Name: name, In: "header", Description: description, Schema: openapi3.NewStringSchema().NewRef(),
	}})
}

// headers are the response headers of the API, declared once and
// referenced from each response that carries them.
var headers = []struct {
	name, description string
	integer           bool
}{
	{"X-Request-Id", "Identifies the request in the server's log; quote it when reporting a problem. A safe X-Request-Id sent by the client is kept.", false},
	{"Cache-Control", "public with max-age and stale-while-revalidate for public reads; private, no-store for reads with an editor key; no-store for errors.", false},
	{"RateLimit", `What is left of the budget that applied: "policy";r=<remaining>;t=<seconds until full> (IETF RateLimit header fields draft).`, false},
	{"RateLimit-Policy", `The budget that applied: "policy";q=<requests>;w=<seconds>.`, false},
	{"Retry-After", "Seconds to wait before trying again.", true},
	{"ETag", "The version of this answer: send it back in If-None-Match to read again (304 when unchanged) or, for an article, in If-Match to change it safely (412 when stale).", false},
	{"Link", `<URL of the next page>; rel="next", when another page follows.`, false},
	{"Location", "URL of the new resource.", false},
	{"Last-Modified", "When the article last changed (its updated_at, as an HTTP date).", false},
	{"Idempotent-Replayed", "true when this is the stored answer to an earlier request with the same Idempotency-Key and body.", false},
	{"WWW-Authenticate", `Bearer realm="headlines": how to authenticate.`, false},
}

func addHeaders(doc *openapi3.T) {
	if doc.Components.Headers == nil {
		doc.Components.Headers = openapi3.Headers{}
	}
	for _, h := range headers {
		schema := openapi3.NewStringSchema()
		if h.integer {
			schema = openapi3.NewIntegerSchema()
		}
		doc.Components.Headers[h.name] = &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
			Description: h.description, Schema: schema.NewRef(),
		}}}
	}
}

package api_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/headlines/headlines/internal/store/storetest"
)

// TestSpecIsValid loads the generated spec, converted to OpenAPI 3, and
// validates it, and checks that every operation is documented for clients.
func TestSpecIsValid(t *testing.T) {
	doc, err := openAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI 3 document is not valid: %v", err)
	}
	ops := 0
	for path, item := range doc.Paths.Map() {
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

func TestOpenAPIAndSwaggerServed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		for _, path := range []string{"/openapi.json", "/swagger/doc.json", "/swagger/index.html"} {
			if r := e.do(req{path: path}); r.status != 200 || len(r.body) < 100 {
				t.Errorf("GET %s: %d, %d bytes", path, r.status, len(r.body))
			}
		}
		if r := e.do(req{path: "/swagger/index.html"}); !regexp.MustCompile(`persistAuthorization:\s*true`).Match(r.body) {
			t.Error("Swagger UI does not persist the authorization across reloads")
		}
	})
}

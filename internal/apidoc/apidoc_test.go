package apidoc

import (
	"strings"
	"testing"
)

// swagger is a Swagger 2.0 document as swag writes it, with one write
// and one read; edit replaces strings in it.
func swagger(edit ...string) []byte {
	doc := `{"swagger":"2.0","info":{"title":"t","version":"1"},"basePath":"/",
	"tags":[{"name":"things","description":"Things"}],
	"securityDefinitions":{"ApiKeyAuth":{"type":"apiKey","name":"X-API-Key","in":"header"},"BearerAuth":{"type":"apiKey","name":"Authorization","in":"header"}},
	"definitions":{
	  "Thing":{"type":"object","required":["id","url","made_at"],"properties":{"id":{"type":"integer"},"url":{"type":"string","x-nullable":true},"made_at":{"type":"string"}}},
	  "ThemeInput":{"type":"object","required":["slug"],"properties":{"slug":{"type":"string"}}},
	  "Problem":{"type":"object","required":["status"],"properties":{"status":{"type":"integer"},"title":{"type":"string"},"detail":{"type":"string"},"type":{"type":"string"},"request_id":{"type":"string"}}}},
	"paths":{"/v1/things":{
	  "get":{"operationId":"listThings","summary":"s","tags":["things"],"produces":["application/json","application/problem+json"],
	    "parameters":[{"name":"country","in":"query","type":"array","items":{"type":"string"},"example":"RU,CN"}],
	    "responses":{"200":{"description":"OK","schema":{"$ref":"#/definitions/Thing"}},"404":{"description":"Not Found","schema":{"$ref":"#/definitions/Problem"}}}},
	  "post":{"operationId":"createThing","summary":"s","tags":["things"],"security":[{"ApiKeyAuth":[]}],"consumes":["application/json"],"produces":["application/json","application/problem+json"],
	    "parameters":[{"name":"Idempotency-Key","in":"header","type":"string"},{"name":"thing","in":"body","required":true,"schema":{"$ref":"#/definitions/ThemeInput"}}],
	    "responses":{"201":{"description":"Created","schema":{"$ref":"#/definitions/Thing"}}}}}}}`
	for i := 0; i+1 < len(edit); i += 2 {
		doc = strings.Replace(doc, edit[i], edit[i+1], 1)
	}
	return []byte(doc)
}

func TestBuildAppliesTheRules(t *testing.T) {
	doc, err := Build(swagger())
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi %s", doc.OpenAPI)
	}
	get := doc.Paths.Value("/v1/things").Get
	ok := get.Responses.Value("200").Value
	if len(ok.Content) != 1 || ok.Content.Get("application/json") == nil {
		t.Errorf("200 content: %v", ok.Content)
	}
	nf := get.Responses.Value("404").Value
	if len(nf.Content) != 1 || nf.Content.Get("application/problem+json").Example.(map[string]any)["status"] != float64(404) {
		t.Errorf("404 content: %v", nf.Content)
	}
	for _, code := range []string{"304", "400", "401", "429"} {
		if get.Responses.Value(code) == nil {
			t.Errorf("GET has no %s", code)
		}
	}
	for _, h := range []string{"ETag", "X-Request-Id", "Cache-Control", "RateLimit", "RateLimit-Policy"} {
		if ok.Headers[h] == nil {
			t.Errorf("GET 200 lacks %s", h)
		}
	}
	if len(*get.Security) != 3 {
		t.Errorf("GET security %v, want optional keys", get.Security)
	}
	if ex, _ := get.Parameters[0].Value.Example.([]any); len(ex) != 2 {
		t.Errorf("array parameter example %v", get.Parameters[0].Value.Example)
	}
	created := doc.Paths.Value("/v1/things").Post.Responses.Value("201").Value
	for _, h := range []string{"Location", "Idempotent-Replayed"} {
		if created.Headers[h] == nil {
			t.Errorf("POST 201 lacks %s", h)
		}
	}
	thing := doc.Components.Schemas["Thing"].Value
	if !thing.Properties["url"].Value.Nullable || thing.Properties["made_at"].Value.Format != "date-time" {
		t.Errorf("Thing: url nullable %v, made_at format %q", thing.Properties["url"].Value.Nullable, thing.Properties["made_at"].Value.Format)
	}
	if s := doc.Components.SecuritySchemes["BearerAuth"].Value; s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("BearerAuth %s %s", s.Type, s.Scheme)
	}
}

func TestBuildRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		edit []string
		want string
	}{
		{"a tag without a description", []string{`"tags":["things"],"produces"`, `"tags":["other"],"produces"`}, `tag "other"`},
		{"a request body without an example", []string{`/ThemeInput"}}]`, `/Thing"}}]`}, "no request example"},
		{"an error status without an example", []string{`"404":{`, `"418":{`}, "status 418"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Build(swagger(c.edit...))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

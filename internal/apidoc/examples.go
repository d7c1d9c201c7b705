package apidoc

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// problems are the example bodies of error answers, one per status, as
// the server writes them. Swagger UI shows the example of the status it
// documents, so each must carry its own status, not the schema's 422.
var problems = map[int]struct{ code, detail string }{
	400: {"invalid", "countries: is not a parameter of this endpoint"},
	401: {"unauthorized", "the API key is not valid; send Authorization: Bearer <key> or X-API-Key: <key>"},
	403: {"forbidden", "this endpoint needs the editor role; this key has the reader role"},
	404: {"not_found", "no article 12345"},
	409: {"conflict", "url: another article (id 3) already has this url"},
	412: {"precondition_failed", "article 3 has changed since the version in If-Match"},
	413: {"too_large", "the body is larger than 1048576 bytes"},
	415: {"unsupported_media", "Content-Type: must be application/json, got \"text/plain\""},
	422: {"validation", "the article has invalid fields"},
	428: {"precondition_required", "this server requires If-Match on changes: GET the article and send its ETag"},
	429: {"too_many_requests", "rate limit of the public policy reached; retry in 12 s"},
	501: {"not_implemented", "only the json format is implemented"},
	503: {"unavailable", "too many expensive reads at once; retry in 1 s"},
	507: {"storage_full", "the database's storage is full: nothing was stored"},
}

// problemTitle is the title the server writes: RFC 9110's reason phrase,
// where Go's table still has the older one. It mirrors reasonPhrase in
// api/problem.go; TestSpecContract checks every example against it.
func problemTitle(status int) string {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return "Content Too Large"
	case http.StatusUnprocessableEntity:
		return "Unprocessable Content"
	case http.StatusRequestedRangeNotSatisfiable:
		return "Range Not Satisfiable"
	}
	return http.StatusText(status)
}

// problemExample is the example body of an error answer with status.
func problemExample(status int) (map[string]any, error) {
	p, ok := problems[status]
	if !ok {
		return nil, fmt.Errorf("no example problem for status %d: add one to internal/apidoc", status)
	}
	ex := map[string]any{
		"type": "urn:headlines:problem:" + p.code, "title": problemTitle(status), "status": status,
		"detail": p.detail, "request_id": "5f2b9c0e7d1a4e3b",
	}
	switch status {
	case 409:
		ex["existing_id"] = 3
		ex["errors"] = []any{map[string]any{"field": "url", "message": "another article (id 3) already has this url"}}
	case 400:
		ex["errors"] = []any{map[string]any{"field": "countries", "message": "is not a parameter of this endpoint"}}
	case 422:
		ex["errors"] = []any{map[string]any{"field": "title", "message": "is required"}}
	}
	return ex, nil
}

// requestExamples are the example bodies of requests, by schema name. The
// server accepts each as written on the demo data (TestRequestExamples
// sends them), so Swagger UI's Try it out works without edits: without
// them it would fill members that have no example with "string". The
// create example is a story the demo does not hold and has no url, which
// must be unique, so it can be sent again; it and the batch example are
// drafts, so an editor trying them on a live server publishes nothing. The
// replace and patch examples fit the demo article 3 their path names.
var requestExamples = map[string]any{
	"ArticleInput": map[string]any{
		"title":        "North Korea and Russia open a second road bridge across the Tumen River",
		"summary":      "The crossing near Khasan is meant to double truck traffic between the two countries, state media in both capitals said",
		"url":          nil,
		"image_url":    nil,
		"source":       "NK News",
		"section":      "foreign-relations",
		"author":       nil,
		"language":     "en",
		"countries":    []any{"North Korea", "Russia"},
		"themes":       []any{"trade", "infrastructure"},
		"status":       "draft",
		"published_at": "2025-06-27T09:00:00Z",
	},
	"ArticlePatch": map[string]any{
		"summary": "South Korea's president agrees with Japan's prime minister to strengthen trilateral cooperation with Washington on North Korea",
	},
	"BatchInput": map[string]any{
		"articles": []any{map[string]any{
			"title":     "North Korea-China trade jumps to $230M in May",
			"url":       "https://example.com/2025/06/north-korea-china-trade-may",
			"source":    "NK News",
			"countries": []any{"KP", "CN"},
			"themes":    []any{"trade"},
			"status":    "draft",
		}},
	},
	"ClassifyInput": map[string]any{
		"title":   "Kim Jong Un to send 6K military workers to rebuild Russia’s Kursk: Shoigu",
		"summary": "North Korean deployment will include 5K construction workers and 1K mine clearance specialists, security chief says",
	},
	"ThemeInput": map[string]any{
		"slug":        "energy",
		"name":        "Energy",
		"description": "Oil, coal and electricity supplies",
		"aliases":     []any{"oil", "fuel"},
		"keywords":    []any{"energy", "oil", "coal", "electricity", "power shortage"},
	},
	"ThemePatch": map[string]any{
		"description": "Military deployments, drills and arms transfers",
	},
	"WebhookInput": map[string]any{
		"url":         "https://partner.example/hooks/headlines",
		"events":      []any{"article.published", "article.updated", "article.deleted"},
		"filter":      "country=RU&theme=sanctions",
		"description": "Sanctions desk of partner.example",
	},
	"WebhookPatch": map[string]any{
		"paused": false,
	},
}

// operationExamples override requestExamples for one operation, by id.
var operationExamples = map[string]any{
	"replaceArticle": map[string]any{
		"title":        "Lee Jae-myung spotlights North Korean issues in G7 talks with Ishiba, Carney",
		"summary":      "South Korean president agrees to strengthen trilateral cooperation with Tokyo in first meeting with Japanese counterpart",
		"url":          nil,
		"image_url":    nil,
		"source":       "NK News",
		"section":      "foreign-relations",
		"author":       nil,
		"language":     "en",
		"countries":    []any{"Canada", "Japan", "North Korea", "South Korea"},
		"themes":       []any{"diplomacy"},
		"status":       "published",
		"published_at": "2025-06-18T03:20:00Z",
	},
}

// addExamples gives every request body and every error answer its example.
func addExamples(doc *openapi3.T) error {
	for _, op := range operations(doc) {
		if rb := op.RequestBody; rb != nil && rb.Value != nil {
			for ct, mt := range rb.Value.Content {
				name := strings.TrimPrefix(mt.Schema.Ref, "#/components/schemas/")
				ex, ok := operationExamples[op.OperationID]
				if !ok {
					ex, ok = requestExamples[name]
				}
				if !ok {
					return fmt.Errorf("%s %s: no request example for %s (%s): add one to internal/apidoc", op.method, op.path, name, ct)
				}
				mt.Example = ex
			}
		}
		for code, ref := range op.Responses.Map() {
			mt := ref.Value.Content.Get(problemType)
			if mt == nil {
				continue
			}
			var status int
			_, _ = fmt.Sscan(code, &status)
			ex, err := problemExample(status)
			if err != nil {
				return fmt.Errorf("%s %s: %w", op.method, op.path, err)
			}
			mt.Example = ex
			// The response's description is the reason: it says when.
			if d := ref.Value.Description; d == nil || *d == "" || *d == http.StatusText(status) {
				ref.Value.WithDescription(problemTitle(status))
			}
		}
	}
	return nil
}

// checkExamples validates every example of doc against its schema, so
// that an example that drifted from its type fails `make docs`.
func checkExamples(doc *openapi3.T) error {
	for _, op := range operations(doc) {
		check := func(where string, mt *openapi3.MediaType) error {
			if mt == nil || mt.Example == nil || mt.Schema == nil {
				return nil
			}
			if err := mt.Schema.Value.VisitJSON(mt.Example); err != nil {
				return fmt.Errorf("%s %s %s: the example does not match its schema: %w", op.method, op.path, where, err)
			}
			return nil
		}
		if rb := op.RequestBody; rb != nil && rb.Value != nil {
			for ct, mt := range rb.Value.Content {
				if err := check("request "+ct, mt); err != nil {
					return err
				}
			}
		}
		for code, ref := range op.Responses.Map() {
			for ct, mt := range ref.Value.Content {
				if err := check(code+" "+ct, mt); err != nil {
					return err
				}
				if ex, ok := mt.Example.(map[string]any); ok && ct == problemType {
					if fmt.Sprint(ex["status"]) != code {
						return fmt.Errorf("%s %s %s: the example's status is %v", op.method, op.path, code, ex["status"])
					}
				}
			}
		}
	}
	return nil
}

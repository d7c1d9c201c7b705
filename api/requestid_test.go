package api_test

import (
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/headlines/headlines/api"
)

// TestRequestIDKeptOnlyWhenSafe: a short id of safe characters is kept;
// anything else is replaced, in the header, the problem and the log.
func TestRequestIDKeptOnlyWhenSafe(t *testing.T) {
	var logs syncBuffer
	e := newEnv(t, "sqlite", func(d *api.Deps) { d.Log = slog.New(slog.NewJSONHandler(&logs, nil)) })
	kept := "3f2a9c1e-7b4d-4e8f-9a0b-1c2d3e4f5a6b:span.1_x"
	r := e.raw("GET", "/v1/articles?limit=0", "", "", "X-Request-ID", kept)
	if r.header.Get("X-Request-ID") != kept || r.json(t)["request_id"] != kept {
		t.Errorf("a safe id: header %q, body %s", r.header.Get("X-Request-ID"), r.body)
	}
	for name, id := range map[string]string{
		"60 KB":          strings.Repeat("a", 60<<10),
		"129 characters": strings.Repeat("b", 129),
		"markup":         `<script>alert(1)</script>`,
		"spaces":         "a b",
		"quotes":         `x"y`,
		"log forging":    "abc\\n{\"msg\":\"forged\"}",
	} {
		r := e.raw("GET", "/v1/articles?limit=0", "", "", "X-Request-ID", id)
		got := r.header.Get("X-Request-ID")
		if got == id || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got) || r.json(t)["request_id"] != got {
			t.Errorf("%s: header %.80q, problem %.80v", name, got, r.json(t)["request_id"])
		}
	}
	if l := logs.String(); strings.Contains(l, strings.Repeat("a", 200)) || strings.Contains(l, "<script>") {
		t.Errorf("an unsafe request id reached the log")
	}
}

package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
)

// TestKeysAndRoles: keys from the database authenticate with their role;
// a revoked key stops working at once; keys in URLs are refused.
func TestKeysAndRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		ctx := context.Background()
		reader, _, err := e.store.CreateKey(ctx, "partner site", news.RoleReader)
		if err != nil {
			t.Fatal(err)
		}
		editor, ek, err := e.store.CreateKey(ctx, "cms", news.RoleEditor)
		if err != nil {
			t.Fatal(err)
		}
		admin, _, err := e.store.CreateKey(ctx, "ops", news.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		bearer := func(k string) []string { return []string{"Authorization", "Bearer " + k} }
		article := `{"title":"Keyed write"}`
		theme := `{"slug":"energy","name":"Energy"}`
		cases := []struct {
			name   string
			r      req
			status int
		}{
			{"reader reads", req{path: "/v1/articles", headers: bearer(reader)}, 200},
			{"reader cannot write", req{method: "POST", path: "/v1/articles", body: article, headers: bearer(reader)}, 403},
			{"editor writes articles", req{method: "POST", path: "/v1/articles", body: article, headers: bearer(editor)}, 201},
			{"reader cannot manage themes", req{method: "POST", path: "/v1/themes", body: theme, headers: bearer(reader)}, 403},
			{"editor manages themes", req{method: "POST", path: "/v1/themes", body: theme, headers: bearer(editor)}, 201},
			{"admin manages themes too", req{method: "PATCH", path: "/v1/themes/energy", body: `{"name":"Energy supply"}`, headers: bearer(admin)}, 200},
			{"admin writes articles too", req{method: "POST", path: "/v1/articles", body: `{"title":"By admin"}`, headers: []string{"X-API-Key", admin}}, 201},
			{"unknown key, even on a read", req{path: "/v1/articles", headers: bearer("hl_not-a-key-at-all-0123456789")}, 401},
			{"empty bearer", req{path: "/v1/articles", headers: []string{"Authorization", "Bearer "}}, 401},
			{"basic auth is not a key", req{path: "/v1/articles", headers: []string{"Authorization", "Basic dXNlcjpwYXNz"}}, 401},
			{"key in the query string", req{path: "/v1/articles?api_key=" + editor}, 401},
			{"token in the query string", req{method: "POST", path: "/v1/articles?access_token=" + editor, body: article}, 401},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(tc.r)
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
				if r.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("401 without WWW-Authenticate: %v", r.header)
				}
			})
		}
		// Drafts: editors see them, readers and the public do not.
		r := e.do(req{method: "POST", path: "/v1/articles", body: `{"title":"Embargoed story","status":"draft","countries":["KP"]}`, headers: bearer(editor)})
		if r.status != 201 {
			t.Fatalf("draft: %d %s", r.status, r.body)
		}
		path := "/v1/articles/" + jsonNumber(r.json(t)["id"])
		for _, who := range []struct {
			name    string
			headers []string
			want    int
		}{{"public", nil, 404}, {"reader", bearer(reader), 404}, {"editor", bearer(editor), 200}} {
			if got := e.do(req{path: path, headers: who.headers}).status; got != who.want {
				t.Errorf("%s reading a draft: %d, want %d", who.name, got, who.want)
			}
		}
		if n := e.do(req{path: "/v1/articles?country=KP&include_total=true", headers: bearer(reader)}).json(t)["total"]; n != 10.0 {
			t.Errorf("a reader's total counts drafts: %v", n)
		}
		// Revocation takes effect on the next request.
		if _, err := e.store.RevokeKey(ctx, ek.Prefix); err != nil {
			t.Fatal(err)
		}
		assertProblem(t, e.do(req{method: "POST", path: "/v1/articles", body: article, headers: bearer(editor)}), http.StatusUnauthorized, "")
		// The database holds the digest and a short prefix, never the key.
		var digest, prefix string
		if err := e.store.DB().QueryRow(`SELECT digest, prefix FROM api_keys WHERE name = 'cms'`).Scan(&digest, &prefix); err != nil {
			t.Fatal(err)
		}
		if digest != news.KeyDigest(editor) || prefix != editor[:news.KeyPrefixLen] || strings.Contains(digest, editor) {
			t.Errorf("stored digest %q prefix %q", digest, prefix)
		}
		keys, _ := e.store.Keys(ctx)
		for _, k := range keys {
			if k.Name == "cms" && (k.RevokedAt.IsZero() || k.LastUsedAt.IsZero()) {
				t.Errorf("cms key: revoked %v, last used %v", k.RevokedAt, k.LastUsedAt)
			}
		}
	})
}

func jsonNumber(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}

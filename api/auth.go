package api

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
)

// auth identifies callers by API key: the bootstrap keys of
// HEADLINES_API_KEYS (kept as digests only) and the keys in the database.
type auth struct {
	boot map[string]news.Role // digest → role
	keys news.KeyService      // nil: bootstrap keys only
}

// newAuth reads bootstrap keys; each may start with "reader:", "editor:"
// or "admin:" to give its role, and is an editor key otherwise.
func newAuth(bootstrap []string, keys news.KeyService) *auth {
	a := &auth{boot: map[string]news.Role{}, keys: keys}
	for _, k := range bootstrap {
		role, secret := ParseBootstrapKey(k)
		a.boot[news.KeyDigest(secret)] = role
	}
	return a
}

// ParseBootstrapKey splits "role:secret" into its role and secret; a key
// without a known role prefix is an editor key.
func ParseBootstrapKey(k string) (news.Role, string) {
	if role, secret, ok := strings.Cut(k, ":"); ok && news.Role(role).Valid() {
		return news.Role(role), secret
	}
	return news.RoleEditor, k
}

const (
	ctxRole  = "headlines.role"
	ctxKeyID = "headlines.key" // a stable name for the caller's key: its digest
)

// queryKeyParams are query parameters that clients commonly use to pass
// keys. A key in a URL ends up in logs, caches and Referer headers.
var queryKeyParams = []string{"api_key", "apikey", "key", "access_token", "token"}

// presentedKey returns the key a request carries, from Authorization:
// Bearer or X-API-Key. Both may be sent only with the same key: a request
// whose X-API-Key differs from its Bearer key is refused (ambiguous is
// true) rather than answered with one of them, so that a wrong key in
// either header never goes unnoticed.
func presentedKey(c echo.Context) (key string, sent, ambiguous bool) {
	header := strings.TrimSpace(c.Request().Header.Get("X-API-Key"))
	if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, key, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", true, false
		}
		key = strings.TrimSpace(key)
		return key, true, header != "" && header != key
	}
	if header != "" {
		return header, true, false
	}
	return "", false, false
}

// identify sets the caller's role from its key. A request with a key that
// is not valid is refused outright, even on a public route, so that a typo
// never silently falls back to the public view; so is a key in the URL.
func (a *auth) identify(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		for _, p := range queryKeyParams {
			if c.QueryParams().Has(p) {
				return news.FieldErrorf(news.EUnauthorized, p,
					"keys are not accepted in the URL, where logs and caches keep them; send Authorization: Bearer <key> or X-API-Key: <key>")
			}
		}
		key, sent, ambiguous := presentedKey(c)
		if !sent {
			return next(c)
		}
		if ambiguous {
			return news.FieldErrorf(news.EUnauthorized, "X-API-Key",
				"holds another key than Authorization: Bearer; send one key, in either header")
		}
		digest := news.KeyDigest(key)
		role, ok := a.boot[digest]
		if !ok && a.keys != nil && key != "" {
			k, err := a.keys.Authenticate(c.Request().Context(), digest)
			if err != nil && news.ErrorCode(err) != news.EUnauthorized {
				return err
			}
			role, ok = k.Role, err == nil
		}
		if !ok {
			return news.Errorf(news.EUnauthorized, "the API key is not valid; send Authorization: Bearer <key> or X-API-Key: <key>")
		}
		c.Set(ctxRole, role)
		c.Set(ctxKeyID, digest)
		if role.Allows(news.RoleEditor) {
			// Editors write, so their reads must show their writes: never
			// from a replica that may lag (on any instance, since the key
			// travels with every request).
			c.SetRequest(c.Request().WithContext(news.WithFreshReads(c.Request().Context())))
		}
		return next(c)
	}
}

// require guards a route: 401 without a key, 403 with a key whose role
// does not reach need.
func require(need news.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			role, _ := c.Get(ctxRole).(news.Role)
			if role == "" {
				return news.Errorf(news.EUnauthorized, "this endpoint needs a key with the %s role; send Authorization: Bearer <key> or X-API-Key: <key>", need)
			}
			if !role.Allows(need) {
				return news.Errorf(news.EForbidden, "this endpoint needs the %s role; this key has the %s role", need, role)
			}
			return next(c)
		}
	}
}

func isEditor(c echo.Context) bool {
	role, _ := c.Get(ctxRole).(news.Role)
	return role.Allows(news.RoleEditor)
}

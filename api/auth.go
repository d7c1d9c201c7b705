package api

import (
	"crypto/sha256"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
)

// keyring holds the SHA-256 digests of the editor keys, never the keys.
type keyring map[[32]byte]bool

func newKeyring(keys []string) keyring {
	k := keyring{}
	for _, key := range keys {
		k[sha256.Sum256([]byte(key))] = true
	}
	return k
}

const ctxRole = "headlines.role"

// presentedKey returns the key a request carries, from Authorization:
// Bearer or X-API-Key.
func presentedKey(c echo.Context) (string, bool) {
	if auth := c.Request().Header.Get(echo.HeaderAuthorization); auth != "" {
		scheme, key, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", true
		}
		return strings.TrimSpace(key), true
	}
	if key := c.Request().Header.Get("X-API-Key"); key != "" {
		return strings.TrimSpace(key), true
	}
	return "", false
}

// identify marks requests that carry a valid editor key. A request with a
// key that is not valid is refused outright, even on a public route, so a
// typo never silently falls back to the public view.
func (k keyring) identify(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, sent := presentedKey(c)
		if !sent {
			return next(c)
		}
		if key == "" || !k[sha256.Sum256([]byte(key))] {
			return news.Errorf(news.EUnauthorized, "the API key is not valid; send Authorization: Bearer <key> or X-API-Key: <key>")
		}
		c.Set(ctxRole, "editor")
		// Editors write, so their reads must show their writes: never from
		// a replica that may lag (on any instance, since the key travels
		// with every request).
		c.SetRequest(c.Request().WithContext(news.WithFreshReads(c.Request().Context())))
		return next(c)
	}
}

// requireEditor guards write routes.
func (k keyring) requireEditor(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !isEditor(c) {
			return news.Errorf(news.EUnauthorized, "this endpoint needs an editor key; send Authorization: Bearer <key> or X-API-Key: <key>")
		}
		return next(c)
	}
}

func isEditor(c echo.Context) bool {
	role, _ := c.Get(ctxRole).(string)
	return role == "editor"
}

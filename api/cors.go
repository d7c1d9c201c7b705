package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
)

const (
	corsAllowHeaders  = "Authorization, X-API-Key, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-ID, Last-Event-ID"
	corsExposeHeaders = "ETag, Link, Location, Last-Modified, RateLimit, RateLimit-Policy, Retry-After, X-Request-ID, Idempotent-Replayed"
	corsMaxAge        = "600"
)

// cors lets any web page read the public API, without credentials, and
// only the origins in HEADLINES_CORS_ORIGINS write to it. A browser write
// from any other origin is refused before it runs, even when it would not
// need a preflight.
func cors(writeOrigins []string) echo.MiddlewareFunc {
	allowed := map[string]bool{}
	for _, o := range writeOrigins {
		allowed[strings.TrimSuffix(o, "/")] = true
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			origin := r.Header.Get(echo.HeaderOrigin)
			h := c.Response().Header()
			if origin == "" {
				return next(c)
			}
			h.Add(echo.HeaderVary, echo.HeaderOrigin)
			sameOrigin := origin == baseURL(c)
			mayWrite := allowed[origin] || sameOrigin
			method := r.Method
			preflight := method == http.MethodOptions && r.Header.Get(echo.HeaderAccessControlRequestMethod) != ""
			if preflight {
				method = r.Header.Get(echo.HeaderAccessControlRequestMethod)
			}
			read := method == http.MethodGet || method == http.MethodHead
			switch {
			case read:
				h.Set(echo.HeaderAccessControlAllowOrigin, "*")
			case mayWrite:
				h.Set(echo.HeaderAccessControlAllowOrigin, origin)
			case preflight:
				return c.NoContent(http.StatusNoContent) // no CORS headers: the browser will not send the write
			default:
				return news.FieldErrorf(news.EForbidden, "Origin", "%s may not write to this API; ask for it to be added to HEADLINES_CORS_ORIGINS", origin)
			}
			if preflight {
				methods := "GET, HEAD"
				if mayWrite {
					methods = "GET, HEAD, POST, PUT, PATCH, DELETE"
				}
				h.Set(echo.HeaderAccessControlAllowMethods, methods)
				h.Set(echo.HeaderAccessControlAllowHeaders, corsAllowHeaders)
				h.Set(echo.HeaderAccessControlMaxAge, corsMaxAge)
				return c.NoContent(http.StatusNoContent)
			}
			h.Set(echo.HeaderAccessControlExposeHeaders, corsExposeHeaders)
			return next(c)
		}
	}
}

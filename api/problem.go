package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/suggest"
)

// Problem is an RFC 9457 problem detail, the body of every error response.
type Problem struct {
	Type       string         `validate:"required" json:"type" example:"urn:headlines:problem:validation"`
	Title      string         `validate:"required" json:"title" example:"Unprocessable Content"`
	Status     int            `validate:"required" json:"status" example:"422"`
	Detail     string         `validate:"required" json:"detail" example:"the article has invalid fields"`
	Errors     []ProblemField `json:"errors,omitempty"`
	ExistingID int64          `json:"existing_id,omitempty" example:"3"`
	RequestID  string         `json:"request_id,omitempty" example:"5f2b9c0e7d1a4e3b"`
} //	@name	Problem

// ProblemField names one failing field or parameter.
type ProblemField struct {
	Field   string `validate:"required" json:"field" example:"title"`
	Message string `validate:"required" json:"message" example:"is required"`
} //	@name	ProblemField

// statusOf is the one table from domain error code to HTTP status.
// A full database storage is 507 Insufficient Storage, not 503: reads go
// on meanwhile, so the service is not unavailable, and the status tells
// clients and monitoring the cause apart from an overloaded or unreachable
// database.
var statusOf = map[news.Code]int{
	news.EInvalid:            http.StatusBadRequest,
	news.EValidation:         http.StatusUnprocessableEntity,
	news.ENotFound:           http.StatusNotFound,
	news.EConflict:           http.StatusConflict,
	news.EPreconditionFailed: http.StatusPreconditionFailed,
	news.EPreconditionNeeded: http.StatusPreconditionRequired,
	news.EUnauthorized:       http.StatusUnauthorized,
	news.EForbidden:          http.StatusForbidden,
	news.ETooLarge:           http.StatusRequestEntityTooLarge,
	news.EUnsupportedMedia:   http.StatusUnsupportedMediaType,
	news.ETooMany:            http.StatusTooManyRequests,
	news.EUnavailable:        http.StatusServiceUnavailable,
	news.EStorageFull:        http.StatusInsufficientStorage,
	news.EInternal:           http.StatusInternalServerError,
}

const problemContentType = "application/problem+json"

// storageRetryAfter is the Retry-After of a 507, in seconds: as long as
// readiness reports the full storage after the last failed write, so a
// client that waits it out tries again once the store could know better.
const storageRetryAfter = "10"

// toProblem describes err as a problem; status 499 means the client went
// away and nobody reads the answer.
func toProblem(err error, requestID string) Problem {
	p := Problem{RequestID: requestID}
	var ne *news.Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ne):
		p.Status = statusOf[ne.Code]
		p.Type = "urn:headlines:problem:" + string(ne.Code)
		p.Detail = ne.Message
		p.ExistingID = ne.ExistingID
		for _, f := range ne.Fields {
			p.Errors = append(p.Errors, ProblemField(f))
		}
		if ne.Code == news.EInternal {
			p.Detail = "an internal error occurred; quote the request_id when reporting it"
		}
	case errors.As(err, &he):
		p.Status = he.Code
		p.Type = problemType(he.Code)
		p.Detail = strings.ToLower(http.StatusText(he.Code))
		if msg, ok := he.Message.(string); ok && msg != "" && msg != http.StatusText(he.Code) {
			p.Detail = strings.ToLower(msg[:1]) + msg[1:]
		}
		if he.Code >= 500 && he.Code != http.StatusNotImplemented {
			p.Detail = "an internal error occurred; quote the request_id when reporting it"
		}
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		p.Status = 499
	default:
		p.Status = http.StatusInternalServerError
		p.Type = "urn:headlines:problem:internal"
		p.Detail = "an internal error occurred; quote the request_id when reporting it"
	}
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	p.Title = reasonPhrase(p.Status)
	return p
}

// reasonPhrase is the title of a status: RFC 9110's reason phrase, where
// Go's table still has the older one.
func reasonPhrase(status int) string {
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

// problemType is the type URI of an error Echo raised itself: the domain
// code's when the status has one (404 not_found, 413 too_large, …), else
// one made of the reason phrase (405 method_not_allowed), so that each
// kind of problem has its own type and never borrows another's.
func problemType(status int) string {
	for c, s := range statusOf { // one code per status
		if s == status {
			return "urn:headlines:problem:" + string(c)
		}
	}
	slug := strings.ToLower(strings.NewReplacer(" ", "_", "-", "_", "'", "").Replace(reasonPhrase(status)))
	if slug == "" {
		slug = "http_" + strconv.Itoa(status)
	}
	return "urn:headlines:problem:" + slug
}

// routingDetail says what was wrong with a request no route took: the
// path is none of the API's (and which one it resembles), or the method
// is not one the path allows.
func routingDetail(err error, c echo.Context, people bool) (string, bool) {
	r := c.Request()
	path := r.URL.Path
	if len(path) > 200 {
		path = path[:200] + "…"
	}
	switch {
	case errors.Is(err, echo.ErrNotFound):
		near := closestRoute(c.Echo().Routes(), r.URL.Path)
		if people {
			if near != "" && !strings.Contains(near, "/:") {
				return fmt.Sprintf("There is no page at %s; did you mean %s?", path, near), true
			}
			return fmt.Sprintf("There is no page at %s.", path), true
		}
		msg := fmt.Sprintf("%s is not a route of this API", path)
		if near != "" {
			msg += "; did you mean " + near + "?"
		} else {
			msg += "."
		}
		return msg + " The routes are listed in /openapi.json and shown at /swagger/index.html.", true
	case errors.Is(err, echo.ErrMethodNotAllowed):
		allow := c.Response().Header().Get(echo.HeaderAllow)
		return fmt.Sprintf("%s is not a method of %s; it allows %s (see the Allow header)", r.Method, path, allow), true
	}
	return "", false
}

// isRouting reports whether err is the router's: no route, or no method.
func isRouting(err error) bool {
	return errors.Is(err, echo.ErrNotFound) || errors.Is(err, echo.ErrMethodNotAllowed)
}

// closestRoute is the path of a route that path was probably meant to
// be, with path's own values in the route's parameters, or "".
func closestRoute(routes []*echo.Route, path string) string {
	if len(path) > 200 {
		return ""
	}
	segs := strings.Split(path, "/")
	var candidates []string
	for _, rt := range routes {
		if strings.Contains(rt.Path, "*") {
			continue
		}
		parts := strings.Split(rt.Path, "/")
		if strings.Contains(rt.Path, ":") {
			if len(parts) != len(segs) {
				continue
			}
			empty := false
			for i, p := range parts {
				if strings.HasPrefix(p, ":") {
					parts[i] = segs[i]
					empty = empty || segs[i] == ""
				}
			}
			if empty { // /articles/ is not /articles/:id with no id
				continue
			}
		}
		candidates = appendUnique(candidates, strings.Join(parts, "/"))
	}
	return suggest.Closest(path, candidates)
}

// errorHandler is the one place where errors become responses.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := toProblem(err, c.Response().Header().Get(echo.HeaderXRequestID))
		// A person who mistyped a page's address (a browser asks for HTML)
		// gets a page too; API clients and everything under /v1/ get
		// problem+json.
		people := forPeople(c.Request().URL.Path) ||
			(isRouting(err) && !strings.HasPrefix(c.Request().URL.Path, "/v1/") &&
				strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/html"))
		if detail, ok := routingDetail(err, c, people); ok {
			p.Detail = detail
		}
		// A 503 that already carries Retry-After is a refusal by design
		// (the expensive-read pool is full, or a read ran out of time): the
		// request's own log line tells it, and a flood of them would
		// otherwise write two lines each.
		shed := p.Status == http.StatusServiceUnavailable && c.Response().Header().Get("Retry-After") != ""
		if p.Status >= 500 && p.Status != http.StatusNotImplemented && !shed {
			log.Error("request failed", "request_id", p.RequestID, "method", c.Request().Method,
				"path", c.Request().URL.Path, "status", p.Status, "error", err.Error())
		}
		if p.Status == 499 {
			return
		}
		if p.Status == http.StatusUnauthorized {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="headlines"`)
		}
		if p.Status == http.StatusInsufficientStorage {
			c.Response().Header().Set("Retry-After", storageRetryAfter)
		}
		if people {
			renderProblemPage(c, p)
			return
		}
		c.Response().Header().Set(echo.HeaderContentType, problemContentType)
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(p.Status)
			return
		}
		c.Response().WriteHeader(p.Status)
		_ = jsonEncode(c.Response(), p)
	}
}

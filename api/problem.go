package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
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

// codeOf is the reverse, for errors raised by Echo itself (no route, wrong method).
func codeOf(status int) news.Code {
	for c, s := range statusOf {
		if s == status && c != news.EInternal {
			return c
		}
	}
	if status >= 500 {
		return news.EInternal
	}
	return news.EInvalid
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
		p.Type = "urn:headlines:problem:" + string(codeOf(he.Code))
		if he.Code == http.StatusNotImplemented {
			p.Type = "urn:headlines:problem:not_implemented"
		}
		if msg, ok := he.Message.(string); ok && msg != "" {
			p.Detail = strings.ToLower(msg[:1]) + msg[1:]
		} else {
			p.Detail = strings.ToLower(http.StatusText(he.Code))
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
	p.Title = http.StatusText(p.Status)
	return p
}

// errorHandler is the one place where errors become responses.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := toProblem(err, c.Response().Header().Get(echo.HeaderXRequestID))
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
		if forPeople(c.Request().URL.Path) {
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

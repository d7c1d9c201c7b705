package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/wire"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// MaxJSONDepth is how deeply arrays and objects may nest in a request
// body: see wire.MaxDepth.
const MaxJSONDepth = wire.MaxDepth

// readJSON reads a request body of one of the allowed media types and
// checks that it is one well-formed JSON value: valid UTF-8, no duplicate
// keys, no trailing data, at most MaxBodyBytes.
func readJSON(c echo.Context, allowed ...string) ([]byte, error) {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	mt, params, err := mime.ParseMediaType(ct)
	ok := err == nil
	if ok {
		ok = false
		for _, a := range allowed {
			ok = ok || mt == a
		}
	}
	if cs, has := params["charset"]; ok && has && !strings.EqualFold(cs, "utf-8") {
		ok = false
	}
	if !ok {
		return nil, news.FieldErrorf(news.EUnsupportedMedia, "Content-Type", "must be %s, got %q", strings.Join(allowed, " or "), ct)
	}
	// Bodies are read as sent: a compressed one would only fail later as
	// bytes that are not JSON.
	if ce := c.Request().Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return nil, news.FieldErrorf(news.EUnsupportedMedia, "Content-Encoding", "must be absent or identity: request bodies are not decompressed, got %q", ce)
	}
	// A body declared too large is refused before any of it is read: the
	// client is not kept waiting to send it, nor told to go on (100
	// Continue), only to hear 413 after the upload.
	if c.Request().ContentLength > MaxBodyBytes {
		return nil, news.Errorf(news.ETooLarge, "the body is larger than %d bytes (Content-Length: %d)", MaxBodyBytes, c.Request().ContentLength)
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, MaxBodyBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, news.Errorf(news.ETooLarge, "the body is larger than %d bytes", MaxBodyBytes)
		}
		return nil, news.Errorf(news.EInvalid, "reading the body: %v", err)
	}
	if len(body) > MaxBodyBytes {
		return nil, news.Errorf(news.ETooLarge, "the body is larger than %d bytes", MaxBodyBytes)
	}
	if err := wire.CheckJSON(body); err != nil {
		return nil, err
	}
	return body, nil
}

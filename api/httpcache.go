package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// bufferWriter holds an answer back so that its ETag can be computed from
// the body before anything is sent.
type bufferWriter struct {
	http.ResponseWriter
	status int
	body   *bytes.Buffer
}

// bufPool recycles response buffers: a list page is about 10 KiB, and not
// allocating it afresh for every request keeps the collector idle.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

func putBuf(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return // one huge answer should not stay in memory
	}
	b.Reset()
	bufPool.Put(b)
}

func (w *bufferWriter) WriteHeader(status int) { w.status = status }

func (w *bufferWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(p)
}

// cacheable says which GET answers carry validators: the API's resources,
// feeds and widgets, not the docs or the operational endpoints.
func cacheable(path string) bool {
	return strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "/embed") || path == "/oembed" || path == "/openapi.json" || path == "/" ||
		strings.HasPrefix(path, "/articles/")
}

// conditional gives every successful GET an ETag and answers a matching
// If-None-Match with 304 and no body. A handler may set its own ETag (an
// article's names its version); otherwise the ETag is a digest of the
// body, so it changes exactly when the answer does. It is weak, since the
// same answer may travel gzip-compressed or not.
func conditional(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || !cacheable(r.URL.Path) {
			return next(c)
		}
		res := c.Response()
		orig := res.Writer
		buf := &bufferWriter{ResponseWriter: orig, body: getBuf()}
		defer putBuf(buf.body)
		res.Writer = buf
		err := next(c)
		res.Writer = orig
		if err != nil && buf.status == 0 {
			return err // nothing written yet: the error handler answers
		}
		status := buf.status
		if status == 0 {
			status = http.StatusOK
		}
		h := res.Header()
		if status == http.StatusOK {
			tag := h.Get("ETag")
			if tag == "" {
				sum := sha256.Sum256(buf.body.Bytes())
				tag = `W/"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
				h.Set("ETag", tag)
			}
			if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, tag) {
				h.Del(echo.HeaderContentType)
				h.Del(echo.HeaderContentLength)
				res.Status = http.StatusNotModified
				orig.WriteHeader(http.StatusNotModified)
				return nil
			}
		}
		res.Status = status
		// The whole answer is at hand: saying its length spares the chunked
		// framing and one write to the connection per answer (a list page
		// is larger than net/http's buffers). Compression, further out,
		// drops the header when it rewrites the body.
		if status != http.StatusNoContent && status != http.StatusNotModified {
			h.Set(echo.HeaderContentLength, strconv.Itoa(buf.body.Len()))
		}
		orig.WriteHeader(status)
		_, werr := orig.Write(buf.body.Bytes())
		return werr
	}
}

// etagMatches is the weak comparison of If-None-Match (RFC 9110 13.1.2).
func etagMatches(list, tag string) bool {
	tag = strings.TrimPrefix(tag, "W/")
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == tag {
			return true
		}
	}
	return false
}

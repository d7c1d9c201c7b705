package api

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/cespare/xxhash/v2"
	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
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
	if path == streamPath {
		return false // never ends: nothing to keep or to digest
	}
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
				tag = bodyETag(buf.body.Bytes())
				h.Set("ETag", tag)
			}
			if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, tag) {
				h.Set("ETag", sentETag(r, tag, buf.body.Len()))
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
// A tag the client got with a compressed answer ("3.2-gzip") matches the
// one it was made from ("3.2"): the content is the same.
func etagMatches(list, tag string) bool {
	tag = strings.TrimPrefix(tag, "W/")
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		if t == tag || identityETag(t) == tag {
			return true
		}
	}
	return false
}

// gzipMinLength is the size from which answers are compressed for
// clients that accept gzip; /metrics compresses itself.
const gzipMinLength = 1024

func gzipSkipped(path string) bool { return path == "/metrics" || path == streamPath }

// gzipETagSuffix marks the strong ETag of a gzip-compressed answer: RFC
// 9110 (8.8.3) has a strong validator change with the content coding,
// so "3.2" goes out as "3.2-gzip" when compressed. Weak ETags (digests
// of lists, feeds and pages) stay as they are: they promise only the
// same content, which a compressed answer has.
const gzipETagSuffix = "-gzip"

// identityETag is the ETag a handler set for the answer that went out
// with tag: tag itself unless it is a strong tag of a compressed answer.
func identityETag(tag string) string {
	if !strings.HasPrefix(tag, "W/") && strings.HasSuffix(tag, gzipETagSuffix+`"`) {
		return tag[:len(tag)-len(gzipETagSuffix)-1] + `"`
	}
	return tag
}

// gzipETag is tag as it goes out on a compressed answer, and whether it
// differs: a strong quoted tag gets gzipETagSuffix, others stay.
func gzipETag(tag string) (string, bool) {
	if tag == "" || strings.HasPrefix(tag, "W/") || !strings.HasSuffix(tag, `"`) {
		return tag, false
	}
	return tag[:len(tag)-1] + gzipETagSuffix + `"`, true
}

// sentETag is the ETag a 200 to r with a body of n bytes would go out
// with: what a 304 must repeat (RFC 9110 15.4.5).
func sentETag(r *http.Request, tag string, n int) string {
	if n < gzipMinLength || gzipSkipped(r.URL.Path) || !strings.Contains(r.Header.Get(echo.HeaderAcceptEncoding), "gzip") {
		return tag
	}
	sent, _ := gzipETag(tag)
	return sent
}

// encodingETags sits just outside the gzip middleware and sees the
// headers of an answer after it has decided to compress: a strong ETag
// then goes out with gzipETagSuffix. The header map is restored right
// after the headers are sent (later changes to it reach nobody), so the
// response cache and idempotent replays, further in, keep the ETag the
// handler set and each later answer is marked by how it is sent.
func encodingETags(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		res := c.Response()
		orig := res.Writer
		res.Writer = &etagEncodingWriter{ResponseWriter: orig}
		defer func() { res.Writer = orig }()
		return next(c)
	}
}

type etagEncodingWriter struct {
	http.ResponseWriter
	wroteHeader bool
}

func (w *etagEncodingWriter) WriteHeader(code int) {
	if w.wroteHeader {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.wroteHeader = true
	h := w.Header()
	tag := h.Get("ETag")
	sent, differs := gzipETag(tag)
	if !differs || h.Get(echo.HeaderContentEncoding) != "gzip" {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	h.Set("ETag", sent)
	w.ResponseWriter.WriteHeader(code)
	h.Set("ETag", tag)
}

func (w *etagEncodingWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *etagEncodingWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

func (w *etagEncodingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// parseETags reads an If-Match or If-None-Match value (RFC 9110 13.1.1):
// "*", or a comma-separated list of entity tags, each in double quotes
// with W/ before a weak one. ok is false for anything else.
func parseETags(v string) (tags []string, ok bool) {
	v = strings.TrimSpace(v)
	if v == "*" {
		return []string{"*"}, true
	}
	for v != "" {
		start := v
		weak := strings.HasPrefix(v, "W/")
		if weak {
			v = v[2:]
		}
		if !strings.HasPrefix(v, `"`) {
			return nil, false
		}
		end := strings.IndexByte(v[1:], '"')
		if end < 0 {
			return nil, false
		}
		for i := 1; i <= end; i++ { // etagc: visible ASCII but the quote, or obs-text
			if c := v[i]; c < 0x21 || c == 0x7f {
				return nil, false
			}
		}
		tags = append(tags, start[:len(start)-len(v)+end+2])
		v = strings.TrimLeft(v[end+2:], " \t")
		if v == "" {
			break
		}
		if v[0] != ',' {
			return nil, false
		}
		v = strings.TrimLeft(v[1:], " \t")
		if v == "" {
			return nil, false
		}
	}
	return tags, len(tags) > 0
}

// preconditionSyntax refuses an If-None-Match that is not "*" or a list
// of quoted entity tags, on the API's reads (/v1/), with a 400 that shows
// the quoting (If-Match is checked where articles are written, see
// ifMatch). Pages and scripts for browsers (/, the widget, the spec)
// ignore a malformed one and answer in full, as they would without it. RFC 9110 leaves the handling of an invalid field to the
// recipient; a malformed If-None-Match is refused rather than ignored,
// since ignoring it would silently turn every revalidation into a full
// download. Clients that echo the ETag header, as browsers and CDNs do,
// never send one.
func preconditionSyntax(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || !strings.HasPrefix(r.URL.Path, "/v1/") {
			return next(c)
		}
		if v := strings.Join(r.Header.Values("If-None-Match"), ", "); strings.TrimSpace(v) != "" {
			if _, ok := parseETags(v); !ok {
				return badETags("If-None-Match", v)
			}
		}
		return next(c)
	}
}

// ifMatchTags reads If-Match: the header as sent (joined, trimmed), and
// the entity tags it lists, nil when it is absent or "*" (any current
// representation). Tags that are not quoted are a 400 (badETags).
func ifMatchTags(c echo.Context) (v string, tags []string, err error) {
	v = strings.TrimSpace(strings.Join(c.Request().Header.Values("If-Match"), ", "))
	if v == "" {
		return "", nil, nil
	}
	tags, ok := parseETags(v)
	if !ok {
		return v, nil, badETags("If-Match", v)
	}
	if tags[0] == "*" {
		return v, nil, nil
	}
	return v, tags, nil
}

// badETags is the 400 for an If-Match or If-None-Match value v that is
// not "*" or a list of quoted entity tags; it shows the quoting.
func badETags(name, v string) error {
	shown := v
	if len(shown) > 100 {
		shown = shown[:100] + "…"
	}
	hint := ""
	if bare := strings.Trim(strings.TrimPrefix(strings.TrimSpace(v), "W/"), `"`); len(bare) <= 100 {
		if _, ok := parseETags(`"` + bare + `"`); ok && !strings.Contains(bare, ",") {
			hint = fmt.Sprintf("; did you mean %s: %q?", name, bare)
		}
	}
	return news.FieldErrorf(news.EInvalid, name,
		`must be * or entity tags in double quotes, exactly as the ETag header gives them (%s: "3.2"), got %s%s`, name, shown, hint)
}

// jsonETag answers v as JSON, as c.JSON does, with the strong digest of
// those bytes as its ETag: for resources that have no version of their
// own (themes), so that what a write returned revalidates against their
// GET, and a write can be made conditional on it (If-Match).
func jsonETag(c echo.Context, status int, v any) error {
	b, err := jsonBody(v)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", strongBodyETag(b))
	return c.JSONBlob(status, b)
}

// jsonBody is v encoded as c.JSON encodes it.
func jsonBody(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// strongBodyETag is the strong entity tag of the identity body: its
// 64-bit xxHash (a compressed answer's carries gzipETagSuffix).
func strongBodyETag(body []byte) string { return strings.TrimPrefix(bodyETag(body), "W/") }

// bodyETag is the weak entity tag of an answer's body: its 64-bit xxHash,
// the same on every instance. It tells two versions of one URL's answer
// apart, which needs no cryptographic strength; SHA-256 cost a list page
// 5% of its CPU (6 µs for its 7 KB), xxHash well under 1 µs.
func bodyETag(body []byte) string {
	var sum [8]byte
	binary.BigEndian.PutUint64(sum[:], xxhash.Sum64(body))
	return `W/"` + base64.RawURLEncoding.EncodeToString(sum[:]) + `"`
}

// refusedGzip drops gzip from a request's Accept-Encoding when the client
// refuses it with q=0 ("gzip;q=0", RFC 9110 §12.5.3), before Echo's gzip
// middleware, which compresses whenever the header names gzip at all.
func refusedGzip(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if ae := h.Get(echo.HeaderAcceptEncoding); strings.Contains(ae, "q=") && !acceptsGzip(ae) {
			h.Set(echo.HeaderAcceptEncoding, "identity")
		}
		return next(c)
	}
}

// acceptsGzip says whether an Accept-Encoding value names gzip with a
// weight above zero.
func acceptsGzip(ae string) bool {
	for part := range strings.SplitSeq(ae, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		for p := range strings.SplitSeq(params, ";") {
			name, value, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(name), "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
				return err == nil && q > 0
			}
		}
		return true
	}
	return false
}

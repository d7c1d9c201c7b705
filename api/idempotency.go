package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
)

// teeWriter passes a response through and keeps a copy of its body.
type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *teeWriter) Write(p []byte) (int, error) {
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

// replayedHeaders are the headers stored with an idempotent answer.
var replayedHeaders = []string{echo.HeaderContentType, echo.HeaderLocation, "ETag"}

// idempotent makes a POST safe to retry: with an Idempotency-Key header,
// the first answer is stored for a day and a repeat of the same request by
// the same caller gets that answer again (marked Idempotent-Replayed)
// instead of a second article. The same key with another body is a 422,
// and a repeat while the first is still running a 409.
func (h *handlers) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.Request().Header.Get("Idempotency-Key")
		if key == "" || h.idem == nil {
			return next(c)
		}
		if len(key) > 255 || !printableASCII(key) {
			return news.FieldErrorf(news.EInvalid, "Idempotency-Key", "must be 1 to 255 printable ASCII characters, such as a UUID")
		}
		principal, _ := c.Get(ctxKeyID).(string)
		body, err := io.ReadAll(io.LimitReader(c.Request().Body, MaxBodyBytes+1))
		if err != nil {
			return news.Errorf(news.EInvalid, "reading the body: %v", err)
		}
		c.Request().Body = io.NopCloser(bytes.NewReader(body))
		if len(body) > MaxBodyBytes {
			return next(c) // refused as too large; nothing to remember
		}
		sum := sha256.New()
		_, _ = io.WriteString(sum, c.Request().Method+" "+c.Request().URL.Path+"\n") // a hash never fails to write
		sum.Write(body)
		hash := hex.EncodeToString(sum.Sum(nil))

		ctx := c.Request().Context()
		stored, err := h.idem.ClaimIdempotencyKey(ctx, principal, key, hash)
		if err != nil {
			return err
		}
		if stored != nil {
			for name, v := range stored.Headers {
				c.Response().Header().Set(name, v)
			}
			c.Response().Header().Set("Idempotent-Replayed", "true")
			c.Response().WriteHeader(stored.Status)
			_, err := c.Response().Write(stored.Body)
			return err
		}
		tee := &teeWriter{ResponseWriter: c.Response().Writer}
		c.Response().Writer = tee
		if err := next(c); err != nil {
			c.Error(err) // write the problem now, so that it is the answer stored
		}
		c.Response().Writer = tee.ResponseWriter
		// The answer is kept even if the client has gone away meanwhile.
		ctx = context.WithoutCancel(ctx)
		status := c.Response().Status
		if status >= 500 {
			return h.idem.ReleaseIdempotencyKey(ctx, principal, key)
		}
		a := news.Answer{Status: status, Headers: map[string]string{}, Body: tee.body.Bytes()}
		for _, name := range replayedHeaders {
			if v := c.Response().Header().Get(name); v != "" {
				a.Headers[name] = v
			}
		}
		return h.idem.CompleteIdempotencyKey(ctx, principal, key, a)
	}
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

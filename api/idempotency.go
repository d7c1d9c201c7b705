package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/wire"
)

// DefaultIdempotencyLease is how long a POST with an Idempotency-Key may
// run when Deps sets no time limit.
const DefaultIdempotencyLease = 30 * time.Second

// ctxClaim is where the idempotent middleware leaves its news.Claim for
// the handler, whose writes then happen at most once per key.
const ctxClaim = "headlines.idempotency.claim"

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
// and a repeat while the first is still running a 409 with Retry-After.
//
// The first run holds the key for a lease as long as its time limit, and
// runs under that deadline. Should it be cut off before its answer is
// stored (the process killed), a retry after the lease takes the key over
// and runs the request again: each write was committed together with a
// record of it, so what the first run wrote is answered, not written
// again, and only the rest is done.
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
		if err := wire.CheckDepth(body); err != nil {
			return err // refused before any work, the claim included; nothing to remember
		}
		sum := sha256.New()
		_, _ = io.WriteString(sum, c.Request().Method+" "+c.Request().URL.Path+"\n") // a hash never fails to write
		sum.Write(body)
		hash := hex.EncodeToString(sum.Sum(nil))

		req := c.Request()
		claim, stored, err := h.idem.ClaimIdempotencyKey(req.Context(), principal, key, hash, h.lease)
		if err != nil {
			if news.ErrorCode(err) == news.EConflict && !claim.Until.IsZero() {
				// Until the lease of the run in progress ends: then it has
				// answered, or a retry takes over.
				wait := max(1, int(math.Ceil(time.Until(claim.Until).Seconds())))
				c.Response().Header().Set("Retry-After", strconv.Itoa(wait))
			}
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

		ctx, cancel := context.WithTimeout(req.Context(), h.lease)
		defer cancel()
		c.SetRequest(req.WithContext(ctx))
		c.Set(ctxClaim, claim)
		tee := &teeWriter{ResponseWriter: c.Response().Writer}
		c.Response().Writer = tee
		err = next(c)
		if err != nil && news.ErrorCode(err) == news.EInternal && errors.Is(ctx.Err(), context.DeadlineExceeded) && req.Context().Err() == nil {
			err = news.Errorf(news.EUnavailable, "the request ran past its time limit of %s; retry it with the same Idempotency-Key, and what it stored is not stored twice", h.lease)
		}
		if err != nil {
			c.Error(err) // write the problem now, so that it is the answer stored
		}
		c.Response().Writer = tee.ResponseWriter
		c.SetRequest(req)
		// The answer is kept even if the client has gone away meanwhile.
		bg := context.WithoutCancel(req.Context())
		status := c.Response().Status
		if !c.Response().Committed || status >= 500 || unreadRequest[status] {
			// No answer (the client left), the server's failure, or a
			// request that could not be read as one (a wrong Content-Type,
			// say: the hash does not cover it): a retry runs again at once,
			// and finds what this run committed, if anything.
			if err := h.idem.ReleaseIdempotencyKey(bg, claim); err != nil {
				// A retry takes the key over when the lease ends.
				h.log.Error("releasing an idempotency key", "request_id", c.Response().Header().Get(echo.HeaderXRequestID),
					"path", req.URL.Path, "error", err.Error())
			}
			return nil
		}
		a := news.Answer{Status: status, Headers: map[string]string{}, Body: tee.body.Bytes()}
		for _, name := range replayedHeaders {
			if v := c.Response().Header().Get(name); v != "" {
				a.Headers[name] = v
			}
		}
		if err := h.idem.CompleteIdempotencyKey(bg, claim, a); err != nil {
			// The answer is sent; a retry after the lease takes the key
			// over and answers the same writes.
			h.log.Error("storing an idempotent answer", "request_id", c.Response().Header().Get(echo.HeaderXRequestID),
				"path", req.URL.Path, "error", err.Error())
		}
		return nil
	}
}

// unreadRequest are the answers to a request refused before it was read
// as one: nothing was done, so nothing is remembered, and the corrected
// request may use the same key.
var unreadRequest = map[int]bool{
	http.StatusBadRequest: true, http.StatusRequestEntityTooLarge: true, http.StatusUnsupportedMediaType: true,
}

// createOnce stores d: once per Idempotency-Key when the request has one.
func (h *handlers) createOnce(c echo.Context, d news.Draft) (news.Article, error) {
	ctx := c.Request().Context()
	if claim, ok := c.Get(ctxClaim).(news.Claim); ok {
		return h.idem.CreateArticleOnce(ctx, claim.Item(0), d)
	}
	return h.articles.CreateArticle(ctx, d)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

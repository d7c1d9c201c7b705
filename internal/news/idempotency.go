package news

import (
	"context"
	"time"
)

// IdempotencyTTL is how long a POST's first answer is kept for replay.
const IdempotencyTTL = 24 * time.Hour

// Answer is a stored HTTP answer: what a repeated request gets back.
type Answer struct {
	Status  int
	Headers map[string]string
	Body    []byte
}

// IdempotencyService remembers the first answer to a request made with an
// Idempotency-Key, per caller.
type IdempotencyService interface {
	// ClaimIdempotencyKey reserves key for principal and a request with
	// this hash. It returns nil when the caller should go ahead, or the
	// stored first answer to replay. EConflict while the first request is
	// still in progress; EValidation when the key was used for a
	// different request.
	ClaimIdempotencyKey(ctx context.Context, principal, key, requestHash string) (*Answer, error)
	// CompleteIdempotencyKey stores the answer of a claimed key.
	CompleteIdempotencyKey(ctx context.Context, principal, key string, a Answer) error
	// ReleaseIdempotencyKey forgets a claimed key whose request failed on
	// the server's side, so that a retry runs again.
	ReleaseIdempotencyKey(ctx context.Context, principal, key string) error
}

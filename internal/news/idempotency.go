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

// A Claim is the right to run the request of one Idempotency-Key. It is a
// lease: it lasts until Until, the end of the request's time limit. A
// claim still unanswered after that belongs to a request that was cut
// off (the process died mid-way), and a retry of the same request may
// take it over; the writes it finds already committed (see Once) are
// then returned, not made again.
type Claim struct {
	Principal, Key string
	Until          time.Time
}

// Item names the write of the claimed request's item i.
func (c Claim) Item(i int) Once {
	return Once{Principal: c.Principal, Key: c.Key, Item: i}
}

// Once names one write of a request made with an Idempotency-Key: the
// caller, the key and the item (0 for a single create, the index in a
// batch). A store commits the write together with the record of it, so
// that a second run of the request finds the write made and does not
// make it again.
type Once struct {
	Principal, Key string
	Item           int
}

// IdempotencyService remembers the first answer to a request made with an
// Idempotency-Key, per caller, and makes each of its writes at most once.
type IdempotencyService interface {
	// ClaimIdempotencyKey reserves key for principal and a request with
	// this hash for lease, the request's time limit. It returns the claim
	// when the caller should go ahead (a new key, or a claim whose lease
	// ended unanswered), or the stored first answer to replay. EConflict
	// while another run of the request holds the lease (the claim
	// returned with it says until when); EValidation when the key was
	// used for a different request.
	ClaimIdempotencyKey(ctx context.Context, principal, key, requestHash string, lease time.Duration) (Claim, *Answer, error)
	// CompleteIdempotencyKey stores the answer of a claimed key, unless
	// another run of the request stored one first.
	CompleteIdempotencyKey(ctx context.Context, c Claim, a Answer) error
	// ReleaseIdempotencyKey forgets a claim whose request failed on the
	// server's side, so that a retry runs again at once. A claim taken
	// over by another run meanwhile is left to it.
	ReleaseIdempotencyKey(ctx context.Context, c Claim) error
	// CreateArticleOnce is CreateArticle for the write o: when a run of
	// the same request committed it already, it creates nothing and
	// returns that article as now stored (ENotFound if it has since been
	// deleted). Other errors as CreateArticle.
	CreateArticleOnce(ctx context.Context, o Once, d Draft) (Article, error)
	// UpsertArticleOnce is UpsertArticle for the write o, made at most
	// once in the same way; created says what the first run did.
	UpsertArticleOnce(ctx context.Context, o Once, d Draft) (a Article, created bool, err error)
}

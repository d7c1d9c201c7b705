package news

import (
	"context"
	"time"
)

// Change is one entry of the change feed: an article as it now is
// (Deleted false), or the fact that it is gone (Deleted true, Article nil).
// Each article appears once, at the sequence number of its latest change.
type Change struct {
	Seq     int64
	ID      int64
	Deleted bool
	At      time.Time
	Article *Article
}

// Change feed bounds.
const (
	DefaultChanges = 100
	MaxChanges     = 1000
)

// ChangeService reads the change feed.
type ChangeService interface {
	// Changes returns up to limit changes after sequence number after, in
	// commit order. Without withDrafts, a draft reads as a deletion: to
	// the public it is not there.
	Changes(ctx context.Context, after int64, limit int, withDrafts bool) ([]Change, error)
	// LastChange is the sequence number of the newest change.
	LastChange(ctx context.Context) (int64, error)
}

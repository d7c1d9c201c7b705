package news

import (
	"context"
	"time"
)

// Tombstone is what is kept of a deleted article for the change feed: its
// id, which is never handed out again, the version its deletion made (its
// last version plus one) and when it was deleted.
type Tombstone struct {
	ID        int64
	Version   int
	DeletedAt time.Time
}

// FeedEntry is an article's or a tombstone's entry in the change feed:
// its sequence number and when it was written. Seq 0 means none.
type FeedEntry struct {
	Seq int64
	At  time.Time
}

// Outcome is what a write of one imported record did.
type Outcome uint8

// The outcomes of an imported record.
const (
	Created   Outcome = iota + 1 // a new article (or tombstone)
	Updated                      // the stored article took the record's fields: a new version and change
	Unchanged                    // the stored article already held the record: nothing written
)

// A DumpWriter receives everything a store holds, from one snapshot, in
// this order: every theme by slug, every country by code, every article
// by id with its change-feed entry, every tombstone by id with its
// entry, then End with the change counter (the newest sequence number,
// which vocabulary edits advance too).
type DumpWriter interface {
	Theme(Theme) error
	Country(Country) error
	Article(Article, FeedEntry) error
	Tombstone(Tombstone, FeedEntry) error
	End(changeSeq int64) error
}

// A Dumper writes everything it holds to a DumpWriter.
type Dumper interface {
	Dump(ctx context.Context, w DumpWriter) error
}

// A Restore takes back what a DumpWriter received, in the same order. Into
// a store that has never held an article it is exact: ids, versions,
// times, tag sources and change-feed entries as given, the vocabulary
// replaced, the change counter set at Commit; nothing is stored unless
// Commit succeeds. Into one that has, it merges (see Exact).
//
// A record that cannot be applied is refused with an EValidation or
// EConflict error naming the field, and the others go on; any other error
// ends the restore.
type Restore interface {
	// Exact reports whether the store was empty when the restore began.
	Exact() bool
	// Theme adds or updates a theme by slug.
	Theme(ctx context.Context, t Theme) error
	// Country updates a country's name, aliases and keywords by code.
	Country(ctx context.Context, c Country) error
	// Articles stores articles with their feed entries; errs[i] refuses
	// list[i], else out[i] says what it did.
	Articles(ctx context.Context, list []Article, feed []FeedEntry) (out []Outcome, errs []error, err error)
	// Tombstones stores tombstones with their feed entries, as Articles.
	Tombstones(ctx context.Context, list []Tombstone, feed []FeedEntry) (out []Outcome, errs []error, err error)
	// Commit ends the restore: exact, it sets the change counter to
	// changeSeq (at least the newest entry restored) and stores everything.
	Commit(ctx context.Context, changeSeq int64) error
	// Rollback drops what was not committed.
	Rollback()
}

// A Restorer can start a Restore.
type Restorer interface {
	BeginRestore(ctx context.Context) (Restore, error)
}

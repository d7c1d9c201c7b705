// Package transfer moves articles in and out of a store: Import reads
// plain article lines (the API's ArticleInput, as JSON Lines or one JSON
// array) or an export, and Export writes an export, everything a move
// between databases must carry (see format.go). The records are decoded
// on every core and stored in input order, in batches.
package transfer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/headlines/headlines/internal/news"
)

// Target is what an import writes to; *store.Store is one. One that is
// also a news.BulkLoader fills an empty database with plain lines in one
// load.
type Target interface {
	news.Resolver
	news.Restorer
	// UpsertDrafts upserts drafts by url in one transaction, all or none,
	// saying what each did.
	UpsertDrafts(ctx context.Context, drafts []news.Draft) ([]news.Outcome, error)
}

// Result counts what an import did.
type Result struct {
	// Articles created, updated (a new version) and unchanged (the stored
	// article held the record already), and lines refused (of any kind).
	Created, Updated, Unchanged, Failed int
	// Export says that the input was an export; Exact, that it went into
	// an empty database, which now holds what the export's database held.
	Export, Exact bool
	// An export's themes, countries and tombstones taken.
	Themes, Countries, Tombstones int
	Errors                        []LineError
	marks                         int // an export's first and end lines, once read
}

// Records is how many records (lines, or elements of an array) the
// import has handled, whatever became of them.
func (r Result) Records() int {
	return r.Created + r.Updated + r.Unchanged + r.Failed + r.Themes + r.Countries + r.Tombstones + r.marks
}

// LineError is one refused record.
type LineError struct {
	Line int // 1-based line (JSON Lines) or element index + 1 (JSON array)
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// fail counts a refused record; an internal error ends the import instead.
func (r *Result) fail(line int, err error) error {
	if news.ErrorCode(err) == news.EInternal {
		return fmt.Errorf("line %d: %w", line, err)
	}
	r.Failed++
	r.Errors = append(r.Errors, LineError{Line: line, Err: err})
	return nil
}

// count counts an article's outcome.
func (r *Result) count(o news.Outcome) {
	switch o {
	case news.Created:
		r.Created++
	case news.Updated:
		r.Updated++
	case news.Unchanged:
		r.Unchanged++
	}
}

// importBatch is how many records an import stores per transaction: large
// enough that index pages touched by many records are written once.
const importBatch = 5000

// Import reads r and stores what it holds into t: an export when its
// first line is an export's (see importExport), else articles in the
// API's input shape, as JSON Lines or one JSON array, upserted by url
// (see importPlain). A bad record is reported with its line; progress,
// when not nil, is called after every batch stored. The Result counts
// what was stored; an error ends the import.
func Import(ctx context.Context, r io.Reader, t Target, progress func(Result)) (Result, error) {
	var res Result
	br := bufio.NewReaderSize(r, 1<<16)
	first, err := peekNonSpace(br)
	if errors.Is(err, io.EOF) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	if first != '[' {
		head, _ := br.Peek(br.Size()) // the first line, if it is not longer than the buffer
		n := len(head)
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			head, n = head[:i], i+1
		}
		if isHeader(head) {
			if err := readHeader(head); err != nil {
				return res, fmt.Errorf("line 1: %w", err)
			}
			_, _ = br.Discard(n)
			return importExport(ctx, br, t, progress)
		}
	}
	return importPlain(ctx, br, first == '[', t, progress)
}

// records reads the records of br from line first on (or the elements of
// a JSON array), decodes them with decode on every core, and hands each,
// in input order, to take, or to fail when it could not be decoded. It
// returns the error that ended the import, if any.
func records(ctx context.Context, br *bufio.Reader, array bool, first int, decode func(*record), take func(record) error, fail func(int, error) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks, readErr := readChunks(ctx, br, array, first)
	var failed error
	for c := range decodeChunks(chunks, decode) {
		if failed != nil {
			continue // drain, so that the decoders end
		}
		for _, rec := range c.records {
			if rec.err != nil {
				failed = fail(rec.line, rec.err)
			} else {
				failed = take(rec)
			}
			if failed != nil {
				cancel()
				break
			}
		}
	}
	if failed == nil {
		failed = *readErr
	}
	if failed == nil {
		failed = ctx.Err()
	}
	return failed
}

// sortErrors puts the refused records in line order: a batch's are
// counted when it is stored, after bad records that came later.
func (r *Result) sortErrors() {
	slices.SortStableFunc(r.Errors, func(a, b LineError) int { return a.Line - b.Line })
}

package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/wire"
)

// ImportResult counts what an import did.
type ImportResult struct {
	Created, Updated, Failed int
	Errors                   []ImportError
}

// ImportError is one rejected record.
type ImportError struct {
	Line int // 1-based line (JSON Lines) or element index + 1 (JSON array)
	Err  error
}

func (e ImportError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Import reads articles in the API's input shape, as JSON Lines or as one
// JSON array, and upserts each by url. A bad record is reported with its
// line and skipped; the good ones are kept. progress, when not nil, is
// called after every batch stored.
//
// Records are decoded on every core, a chunk at a time, and stored in
// input order. Into a store that can load in bulk (SQLite with no articles
// yet) the import is one load, all or nothing; otherwise good records are
// stored in batches, one transaction each, so that a large import does not
// wait for a disk flush per article. A batch the database refuses is
// stored again one record at a time, so that the refused record is
// reported by its line and the others are kept.
func Import(ctx context.Context, r io.Reader, svc news.ArticleService, res news.Resolver, progress func(ImportResult)) (ImportResult, error) {
	var out ImportResult
	br := bufio.NewReaderSize(r, 1<<16)
	first, err := peekNonSpace(br)
	if errors.Is(err, io.EOF) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	var load news.Loader
	if bl, ok := svc.(news.BulkLoader); ok {
		if load, err = bl.BeginLoad(ctx); err != nil {
			return out, err
		}
	}
	if load != nil {
		defer load.Rollback()
	}
	count := func(line int, created bool, err error) error {
		switch {
		case err != nil && news.ErrorCode(err) == news.EInternal:
			return fmt.Errorf("line %d: %w", line, err)
		case err != nil:
			out.Failed++
			out.Errors = append(out.Errors, ImportError{Line: line, Err: err})
		case created:
			out.Created++
		default:
			out.Updated++
		}
		return nil
	}
	store := func(batch []record) error {
		drafts := make([]news.Draft, len(batch))
		for i, p := range batch {
			drafts[i] = p.draft
		}
		var created []bool
		var err error
		if load != nil {
			if created, err = load.Add(ctx, drafts); err != nil {
				return err
			}
		} else {
			created, err = svc.UpsertArticles(ctx, drafts)
		}
		if err == nil {
			for i, p := range batch {
				if err := count(p.line, created[i], nil); err != nil {
					return err
				}
			}
		} else {
			for _, p := range batch {
				_, c, err := svc.UpsertArticle(ctx, p.draft)
				if err := count(p.line, c, err); err != nil {
					return err
				}
			}
		}
		if progress != nil {
			progress(out)
		}
		return nil
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks, readErr := readChunks(ctx, br, first == '[')
	decoded := decodeChunks(ctx, chunks, res)
	batch := make([]record, 0, importBatch)
	var failed error
	for c := range decoded {
		if failed != nil {
			continue // drain, so that the decoders end
		}
		for _, rec := range c.records {
			if rec.err != nil {
				failed = count(rec.line, false, rec.err)
			} else if batch = append(batch, rec); len(batch) == importBatch {
				failed, batch = store(batch), batch[:0]
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
	if failed == nil && len(batch) > 0 {
		failed = store(batch)
	}
	if failed == nil && load != nil {
		failed = load.Commit(ctx)
	}
	if failed != nil && load != nil {
		out.Created, out.Updated = 0, 0 // the load is undone
	}
	// A batch's refused records are counted when it is stored, after bad
	// records that came later in the input: report them in line order.
	slices.SortStableFunc(out.Errors, func(a, b ImportError) int { return a.Line - b.Line })
	return out, failed
}

// A record is one article of an import, decoded, or why it is not.
type record struct {
	line  int
	raw   []byte
	draft news.Draft
	err   error
}

type chunk struct {
	records []record
	done    chan struct{} // closed when records are decoded
}

// importChunk is how many records a decoder takes at a time.
const importChunk = 256

// readChunks reads records from br, JSON Lines or (array) the elements of
// one JSON array, and sends them in chunks. The error that ended reading,
// if any but the end of input, is in *err once the channel is closed.
func readChunks(ctx context.Context, br *bufio.Reader, array bool) (<-chan *chunk, *error) {
	out := make(chan *chunk)
	var failed error
	go func() {
		defer close(out)
		c := &chunk{done: make(chan struct{})}
		send := func() bool {
			if len(c.records) == 0 {
				return true
			}
			select {
			case out <- c:
				c = &chunk{done: make(chan struct{})}
				return true
			case <-ctx.Done():
				return false
			}
		}
		add := func(rec record) bool {
			c.records = append(c.records, rec)
			return len(c.records) < importChunk || send()
		}
		if array {
			dec := json.NewDecoder(br)
			if _, err := dec.Token(); err != nil {
				failed = err
				return
			}
			for i := 1; dec.More(); i++ {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					if send() {
						failed = fmt.Errorf("element %d: malformed JSON: %w", i, err)
					}
					return
				}
				if !add(record{line: i, raw: raw}) {
					return
				}
			}
			send()
			return
		}
		for line := 1; ; line++ {
			raw, tooLong, err := readLine(br)
			if err != nil && !errors.Is(err, io.EOF) {
				if send() {
					failed = fmt.Errorf("reading line %d: %w", line, err)
				}
				return
			}
			ok := true
			switch {
			case tooLong:
				ok = add(record{line: line, err: news.Errorf(news.ETooLarge, "the line is longer than %d bytes", MaxBodyBytes)})
			case len(bytes.TrimSpace(raw)) > 0:
				ok = add(record{line: line, raw: bytes.TrimSpace(raw)})
			}
			if !ok {
				return
			}
			if errors.Is(err, io.EOF) {
				send()
				return
			}
		}
	}()
	return out, &failed
}

// decodeChunks decodes chunks on every core and passes them on in the
// order they came.
func decodeChunks(ctx context.Context, in <-chan *chunk, res news.Resolver) <-chan *chunk {
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *chunk)
	ordered := make(chan *chunk, 4*workers)
	go func() {
		defer close(work)
		defer close(ordered)
		for c := range in {
			ordered <- c
			work <- c
		}
	}()
	for range workers {
		go func() {
			for c := range work {
				for i := range c.records {
					rec := &c.records[i]
					if rec.err == nil {
						rec.draft, rec.err = wire.DecodeDraft(ctx, rec.raw, res)
						rec.raw = nil
					}
				}
				close(c.done)
			}
		}()
	}
	out := make(chan *chunk)
	go func() {
		defer close(out)
		for c := range ordered {
			<-c.done
			out <- c
		}
	}()
	return out
}

// readLine reads one line of at most MaxBodyBytes; a longer one is read to
// its end, dropped and reported as tooLong, so the next line still counts.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > MaxBodyBytes+1 {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return line, tooLong, err
	}
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.Peek(1)
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = br.ReadByte()
		default:
			return b[0], nil
		}
	}
}

// importBatch is how many records an import stores per transaction: large
// enough that index pages touched by many records are written once.
const importBatch = 5000

// Export writes every article, drafts included, as JSON Lines in the import
// shape, so that importing the output reproduces the articles.
func Export(ctx context.Context, w io.Writer, svc news.ArticleService) (int, error) {
	bw := bufio.NewWriter(w)
	n := 0
	err := svc.EachArticle(ctx, func(a news.Article) error {
		in := wire.ArticleInput{
			Title: a.Title, Summary: a.Summary, Body: a.Body, Source: a.Source, Section: a.Section,
			Language: a.Language, Status: string(a.Status), Countries: &a.Countries, Themes: &a.Themes,
		}
		// Automatic tags are left out, so that an import tags them again
		// (and keeps them automatic) rather than freezing them as an editor's.
		if a.AutoCountries {
			in.Countries = nil
		}
		if a.AutoThemes {
			in.Themes = nil
		}
		for _, p := range []struct {
			dst **string
			v   string
		}{{&in.URL, a.URL}, {&in.ImageURL, a.ImageURL}, {&in.Author, a.Author}} {
			if p.v != "" {
				v := p.v
				*p.dst = &v
			}
		}
		pub := a.PublishedAt.Format(time.RFC3339Nano)
		in.PublishedAt = &pub
		n++
		return jsonEncode(bw, in)
	})
	if err != nil {
		return n, err
	}
	return n, errors.Join(bw.Flush())
}

package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/headlines/headlines/internal/news"
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
// called after every record.
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
	// Good records are stored in batches, one transaction each, so that a
	// large import does not wait for a disk flush per article. A batch the
	// database refuses is stored again one record at a time, so that the
	// refused record is reported by its line and the others are kept.
	type pending struct {
		line  int
		draft news.Draft
	}
	var batch []pending
	var mu sync.Mutex // guards out: decoding and storing run side by side
	count := func(line int, created bool, err error) error {
		mu.Lock()
		defer mu.Unlock()
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
	store := func(batch []pending) error {
		drafts := make([]news.Draft, len(batch))
		for i, p := range batch {
			drafts[i] = p.draft
		}
		created, err := svc.UpsertArticles(ctx, drafts)
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
			mu.Lock()
			progress(out)
			mu.Unlock()
		}
		return nil
	}
	// One batch is stored while the next is decoded: the two take about
	// the same time, and there are two cores.
	var storing chan error
	wait := func() error {
		if storing == nil {
			return nil
		}
		err := <-storing
		storing = nil
		return err
	}
	flush := func() error {
		if err := wait(); err != nil || len(batch) == 0 {
			return err
		}
		storing = make(chan error, 1)
		go func(b []pending) { storing <- store(b) }(batch)
		batch = make([]pending, 0, importBatch)
		return nil
	}
	finish := func() (ImportResult, error) {
		err := flush()
		if werr := wait(); err == nil {
			err = werr
		}
		// Decoding errors of one batch may be counted before storing errors
		// of the one before: report them in line order.
		slices.SortStableFunc(out.Errors, func(a, b ImportError) int { return a.Line - b.Line })
		return out, err
	}
	// abort ends the import on err once the batch being stored is done.
	abort := func(err error) (ImportResult, error) {
		if werr := wait(); werr != nil && news.ErrorCode(werr) == news.EInternal {
			err = errors.Join(err, werr)
		}
		return out, err
	}
	one := func(line int, raw []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		d, err := decodeDraft(ctx, raw, res)
		if err != nil {
			return count(line, false, err)
		}
		batch = append(batch, pending{line, d})
		if len(batch) == importBatch {
			return flush()
		}
		return nil
	}
	if first == '[' {
		dec := json.NewDecoder(br)
		if _, err := dec.Token(); err != nil {
			return out, err
		}
		for i := 1; dec.More(); i++ {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return abort(fmt.Errorf("element %d: malformed JSON: %w", i, err))
			}
			if err := one(i, raw); err != nil {
				return abort(err)
			}
		}
		return finish()
	}
	for line := 1; ; line++ {
		raw, tooLong, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return abort(fmt.Errorf("reading line %d: %w", line, err))
		}
		switch {
		case tooLong:
			_ = count(line, false, news.Errorf(news.ETooLarge, "the line is longer than %d bytes", MaxBodyBytes))
		case len(bytes.TrimSpace(raw)) > 0:
			if err := one(line, bytes.TrimSpace(raw)); err != nil {
				return abort(err)
			}
		}
		if errors.Is(err, io.EOF) {
			return finish()
		}
	}
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

// decodeDraft checks and decodes one article in the input shape.
func decodeDraft(ctx context.Context, raw []byte, res news.Resolver) (news.Draft, error) {
	if in, ok := decodeInputFast(raw); ok {
		return in.toDraft(ctx, res)
	}
	if err := checkJSON(raw); err != nil {
		return news.Draft{}, err
	}
	var in ArticleInput
	if err := decodeStrict(raw, &in); err != nil {
		return news.Draft{}, err
	}
	return in.toDraft(ctx, res)
}

// upsertRaw checks, decodes and upserts one article in the input shape:
// what batch does for each item.
func upsertRaw(ctx context.Context, raw []byte, svc news.ArticleService, res news.Resolver) (news.Article, bool, error) {
	d, err := decodeDraft(ctx, raw, res)
	if err != nil {
		return news.Article{}, false, err
	}
	return svc.UpsertArticle(ctx, d)
}

// Export writes every article, drafts included, as JSON Lines in the import
// shape, so that importing the output reproduces the articles.
func Export(ctx context.Context, w io.Writer, svc news.ArticleService) (int, error) {
	bw := bufio.NewWriter(w)
	n := 0
	err := svc.EachArticle(ctx, func(a news.Article) error {
		in := ArticleInput{
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

package transfer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/headlines/headlines/internal/news"
)

// MaxLineBytes is the longest line (or array element) an import reads:
// what one request body may hold.
const MaxLineBytes = 1 << 20

// A record is one line of an import, decoded, or why it is not.
type record struct {
	line  int
	raw   []byte
	draft news.Draft // a plain article
	// A line of an export, by pointer: inline it made every record of a
	// plain import (which has none) 904 bytes long rather than 296, and a
	// record is copied into its chunk and its batch.
	item *item
	err  error
}

type chunk struct {
	records []record
	done    chan struct{} // closed when records are decoded
}

// importChunk is how many records a decoder takes at a time.
const importChunk = 256

func newChunk() *chunk {
	return &chunk{records: make([]record, 0, importChunk), done: make(chan struct{})}
}

// chunker gathers records into chunks and sends them.
type chunker struct {
	ctx context.Context
	out chan<- *chunk
	c   *chunk
}

// send sends the chunk being filled, if it holds anything, and says
// whether the import goes on.
func (k *chunker) send() bool {
	if len(k.c.records) == 0 {
		return true
	}
	select {
	case k.out <- k.c:
		k.c = newChunk()
		return true
	case <-k.ctx.Done():
		return false
	}
}

func (k *chunker) add(rec record) bool {
	k.c.records = append(k.c.records, rec)
	return len(k.c.records) < importChunk || k.send()
}

// readChunks reads records from br, JSON Lines from line first on or
// (array) the elements of one JSON array, and sends them in chunks. The
// error that ended reading, if any but the end of input, is in *err once
// the channel is closed.
func readChunks(ctx context.Context, br *bufio.Reader, array bool, first int) (<-chan *chunk, *error) {
	out := make(chan *chunk)
	var failed error
	go func() {
		defer close(out)
		k := &chunker{ctx: ctx, out: out, c: newChunk()}
		if array {
			failed = readArray(br, k)
		} else {
			failed = readLines(br, k, first)
		}
	}()
	return out, &failed
}

func readArray(br *bufio.Reader, k *chunker) error {
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil {
		return err
	}
	for i := 1; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if k.send() {
				return fmt.Errorf("element %d: malformed JSON: %w", i, err)
			}
			return nil
		}
		if !k.add(record{line: i, raw: raw}) {
			return nil
		}
	}
	k.send()
	return nil
}

func readLines(br *bufio.Reader, k *chunker, first int) error {
	for line := first; ; line++ {
		raw, tooLong, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			if k.send() {
				return fmt.Errorf("reading line %d: %w", line, err)
			}
			return nil
		}
		ok := true
		switch {
		case tooLong:
			ok = k.add(record{line: line, err: news.Errorf(news.ETooLarge, "the line is longer than %d bytes", MaxLineBytes)})
		case len(bytes.TrimSpace(raw)) > 0:
			ok = k.add(record{line: line, raw: bytes.TrimSpace(raw)})
		}
		if !ok {
			return nil
		}
		if errors.Is(err, io.EOF) {
			k.send()
			return nil
		}
	}
}

// decodeChunks decodes chunks on every core with decode and passes them
// on in the order they came.
func decodeChunks(in <-chan *chunk, decode func(rec *record)) <-chan *chunk {
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
					if rec := &c.records[i]; rec.err == nil {
						decode(rec)
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

// readLine reads one line of at most MaxLineBytes; a longer one is read to
// its end, dropped and reported as tooLong, so the next line still counts.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > MaxLineBytes+1 {
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

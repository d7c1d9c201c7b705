package transfer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/wire"
)

// ExportResult counts what an export wrote.
type ExportResult struct {
	Themes, Countries, Articles, Tombstones int
	ChangeSeq                               int64 // the change counter
}

// Export writes everything st holds as an export (see the format above):
// importing it into an empty database, SQLite or PostgreSQL, gives the
// same vocabulary, articles (ids, versions, status, times, tag sources),
// tombstones and change feed. progress, when not nil, is called with each
// article written.
func Export(ctx context.Context, w io.Writer, st news.Dumper, progress func(articles int)) (ExportResult, error) {
	ew := &exportWriter{bw: bufio.NewWriterSize(w, 1<<16), progress: progress}
	ew.buf.WriteString(`{"export":`)
	ew.json(header{Format: Format, Version: FormatVersion})
	if err := ew.line(); err != nil {
		return ew.res, err
	}
	if err := st.Dump(ctx, ew); err != nil {
		return ew.res, err
	}
	return ew.res, ew.bw.Flush()
}

// exportWriter writes an export, one line at a time.
type exportWriter struct {
	bw       *bufio.Writer
	buf      bytes.Buffer // the line being written
	res      ExportResult
	progress func(int)
}

func (e *exportWriter) json(v any) {
	b, _ := json.Marshal(v) // the records are plain structs of strings, numbers and times
	e.buf.Write(b)
}

// line ends the object being written and writes it out as a line.
func (e *exportWriter) line() error {
	e.buf.WriteString("}\n")
	_, err := e.bw.Write(e.buf.Bytes())
	e.buf.Reset()
	return err
}

func (e *exportWriter) Theme(t news.Theme) error {
	e.res.Themes++
	e.buf.WriteString(`{"theme":`)
	e.json(themeRecord{Slug: t.Slug, Name: t.Name, Description: t.Description, Aliases: orEmpty(t.Aliases), Keywords: orEmpty(t.Keywords)})
	return e.line()
}

func (e *exportWriter) Country(c news.Country) error {
	e.res.Countries++
	e.buf.WriteString(`{"country":`)
	e.json(countryRecord{Code: c.Code, Name: c.Name, Aliases: orEmpty(c.Aliases), Keywords: orEmpty(c.Keywords)})
	return e.line()
}

// Article writes a in the API's Article shape, with every field, through
// its fast writer.
func (e *exportWriter) Article(a news.Article, f news.FeedEntry) error {
	e.res.Articles++
	e.buf.WriteString(`{"article":`)
	wire.NewWriter(&e.buf).Article(&a, wire.AllFields)
	e.change(f)
	if e.progress != nil {
		e.progress(e.res.Articles)
	}
	return e.line()
}

func (e *exportWriter) Tombstone(t news.Tombstone, f news.FeedEntry) error {
	e.res.Tombstones++
	e.buf.WriteString(`{"tombstone":`)
	e.json(tombstoneRecord{ID: t.ID, Version: t.Version, DeletedAt: t.DeletedAt.UTC()})
	e.change(f)
	return e.line()
}

// change writes a record's feed entry, when it has one.
func (e *exportWriter) change(f news.FeedEntry) {
	if f.Seq == 0 {
		return
	}
	e.buf.WriteString(`,"change":`)
	e.json(changeRecord{Seq: f.Seq, At: f.At.UTC()})
}

func (e *exportWriter) End(changeSeq int64) error {
	e.res.ChangeSeq = changeSeq
	e.buf.WriteString(`{"end":`)
	e.json(endRecord{Themes: e.res.Themes, Countries: e.res.Countries, Articles: e.res.Articles, Tombstones: e.res.Tombstones, ChangeSeq: changeSeq})
	return e.line()
}

package transfer

import (
	"bufio"
	"context"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/wire"
)

// importPlain upserts articles in the API's input shape by url. A bad
// record is reported with its line and skipped; the good ones are kept.
//
// Into a target that can load in bulk (a database with no articles yet)
// the import is one load, all or nothing; otherwise good records are stored
// in batches, one transaction each, so that a large import does not wait
// for a disk flush per article. A record identical to its stored article
// changes nothing. A batch the database refuses is stored again one
// record at a time, so that the refused record is reported by its line
// and the others are kept.
func importPlain(ctx context.Context, br *bufio.Reader, array bool, t Target, progress func(Result)) (Result, error) {
	p := &plainImport{ctx: ctx, t: t, progress: progress}
	if bl, ok := t.(news.BulkLoader); ok {
		var err error
		if p.load, err = bl.BeginLoad(ctx); err != nil {
			return p.res, err
		}
	}
	if p.load != nil {
		defer p.load.Rollback()
	}
	batch := make([]record, 0, importBatch)
	decode := func(rec *record) { rec.draft, rec.err = wire.DecodeDraft(ctx, rec.raw, t) }
	take := func(rec record) error {
		if batch = append(batch, rec); len(batch) < importBatch {
			return nil
		}
		err := p.store(batch)
		batch = batch[:0]
		return err
	}
	failed := records(ctx, br, array, 1, decode, take, p.res.fail)
	if failed == nil && len(batch) > 0 {
		failed = p.store(batch)
	}
	if failed == nil && p.load != nil {
		failed = p.load.Commit(ctx)
	}
	if failed != nil && p.load != nil {
		p.res.Created, p.res.Updated = 0, 0 // the load is undone
	}
	p.res.sortErrors()
	return p.res, failed
}

// plainImport is an import of plain article lines under way.
type plainImport struct {
	ctx      context.Context
	t        Target
	load     news.Loader // nil when the target upserts
	res      Result
	progress func(Result)
}

// store stores a batch of decoded records.
func (p *plainImport) store(batch []record) error {
	drafts := make([]news.Draft, len(batch))
	for i, r := range batch {
		drafts[i] = r.draft
	}
	out, err := p.storeDrafts(drafts)
	if err == nil {
		for _, o := range out {
			p.res.count(o)
		}
	} else {
		if p.load != nil {
			return err
		}
		for _, r := range batch {
			out, err := p.t.UpsertDrafts(p.ctx, []news.Draft{r.draft})
			if err != nil {
				if err := p.res.fail(r.line, err); err != nil {
					return err
				}
				continue
			}
			p.res.count(out[0])
		}
	}
	if p.progress != nil {
		p.progress(p.res)
	}
	return nil
}

func (p *plainImport) storeDrafts(drafts []news.Draft) ([]news.Outcome, error) {
	if p.load == nil {
		return p.t.UpsertDrafts(p.ctx, drafts)
	}
	created, err := p.load.Add(p.ctx, drafts)
	if err != nil {
		return nil, err
	}
	out := make([]news.Outcome, len(created))
	for i, c := range created {
		out[i] = news.Updated
		if c {
			out[i] = news.Created
		}
	}
	return out, nil
}

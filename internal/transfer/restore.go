package transfer

import (
	"bufio"
	"context"
	"fmt"

	"github.com/headlines/headlines/internal/news"
)

// importExport takes an export (its first line read already) into t
// through a news.Restore:
//
//   - Into a database that has never held an article the restore is
//     exact, all or nothing: should any line be refused, or the end line
//     be missing or not match the lines before it, nothing is stored.
//   - Into one that has, it merges (see the store's mergeRestore): each
//     record is taken or refused on its own, by its line, and batches
//     are stored as they come.
func importExport(ctx context.Context, br *bufio.Reader, t Target, progress func(Result)) (Result, error) {
	r, err := t.BeginRestore(ctx)
	if err != nil {
		return Result{}, err
	}
	defer r.Rollback()
	x := &exportImport{ctx: ctx, r: r, progress: progress}
	x.res.Export, x.res.Exact, x.res.marks = true, r.Exact(), 1
	decode := func(rec *record) {
		it, err := decodeItem(rec.raw)
		rec.item, rec.err = &it, err
	}
	failed := records(ctx, br, false, 2, decode, x.take, x.res.fail)
	if failed == nil {
		failed = x.flush()
	}
	if failed == nil {
		failed = x.finish()
	}
	if failed != nil && x.res.Exact {
		x.res.Created, x.res.Themes, x.res.Countries, x.res.Tombstones = 0, 0, 0, 0 // nothing was stored
	}
	x.res.sortErrors()
	return x.res, failed
}

// exportImport is an import of an export under way.
type exportImport struct {
	ctx      context.Context
	r        news.Restore
	res      Result
	progress func(Result)
	// The articles or tombstones waiting to be stored, in a batch.
	articles, tombstones []record
	end                  *endRecord
	// Lines of each kind read, refused or not.
	seen endRecord
}

// take hands one line on: the vocabulary at once, articles and
// tombstones in batches, in input order.
func (x *exportImport) take(rec record) error {
	it := rec.item
	if x.end != nil {
		return x.res.fail(rec.line, news.Errorf(news.EInvalid, "a %s line after the end line", it.kind))
	}
	if it.kind != kindArticle && it.kind != kindTombstone || it.kind == kindArticle && len(x.tombstones) > 0 ||
		it.kind == kindTombstone && len(x.articles) > 0 {
		if err := x.flush(); err != nil {
			return err
		}
	}
	var err error
	switch it.kind {
	case kindTheme:
		x.seen.Themes++
		if err = x.r.Theme(x.ctx, it.theme); err == nil {
			x.res.Themes++
		}
	case kindCountry:
		x.seen.Countries++
		if err = x.r.Country(x.ctx, it.country); err == nil {
			x.res.Countries++
		}
	case kindArticle:
		x.seen.Articles++
		if x.articles = append(x.articles, rec); len(x.articles) == importBatch {
			return x.flush()
		}
	case kindTombstone:
		x.seen.Tombstones++
		if x.tombstones = append(x.tombstones, rec); len(x.tombstones) == importBatch {
			return x.flush()
		}
	case kindEnd:
		x.end = &it.end
		x.res.marks++
	}
	if refused(err) {
		return x.res.fail(rec.line, err)
	}
	return err
}

// flush stores the waiting articles or tombstones.
func (x *exportImport) flush() error {
	var out []news.Outcome
	var errs []error
	var err error
	batch := x.articles
	switch {
	case len(x.articles) > 0:
		list, feed := make([]news.Article, len(batch)), make([]news.FeedEntry, len(batch))
		for i, rec := range batch {
			list[i], feed[i] = rec.item.article, rec.item.feed
		}
		out, errs, err = x.r.Articles(x.ctx, list, feed)
		x.articles = x.articles[:0]
	case len(x.tombstones) > 0:
		batch = x.tombstones
		list, feed := make([]news.Tombstone, len(batch)), make([]news.FeedEntry, len(batch))
		for i, rec := range batch {
			list[i], feed[i] = rec.item.tombstone, rec.item.feed
		}
		out, errs, err = x.r.Tombstones(x.ctx, list, feed)
		x.tombstones = x.tombstones[:0]
	default:
		return nil
	}
	if err != nil {
		return err
	}
	for i, rec := range batch {
		switch {
		case errs[i] != nil:
			if err := x.res.fail(rec.line, errs[i]); err != nil {
				return err
			}
		case rec.item.kind == kindTombstone:
			x.res.Tombstones++
		default:
			x.res.count(out[i])
		}
	}
	if x.progress != nil {
		x.progress(x.res)
	}
	return nil
}

// finish checks the end line against the lines read and commits. An
// exact restore with a refused line is not committed: it would not be
// the export's database.
func (x *exportImport) finish() error {
	switch {
	case x.end == nil:
		return fmt.Errorf("the export has no end line: the file was cut short")
	case x.res.Failed > 0 && x.res.Exact:
		return fmt.Errorf("%d lines were refused: a restore into an empty database is all or nothing, and nothing was stored", x.res.Failed)
	case x.res.Failed == 0 && (x.seen.Themes != x.end.Themes || x.seen.Countries != x.end.Countries ||
		x.seen.Articles != x.end.Articles || x.seen.Tombstones != x.end.Tombstones):
		return fmt.Errorf("the end line counts %d themes, %d countries, %d articles and %d tombstones; the file holds %d, %d, %d and %d",
			x.end.Themes, x.end.Countries, x.end.Articles, x.end.Tombstones, x.seen.Themes, x.seen.Countries, x.seen.Articles, x.seen.Tombstones)
	}
	return x.r.Commit(x.ctx, x.end.ChangeSeq)
}

// refused says whether err refuses one record rather than ends the import.
func refused(err error) bool {
	switch news.ErrorCode(err) {
	case news.EValidation, news.EConflict, news.EInvalid, news.ENotFound:
		return true
	}
	return false
}

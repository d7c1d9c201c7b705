package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/wire"
)

// ChangeList is a page of the change feed.
type ChangeList struct {
	Data       []ChangeEntry `validate:"required" json:"data"`
	NextCursor string        `validate:"required" json:"next_cursor" example:"42"`
} //	@name	ChangeList

// ChangeEntry is an upsert (with the article as it now is) or a delete.
type ChangeEntry struct {
	Op        string        `validate:"required" json:"op" enums:"upsert,delete" example:"upsert"`
	Seq       int64         `validate:"required" json:"seq" example:"41"`
	ID        int64         `validate:"required" json:"id" example:"3"`
	Article   *wire.Article `json:"article,omitempty"`
	DeletedAt *time.Time    `json:"deleted_at,omitempty"`
} //	@name	ChangeEntry

// listChanges godoc
//
//	@Summary		Changes since a cursor, for sync
//	@Description	Upserts and deletions in commit order, so that an offline copy stays exact: apply them in order, keep next_cursor, and call again with it (an empty page means the copy is current). Each article appears once, at its latest change. Without a cursor the feed starts from the beginning; cursor=now returns only the current cursor. The cursor is a sequence number, not a time, so nothing committed concurrently is skipped. Drafts appear to editors only: to everyone else a draft is a deletion. A cursor ahead of the feed, as after a restore of the database from a backup, is a 400 naming cursor: sync again from the beginning.
//	@Tags			articles
//	@ID				listChanges
//	@Produce		json,application/problem+json
//	@Param			cursor	query		string	false	"next_cursor of the previous call, or now"	example(0)
//	@Param			limit	query		int		false	"page size"									minimum(1)	maximum(1000)	default(100)
//	@Success		200		{object}	ChangeList
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		429		{object}	Problem
//	@Failure		503		{object}	Problem	"the database is unavailable"
//	@Router			/v1/changes [get]
func (h *handlers) listChanges(c echo.Context) error {
	ctx := c.Request().Context()
	var after int64
	limit := news.DefaultChanges
	query := c.QueryParams()
	for _, name := range paramOrder(query) {
		vals := query[name]
		if len(vals) > 1 {
			return news.FieldErrorf(news.EInvalid, name, "may be given only once")
		}
		v := vals[0]
		switch name {
		case "cursor":
			if v == "now" {
				last, err := h.changes.LastChange(ctx)
				if err != nil {
					return err
				}
				return c.JSON(http.StatusOK, ChangeList{Data: []ChangeEntry{}, NextCursor: strconv.FormatInt(last, 10)})
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return news.FieldErrorf(news.EInvalid, "cursor", "must be a next_cursor from this feed, or now; got %q", v)
			}
			after = n
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > news.MaxChanges {
				return news.FieldErrorf(news.EInvalid, "limit", "must be a whole number from 1 to %d, got %q", news.MaxChanges, v)
			}
			limit = n
		default:
			return unknownParam(name, []string{"cursor", "limit"})
		}
	}
	list, err := h.changes.Changes(ctx, after, limit, isEditor(c))
	if err != nil {
		return err
	}
	if len(list) == 0 && after > 0 {
		// Nothing after the cursor: the copy is current, unless the cursor
		// is ahead of the feed, as after a restore of the database from a
		// backup. Then the client must hear it, or it would wait forever
		// for changes it already skipped. The primary decides, so a replica
		// that lags is not mistaken for a restore.
		last, err := h.changes.LastChange(news.WithFreshReads(ctx))
		if err != nil {
			return err
		}
		if after > last {
			return news.FieldErrorf(news.EInvalid, "cursor", "%d is ahead of the feed, whose newest change is %d: the database was probably restored from a backup, so sync again from the beginning (no cursor)", after, last)
		}
	}
	out := ChangeList{Data: make([]ChangeEntry, len(list)), NextCursor: strconv.FormatInt(after, 10)}
	everything := news.Filter{WithDrafts: true} // Changes has made drafts deletions where they must be
	for i, ch := range list {
		out.Data[i] = changeEntry(ch, everything)
		out.NextCursor = strconv.FormatInt(ch.Seq, 10)
	}
	return c.JSON(http.StatusOK, out)
}

package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
)

// driverRows runs query with args on a connection of pool and calls each
// with the values of every row, valid until the next call, until each
// says no more or the rows end.
//
// It asks the driver itself, without database/sql's Rows and Scan: for a
// list page on SQLite those took 6–8% of the server's CPU (a goroutine
// watching the context per query, a lock and a conversion per value),
// where the driver watches the context itself and fromValues has only to
// check types. The arguments are converted as database/sql converts them.
func driverRows(ctx context.Context, pool *sql.DB, query string, args []any, each func(vals []driver.Value) (more bool, err error)) error {
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return fmt.Errorf("argument %d: %w", i+1, err)
		}
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	return conn.Raw(func(dc any) error {
		qc, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("the driver's connection %T cannot query", dc)
		}
		rows, err := qc.QueryContext(ctx, query, named)
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		vals := make([]driver.Value, len(rows.Columns()))
		for {
			if err := rows.Next(vals); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return err
			}
			if more, err := each(vals); err != nil || !more {
				return err
			}
		}
	})
}

// fromValues sets r from a row's values in the order of dialect.columns,
// and rank from the one after them, when there is one. Text comes as a
// string (or []byte), NULL as nil, integers as int64, the rank as float64.
func (r *articleRow) fromValues(v []driver.Value, rank *float64) error {
	const n = 18 // the columns of dialect.columns
	if len(v) < n {
		return fmt.Errorf("a page's row has %d columns, not %d", len(v), n)
	}
	var err error
	text := func(i int, dst *string) {
		switch x := v[i].(type) {
		case string:
			*dst = x
		case []byte:
			*dst = string(x)
		case nil:
			*dst = ""
		default:
			err = fmt.Errorf("column %d of a page's row is %T, not text", i+1, x)
		}
	}
	null := func(i int, dst *sql.NullString) {
		text(i, &dst.String)
		dst.Valid = v[i] != nil
	}
	integer := func(i int) int64 {
		x, ok := v[i].(int64)
		if !ok {
			err = fmt.Errorf("column %d of a page's row is %T, not an integer", i+1, v[i])
		}
		return x
	}
	r.ID = integer(0)
	text(1, &r.Title)
	text(2, &r.Summary)
	text(3, &r.Body)
	null(4, &r.URL)
	null(5, &r.ImageURL)
	text(6, &r.Source)
	text(7, &r.Section)
	null(8, &r.Author)
	text(9, &r.Language)
	text(10, &r.Status)
	r.PublishedAt, r.Created, r.Updated = integer(11), integer(12), integer(13)
	r.Version = int(integer(14))
	null(15, &r.Countries)
	null(16, &r.Themes)
	r.AutoTags = int(integer(17))
	if len(v) > n {
		x, ok := v[n].(float64)
		if !ok {
			return fmt.Errorf("the rank of a page's row is %T, not a float", v[n])
		}
		*rank = x
	}
	return err
}

package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/transfer"
)

var exportCommand = &command{
	name: "export", summary: "write everything the database holds as JSON Lines to standard output",
	about: "The themes and countries with their keywords, every article (drafts included) with its id,\n" +
		"version, times and tag sources, the deleted articles and the change feed's positions, from\n" +
		"one snapshot. Importing the output into an empty database, SQLite or PostgreSQL, gives all\n" +
		"of it back (docs/operations.md, Moving data). API keys are not written.",
	setup: onStore(false, func(ctx context.Context, st *store.Store, o *options, _ []string) error {
		return export(ctx, st, o.stdout, o.stderr, progressInterval(o.getenv))
	}),
}

// export writes an export of the database to stdout, with progress
// lines on stderr.
func export(ctx context.Context, st *store.Store, stdout, stderr io.Writer, every time.Duration) error {
	if _, err := st.MigrateUp(ctx); err != nil {
		return err
	}
	m := newMeter(stderr, "export", 0, every)
	res, err := transfer.Export(ctx, stdout, st, m.update)
	m.done()
	if err == nil {
		fmt.Fprintf(stderr, "exported %d articles, %d deleted articles, %d themes, %d countries; change feed at %d\n",
			res.Articles, res.Tombstones, res.Themes, res.Countries, res.ChangeSeq)
	}
	return err
}

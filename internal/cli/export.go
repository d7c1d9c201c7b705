package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/store"
)

var exportCommand = &command{
	name: "export", summary: "write every article as JSON Lines to standard output",
	about: "Drafts included; importing the output into an empty database reproduces the articles.",
	setup: func(fs *flag.FlagSet, o *options) runFunc {
		dbFlag(fs, o)
		return func(ctx context.Context, _ []string) error {
			return withStore(o, false, func(st *store.Store) error {
				return export(ctx, st, o.stdout, o.stderr, progressInterval(o.getenv))
			})
		}
	},
}

// export writes every article to stdout as JSON Lines, with progress
// lines on stderr.
func export(ctx context.Context, st *store.Store, stdout, stderr io.Writer, every time.Duration) error {
	if _, err := st.MigrateUp(ctx); err != nil {
		return err
	}
	m := newMeter(stderr, "export", 0, every)
	n, err := api.Export(ctx, &lineCounter{w: stdout, seen: m.update}, st)
	m.done()
	if err == nil {
		fmt.Fprintf(stderr, "exported %d articles\n", n)
	}
	return err
}

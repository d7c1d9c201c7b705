package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/headlines/headlines/internal/store"
)

var retagCommand = &command{
	name: "retag", summary: "run the automatic tagger again over the articles it tagged (never hand-set tags)",
	setup: onStore(true, func(ctx context.Context, st *store.Store, o *options, _ []string) error {
		return retag(ctx, st, o.stdout, o.stderr, progressInterval(o.getenv))
	}),
}

// retag brings automatic tags up to date with the vocabulary, printing
// progress lines to stderr and a summary to stdout.
func retag(ctx context.Context, st *store.Store, stdout, stderr io.Writer, every time.Duration) error {
	if _, err := st.MigrateUp(ctx); err != nil {
		return err
	}
	total, err := st.AutoTagged(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	m := newMeter(stderr, "retag", total, every)
	res, err := st.Retag(ctx, func(r store.RetagResult) { m.update(r.Checked) })
	m.done()
	fmt.Fprintf(stdout, "retagged: auto-tagged articles: %d checked, %d changed, %d skipped (edited meanwhile) in %s\n",
		res.Checked, res.Changed, res.Skipped, time.Since(start).Round(time.Millisecond))
	return err
}

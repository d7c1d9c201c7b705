package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/store"
)

func importFile(ctx context.Context, st *store.Store, name string, stdin io.Reader, stdout, stderr io.Writer) error {
	if _, err := st.MigrateUp(ctx); err != nil {
		return err
	}
	in := stdin
	if name != "-" {
		f, err := os.Open(name) //nolint:gosec // the operator names the file to import
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }()
		in = f
	}
	var progress func(api.ImportResult)
	if f, ok := stderr.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		last := time.Now()
		progress = func(r api.ImportResult) {
			if time.Since(last) > 200*time.Millisecond {
				last = time.Now()
				fmt.Fprintf(stderr, "\r%d created, %d updated, %d failed", r.Created, r.Updated, r.Failed)
			}
		}
	}
	res, err := api.Import(ctx, in, st, st, progress)
	if progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err == nil && res.Created+res.Updated >= optimizeAfter {
		// Planner statistics for what a large import changed, so that lists
		// keep their index-ordered plans as the data grows. Small imports
		// leave that to SQLite's and PostgreSQL's own upkeep: a VACUUM of a
		// large database for one record would take longer than the import.
		err = st.Optimize(ctx)
	}
	for _, e := range res.Errors {
		fmt.Fprintf(stderr, "%s: %v\n", lineLabel(name, e.Line), e.Err)
	}
	fmt.Fprintf(stdout, "imported: %d created, %d updated, %d failed\n", res.Created, res.Updated, res.Failed)
	if err != nil {
		return err
	}
	if res.Failed > 0 {
		return fmt.Errorf("%d records were refused", res.Failed)
	}
	return nil
}

func lineLabel(name string, line int) string {
	if name == "-" {
		name = "stdin"
	}
	return fmt.Sprintf("%s:%d", name, line)
}

// optimizeAfter is how many stored records make an import refresh the
// planner's statistics.
const optimizeAfter = 1000

// retag brings automatic tags up to date with the vocabulary, printing a
// progress line to stderr and a summary to stdout.
func retag(ctx context.Context, st *store.Store, stdout, stderr io.Writer) error {
	if _, err := st.MigrateUp(ctx); err != nil {
		return err
	}
	line := func(r store.RetagResult) string {
		return fmt.Sprintf("auto-tagged articles: %d checked, %d changed, %d skipped (edited meanwhile)", r.Checked, r.Changed, r.Skipped)
	}
	start := time.Now()
	last := start
	res, err := st.Retag(ctx, func(r store.RetagResult) {
		if time.Since(last) >= time.Second {
			last = time.Now()
			fmt.Fprintf(stderr, "retag: %s\n", line(r))
		}
	})
	fmt.Fprintf(stdout, "retagged: %s in %s\n", line(res), time.Since(start).Round(time.Millisecond))
	return err
}

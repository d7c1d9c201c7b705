package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/transfer"
)

var importCommand = &command{
	name: "import", args: "FILE|-", nargs: [2]int{1, 1}, summary: "upsert articles by url from JSON Lines or a JSON array, or restore an export",
	about: "Reads FILE, or standard input for -. Bad records are reported by line and skipped; the good\n" +
		"ones are kept; a record identical to its stored article changes nothing. Into a database\n" +
		"with no articles yet the import is one load: should it stop part way (a crash, a full\n" +
		"disk), the database is left empty. The output of `headlines export` restores a\n" +
		"database: into an empty one exactly (ids, versions, change feed), all or nothing; into\n" +
		"one with articles it merges by id (docs/operations.md, Moving data). Progress goes to\n" +
		"stderr every 2 s (count, rate, and for a JSON Lines file the total and the time left);\n" +
		"the summary goes to stdout.",
	setup: func(fs *flag.FlagSet, o *options) runFunc {
		dbFlag(fs, o)
		return func(ctx context.Context, pos []string) error {
			// The file first: a name mistyped must not leave a new,
			// empty database behind.
			in := o.stdin
			if pos[0] != "-" {
				f, err := os.Open(pos[0]) //nolint:gosec // the operator names the file to import
				if err != nil {
					return err
				}
				defer func() { _ = f.Close() }()
				in = f
			}
			return withStore(o, true, func(st *store.Store) error {
				return importFile(ctx, st, pos[0], in, o.stdout, o.stderr, progressInterval(o.getenv))
			})
		}
	},
}

// importFile upserts the articles read from in, the file name ("-":
// stdin), with a progress line on stderr every interval.
func importFile(ctx context.Context, st *store.Store, name string, in io.Reader, stdout, stderr io.Writer, every time.Duration) error {
	if _, err := st.MigrateUp(ctx); err != nil {
		return err
	}
	total := 0
	if name != "-" {
		total = countRecords(name)
	}
	m := newMeter(stderr, "import", total, every)
	n := 0
	loads := phased{st, func() { m.phase(n, "building the indexes") }}
	res, err := transfer.Import(ctx, in, loads, func(r transfer.Result) {
		n = r.Records()
		m.update(n)
	})
	if err == nil && res.Created+res.Updated >= optimizeAfter {
		m.phase(res.Records(), "refreshing the planner's statistics")
		// Planner statistics for what a large import changed, so that lists
		// keep their index-ordered plans as the data grows. Small imports
		// leave that to SQLite's and PostgreSQL's own upkeep: a VACUUM of a
		// large database for one record would take longer than the import.
		err = st.Optimize(ctx)
	}
	m.done()
	for _, e := range res.Errors {
		fmt.Fprintf(stderr, "%s: %v\n", lineLabel(name, e.Line), e.Err)
	}
	printImported(stdout, res, err == nil)
	if err != nil {
		return err
	}
	if res.Failed > 0 {
		if res.Failed == 1 {
			return errors.New("1 record was refused")
		}
		return fmt.Errorf("%d records were refused", res.Failed)
	}
	return nil
}

// printImported prints an import's counts; an exact restore that failed
// stored nothing, and says so rather than what it read.
func printImported(w io.Writer, res transfer.Result, ok bool) {
	fmt.Fprintf(w, "imported: %d created, %d updated, %d failed", res.Created, res.Updated, res.Failed)
	if res.Unchanged > 0 {
		fmt.Fprintf(w, ", %d unchanged (as stored already)", res.Unchanged)
	}
	fmt.Fprintln(w)
	switch {
	case res.Export && res.Exact && !ok:
		fmt.Fprintln(w, "restored: nothing (a restore into an empty database is all or nothing)")
	case res.Export && res.Exact:
		fmt.Fprintf(w, "restored: %d themes, %d countries, %d deleted articles; ids, versions and the change feed as exported\n",
			res.Themes, res.Countries, res.Tombstones)
	case res.Export:
		fmt.Fprintf(w, "merged: %d themes, %d countries, %d deleted articles, into a database that held articles already\n",
			res.Themes, res.Countries, res.Tombstones)
	}
}

// phased is the store as an import sees it, with a word on stderr when
// a load's last step begins: the indexes, tag rows and change feed of a
// large load take seconds in which there are no records to count.
type phased struct {
	*store.Store
	begin func()
}

func (p phased) BeginLoad(ctx context.Context) (news.Loader, error) {
	l, err := p.Store.BeginLoad(ctx)
	if l == nil || err != nil {
		return l, err
	}
	return phasedLoad{l, p.begin}, nil
}

type phasedLoad struct {
	news.Loader
	begin func()
}

func (l phasedLoad) Commit(ctx context.Context) error {
	l.begin()
	return l.Loader.Commit(ctx)
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

package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headlines/headlines/internal/store"
)

var taggerReportCommand = &command{
	name: "tagger report", summary: "measure the automatic tagger against editors' corrections of its tags",
	about: "When an editor sets a list the tagger had filled (PUT or PATCH with countries or themes), the tagger's list\n" +
		"and the editor's are recorded. This prints, per kind and per tag, the tagger's precision and recall against\n" +
		"them (a tag kept is right, removed is a false positive, added is a miss), and the words most often in the\n" +
		"texts where editors added a tag (candidate keywords) or removed one (candidate negative contexts, \"-…\").",
	setup: func(fs *flag.FlagSet, o *options) runFunc {
		dbFlag(fs, o)
		since := fs.Duration("since", 90*24*time.Hour, "look at corrections made within this `DURATION`")
		top := fs.Int("words", 8, "list at most this many `N` words per tag and direction")
		return func(ctx context.Context, _ []string) error {
			if *since <= 0 || *top < 0 {
				return fmt.Errorf("tagger report: --since must be positive and --words at least 0")
			}
			return withStore(o, false, func(st *store.Store) error {
				r, err := st.TaggerReport(ctx, time.Now().Add(-*since), *top)
				if err != nil {
					return err
				}
				return printTaggerReport(o, r, *since)
			})
		}
	},
}

func printTaggerReport(o *options, r store.TaggerReport, since time.Duration) error {
	fmt.Fprintf(o.stdout, "%d corrections in the last %s\n", r.Corrections, since)
	if r.Corrections == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(o.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tTAG\tPRECISION\tRECALL\tKEPT\tREMOVED\tADDED")
	for _, list := range [][]store.TagScore{r.Totals, r.Tags} {
		for _, t := range list {
			tag := t.Tag
			if tag == "" {
				tag = "(all)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\n", t.Kind, tag, pct(t.TP, t.TP+t.FP), pct(t.TP, t.TP+t.FN), t.TP, t.FP, t.FN)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, added := range []bool{true, false} {
		head := "\nwords where editors added the tag (candidate keywords):"
		if !added {
			head = "\nwords where editors removed the tag (candidate negative contexts; * the tagger matched it):"
		}
		fmt.Fprintln(o.stdout, head)
		for _, w := range r.Words {
			if w.Added != added || len(w.Words) == 0 {
				continue
			}
			parts := make([]string, len(w.Words))
			for i, c := range w.Words {
				parts[i] = fmt.Sprintf("%s %d", c.Word, c.N)
				if c.Matched {
					parts[i] = fmt.Sprintf("%s* %d", c.Word, c.N)
				}
			}
			fmt.Fprintf(o.stdout, "  %s %s: %s\n", w.Kind, w.Tag, strings.Join(parts, ", "))
		}
	}
	return nil
}

// pct is n/of with three decimals, or "-" when of is 0.
func pct(n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", float64(n)/float64(of))
}

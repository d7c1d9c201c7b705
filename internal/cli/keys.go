package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store"
)

// keys runs action: create, list or revoke (whose pos is the key's id or prefix).
func keys(ctx context.Context, st *store.Store, action string, pos []string, role news.Role, name string, stdout, stderr io.Writer) error {
	if _, err := st.MigrateUp(ctx); err != nil {
		return err
	}
	switch action {
	case "create":
		secret, k, err := st.CreateKey(ctx, name, role)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret)
		fmt.Fprintf(stderr, "created %s key %d (%s…) for %q; the key above is shown only now\n", k.Role, k.ID, k.Prefix, k.Name)
	case "list":
		list, err := st.Keys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPREFIX\tROLE\tNAME\tCREATED\tLAST USED\tREVOKED")
		for _, k := range list {
			fmt.Fprintf(tw, "%d\t%s…\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, k.Role, k.Name,
				stamp(k.CreatedAt), stamp(k.LastUsedAt), stamp(k.RevokedAt))
		}
		return tw.Flush()
	case "revoke":
		k, err := st.RevokeKey(ctx, strings.TrimSuffix(pos[0], "…"))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s key %d (%s…) of %q\n", k.Role, k.ID, k.Prefix, k.Name)
	}
	return nil
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

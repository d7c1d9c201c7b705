package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store"
)

// The keys group: keys create, keys list and keys revoke.

var keysCreateCommand = &command{
	name: "keys create", summary: "make an API key; it is printed once",
	about: "Prints the new key on stdout once; only its SHA-256 digest is stored.",
	setup: func(fs *flag.FlagSet, o *options) runFunc {
		role := fs.String("role", "editor", "`ROLE` of the key: reader, editor or admin")
		name := fs.String("name", "", "`NAME` of who or what uses the key")
		dbFlag(fs, o)
		return func(ctx context.Context, _ []string) error {
			return withKeys(ctx, o, func(st *store.Store) error {
				secret, k, err := st.CreateKey(ctx, *name, news.Role(*role))
				if err != nil {
					return err
				}
				fmt.Fprintln(o.stdout, secret)
				fmt.Fprintf(o.stderr, "created %s key %d (%s…) for %q; the key above is shown only now\n", k.Role, k.ID, k.Prefix, k.Name)
				return nil
			})
		}
	},
}

var keysListCommand = &command{
	name: "keys list", summary: "list keys: id, prefix, role, name, created, last used, revoked",
	setup: func(fs *flag.FlagSet, o *options) runFunc {
		dbFlag(fs, o)
		return func(ctx context.Context, _ []string) error {
			return withKeys(ctx, o, func(st *store.Store) error {
				list, err := st.Keys(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(o.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tPREFIX\tROLE\tNAME\tCREATED\tLAST USED\tREVOKED")
				for _, k := range list {
					fmt.Fprintf(tw, "%d\t%s…\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, k.Role, k.Name,
						stamp(k.CreatedAt), stamp(k.LastUsedAt), stamp(k.RevokedAt))
				}
				return tw.Flush()
			})
		}
	},
}

var keysRevokeCommand = &command{
	name: "keys revoke", args: "ID|PREFIX", nargs: [2]int{1, 1}, summary: "disable a key",
	setup: func(fs *flag.FlagSet, o *options) runFunc {
		dbFlag(fs, o)
		return func(ctx context.Context, pos []string) error {
			return withKeys(ctx, o, func(st *store.Store) error {
				k, err := st.RevokeKey(ctx, strings.TrimSuffix(pos[0], "…"))
				if err != nil {
					return err
				}
				fmt.Fprintf(o.stdout, "revoked %s key %d (%s…) of %q\n", k.Role, k.ID, k.Prefix, k.Name)
				return nil
			})
		}
	},
}

// withKeys runs f on the opened store once its schema is up to date.
func withKeys(ctx context.Context, o *options, f func(st *store.Store) error) error {
	return withStore(o, false, func(st *store.Store) error {
		if _, err := st.MigrateUp(ctx); err != nil {
			return err
		}
		return f(st)
	})
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

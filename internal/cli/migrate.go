package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/headlines/headlines/internal/store"
)

var migrateCommand = &command{
	name: "migrate", args: "up|down|status", nargs: [2]int{1, 1}, choices: []string{"up", "down", "status"}, summary: "manage the schema",
	about: "up applies every pending migration, down rolls back the newest one, status lists them.",
	setup: onStore(false, func(ctx context.Context, st *store.Store, o *options, pos []string) error {
		return migrate(ctx, st, pos[0], o.stdout)
	}),
}

// migrate runs action: up, down or status.
func migrate(ctx context.Context, st *store.Store, action string, stdout io.Writer) error {
	switch action {
	case "up":
		applied, err := st.MigrateUp(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "applied %d migrations %v\n", len(applied), applied)
	case "down":
		v, err := st.MigrateDown(ctx)
		if err != nil {
			return err
		}
		if v == 0 {
			fmt.Fprintln(stdout, "nothing to roll back")
		} else {
			fmt.Fprintf(stdout, "rolled back migration %d\n", v)
		}
	case "status":
		list, err := st.MigrateStatus(ctx)
		if err != nil {
			return err
		}
		for _, m := range list {
			state := "pending"
			if m.Applied {
				state = "applied " + m.AppliedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%05d  %-40s %s\n", m.Version, m.Name, state)
		}
	}
	return nil
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/headlines/headlines/internal/store"
)

func migrate(ctx context.Context, st *store.Store, pos []string, stdout io.Writer) error {
	if len(pos) != 1 {
		return errors.New("usage: headlines migrate up|down|status")
	}
	switch pos[0] {
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
	default:
		return fmt.Errorf("unknown migrate action %q: want up, down or status", pos[0])
	}
	return nil
}

// Command headlines serves news headlines tagged by country and theme as a
// JSON API, and manages its database: serve, migrate, import, export. The
// commands live in internal/cli; this adds the process around them.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/headlines/headlines/internal/cli"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, version, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, cli.ErrUsage) {
		os.Exit(2) // the reason and the usage are on stderr already
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "headlines:", err)
		os.Exit(1)
	}
}

// Package cli is the headlines command: it reads the command line and
// the HEADLINES_* settings, opens the store and runs one command (serve,
// migrate, import, export, retag, keys, and the benchmark's generate and
// ceiling). main only adds the process around it.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/config"
	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store"
)

const usage = `usage: headlines <command> [flags]

commands:
  serve [--addr :8080] [--db FILE] [--no-demo]   run the API (migrates first; loads the demo headlines into an empty database)
  migrate up|down|status [--db FILE]             manage the schema
  import FILE|- [--db FILE]                      upsert articles by url from JSON Lines or a JSON array
  export [--db FILE]                             write every article as JSON Lines to standard output
  retag [--db FILE]                              run the automatic tagger again over the articles it tagged (never hand-set tags)
  generate [--count 100000] [--seed 1]           write generated sample articles as JSON Lines (for benchmarks)
  ceiling --file F [--addr :8080]                serve the bytes of F at every path, the benchmark's ceiling
  keys create --role reader|editor|admin --name NAME   make an API key; it is printed once
  keys list                                      list keys: prefix, role, name, created, last used
  keys revoke ID|PREFIX                          disable a key
  healthcheck                                    exit 0 when the server on HEADLINES_ADDR answers /healthz (for container health checks)

Settings come from HEADLINES_* environment variables; see README.md.`

// Run is the whole program: it runs the command args name, with settings
// read through getenv. version is the binary's, for /version and /metrics.
func Run(ctx context.Context, version string, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdout, usage)
		return nil
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	cmd, rest := args[0], args[1:]
	var keyRole, keyName string
	var genCount int
	var genSeed uint64
	var ceilingFile string
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DB, "db", cfg.DB, "SQLite database file (HEADLINES_DB)")
	switch cmd {
	case "serve":
		fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (HEADLINES_ADDR)")
		fs.BoolVar(&cfg.NoDemo, "no-demo", cfg.NoDemo, "do not load the demo headlines into an empty database")
	case "migrate", "import", "export", "retag":
	case "ceiling":
		fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address")
		fs.StringVar(&ceilingFile, "file", "", "the bytes to serve")
	case "generate":
		fs.IntVar(&genCount, "count", 100000, "how many articles")
		fs.Uint64Var(&genSeed, "seed", 1, "the same seed gives the same articles")
	case "keys":
		fs.StringVar(&keyRole, "role", "editor", "role of a new key: reader, editor or admin")
		fs.StringVar(&keyName, "name", "", "who or what uses a new key")
	case "healthcheck":
		return healthcheck(ctx, cfg.Addr)
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
	// Flags may come before or after the positional argument.
	var pos []string
	for {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	switch cmd { // these need no database
	case "generate":
		return generate(stdout, genCount, genSeed)
	case "ceiling":
		return ceiling(ctx, cfg.Addr, ceilingFile)
	}
	logs := newLogBuffer(stderr)
	defer func() { _ = logs.Flush() }()
	go logs.flushEvery(ctx, 100*time.Millisecond)
	log := slog.New(flushingHandler{slog.NewJSONHandler(logs, nil), logs})
	// SQLite's read pool keeps two connections beside the expensive reads
	// (see api.QueryPool), so that they never take every one of them.
	opts := store.Options{Replicas: cfg.Replicas, ReadConns: max(4, cfg.ExpensiveQueries+2)}
	if cmd == "import" || cmd == "retag" {
		// A million articles make a gigabyte of indexes: cached whole, each
		// index page is read once and written once per batch.
		opts.WriteCacheMiB = 1024
	}
	st, err := store.Open(cfg.DB, opts)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()

	switch cmd {
	case "serve":
		tuneGC(getenv)
		return serve(ctx, cfg, st, log, version)
	case "migrate":
		return migrate(ctx, st, pos, stdout)
	case "keys":
		return keys(ctx, st, pos, news.Role(keyRole), keyName, stdout, stderr)
	case "import":
		if len(pos) != 1 {
			return errors.New("usage: headlines import FILE|-")
		}
		return importFile(ctx, st, pos[0], stdin, stdout, stderr)
	case "retag":
		return retag(ctx, st, stdout, stderr)
	default: // export
		if _, err := st.MigrateUp(ctx); err != nil {
			return err
		}
		n, err := api.Export(ctx, stdout, st)
		if err == nil {
			fmt.Fprintf(stderr, "exported %d articles\n", n)
		}
		return err
	}
}

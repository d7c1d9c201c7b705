// Command headlines serves news headlines tagged by country and theme as a
// JSON API, and manages its database: serve, migrate, import, export.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/mattn/go-isatty"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/config"
	"github.com/headlines/headlines/internal/demo"
	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/sample"
	"github.com/headlines/headlines/internal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "headlines:", err)
		os.Exit(1)
	}
}

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

// run is the whole program; main only adds the process around it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
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
		return serve(ctx, cfg, st, log)
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

func serve(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger) error {
	applied, err := st.MigrateUp(ctx)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		log.Info("migrated", "versions", applied)
	}
	if !cfg.NoDemo {
		n, err := loadDemo(ctx, st)
		if err != nil {
			return fmt.Errorf("loading the demo headlines: %w", err)
		}
		if n > 0 {
			log.Info("loaded the demo headlines into the empty database", "articles", n)
		}
	}
	if len(cfg.APIKeys) == 0 {
		log.Warn("HEADLINES_API_KEYS is empty: every write will answer 401")
	}
	if cfg.CursorSecret == config.DevCursorSecret {
		log.Warn("HEADLINES_CURSOR_SECRET is the public development value: anyone can make cursors this server accepts; set a secret of your own in production")
	}
	if cfg.MetricsAddr == "" {
		log.Warn("/metrics is public on the API's address; set HEADLINES_METRICS_ADDR to serve it on a private address instead")
	}
	reg := prometheus.NewRegistry()
	for name, db := range st.Pools() {
		reg.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
	e := api.New(api.Deps{
		Articles: st, Vocabulary: st, Keys: st, Idempotency: st, Changes: st, ResponseCache: cfg.ResponseCache, CachePoll: cfg.CachePoll, Ping: st.Ping, APIKeys: cfg.APIKeys,
		CursorSecret: cfg.CursorSecret, BaseURL: cfg.BaseURL, AllowedHosts: cfg.AllowedHosts, CacheMaxAge: cfg.CacheMaxAge, StaleWhileRevalidate: cfg.CacheStale, Log: log,
		Build: buildInfo(st.Dialect()), Metrics: reg, MetricsElsewhere: cfg.MetricsAddr != "", RequireIfMatch: cfg.RequireIfMatch,
		Limits:         api.Limits{Public: api.Rate(cfg.RatePublic), Key: api.Rate(cfg.RateKey), AuthFail: api.Rate(cfg.RateAuthFail)},
		TrustedProxies: cfg.TrustedProxies, CORSOrigins: cfg.CORSOrigins,

		// A keyed POST runs within the time to answer, and its key is held as long.
		IdempotencyLease: cfg.WriteTimeout,
		Expensive:        api.NewQueryPool(cfg.ExpensiveQueries, cfg.ExpensiveTimeout),
	})
	srv := &http.Server{
		Addr:    cfg.Addr,
		Handler: e,
		// Timeouts cut off clients that trickle a request in (slowloris) or
		// never read the answer, without holding up anyone else.
		ReadHeaderTimeout: cfg.HeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10, // larger request headers get 431
	}
	servers := []*http.Server{srv}
	if cfg.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		servers = append(servers, &http.Server{Addr: cfg.MetricsAddr, Handler: mux,
			ReadHeaderTimeout: cfg.HeaderTimeout, ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout, IdleTimeout: cfg.IdleTimeout})
	}
	errc := make(chan error, len(servers))
	for _, s := range servers {
		go func() { errc <- s.ListenAndServe() }()
	}
	log.Info("serving", "addr", cfg.Addr, "metrics_addr", cfg.MetricsAddr, "db", store.Redact(cfg.DB), "dialect", st.Dialect(), "docs", "/swagger/index.html")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
	}
	log.Info("stopped")
	return nil
}

// loadDemo imports the demo headlines when the database has no articles
// and has never had any. Instances starting together on one PostgreSQL
// database take turns, so only the first loads them.
func loadDemo(ctx context.Context, st *store.Store) (n int, err error) {
	err = st.Exclusive(ctx, "demo", func() error {
		empty, err := st.Empty(ctx)
		if err != nil || !empty {
			return err
		}
		res, err := api.Import(ctx, bytes.NewReader(demo.Articles), st, st, nil)
		if err != nil {
			return err
		}
		if res.Failed > 0 {
			return fmt.Errorf("%d demo articles were refused: %w", res.Failed, res.Errors[0])
		}
		n = res.Created
		return nil
	})
	return n, err
}

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

func keys(ctx context.Context, st *store.Store, pos []string, role news.Role, name string, stdout, stderr io.Writer) error {
	if _, err := st.MigrateUp(ctx); err != nil {
		return err
	}
	if len(pos) == 0 {
		return errors.New("usage: headlines keys create|list|revoke")
	}
	switch pos[0] {
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
		if len(pos) != 2 {
			return errors.New("usage: headlines keys revoke ID|PREFIX")
		}
		k, err := st.RevokeKey(ctx, strings.TrimSuffix(pos[1], "…"))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s key %d (%s…) of %q\n", k.Role, k.ID, k.Prefix, k.Name)
	default:
		return fmt.Errorf("unknown keys action %q: want create, list or revoke", pos[0])
	}
	return nil
}

func generate(stdout io.Writer, count int, seed uint64) error {
	w := bufio.NewWriterSize(stdout, 1<<16)
	enc := json.NewEncoder(w)
	g := sample.New(seed)
	for range count {
		if err := enc.Encode(g.Next()); err != nil {
			return err
		}
	}
	return w.Flush()
}

// ceiling serves one file's bytes as JSON from memory through Echo: what
// the benchmark compares every endpoint with.
func ceiling(ctx context.Context, addr, file string) error {
	body, err := os.ReadFile(file) //nolint:gosec // the operator names the file
	if err != nil {
		return err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// With its length, as the API sends its buffered answers: no chunked
	// framing, one write to the socket fewer.
	length := strconv.Itoa(len(body))
	e.GET("/*", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderContentLength, length)
		return c.JSONBlob(http.StatusOK, body)
	})
	srv := &http.Server{Addr: addr, Handler: e, ReadHeaderTimeout: 5 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

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

// healthcheck asks the local server for /healthz.
func healthcheck(ctx context.Context, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz answered %s", res.Status)
	}
	return nil
}

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

// buildInfo describes this binary: its version, the commit it was built
// from when the build recorded one, and the Go release.
func buildInfo(dialect string) api.Build {
	b := api.Build{Version: version, Commit: "unknown", GoVersion: runtime.Version(), Dialect: dialect}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				b.Commit = s.Value
			}
		}
	}
	return b
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

// tuneGC sets the garbage collector for serving unless GOGC or GOMEMLIMIT
// say otherwise. The live heap of the server is a few MiB, so with Go's
// default (GOGC=100) it collects every few hundred requests; a 400% target
// collects a quarter as often, and the soft 96 MiB limit makes it collect
// sooner rather than let the heap grow past that.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(96 << 20)
	}
}

// logBuffer gathers log lines and writes them out every 100 ms, when 32 KiB
// have gathered, on a warning or an error, and when the command ends. A
// server logs a line per request: written one by one, that was a write to
// stderr per request, about a quarter of the system calls of a list page.
// A crash can lose the last 100 ms of request lines, never a warning.
type logBuffer struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func newLogBuffer(w io.Writer) *logBuffer { return &logBuffer{w: bufio.NewWriterSize(w, 32<<10)} }

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

func (b *logBuffer) flushEvery(ctx context.Context, d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = b.Flush()
		}
	}
}

// flushingHandler writes warnings and errors out at once.
type flushingHandler struct {
	slog.Handler
	buf *logBuffer
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		_ = h.buf.Flush()
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(attrs), h.buf}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.buf}
}

package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/config"
	"github.com/headlines/headlines/internal/demo"
	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/ticker"
	"github.com/headlines/headlines/internal/transfer"
)

var serveCommand = &command{
	name: "serve", summary: "run the API (migrates first; loads the demo headlines into an empty database)",
	about: "Binds the address first, so that a busy port fails before any database work; then applies\n" +
		"pending migrations, loads the demo headlines into a database that has never held an article,\n" +
		"and serves until SIGTERM or SIGINT, which drain requests in flight.",
	setup: func(fs *flag.FlagSet, o *options) runFunc {
		fs.StringVar(&o.cfg.Addr, "addr", o.cfg.Addr, "listen `ADDRESS` (HEADLINES_ADDR)")
		dbFlag(fs, o)
		fs.BoolVar(&o.cfg.NoDemo, "no-demo", o.cfg.NoDemo, "do not load the demo headlines into an empty database (HEADLINES_NO_DEMO)")
		return func(ctx context.Context, _ []string) error { return runServe(ctx, o) }
	},
}

// runServe binds the API's address (and the metrics address) before it
// opens the database, so that a busy port fails at once, before a
// migration or the demo load has changed anything; then it serves on them.
func runServe(ctx context.Context, o *options) error {
	if err := o.config(); err != nil {
		return err
	}
	cfg := o.cfg
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("cannot serve on %s: %w", cfg.Addr, err)
	}
	listeners := []net.Listener{ln}
	defer func() { // once served, Shutdown has closed them
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	if cfg.MetricsAddr != "" {
		ml, err := lc.Listen(ctx, "tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("cannot serve /metrics on %s: %w", cfg.MetricsAddr, err)
		}
		listeners = append(listeners, ml)
	}
	logs := newLogBuffer(o.stderr)
	defer func() { _ = logs.Flush() }()
	stopFlush := ticker.Every(100*time.Millisecond, nil, func(context.Context) { _ = logs.Flush() })
	defer stopFlush() // before the last Flush, on every return
	log := slog.New(flushingHandler{slog.NewJSONHandler(logs, nil), logs})
	st, err := o.open(false)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	tuneGC(o.getenv)
	return serve(ctx, cfg, st, log, o.version, listeners)
}

// serve migrates, loads the demo into an empty database and serves the
// API on listeners[0] (and /metrics alone on listeners[1], when set)
// until ctx ends, then drains requests in flight.
func serve(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger, version string, listeners []net.Listener) error {
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
	// Each article's list JSON, written in the background for the
	// articles written since and those of a database migrated to it, and
	// how many wait for theirs.
	stopFill := st.KeepListJSON()
	defer stopFill()
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "headlines_list_json_missing",
		Help: "Articles whose list JSON the server has yet to write (SQLite; counted up to 100,000; 0 on PostgreSQL).",
	}, func() float64 {
		n, _ := st.ListJSONMissing(context.Background(), 100_000)
		return float64(n)
	}))
	e := api.New(api.Deps{
		Articles: st, Vocabulary: st, Keys: st, Idempotency: st, Changes: st, Webhooks: st,
		ResponseCache: cfg.ResponseCache, CachePoll: cfg.CachePoll, Ping: st.Ping, APIKeys: cfg.APIKeys,
		CursorSecret: cfg.CursorSecret, BaseURL: cfg.BaseURL, AllowedHosts: cfg.AllowedHosts, CacheMaxAge: cfg.CacheMaxAge, StaleWhileRevalidate: cfg.CacheStale, Log: log,
		Build: buildInfo(st.Dialect(), version), Metrics: reg, MetricsElsewhere: cfg.MetricsAddr != "", RequireIfMatch: cfg.RequireIfMatch,
		Limits:         api.Limits{Public: cfg.RatePublic, Key: cfg.RateKey, AuthFail: cfg.RateAuthFail},
		TrustedProxies: cfg.TrustedProxies, CORSOrigins: cfg.CORSOrigins,
		Webhook: api.WebhookOptions{Lease: cfg.WebhookLease, RetryBase: cfg.WebhookRetryBase, RetryFor: cfg.WebhookRetryFor,
			AllowPrivate: cfg.WebhookAllowPrivate},

		// A keyed POST runs within the time to answer, and its key is held as long.
		IdempotencyLease: cfg.WriteTimeout,
		Expensive:        api.NewQueryPool(cfg.ExpensiveQueries, cfg.ExpensiveTimeout),
		StreamsPerClient: cfg.StreamsPerClient,
		RetryReads:       len(cfg.Replicas) > 0,
	})
	defer func() { _ = e.Close() }() // its background work, once the servers have stopped
	srv := &http.Server{
		Handler: e,
		// Timeouts cut off clients that trickle a request in (slowloris) or
		// never read the answer, without holding up anyone else.
		ReadHeaderTimeout: cfg.HeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10, // larger request headers get 431
	}
	srv.RegisterOnShutdown(e.EndStreams) // change streams never end on their own
	servers := []*http.Server{srv}
	if cfg.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		servers = append(servers, &http.Server{Handler: mux,
			ReadHeaderTimeout: cfg.HeaderTimeout, ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout, IdleTimeout: cfg.IdleTimeout})
	}
	errc := make(chan error, len(servers))
	for i, s := range servers {
		go func() { errc <- s.Serve(listeners[i]) }()
	}
	log.Info("serving", "addr", cfg.Addr, "metrics_addr", cfg.MetricsAddr, "db", store.Redact(cfg.DB), "dialect", st.Dialect(), "docs", "/swagger/index.html")
	select {
	case err := <-errc:
		for _, s := range servers {
			_ = s.Close() // the others too: none outlives serve
		}
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests")
	if err := shutdown(servers, cfg.ShutdownTimeout); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// shutdown drains the servers' requests in flight for at most timeout,
// then cuts those still running, so that none outlives serve.
func shutdown(servers []*http.Server, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	for _, s := range servers {
		if err := s.Shutdown(ctx); err != nil {
			_ = s.Close()
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
	}
	return errors.Join(errs...)
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
		res, err := transfer.Import(ctx, bytes.NewReader(demo.Articles), st, nil)
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

// buildInfo describes this binary: its version, the commit it was built
// from when the build recorded one, and the Go release.
func buildInfo(dialect, version string) api.Build {
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

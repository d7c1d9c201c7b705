package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/sample"
)

// benchCommands serve the benchmark (.ci/bench and .ci/heavy run them),
// not the product, so the usage lists them apart, after its commands.
var benchCommands = []*command{generateCommand, ceilingCommand}

var generateCommand = &command{
	name: "generate", summary: "write generated sample articles as JSON Lines (for benchmarks)",
	setup: func(fs *flag.FlagSet, o *options) runFunc {
		count := fs.Int("count", 100000, "how many articles (`N`)")
		seed := fs.Uint64("seed", 1, "the same `SEED` gives the same articles")
		return func(context.Context, []string) error {
			if err := o.config(); err != nil {
				return err
			}
			return generate(o.stdout, *count, *seed)
		}
	},
}

var ceilingCommand = &command{
	name: "ceiling", summary: "serve the bytes of --file at every path, the benchmark's ceiling",
	setup: func(fs *flag.FlagSet, o *options) runFunc {
		fs.StringVar(&o.cfg.Addr, "addr", o.cfg.Addr, "listen `ADDRESS` (HEADLINES_ADDR)")
		file := fs.String("file", "", "the `FILE` whose bytes to serve (required)")
		return func(ctx context.Context, _ []string) error {
			if err := o.config(); err != nil {
				return err
			}
			return ceiling(ctx, o.cfg.Addr, *file)
		}
	},
}

// generate writes count sample articles from seed as JSON Lines.
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

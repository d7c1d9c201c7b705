package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Build describes the running binary, for /version and /metrics.
type Build struct {
	Version   string `json:"version" example:"v0.1.0"`
	Commit    string `json:"commit" example:"3bcadcf"`
	GoVersion string `json:"go_version" example:"go1.26.8"`
	Dialect   string `json:"dialect" example:"sqlite"`
} //	@name	Build

// metrics are the HTTP metrics of one server.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	registry *prometheus.Registry
	routes   map[string]bool // the route templates of the server, set once by New
}

// knownMethods are the methods that become label values as they are;
// any other is counted as "other".
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// labels bounds the label values of a request: a method outside
// knownMethods is "other" and a path that matched no route template is
// "unmatched", so that no client can mint new series (invented methods
// once made 86,088 of them from 5,000 requests).
func (m *metrics) labels(c echo.Context) (method, route string) {
	method, route = c.Request().Method, c.Path()
	if !knownMethods[method] {
		method = "other"
	}
	if !m.routes[route] {
		route = "unmatched"
	}
	return method, route
}

func newMetrics(reg *prometheus.Registry, b Build) *metrics {
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "headlines_http_requests_total",
			Help: "HTTP requests answered, by method, route template and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "headlines_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method, route template and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route", "status"}),
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "headlines_build_info",
		Help:        "Build of the running headlines binary; always 1.",
		ConstLabels: prometheus.Labels{"version": b.Version, "commit": b.Commit, "go_version": b.GoVersion, "dialect": b.Dialect},
	})
	info.Set(1)
	reg.MustRegister(m.requests, m.duration, info,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe logs every request as one JSON line carrying its request ID, and
// counts and times it by route template (never by raw path, which would let
// clients mint unbounded label values).
func (m *metrics) observe(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // writes the problem response now, so its status is logged
			}
			status := c.Response().Status
			method, route := m.labels(c)
			elapsed := time.Since(start)
			code := strconv.Itoa(status)
			m.requests.WithLabelValues(method, route, code).Inc() // in the order of newMetrics' labels
			m.duration.WithLabelValues(method, route, code).Observe(elapsed.Seconds())
			// The record goes to the handler as Logger.LogAttrs would send
			// it, less the caller's program counter, which it looks up on
			// every call and no handler of ours reads (no AddSource).
			ctx := c.Request().Context()
			if h := log.Handler(); h.Enabled(ctx, slog.LevelInfo) {
				r := slog.NewRecord(start.Add(elapsed), slog.LevelInfo, "request", 0)
				r.AddAttrs(
					slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
					slog.String("method", method),
					slog.String("route", route),
					slog.String("path", c.Request().URL.Path),
					slog.Int("status", status),
					slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
					slog.Int64("bytes", c.Response().Size),
					slog.String("remote", c.RealIP()),
				)
				_ = h.Handle(ctx, r)
			}
			return nil
		}
	}
}

// handler serves the registry in the Prometheus text format.
//
//	@Summary		Prometheus metrics
//	@Description	Request counts and durations by route and status, database pool statistics and build information, in the Prometheus text format. Not rate limited; absent when HEADLINES_METRICS_ADDR serves them on a private address.
//	@Tags			ops
//	@ID				metrics
//	@Produce		plain
//	@Success		200	{string}	string	"the metrics"
//	@Router			/metrics [get]
func (m *metrics) handler() echo.HandlerFunc {
	h := promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
	return echo.WrapHandler(h)
}

// version godoc
//
//	@Summary		Build information
//	@Description	The version, commit, Go version and database dialect of the running server.
//	@Tags			ops
//	@ID				version
//	@Produce		json
//	@Success		200	{object}	Build
//	@Router			/version [get]
func (h *handlers) version(c echo.Context) error {
	return c.JSON(http.StatusOK, h.build)
}

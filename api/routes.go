// Package api is the HTTP face of headlines: the Echo route table, handlers,
// request and response shapes, the one error handler and the OpenAPI
// annotations that `make docs` turns into docs/.
//
//	@title						headlines API
//	@version					1.0
//	@description				News headlines tagged by country and theme — a "Foreign Relations" section about North Korea to start with. Reads are public; writes need an editor key (Authorize, then paste the key into ApiKeyAuth, or the word Bearer, a space and the key into BearerAuth). Errors are RFC 9457 problem+json.
//	@BasePath					/
//	@tag.name					articles
//	@tag.description			Headlines: list with filters, read, write
//	@tag.name					countries
//	@tag.description			The ISO 3166-1 country vocabulary
//	@tag.name					themes
//	@tag.description			The editable theme vocabulary
//	@tag.name					feeds
//	@tag.description			RSS, Atom and JSON Feed of any filtered list
//	@tag.name					widget
//	@tag.description			Embeddable headlines for partner sites
//	@tag.name					webhooks
//	@tag.description			Signed pushes of the change feed to partners' receivers (Standard Webhooks); admin keys only
//	@tag.name					ops
//	@tag.description			Health, readiness, build information, metrics and this document
//	@securityDefinitions.apikey	ApiKeyAuth
//	@in							header
//	@name						X-API-Key
//	@description				An API key: reader (reads with its own rate limit), editor (articles and themes) or admin (everything an editor does). Create one with headlines keys create.
//	@securityDefinitions.apikey	BearerAuth
//	@in							header
//	@name						Authorization
//	@description				"Bearer " followed by an editor key.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	echoSwagger "github.com/swaggo/echo-swagger"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/webhook"
)

// Deps is what the API needs from the rest of the program.
type Deps struct {
	Articles    news.ArticleService
	Vocabulary  news.VocabularyService
	Ping        func(ctx context.Context) error // database readiness
	APIKeys     []string                        // bootstrap keys: "role:secret", or a bare secret for an editor
	Keys        news.KeyService                 // keys in the database; nil for bootstrap keys only
	Idempotency news.IdempotencyService         // stores answers to POSTs with an Idempotency-Key; nil: the header is ignored
	Changes     news.ChangeService              // the change feed
	// ResponseCache keeps public answers in memory until the data changes;
	// CachePoll is how often it looks for changes made elsewhere (0: only
	// after writes through this server).
	ResponseCache bool
	CachePoll     time.Duration
	CursorSecret  string
	BaseURL       string // public base URL; empty = from each request's Host, when allowed
	// AllowedHosts are the host names requests may name when the base URL
	// is taken from the request (".example.com" allows subdomains too);
	// empty = DefaultAllowedHosts without a BaseURL, any host with one.
	AllowedHosts         []string
	CacheMaxAge          time.Duration // max-age of public GET responses
	StaleWhileRevalidate time.Duration // how long caches may serve a stale public answer while they revalidate
	Log                  *slog.Logger
	Build                Build
	Limits               Limits       // request budgets; zero rates are unlimited
	TrustedProxies       []*net.IPNet // proxies whose X-Forwarded-For names the client
	CORSOrigins          []string     // origins whose pages may write; any origin may read
	Now                  func() time.Time
	// RequireIfMatch makes PUT, PATCH and DELETE of an article answer 428
	// without an If-Match header, so that no client overwrites blindly.
	RequireIfMatch bool
	Metrics        *prometheus.Registry // where /metrics reads from; the caller may add DB pool stats
	// MetricsElsewhere leaves /metrics out of this server: the caller
	// serves the registry on a private address (HEADLINES_METRICS_ADDR).
	MetricsElsewhere bool
	// IdempotencyLease is the time limit of a POST with an Idempotency-Key,
	// and how long its key stays claimed without an answer: a retry after
	// that takes over a request cut off by a crash. DefaultIdempotencyLease when 0.
	IdempotencyLease time.Duration
	// Expensive bounds the list reads that cost in proportion to the
	// articles (searches, totals, facets, …): how many run at once and for
	// how long. nil: unbounded.
	Expensive *QueryPool
	// StreamHeartbeat is how often an idle change stream sends a comment;
	// DefaultStreamHeartbeat when 0.
	StreamHeartbeat time.Duration
	// StreamsPerClient is how many change streams one client address may
	// hold open at once; DefaultStreamsPerClient when 0.
	StreamsPerClient int
	// RetryReads runs a GET or HEAD once more when it failed for want of
	// the database before anything was sent (see retryReads): set it when
	// reads go to replicas, which the store leaves as soon as one fails.
	RetryReads bool
	// Webhooks keeps the webhooks; nil leaves /v1/webhooks out and
	// delivers nothing. Webhook tunes their delivery.
	Webhooks news.WebhookService
	Webhook  WebhookOptions
}

// WebhookOptions tune the delivery of webhooks; zero values take the
// defaults of package webhook.
type WebhookOptions struct {
	Lease        time.Duration // how long an instance holds a webhook without renewing it
	RetryBase    time.Duration // the wait before the first retry
	RetryFor     time.Duration // how long an event is retried before its webhook pauses
	Timeout      time.Duration // how long a receiver has to answer
	AllowPrivate bool          // deliver to loopback, private and link-local addresses (development, tests)
}

type handlers struct {
	articles news.ArticleService
	vocab    news.VocabularyService
	ping     func(ctx context.Context) error
	auth     *auth
	idem     news.IdempotencyService
	lease    time.Duration // see Deps.IdempotencyLease
	pool     *QueryPool    // expensive list reads; nil: unbounded
	changes  news.ChangeService
	cursors  cursorCodec
	build    Build
	log      *slog.Logger

	watch     *changeWatch  // wakes the change streams
	heartbeat time.Duration // see Deps.StreamHeartbeat

	webhooks            news.WebhookService // nil: no webhooks
	hooks               *webhook.Dispatcher
	webhookAllowPrivate bool

	requireIfMatch bool
}

// API is the HTTP API: an http.Handler with every route, and the
// background work that keeps its answers current (the response cache's
// poll for changes made elsewhere). Close stops that work.
type API struct {
	e     *echo.Echo
	watch *changeWatch
	stops []func()
	once  sync.Once
}

// EndStreams ends the change streams open now and any opened later: call
// it when the server starts to shut down (http.Server.RegisterOnShutdown),
// which would otherwise wait for them until its timeout.
func (a *API) EndStreams() { a.watch.end() }

// ServeHTTP answers a request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.e.ServeHTTP(w, r) }

// Close stops the background work and returns once it has ended. Call it
// when the server has stopped taking requests; it is safe to call again.
func (a *API) Close() error {
	a.once.Do(func() {
		for _, stop := range a.stops {
			stop()
		}
	})
	return nil
}

// New returns the API with every route.
func New(d Deps) *API {
	d = d.withDefaults()
	h := newHandlers(d)
	m := newMetrics(d.Metrics, d.Build)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(d.Log)
	e.IPExtractor = ipExtractor(d.TrustedProxies)
	a := &API{e: e, watch: h.watch}
	if d.Changes != nil {
		a.stops = append(a.stops, h.watch.run())
	}
	if d.Webhooks != nil && d.Changes != nil {
		h.hooks = webhook.New(webhook.Options{Store: d.Webhooks, Feed: d.Changes, Parse: h.deliveryFilter,
			Lease: d.Webhook.Lease, Poll: d.CachePoll, RetryBase: d.Webhook.RetryBase, RetryFor: d.Webhook.RetryFor,
			Timeout: d.Webhook.Timeout, AllowPrivate: d.Webhook.AllowPrivate, Now: d.Now, Log: d.Log})
		a.stops = append(a.stops, h.hooks.Start())
	}
	a.use(d, h.auth, m)
	e.Use(afterWrites(h.watch.nudge, h.nudgeHooks))
	h.routes(e, m, d.MetricsElsewhere)
	m.routes = map[string]bool{}
	for _, r := range e.Routes() {
		m.routes[r.Path] = true
	}
	return a
}

// withDefaults fills what d leaves out.
func (d Deps) withDefaults() Deps {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.IdempotencyLease <= 0 {
		d.IdempotencyLease = DefaultIdempotencyLease
	}
	if d.Metrics == nil {
		d.Metrics = prometheus.NewRegistry()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.StreamHeartbeat <= 0 {
		d.StreamHeartbeat = DefaultStreamHeartbeat
	}
	return d
}

func newHandlers(d Deps) *handlers {
	return &handlers{
		articles: d.Articles, vocab: d.Vocabulary, ping: d.Ping, auth: newAuth(d.APIKeys, d.Keys), idem: d.Idempotency, changes: d.Changes,
		cursors: newCursorCodec(d.CursorSecret), build: d.Build, log: d.Log, lease: d.IdempotencyLease, pool: d.Expensive,
		requireIfMatch: d.RequireIfMatch, watch: newChangeWatch(d.Changes, d.CachePoll, d.StreamsPerClient), heartbeat: d.StreamHeartbeat,
		webhooks: d.Webhooks, webhookAllowPrivate: d.Webhook.AllowPrivate,
	}
}

// use installs the middleware, in the order a request passes it.
func (a *API) use(d Deps, auth *auth, m *metrics) {
	e := a.e
	rl := newRateLimits(d.Limits, d.Now)
	e.Use(securityHeaders)
	e.Use(requestID)
	e.Use(m.observe(d.Log))
	e.Use(middleware.Recover())
	e.Use(strictQuery)
	// Compress answers of 1 KiB and more for clients that accept gzip;
	// a 304 has no body and passes as it is. /metrics compresses itself.
	// Strong ETags of compressed answers are marked as such (encodingETags).
	e.Use(refusedGzip)
	e.Use(encodingETags)
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{MinLength: gzipMinLength,
		Skipper: func(c echo.Context) bool { return gzipSkipped(c.Request().URL.Path) }}))
	e.Use(warnUntrustedForwarding(d.Log, d.TrustedProxies))
	e.Use(newOrigins(d.BaseURL, d.AllowedHosts, d.TrustedProxies).guard)
	e.Use(cors(d.CORSOrigins))
	e.Use(rl.guardAuth)
	e.Use(auth.identify)
	e.Use(rl.limit)
	e.Use(preconditionSyntax)
	e.Use(cacheControl(d.CacheMaxAge, d.StaleWhileRevalidate))
	if d.ResponseCache && d.Changes != nil {
		rc := newRespCache(d.Changes, d.Vocabulary, d.Log)
		if d.CachePoll > 0 {
			a.stops = append(a.stops, rc.poll(d.CachePoll))
		}
		e.Use(rc.middleware)
	}
	e.Use(conditional)
	if d.RetryReads {
		e.Use(retryReads)
	}
}

// retryReads runs a GET or HEAD once more when it failed with 503
// database unavailable and nothing of its answer was sent. A read replica
// that stops breaks the reads in flight on its connections; the store
// marks it down as they fail, so the second run reads the primary (or
// another replica). With the primary gone, it fails again as it would
// have. Only the handler runs again: this is the innermost middleware.
func retryReads(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		m := c.Request().Method
		if err == nil || m != http.MethodGet && m != http.MethodHead ||
			c.Response().Committed || news.ErrorCode(err) != news.EUnavailable {
			return err
		}
		return next(c)
	}
}

// routes is the route table.
func (h *handlers) routes(e *echo.Echo, m *metrics, metricsElsewhere bool) {
	// none: a route that takes no query parameters refuses any, as the
	// lists refuse those they do not know.
	editor, none := require(news.RoleEditor), onlyParams()
	// get serves GET and HEAD alike; net/http sends no body for HEAD.
	get := func(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
		e.Match([]string{http.MethodGet, http.MethodHead}, path, h, m...)
	}

	get("/v1/articles", h.listArticles)
	e.POST("/v1/articles", h.createArticle, editor, none, h.idempotent)
	e.POST("/v1/articles/batch", h.batchArticles, editor, none, h.idempotent)
	get("/v1/articles/:id", h.getArticle, none)
	e.PUT("/v1/articles/:id", h.replaceArticle, editor, none)
	e.PATCH("/v1/articles/:id", h.updateArticle, editor, none)
	e.DELETE("/v1/articles/:id", h.deleteArticle, editor, none)
	e.POST("/v1/classify", h.classify, editor, none)

	get("/v1/changes", h.listChanges)
	get("/v1/changes/stream", h.streamChanges)
	get("/v1/feeds/articles.rss", h.rssFeed)
	get("/v1/feeds/articles.atom", h.atomFeed)
	get("/v1/feeds/articles.json", h.jsonFeed)

	if h.webhooks != nil && h.changes != nil {
		admin := require(news.RoleAdmin)
		e.POST("/v1/webhooks", h.createWebhook, admin, none)
		get("/v1/webhooks", h.listWebhooks, admin, none)
		get("/v1/webhooks/:id", h.getWebhook, admin, none)
		e.PATCH("/v1/webhooks/:id", h.updateWebhook, admin, none)
		e.DELETE("/v1/webhooks/:id", h.deleteWebhook, admin, none)
		e.POST("/v1/webhooks/:id/test", h.testWebhook, admin, none)
		e.POST("/v1/webhooks/:id/secret", h.rotateWebhookSecret, admin, none)
		get("/v1/webhooks/:id/deliveries", h.listDeliveries, admin, onlyParams("limit"))
	}

	get("/v1/countries", h.listCountries)
	get("/v1/countries/:code", h.getCountry, none)
	get("/v1/themes", h.listThemes)
	e.POST("/v1/themes", h.createTheme, editor, none)
	get("/v1/themes/:slug", h.getTheme, none)
	e.PATCH("/v1/themes/:slug", h.updateTheme, editor, none)
	e.DELETE("/v1/themes/:slug", h.deleteTheme, editor, none)

	get("/healthz", h.healthz)
	get("/readyz", h.readyz)
	get("/version", h.version)
	if !metricsElsewhere {
		get("/metrics", m.handler())
	}
	get("/openapi.json", h.openAPI)
	get("/swagger", redirectTo("/swagger/index.html"))
	get("/swagger/", redirectTo("/swagger/index.html")) // Swagger UI's own would say /swagger//index.html
	// Swagger UI reads the served OpenAPI 3 document. doc.json and
	// doc.yaml, where it looked before, answer the same document for old
	// bookmarks and tools (JSON is YAML too).
	get("/swagger/doc.json", h.openAPI)
	get("/swagger/doc.yaml", h.openAPI)
	get("/swagger/*", headAsGet(echoSwagger.EchoWrapHandler(func(c *echoSwagger.Config) { c.URLs = []string{"/openapi.json"} },
		echoSwagger.PersistAuthorization(true))))
	get("/", h.home)
	get("/articles/:id", h.articleHTML)
	get("/embed/headlines", h.embedHeadlines)
	get("/embed.js", h.embedScript)
	get("/oembed", h.oembed)
}

// cacheControl marks successful public reads of /v1 as cacheable by
// browsers and CDNs, and anything read with a key as private: an editor
// may see drafts. Errors are never cached (the error handler says no-store).
func cacheControl(maxAge, swr time.Duration) echo.MiddlewareFunc {
	public := fmt.Sprintf("public, max-age=%d, stale-while-revalidate=%d", int(maxAge.Seconds()), int(swr.Seconds()))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if (r.Method == http.MethodGet || r.Method == http.MethodHead) && cacheable(r.URL.Path) {
				hdr := c.Response().Header()
				hdr.Add(echo.HeaderVary, "Authorization, X-API-Key")
				if isEditor(c) {
					hdr.Set(echo.HeaderCacheControl, "private, no-store")
				} else {
					hdr.Set(echo.HeaderCacheControl, public)
				}
			}
			return next(c)
		}
	}
}

const (
	// strictCSP is for everything but Swagger UI: JSON needs nothing.
	strictCSP = "default-src 'none'; frame-ancestors 'none'"
	// swaggerCSP lets Swagger UI run its own bundle and its inline start-up script.
	swaggerCSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
)

// securityHeaders keeps browsers from sniffing types, framing the API or
// running anything it did not mean to serve.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(c.Request().URL.Path, "/swagger/") {
			h.Set("Content-Security-Policy", swaggerCSP)
		} else { // pages of their own (front page, widget) set theirs
			h.Set("Content-Security-Policy", strictCSP)
		}
		return next(c)
	}
}

func redirectTo(path string) echo.HandlerFunc {
	return func(c echo.Context) error { return c.Redirect(302, path) }
}

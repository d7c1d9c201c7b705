package api

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/ticker"
)

// Generations tells the data generation: a number that grows with every
// committed change to what public reads show (the change feed's sequence).
type Generations interface {
	LastChange(ctx context.Context) (int64, error)
}

// cachedAnswer is one public answer kept in memory.
type cachedAnswer struct {
	gen    int64
	vocab  *news.Vocabulary // the snapshot its names were resolved with
	status int
	header http.Header
	body   []byte
}

// respCache keeps the answers to public GETs in memory, valid for as long
// as the data generation they were made at, and the vocabulary snapshot
// they resolved names with, are current. (Another instance's theme
// rename moves the generation before this one's vocabulary, read again
// every second, hears of it: an answer made in between is not kept
// beyond.) Repeated identical requests (what partner embeds and feed
// readers send) and If-None-Match revalidations are then answered
// without the database. The generation is
// read again right after every write through this instance, and every
// poll interval for writes through other instances or the command line.
type respCache struct {
	gens    Generations
	vocab   news.Resolver
	gen     atomic.Int64
	mu      sync.RWMutex
	entries map[string]*cachedAnswer
	size    int // bytes of the cached bodies
	log     *slog.Logger
}

const (
	maxCachedBytes = 32 << 20 // all cached bodies together; when full, the cache starts afresh
	maxCachedBody  = 512 << 10
)

func newRespCache(gens Generations, vocab news.Resolver, log *slog.Logger) *respCache {
	if gens == nil || vocab == nil {
		return nil
	}
	rc := &respCache{gens: gens, vocab: vocab, entries: map[string]*cachedAnswer{}, log: log}
	rc.refresh(context.Background())
	return rc
}

// poll reads the generation every interval, for changes made through other
// instances or the command line, until stop is called; stop returns once
// the poller has ended.
func (rc *respCache) poll(every time.Duration) (stop func()) {
	return ticker.Every(every, nil, rc.refresh)
}

// refresh reads the generation; while the database cannot say, the last
// one stands.
func (rc *respCache) refresh(ctx context.Context) {
	g, err := rc.gens.LastChange(ctx)
	if err != nil {
		return
	}
	if old := rc.gen.Swap(g); old != g {
		rc.mu.Lock()
		if len(rc.entries) > 0 {
			rc.entries, rc.size = map[string]*cachedAnswer{}, 0
		}
		rc.mu.Unlock()
	}
}

// keptHeaders are replayed from the cache.
var keptHeaders = []string{echo.HeaderContentType, "ETag", "Link", echo.HeaderLastModified, "Content-Security-Policy"}

// middleware serves and fills the cache. It runs after keys and rate
// limits are checked: only requests without a key are cached (editors may
// see drafts), and every request still spends its budget.
func (rc *respCache) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	if rc == nil {
		return next
	}
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			err := next(c)
			if status := c.Response().Status; err == nil && status < 300 {
				// A write went through this instance: the next read must not
				// be served from before it.
				rc.refresh(context.WithoutCancel(r.Context()))
			}
			return err
		}
		if c.Get(ctxRole) != nil || !cacheable(r.URL.Path) {
			return next(c)
		}
		// Answers hold absolute URLs made from the base (scheme and host),
		// so the base is part of the key.
		key := baseURL(c) + r.URL.Path + "?" + r.URL.RawQuery
		gen, vocab := rc.gen.Load(), rc.vocab.Vocabulary() // before the handler's, as old as they may be
		rc.mu.RLock()
		hit := rc.entries[key]
		rc.mu.RUnlock()
		if hit != nil && hit.gen == gen && hit.vocab == vocab {
			h := c.Response().Header()
			for name, v := range hit.header {
				h[name] = v
			}
			h.Set("X-Cache", "hit")
			if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, hit.header.Get("ETag")) {
				h.Set("ETag", sentETag(r, hit.header.Get("ETag"), len(hit.body)))
				h.Del(echo.HeaderContentType)
				return c.NoContent(http.StatusNotModified)
			}
			h.Set(echo.HeaderContentLength, strconv.Itoa(len(hit.body))) // see conditional
			c.Response().WriteHeader(hit.status)
			_, err := c.Response().Write(hit.body)
			return err
		}
		tee := &teeWriter{ResponseWriter: c.Response().Writer}
		c.Response().Writer = tee
		err := next(c)
		c.Response().Writer = tee.ResponseWriter
		if err != nil || c.Response().Status != http.StatusOK || tee.body.Len() > maxCachedBody {
			return err
		}
		entry := &cachedAnswer{gen: gen, vocab: vocab, status: http.StatusOK, header: http.Header{}, body: append([]byte(nil), tee.body.Bytes()...)}
		for _, name := range keptHeaders {
			if v := c.Response().Header().Values(name); len(v) > 0 {
				entry.header[http.CanonicalHeaderKey(name)] = v
			}
		}
		rc.mu.Lock()
		if old, ok := rc.entries[key]; ok {
			rc.size -= len(old.body)
		}
		if rc.size+len(entry.body) > maxCachedBytes {
			rc.entries, rc.size = map[string]*cachedAnswer{}, 0
		}
		rc.entries[key] = entry
		rc.size += len(entry.body)
		rc.mu.Unlock()
		return nil
	}
}

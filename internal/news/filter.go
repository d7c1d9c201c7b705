package news

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Sort is a list order. Every order breaks ties on id, so it is total.
type Sort string

// The list orders.
const (
	SortNewest    Sort = "-published_at"
	SortOldest    Sort = "published_at"
	SortRelevance Sort = "relevance"
)

// Paging bounds, in one place.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Facet names accepted by Filter.Facets.
const (
	FacetCountry = "country"
	FacetTheme   = "theme"
)

// Filter selects and orders articles. Empty fields select everything.
// Country and theme fields hold resolved codes and slugs.
type Filter struct {
	Countries    []string // any of
	CountriesAll []string // all of
	CountriesNot []string // none of
	Themes       []string
	ThemesAll    []string
	ThemesNot    []string
	Query        []string // full-text terms, ANDed; a term with a space is a phrase
	Since        *time.Time
	Until        *time.Time
	Source       *string
	Section      *string
	Language     *string
	Sort         Sort
	Limit        int
	After        *Cursor // keyset position: the last row of the previous page
	IncludeTotal bool
	Facets       []string
	WithBody     bool // load article bodies (they are left out of lists by default)
	WithDrafts   bool // include drafts (editors only)
	// ListJSON says the caller writes each article as a list's JSON
	// (wire.ListFields): the store may then give an article as that JSON
	// alone, in Article.ListJSON.
	ListJSON bool
}

// Cursor is a keyset position in a list: the sort keys of the last row seen.
type Cursor struct {
	PublishedAt time.Time
	ID          int64
	Rank        float64 // relevance order only: the store's mark of the row's place, round-tripped as is
}

// FacetCount is the number of articles in a filtered set tagged with Key.
type FacetCount struct {
	Key   string
	Count int
}

// Page is one page of a list.
type Page struct {
	Articles []Article
	Next     *Cursor // nil on the last page
	Total    *int
	Facets   map[string][]FacetCount
}

// A Loader fills an empty store faster than upserts one batch at a time,
// all or nothing: nothing is stored unless Commit succeeds.
type Loader interface {
	// Add stores normalized drafts; one whose URL came earlier in the load
	// replaces that article. created[i] says whether drafts[i] made one.
	Add(ctx context.Context, drafts []Draft) (created []bool, err error)
	// Commit stores what was added and is on disk when it returns.
	Commit(ctx context.Context) error
	// Rollback drops what was added, unless Commit succeeded.
	Rollback()
}

// A BulkLoader can start a Loader. It returns a nil Loader when it has no
// faster way than upserts, such as when the store holds articles already.
type BulkLoader interface {
	BeginLoad(ctx context.Context) (Loader, error)
}

// ArticleService stores and lists articles.
type ArticleService interface {
	// ListArticles returns one page of articles matching f.
	ListArticles(ctx context.Context, f Filter) (Page, error)
	// Article returns one article; ENotFound (also for drafts unless withDrafts).
	Article(ctx context.Context, id int64, withDrafts bool) (Article, error)
	// CreateArticle stores a normalized draft; EConflict with ExistingID
	// when its URL is taken.
	CreateArticle(ctx context.Context, d Draft) (Article, error)
	// ReplaceArticle overwrites an article with a normalized draft. A
	// non-zero ifVersion must equal the stored version. ENotFound,
	// EPreconditionFailed, EConflict.
	ReplaceArticle(ctx context.Context, id int64, d Draft, ifVersion int) (Article, error)
	// UpdateArticle applies a partial update, normalizing the result
	// through r. ENotFound, EPreconditionFailed, EValidation, EConflict.
	UpdateArticle(ctx context.Context, id int64, u Update, ifVersion int) (Article, error)
	// DeleteArticle removes an article and keeps a tombstone for sync.
	// ENotFound, EPreconditionFailed.
	DeleteArticle(ctx context.Context, id int64, ifVersion int) error
	// UpsertArticle creates an article, or replaces the one with the same
	// URL; created says which. It is what import uses.
	UpsertArticle(ctx context.Context, d Draft) (a Article, created bool, err error)
	// UpsertArticles upserts many drafts in one transaction: all or none.
	// created[i] says whether drafts[i] made a new article.
	UpsertArticles(ctx context.Context, drafts []Draft) (created []bool, err error)
	// EachArticle calls fn for every article, drafts included, in id order.
	EachArticle(ctx context.Context, fn func(Article) error) error
}

type freshReadsKey struct{}

// WithFreshReads marks ctx as belonging to a caller who must see its own
// writes at once: a store with read replicas answers it from the primary,
// never from a replica that may lag behind.
func WithFreshReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, freshReadsKey{}, true)
}

// FreshReads reports whether ctx asks for fresh reads.
func FreshReads(ctx context.Context) bool {
	return ctx.Value(freshReadsKey{}) != nil
}

// Selects reports whether f's list holds a, as the store's list query
// would decide it, for the conditions a change stream filters by: the
// countries and themes (any, all, none), source and section exactly,
// language in any case, the dates, and drafts only WithDrafts. A full-text
// Query is the store's alone to decide: Selects refuses to answer for one
// (ok false).
func (f Filter) Selects(a Article) (selected, ok bool) {
	if len(f.Query) > 0 {
		return false, false
	}
	tags := func(have, any, all, none []string) bool {
		if len(any) > 0 && !slices.ContainsFunc(any, func(t string) bool { return slices.Contains(have, t) }) {
			return false
		}
		for _, t := range all {
			if !slices.Contains(have, t) {
				return false
			}
		}
		return !slices.ContainsFunc(none, func(t string) bool { return slices.Contains(have, t) })
	}
	switch {
	case a.Status != StatusPublished && !f.WithDrafts,
		!tags(a.Countries, f.Countries, f.CountriesAll, f.CountriesNot),
		!tags(a.Themes, f.Themes, f.ThemesAll, f.ThemesNot),
		f.Source != nil && a.Source != *f.Source,
		f.Section != nil && a.Section != *f.Section,
		f.Language != nil && !strings.EqualFold(a.Language, *f.Language),
		f.Since != nil && a.PublishedAt.Before(*f.Since),
		f.Until != nil && !a.PublishedAt.Before(*f.Until):
		return false, true
	}
	return true, true
}

package store

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/headlines/headlines/internal/classify"
	"github.com/headlines/headlines/internal/news"
)

// vocabTTL is how often the background refresher reads the countries and
// themes again: a change made through this process is in the snapshot at
// once, one made through another instance sharing the database within
// this time. Requests never read them: they resolve names against the
// snapshot in memory. The read is two small tables, about a millisecond
// of CPU (0.1% of a core at this rate); until it, another instance's new
// theme is unknown here, and a filter on a slug renamed there selects
// nothing.
const vocabTTL = time.Second

// vocabFirstRead bounds the read of the vocabulary when the store opens.
const vocabFirstRead = 10 * time.Second

// vocabRows is what a snapshot is made from, as the tables hold it.
type vocabRows struct {
	countries []countryModel // by code
	themes    []themeModel   // by slug
}

// vocabulary is the published snapshot and what keeps it current.
type vocabulary struct {
	current atomic.Pointer[news.Vocabulary] // never nil once Open returns; replaced whole
	// mu orders the reads of the tables and the publishing of what they
	// held, so that a snapshot never replaces a newer one.
	mu     sync.Mutex
	rows   vocabRows    // what current was made from; under mu
	loaded bool         // whether rows were ever read; under mu
	reads  atomic.Int64 // reads of the tables begun, counted under mu
	stop   context.CancelFunc
	done   chan struct{} // closed when the refresher has stopped
}

// Vocabulary returns the current vocabulary snapshot: the countries and
// themes, the names they answer to and the automatic tagger. It never
// touches the database.
func (s *Store) Vocabulary() *news.Vocabulary {
	if v := s.vocab.current.Load(); v != nil {
		return v
	}
	return &news.Vocabulary{} // a Store that Open did not make
}

// startVocabulary reads the vocabulary (a database not yet migrated has
// none: the snapshot stays empty until MigrateUp) and starts the
// refresher, which Close stops.
func (s *Store) startVocabulary(every time.Duration) {
	if every <= 0 {
		every = vocabTTL
	}
	s.vocab.current.Store(&news.Vocabulary{})
	ctx, cancel := context.WithCancel(context.Background())
	s.vocab.stop, s.vocab.done = cancel, make(chan struct{})
	first, cancelFirst := context.WithTimeout(ctx, vocabFirstRead)
	_ = s.reloadVocabulary(first)
	cancelFirst()
	go s.refreshVocabularyEvery(ctx, every)
}

// stopVocabulary stops the refresher and waits for it.
func (s *Store) stopVocabulary() {
	if s.vocab.stop != nil {
		s.vocab.stop()
		<-s.vocab.done
	}
}

// refreshVocabularyEvery refreshes the snapshot every interval until ctx
// ends; until a first read succeeds, every second at most. A failed read
// keeps the snapshot, and the next tick tries again.
func (s *Store) refreshVocabularyEvery(ctx context.Context, every time.Duration) {
	defer close(s.vocab.done)
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		s.vocab.mu.Lock()
		wait := every
		if !s.vocab.loaded {
			wait = min(every, time.Second)
		}
		s.vocab.mu.Unlock()
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = s.refreshVocabulary(ctx)
		}
	}
}

// refreshVocabulary reads the vocabulary again and publishes it if it
// changed, unless a load is in progress: a load holds the write lock to
// its end, so the vocabulary cannot change meanwhile, and reading it
// could wait on the load's lock of the file (see load).
func (s *Store) refreshVocabulary(ctx context.Context) error {
	if s.loads.Load() > 0 {
		return nil
	}
	return s.reloadVocabulary(ctx)
}

// FreshVocabulary reads the vocabulary and publishes it if it changed,
// and returns the snapshot. It waits for a theme's edit through this
// store to publish its own snapshot (both hold vocab.mu). During a load
// it returns the snapshot as it is, for the reason refreshVocabulary
// gives; a load changes no theme.
//
// Callers that meet the same new tag come together (every change stream
// reads a rename's changes at once): one whose wait for vocab.mu saw a
// read begin and end takes what that read published.
func (s *Store) FreshVocabulary(ctx context.Context) (*news.Vocabulary, error) {
	if s.loads.Load() > 0 {
		return s.Vocabulary(), nil
	}
	asked := s.vocab.reads.Load()
	s.vocab.mu.Lock()
	defer s.vocab.mu.Unlock()
	if s.vocab.reads.Load() == asked {
		if err := s.reloadVocabularyLocked(ctx); err != nil {
			return s.Vocabulary(), err
		}
	}
	return s.Vocabulary(), nil
}

// reloadVocabulary reads the vocabulary and publishes it if it changed.
func (s *Store) reloadVocabulary(ctx context.Context) error {
	s.vocab.mu.Lock()
	defer s.vocab.mu.Unlock()
	return s.reloadVocabularyLocked(ctx)
}

func (s *Store) reloadVocabularyLocked(ctx context.Context) error {
	s.vocab.reads.Add(1)
	rows, err := s.readVocabulary(ctx)
	if err != nil {
		return err
	}
	if s.vocab.loaded && slices.Equal(rows.countries, s.vocab.rows.countries) && slices.Equal(rows.themes, s.vocab.rows.themes) {
		return nil
	}
	s.publishVocabulary(rows)
	return nil
}

// readVocabulary reads the countries and themes from the primary (never
// a replica, which may lag): a theme created a moment ago must resolve.
// On SQLite from the read pool, so that the one writer connection is
// never waited for.
func (s *Store) readVocabulary(ctx context.Context) (vocabRows, error) {
	var rows vocabRows
	db := s.r.WithContext(ctx)
	if err := db.Select(countryColumns).Order("code").Find(&rows.countries).Error; err != nil {
		return rows, translate(err, "load countries")
	}
	if err := db.Select(themeColumns).Order("slug").Find(&rows.themes).Error; err != nil {
		return rows, translate(err, "load themes")
	}
	return rows, nil
}

// publishVocabulary makes a snapshot of rows, with its tagger, and
// publishes it. The caller holds vocab.mu.
func (s *Store) publishVocabulary(rows vocabRows) {
	countries := make([]news.Country, len(rows.countries))
	for i, r := range rows.countries {
		countries[i] = r.toCountry()
	}
	themes := make([]news.Theme, len(rows.themes))
	for i, r := range rows.themes {
		themes[i] = r.toTheme()
	}
	tg := newTagger(countries, themes)
	tag := func(title, summary, body string) news.Suggestions {
		res := tg.Tag(classify.Text{Title: title, Summary: summary, Body: body})
		return news.Suggestions{Countries: suggestions(res.Countries), Themes: suggestions(res.Themes),
			SuggestedCountries: suggestions(res.SuggestedCountries), SuggestedThemes: suggestions(res.SuggestedThemes)}
	}
	s.vocab.rows, s.vocab.loaded = rows, true
	s.vocab.current.Store(news.NewVocabulary(countries, themes, tag))
}

// editVocabularyLocked publishes, after a commit through this store, the
// snapshot with theme from removed (when not "") and put in its place
// (when not nil), without reading the tables again. Either step may be
// repeated harmlessly, should a refresh have read the change already.
// The caller holds vocab.mu.
func (s *Store) editVocabularyLocked(ctx context.Context, from string, put *news.Theme) {
	if !s.vocab.loaded {
		// Nothing to edit yet; the refresher tries again should this fail.
		_ = s.reloadVocabularyLocked(ctx)
		return
	}
	rows := s.vocab.rows
	rows.themes = slices.DeleteFunc(slices.Clone(rows.themes), func(r themeModel) bool {
		return r.Slug == from || put != nil && r.Slug == put.Slug
	})
	if put != nil {
		rows.themes = append(rows.themes, toThemeModel(*put))
		slices.SortFunc(rows.themes, func(a, b themeModel) int { return strings.Compare(a.Slug, b.Slug) })
	}
	s.publishVocabulary(rows)
}

// newTagger builds the automatic tagger: countries are found by their
// names and keywords, themes by their keywords, and what they find is
// weighed by the models trained on the labelled headlines
// (classify.ThemesModel, classify.CountriesModel).
func newTagger(countries []news.Country, themes []news.Theme) *classify.Tagger {
	return newRulesTagger(countries, themes).WithThemesModel(themesModel).WithCountriesModel(countriesModel)
}

// The trained models, read once.
var themesModel, countriesModel = classify.ThemesModel(), classify.CountriesModel()

// newRulesTagger is the tagger of the vocabulary's rules alone.
func newRulesTagger(countries []news.Country, themes []news.Theme) *classify.Tagger {
	ce := make([]classify.Entry, len(countries))
	for i, c := range countries {
		ce[i] = classify.Entry{Key: c.Code, Terms: append([]string{c.Name}, c.Keywords...)}
	}
	te := make([]classify.Entry, len(themes))
	for i, t := range themes {
		te[i] = classify.Entry{Key: t.Slug, Terms: t.Keywords}
	}
	return classify.New(ce, te)
}

func suggestions(matches []classify.Match) []news.Suggestion {
	out := make([]news.Suggestion, len(matches))
	for i, m := range matches {
		out[i] = news.Suggestion{Key: m.Key, Words: m.Words, Learned: m.Learned, Confidence: m.Confidence}
	}
	return out
}

// clearVocabulary publishes the empty vocabulary, read again at the
// refresher's next tick.
func (s *Store) clearVocabulary() {
	s.vocab.mu.Lock()
	defer s.vocab.mu.Unlock()
	s.vocab.rows, s.vocab.loaded = vocabRows{}, false
	s.vocab.current.Store(&news.Vocabulary{})
}

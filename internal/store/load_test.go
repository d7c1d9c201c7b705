package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/store/storetest"
)

// loadDrafts are records as an import brings them: tags of every kind, a
// draft, one without url, one without tags, a url that comes twice, and
// bodies with tabs, line breaks and backslashes (which COPY escapes).
func loadDrafts(tb testing.TB, s *Store) []news.Draft {
	tb.Helper()
	countries := []string{"KP", "RU", "CN", "US", "JP", "KR", "CU"}
	themes := []string{"sanctions", "trade", "troops", "diplomacy"}
	var out []news.Draft
	for i := range 300 {
		cs := []string{countries[i%len(countries)]}
		if i%3 == 0 {
			cs = append(cs, countries[(i+1+i/3%5)%len(countries)])
		}
		ts := []string{themes[i%len(themes)]}
		if i%5 == 0 {
			ts = append(ts, themes[(i+1+i/5%3)%len(themes)])
		}
		d := draft(tb, s, fmt.Sprintf("Headline %d about talks and sanctions", i), t0.Add(time.Duration(i*37%300)*time.Hour), cs, ts)
		d.URL = fmt.Sprintf("https://news.example.com/%d", i)
		if i%50 == 1 {
			d.Body = "Talks resumed.\tIn Pyongyang, \\N is no null;\nnor is C:\\path\\ a \\ break.\n\n"
		}
		switch i {
		case 7:
			d.Status = news.StatusDraft
		case 8:
			d.URL = ""
		case 9:
			d.Countries, d.Themes = nil, nil
		case 250: // the url of record 3 again, without a date: it keeps record 3's
			d.URL = "https://news.example.com/3"
			d.PublishedAt = time.Time{}
			d.Title = "Headline 3, corrected"
		}
		out = append(out, d)
	}
	return out
}

// A load into an empty database stores what upserting the same records
// would: the same articles, lists, totals, facets, search hits, tag rows
// and change feed, with the same schema afterwards, and the next article
// created gets the same id.
func TestLoadMatchesUpserts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		testLoadMatchesUpserts(t, kind)
	})
}

func testLoadMatchesUpserts(t *testing.T, kind string) {
	ctx := context.Background()
	loaded, _ := newStore(t, kind)
	upserted, _ := newStore(t, kind)
	drafts := loadDrafts(t, loaded)

	l, err := loaded.BeginLoad(ctx)
	if err != nil || l == nil {
		t.Fatalf("BeginLoad on an empty database: %v, %v", l, err)
	}
	var created []bool
	for _, batch := range [][]news.Draft{drafts[:200], drafts[200:]} {
		c, err := l.Add(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, c...)
		c, err = upserted.UpsertArticles(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(created[len(created)-len(c):], c) {
			t.Errorf("created %v by the load, %v by upserts", created[len(created)-len(c):], c)
		}
	}
	if created[3] != true || created[250] != false {
		t.Errorf("created[3], created[250] = %v, %v; want true, false", created[3], created[250])
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// The load wrote each new article's list JSON with it; an article
	// that a later record of the load changed has none until filled.
	if kept := checkListJSON(t, loaded, "after a load"); kind == "sqlite" && (kept == 0 || kept == len(drafts)) {
		t.Errorf("after a load of %d records, %d articles have their list JSON", len(drafts), kept)
	}
	fillAllListJSON(t, loaded)
	checkListJSON(t, loaded, "after a load, filled")

	all := func(s *Store) []news.Article {
		var out []news.Article
		if err := s.EachArticle(ctx, func(a news.Article) error { out = append(out, a); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got, want := all(loaded), all(upserted); !reflect.DeepEqual(got, want) {
		for i := range min(len(got), len(want)) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("%d and %d articles; the first to differ:\nloaded   %+v\nupserted %+v", len(got), len(want), got[i], want[i])
				break
			}
		}
	} else if len(got) != 299 || got[3].Title != "Headline 3, corrected" || got[3].Version != 2 || !got[3].PublishedAt.Equal(drafts[3].PublishedAt) {
		t.Errorf("%d articles; the one imported twice: %+v", len(got), got[3])
	}

	for _, f := range []news.Filter{
		{Countries: []string{"RU"}, Themes: []string{"sanctions"}, Limit: 20, IncludeTotal: true, Facets: []string{"country", "theme"}},
		{Countries: []string{"KP", "CU"}, Limit: 50, IncludeTotal: true},
		{Themes: []string{"trade"}, Limit: 50},
		{Countries: []string{"JP"}, Limit: 50, WithDrafts: true},
		{Limit: 400, WithDrafts: true},
		{Query: []string{"corrected"}, Limit: 10},
		{Query: []string{"sanctions"}, Countries: []string{"CN"}, Limit: 10, IncludeTotal: true},
	} {
		f.Sort = news.SortNewest
		got, err := loaded.ListArticles(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := upserted.ListArticles(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Articles) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: %d articles from the load, %d from upserts; equal: %v", f, len(got.Articles), len(want.Articles), reflect.DeepEqual(got, want))
		}
	}

	// The article counts of countries and themes, which leave out drafts.
	cs1, err1 := loaded.Countries(ctx, true)
	cs2, err2 := upserted.Countries(ctx, true)
	if err1 != nil || err2 != nil || len(cs1) == 0 || !reflect.DeepEqual(cs1, cs2) {
		t.Errorf("countries after the load %v, %v; after upserts %v, %v", cs1, err1, cs2, err2)
	}
	ts1, err1 := loaded.Themes(ctx, true)
	ts2, err2 := upserted.Themes(ctx, true)
	if err1 != nil || err2 != nil || len(ts1) == 0 || !reflect.DeepEqual(ts1, ts2) {
		t.Errorf("themes after the load %v, %v; after upserts %v, %v", ts1, err1, ts2, err2)
	}

	// The change feed has every article once. Its order may differ: the
	// load numbers articles by id, upserts move a replaced one to the end.
	feed := func(s *Store) map[int64]int {
		changes, err := s.Changes(ctx, 0, 1000, true)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]int{}
		for _, c := range changes {
			out[c.ID] = c.Article.Version
		}
		return out
	}
	if got, want := feed(loaded), feed(upserted); len(got) != 299 || !reflect.DeepEqual(got, want) {
		t.Errorf("change feed: %d entries from the load, %d from upserts", len(got), len(want))
	}

	if got, want := schema(t, loaded), schema(t, upserted); !reflect.DeepEqual(got, want) {
		t.Errorf("schema after the load, and after migrations:\n%s", schemaDiff(got, want))
	}

	// The tag tables hold the same rows, made in Go by the load.
	for _, q := range []string{
		`SELECT country || ' ' || published_at || ' ' || article_id FROM article_countries ORDER BY 1`,
		`SELECT theme || ' ' || published_at || ' ' || article_id FROM article_themes ORDER BY 1`,
		`SELECT country || ' ' || theme || ' ' || published_at || ' ' || article_id || ' ' || countries || ' ' || themes FROM article_pairs ORDER BY 1`,
		`SELECT country || ' ' || theme || ' ' || countries || ' ' || themes || ' ' || n FROM article_tagsets WHERE n > 0 ORDER BY 1`,
		`SELECT article_id || ' ' || deleted || ' ' || changed_at FROM changes ORDER BY article_id`,
	} {
		var got, want []string
		err1 := loaded.w.Raw(q).Scan(&got).Error
		err2 := upserted.w.Raw(q).Scan(&want).Error
		if err1 != nil || err2 != nil || len(got) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s: %d rows after the load, %d after upserts (%v, %v)", q, len(got), len(want), err1, err2)
		}
	}

	// Writes after the load keep every structure up to date, the full-text
	// index and the tag-set counts included, and the next article gets the
	// id it gets after upserts.
	later := draft(t, loaded, "Later story on troop movements", t0.Add(1000*time.Hour), []string{"RU"}, []string{"sanctions"})
	a := mustCreate(t, loaded, later)
	if b := mustCreate(t, upserted, later); a.ID != b.ID || a.ID != 300 {
		t.Errorf("the article created after the load has id %d, after upserts %d; want 300 (300 records, one url twice)", a.ID, b.ID)
	}
	page, err := loaded.ListArticles(ctx, news.Filter{Countries: []string{"RU"}, Themes: []string{"sanctions"}, Query: []string{"troop"}, Sort: news.SortNewest, Limit: 5})
	if err != nil || len(page.Articles) != 1 || page.Articles[0].ID != a.ID {
		t.Errorf("an article created after the load: %+v, %v", page.Articles, err)
	}
	pair := news.Filter{Countries: []string{"RU"}, Themes: []string{"sanctions"}, Sort: news.SortNewest, Limit: 5, IncludeTotal: true, Facets: []string{"country", "theme"}}
	got, err1 := loaded.ListArticles(ctx, pair)
	want, err2 := upserted.ListArticles(ctx, pair)
	if err1 != nil || err2 != nil || got.Total == nil || *got.Total < 2 || !reflect.DeepEqual(got, want) {
		t.Errorf("the pair after a create: %+v, %v from the load; %+v, %v from upserts", got, err1, want, err2)
	}
}

// A load that is rolled back, or that fails, leaves the empty database as
// it was: no rows anywhere, the same schema (indexes, keys, triggers
// enabled), and writes after it are listed, counted and found as ever. A
// load is only for a database without articles.
func TestLoadRollbackAndWhenNot(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		for _, end := range []string{"rollback", "bad record", "fails at commit"} {
			t.Run(end, func(t *testing.T) {
				t.Parallel()
				testLoadUndone(t, kind, end)
			})
		}
	})
}

func testLoadUndone(t *testing.T, kind, end string) {
	ctx := context.Background()
	s, _ := newStore(t, kind)
	before := schema(t, s)
	l, err := s.BeginLoad(ctx)
	if err != nil || l == nil {
		t.Fatalf("BeginLoad on an empty database: %v, %v", l, err)
	}
	drafts := loadDrafts(t, s)[:50]
	if _, err := l.Add(ctx, drafts); err != nil {
		t.Fatal(err)
	}
	switch end {
	case "rollback":
		l.Rollback()
	case "bad record":
		bad := drafts[20]
		bad.URL, bad.Status = "https://news.example.com/bad", "retracted" // refused by the status column's CHECK
		// The load may find out at the next call (PostgreSQL copies a
		// batch while the next is read).
		_, err := l.Add(ctx, []news.Draft{drafts[21], bad})
		if err == nil {
			err = l.Commit(ctx)
		}
		if err == nil {
			t.Error("a load took a record whose status the database refuses")
		}
		l.Rollback()
	case "fails at commit":
		// A url that comes again unseen: the unique index on url, built
		// at the end, refuses the second.
		urls, seed := loadURLs(l)
		delete(urls, maphash.String(seed, drafts[10].URL))
		if created, err := l.Add(ctx, []news.Draft{drafts[10]}); err != nil || !created[0] {
			t.Fatalf("a url again, unseen: %v, %v", created, err)
		}
		if err := l.Commit(ctx); err == nil {
			t.Fatal("a load with a url twice committed")
		}
		l.Rollback() // as callers do; a no-op after Commit
	}
	if side, ok := l.(*load); ok {
		if _, err := os.Stat(side.side); side.side == "" || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("side file %q after the load: %v", side.side, err)
		}
	}
	if got := schema(t, s); !reflect.DeepEqual(got, before) {
		t.Errorf("schema after the load, and before it:\n%s", schemaDiff(got, before))
	}
	for _, table := range []string{"articles", "article_countries", "article_themes", "article_pairs", "article_tagsets", "changes"} {
		var n int64
		if err := s.w.Raw(`SELECT count(*) FROM ` + table).Scan(&n).Error; err != nil || n != 0 {
			t.Errorf("%s after the load: %d rows, %v; want none", table, n, err)
		}
	}
	if seq, err := s.LastChange(ctx); err != nil || seq != 0 {
		t.Errorf("the change counter after the load: %d, %v; want 0", seq, err)
	}
	a := mustCreate(t, s, draft(t, s, "First story on sanctions", t0, []string{"KP"}, []string{"sanctions"}))
	for _, f := range []news.Filter{
		{Query: []string{"sanctions"}},
		{Countries: []string{"KP"}, Themes: []string{"sanctions"}, IncludeTotal: true, Facets: []string{"country", "theme"}},
	} {
		f.Sort, f.Limit = news.SortNewest, 5
		page, err := s.ListArticles(ctx, f)
		if err != nil || len(page.Articles) != 1 || page.Articles[0].ID != a.ID {
			t.Errorf("%+v after the load: %+v, %v", f, page.Articles, err)
		}
		if f.IncludeTotal && (page.Total == nil || *page.Total != 1 || len(page.Facets["country"]) != 1 || page.Facets["country"][0].Count != 1) {
			t.Errorf("%+v after the load: total %v, facets %v; want 1 of KP", f, page.Total, page.Facets)
		}
	}
	if l, err := s.BeginLoad(ctx); l != nil || err != nil {
		t.Errorf("BeginLoad with an article stored: %v, %v; want nil, nil", l, err)
	}
}

// schemaDiff lists the lines of schema listing a that b lacks (-) and
// those of b that a lacks (+).
func schemaDiff(a, b []string) string {
	var out []string
	for _, l := range a {
		if !slices.Contains(b, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// loadURLs are the hashes of the urls a load has stored, and their seed.
func loadURLs(l news.Loader) (map[uint64]int64, maphash.Seed) {
	if pl, ok := l.(*pgLoad); ok {
		return pl.urls, pl.seed
	}
	sl := l.(*load)
	return sl.urls, sl.seed
}

// schema lists the database's tables, indexes, keys and triggers as
// created; on PostgreSQL, with whether each trigger is enabled.
func schema(t *testing.T, s *Store) []string {
	t.Helper()
	q := `SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_schema ORDER BY type, name`
	if s.dialect.postgres {
		q = `SELECT 'column ' || table_name || ' ' || ordinal_position || ' ' || column_name || ' ' || data_type || ' ' || is_nullable
			|| coalesce(' default ' || column_default, '') || coalesce(' generated ' || generation_expression, '')
			FROM information_schema.columns WHERE table_schema = current_schema()
		UNION ALL
		SELECT 'index ' || tablename || ' ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = current_schema()
		UNION ALL
		SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ': ' || pg_get_constraintdef(oid) || ' ' || convalidated
			FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
		UNION ALL
		SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname || ' ' || tgenabled::text || ': ' || pg_get_triggerdef(oid)
			FROM pg_trigger WHERE NOT tgisinternal
		ORDER BY 1`
	}
	var out []string
	if err := s.w.Raw(q).Scan(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// A load that is alone on the file writes through a rollback journal and
// leaves the database in WAL mode; readers meanwhile see it empty. With
// another connection open on the file, the load goes through the log.
func TestLoadJournal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, alone := range []bool{true, false} {
		t.Run(fmt.Sprintf("alone=%v", alone), func(t *testing.T) {
			t.Parallel()
			path := storetest.DSN(t, "sqlite")
			s, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			if _, err := s.MigrateUp(ctx); err != nil {
				t.Fatal(err)
			}
			other, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if alone {
				_ = other.Close()
			} else {
				t.Cleanup(func() { _ = other.Close() })
				if _, err := other.Empty(ctx); err != nil { // opens a read connection
					t.Fatal(err)
				}
			}
			drafts := loadDrafts(t, s)[:50]
			// A side file that a killed load left, not a database at all.
			if err := os.WriteFile(path+"-load", []byte("left by a killed load"), 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := s.BeginLoad(ctx)
			if err != nil || l == nil {
				t.Fatalf("BeginLoad: %v, %v", l, err)
			}
			if got := l.(*load).journal; got != alone {
				t.Errorf("load through a rollback journal: %v, want %v", got, alone)
			}
			if got := l.(*load).side; got != path+"-load" {
				t.Errorf("side file %q, want %q", got, path+"-load")
			}
			if _, err := l.Add(ctx, drafts); err != nil {
				t.Fatal(err)
			}
			// A reader during the load, on a connection of its own.
			page, err := s.ListArticles(ctx, news.Filter{Sort: news.SortNewest, Limit: 5})
			if err != nil || len(page.Articles) != 0 {
				t.Errorf("a list during the load: %d articles, %v; want none", len(page.Articles), err)
			}
			if err := l.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			var cache int
			if err := s.w.Raw("PRAGMA cache_size").Scan(&cache).Error; err != nil || cache != -32<<10 {
				t.Errorf("the writer's cache_size after the load: %d, %v; want %d", cache, err, -32<<10)
			}
			var mode string
			if err := s.w.Raw("PRAGMA journal_mode").Scan(&mode).Error; err != nil || mode != "wal" {
				t.Errorf("journal mode after the load: %q, %v; want wal", mode, err)
			}
			for _, left := range []string{"-journal", "-load"} {
				if _, err := os.Stat(path + left); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s is left after the load: %v", path+left, err)
				}
			}
			// Read from a fresh store too: what the load stored is in the file.
			again, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = again.Close() }()
			for _, st := range []*Store{s, again} {
				page, err := st.ListArticles(ctx, news.Filter{Sort: news.SortNewest, Limit: 100, IncludeTotal: true})
				if err != nil || page.Total == nil || *page.Total != 49 {
					t.Errorf("after the load: %d articles, %v; want 49 (50 records, one a draft)", len(page.Articles), err)
				}
			}
			// The writer still commits through the log.
			mustCreate(t, s, draft(t, s, "After the load", t0, []string{"KP"}, []string{"trade"}))
			if _, err := os.Stat(path + "-wal"); err != nil {
				t.Errorf("no write-ahead log after a write: %v", err)
			}
		})
	}
}

// A load holds the write lock to its end, so the vocabulary cannot change
// meanwhile: names resolve and texts are tagged from memory, even once the
// load's pages spill into the file and readers would have to wait for it.
func TestLoadResolvesWhileItHoldsTheFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &clock{t: time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)}
	s, err := Open(storetest.DSN(t, "sqlite"), Options{Now: clk.now, WriteCacheMiB: 1, BusyTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	l, err := s.BeginLoad(ctx)
	if err != nil || l == nil {
		t.Fatalf("BeginLoad: %v, %v", l, err)
	}
	defer l.Rollback()
	// Three megabytes of articles through a 1 MiB page cache.
	body := strings.Repeat("Talks on sanctions resumed in Pyongyang. ", 50)
	for i := range 3 {
		drafts := make([]news.Draft, 500)
		for j := range drafts {
			d := draft(t, s, fmt.Sprintf("Story %d-%d", i, j), t0.Add(time.Duration(j)*time.Hour), []string{"KP"}, []string{"sanctions"})
			d.Body = body
			drafts[j] = d
		}
		if _, err := l.Add(ctx, drafts); err != nil {
			t.Fatal(err)
		}
	}
	// A refresh that comes due meanwhile leaves the snapshot alone rather
	// than wait for the file (BusyTimeout is 100 ms).
	v := s.Vocabulary()
	if err := s.refreshVocabulary(ctx); err != nil || s.Vocabulary() != v {
		t.Errorf("a refresh during the load: %v, snapshot replaced %v", err, s.Vocabulary() != v)
	}
	if slug, ok := v.Theme("Sanctions"); !ok || slug != "sanctions" {
		t.Errorf("Theme during the load: %q, %v", slug, ok)
	}
	if got := v.Classify("Japan protests", "", ""); len(got.Countries) != 1 || got.Countries[0].Key != "JP" {
		t.Errorf("Classify during the load: %+v", got)
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestLoadURLsThatShareAHash: a load finds a url that came before through
// a hash of it, with no index on url until the end. Two urls of one hash
// must still be told apart, and each found again when it comes back.
func TestLoadURLsThatShareAHash(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		testLoadURLsThatShareAHash(t, kind)
	})
}

func testLoadURLsThatShareAHash(t *testing.T, kind string) {
	ctx := context.Background()
	s, _ := newStore(t, kind)
	l, err := s.BeginLoad(ctx)
	if err != nil || l == nil {
		t.Fatalf("BeginLoad: %v, %v", l, err)
	}
	defer l.Rollback()
	urls, seed := loadURLs(l)
	a := draft(t, s, "Story A", t0, []string{"KP"}, []string{"trade"})
	a.URL = "https://news.example.com/a"
	b := draft(t, s, "Story B", t0.Add(time.Hour), []string{"RU"}, []string{"sanctions"})
	b.URL = "https://news.example.com/b"
	// A url twice in one batch: the second replaces the first, which
	// waited to be inserted with others.
	c := draft(t, s, "Story C", t0.Add(2*time.Hour), []string{"CN"}, []string{"aid"})
	c.URL = "https://news.example.com/c"
	c2 := c
	c2.Title = "Story C, corrected"
	created, err := l.Add(ctx, []news.Draft{a, c, c2})
	if err != nil || !slices.Equal(created, []bool{true, true, false}) {
		t.Fatalf("a, c and c again: created %v, %v; want [true true false]", created, err)
	}
	// b's hash now leads to a, as if the two urls shared one.
	urls[maphash.String(seed, b.URL)] = urls[maphash.String(seed, a.URL)]
	created, err = l.Add(ctx, []news.Draft{b})
	if err != nil || !created[0] {
		t.Fatalf("b with a's hash: created %v, %v", created, err)
	}
	a.Title, b.Title = "Story A, corrected", "Story B, corrected"
	created, err = l.Add(ctx, []news.Draft{b, a})
	if err != nil || created[0] || created[1] {
		t.Fatalf("a and b again: created %v, %v", created, err)
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := s.ListArticles(ctx, news.Filter{Sort: news.SortOldest, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, art := range page.Articles {
		titles = append(titles, art.Title)
	}
	if want := []string{"Story A, corrected", "Story B, corrected", "Story C, corrected"}; !slices.Equal(titles, want) {
		t.Errorf("articles %q, want %q", titles, want)
	}
}

// The tag rows of a load go in many to a statement, their bucket's tag
// bound once: every row arrives, whatever a bucket's size, on both
// databases (PostgreSQL's restore writes them so too).
func TestGroupInsertWritesEveryRow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		ctx := context.Background()
		s, _ := newStore(t, kind)
		tx, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		if _, err := tx.ExecContext(ctx, `CREATE TEMPORARY TABLE grouped (tag TEXT NOT NULL, a INTEGER NOT NULL, b INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		st := &bulkStatements{ctx: ctx, tx: tx, d: s.dialect, stmts: map[string]*sql.Stmt{}}
		defer st.close()
		g := st.group("INSERT INTO grouped (tag, a, b) VALUES", 1, 2)
		var want []string
		for _, n := range []int{0, 1, 3, g.per - 1, g.per, g.per + 1, 2*g.per + 77} {
			tag := fmt.Sprintf("tag%04d", n)
			err := g.insert([]any{tag}, n, func(i int, args []any) []any { return append(args, i, n-i) })
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				want = append(want, fmt.Sprintf("%s %d %d", tag, i, n-i))
			}
		}
		var got []string
		rows, err := tx.QueryContext(ctx, `SELECT tag, a, b FROM grouped ORDER BY tag, a`)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			var tag string
			var a, b int
			if err := rows.Scan(&tag, &a, &b); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s %d %d", tag, a, b))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%d rows read back, %d inserted; equal: %v", len(got), len(want), slices.Equal(got, want))
		}
	})
}

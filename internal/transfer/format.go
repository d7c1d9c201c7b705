package transfer

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/wire"
)

// An export is JSON Lines, one object per line whose one member (two for
// articles and tombstones) says what the line holds, in this order:
//
//	{"export":{"format":"headlines","version":1}}
//	{"theme":{"slug":"sanctions","name":"Sanctions","description":"…","aliases":[…],"keywords":[…]}}   every theme, by slug
//	{"country":{"code":"AD","name":"Andorra","aliases":[],"keywords":[]}}                              every country, by code
//	{"article":{…the API's Article, body and tag_source included…},"change":{"seq":17,"at":"…"}}     every article, by id
//	{"tombstone":{"id":5,"version":3,"deleted_at":"…"},"change":{"seq":18,"at":"…"}}                every deleted article, by id
//	{"end":{"themes":12,"countries":249,"articles":1000,"tombstones":5,"change_seq":1042}}
//
// change is the record's entry in the change feed (GET /v1/changes) and
// change_seq the feed's counter, so that clients that synced before a move
// go on after it. The end line's counts tell a whole file from a cut one.
// The same database state is always written as the same bytes.

// Format and FormatVersion name what an export's first line declares.
const (
	Format        = "headlines"
	FormatVersion = 1
)

// line is one line of an export; exactly one member is set, but for
// change beside article or tombstone.
type line struct {
	Export    *header          `json:"export,omitempty"`
	Theme     *themeRecord     `json:"theme,omitempty"`
	Country   *countryRecord   `json:"country,omitempty"`
	Article   *wire.Article    `json:"article,omitempty"`
	Tombstone *tombstoneRecord `json:"tombstone,omitempty"`
	Change    *changeRecord    `json:"change,omitempty"`
	End       *endRecord       `json:"end,omitempty"`
}

type header struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
}

type themeRecord struct {
	Slug        string   `json:"slug"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Aliases     []string `json:"aliases"`
	Keywords    []string `json:"keywords"`
}

type countryRecord struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	Aliases  []string `json:"aliases"`
	Keywords []string `json:"keywords"`
}

type tombstoneRecord struct {
	ID        int64     `json:"id"`
	Version   int       `json:"version"`
	DeletedAt time.Time `json:"deleted_at"`
}

type changeRecord struct {
	Seq int64     `json:"seq"`
	At  time.Time `json:"at"`
}

type endRecord struct {
	Themes     int   `json:"themes"`
	Countries  int   `json:"countries"`
	Articles   int   `json:"articles"`
	Tombstones int   `json:"tombstones"`
	ChangeSeq  int64 `json:"change_seq"`
}

// kind says what an export line holds.
type kind uint8

const (
	kindTheme kind = iota + 1
	kindCountry
	kindArticle
	kindTombstone
	kindEnd
)

// item is an export line, decoded.
type item struct {
	kind      kind
	theme     news.Theme
	country   news.Country
	article   news.Article
	tombstone news.Tombstone
	feed      news.FeedEntry
	end       endRecord
}

// isHeader reports whether raw is an export's first line.
func isHeader(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	if !bytes.HasPrefix(raw, []byte("{")) || !bytes.Contains(raw, []byte(`"export"`)) {
		return false
	}
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && len(m) == 1 && m["export"] != nil
}

// readHeader checks an export's first line.
func readHeader(raw []byte) error {
	var l line
	if err := decodeLine(raw, &l); err != nil {
		return err
	}
	if l.Export.Format != Format {
		return news.FieldErrorf(news.EInvalid, "export.format", "must be %q, got %q", Format, l.Export.Format)
	}
	if l.Export.Version != FormatVersion {
		return news.FieldErrorf(news.EInvalid, "export.version", "is %d; this release reads version %d", l.Export.Version, FormatVersion)
	}
	return nil
}

func decodeLine(raw []byte, l *line) error {
	if err := wire.CheckJSON(raw); err != nil {
		return err
	}
	return wire.DecodeStrict(raw, l)
}

// decodeItem decodes an export line that follows the first.
func decodeItem(raw []byte) (item, error) {
	var l line
	if err := decodeLine(raw, &l); err != nil {
		return item{}, err
	}
	var it item
	n := 0
	set := func(k kind, ok bool) {
		if ok {
			it.kind = k
			n++
		}
	}
	set(kindTheme, l.Theme != nil)
	set(kindCountry, l.Country != nil)
	set(kindArticle, l.Article != nil)
	set(kindTombstone, l.Tombstone != nil)
	set(kindEnd, l.End != nil)
	switch {
	case l.Export != nil:
		return it, news.FieldErrorf(news.EInvalid, "export", "comes only on the first line")
	case n != 1:
		return it, news.Errorf(news.EInvalid, "an export line holds one of theme, country, article, tombstone or end, got %d", n)
	case l.Change != nil && it.kind != kindArticle && it.kind != kindTombstone:
		return it, news.FieldErrorf(news.EInvalid, "change", "goes only with an article or a tombstone")
	}
	if l.Change != nil {
		it.feed = news.FeedEntry{Seq: l.Change.Seq, At: l.Change.At}
		if it.feed.Seq < 1 {
			return it, news.FieldErrorf(news.EInvalid, "change.seq", "must be at least 1")
		}
	}
	return it, it.fill(&l)
}

// fill copies the line's record into it.
func (it *item) fill(l *line) error {
	switch it.kind {
	case kindTheme:
		t := l.Theme
		it.theme = news.Theme{Slug: t.Slug, Name: t.Name, Description: t.Description, Aliases: orEmpty(t.Aliases), Keywords: t.Keywords}
	case kindCountry:
		c := l.Country
		it.country = news.Country{Code: c.Code, Name: c.Name, Aliases: orEmpty(c.Aliases), Keywords: orEmpty(c.Keywords)}
	case kindArticle:
		var err error
		it.article, err = articleOf(l.Article)
		return err
	case kindTombstone:
		t := l.Tombstone
		it.tombstone = news.Tombstone{ID: t.ID, Version: t.Version, DeletedAt: t.DeletedAt}
	case kindEnd:
		it.end = *l.End
	}
	return nil
}

// articleOf is the stored article that an export's Article describes.
func articleOf(w *wire.Article) (news.Article, error) {
	if w.TagSource == nil {
		return news.Article{}, news.FieldErrorf(news.EInvalid, "article.tag_source", "is required in an export")
	}
	auto := func(field, v string) (bool, error) {
		switch v {
		case "auto", "editor":
			return v == "auto", nil
		}
		return false, news.FieldErrorf(news.EInvalid, field, `must be "auto" or "editor", got %q`, v)
	}
	autoCountries, err := auto("article.tag_source.countries", w.TagSource.Countries)
	if err != nil {
		return news.Article{}, err
	}
	autoThemes, err := auto("article.tag_source.themes", w.TagSource.Themes)
	if err != nil {
		return news.Article{}, err
	}
	return news.Article{
		ID: w.ID, Title: w.Title, Summary: w.Summary, Body: w.Body, URL: deref(w.URL), ImageURL: deref(w.ImageURL),
		Source: w.Source, Section: w.Section, Author: deref(w.Author), Language: w.Language,
		Countries: orEmpty(w.Countries), Themes: orEmpty(w.Themes), Status: news.Status(w.Status),
		PublishedAt: w.PublishedAt, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt, Version: w.Version,
		AutoCountries: autoCountries, AutoThemes: autoThemes,
	}, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func orEmpty(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

func (k kind) String() string {
	return [...]string{"", "theme", "country", "article", "tombstone", "end"}[k]
}

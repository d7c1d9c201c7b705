package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/headlines/headlines/internal/news"
)

// Article is an article as the API returns it. Lists leave out body unless
// fields= asks for it; fields= may select any subset (id always comes).
//
// Absent values follow one rule, in every answer that carries an article
// (GET, lists, batch results, the change feed) and in the export:
// url, image_url and author, which may be absent, are null when they are;
// summary, body, source and section are always strings, "" when empty,
// never null and never left out when asked for. In writes, null means the
// field's default, as leaving the member out of a create does: url,
// image_url and author become null, summary, body, source and section "",
// language "en". In a merge patch, where a member left out is kept, null
// therefore clears; title, status and published_at, which have no empty
// value, refuse null there with a 422 naming the field.
type Article struct {
	ID          int64     `validate:"required" json:"id" example:"3"`
	Title       string    `validate:"required" json:"title" example:"New Zealand targets North Korean military support for Russia with new sanctions"`
	Summary     string    `validate:"required" json:"summary" example:"Wellington accuses DPRK of helping Moscow ‘sustain its illegal war of aggression,’ pledging to hold it accountable"`
	Body        string    `validate:"required" json:"body" example:""`
	URL         *string   `validate:"required" json:"url" extensions:"x-nullable"`
	ImageURL    *string   `validate:"required" json:"image_url" extensions:"x-nullable"`
	Source      string    `validate:"required" json:"source" example:"NK News"`
	Section     string    `validate:"required" json:"section" example:"foreign-relations"`
	Author      *string   `validate:"required" json:"author" extensions:"x-nullable"`
	Language    string    `validate:"required" json:"language" example:"en"`
	Countries   []string  `validate:"required" json:"countries" example:"KP,NZ,RU"`
	Themes      []string  `validate:"required" json:"themes" example:"sanctions,troops"`
	Status      string    `validate:"required" json:"status" enums:"published,draft" example:"published"`
	PublishedAt time.Time `validate:"required" json:"published_at" example:"2025-06-26T08:15:00Z"`
	CreatedAt   time.Time `validate:"required" json:"created_at" example:"2025-06-26T08:20:00Z"`
	UpdatedAt   time.Time `validate:"required" json:"updated_at" example:"2025-06-26T08:20:00Z"`
	Version     int       `validate:"required" json:"version" example:"1"`
	// Who chose the tags: the automatic tagger ("auto", when the write
	// left the list out) or an editor. In lists only when fields= asks.
	TagSource *TagSource `json:"tag_source,omitempty"`
} //	@name	Article

// TagSource says, for each tag list of an article, who chose it.
type TagSource struct {
	Countries string `validate:"required" json:"countries" enums:"auto,editor" example:"auto"`
	Themes    string `validate:"required" json:"themes" enums:"auto,editor" example:"editor"`
} //	@name	TagSource

// ArticleInput is the body of a create, a full replace or an import line.
// countries and themes take codes, names or aliases in any case; left out,
// the automatic tagger fills them from the title, summary and body (see
// POST /v1/classify), and tag_source says so. An empty list is kept empty.
type ArticleInput struct {
	Title       string    `validate:"required" json:"title" example:"North Korea-China trade jumps to $230M in May, bringing yearly total to over $1B"`
	Summary     string    `json:"summary" example:"Official data underscores strong growth this year despite speculation about strained ties due to DPRK support for Russia"`
	Body        string    `json:"body" example:""`
	URL         *string   `json:"url" extensions:"x-nullable" example:"https://example.com/2025/06/north-korea-china-trade-may"`
	ImageURL    *string   `json:"image_url" extensions:"x-nullable"`
	Source      string    `json:"source" example:"NK News"`
	Section     string    `json:"section" example:"foreign-relations"`
	Author      *string   `json:"author" extensions:"x-nullable"`
	Language    string    `json:"language" example:"en"`
	Countries   *[]string `json:"countries" extensions:"x-nullable" example:"North Korea,China"`
	Themes      *[]string `json:"themes" extensions:"x-nullable" example:"trade"`
	Status      string    `json:"status" enums:"published,draft" example:"published"`
	PublishedAt *string   `json:"published_at" extensions:"x-nullable" example:"2025-06-25T11:00:00Z"`
} //	@name	ArticleInput

// ArticlePatch is a JSON merge patch (RFC 7386) of an article: members left
// out are kept; null clears url, image_url, author, summary, body, source,
// section, language and the tag lists (title, status and published_at
// cannot be cleared).
type ArticlePatch struct {
	Title       *string   `json:"title" example:"North Korea-China trade jumps to $230M in May"`
	Summary     *string   `json:"summary" extensions:"x-nullable"`
	Body        *string   `json:"body" extensions:"x-nullable"`
	URL         *string   `json:"url" extensions:"x-nullable"`
	ImageURL    *string   `json:"image_url" extensions:"x-nullable"`
	Source      *string   `json:"source" extensions:"x-nullable"`
	Section     *string   `json:"section" extensions:"x-nullable"`
	Author      *string   `json:"author" extensions:"x-nullable"`
	Language    *string   `json:"language" extensions:"x-nullable"`
	Countries   *[]string `json:"countries" extensions:"x-nullable" example:"KP,CN"`
	Themes      *[]string `json:"themes" extensions:"x-nullable" example:"trade,sanctions"`
	Status      *string   `json:"status" enums:"published,draft"`
	PublishedAt *string   `json:"published_at"`
} //	@name	ArticlePatch

// ArticleList is a page of articles.
type ArticleList struct {
	Data       []Article          `validate:"required" json:"data"`
	NextCursor *string            `validate:"required" json:"next_cursor" extensions:"x-nullable"`
	Total      *int               `json:"total,omitempty" example:"4"`
	Facets     map[string][]Facet `json:"facets,omitempty"`
} //	@name	ArticleList

// Facet is the number of matching articles carrying one country or theme.
type Facet struct {
	Value string `validate:"required" json:"value" example:"RU"`
	Count int    `validate:"required" json:"count" example:"4"`
} //	@name	Facet

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// parseTime accepts RFC 3339, or a date alone (midnight UTC).
func parseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// nfc puts text into Unicode Normalization Form C, so that the same
// headline typed on two keyboards is stored, searched and compared alike.
func nfc(s string) string { return norm.NFC.String(s) }

func nfcPtr(p *string) *string {
	if p == nil {
		return nil
	}
	s := nfc(*p)
	return &s
}

func nfcList(p *[]string) *[]string {
	if p == nil {
		return nil
	}
	out := make([]string, len(*p))
	for i, s := range *p {
		out[i] = nfc(s)
	}
	return &out
}

// toDraft converts an input body into a domain draft, normalized and
// checked; every failing field is listed.
func (in ArticleInput) toDraft(ctx context.Context, r news.Resolver) (news.Draft, error) {
	in.Title, in.Summary, in.Body, in.Source, in.Section = nfc(in.Title), nfc(in.Summary), nfc(in.Body), nfc(in.Source), nfc(in.Section)
	in.URL, in.ImageURL, in.Author = nfcPtr(in.URL), nfcPtr(in.ImageURL), nfcPtr(in.Author)
	in.Countries, in.Themes = nfcList(in.Countries), nfcList(in.Themes)
	d := news.Draft{
		Title: in.Title, Summary: in.Summary, Body: in.Body, URL: str(in.URL), ImageURL: str(in.ImageURL),
		Source: in.Source, Section: in.Section, Author: str(in.Author), Language: in.Language,
		Status: news.Status(in.Status),
		// A list left out is the automatic tagger's to fill; an explicit
		// one, even empty, is kept.
		AutoCountries: in.Countries == nil, AutoThemes: in.Themes == nil,
	}
	if in.Countries != nil {
		d.Countries = *in.Countries
	}
	if in.Themes != nil {
		d.Themes = *in.Themes
	}
	var p news.Problems
	if in.PublishedAt != nil {
		t, ok := parseTime(*in.PublishedAt)
		if !ok {
			p.Add("published_at", "must be an RFC 3339 timestamp such as 2025-06-25T11:00:00Z")
		}
		d.PublishedAt = t
	}
	return d, mergeProblems(p, d.Normalize(ctx, r))
}

// mergeProblems adds the fields of a validation error to p.
func mergeProblems(p news.Problems, err error) error {
	if err == nil {
		return p.Err(news.EValidation, "the article has invalid fields")
	}
	var ne *news.Error
	if len(p) == 0 || !errors.As(err, &ne) || ne.Code != news.EValidation {
		return err
	}
	return append(p, ne.Fields...).Err(news.EValidation, ne.Message)
}

// toUpdate converts a merge patch into a domain update.
func (in ArticlePatch) toUpdate(raw map[string]json.RawMessage) (news.Update, error) {
	for _, f := range []**string{&in.Title, &in.Summary, &in.Body, &in.URL, &in.ImageURL, &in.Source, &in.Section, &in.Author} {
		*f = nfcPtr(*f)
	}
	in.Countries, in.Themes = nfcList(in.Countries), nfcList(in.Themes)
	var p news.Problems
	u := news.Update{
		Title: in.Title, Summary: in.Summary, Body: in.Body, Source: in.Source,
		Section: in.Section, Language: in.Language, Countries: in.Countries, Themes: in.Themes,
	}
	empty := ""
	// A null member clears the field: optional strings become empty, tag
	// lists become empty; title, status and published_at cannot be cleared.
	for name, val := range raw {
		if string(bytes.TrimSpace(val)) != "null" {
			continue
		}
		switch name {
		case "title", "status", "published_at":
			p.Add(name, "cannot be null")
		case "summary":
			u.Summary = &empty
		case "body":
			u.Body = &empty
		case "source":
			u.Source = &empty
		case "section":
			u.Section = &empty
		case "language":
			u.Language = &empty
		case "countries":
			u.Countries = &[]string{}
		case "themes":
			u.Themes = &[]string{}
		}
	}
	if _, ok := raw["url"]; ok {
		u.URL = &empty
		if in.URL != nil {
			u.URL = in.URL
		}
	}
	if _, ok := raw["image_url"]; ok {
		u.ImageURL = &empty
		if in.ImageURL != nil {
			u.ImageURL = in.ImageURL
		}
	}
	if _, ok := raw["author"]; ok {
		u.Author = &empty
		if in.Author != nil {
			u.Author = in.Author
		}
	}
	if in.Status != nil {
		st := news.Status(*in.Status)
		u.Status = &st
	}
	if in.PublishedAt != nil {
		t, ok := parseTime(*in.PublishedAt)
		if !ok {
			p.Add("published_at", "must be an RFC 3339 timestamp such as 2025-06-25T11:00:00Z")
		}
		u.PublishedAt = &t
	}
	return u, p.Err(news.EValidation, "the patch has invalid fields")
}

// articleFields is every field of Article in output order, with its writer.
var articleFields = []struct {
	name  string
	write func(w *jsonWriter, a *news.Article)
}{
	{"id", func(w *jsonWriter, a *news.Article) { w.int(a.ID) }},
	{"title", func(w *jsonWriter, a *news.Article) { w.str(a.Title) }},
	{"summary", func(w *jsonWriter, a *news.Article) { w.str(a.Summary) }},
	{"body", func(w *jsonWriter, a *news.Article) { w.str(a.Body) }},
	{"url", func(w *jsonWriter, a *news.Article) { w.nullStr(a.URL) }},
	{"image_url", func(w *jsonWriter, a *news.Article) { w.nullStr(a.ImageURL) }},
	{"source", func(w *jsonWriter, a *news.Article) { w.str(a.Source) }},
	{"section", func(w *jsonWriter, a *news.Article) { w.str(a.Section) }},
	{"author", func(w *jsonWriter, a *news.Article) { w.nullStr(a.Author) }},
	{"language", func(w *jsonWriter, a *news.Article) { w.str(a.Language) }},
	{"countries", func(w *jsonWriter, a *news.Article) { w.strs(a.Countries) }},
	{"themes", func(w *jsonWriter, a *news.Article) { w.strs(a.Themes) }},
	{"status", func(w *jsonWriter, a *news.Article) { w.str(string(a.Status)) }},
	{"published_at", func(w *jsonWriter, a *news.Article) { w.time(a.PublishedAt) }},
	{"created_at", func(w *jsonWriter, a *news.Article) { w.time(a.CreatedAt) }},
	{"updated_at", func(w *jsonWriter, a *news.Article) { w.time(a.UpdatedAt) }},
	{"version", func(w *jsonWriter, a *news.Article) { w.int(int64(a.Version)) }},
	{"tag_source", func(w *jsonWriter, a *news.Article) {
		w.b.WriteString(`{"countries":"` + tagSource(a.AutoCountries) + `","themes":"` + tagSource(a.AutoThemes) + `"}`)
	}},
}

func tagSource(auto bool) string {
	if auto {
		return "auto"
	}
	return "editor"
}

// fieldSet selects fields of articleFields by index.
type fieldSet uint64

const (
	allFields      fieldSet = 1<<18 - 1
	bodyField      fieldSet = 1 << 3
	tagSourceField fieldSet = 1 << 17
	// Lists leave out the body and who chose the tags, unless fields= asks.
	listFields = allFields &^ bodyField &^ tagSourceField
)

// parseFields reads a fields= value; id is always included.
func parseFields(list []string) (fieldSet, error) {
	set := fieldSet(1)
	for _, name := range list {
		found := false
		for i, f := range articleFields {
			if f.name == name {
				set |= 1 << i
				found = true
			}
		}
		if !found {
			names := make([]string, len(articleFields))
			for i, f := range articleFields {
				names[i] = f.name
			}
			msg := "known fields: " + strings.Join(names, ",")
			if c := closest(name, names); c != "" {
				msg = "did you mean " + c + "?"
			}
			return 0, news.FieldErrorf(news.EInvalid, "fields", "unknown field %q; %s", name, msg)
		}
	}
	return set, nil
}

// writeArticle writes a as a JSON object with the fields in set.
func writeArticle(w *jsonWriter, a *news.Article, set fieldSet) {
	w.b.WriteByte('{')
	first := true
	for i, f := range articleFields {
		if set&(1<<i) == 0 {
			continue
		}
		if !first {
			w.b.WriteByte(',')
		}
		first = false
		w.b.WriteByte('"')
		w.b.WriteString(f.name)
		w.b.WriteString(`":`)
		f.write(w, a)
	}
	w.b.WriteByte('}')
}

// jsonWriter appends JSON values to a buffer. Strings are escaped exactly
// as encoding/json escapes them: HTML-safe (<, > and & as \u escapes),
// U+2028 and U+2029 escaped, invalid UTF-8 replaced by U+FFFD.
type jsonWriter struct{ b *bytes.Buffer }

// newJSONWriter returns a writer with a recycled buffer; release gives it
// back once the bytes have been written out.
func newJSONWriter() *jsonWriter { return &jsonWriter{b: getBuf()} }

func (w *jsonWriter) release() { putBuf(w.b) }

const hexDigits = "0123456789abcdef"

func (w *jsonWriter) str(s string) {
	b := w.b
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[start:i])
			b.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b.WriteString(s[start:i])
			b.WriteString(`\u202`)
			b.WriteByte(hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

func (w *jsonWriter) nullStr(s string) {
	if s == "" {
		w.b.WriteString("null")
		return
	}
	w.str(s)
}

func (w *jsonWriter) strs(list []string) {
	w.b.WriteByte('[')
	for i, s := range list {
		if i > 0 {
			w.b.WriteByte(',')
		}
		w.str(s)
	}
	w.b.WriteByte(']')
}

func (w *jsonWriter) int(n int64) {
	var buf [20]byte
	w.b.Write(strconv.AppendInt(buf[:0], n, 10))
}

func (w *jsonWriter) time(t time.Time) {
	var buf [40]byte
	w.b.WriteByte('"')
	w.b.Write(t.UTC().AppendFormat(buf[:0], time.RFC3339Nano))
	w.b.WriteByte('"')
}

// jsonEncode writes v as JSON with a trailing newline.
func jsonEncode(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

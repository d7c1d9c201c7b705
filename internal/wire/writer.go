package wire

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/headlines/headlines/internal/news"
)

// articleFields is every field of Article in output order, with its writer.
var articleFields = []struct {
	name  string
	write func(w Writer, a *news.Article)
}{
	{"id", func(w Writer, a *news.Article) { w.Int(a.ID) }},
	{"title", func(w Writer, a *news.Article) { w.Str(a.Title) }},
	{"summary", func(w Writer, a *news.Article) { w.Str(a.Summary) }},
	{"body", func(w Writer, a *news.Article) { w.Str(a.Body) }},
	{"url", func(w Writer, a *news.Article) { w.nullString(a.URL) }},
	{"image_url", func(w Writer, a *news.Article) { w.nullString(a.ImageURL) }},
	{"source", func(w Writer, a *news.Article) { w.Str(a.Source) }},
	{"section", func(w Writer, a *news.Article) { w.Str(a.Section) }},
	{"author", func(w Writer, a *news.Article) { w.nullString(a.Author) }},
	{"language", func(w Writer, a *news.Article) { w.Str(a.Language) }},
	{"countries", func(w Writer, a *news.Article) { w.strings(a.Countries) }},
	{"themes", func(w Writer, a *news.Article) { w.strings(a.Themes) }},
	{"status", func(w Writer, a *news.Article) { w.Str(string(a.Status)) }},
	{"published_at", func(w Writer, a *news.Article) { w.time(a.PublishedAt) }},
	{"created_at", func(w Writer, a *news.Article) { w.time(a.CreatedAt) }},
	{"updated_at", func(w Writer, a *news.Article) { w.time(a.UpdatedAt) }},
	{"version", func(w Writer, a *news.Article) { w.Int(int64(a.Version)) }},
	{"tag_source", func(w Writer, a *news.Article) {
		w.b.WriteString(`{"countries":"` + tagSource(a.AutoCountries) + `","themes":"` + tagSource(a.AutoThemes) + `"}`)
	}},
}

// Fields is a set of Article's fields, for answers that carry only some.
type Fields uint64

// Sets of fields.
const (
	AllFields      Fields = 1<<18 - 1
	BodyField      Fields = 1 << 3
	TagSourceField Fields = 1 << 17
	// Lists leave out the body and who chose the tags, unless fields= asks.
	ListFields = AllFields &^ BodyField &^ TagSourceField
)

// FieldNames lists Article's JSON member names in output order.
func FieldNames() []string {
	names := make([]string, len(articleFields))
	for i, f := range articleFields {
		names[i] = f.name
	}
	return names
}

// FieldNamed is the field whose JSON member is name; ok is false for a
// name Article does not have.
func FieldNamed(name string) (f Fields, ok bool) {
	for i, af := range articleFields {
		if af.name == name {
			return 1 << i, true
		}
	}
	return 0, false
}

// Writer appends JSON to a buffer. Strings are escaped exactly as
// encoding/json escapes them: HTML-safe (<, > and & as \u escapes), U+2028
// and U+2029 escaped, invalid UTF-8 replaced by U+FFFD.
type Writer struct{ b *bytes.Buffer }

// NewWriter is a Writer that appends to b.
func NewWriter(b *bytes.Buffer) Writer { return Writer{b: b} }

// Article writes a as a JSON object with the fields in set, the bytes
// encoding/json would write for FromNews(*a) with the other fields left out.
func (w Writer) Article(a *news.Article, set Fields) {
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

const hexDigits = "0123456789abcdef"

// Str writes s as a JSON string.
func (w Writer) Str(s string) {
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
			writeASCIIEscape(b, c)
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

// writeASCIIEscape writes the escape of an ASCII byte that a JSON string
// may not carry as it is.
func writeASCIIEscape(b *bytes.Buffer, c byte) {
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
}

// nullString writes s, or null when it is empty.
func (w Writer) nullString(s string) {
	if s == "" {
		w.b.WriteString("null")
		return
	}
	w.Str(s)
}

func (w Writer) strings(list []string) {
	w.b.WriteByte('[')
	for i, s := range list {
		if i > 0 {
			w.b.WriteByte(',')
		}
		w.Str(s)
	}
	w.b.WriteByte(']')
}

// Int writes n.
func (w Writer) Int(n int64) {
	var buf [20]byte
	w.b.Write(strconv.AppendInt(buf[:0], n, 10))
}

func (w Writer) time(t time.Time) {
	var buf [40]byte
	w.b.WriteByte('"')
	w.b.Write(t.UTC().AppendFormat(buf[:0], time.RFC3339Nano))
	w.b.WriteByte('"')
}

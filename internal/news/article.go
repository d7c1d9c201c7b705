package news

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Status says whether an article is visible to the public.
type Status string

// The article statuses.
const (
	StatusPublished Status = "published"
	StatusDraft     Status = "draft"
)

// Limits of an article's fields, from the product contract.
const (
	MaxTitle     = 300
	MaxSummary   = 1000
	MaxBody      = 100000
	MaxURL       = 2048
	MaxCountries = 20
	MaxThemes    = 10
	MaxShortText = 200 // source, section, author
	// MaxLanguageTag is the longest language tag an article may carry.
	MaxLanguageTag = 35
)

// Article is a stored news article. Empty URL, ImageURL and Author mean "none".
type Article struct {
	ID          int64
	Title       string
	Summary     string
	Body        string
	URL         string
	ImageURL    string
	Source      string
	Section     string
	Author      string
	Language    string
	Countries   []string // ISO 3166-1 alpha-2 codes, sorted
	Themes      []string // theme slugs, sorted
	Status      Status
	PublishedAt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int
	// AutoCountries and AutoThemes say that the automatic tagger chose
	// the list, rather than an editor.
	AutoCountries, AutoThemes bool
	// ListJSON, when not empty, is the article as a list's JSON, as the
	// store keeps it: a list asked for it (Filter.ListJSON), and of the
	// other fields only ID and PublishedAt are set.
	ListJSON string
}

// Draft is the writable part of an article: what a create, a full replace or
// an import supplies. PublishedAt zero means "now" on create and "keep the
// stored time" on a replace. Countries and Themes may
// hold codes, names or aliases until Normalize resolves them. With
// AutoCountries or AutoThemes set, Normalize fills that list from the
// automatic tagger instead (the request left it out).
type Draft struct {
	Title       string
	Summary     string
	Body        string
	URL         string
	ImageURL    string
	Source      string
	Section     string
	Author      string
	Language    string
	Countries   []string
	Themes      []string
	Status      Status
	PublishedAt time.Time
	// AutoCountries and AutoThemes ask Normalize to tag the draft.
	AutoCountries, AutoThemes bool
}

// Update is a partial change (JSON merge patch): nil fields are left alone.
// A pointer to "" clears an optional field.
type Update struct {
	Title       *string
	Summary     *string
	Body        *string
	URL         *string
	ImageURL    *string
	Source      *string
	Section     *string
	Author      *string
	Language    *string
	Countries   *[]string
	Themes      *[]string
	Status      *Status
	PublishedAt *time.Time
}

// Apply returns the draft of a with u applied.
func (u Update) Apply(a Article) Draft {
	d := Draft{
		Title: a.Title, Summary: a.Summary, Body: a.Body, URL: a.URL, ImageURL: a.ImageURL,
		Source: a.Source, Section: a.Section, Author: a.Author, Language: a.Language,
		Countries: a.Countries, Themes: a.Themes, Status: a.Status, PublishedAt: a.PublishedAt,
		// Automatic tags stay automatic, and follow the text, until the
		// patch sets the list.
		AutoCountries: a.AutoCountries && u.Countries == nil, AutoThemes: a.AutoThemes && u.Themes == nil,
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&d.Title, u.Title)
	set(&d.Summary, u.Summary)
	set(&d.Body, u.Body)
	set(&d.URL, u.URL)
	set(&d.ImageURL, u.ImageURL)
	set(&d.Source, u.Source)
	set(&d.Section, u.Section)
	set(&d.Author, u.Author)
	set(&d.Language, u.Language)
	if u.Countries != nil {
		d.Countries = *u.Countries
	}
	if u.Themes != nil {
		d.Themes = *u.Themes
	}
	if u.Status != nil {
		d.Status = *u.Status
	}
	if u.PublishedAt != nil {
		d.PublishedAt = *u.PublishedAt
	}
	return d
}

// Matches reports whether storing d over a would change nothing.
func (d Draft) Matches(a Article) bool {
	return d.Title == a.Title && d.Summary == a.Summary && d.Body == a.Body && d.URL == a.URL &&
		d.ImageURL == a.ImageURL && d.Source == a.Source && d.Section == a.Section && d.Author == a.Author &&
		d.Language == a.Language && slices.Equal(d.Countries, a.Countries) && slices.Equal(d.Themes, a.Themes) &&
		d.Status == a.Status && d.PublishedAt.Equal(a.PublishedAt) &&
		d.AutoCountries == a.AutoCountries && d.AutoThemes == a.AutoThemes
}

// isSlug reports whether s is a slug: ^[a-z0-9]+(?:-[a-z0-9]+)*$ (a
// regular expression took 0.2 s of a million records' import).
func isSlug(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' && s[i-1] == '-' {
			return false
		}
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// isLanguageTag reports whether s has a BCP 47 tag's form:
// ^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$.
func isLanguageTag(s string) bool {
	isLetter := func(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
	first, rest, _ := strings.Cut(s, "-")
	if len(first) < 2 || len(first) > 3 || !isLetter(first[0]) || !isLetter(first[1]) || len(first) == 3 && !isLetter(first[2]) {
		return false
	}
	if len(first) == len(s) {
		return true
	}
	for _, sub := range strings.Split(rest, "-") {
		if len(sub) < 1 || len(sub) > 8 {
			return false
		}
		for i := 0; i < len(sub); i++ {
			if !isLetter(sub[i]) && (sub[i] < '0' || sub[i] > '9') {
				return false
			}
		}
	}
	return true
}

// Normalize trims and checks every field of d, resolves country and theme
// names against v, fills defaults (language "en", status published) and
// the lists left to the automatic tagger, and returns an EValidation
// *Error listing every failing field. The field names are those of the
// JSON contract.
func (d *Draft) Normalize(v *Vocabulary) error {
	var p Problems
	d.normalizeText(&p)
	d.normalizeLinks(&p)
	d.normalizeMeta(&p)
	d.normalizeTags(v, &p)
	return p.Err(EValidation, "the article has invalid fields")
}

// normalizeText checks the title, summary and body.
func (d *Draft) normalizeText(p *Problems) {
	d.Title = strings.TrimSpace(d.Title)
	switch n := utf8.RuneCountInString(d.Title); {
	case n == 0:
		p.Add("title", "is required")
	case n > MaxTitle:
		p.Add("title", "must be at most %d characters, got %d", MaxTitle, n)
	default:
		if msg := TitleTextProblem(d.Title); msg != "" {
			p.Add("title", "%s", msg)
		}
	}
	d.Summary = strings.TrimSpace(NormalizeNewlines(d.Summary))
	d.Body = NormalizeNewlines(d.Body)
	for _, f := range []struct {
		name, value string
		max         int
	}{{"summary", d.Summary, MaxSummary}, {"body", d.Body, MaxBody}} {
		if n := utf8.RuneCountInString(f.value); n > f.max {
			p.Add(f.name, "must be at most %d characters, got %d", f.max, n)
		} else if msg := ControlProblem(f.value, true); msg != "" {
			p.Add(f.name, "%s", msg)
		}
	}
}

// normalizeLinks checks the URLs, the source and the author.
func (d *Draft) normalizeLinks(p *Problems) {
	var msg string
	if d.URL, msg = canonicalURL(d.URL); msg != "" {
		p.Add("url", "%s", msg)
	}
	if d.ImageURL, msg = canonicalURL(d.ImageURL); msg != "" {
		p.Add("image_url", "%s", msg)
	}
	d.Source = strings.TrimSpace(d.Source)
	d.Author = strings.TrimSpace(d.Author)
	for _, f := range []struct{ name, value string }{{"source", d.Source}, {"author", d.Author}} {
		if n := utf8.RuneCountInString(f.value); n > MaxShortText {
			p.Add(f.name, "must be at most %d characters, got %d", MaxShortText, n)
		} else if hasControl(f.value) {
			p.Add(f.name, "must not contain control characters")
		}
	}
}

// normalizeMeta checks the section, language, status and publication
// time, and fills their defaults.
func (d *Draft) normalizeMeta(p *Problems) {
	d.Section = strings.TrimSpace(d.Section)
	if d.Section != "" && (len(d.Section) > MaxShortText || !isSlug(d.Section)) {
		p.Add("section", "must be a lower-case slug such as foreign-relations")
	}
	d.Language = strings.TrimSpace(d.Language)
	if d.Language == "" {
		d.Language = "en"
	} else if len(d.Language) > MaxLanguageTag || !isLanguageTag(d.Language) {
		p.Add("language", "must be a BCP 47 language tag such as en or ko-KR")
	} else {
		d.Language = CanonicalLanguage(d.Language)
	}
	switch d.Status {
	case "":
		d.Status = StatusPublished
	case StatusPublished, StatusDraft:
	default:
		p.Add("status", "must be published or draft, got %q", string(d.Status))
	}
	if !d.PublishedAt.IsZero() {
		d.PublishedAt = d.PublishedAt.UTC().Truncate(time.Microsecond)
		// Written back in UTC, a time must still be an RFC 3339 one:
		// 9999-12-31T23:59:59-12:00 is in year 10000 in UTC, which no
		// client parses.
		if y := d.PublishedAt.Year(); y < 1 || y > 9999 {
			p.Add("published_at", "must fall after 0001-01-01T00:00:00Z and within the year 9999 in UTC, got %s",
				d.PublishedAt.Format("2006-01-02T15:04:05Z07:00"))
		}
	}
}

// normalizeTags fills the lists left to the automatic tagger, then
// resolves every country and theme name against v. The tagger reads the
// text as normalizeText left it.
func (d *Draft) normalizeTags(v *Vocabulary, p *Problems) {
	if d.AutoCountries || d.AutoThemes {
		found := v.Classify(d.Title, d.Summary, d.Body)
		if d.AutoCountries {
			d.Countries = Keys(found.Countries, MaxCountries)
		}
		if d.AutoThemes {
			d.Themes = Keys(found.Themes, MaxThemes)
		}
	}
	d.Countries = resolveAll(d.Countries, MaxCountries, "countries", p, v.Country)
	d.Themes = resolveAll(d.Themes, MaxThemes, "themes", p, v.Theme)
}

// resolveAll resolves each name, reporting unknown names, duplicates and an
// over-long list under field. It returns the resolved keys, sorted (nil
// for an over-long list).
func resolveAll(names []string, max int, field string, p *Problems, resolve func(string) (string, bool)) []string {
	if len(names) > max {
		p.Add(field, "must hold at most %d values, got %d", max, len(names))
		return nil
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		key, ok := resolve(n)
		if !ok {
			p.Add(field, "unknown value %q", n)
			continue
		}
		if slices.Contains(out, key) { // a few values: no map to make
			p.Add(field, "duplicate value %q", n)
			continue
		}
		out = append(out, key)
	}
	slices.Sort(out)
	return out
}

// NormalizeNewlines returns s with every CRLF and lone CR turned into LF,
// so that multi-line text written on Windows (or pasted from an old Mac
// file) is stored, searched and compared like any other, and the only
// line break a reader of the API meets is "\n".
func NormalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// ControlProblem says why s may not be stored because of a control
// character, or "" when it may. Multi-line text (summary, body, a theme's
// description, after NormalizeNewlines) may hold tab and line feed and no
// other C0 control (U+0000–U+001F): PostgreSQL refuses NUL in text, and
// the rest are invisible in every reader and garble terminals, so both
// databases refuse them alike. A line (title, source, names) may hold no
// control character at all.
func ControlProblem(s string, multiline bool) string {
	if !multiline {
		if hasControl(s) {
			return "must not contain control characters"
		}
		return ""
	}
	i := 0
	for _, r := range s {
		i++
		if r < 0x20 && r != '\t' && r != '\n' {
			return fmt.Sprintf("must not contain control character U+%04X (at character %d); only tab and newline are allowed", r, i)
		}
	}
	return ""
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// TitleTextProblem says what characters of a title a create refuses
// (control characters, bidirectional overrides, nothing but spaces and
// invisible format characters such as U+200B), or "".
func TitleTextProblem(title string) string {
	switch {
	case hasControl(title):
		return "must not contain control characters"
	case hasBidiControl(title):
		return "must not contain bidirectional override or isolate characters"
	case title != "" && !hasVisible(title):
		return "must contain a visible character"
	}
	return ""
}

// hasVisible reports whether s holds a character that is neither a space
// nor an invisible format character (Unicode category Cf: zero-width
// spaces and joiners, the byte order mark).
func hasVisible(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) {
			return true
		}
	}
	return false
}

// hasBidiControl reports Unicode bidirectional embeddings, overrides and
// isolates (U+202A–U+202E, U+2066–U+2069), which can make a headline
// display as something other than what it says.
func hasBidiControl(s string) bool {
	for _, r := range s {
		if r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' {
			return true
		}
	}
	return false
}

// canonicalURL trims s and, when it is an acceptable absolute http(s) URL,
// returns it in the one spelling that a story's URL is stored, and checked
// for uniqueness, in; otherwise it says why not. An empty s is fine.
//
// The spelling follows the normalizations of RFC 3986 §6.2.2 and §6.2.3,
// so that the same story sent as https://Example.com:443/a/./%64raft#top
// and as https://example.com/a/draft is one story:
//   - scheme and host in lower case;
//   - no port when it is the scheme's default (80 for http, 443 for
//     https), and no ":" with an empty port;
//   - an empty path is "/", and "." and ".." segments are resolved;
//   - percent-encoded unreserved characters (letters, digits, "-", ".",
//     "_", "~") decoded, every other percent-encoding in upper-case hex,
//     and characters a URI may not hold raw (non-ASCII, `"<>\^{|}` …)
//     percent-encoded as UTF-8, as a browser sends them;
//   - no fragment: it names a place in the page, not another story. A
//     fragment that is a route of a script-driven site ("#!/…" or "#/…")
//     is the story itself, and stays.
//
// The query is otherwise kept as it came: parameters are neither
// reordered nor dropped, since a site may tell stories apart by any of
// them.
func canonicalURL(s string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" || plainURL(s) {
		return s, ""
	}
	return parseURL(s)
}

// plainURL reports whether s is a URL that canonicalURL would leave as it
// is and that needs no parsing to tell: http or https, a host in lower-case
// letters, digits, dots and hyphens with no port, a path without dot
// segments, and path and query of characters that stand for themselves
// (no "%", no fragment). Most are, and parsing them took 0.6 s of a
// million records' import.
func plainURL(s string) bool {
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "http://"); !ok {
			return false
		}
	}
	host := strings.IndexByte(rest, '/')
	if host < 1 || len(s) > MaxURL || strings.Contains(rest[host:], "/.") {
		return false
	}
	for i := 0; i < host; i++ {
		if c := rest[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '.' && c != '-' {
			return false
		}
	}
	for i := host; i < len(rest); i++ {
		if c := rest[i]; !unreserved(c) && strings.IndexByte("/?!$&'()*+,;=:@", c) < 0 {
			return false
		}
	}
	return true
}

// parseURL is canonicalURL for a trimmed, non-empty s.
func parseURL(s string) (string, string) {
	if hasControl(s) || strings.ContainsAny(s, " \t") {
		return s, "must not contain spaces or control characters"
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return s, "must be an absolute http or https URL"
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return s, "must use http or https, not " + u.Scheme
	}
	if u.Hostname() == "" || u.User != nil {
		return s, "must name a host, without user or password"
	}
	// url.Parse has checked the form and decoded the host; path, query
	// and fragment are taken from s as written, since url.URL re-encodes
	// a path by rules of its own (%2F can come back as "/").
	rest, fragment, hasFragment := strings.Cut(s[len(u.Scheme)+len("://"):], "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	path := ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		path = rest[i:]
	}
	var b strings.Builder
	b.Grow(len(s) + 1)
	b.WriteString(u.Scheme)
	b.WriteString("://")
	b.WriteString(canonicalHost(u.Scheme, u.Hostname(), u.Port()))
	if path = removeDotSegments(normalizePercent(path)); path == "" {
		path = "/"
	}
	b.WriteString(path)
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(normalizePercent(query))
	}
	if hasFragment && (strings.HasPrefix(fragment, "!") || strings.HasPrefix(fragment, "/")) {
		b.WriteByte('#')
		b.WriteString(normalizePercent(fragment))
	}
	if b.Len() > MaxURL {
		return s, fmt.Sprintf("must be at most %d characters", MaxURL)
	}
	return b.String(), ""
}

// canonicalHost is host (decoded, as url.URL holds it) in lower case with
// its port unless that is the scheme's default, encoded as url.URL
// encodes a host.
func canonicalHost(scheme, host, port string) string {
	host = strings.ToLower(host)
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 address
	}
	if port != "" { // url.Port is "" for "host:" too: that colon goes
		if port = strings.TrimLeft(port, "0"); port == "" {
			port = "0"
		}
		if defaultPort := scheme == "http" && port == "80" || scheme == "https" && port == "443"; !defaultPort {
			host += ":" + port
		}
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; !unreserved(c) && c != ':' && c != '[' && c != ']' {
			return strings.TrimPrefix((&url.URL{Host: host}).String(), "//")
		}
	}
	return host // nothing to encode, as is usual
}

// normalizePercent normalizes the percent-encoding of a path, query or
// fragment as written (RFC 3986 §6.2.2.1–2): an encoded unreserved
// character is decoded, any other encoding has upper-case hex, and a byte
// that may not stand raw in a URI — beyond ASCII, a space, one of
// `"<>[\]^{|}` or a "%" that starts no encoding — is encoded.
func normalizePercent(s string) string {
	const hex = "0123456789ABCDEF"
	i := 0
	for i < len(s) && s[i] != '%' && !mustEncode(s[i]) {
		i++
	}
	if i == len(s) {
		return s // nothing to change, as is usual
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			d := unhex(s[i+1])<<4 | unhex(s[i+2])
			if unreserved(d) {
				b.WriteByte(d)
			} else {
				b.WriteByte('%')
				b.WriteByte(hex[d>>4])
				b.WriteByte(hex[d&15])
			}
			i += 2
		case c == '%' || mustEncode(c):
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// mustEncode reports a byte that may not stand raw in the path, query or
// fragment of a URI (RFC 3986 §3.3–3.5).
func mustEncode(c byte) bool {
	return c >= 0x80 || c <= ' ' || strings.IndexByte("\"<>[\\]^`{|}", c) >= 0
}

// unreserved reports the characters of RFC 3986 §2.3, which mean the same
// encoded or not.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// removeDotSegments resolves the "." and ".." segments of an absolute
// path, as RFC 3986 §5.2.4 does; other segments, empty ones included,
// are kept.
func removeDotSegments(path string) string {
	if !strings.Contains(path, "/.") { // every dot segment starts so
		return path
	}
	var out []string // the output's segments, each with its leading "/"
	in := path
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = in[3:]
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "/..":
			in = "/"
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "." || in == "..":
			in = ""
		default:
			// Move the first segment, with its leading "/" if any, to the output.
			j := strings.IndexByte(in[1:], '/') + 1
			if j == 0 {
				j = len(in)
			}
			out = append(out, in[:j])
			in = in[j:]
		}
	}
	return strings.Join(out, "")
}

// CanonicalLanguage writes a BCP 47 tag in the case RFC 5646 (2.1.1)
// recommends: tags are case-insensitive, so "EN", "ko-kr" and "zh-hant-tw"
// are stored and matched as "en", "ko-KR" and "zh-Hant-TW". The language
// is lower case, a four-letter script title case, a two-letter region
// upper case, and everything from a singleton (x-, u-, …) on lower case.
func CanonicalLanguage(tag string) string {
	if !strings.Contains(tag, "-") {
		return strings.ToLower(tag) // the usual "en": no parts to case
	}
	parts := strings.Split(tag, "-")
	extension := false
	for i, p := range parts {
		p = strings.ToLower(p)
		switch {
		case i == 0 || extension:
		case len(p) == 1:
			extension = true
		case len(p) == 2:
			p = strings.ToUpper(p)
		case len(p) == 4 && p[0] >= 'a' && p[0] <= 'z':
			p = strings.ToUpper(p[:1]) + p[1:]
		}
		parts[i] = p
	}
	return strings.Join(parts, "-")
}

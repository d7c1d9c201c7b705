package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/headlines/headlines/internal/news"
)

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

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ParseTime accepts RFC 3339, its T and Z in either case as the RFC
// allows, or a date alone (midnight UTC).
func ParseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), offsetOK(s)
	}
	if strings.ContainsAny(s, "tz") {
		if t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s)); err == nil {
			return t.UTC(), offsetOK(s)
		}
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// offsetOK says whether the offset of s, a time Go read as RFC 3339, is
// one RFC 3339 allows: Z, or hours to 23 and minutes to 59. Go reads
// +24:00 and beyond, which no other client parses.
func offsetOK(s string) bool {
	if len(s) < 6 {
		return true
	}
	o := s[len(s)-6:]
	if (o[0] != '+' && o[0] != '-') || o[3] != ':' {
		return true // Z
	}
	return o[1:3] <= "23" && o[4:6] <= "59"
}

// NFC puts text into Unicode Normalization Form C, so that the same
// headline typed on two keyboards is stored, searched and compared alike.
func NFC(s string) string { return norm.NFC.String(s) }

func nfcPtr(p *string) *string {
	if p == nil {
		return nil
	}
	s := NFC(*p)
	return &s
}

func nfcList(p *[]string) *[]string {
	if p == nil {
		return nil
	}
	out := make([]string, len(*p))
	for i, s := range *p {
		out[i] = NFC(s)
	}
	return &out
}

// Draft converts an input body into a domain draft, normalized and
// checked; every failing field is listed.
func (in ArticleInput) Draft(ctx context.Context, r news.Resolver) (news.Draft, error) {
	in.Title, in.Summary, in.Body, in.Source, in.Section = NFC(in.Title), NFC(in.Summary), NFC(in.Body), NFC(in.Source), NFC(in.Section)
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
		d.PublishedAt = publishedAt(*in.PublishedAt, &p)
	}
	return d, mergeProblems(p, d.Normalize(r.Vocabulary()))
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

// Update converts a merge patch into a domain update. When a member is
// refused here (a null title, a published_at that is not a time), the
// other members it sets are checked too, against v, so that one answer
// names every wrong field, as a POST's does.
func (in ArticlePatch) Update(raw map[string]json.RawMessage, v *news.Vocabulary) (news.Update, error) {
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
	for _, name := range NullMembers(raw) {
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
		t := publishedAt(*in.PublishedAt, &p)
		u.PublishedAt = &t
	}
	if len(p) > 0 {
		p = append(p, otherProblems(u, raw, p, v)...)
	}
	return u, p.Err(news.EValidation, "the patch has invalid fields")
}

// otherProblems are the problems of the members of a patch that found
// does not name: the update applied to an article valid in every field,
// and checked as the store checks an update. What the patch leaves out
// is that article's, so only the members it sets can fail.
func otherProblems(u news.Update, raw map[string]json.RawMessage, found news.Problems, v *news.Vocabulary) news.Problems {
	valid := news.Article{Title: "A valid title", Language: "en", Status: news.StatusPublished,
		PublishedAt: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}
	d := u.Apply(valid)
	return SetProblems(d.Normalize(v), raw, found)
}

// NullMembers are the names of the members of a merge patch, raw, that
// are null (those it removes), by name: the problems they make come out
// alike every time.
func NullMembers(raw map[string]json.RawMessage) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		if string(bytes.TrimSpace(raw[name])) == "null" {
			out = append(out, name)
		}
	}
	return out
}

// SetProblems are the fields of err, a validation error, that name a
// member the patch raw sets and that found does not name already: what a
// patch refused for one member adds about its others.
func SetProblems(err error, raw map[string]json.RawMessage, found news.Problems) news.Problems {
	var ne *news.Error
	if !errors.As(err, &ne) {
		return nil
	}
	var out news.Problems
	for _, f := range ne.Fields {
		_, set := raw[f.Field]
		if set && !slices.ContainsFunc(found, func(x news.FieldError) bool { return x.Field == f.Field }) {
			out = append(out, f)
		}
	}
	return out
}

// DecodeDraft checks and decodes one article in the input shape.
func DecodeDraft(ctx context.Context, raw []byte, res news.Resolver) (news.Draft, error) {
	if in, ok := decodeInputFast(raw); ok {
		return in.Draft(ctx, res)
	}
	if err := CheckJSON(raw); err != nil {
		return news.Draft{}, err
	}
	var in ArticleInput
	if err := DecodeStrict(raw, &in); err != nil {
		return news.Draft{}, err
	}
	return in.Draft(ctx, res)
}

// Upsert checks, decodes and upserts one article in the input shape:
// what a batch does for each item.
func Upsert(ctx context.Context, raw []byte, svc news.ArticleService, res news.Resolver) (news.Article, bool, error) {
	d, err := DecodeDraft(ctx, raw, res)
	if err != nil {
		return news.Article{}, false, err
	}
	return svc.UpsertArticle(ctx, d)
}

// publishedAt parses a published_at a client gave, adding to p what is
// wrong with it. 0001-01-01T00:00:00Z is refused, also written with
// digits below the microsecond that a draft drops: it is the zero time,
// which a draft takes for no time (now on a create, the stored time on
// a replace), so it would not be stored as given.
func publishedAt(s string, p *news.Problems) time.Time {
	t, ok := ParseTime(s)
	switch {
	case !ok:
		p.Add("published_at", "must be an RFC 3339 timestamp such as 2025-06-25T11:00:00Z")
	case t.Truncate(time.Microsecond).IsZero():
		p.Add("published_at", "must be after 0001-01-01T00:00:00Z, the zero time, which stands for none")
	}
	return t
}

// Package wire is the Article as JSON: the shape the API answers with (and
// its fast writer), the shapes it reads (create, replace, import line and
// merge patch) and the strict decoder that checks them. It knows nothing of
// HTTP: the API and the import both use it.
package wire

import (
	"time"

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
//
// Writer writes the same bytes as encoding/json of FromNews, faster; the
// package's tests hold the two together.
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

// FromNews is the answer shape of a, with every field. Times are in UTC
// and tag lists never null, as Writer writes them.
func FromNews(a news.Article) Article {
	return Article{
		ID: a.ID, Title: a.Title, Summary: a.Summary, Body: a.Body, URL: nullIfEmpty(a.URL),
		ImageURL: nullIfEmpty(a.ImageURL), Source: a.Source, Section: a.Section, Author: nullIfEmpty(a.Author),
		Language: a.Language, Countries: OrEmpty(a.Countries), Themes: OrEmpty(a.Themes), Status: string(a.Status),
		PublishedAt: a.PublishedAt.UTC(), CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC(), Version: a.Version,
		TagSource: &TagSource{Countries: tagSource(a.AutoCountries), Themes: tagSource(a.AutoThemes)},
	}
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// OrEmpty is list, or an empty list for none, so that it is [] in JSON.
func OrEmpty(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

func tagSource(auto bool) string {
	if auto {
		return "auto"
	}
	return "editor"
}

package api

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/headlines/headlines/internal/news"
	"github.com/headlines/headlines/internal/suggest"
	"github.com/headlines/headlines/internal/wire"
)

// ArticleList is a page of articles.
type ArticleList struct {
	Data       []wire.Article     `validate:"required" json:"data"`
	NextCursor *string            `validate:"required" json:"next_cursor" extensions:"x-nullable"`
	Total      *int               `json:"total,omitempty" example:"4"`
	Facets     map[string][]Facet `json:"facets,omitempty"`
} //	@name	ArticleList

// Facet is the number of matching articles carrying one country or theme.
type Facet struct {
	Value string `validate:"required" json:"value" example:"RU"`
	Count int    `validate:"required" json:"count" example:"4"`
} //	@name	Facet

// parseFields reads a fields= value; id is always included.
func parseFields(list []string) (wire.Fields, error) {
	set, _ := wire.FieldNamed("id")
	for _, name := range list {
		f, ok := wire.FieldNamed(name)
		if !ok {
			names := wire.FieldNames()
			msg := "known fields: " + strings.Join(names, ",")
			if c := suggest.Closest(name, names); c != "" {
				msg = "did you mean " + c + "?"
			}
			return 0, news.FieldErrorf(news.EInvalid, "fields", "unknown field %q; %s", name, msg)
		}
		set |= f
	}
	return set, nil
}

// jsonEncode writes v as JSON with a trailing newline.
func jsonEncode(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

package transfer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/headlines/headlines/internal/transfer"
)

// TestExportLinesAreChecked: a line of an export that is not one record
// of a known kind is refused by its line, naming what is wrong; a header
// of another format or version stops the import before anything is read.
func TestExportLinesAreChecked(t *testing.T) {
	ctx := context.Background()
	head := `{"export":{"format":"headlines","version":1}}`
	for _, c := range []struct {
		name, line, want string
	}{
		{"two records", `{"theme":{"slug":"a","name":"A"},"country":{"code":"KP","name":"North Korea"}}`, "holds one of theme, country, article, tombstone or end, got 2"},
		{"change beside a theme", `{"theme":{"slug":"a","name":"A"},"change":{"seq":3,"at":"2025-01-01T00:00:00Z"}}`, "change: goes only with an article or a tombstone"},
		{"a plain article", `{"title":"A plain line"}`, "title: is not a field"},
		{"no tag source", `{"article":{"id":1,"title":"T","status":"published"}}`, "article.tag_source: is required in an export"},
		{"a second header", head, "export: comes only on the first line"},
		{"an unknown country", `{"country":{"code":"XX","name":"Nowhere"}}`, `code: unknown country code "XX"`},
		{"after the end", `{"end":{}}` + "\n" + `{"theme":{"slug":"late","name":"Late"}}`, "a theme line after the end line"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t, "sqlite")
			res, err := transfer.Import(ctx, strings.NewReader(head+"\n"+c.line+"\n"), st, nil)
			if err == nil || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), c.want) {
				t.Errorf("got %v (%v), want one error saying %q", res.Errors, err, c.want)
			}
		})
	}
	for _, h := range []string{`{"export":{"format":"headlines","version":2}}`, `{"export":{"format":"other","version":1}}`} {
		st := openStore(t, "sqlite")
		if _, err := transfer.Import(ctx, strings.NewReader(h+"\n"), st, nil); err == nil || !strings.Contains(err.Error(), "line 1: ") {
			t.Errorf("header %s: %v", h, err)
		}
	}
}

package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/headlines/headlines/internal/store/storetest"
)

// exportedArticles returns the articles of an export, in its order.
func exportedArticles(t *testing.T, export string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(export), "\n") {
		if !strings.HasPrefix(l, `{"article":`) {
			continue
		}
		var rec struct{ Article map[string]any }
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		out = append(out, rec.Article)
	}
	return out
}

// TestMovingDataCommands runs the commands of docs/operations.md, Moving
// data: a SQLite database with a custom theme, a draft, an edit and a
// deletion goes to PostgreSQL and back through `headlines export` and
// `headlines import`, and each export is the same, byte for byte. An
// export imported into the database it came from changes nothing.
func TestMovingDataCommands(t *testing.T) {
	sqlite, pg, back := storetest.DSN(t, "sqlite"), storetest.DSN(t, "postgres"), storetest.DSN(t, "sqlite")
	lines := strings.Join([]string{
		`{"title":"Pyongyang and Moscow sign a treaty","url":"https://example.com/treaty"}`,
		`{"title":"Sinuiju customs reopen","url":"https://example.com/customs","countries":["KP","CN"],"themes":["trade"],"status":"draft"}`,
		`{"title":"Kaesong trucks wait","url":"https://example.com/trucks","countries":["KP"],"themes":["trade"]}`,
		`{"title":"Sinuiju customs reopen after a year","url":"https://example.com/customs","countries":["KP","CN"],"themes":["trade"],"status":"draft"}`,
	}, "\n")
	if out, errOut, err := runCLI(t, sqlite, lines, "import", "-"); err != nil || !strings.Contains(out, "imported: 3 created, 1 updated, 0 failed") {
		t.Fatalf("import: %v %q %s", err, out, errOut)
	}
	first, _, err := runCLI(t, sqlite, "", "export")
	if err != nil {
		t.Fatal(err)
	}
	if out, errOut, err := runCLI(t, pg, first, "import", "-"); err != nil || !strings.Contains(out, "restored: 12 themes, 249 countries, 0 deleted articles") {
		t.Fatalf("import into PostgreSQL: %v %q %s", err, out, errOut)
	}
	second, _, err := runCLI(t, pg, "", "export")
	if err != nil {
		t.Fatal(err)
	}
	if out, errOut, err := runCLI(t, back, second, "import", "-"); err != nil || !strings.Contains(out, "imported: 3 created") {
		t.Fatalf("import back into SQLite: %v %q %s", err, out, errOut)
	}
	third, _, err := runCLI(t, back, "", "export")
	if err != nil {
		t.Fatal(err)
	}
	if first != second || second != third {
		t.Errorf("the exports differ:\n%s\n---\n%s\n---\n%s", first, second, third)
	}
	if a := exportedArticles(t, third); len(a) != 3 || a[1]["version"] != 2.0 || a[1]["status"] != "draft" {
		t.Errorf("articles after the moves: %v", a)
	}
	if out, errOut, err := runCLI(t, back, third, "import", "-"); err != nil ||
		!strings.Contains(out, "imported: 0 created, 0 updated, 0 failed, 3 unchanged") || !strings.Contains(out, "merged:") {
		t.Errorf("the export into its own database again: %v %q %s", err, out, errOut)
	}

	// The same lines imported into an empty PostgreSQL database (a load
	// there too) store the same articles, but for the times of the import.
	direct := storetest.DSN(t, "postgres")
	if out, errOut, err := runCLI(t, direct, lines, "import", "-"); err != nil || !strings.Contains(out, "imported: 3 created, 1 updated, 0 failed") {
		t.Fatalf("import into PostgreSQL: %v %q %s", err, out, errOut)
	}
	fourth, _, err := runCLI(t, direct, "", "export")
	if err != nil {
		t.Fatal(err)
	}
	untimed := func(export string) []map[string]any {
		articles := exportedArticles(t, export)
		for _, a := range articles {
			for _, k := range []string{"created_at", "updated_at", "published_at"} {
				delete(a, k)
			}
		}
		return articles
	}
	if got, want := untimed(fourth), untimed(first); !reflect.DeepEqual(got, want) {
		t.Errorf("the lines imported into PostgreSQL:\n%v\ninto SQLite:\n%v", got, want)
	}
}

// TestCutExportRestoresNothing: an export cut short, imported into an
// empty database (a load, on either kind), fails, says that nothing was
// restored, and leaves the database empty; the whole export then restores.
func TestCutExportRestoresNothing(t *testing.T) {
	src := storetest.DSN(t, "sqlite")
	if _, errOut, err := runCLI(t, src, `{"title":"Kaesong trucks wait","url":"https://example.com/trucks"}`, "import", "-"); err != nil {
		t.Fatalf("import: %v %s", err, errOut)
	}
	export, _, err := runCLI(t, src, "", "export")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(export), "\n")
	cut := strings.Join(lines[:len(lines)-1], "\n")
	storetest.Each(t, func(t *testing.T, kind string) {
		dst := storetest.DSN(t, kind)
		out, errOut, err := runCLI(t, dst, cut, "import", "-")
		if err == nil || !strings.Contains(out, "restored: nothing") || !strings.Contains(errOut, "no end line") {
			t.Errorf("a cut export: %v, stdout %q, stderr %q; want a failure that says nothing was restored", err, out, errOut)
		}
		if after, _, err := runCLI(t, dst, "", "export"); err != nil || len(exportedArticles(t, after)) != 0 {
			t.Errorf("after the cut export: %v, %d articles; want none", err, len(exportedArticles(t, after)))
		}
		if out, errOut, err := runCLI(t, dst, export, "import", "-"); err != nil || !strings.Contains(out, "restored: ") {
			t.Errorf("the whole export after the cut one: %v, stdout %q, stderr %q", err, out, errOut)
		}
		if again, _, err := runCLI(t, dst, "", "export"); err != nil || again != export {
			t.Errorf("the export after the restore: %v\n%s\nwant\n%s", err, again, export)
		}
	})
}

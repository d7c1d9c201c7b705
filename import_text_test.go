package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/headlines/headlines/internal/store/storetest"
)

// TestImportControlCharacters imports lines with NUL and other C0 control
// characters into each database: both refuse those lines alike, by number
// and field, and keep the others (PostgreSQL once stopped the whole import
// at the first NUL; SQLite stored it, and its export could not move).
func TestImportControlCharacters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		db := storetest.DSN(t, kind)
		lines := strings.Join([]string{
			`{"title":"Seoul and Tokyo meet","url":"https://example.com/meet"}`,
			`{"title":"NUL in the summary","summary":"a\u0000b"}`,
			`{"title":"Windows lines","summary":"one\r\ntwo\rthree","body":"\tindented\r\n"}`,
			`{"title":"Escape in the body","body":"\u001b[31mred"}`,
			`{"title":"NUL in the title\u0000"}`,
			`{"title":"Pyongyang answers","url":"https://example.com/answers"}`,
		}, "\n")
		out, errOut, err := runCLI(t, db, lines, "import", "-")
		if err == nil {
			t.Error("an import with refused lines exits 0")
		}
		if !strings.Contains(out, "imported: 3 created, 0 updated, 3 failed") {
			t.Errorf("import counts: %q\n%s", out, errOut)
		}
		for _, want := range []string{"stdin:2: ", "summary: must not contain control character U+0000", "stdin:4: ", "body: must not contain control character U+001B", "stdin:5: ", "title: "} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr does not say %q:\n%s", want, errOut)
			}
		}
		if strings.Contains(errOut, "stdin:1:") || strings.Contains(errOut, "stdin:3:") || strings.Contains(errOut, "stdin:6:") {
			t.Errorf("a good line is reported:\n%s", errOut)
		}

		export, _, err := runCLI(t, db, "", "export")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range exportedArticles(t, export) {
			got = append(got, a["title"].(string))
			if a["title"] == "Windows lines" && (a["summary"] != "one\ntwo\nthree" || a["body"] != "\tindented\n") {
				t.Errorf("CRLF and CR are not stored as LF: %q %q", a["summary"], a["body"])
			}
		}
		if strings.Join(got, "|") != "Seoul and Tokyo meet|Windows lines|Pyongyang answers" {
			t.Errorf("exported %q", got)
		}
	})
}

// TestKeyNameControlCharacters: a key's name is printed by keys list, so a
// terminal escape in it is refused like any other control character.
func TestKeyNameControlCharacters(t *testing.T) {
	db := storetest.DSN(t, "sqlite")
	_, errOut, err := runCLI(t, db, "", "keys", "create", "--role", "editor", "--name", "ci\x1b[2J")
	if err == nil || !strings.Contains(errOut, "name: must not contain control characters") {
		t.Errorf("a name with ESC: %v\n%s", err, errOut)
	}
	list, _, err := runCLI(t, db, "", "keys", "list")
	if err != nil || strings.Contains(list, "\x1b") {
		t.Errorf("keys list: %v %q", err, list)
	}
	if _, errOut, err := runCLI(t, db, "", "keys", "create", "--role", "editor", "--name", "ci deploy"); err != nil {
		t.Errorf("a plain name: %v\n%s", err, errOut)
	}
}

// TestImportMessages: a file that is not there is said so before any
// database is made; a line cut short names its field once; one refused
// record is "1 record".
func TestImportMessages(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "new.db")
	_, errOut, err := runCLI(t, db, "", "import", filepath.Join(dir, "nope.jsonl"))
	if err == nil || !strings.Contains(errOut, "nope.jsonl: no such file or directory") {
		t.Errorf("import of a missing file: %v\n%s", err, errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("import of a missing file left %d files, %v, beside it", len(entries), entries)
	}
	_, errOut, err = runCLI(t, db, `{"title":"Cut short","countries":["RU"`+"\n", "import", "-")
	if err == nil {
		t.Error("an import with a refused line exits 0")
	}
	if n := strings.Count(errOut, "malformed JSON: the body ends too early"); n != 1 || !strings.Contains(errOut, "stdin:1: invalid: countries: malformed JSON") {
		t.Errorf("the cut line is told %d times, not once:\n%s", n, errOut)
	}
	if !strings.Contains(errOut, "headlines: 1 record was refused") {
		t.Errorf("stderr does not count one refused record:\n%s", errOut)
	}
}

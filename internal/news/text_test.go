package news

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// fieldsOf returns the failing fields of a validation error, in order.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ne *Error
	if !errors.As(err, &ne) || ne.Code != EValidation {
		t.Fatalf("want a validation error, got %v", err)
	}
	var out []string
	for _, f := range ne.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestNormalizeControlCharacters(t *testing.T) {
	for _, tc := range []struct {
		name   string
		d      Draft
		fields []string
		check  func(t *testing.T, d Draft)
	}{
		{name: "NUL in summary", d: Draft{Title: "x", Summary: "a\x00b"}, fields: []string{"summary"}},
		{name: "NUL in body", d: Draft{Title: "x", Body: "a\x00b"}, fields: []string{"body"}},
		{name: "escape in body", d: Draft{Title: "x", Body: "\x1b[31mred"}, fields: []string{"body"}},
		{name: "vertical tab and form feed", d: Draft{Title: "x", Summary: "a\vb", Body: "a\fb"}, fields: []string{"summary", "body"}},
		{name: "every C0 but tab and LF", d: Draft{Title: "x", Body: "\x01\x02\x03\x04\x05\x06\x07\x08"}, fields: []string{"body"}},
		{name: "NUL in title", d: Draft{Title: "a\x00b"}, fields: []string{"title"}},
		{name: "CR in title", d: Draft{Title: "a\rb"}, fields: []string{"title"}},
		{name: "NUL in source and author", d: Draft{Title: "x", Source: "a\x00", Author: "\x00b"}, fields: []string{"source", "author"}},
		{name: "NUL in a country name", d: Draft{Title: "x", Countries: []string{"R\x00U"}}, fields: []string{"countries"}},
		{name: "tab and newline are text", d: Draft{Title: "x", Summary: "a\tb\nc", Body: "one\n\ttwo\n"},
			check: func(t *testing.T, d Draft) {
				if d.Summary != "a\tb\nc" || d.Body != "one\n\ttwo\n" {
					t.Errorf("summary %q, body %q", d.Summary, d.Body)
				}
			}},
		{name: "CRLF and lone CR become LF", d: Draft{Title: "x", Summary: "a\r\nb\rc\r\n", Body: "one\r\ntwo\rthree\r\r\n"},
			check: func(t *testing.T, d Draft) {
				if d.Summary != "a\nb\nc" || d.Body != "one\ntwo\nthree\n\n" {
					t.Errorf("summary %q, body %q", d.Summary, d.Body)
				}
			}},
		// DEL and C1 controls are stored alike by both databases and
		// are not C0: multi-line text may hold them.
		{name: "DEL and C1 in body", d: Draft{Title: "x", Body: "a\x7fb\u0085c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.d
			got := fieldsOf(t, d.Normalize(testVocab))
			if !slices.Equal(got, tc.fields) {
				t.Errorf("failing fields %v, want %v", got, tc.fields)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestControlProblemNamesTheCharacter(t *testing.T) {
	msg := ControlProblem("héllo\x00", true)
	if !strings.Contains(msg, "U+0000") || !strings.Contains(msg, "character 6") {
		t.Errorf("message %q does not say which character, and where", msg)
	}
}

func TestThemeNormalizeControlCharacters(t *testing.T) {
	for _, tc := range []struct {
		name   string
		th     Theme
		fields []string
	}{
		{name: "NUL in description", th: Theme{Slug: "x", Name: "X", Description: "a\x00b"}, fields: []string{"description"}},
		{name: "NUL in name", th: Theme{Slug: "x", Name: "X\x00"}, fields: []string{"name"}},
		{name: "NUL in an alias", th: Theme{Slug: "x", Name: "X", Aliases: []string{"a\x00"}}, fields: []string{"aliases"}},
		{name: "NUL in a keyword", th: Theme{Slug: "x", Name: "X", Keywords: []string{"ab\x00c"}}, fields: []string{"keywords"}},
		{name: "NUL in the slug", th: Theme{Slug: "x\x00", Name: "X"}, fields: []string{"slug"}},
		{name: "lines in description", th: Theme{Slug: "x", Name: "X", Description: "one\r\ntwo\tthree"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := tc.th
			if got := fieldsOf(t, th.Normalize()); !slices.Equal(got, tc.fields) {
				t.Errorf("failing fields %v, want %v", got, tc.fields)
			}
		})
	}
	th := Theme{Slug: "x", Name: "X", Description: " one\r\ntwo\rthree "}
	if err := th.Normalize(); err != nil || th.Description != "one\ntwo\nthree" {
		t.Errorf("description %q, %v", th.Description, err)
	}
}

func TestCheckKey(t *testing.T) {
	for _, tc := range []struct {
		name   string
		role   Role
		fields []string
	}{
		{"ci deploy", RoleEditor, nil},
		{"", RoleEditor, []string{"name"}},
		{"a\x00b", RoleEditor, []string{"name"}},
		{"\x1b[2Jwipe", RoleReader, []string{"name"}},
		{strings.Repeat("é", 101), RoleAdmin, []string{"name"}},
		{"ok", "root", []string{"role"}},
	} {
		name, err := CheckKey(" "+tc.name+" ", tc.role)
		if got := fieldsOf(t, err); !slices.Equal(got, tc.fields) {
			t.Errorf("CheckKey(%q, %q): failing fields %v, want %v", tc.name, tc.role, got, tc.fields)
		}
		if err == nil && name != tc.name {
			t.Errorf("CheckKey(%q) = %q, want it trimmed", tc.name, name)
		}
	}
}

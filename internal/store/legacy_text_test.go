package store

import (
	"context"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/store/storetest"
)

// TestRetagKeepsStoredText: articles stored before today's text rules —
// CRLF line breaks, a NUL that SQLite took, a URL in a spelling that now
// normalizes to another — are retagged like any other, and keep their
// text, URL and version when their tags do not change.
func TestRetagKeepsStoredText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		s, _ := newStore(t, kind)
		ctx := context.Background()
		d := draft(t, s, "Seoul and Tokyo meet", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), nil, nil)
		d.AutoCountries, d.AutoThemes = true, true
		if err := d.Normalize(s.Vocabulary()); err != nil {
			t.Fatal(err)
		}
		a := mustCreate(t, s, d)
		summary, url := "first line\r\nsecond line", "https://example.com:443/a/../meet#top"
		if kind == "sqlite" {
			summary += "\x00" // what SQLite stored before NUL was refused
		}
		if err := s.w.Exec(`UPDATE articles SET summary = ?, url = ? WHERE id = ?`, summary, url, a.ID).Error; err != nil {
			t.Fatal(err)
		}
		res, err := s.Retag(ctx, nil)
		if err != nil {
			t.Fatalf("retag: %v", err)
		}
		if res.Checked != 1 || res.Changed != 0 {
			t.Errorf("retag %+v, want 1 checked, 0 changed", res)
		}
		got, err := s.Article(ctx, a.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if got.Summary != summary || got.URL != url || got.Version != a.Version {
			t.Errorf("after retag: summary %q url %q version %d; want them as stored (%q %q %d)", got.Summary, got.URL, got.Version, summary, url, a.Version)
		}
	})
}

package wire

import (
	"bytes"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/news"
)

// BenchmarkEncodePage times the JSON of a 20-article list page.
func BenchmarkEncodePage(b *testing.B) {
	page := make([]news.Article, 20)
	for i := range page {
		page[i] = news.Article{
			ID: int64(1000 + i), Title: "New Zealand targets North Korean military support for Russia with new sanctions",
			Summary: "Wellington accuses DPRK of helping Moscow ‘sustain its illegal war of aggression,’ pledging to hold it accountable",
			URL:     "https://news.example.com/1000", Source: "NK News", Section: "foreign-relations", Language: "en",
			Countries: []string{"KP", "NZ", "RU"}, Themes: []string{"sanctions", "troops"}, Status: news.StatusPublished,
			PublishedAt: time.Date(2025, 6, 26, 8, 15, 0, 0, time.UTC), CreatedAt: time.Now(), UpdatedAt: time.Now(), Version: 3,
		}
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		w := NewWriter(&buf)
		buf.WriteString(`{"data":[`)
		for i := range page {
			if i > 0 {
				buf.WriteByte(',')
			}
			w.Article(&page[i], ListFields)
		}
		buf.WriteString(`],"next_cursor":null}`)
		b.SetBytes(int64(buf.Len()))
	}
}

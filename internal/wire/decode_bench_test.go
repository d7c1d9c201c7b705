package wire_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/wire"
)

// BenchmarkDecodeDraft times what an import does to each record before it
// is stored: checking, decoding and validating one JSON line.
func BenchmarkDecodeDraft(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	ctx := context.Background()
	if _, err := st.MigrateUp(ctx); err != nil {
		b.Fatal(err)
	}
	raw := []byte(`{"title":"North Korea, Malaysia and Ukraine pledge workers abroad (2)","summary":"Officials in Ukraine said the talks would continue, as analysts weighed what it means for North Korea.","url":"https://news.example.com/2","source":"NK News","section":"foreign-relations","language":"en","countries":["KP","MY","UA"],"themes":["labor","diplomacy"],"published_at":"2019-05-20T21:17:53Z"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.DecodeDraft(ctx, raw, st); err != nil {
			b.Fatal(err)
		}
	}
}

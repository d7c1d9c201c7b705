//go:build cgo

package store

import (
	"context"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/news"
)

// SQLite keeps no count of its memory (see sqliteMemstatus): the lock
// every allocation would take is gone. With the count on, the open store
// alone holds hundreds of KiB by it.
func TestSQLiteCountsNoMemory(t *testing.T) {
	if sqliteMemstatus != 0 {
		t.Fatalf("SQLite refused to stop counting its memory: error %d", sqliteMemstatus)
	}
	s, _ := newStore(t, "sqlite")
	for i := range 20 {
		mustCreate(t, s, draft(t, s, "Sanctions talks resume", time.Date(2025, 6, 1+i, 0, 0, 0, 0, time.UTC), []string{"KP", "RU"}, []string{"sanctions"}))
	}
	page, err := s.ListArticles(context.Background(), news.Filter{Limit: 10, Query: []string{"sanctions"}})
	if err != nil || len(page.Articles) != 10 {
		t.Fatalf("search: %d articles, %v", len(page.Articles), err)
	}
	if n := sqliteMemoryUsed(); n != 0 {
		t.Errorf("SQLite counts %d bytes allocated: it still takes its memory lock on every allocation", n)
	}
}

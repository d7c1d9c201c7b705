package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/news"
)

// TestCloseStopsTheWriteLoop: closing a SQLite store while 32 writers
// are at work stops its group-commit loop (the vocabulary's refresher,
// the store's other goroutine, has TestVocabularyRefresherRunsUntilClose).
// Each write is either
// stored and answered so, or refused as unavailable; none hangs or
// panics, and every write answered as stored is in the file when it is
// opened again.
func TestCloseStopsTheWriteLoop(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	const writers = 32
	drafts := make([]news.Draft, writers)
	for i := range drafts {
		drafts[i] = draft(t, s, fmt.Sprint("Closing time ", i), time.Date(2025, 7, 1, 0, 0, i, 0, time.UTC), []string{"KP"}, []string{"trade"})
	}
	errs := make([]error, writers)
	var wg sync.WaitGroup
	first := make(chan struct{}, writers)
	for i := range writers {
		wg.Go(func() {
			// One at a time after the first, so that some are still to
			// come when the store closes.
			time.Sleep(time.Duration(i) * time.Millisecond)
			_, errs[i] = s.CreateArticle(ctx, drafts[i])
			first <- struct{}{}
		})
	}
	<-first
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.group.done:
	default:
		t.Fatal("the group-commit loop still runs after Close")
	}
	answered := make(chan struct{})
	go func() { wg.Wait(); close(answered) }()
	select {
	case <-answered:
	case <-time.After(10 * time.Second):
		t.Fatal("writers still wait for an answer 10 s after Close")
	}
	stored := 0
	for i, err := range errs {
		switch news.ErrorCode(err) {
		case "":
			stored++
		case news.EUnavailable:
		default:
			t.Errorf("write %d: %v; want it stored or refused as unavailable", i, err)
		}
	}
	if _, err := s.CreateArticle(ctx, drafts[0]); news.ErrorCode(err) != news.EUnavailable {
		t.Errorf("a write after Close: %v; want unavailable", err)
	}
	again, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	var n int64
	if err := again.r.Model(&articleModel{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != int64(stored) {
		t.Errorf("%d articles in the file, %d writes answered as stored", n, stored)
	}
	t.Logf("%d of %d writes stored before Close, the rest refused", stored, writers)
}

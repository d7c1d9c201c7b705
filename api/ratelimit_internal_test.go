package api

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/config"
)

// When the table is full, the client seen least recently is the one
// forgotten: it comes back with a full bucket, while the others keep
// what they have spent.
func TestLimiterForgetsLeastRecentlySeen(t *testing.T) {
	now := time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
	l := newLimiter("public", config.Rate{Burst: 1, Per: time.Hour}, func() time.Time { return now })
	l.size = 3
	for _, k := range []string{"a", "b", "c"} {
		if ok, _, _, _ := l.take(k); !ok {
			t.Fatalf("%s: the first request refused", k)
		}
	}
	l.take("a") // refused, and a is now the most recently seen; b the least
	if ok, _, _, _ := l.take("d"); !ok {
		t.Fatal("d: the first request refused")
	}
	if len(l.clients) != 3 {
		t.Fatalf("%d clients remembered, want 3", len(l.clients))
	}
	for k, want := range map[string]bool{"a": false, "c": false, "b": true} {
		if ok, _ := l.peek(k); ok != want {
			t.Errorf("%s: has a token %v, want %v", k, ok, want)
		}
	}
	if _, known := l.clients["b"]; known || len(l.clients) != 3 {
		t.Errorf("looking at b remembered it: %d clients", len(l.clients))
	}
}

// A flood of new addresses fills the table and no more: memory stays
// where a full table puts it, however long the flood goes on. (The map
// grows once more while the first replaced clients leave holes in it,
// then stays: about 21 MB for 100,000 clients.)
func TestLimiterFloodIsBounded(t *testing.T) {
	l := newLimiter("public", config.Rate{Burst: 300, Per: time.Minute}, time.Now)
	flood := func(from, to int) uint64 {
		for i := from; i < to; i++ {
			l.take("10." + strconv.Itoa(i>>16&255) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255) + "/" + strconv.Itoa(i))
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	full := flood(0, 2*maxClients)
	after := flood(2*maxClients, 6*maxClients)
	if len(l.clients) != maxClients {
		t.Fatalf("%d clients remembered after %d addresses, want %d", len(l.clients), 6*maxClients, maxClients)
	}
	if after > full+full/20 {
		t.Errorf("heap %d KB after %d addresses, %d KB after %d", full>>10, 2*maxClients, after>>10, 6*maxClients)
	}
	t.Logf("heap with a full table of %d clients: %d KB", maxClients, full>>10)
}

func TestClientKey(t *testing.T) {
	for ip, want := range map[string]string{
		"203.0.113.7":             "203.0.113.7",
		"::ffff:203.0.113.7":      "203.0.113.7",
		"2001:db8:1:2::1":         "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:1:2:3": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":         "2001:db8:1:3::/64",
		"fe80::1%eth0":            "fe80::/64",
		"::1":                     "::/64",
		"not an address":          "not an address",
	} {
		if got := clientKey(ip); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", ip, got, want)
		}
	}
}

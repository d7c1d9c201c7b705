package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMeterLines: a line per interval with count, rate and time left,
// none before the first interval, and no time left without a total.
func TestMeterLines(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var out strings.Builder
	m := newMeter(&out, "import", 200000, 2*time.Second)
	m.now = func() time.Time { return clock }
	m.start, m.last = clock, clock
	clock = clock.Add(time.Second)
	m.update(41300) // within the first interval: nothing
	clock = clock.Add(time.Second + 10*time.Millisecond)
	m.update(82600)
	clock = clock.Add(time.Second)
	m.update(100000) // within an interval of the last line
	clock = clock.Add(3 * time.Second)
	m.phase(200000, "building the indexes")
	want := "import: 82,600 of 200,000 (41,095/s, ETA 3 s)\nimport: 200,000 of 200,000; building the indexes\n"
	if out.String() != want {
		t.Errorf("lines:\n%s\nwant:\n%s", out.String(), want)
	}

	out.Reset()
	m = newMeter(&out, "import", 0, time.Second)
	m.now = func() time.Time { return clock }
	m.start, m.last = clock, clock
	clock = clock.Add(4 * time.Second)
	m.update(1234567)
	if want := "import: 1,234,567 (308,642/s)\n"; out.String() != want {
		t.Errorf("with no total: %q, want %q", out.String(), want)
	}
	for d, want := range map[time.Duration]string{
		4 * time.Second: "4 s", 125 * time.Second: "2 min 5 s", 3780 * time.Second: "1 h 3 min",
	} {
		if got := eta(d); got != want {
			t.Errorf("eta(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestCountRecords: the lines of a JSON Lines file that hold something;
// no total for a JSON array or what is not a regular file.
func TestCountRecords(t *testing.T) {
	dir := t.TempDir()
	lines := filepath.Join(dir, "a.jsonl")
	long := `{"title":"` + strings.Repeat("x", 3<<20) + `"}`
	_ = os.WriteFile(lines, []byte("{}\n\n  \n"+long+"\r\n{}"), 0o600)
	array := filepath.Join(dir, "a.json")
	_ = os.WriteFile(array, []byte("  \n[{},\n{}]\n"), 0o600)
	for name, want := range map[string]int{lines: 3, array: 0, dir: 0, filepath.Join(dir, "none"): 0} {
		if got := countRecords(name); got != want {
			t.Errorf("countRecords(%s) = %d, want %d", filepath.Base(name), got, want)
		}
	}
}

package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/mattn/go-isatty"
)

// progressEvery is how often long work (import, retag, export) reports
// its progress where stderr is not a terminal: a pipe, a log file, a CI
// job. On a terminal the line is rewritten in place five times a second.
// HEADLINES_PROGRESS_EVERY (a Go duration) changes it, for tests.
const progressEvery = 2 * time.Second

// A meter reports how far long work has come, on lines such as
//
//	import: 50,000 of 200,000 (41,300/s, ETA 4 s)
//
// and, with no total known (an import from standard input),
//
//	import: 50,000 (41,300/s)
//
// Work that ends within the first interval prints nothing.
type meter struct {
	w     io.Writer
	what  string
	total int // 0 when unknown
	tty   bool
	every time.Duration
	now   func() time.Time
	start time.Time
	last  time.Time
	shown bool // a line is on a terminal, to be cleared
}

// newMeter reports on w, whose kind (terminal or not) decides the form;
// every is the interval where w is not a terminal.
func newMeter(w io.Writer, what string, total int, every time.Duration) *meter {
	m := &meter{w: w, what: what, total: total, every: every, now: time.Now}
	if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		m.tty, m.every = true, 200*time.Millisecond
	}
	m.start = m.now()
	m.last = m.start
	return m
}

// progressInterval reads HEADLINES_PROGRESS_EVERY, or gives the default.
func progressInterval(getenv func(string) string) time.Duration {
	if d, err := time.ParseDuration(getenv("HEADLINES_PROGRESS_EVERY")); err == nil && d > 0 {
		return d
	}
	return progressEvery
}

// update reports n done, if an interval has passed since the last report.
func (m *meter) update(n int) {
	now := m.now()
	if now.Sub(m.last) < m.every {
		return
	}
	m.show(now, m.line(n, now))
}

// phase reports that n are done and the work goes on with what: a last
// step with nothing to count, such as building indexes. Work younger than
// an interval reports nothing.
func (m *meter) phase(n int, what string) {
	now := m.now()
	if now.Sub(m.start) < m.every {
		return
	}
	m.show(now, m.count(n)+"; "+what)
}

// show writes line, over the last one on a terminal, and notes when.
func (m *meter) show(now time.Time, line string) {
	m.last = now
	if m.tty {
		fmt.Fprintf(m.w, "\r\033[K%s", line)
		m.shown = true
	} else {
		fmt.Fprintln(m.w, line)
	}
}

// done clears a terminal's progress line, for the summary after it.
func (m *meter) done() {
	if m.shown {
		fmt.Fprint(m.w, "\r\033[K")
		m.shown = false
	}
}

// count writes "import: 50,000 of 200,000", or "import: 50,000" with no total.
func (m *meter) count(n int) string {
	s := m.what + ": " + thousands(n)
	if m.total > 0 {
		s += " of " + thousands(m.total)
	}
	return s
}

// line writes count's words with the rate and, given a total, the time left.
func (m *meter) line(n int, now time.Time) string {
	s := m.count(n)
	elapsed := now.Sub(m.start).Seconds()
	if elapsed <= 0 {
		return s
	}
	rate := float64(n) / elapsed
	s += " (" + thousands(int(rate+0.5)) + "/s"
	if m.total > 0 && rate > 0 {
		left := max(m.total-n, 0)
		s += ", ETA " + eta(time.Duration(float64(left)/rate*float64(time.Second)))
	}
	return s + ")"
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var b []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, c)
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}

// eta writes a time left as a person reads it: "4 s", "2 min 5 s", "1 h 3 min".
func eta(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	default:
		return fmt.Sprintf("%d h %d min", s/3600, s%3600/60)
	}
}

// countRecords counts the records of a JSON Lines file (its lines with
// anything but spaces), for an import's progress. It gives 0 (unknown)
// for a JSON array, for what is not a regular file (a pipe, a device),
// and on any error: the import itself reports those.
func countRecords(name string) int {
	f, err := os.Open(name) //nolint:gosec // the operator names the file to import
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	br := bufio.NewReaderSize(f, 1<<20)
	n, content, first := 0, false, true
	for {
		line, err := br.ReadSlice('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			if first && bytes.TrimSpace(line)[0] == '[' {
				return 0
			}
			first, content = false, true
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue // the rest of a long line
		}
		if content {
			n++
		}
		content = false
		if err != nil {
			return n
		}
	}
}

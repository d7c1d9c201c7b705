package store

import (
	"fmt"
	"testing"
	"time"
)

// TestFTSRows: the row count that relevance reads from FTS5's own record
// follows the articles, and a varint of any length decodes as SQLite
// writes it.
func TestFTSRows(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, "sqlite")
	check := func(want int64) {
		t.Helper()
		if rows, err := ftsRows(s.r); err != nil || rows != want {
			t.Errorf("ftsRows = %d, %v; want %d", rows, err, want)
		}
	}
	check(0)
	for i := range 200 {
		mustCreate(t, s, draft(t, s, fmt.Sprintf("Story %d", i), t0.Add(time.Duration(i)*time.Minute), nil, nil))
	}
	check(200)
	d := draft(t, s, "With a body", t0, nil, nil)
	d.Body = "Long text of the article"
	mustCreate(t, s, d)
	check(201)

	for _, tc := range []struct {
		in   []byte
		want int64
		n    int
	}{
		{[]byte{0x00}, 0, 1},
		{[]byte{0x7f}, 127, 1},
		{[]byte{0x81, 0x00}, 128, 2},
		{[]byte{0x87, 0x68}, 1000, 2},
		{[]byte{0xbd, 0x84, 0x40}, 1000000, 3},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, -1, 9},
		{[]byte{0x81}, 0, 0}, // cut
		{nil, 0, 0},
	} {
		if got, n := sqliteVarint(tc.in); got != tc.want || n != tc.n {
			t.Errorf("sqliteVarint(% x) = %d, %d; want %d, %d", tc.in, got, n, tc.want, tc.n)
		}
	}
}

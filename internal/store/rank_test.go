package store

import (
	"fmt"
	"testing"
	"time"
)

// TestFTSTotals: the row count and body tokens that relevance reads from
// FTS5's own record follow the articles, and a varint of any length
// decodes as SQLite writes it.
func TestFTSTotals(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, "sqlite")
	check := func(wantRows int64, wantBody bool) {
		t.Helper()
		rows, body, err := ftsTotals(s.r)
		if err != nil || rows != wantRows || (body > 0) != wantBody {
			t.Errorf("ftsTotals = %d rows, %d body tokens, %v; want %d rows, body %v", rows, body, err, wantRows, wantBody)
		}
	}
	check(0, false)
	for i := range 200 {
		mustCreate(t, s, draft(t, s, fmt.Sprintf("Story %d", i), t0.Add(time.Duration(i)*time.Minute), nil, nil))
	}
	check(200, false)
	d := draft(t, s, "With a body", t0, nil, nil)
	d.Body = "Long text of the article"
	mustCreate(t, s, d)
	check(201, true)

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

package wire

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// The hand-written escaper must write what encoding/json writes, byte for
// byte: partners parse these strings and browsers render them.
var escapeSeeds = []string{
	"", "plain ASCII headline", `quote " and backslash \`, "<script>alert(1)</script> & more",
	"tab\tnew line\ncarriage\rform\fback\bbell\x07nul\x00 del\x7f", "line\u2028para\u2029end",
	"Kim Jong Un — “quoted” ‘Moscow’ 北朝鮮 🚀", "bad \xff\xfe utf-8 \xc3", "trailing \xe2\x80",
	"\U0010FFFF max rune", "surrogate half \xed\xa0\x80",
}

func checkEscape(t *testing.T, s string) {
	t.Helper()
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	NewWriter(&b).Str(s)
	if got := b.String(); got != string(want) {
		t.Errorf("escape %q:\n got %s\nwant %s", s, got, want)
	}
}

func TestJSONStringsMatchEncodingJSON(t *testing.T) {
	for _, s := range escapeSeeds {
		checkEscape(t, s)
	}
	for c := range 256 { // every single byte
		checkEscape(t, string([]byte{byte(c)}))
	}
	for c := range 256 { // every byte at every place of the eight read at once, and after them
		for at := range 17 {
			b := []byte("plain text, no escapes")[:17]
			b[at] = byte(c)
			checkEscape(t, string(b))
		}
	}
}

func FuzzJSONString(f *testing.F) {
	for _, s := range escapeSeeds {
		f.Add(s)
	}
	f.Fuzz(checkEscape)
}

func checkTime(t *testing.T, at time.Time) {
	t.Helper()
	want := `"` + at.UTC().Format(time.RFC3339Nano) + `"`
	if got := string(appendTime(nil, at)); got != want {
		t.Errorf("time %v: got %s, want %s", at, got, want)
	}
}

// Times are written as time's own RFC 3339 formatting writes them, in
// UTC: every year the hand-written path takes and those it leaves to
// time (before year 0, after 9999), whole seconds and every length of
// fraction.
func TestTimesMatchRFC3339Nano(t *testing.T) {
	for _, at := range []time.Time{{}, time.Unix(0, 0), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 12, 31, 23, 59, 59, 5e8, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(0, 2, 29, 23, 59, 59, 1, time.UTC), time.Date(0, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 2, 29, 12, 0, 0, 0, time.UTC), time.Date(2100, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 6, 26, 17, 15, 0, 120000000, time.FixedZone("KST", 9*3600))} {
		checkTime(t, at)
	}
	r := rand.New(rand.NewPCG(18, 4))
	for i := range 40000 {
		sec := r.Int64N(2*400000*365*86400) - 400000*365*86400 // years about -398,000 to 402,000
		if i%2 == 0 {
			sec = r.Int64N(10001*366*86400) - 1970*366*86400 // years about -10 to 10,000
		}
		ns := r.Int64N(1e9)
		ns -= ns % []int64{1, 10, 1000, 1e6, 1e8, 1e9}[r.IntN(6)] // trailing zeros, or none at all
		checkTime(t, time.Unix(sec, ns))
	}
	for day := time.Date(-1, 12, 1, 0, 0, 0, 0, time.UTC); day.Year() < 2; day = day.AddDate(0, 0, 1) {
		checkTime(t, day) // every day around year 0, where the days since 1970 go below the first era
	}
}

func FuzzTime(f *testing.F) {
	f.Add(int64(1750925700), int64(123456789))
	f.Fuzz(func(t *testing.T, sec, ns int64) { checkTime(t, time.Unix(sec, ns)) })
}

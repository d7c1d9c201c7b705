package wire

import (
	"bytes"
	"encoding/json"
	"testing"
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
}

func FuzzJSONString(f *testing.F) {
	for _, s := range escapeSeeds {
		f.Add(s)
	}
	f.Fuzz(checkEscape)
}

package api

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/news"
)

func TestCursorRoundTrip(t *testing.T) {
	cc := newCursorCodec("test-cursor-secret-0123456789")
	f := news.Filter{Countries: []string{"RU"}, Sort: news.SortNewest}
	c := news.Cursor{PublishedAt: time.Date(2025, 6, 26, 8, 15, 0, 123000, time.UTC), ID: 8, Rank: -1.25}
	token := cc.encode(c, f)
	got, err := cc.decode(token, f)
	if err != nil || !got.PublishedAt.Equal(c.PublishedAt) || got.ID != c.ID || got.Rank != c.Rank {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	other := f
	other.Themes = []string{"trade"}
	if _, err := cc.decode(token, other); news.ErrorCode(err) != news.EInvalid {
		t.Errorf("a cursor used with another filter: %v", err)
	}
	if _, err := newCursorCodec("another-secret-0123456789").decode(token, f); news.ErrorCode(err) != news.EInvalid {
		t.Errorf("a cursor signed with another secret: %v", err)
	}
}

// Cursors issued before stay valid: the tokens of two filters, as the
// server has always made them.
func TestCursorTokensStay(t *testing.T) {
	cc := newCursorCodec("test-cursor-secret-0123456789")
	since := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	src, lang := "NK News", "ko-kr"
	c := news.Cursor{PublishedAt: time.Date(2025, 6, 26, 8, 15, 0, 123000, time.UTC), ID: 8, Rank: -1.25}
	for _, tc := range []struct {
		f    news.Filter
		want string
	}{
		{news.Filter{Countries: []string{"RU"}, Themes: []string{"sanctions"}, Sort: news.SortNewest},
			"AQAGOHUoYGl7AAAAAAAAAAi_9AAAAAAAAEi9PVKbcfEa3Y4SSmet5kUCKix7XHWs_Q"},
		{news.Filter{CountriesAll: []string{"KP", "RU"}, ThemesNot: []string{"aid", "trade"}, Query: []string{"kim", `"quoted" phrase ü`},
			Sort: news.SortRelevance, Since: &since, Source: &src, Language: &lang, WithDrafts: true},
			"AQAGOHUoYGl7AAAAAAAAAAi_9AAAAAAAAMJtJPTfX5cMXWRbmq0ep99uzXTA6-ZpEg"},
	} {
		if got := cc.encode(c, tc.f); got != tc.want {
			t.Errorf("cursor of %+v:\n got %s\nwant %s", tc.f, got, tc.want)
		}
		if _, err := cc.decode(tc.want, tc.f); err != nil {
			t.Errorf("%s: %v", tc.want, err)
		}
	}
}

// fmtDigest is queryDigest as it was written with fmt: what cursors in
// clients' hands were made with.
func fmtDigest(f news.Filter) uint64 {
	h := sha256.New()
	fmt.Fprintf(h, "%q|%q|%q|%q|%q|%q|%q|%q|", f.Countries, f.CountriesAll, f.CountriesNot,
		f.Themes, f.ThemesAll, f.ThemesNot, f.Query, f.Sort)
	for _, t := range []*time.Time{f.Since, f.Until} {
		if t != nil {
			fmt.Fprint(h, t.UnixMicro())
		}
		fmt.Fprint(h, "|")
	}
	for _, s := range []*string{f.Source, f.Section, f.Language} {
		if s != nil {
			fmt.Fprintf(h, "%q", *s)
		}
		fmt.Fprint(h, "|")
	}
	fmt.Fprint(h, f.WithDrafts)
	return binary.BigEndian.Uint64(h.Sum(nil))
}

// The digest of a query is the one fmt made, for filters of every shape:
// nil and empty lists, one value and several, quotes, backslashes,
// non-ASCII and invalid UTF-8, times before 1970, every optional field set
// or not.
func TestQueryDigestIsFmts(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 5))
	words := []string{"", "RU", "sanctions", `"quoted" phrase`, `back\slash`, "Kim Jong Un 北朝鮮 🚀", "bad \xff utf-8", "tab\tnl\n", "ko-KR"}
	list := func() []string {
		switch r.IntN(4) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, 1+r.IntN(3))
		for i := range out {
			out[i] = words[r.IntN(len(words))]
		}
		return out
	}
	str := func() *string {
		if r.IntN(2) == 0 {
			return nil
		}
		return &words[r.IntN(len(words))]
	}
	at := func() *time.Time {
		if r.IntN(2) == 0 {
			return nil
		}
		t := time.UnixMicro(r.Int64N(4e15) - 2e15)
		return &t
	}
	for range 5000 {
		f := news.Filter{Countries: list(), CountriesAll: list(), CountriesNot: list(), Themes: list(), ThemesAll: list(), ThemesNot: list(),
			Query: list(), Since: at(), Until: at(), Source: str(), Section: str(), Language: str(),
			Sort: []news.Sort{"", news.SortNewest, news.SortOldest, news.SortRelevance}[r.IntN(4)], WithDrafts: r.IntN(2) == 0}
		if got, want := queryDigest(f), fmtDigest(f); got != want {
			t.Fatalf("digest of %+v: %x, fmt's %x", f, got, want)
		}
	}
}

// FuzzCursorDecode: any string given as a cursor is refused or accepted,
// never a panic; what is accepted encodes back to the same token.
func FuzzCursorDecode(f *testing.F) {
	cc := newCursorCodec("test-cursor-secret-0123456789")
	filter := news.Filter{Countries: []string{"KP"}, Sort: news.SortNewest}
	f.Add(cc.encode(news.Cursor{PublishedAt: time.Unix(1750000000, 0), ID: 42}, filter))
	for _, seed := range []string{"", "AAAA", "AQ", "!!!", "AQAGOExLwu4AAAAAAAAAAAUAAAAAAAAAAC66KzFgmEFxr6vhRq2yASonPuCJUhXrRA", "=="} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := cc.decode(token, filter)
		if err != nil {
			if news.ErrorCode(err) != news.EInvalid {
				t.Fatalf("%q: %v is not a 400", token, err)
			}
			return
		}
		if again := cc.encode(c, filter); again != token {
			t.Fatalf("accepted %q but it encodes back as %q", token, again)
		}
	})
}

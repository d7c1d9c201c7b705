package api

import (
	"testing"
	"time"

	"github.com/headlines/headlines/internal/news"
)

func TestCursorRoundTrip(t *testing.T) {
	cc := cursorCodec{key: []byte("test-cursor-secret-0123456789")}
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
	if _, err := (cursorCodec{key: []byte("another-secret-0123456789")}).decode(token, f); news.ErrorCode(err) != news.EInvalid {
		t.Errorf("a cursor signed with another secret: %v", err)
	}
}

// FuzzCursorDecode: any string given as a cursor is refused or accepted,
// never a panic; what is accepted encodes back to the same token.
func FuzzCursorDecode(f *testing.F) {
	cc := cursorCodec{key: []byte("test-cursor-secret-0123456789")}
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

package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/headlines/headlines/internal/news"
)

// cursorCodec signs keyset positions into opaque tokens. A token carries the
// sort keys of the last row, a digest of the query it belongs to, and an
// HMAC, so an edited or foreign token is refused rather than obeyed.
type cursorCodec struct{ key []byte }

const (
	cursorVersion = 1
	cursorPayload = 1 + 8 + 8 + 8 + 8 // version, published_at µs, id, rank bits, query digest
	cursorMAC     = 16
)

// cursorEncoding is strict, so that each cursor has exactly one spelling.
var cursorEncoding = base64.RawURLEncoding.Strict()

// queryDigest identifies the ordered set a filter selects; the page size,
// fields, totals and facets do not change it.
func queryDigest(f news.Filter) uint64 {
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

func (cc cursorCodec) encode(c news.Cursor, f news.Filter) string {
	buf := make([]byte, cursorPayload, cursorPayload+cursorMAC)
	buf[0] = cursorVersion
	binary.BigEndian.PutUint64(buf[1:], uint64(c.PublishedAt.UnixMicro()))
	binary.BigEndian.PutUint64(buf[9:], uint64(c.ID)) //nolint:gosec // a bit-for-bit round trip, not arithmetic
	binary.BigEndian.PutUint64(buf[17:], math.Float64bits(c.Rank))
	binary.BigEndian.PutUint64(buf[25:], queryDigest(f))
	return cursorEncoding.EncodeToString(append(buf, cc.mac(buf)...))
}

func (cc cursorCodec) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, cc.key)
	m.Write(payload)
	return m.Sum(nil)[:cursorMAC]
}

// decode checks a token and that it belongs to f's query.
func (cc cursorCodec) decode(token string, f news.Filter) (news.Cursor, error) {
	bad := func(why string) error { return news.FieldErrorf(news.EInvalid, "cursor", "%s", why) }
	if len(token) > 200 || strings.IndexFunc(token, notBase64URL) >= 0 {
		return news.Cursor{}, bad("is not a cursor issued by this API")
	}
	raw, err := cursorEncoding.DecodeString(token)
	if err != nil || len(raw) != cursorPayload+cursorMAC || raw[0] != cursorVersion {
		return news.Cursor{}, bad("is not a cursor issued by this API")
	}
	payload := raw[:cursorPayload]
	if !hmac.Equal(raw[cursorPayload:], cc.mac(payload)) {
		return news.Cursor{}, bad("has been altered or was not issued by this API")
	}
	if binary.BigEndian.Uint64(payload[25:]) != queryDigest(f) {
		return news.Cursor{}, bad("belongs to a different query; keep the filters and sort of the page that returned it")
	}
	return news.Cursor{
		PublishedAt: time.UnixMicro(int64(binary.BigEndian.Uint64(payload[1:]))).UTC(), //nolint:gosec // round trip of encode
		ID:          int64(binary.BigEndian.Uint64(payload[9:])),                       //nolint:gosec // round trip of encode
		Rank:        math.Float64frombits(binary.BigEndian.Uint64(payload[17:])),
	}, nil
}

// notBase64URL reports a character outside the URL-safe base64 alphabet
// (the decoder would skip newlines silently).
func notBase64URL(r rune) bool {
	return (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_'
}

package api_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"testing"

	"github.com/headlines/headlines/internal/store/storetest"
)

// TestConditionalGets: every GET has an ETag, a matching If-None-Match is
// a 304 with no body, and a write changes the ETags of the answers it
// changes and of no others.
func TestConditionalGets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, kind string) {
		e := newEnv(t, kind)
		paths := map[string]string{
			"russia":    "/v1/articles?country=RU",
			"japan":     "/v1/articles?country=JP",
			"article 1": "/v1/articles/1",
			"countries": "/v1/countries?used=true",
			"themes":    "/v1/themes",
			"country":   "/v1/countries/RU",
			"theme":     "/v1/themes/trade",
		}
		before := map[string]string{}
		for name, p := range paths {
			r := e.do(req{path: p})
			tag := r.header.Get("ETag")
			if r.status != 200 || tag == "" {
				t.Fatalf("%s: %d, ETag %q", name, r.status, tag)
			}
			before[name] = tag
			again := e.do(req{path: p, headers: []string{"If-None-Match", tag}})
			if again.status != http.StatusNotModified || len(again.body) != 0 || again.header.Get("ETag") != tag {
				t.Errorf("%s with If-None-Match: %d, %d bytes, ETag %q", name, again.status, len(again.body), again.header.Get("ETag"))
			}
			if other := e.do(req{path: p, headers: []string{"If-None-Match", `W/"something-else"`}}); other.status != 200 {
				t.Errorf("%s with a stale If-None-Match: %d", name, other.status)
			}
		}
		if lm := e.do(req{path: "/v1/articles/1"}).header.Get("Last-Modified"); lm == "" {
			t.Error("an article has no Last-Modified")
		}
		// A new Russia story with no theme.
		if r := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Lavrov visits Pyongyang","countries":["RU","KP"],"themes":[]}`}); r.status != 201 {
			t.Fatal(r.status)
		}
		changed := map[string]bool{"russia": true, "countries": true, "country": true}
		for name, p := range paths {
			tag := e.do(req{path: p}).header.Get("ETag")
			if (tag != before[name]) != changed[name] {
				t.Errorf("%s: ETag %q → %q; should change: %v", name, before[name], tag, changed[name])
			}
		}
	})
}

// TestAnswersSayTheirLength: a list page goes out with its Content-Length,
// not chunked; compressed, it carries no length of the plain body.
func TestAnswersSayTheirLength(t *testing.T) {
	e := newEnv(t, "sqlite")
	// Without compression: Go's client otherwise asks for gzip by itself.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	var body []byte
	for _, want := range []string{"miss", "hit"} { // from the database, then from the response cache
		plain, err := client.Get(e.srv.URL + "/v1/articles?country=KP")
		if err != nil {
			t.Fatal(err)
		}
		body, err = io.ReadAll(plain.Body)
		_ = plain.Body.Close()
		if err != nil || plain.StatusCode != 200 || len(body) < 1000 {
			t.Fatalf("%d, %d bytes, %v", plain.StatusCode, len(body), err)
		}
		got := plain.Header.Get("X-Cache")
		if got == "" {
			got = "miss"
		}
		if got != want {
			t.Errorf("X-Cache %q, want %s", got, want)
		}
		if plain.ContentLength != int64(len(body)) || len(plain.TransferEncoding) != 0 {
			t.Errorf("%s: Content-Length %d, Transfer-Encoding %v for a body of %d bytes", want, plain.ContentLength, plain.TransferEncoding, len(body))
		}
	}

	r, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/v1/articles?country=KP", nil)
	r.Header.Set("Accept-Encoding", "gzip") // set by hand: the client leaves the body compressed
	zipped, err := client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer zipped.Body.Close()
	raw, err := io.ReadAll(zipped.Body)
	if err != nil || zipped.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("compressed: %v, Content-Encoding %q", err, zipped.Header.Get("Content-Encoding"))
	}
	if zipped.ContentLength != -1 && zipped.ContentLength != int64(len(raw)) {
		t.Errorf("compressed: Content-Length %d for %d bytes", zipped.ContentLength, len(raw))
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unzipped, body) {
		t.Errorf("compressed body differs from the plain one: %v", err)
	}
}

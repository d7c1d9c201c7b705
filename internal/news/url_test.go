package news

import (
	"net/url"
	"strings"
	"testing"
)

func TestCanonicalURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://example.com/x", "https://example.com/x"},
		// Scheme and host in lower case; the path keeps its case.
		{"HTTPS://Example.COM/News/X", "https://example.com/News/X"},
		// Default ports go, others stay; an empty port goes with its colon.
		{"https://example.com:443/x", "https://example.com/x"},
		{"http://example.com:80/x", "http://example.com/x"},
		{"http://example.com:443/x", "http://example.com:443/x"},
		{"https://example.com:80/x", "https://example.com:80/x"},
		{"https://example.com:8443/x", "https://example.com:8443/x"},
		{"https://example.com:0443/x", "https://example.com/x"},
		{"https://example.com:/x", "https://example.com/x"},
		{"https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"},
		{"http://[2001:db8::1]:8080/x", "http://[2001:db8::1]:8080/x"},
		// No fragment, unless it is a script-driven site's route.
		{"https://example.com/x#fragment", "https://example.com/x"},
		{"https://example.com/x#", "https://example.com/x"},
		{"https://example.com/x?a=1#top", "https://example.com/x?a=1"},
		{"https://example.com/#!/story/12", "https://example.com/#!/story/12"},
		{"https://example.com/#/story/%7e12", "https://example.com/#/story/~12"},
		// Percent-encoded unreserved characters are decoded, other
		// encodings get upper-case hex.
		{"https://example.com/%64raft", "https://example.com/draft"},
		{"https://example.com/%41%7a%30%2D%2e%5F%7E", "https://example.com/Az0-._~"},
		{"https://example.com/a%2fb%3a%c3%bc", "https://example.com/a%2Fb%3A%C3%BC"},
		{"https://example.com/a%20b", "https://example.com/a%20b"},
		// What may not stand raw in a URI is encoded, as a browser sends it.
		{"https://example.com/ü?q=ü", "https://example.com/%C3%BC?q=%C3%BC"},
		{"https://example.com/a{b}|c", "https://example.com/a%7Bb%7D%7Cc"},
		{"https://example.com/?q=100%", "https://example.com/?q=100%25"},
		{"https://example.com/?q=%zz", "https://example.com/?q=%25zz"},
		// Sub-delimiters and reserved characters are not touched.
		{"https://example.com/a(b)!$&'*+,;=:@/c", "https://example.com/a(b)!$&'*+,;=:@/c"},
		// Dot segments are resolved (RFC 3986 §5.2.4); other segments,
		// empty ones included, are kept.
		{"https://example.com/a/./b/../c", "https://example.com/a/c"},
		{"https://example.com/a/b/c/./../../g", "https://example.com/a/g"},
		{"https://example.com/../../x", "https://example.com/x"},
		{"https://example.com/a/..", "https://example.com/"},
		{"https://example.com/a/.", "https://example.com/a/"},
		{"https://example.com/a/%2E%2E/b", "https://example.com/b"},
		{"https://example.com/a//b/", "https://example.com/a//b/"},
		{"https://example.com/a.b/.c/..d", "https://example.com/a.b/.c/..d"},
		// An empty path is "/".
		{"https://example.com", "https://example.com/"},
		{"https://example.com?x=1", "https://example.com/?x=1"},
		{"https://example.com:443", "https://example.com/"},
		// The query is kept as it came otherwise: order, repeats, "+".
		{"https://example.com/s?b=2&a=1&a=1&c=x+y&d=%2b", "https://example.com/s?b=2&a=1&a=1&c=x+y&d=%2B"},
		{"https://example.com/s?", "https://example.com/s?"},
		// The host as url.URL writes it.
		{"https://Bücher.example/x", "https://b%C3%BCcher.example/x"},
		{"  https://example.com/x  ", "https://example.com/x"},
	} {
		got, msg := canonicalURL(tc.in)
		if msg != "" || got != tc.want {
			t.Errorf("canonicalURL(%q) = %q, %q; want %q", tc.in, got, msg, tc.want)
			continue
		}
		// The canonical spelling is its own.
		if again, _ := canonicalURL(got); again != got {
			t.Errorf("canonicalURL(%q) = %q, not itself", got, again)
		}
	}
}

func TestCanonicalURLRefuses(t *testing.T) {
	for _, in := range []string{
		"javascript:alert(1)", "/relative", "ftp://example.com/x", "https://user:pw@example.com/x",
		"https:///x", "http://:", "https://:443/x", "https://example.com/a b", "https://example.com/\x00", "https://example.com/%zz",
		"https://example.com/" + strings.Repeat("a", MaxURL),
		// Within the limit as sent, over it once encoded.
		"https://example.com/" + strings.Repeat("ü", 600),
	} {
		if got, msg := canonicalURL(in); msg == "" {
			t.Errorf("canonicalURL(%.40q) = %.40q, want a refusal", in, got)
		}
	}
}

func TestNormalizeCanonicalizesBothURLs(t *testing.T) {
	d := Draft{Title: "x", URL: "https://Example.com:443/a/../%64raft#top", ImageURL: "HTTP://img.example.com:80/p/./i.png"}
	if err := d.Normalize(testVocab); err != nil {
		t.Fatal(err)
	}
	if d.URL != "https://example.com/draft" || d.ImageURL != "http://img.example.com/p/i.png" {
		t.Errorf("url %q, image_url %q", d.URL, d.ImageURL)
	}
}

// FuzzCanonicalURL: the canonical spelling is a URL of the same scheme
// and host that canonicalizes to itself.
func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com:443/a/./b/../%64raft?x=%7e#top", "http://[::1]:80/..", "https://b%C3%BCcher.example/ü?q=ü#!/x",
		"https://example.com/%2e%2E/a/%2F/.%2e/b", "http://example.com?", "https://x.example/a//..//b/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if plainURL(s) {
			if got, msg := parseURL(s); got != s || msg != "" {
				t.Fatalf("%q is plain, but parsed it is %q (%s)", s, got, msg)
			}
		}
		got, msg := canonicalURL(s)
		if msg != "" {
			return
		}
		again, msg := canonicalURL(got)
		if msg != "" || again != got {
			t.Fatalf("canonicalURL(%q) = %q, whose canonical form is %q (%s)", s, got, again, msg)
		}
		u, err := url.Parse(got)
		if err != nil || u.Fragment != "" && !strings.HasPrefix(u.Fragment, "!") && !strings.HasPrefix(u.Fragment, "/") {
			t.Fatalf("canonicalURL(%q) = %q: %v, fragment %q", s, got, err, u.Fragment)
		}
		if strings.Contains(u.EscapedPath(), "/./") || strings.Contains(u.EscapedPath(), "/../") {
			t.Fatalf("canonicalURL(%q) = %q keeps a dot segment", s, got)
		}
	})
}

// TestPlainURLsNeedNoParsing: a URL taken as already canonical without
// parsing is what parsing it gives, over URLs made of parts that do and
// do not need work.
func TestPlainURLsNeedNoParsing(t *testing.T) {
	plain := 0
	for _, scheme := range []string{"https://", "http://", "HTTPS://", "ftp://", ""} {
		for _, host := range []string{"news.example.com", "News.example.com", "x-1.example", "example.com:443", "example.com:8080", "[::1]", "", "a_b.example", "b\u00fccher.example"} {
			for _, path := range []string{"", "/", "/2025/06/story-1", "/a/./b", "/a/../b", "/.well-known", "/a%20b", "/a b", "/ü", "/a(b)!$&'*+,;=:@", "/x~y_z.html", "/{x}"} {
				for _, rest := range []string{"", "?id=12&x=y+z", "?q=%7e", "#top", "#!/route", "?a=/b?c"} {
					s := scheme + host + path + rest
					if !plainURL(s) {
						continue
					}
					plain++
					if got, msg := parseURL(s); got != s || msg != "" {
						t.Errorf("%q is plain, but parsed it is %q (%s)", s, got, msg)
					}
				}
			}
		}
	}
	if plain < 40 {
		t.Errorf("only %d plain URLs: the fast path is not tried", plain)
	}
}

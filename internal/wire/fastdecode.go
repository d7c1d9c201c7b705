package wire

import (
	"slices"
	"unicode/utf8"
)

// decodeInputFast decodes the usual shape of an article in the input form,
// what nearly every record of an import looks like: one object of known
// keys, each once, with strings, nulls where allowed and arrays of strings
// for countries and themes. It answers ok=false for anything else (a
// number, an unknown or repeated key, an escape it does not handle,
// invalid UTF-8 …), and the caller then takes the full path, which decodes
// the same or says what is wrong. For the same record it is five to ten
// times cheaper than CheckJSON and DecodeStrict together, which an import
// of a million records feels.
func decodeInputFast(b []byte) (in ArticleInput, ok bool) {
	if !utf8.Valid(b) {
		return in, false
	}
	p := fastParser{b: b}
	if !p.skip('{') {
		return in, false
	}
	var known [13]string // the keys seen, at most one of each known key
	seen := known[:0]
	if p.peek() == '}' {
		p.i++
		return in, p.end()
	}
	for {
		key, ok := p.str()
		if !ok || !p.skip(':') || slices.Contains(seen, key) {
			return in, false
		}
		// Each known key is a string, a string or null, or a list of
		// strings or null.
		var str *string
		var strOrNull **string
		var list **[]string
		switch key {
		case "title":
			str = &in.Title
		case "summary":
			str = &in.Summary
		case "body":
			str = &in.Body
		case "source":
			str = &in.Source
		case "section":
			str = &in.Section
		case "language":
			str = &in.Language
		case "status":
			str = &in.Status
		case "url":
			strOrNull = &in.URL
		case "image_url":
			strOrNull = &in.ImageURL
		case "author":
			strOrNull = &in.Author
		case "published_at":
			strOrNull = &in.PublishedAt
		case "countries":
			list = &in.Countries
		case "themes":
			list = &in.Themes
		default:
			return in, false
		}
		seen = append(seen, key)
		switch {
		case str != nil:
			if *str, ok = p.str(); !ok {
				return in, false
			}
		case p.null():
		case strOrNull != nil:
			s, ok := p.str()
			if !ok {
				return in, false
			}
			*strOrNull = &s
		default:
			l, ok := p.strs()
			if !ok {
				return in, false
			}
			*list = &l
		}
		switch p.next() {
		case ',':
		case '}':
			return in, p.end()
		default:
			return in, false
		}
	}
}

// fastParser reads the JSON that decodeInputFast accepts.
type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *fastParser) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *fastParser) next() byte {
	c := p.peek()
	if c != 0 {
		p.i++
	}
	return c
}

func (p *fastParser) skip(c byte) bool { return p.next() == c }

// end reports whether only white space is left.
func (p *fastParser) end() bool { return p.peek() == 0 && p.i == len(p.b) }

func (p *fastParser) null() bool {
	if p.peek() == 'n' && len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}

// str reads a string; escapes other than \uXXXX are decoded, that one is
// left to the full path.
func (p *fastParser) str() (string, bool) {
	if !p.skip('"') {
		return "", false
	}
	start := p.i
	var buf []byte // only when the string has escapes
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if buf != nil {
				return string(append(buf, s...)), true
			}
			return string(s), true
		case c < 0x20:
			return "", false
		case c == '\\':
			if p.i+1 >= len(p.b) {
				return "", false
			}
			var r byte
			switch p.b[p.i+1] {
			case '"', '\\', '/':
				r = p.b[p.i+1]
			case 'b':
				r = '\b'
			case 'f':
				r = '\f'
			case 'n':
				r = '\n'
			case 'r':
				r = '\r'
			case 't':
				r = '\t'
			default:
				return "", false
			}
			buf = append(append(buf, p.b[start:p.i]...), r)
			p.i += 2
			start = p.i
		default:
			p.i++
		}
	}
	return "", false
}

// strs reads an array of strings.
func (p *fastParser) strs() ([]string, bool) {
	if !p.skip('[') {
		return nil, false
	}
	list := []string{}
	if p.peek() == ']' {
		p.i++
		return list, true
	}
	for {
		s, ok := p.str()
		if !ok {
			return nil, false
		}
		list = append(list, s)
		switch p.next() {
		case ',':
		case ']':
			return list, true
		default:
			return nil, false
		}
	}
}

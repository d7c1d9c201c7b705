package wire

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/headlines/headlines/internal/news"
)

// CheckJSON's quick pass must never let a duplicate key through, at any
// depth, however the key is written.
func TestCheckJSONDuplicateKeys(t *testing.T) {
	for _, tc := range []struct {
		body  string
		dup   bool
		field string // the field the error names
	}{
		{body: `{"title":"x","summary":"y","countries":["KP","RU"]}`},
		{body: `{"title":"x","title":"y"}`, dup: true, field: "title"},
		{body: `{"a":{"b":1,"c":{"b":2}},"b":3}`},
		{body: `{"a":{"b":1,"b":2}}`, dup: true, field: "a.b"},
		{body: `{"a":[{"k":1},{"k":2,"k":3}]}`, dup: true, field: "a[1].k"},
		{body: `{"a":[{"k":1}],"k":{"a":1}}`},
		{body: `{"title":"x","t\u0069tle":"y"}`, dup: true, field: "title"}, // the same key, escaped
		{body: `{"title":"a \"quoted\" title","summary":"\\"}`},             // escapes in values
		{body: `{"x":"}","x2":"{\"x\":1}"}`},                                // braces inside strings
		{body: `[{"a":1},{"a":1}]`},
		{body: `{"":1,"":2}`, dup: true, field: ""},
	} {
		err := CheckJSON([]byte(tc.body))
		if !tc.dup {
			if err != nil {
				t.Errorf("%s: %v, want no error", tc.body, err)
			}
			continue
		}
		var ne *news.Error
		if !errors.As(err, &ne) || len(ne.Fields) != 1 || ne.Fields[0].Field != tc.field {
			t.Errorf("%s: error %v, want one naming %q", tc.body, err, tc.field)
		}
	}
}

// FuzzMayRepeatKey: wherever the token walk finds a duplicate key, the
// quick pass must say there may be one.
func FuzzMayRepeatKey(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `{"a":{"b":[{"c":1,"c":2}]}}`, `{"a":"\"","b":1}`, `[1,{"x":{}}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) || mayRepeatKey(body) {
			return
		}
		if err := walkJSON(body); err != nil {
			t.Fatalf("%s: the quick pass saw no duplicate key, the walk says %v", body, err)
		}
	})
}

// FuzzDecodeInputFast: whatever the quick decoder of import records
// accepts, the full path accepts too and decodes the same.
func FuzzDecodeInputFast(f *testing.F) {
	for _, s := range []string{
		`{"title":"France, Canada and Laos review talks (1)","summary":"Officials said so.","url":"https://news.example.com/1","source":"AP","section":"foreign-relations","language":"en","countries":["FR","CA","LA"],"themes":["diplomacy"],"published_at":"2018-06-26T13:42:13Z"}`,
		`{"title":"Kim says \"no\"\n\t\\ \/","url":null,"author":null,"image_url":"x","countries":[],"themes":null,"status":"draft","body":""}`,
		` { "title" : "x" , "countries" : [ "KP" , "RU" ] } `,
		`{}`, `{"title":"x","title":"y"}`, `{"Title":"x"}`, `{"title":"\u00e9"}`, `{"title":1}`, `{"title":"x"} x`,
		`{"countries":["KP",null]}`, `{"title":null}`, `{"title":"x",}`, `[{"title":"x"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := decodeInputFast(body)
		if !ok {
			return
		}
		if err := CheckJSON(body); err != nil {
			t.Fatalf("%s: the quick decoder took it, CheckJSON says %v", body, err)
		}
		var full ArticleInput
		if err := DecodeStrict(body, &full); err != nil {
			t.Fatalf("%s: the quick decoder took it, DecodeStrict says %v", body, err)
		}
		if !reflect.DeepEqual(fast, full) {
			t.Fatalf("%s: the quick decoder made %+v, the full path %+v", body, fast, full)
		}
	})
}

// The quick decoder takes what imports are made of, escapes included, and
// leaves the rest to the full path.
func TestDecodeInputFast(t *testing.T) {
	for body, want := range map[string]bool{
		`{"title":"Kim says \"no\"\n\t\\ \/","url":null,"author":null,"image_url":"x","countries":[],"themes":null,"status":"draft"}`: true,
		` { "title" : "x" , "countries" : [ "KP" , "RU" ], "published_at": "2018-06-26T13:42:13Z" } `:                                 true,
		`{"title":"\u00e9"}`:        false, // \u escapes
		`{"Title":"x"}`:             false, // a key in other letters
		`{"title":"x","title":"y"}`: false,
		`{"title":"x"} x`:           false,
		`{"title":"x", "id": 3}`:    false,
		"{\"title\":\"\xff\"}":      false,
	} {
		in, ok := decodeInputFast([]byte(body))
		if ok != want {
			t.Errorf("%s: ok %v, want %v", body, ok, want)
		}
		if ok && in.Title == "" {
			t.Errorf("%s: no title decoded", body)
		}
	}
}

// TestInvalidUTF8NamesTheField: a body that is JSON but for a bad byte
// names the member that holds it and the byte's offset; one that is not
// JSON gives the offset alone.
func TestInvalidUTF8NamesTheField(t *testing.T) {
	for body, want := range map[string]string{
		"{\"title\":\"Russia \xff\xfe\"}":                       "title",
		"{\"title\":\"ok\",\"summary\":\"bad \xc3\"}":           "summary",
		"{\"items\":[{\"title\":\"a\"},{\"title\":\"b\xff\"}]}": "items[1].title",
		"{\"ti\xfftle\":\"x\"}":                                 "ti?tle",
		"[\"a\",\"b\xff\"]":                                     "[1]",
		"{\"title\":\"\xff":                                     "",
	} {
		checkNamedField(t, body, "not valid UTF-8", want)
	}
}

// checkNamedField checks that CheckJSON refuses body with an error whose
// message holds kind and that names field (none when "").
func checkNamedField(t *testing.T, body, kind, field string) {
	t.Helper()
	err := CheckJSON([]byte(body))
	var ne *news.Error
	if !errors.As(err, &ne) || !strings.Contains(ne.Message, kind) {
		t.Errorf("%q: %v, want an error saying %q", body, err, kind)
		return
	}
	got := ""
	if len(ne.Fields) == 1 {
		got = ne.Fields[0].Field
	}
	if got != field {
		t.Errorf("%q: field %q, want %q (%v)", body, got, field, err)
	}
}

// TestMalformedNamesTheField: JSON that breaks inside a member's value (a
// raw control character in a string, a bad literal, a body that ends in
// it) names that member; a break between members names the object that
// holds them, and one at the top the body alone.
func TestMalformedNamesTheField(t *testing.T) {
	for body, want := range map[string]string{
		"{\"title\":\"a\x01b\"}":                                "title",
		"{\"title\":\"ok\",\"summary\":\"line\nbreak\"}":        "summary",
		"{\"items\":[{\"title\":\"a\"},{\"title\":\"b\x1f\"}]}": "items[1].title",
		`{"title":"x","countries":[1,tru]}`:                     "countries[1]",
		`{"title":`:                                             "title",
		`{"title":"x",}`:                                        "",
		`{"items":[{"title":"x",}]}`:                            "items[0]",
		`{"title" "x"}`:                                         "title", // no colon after its key
	} {
		checkNamedField(t, body, "malformed JSON", want)
	}
	err := CheckJSON([]byte("{\"title\":\"a\x01b\"}"))
	if !strings.Contains(err.Error(), `\u0001`) {
		t.Errorf("a raw control character: %v, want a hint at escapes", err)
	}
}

// TestParseTimeOffsets: offsets beyond RFC 3339's (hours to 23, minutes
// to 59) are refused, though Go's parser reads them; the rest is read
// as before.
func TestParseTimeOffsets(t *testing.T) {
	for s, ok := range map[string]bool{
		"2025-06-01T10:00:00Z":        true,
		"2025-06-01t10:00:00z":        true,
		"2025-06-01T10:00:00+23:59":   true,
		"2025-06-01T10:00:00-00:00":   true,
		"2025-06-01T10:00:00.5+09:00": true,
		"2025-06-01":                  true,
		"2025-06-01T10:00:00+24:00":   false,
		"2025-06-01T10:00:00-99:00":   false,
		"2025-06-01T10:00:00+05:60":   false,
	} {
		if _, got := ParseTime(s); got != ok {
			t.Errorf("ParseTime(%q) = %v, want %v", s, got, ok)
		}
	}
}

// TestExactMembersAgreesWithDecoding: the scan that passes a body whose
// member names are all exact passes those bodies only, whatever the
// values hold (names of the wrong case in nested objects or strings,
// braces, quotes and escapes); what it does not pass is decoded, and
// named when wrong.
func TestExactMembersAgreesWithDecoding(t *testing.T) {
	names := jsonNamesOf(reflect.TypeOf(&ArticleInput{}))
	for body, want := range map[string]struct{ exact, named bool }{
		`{"title":"a","countries":["KP"]}`:                  {true, false},
		` { "title" : "{\"Title\":1}" , "summary":"}]," } `: {true, false},
		`{"title":"a","themes":[{"Title":1},["Url"]]}`:      {true, false},
		`[{"Title":1}]`:                        {true, false}, // not an object: decoding says so
		`"Title"`:                              {true, false},
		`{}`:                                   {true, false},
		`{"Title":"a"}`:                        {false, true},
		`{"title":"a","url":"x","Url":"y"}`:    {false, true},
		`{"title":"a","titel":"b"}`:            {false, true},
		`{"\u0074itle":"a"}`:                   {false, false}, // an escape: decoded, and it is title
		`{"title":{"a":[1,{"b":"}"}]},"id":1}`: {false, true},
		`{"summary":"\\","Title":null}`:        {false, true},
		`{"title`:                              {false, false}, // not JSON: decoding says so
		`{"title":"a\`:                         {false, false},
		`{"a\`:                                 {false, false},
	} {
		if got := exactMembers([]byte(body), names); got != want.exact {
			t.Errorf("exactMembers(%s) = %v, want %v", body, got, want.exact)
		}
		if err := memberNames([]byte(body), names); (err != nil) != want.named {
			t.Errorf("memberNames(%s) = %v, want a refusal: %v", body, err, want.named)
		}
	}
}

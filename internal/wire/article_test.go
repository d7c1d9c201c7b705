package wire

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/news"
)

// tricky are strings that test the escaping of every text field: HTML
// characters, the JavaScript line separators, control bytes, invalid UTF-8.
var tricky = []string{
	"", "plain", `<script>alert("x")</script> & more`, "line\u2028para\u2029end", "tab\tnl\ncr\rnul\x00del\x7f",
	"Kim Jong Un — “quoted” 北朝鮮 🚀", "bad \xff\xfe utf-8 \xc3", "surrogate half \xed\xa0\x80", `back\slash "quote"`,
	"https://example.com/a?b=1&c=<2>", "\U0010FFFF",
}

// randomArticle is an article with every field drawn from values that
// matter to the JSON: empty and set optional strings, nil, empty and full
// tag lists, zero, UTC and non-UTC times, both tag sources.
func randomArticle(r *rand.Rand) news.Article {
	pick := func() string { return tricky[r.IntN(len(tricky))] }
	list := func() []string {
		switch r.IntN(3) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, 1+r.IntN(3))
		for i := range out {
			out[i] = pick()
		}
		return out
	}
	zones := []*time.Location{time.UTC, time.FixedZone("KST", 9*3600), time.FixedZone("odd", -(3*3600 + 30*60)), time.Local}
	at := func() time.Time {
		if r.IntN(5) == 0 {
			return time.Time{}
		}
		sec := r.Int64N(253402300799) // up to the end of year 9999, which encoding/json can still write
		return time.Unix(sec, r.Int64N(1e9)*int64(r.IntN(2))).In(zones[r.IntN(len(zones))])
	}
	return news.Article{
		ID: r.Int64(), Title: pick(), Summary: pick(), Body: pick(), URL: pick(), ImageURL: pick(),
		Source: pick(), Section: pick(), Author: pick(), Language: pick(), Countries: list(), Themes: list(),
		Status: news.Status(pick()), PublishedAt: at(), CreatedAt: at(), UpdatedAt: at(), Version: r.IntN(1 << 20),
		AutoCountries: r.IntN(2) == 0, AutoThemes: r.IntN(2) == 0,
	}
}

// articles are the cases: a few written out, the rest drawn at random.
func articles() []news.Article {
	url := "https://news.example.com/1"
	out := []news.Article{
		{},
		{ID: 1, Title: "t", URL: url, ImageURL: url, Author: "A. Writer", Countries: []string{"KP"}, Themes: []string{"trade"},
			PublishedAt: time.Date(2025, 6, 26, 8, 15, 0, 0, time.UTC), AutoCountries: true},
		{ID: 2, Title: "<b>&</b>\u2028", PublishedAt: time.Date(2025, 6, 26, 17, 15, 0, 123456789, time.FixedZone("KST", 9*3600))},
	}
	r := rand.New(rand.NewPCG(18, 2))
	for range 2000 {
		out = append(out, randomArticle(r))
	}
	return out
}

func written(a *news.Article, set Fields) string {
	var b bytes.Buffer
	NewWriter(&b).Article(a, set)
	return b.String()
}

// The list, GET and export answers are written by Writer; batch results and
// the change feed by encoding/json from Article. Clients see one format.
func TestWriterMatchesEncodingJSON(t *testing.T) {
	for _, a := range articles() {
		want, err := json.Marshal(FromNews(a))
		if err != nil {
			t.Fatalf("%+v: %v", a, err)
		}
		if got := written(&a, AllFields); got != string(want) {
			t.Fatalf("article %+v:\nWriter        %s\nencoding/json %s", a, got, want)
		}
	}
}

// The fields of the struct and of the writer's table are the same, in the
// same order: a field added to one only fails here.
func TestFieldsMatchStruct(t *testing.T) {
	var names []string
	for f := range reflect.TypeFor[Article]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names = append(names, name)
	}
	if got := FieldNames(); !slices.Equal(got, names) {
		t.Fatalf("Writer's fields %v, Article's %v", got, names)
	}
}

// onlyFields is encoding/json of FromNews(a) with the fields outside set
// dropped from the struct: a struct type made of the kept fields, tags and
// all, filled from the full one.
func onlyFields(t *testing.T, a news.Article, set Fields) string {
	t.Helper()
	full := reflect.ValueOf(FromNews(a))
	var kept []reflect.StructField
	var values []reflect.Value
	for i := range full.NumField() {
		f := full.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if bit, ok := FieldNamed(name); ok && set&bit != 0 {
			kept = append(kept, f)
			values = append(values, full.Field(i))
		}
	}
	v := reflect.New(reflect.StructOf(kept)).Elem()
	for i, fv := range values {
		v.Field(i).Set(fv)
	}
	out, err := json.Marshal(v.Interface())
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// fields= answers hold the fields asked for, each written as encoding/json
// writes it, in the struct's order: every single field, the list default,
// and random subsets.
func TestFieldSubsetsMatchEncodingJSON(t *testing.T) {
	sets := []Fields{ListFields, ListFields | BodyField, ListFields | TagSourceField, AllFields &^ TagSourceField}
	for i := range len(FieldNames()) {
		sets = append(sets, 1<<i, 1|1<<i)
	}
	r := rand.New(rand.NewPCG(18, 3))
	for range 200 {
		sets = append(sets, Fields(r.Uint64())&AllFields)
	}
	for i, a := range articles() {
		if i%10 != 0 {
			continue // every article once in full above; a tenth of them against every set
		}
		for _, set := range sets {
			if got, want := written(&a, set), onlyFields(t, a, set); got != want {
				t.Fatalf("fields %b of %+v:\nWriter        %s\nencoding/json %s", set, a, got, want)
			}
		}
	}
}

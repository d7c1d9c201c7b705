// Package sample generates realistic, deterministic articles for
// benchmarks and load tests: about 25 countries with Zipf-like frequency
// (North Korea, Russia, China, the US, South Korea and Japan most common),
// the seeded themes, 1–3 countries and 1–2 themes per article, and
// publication times spread over ten years. The same seed gives the same
// articles.
package sample

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Article is a generated article in the shape of the import format.
type Article struct {
	Title       string   `json:"title"`
	Summary     string   `json:"summary"`
	URL         string   `json:"url"`
	Source      string   `json:"source"`
	Section     string   `json:"section"`
	Language    string   `json:"language"`
	Countries   []string `json:"countries"`
	Themes      []string `json:"themes"`
	PublishedAt string   `json:"published_at"`
}

// Countries by falling frequency; weight of the i-th is 1/(i+1).
var countries = []struct{ code, name string }{
	{"KP", "North Korea"}, {"RU", "Russia"}, {"CN", "China"}, {"US", "US"}, {"KR", "South Korea"},
	{"JP", "Japan"}, {"UA", "Ukraine"}, {"IR", "Iran"}, {"VN", "Vietnam"}, {"MN", "Mongolia"},
	{"IN", "India"}, {"GB", "UK"}, {"FR", "France"}, {"DE", "Germany"}, {"SY", "Syria"},
	{"LA", "Laos"}, {"KH", "Cambodia"}, {"ID", "Indonesia"}, {"SG", "Singapore"}, {"MY", "Malaysia"},
	{"TH", "Thailand"}, {"AU", "Australia"}, {"NZ", "New Zealand"}, {"CA", "Canada"}, {"CU", "Cuba"},
}

// Themes, also by falling frequency.
var themes = []struct{ slug, noun string }{
	{"sanctions", "sanctions"}, {"troops", "military cooperation"}, {"trade", "trade"}, {"diplomacy", "talks"},
	{"nuclear", "missile tests"}, {"labor", "workers abroad"}, {"aid", "food aid"}, {"cyber", "crypto theft"},
	{"infrastructure", "a new bridge"}, {"tourism", "tourism"}, {"culture", "a film festival"}, {"human-rights", "defectors"},
}

var verbs = []string{"discuss", "expand", "condemn", "review", "pledge", "resume", "weigh", "step up", "question", "report on"}

var sources = []string{"NK News", "Yonhap", "KCNA Watch", "Reuters", "AP"}

// Generator makes articles one at a time.
type Generator struct {
	rng        *rand.Rand
	cWeights   []float64
	tWeights   []float64
	start, end time.Time
	n          int
}

// New returns a generator for seed.
func New(seed uint64) *Generator {
	rng := rand.New(rand.NewPCG(seed, 0x6865616472)) //nolint:gosec // sample data must repeat, not be secret
	g := &Generator{rng: rng, end: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)}
	g.start = g.end.AddDate(-10, 0, 0)
	g.cWeights = cumulative(len(countries))
	g.tWeights = cumulative(len(themes))
	return g
}

func cumulative(n int) []float64 {
	w := make([]float64, n)
	sum := 0.0
	for i := range w {
		sum += 1 / float64(i+1)
		w[i] = sum
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

func (g *Generator) pick(weights []float64) int {
	x := g.rng.Float64()
	for i, w := range weights {
		if x < w {
			return i
		}
	}
	return len(weights) - 1
}

// distinct picks k different indexes by weight.
func (g *Generator) distinct(weights []float64, k int) []int {
	var out []int
	for len(out) < k {
		i := g.pick(weights)
		dup := false
		for _, j := range out {
			dup = dup || i == j
		}
		if !dup {
			out = append(out, i)
		}
	}
	return out
}

// Next returns the next article.
func (g *Generator) Next() Article {
	g.n++
	cs := g.distinct(g.cWeights, 1+g.rng.IntN(3))
	ts := g.distinct(g.tWeights, 1+g.rng.IntN(2))
	a := Article{
		Source: sources[g.rng.IntN(len(sources))], Section: "foreign-relations", Language: "en",
		URL: fmt.Sprintf("https://news.example.com/%d", g.n),
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		a.Countries = append(a.Countries, countries[c].code)
		names[i] = countries[c].name
	}
	for _, t := range ts {
		a.Themes = append(a.Themes, themes[t].slug)
	}
	who := names[0]
	if len(names) > 1 {
		who = strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
	a.Title = fmt.Sprintf("%s %s %s (%d)", who, verbs[g.rng.IntN(len(verbs))], themes[ts[0]].noun, g.n)
	a.Summary = fmt.Sprintf("Officials in %s said the %s would continue, as analysts weighed what it means for %s.",
		names[len(names)-1], themes[ts[len(ts)-1]].noun, names[0])
	span := g.end.Sub(g.start)
	a.PublishedAt = g.start.Add(time.Duration(g.rng.Int64N(int64(span)))).Truncate(time.Second).Format(time.RFC3339)
	return a
}

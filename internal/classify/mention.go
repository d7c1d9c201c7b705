package classify

import (
	_ "embed"
	"encoding/json"
	"math"
	"slices"
	"strings"
)

// MentionModel is a trained layer over the rules that weighs each key the
// rules found in a text by how it was mentioned: where (title, summary),
// how often, beside how many other keys, and the words just before and
// after each mention ("despite strained ties due to DPRK support for
// Russia" names Russia in passing). One logistic regression serves every
// key of the vocabulary, so it is the countries' model: learned from
// hand-labelled headlines (TrainCountries) and kept as JSON beside the code.
type MentionModel struct {
	ApplyAt   float64            `json:"apply_at"`
	SuggestAt float64            `json:"suggest_at"`
	Bias      float64            `json:"bias"`
	Weights   map[string]float64 `json:"weights"`

	context contextWeights // Weights' context features, by kind
}

// mentionFeatures are the named features of one key's mentions in a text,
// each 1 unless given: "conf" (the rules' confidence), "title" (mentioned
// in the title), "summary-only", "twice", "weak" (by weak cues alone),
// "main" (the key the text is about, KP, for which see mainKey),
// "others" (other keys in the title, up to three, by thirds),
// "foreign-title" (not in the title, which names another key besides the
// main one), and where its mentions stand (contextFeatures).
func mentionFeatures(t *tally, all []*tally, tokens []token) []feature {
	f := mentionBase(t, all, tokens)
	for _, name := range contextFeatures(t, tokens) {
		f = append(f, feature{name, 1})
	}
	return f
}

// mentionBase are mentionFeatures but those of contextFeatures, sorted.
func mentionBase(t *tally, all []*tally, tokens []token) []feature {
	f := []feature{{"conf", 1 - t.miss}}
	flag := func(name string) { f = append(f, feature{name, 1}) }
	inTitle := func(x *tally) bool { return tokens[x.at[0][0]].place >= WeightTitle }
	if inTitle(t) {
		flag("title")
	} else {
		flag("summary-only")
	}
	if t.Count >= 2 {
		flag("twice")
	}
	if t.best < 1 {
		flag("weak")
	}
	if t.Key == mainKey {
		flag("main")
	}
	others, foreign := 0, false
	for _, o := range all {
		if o != t && inTitle(o) {
			others++
			foreign = foreign || o.Key != mainKey
		}
	}
	if others > 0 {
		f = append(f, feature{"others", float64(min(others, 3)) / 3})
	}
	if foreign && !inTitle(t) {
		flag("foreign-title")
	}
	// By name, so that they add up in the same order every time.
	slices.SortFunc(f, func(a, b feature) int { return strings.Compare(a.name, b.name) })
	return f
}

// feature is a named feature's value.
type feature struct {
	name string
	v    float64
}

// clauseWords open the clauses a country is often named in passing in:
// "… a year after a similar drive in Myanmar stalled".
var clauseWords = map[string]bool{
	"after": true, "since": true, "despite": true, "amid": true, "unlike": true, "like": true, "than": true,
	"while": true, "when": true, "during": true, "before": true, "including": true, "via": true, "through": true,
	"as": true, "following": true, "where": true, "once": true, "whose": true, "which": true,
}

// contextFeatures are where a key's mentions stand: "late" (in the second
// half of the summary or body), "clause:w" (after a clause word w, see
// clauseWords) and "before:w"/"after:w" for the stems of the words just
// before and after each mention, in the same part of the text. Each
// weighs 1; they come sorted, each once.
func contextFeatures(t *tally, tokens []token) []string {
	var names []string
	for _, c := range contextOf(t, tokens) {
		names = append(names, c.kind+c.word)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// contextFeature is a context feature as its kind ("late", "clause:",
// "before:", "after:") and word: its name is the two together, so that
// scoring looks weights up without building names.
type contextFeature struct{ kind, word string }

// contextOf lists the context features of t's mentions in the order of
// the text, a feature as often as it occurs.

func contextOf(t *tally, tokens []token) []contextFeature {
	f := make([]contextFeature, 0, 6*len(t.at))
	for _, at := range t.at {
		place := tokens[at[0]].place
		// Where in its part of the text, and after which clause word.
		start, end := at[0], at[0]
		for start > 0 && tokens[start-1].place == place {
			start--
		}
		for end < len(tokens) && tokens[end].place == place {
			end++
		}
		if place < WeightTitle && float64(at[0]-start) >= 0.5*float64(end-start) {
			f = append(f, contextFeature{"late", ""})
		}
		for i := at[0] - 1; i >= start && i >= at[0]-8; i-- {
			if clauseWords[tokens[i].fold] {
				f = append(f, contextFeature{"clause:", tokens[i].fold})
				break
			}
		}
		for i, n := at[0]-1, 0; i >= 0 && n < 2 && tokens[i].place == place; i-- {
			if !stopWords[tokens[i].fold] || n == 0 {
				f = append(f, contextFeature{"before:", tokens[i].stem})
				n++
			}
		}
		for i, n := at[1], 0; i < len(tokens) && n < 2 && tokens[i].place == place; i++ {
			if !stopWords[tokens[i].fold] || n == 0 {
				f = append(f, contextFeature{"after:", tokens[i].stem})
				n++
			}
		}
	}
	return f
}

// contextWeights are weights of context features by kind and word.
type contextWeights map[string]map[string]float64

// splitContext files the context features among named weights by kind.
func splitContext(weights map[string]float64) contextWeights {
	out := contextWeights{}
	for name, w := range weights {
		for _, kind := range []string{"late", "clause:", "before:", "after:"} {
			if word, ok := strings.CutPrefix(name, kind); ok {
				if out[kind] == nil {
					out[kind] = map[string]float64{}
				}
				out[kind][word] = w
				break
			}
		}
	}
	return out
}

// weigh sums the weights of a key's context features, each once, in the
// order of the text (so the same text adds up the same every time).
func (c contextWeights) weigh(t *tally, tokens []token) float64 {
	var z float64
	features := contextOf(t, tokens)
	for i, f := range features {
		if !slices.Contains(features[:i], f) {
			z += c[f.kind][f.word]
		}
	}
	return z
}

// mainKey is the country every story of the section is about.
const mainKey = "KP"

//go:embed countries.model.json
var countriesModelJSON []byte

// CountriesModel is the model of the countries trained on the labelled
// dev headlines (`make tagger-model` trains it again). It is nil when the
// file holds no model.
func CountriesModel() *MentionModel {
	var m MentionModel
	if err := json.Unmarshal(countriesModelJSON, &m); err != nil || len(m.Weights) == 0 {
		return nil
	}
	m.context = splitContext(m.Weights)
	return &m
}

// JSON writes the model, its weights sorted by name.
func (m *MentionModel) JSON() []byte {
	b, err := json.MarshalIndent(m, "", "\t")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// prob is the probability that a key the rules found is what the text
// is about: the logistic of the bias plus each of mentionFeatures times
// its weight.
func (m *MentionModel) prob(t *tally, all []*tally, tokens []token) float64 {
	z := m.Bias
	for _, x := range mentionBase(t, all, tokens) {
		z += m.Weights[x.name] * x.v
	}
	z += m.context.weigh(t, tokens)
	return 1 / (1 + math.Exp(-z))
}

// apply gives each key the rules found its probability as confidence; the
// evidence stays the words the rules matched.
func (m *MentionModel) apply(tallies []*tally, tokens []token) (apply, suggest []Match) {
	matches := make([]Match, len(tallies))
	for i, t := range tallies {
		matches[i] = t.Match
		matches[i].Confidence = m.prob(t, tallies, tokens)
	}
	return split(matches, func(Match) (float64, float64) { return m.ApplyAt, m.SuggestAt })
}

// TrainCountries fits the countries' mention model to the labelled
// examples: every key the rules find in an example is one row, labelled
// by whether the example's keys include it.
func (t *Tagger) TrainCountries(set []Example, o TrainOptions) *MentionModel {
	var feats [][]feature
	var y []float64
	for _, e := range set {
		s := scanLead(e.Text)
		all := t.countries.tally(s.tokens)
		for _, tl := range all {
			feats = append(feats, mentionFeatures(tl, all, s.tokens))
			label := 0.0
			if slices.Contains(e.Keys, tl.Key) {
				label = 1
			}
			y = append(y, label)
		}
	}
	// Columns: the features in at least MinDocs rows, by name.
	docs := map[string]int{}
	for _, f := range feats {
		for _, x := range f {
			docs[x.name]++
		}
	}
	var names []string
	for name, n := range docs {
		if n >= o.MinDocs {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	col := map[string]int{}
	for i, name := range names {
		col[name] = i
	}
	rows := make([][]cell, len(feats))
	for i, f := range feats {
		for _, x := range f {
			if j, ok := col[x.name]; ok && x.v != 0 {
				rows[i] = append(rows[i], cell{j, x.v})
			}
		}
	}
	w, bias := fit(rows, y, len(names), func(j int) float64 {
		if isContext(names[j]) {
			return o.Lambda
		}
		return o.Lambda / 100
	}, func(int) bool { return false }, o.Iterations)
	m := &MentionModel{ApplyAt: o.ApplyAt, SuggestAt: o.SuggestAt, Bias: round4(bias), Weights: map[string]float64{}}
	for j, name := range names {
		if v := round4(w[j]); math.Abs(v) >= 0.05 {
			m.Weights[name] = v
		}
	}
	m.context = splitContext(m.Weights)
	return m
}

func isContext(name string) bool {
	for _, p := range []string{"before:", "after:", "clause:"} {
		if len(name) > len(p) && name[:len(p)] == p {
			return true
		}
	}
	return false
}

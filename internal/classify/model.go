package classify

import (
	"cmp"
	_ "embed"
	"encoding/json"
	"math"
	"slices"
	"strings"
)

// Model is a trained layer over the rules of one vocabulary: for each key,
// a logistic regression over what the rules found (ruleFeatures), where
// its mentions stand (contextFeatures) and the words of the text, each
// weighing its place like a mention does. It is data: the weights are
// learned from hand-labelled headlines (TrainThemes) and kept as JSON
// beside the code; the rules stay the vocabulary editors edit, and a key
// the model has no weights for (a theme made after training) keeps the
// rules' confidence.
type Model struct {
	// ApplyAt and SuggestAt are the probabilities from which a key is
	// applied and suggested.
	ApplyAt   float64 `json:"apply_at"`
	SuggestAt float64 `json:"suggest_at"`
	// Keys are the weights of each key.
	Keys map[string]*Weights `json:"keys"`

	// index is Keys' word weights by word, for one lookup per word;
	// keys the keys in order, pos their places, and by place: rule the
	// weights of each key's own rule features (conf, applied, title),
	// with those of the other keys' confidence ("with:key"), ctx those of
	// its context features, bias its bias.
	index map[string][]keyWeight
	keys  []string
	pos   map[string]int
	rule  [][3]float64
	with  [][]float64
	ctx   []contextWeights
	bias  []float64
}

// Weights are one key's regression: a bias, a weight per rule or context
// feature (by name, see ruleFeatures and contextFeatures), and one per
// word (by its stem).
type Weights struct {
	Bias  float64            `json:"bias"`
	Rules map[string]float64 `json:"rules"`
	Words map[string]float64 `json:"words"`
}

type keyWeight struct {
	key int
	w   float64
}

// ruleFeatures are what the rules found for key in a text, by name:
// "conf" (their confidence), "applied" (it reaches ApplyAt), "title" (a
// full-strength term of the key in the title) and, for every other key
// they found, "with:key" (its confidence), trained to weigh only against
// (a seizure found as sanctions weighs against troops).
func ruleFeatures(key string, tallies []*tally) map[string]float64 {
	f := map[string]float64{}
	for _, t := range tallies {
		conf := 1 - t.miss
		if t.Key != key {
			f["with:"+t.Key] = conf
			continue
		}
		f["conf"] = conf
		if conf >= ApplyAt {
			f["applied"] = 1
		}
		if t.best >= WeightTitle {
			f["title"] = 1
		}
	}
	return f
}

//go:embed themes.model.json
var themesModelJSON []byte

// ThemesModel is the model of the themes trained on the labelled dev
// headlines (internal/classify/testdata; `make tagger-model` trains it
// again). It is nil when the file holds no model.
func ThemesModel() *Model {
	m, err := ParseModel(themesModelJSON)
	if err != nil || len(m.Keys) == 0 {
		return nil
	}
	return m
}

// ParseModel reads a model written by Model.JSON.
func ParseModel(b []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m.build()
	return &m, nil
}

// JSON writes the model with its keys and words sorted, so that training
// twice writes the same bytes.
func (m *Model) JSON() []byte {
	b, err := json.MarshalIndent(m, "", "\t")
	if err != nil {
		panic(err) // only maps of strings to numbers
	}
	return append(b, '\n')
}

func (m *Model) build() {
	m.keys = m.keys[:0]
	for k := range m.Keys {
		m.keys = append(m.keys, k)
	}
	slices.Sort(m.keys)
	m.pos = map[string]int{}
	for i, k := range m.keys {
		m.pos[k] = i
	}
	m.rule, m.with = make([][3]float64, len(m.keys)), make([][]float64, len(m.keys))
	m.ctx = make([]contextWeights, len(m.keys))
	m.bias = make([]float64, len(m.keys))
	for i, k := range m.keys {
		m.bias[i] = m.Keys[k].Bias
		r := m.Keys[k].Rules
		m.ctx[i] = splitContext(r)
		m.rule[i] = [3]float64{r["conf"], r["applied"], r["title"]}
		m.with[i] = make([]float64, len(m.keys))
		for j, other := range m.keys {
			m.with[i][j] = r["with:"+other]
		}
	}
	m.index = map[string][]keyWeight{}
	for i, k := range m.keys {
		for word, w := range m.Keys[k].Words {
			m.index[word] = append(m.index[word], keyWeight{i, w})
		}
	}
}

// wordFeature is a word of a text a model weighs, by its stem: with the
// weight of the best place it is in (title 1, summary 0.75), and as it was
// written there.
type wordFeature struct {
	stem  string
	value float64
	text  string
}

// wordFeatures lists the words of tokens a model weighs, each once, in
// order of appearance. Short words, numbers and the commonest English
// words are left out.
func wordFeatures(tokens []token) []wordFeature {
	out := make([]wordFeature, 0, len(tokens))
	add := func(stem string, place float64, text string) {
		k := slices.IndexFunc(out, func(f wordFeature) bool { return f.stem == stem })
		switch {
		case k < 0:
			out = append(out, wordFeature{stem: stem, value: place, text: text})
		case place > out[k].value:
			out[k].value, out[k].text = place, text
		}
	}
	for i := range tokens {
		tk := &tokens[i]
		if len(tk.fold) < 3 || stopWords[tk.fold] || isNumber(tk.fold) {
			continue
		}
		add(tk.stem, tk.place, tk.text)
	}
	return out
}

func isNumber(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

// stopWords are words too common to weigh.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`the and for with from that this its his her their our your into onto over under
		after before about amid among says said say will would could should may might has have had was were are been
		being not but than then also more most new who whom which what when where while why how all any some such
		they them there these those out off per via own one two three first last year years month months week weeks
		day days since until upon as at by in of on or to up an be is it we he she you`) {
		m[w] = true
	}
	return m
}()

// score gives every key of the model its probability for a text, from
// the rules' tallies and the words, into probs (by the model's key
// order), and the words that weighed for it most into why.
func (m *Model) score(tallies []*tally, words []wordFeature, tokens []token) (probs []float64, why [][]string) {
	z := slices.Clone(m.bias)
	// The rule features (ruleFeatures), without building them.
	for _, t := range tallies {
		j, ok := m.pos[t.Key]
		if !ok {
			continue
		}
		conf := 1 - t.miss
		var applied, title float64
		if conf >= ApplyAt {
			applied = 1
		}
		if t.best >= WeightTitle {
			title = 1
		}
		z[j] += m.ctx[j].weigh(t, tokens)
		for i := range m.keys {
			if i == j {
				z[i] += m.rule[i][0]*conf + m.rule[i][1]*applied + m.rule[i][2]*title
			} else {
				z[i] += m.with[i][j] * conf
			}
		}
	}
	// The words, and those that weighed most for each key.
	type push struct {
		key  int
		w    float64
		text string
	}
	var pushes []push
	for _, f := range words {
		for _, kw := range m.index[f.stem] {
			c := kw.w * f.value
			z[kw.key] += c
			if c >= evidenceAt {
				pushes = append(pushes, push{kw.key, c, f.text})
			}
		}
	}
	slices.SortStableFunc(pushes, func(a, b push) int { return cmp.Or(a.key-b.key, cmp.Compare(b.w, a.w)) })
	why = make([][]string, len(m.keys))
	for _, p := range pushes {
		if len(why[p.key]) < 3 {
			why[p.key] = append(why[p.key], p.text)
		}
	}
	for i := range z {
		z[i] = 1 / (1 + math.Exp(-z[i]))
	}
	return z, why
}

// evidenceAt is how much a word must add to a key's log-odds to be named
// as evidence for it.
const evidenceAt = 0.4

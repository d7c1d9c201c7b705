package classify

import (
	"math"
	"slices"
	"strings"
)

// Example is a labelled text: the keys an editor gave it. Training reads
// its title and summary, as the models do when they tag (Tagger.Tag).
type Example struct {
	Text Text
	Keys []string
}

// TrainOptions are the settings of TrainThemes and TrainCountries.
type TrainOptions struct {
	// Lambda is the L2 penalty on the weights of words and of context
	// features; the other features get a tenth of it (themes) or a
	// hundredth (countries), the bias none.
	Lambda float64
	// MinDocs is how many examples a word must be in to get a weight.
	MinDocs int
	// Iterations of gradient descent.
	Iterations int
	// ApplyAt and SuggestAt become the model's thresholds.
	ApplyAt, SuggestAt float64
}

// example is an Example as the model sees it.
type example struct {
	tallies []*tally
	words   []wordFeature
	tokens  []token
	keys    []string
}

func (t *Tagger) examples(set []Example) []example {
	out := make([]example, len(set))
	for i, e := range set {
		s := scanLead(e.Text)
		out[i] = example{tallies: t.themes.tally(s.tokens), words: wordFeatures(s.tokens), tokens: s.tokens, keys: e.Keys}
	}
	return out
}

// TrainThemes fits a model of the themes keys (each key one logistic
// regression, see Model) to the labelled examples, by full-batch gradient
// descent from zero: the same examples and options give the same model.
func (t *Tagger) TrainThemes(keys []string, set []Example, o TrainOptions) *Model {
	ex := t.examples(set)
	// The columns: the rule features and the words in at least MinDocs
	// examples (the words named "w:stem" here).
	docs := map[string]int{}
	feats := make([]map[string]float64, len(ex))
	for i, e := range ex {
		feats[i] = map[string]float64{}
		for _, f := range e.words {
			feats[i]["w:"+f.stem] = f.value
		}
		for name := range feats[i] {
			docs[name]++
		}
	}
	m := &Model{ApplyAt: o.ApplyAt, SuggestAt: o.SuggestAt, Keys: map[string]*Weights{}}
	for _, key := range keys {
		y := make([]float64, len(ex))
		rules := make([]map[string]float64, len(ex))
		ruleDocs := map[string]int{}
		for i, e := range ex {
			if slices.Contains(e.keys, key) {
				y[i] = 1
			}
			rules[i] = ruleFeatures(key, e.tallies)
			for _, tl := range e.tallies {
				if tl.Key == key {
					for _, name := range contextFeatures(tl, e.tokens) {
						rules[i][name] = 1
					}
				}
			}
			for name := range rules[i] {
				ruleDocs[name]++
			}
		}
		var names []string
		for _, d := range []map[string]int{ruleDocs, docs} {
			for name, n := range d {
				if n >= o.MinDocs {
					names = append(names, name)
				}
			}
		}
		slices.Sort(names)
		col := make(map[string]int, len(names))
		for j, name := range names {
			col[name] = j
		}
		rows := make([][]cell, len(ex))
		for i := range ex {
			for _, f := range []map[string]float64{rules[i], feats[i]} {
				for name, v := range f {
					if j, ok := col[name]; ok && v != 0 {
						rows[i] = append(rows[i], cell{j, v})
					}
				}
			}
			slices.SortFunc(rows[i], func(a, b cell) int { return a.col - b.col })
		}
		w, bias := fit(rows, y, len(names), func(j int) float64 {
			if strings.HasPrefix(names[j], "w:") || isContext(names[j]) {
				return o.Lambda
			}
			return o.Lambda / 10
		}, func(j int) bool {
			// Another theme found weighs only against: a keyword added to
			// one theme never brings in another.
			return strings.HasPrefix(names[j], "with:")
		}, o.Iterations)
		kw := &Weights{Bias: round4(bias), Rules: map[string]float64{}, Words: map[string]float64{}}
		for j, name := range names {
			v := round4(w[j])
			if math.Abs(v) < 0.05 {
				continue
			}
			if word, ok := strings.CutPrefix(name, "w:"); ok {
				kw.Words[word] = v
			} else {
				kw.Rules[name] = v
			}
		}
		m.Keys[key] = kw
	}
	m.build()
	return m
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// cell is one non-zero feature of an example.
type cell struct {
	col int
	v   float64
}

// fit is logistic regression with an L2 penalty per column, by full-batch
// gradient descent (Adam, with fixed settings, from zero, so that the same
// data gives the same weights): rows are the examples' features over n
// columns, y their labels (0 or 1). A column for which inhibit is true
// only ever weighs against (its weight stays at most 0).
func fit(rows [][]cell, y []float64, n int, lambda func(col int) float64, inhibit func(col int) bool, iterations int) (w []float64, bias float64) {
	w = make([]float64, n)
	grad := make([]float64, n)
	m1, m2 := make([]float64, n+1), make([]float64, n+1)
	const rate, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
	for it := 1; it <= iterations; it++ {
		clear(grad)
		var gb float64
		for i, r := range rows {
			z := bias
			for _, c := range r {
				z += w[c.col] * c.v
			}
			d := 1/(1+math.Exp(-z)) - y[i]
			gb += d
			for _, c := range r {
				grad[c.col] += d * c.v
			}
		}
		scale := 1 / float64(len(rows))
		for j := range w {
			grad[j] = grad[j]*scale + lambda(j)*w[j]
		}
		gb *= scale
		c1, c2 := 1-math.Pow(b1, float64(it)), 1-math.Pow(b2, float64(it))
		step := func(k int, g float64) float64 {
			m1[k] = b1*m1[k] + (1-b1)*g
			m2[k] = b2*m2[k] + (1-b2)*g*g
			return rate * (m1[k] / c1) / (math.Sqrt(m2[k]/c2) + eps)
		}
		for j := range w {
			w[j] -= step(j, grad[j])
			if w[j] > 0 && inhibit(j) {
				w[j] = 0
			}
		}
		bias -= step(n, gb)
	}
	return w, bias
}

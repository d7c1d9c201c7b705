// Package classify is the automatic tagger: it finds the countries and
// themes a headline is about by matching the terms of a vocabulary against
// its words, and says which words matched.
//
// The vocabulary is data (countries' and themes' names and keywords, kept in
// the database); this package only knows how to read and match terms:
//
//   - A term is one or more words: "Moscow", "Kim Jong Un", "export controls".
//   - A word in capitals ("US", "ROK", "DPRK") matches only the same capitals,
//     so "US" is never the pronoun "us". Dots inside such a word are
//     ignored: "U.S." is "US".
//   - A word with any capital letter is a name ("Moscow", "Russians") and
//     matches that word, capitalized (in any case after the first letter),
//     and nothing else: "Polish" is not "polish", "Chad" not "chad". Only
//     a term's first word needs the capital: "Kim Jong Un" is also
//     "Kim Jong-un".
//   - A lower-case word is stemmed, so "sanction" also matches "sanctions",
//     "sanctioned" and "sanctioning".
//   - A word ending in "*" matches every word that begins with the rest:
//     "cyber*" matches "cyberattack" and "cybersecurity".
//   - A term starting with "-" is an exclusion: where it matches, the words
//     are no mention of its key ("-Latin America" for the United States,
//     "-Chad O'Carroll" for Chad, "-trade war" for troops), though they may
//     still mention another key ("trade war" is about trade). Exclusions
//     are the tagger's sense rules and negative contexts: "-trade barbs",
//     "-amid sanctions", "-Labor Party".
//   - "[Name]" in a term is any capitalized word (not all capitals): with
//     it, "-Jordan [Name]" says that "Jordan Whitfield" is a person, no
//     mention of Jordan.
//   - A term starting with "~" is a weak cue: evidence, but not enough on
//     its own ("~envoy" for diplomacy, "~missile" for nuclear).
//
// Evidence is weighed: each mention of a key weighs its place (title 1,
// summary 0.75, body 0.4) times its strength (a term 1, a weak cue
// 0.45), and a key's confidence is 1 - Π(1 - weight) over its mentions.
// A key is applied from ApplyAt (0.6) on: a term in the title or summary,
// a term twice in the body, or weak cues in the title and the summary;
// from SuggestAt (0.3) it is only suggested: one weak cue, one mention in
// the body.
//
// Words are matched whole (never inside another word), the longest term
// wins where terms overlap ("South Sudan" over "Sudan", "North Korean" over
// "Korean"), and a possessive "'s" is ignored.
//
// Trained models may weigh what the rules find instead (WithThemesModel,
// WithCountriesModel): a logistic regression per theme over the rules'
// evidence and the words of the text (Model), and one for every country
// over how it was mentioned (MentionModel). Their weights are data,
// learned from hand-labelled headlines (TrainThemes, TrainCountries) and
// embedded as JSON; their confidence replaces the rules' and their own
// thresholds apply.
package classify

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Entry is one key of a vocabulary (a country code or a theme slug) with
// the terms that mark it.
type Entry struct {
	Key   string
	Terms []string
}

// Text is what gets tagged.
type Text struct {
	Title, Summary, Body string
}

// Match is one key found in a text: the words that matched, as written
// (each once, in order of appearance), how often terms matched, and the
// confidence of the evidence (see the package comment).
type Match struct {
	Key        string
	Words      []string
	Count      int
	Confidence float64
	// Learned are the words of the text a trained model weighed most for
	// the key (see Model), beside the terms that matched; a key the model
	// finds without any term has only these.
	Learned []string
}

// Result is what Tag finds, in order of first appearance: the countries
// and themes to apply, and those only to suggest.
type Result struct {
	Countries, Themes                   []Match
	SuggestedCountries, SuggestedThemes []Match
}

// The weights of evidence and the thresholds of confidence.
const (
	// WeightTitle is the weight of a mention in the title.
	WeightTitle = 1.0
	// WeightSummary is the weight of a mention in the summary.
	WeightSummary = 0.75
	// WeightBody is the weight of a mention in the body.
	WeightBody = 0.4
	// WeakStrength is the strength of a weak cue (a term written "~…").
	WeakStrength = 0.45
	// ApplyAt is the confidence from which a key is applied.
	ApplyAt = 0.6
	// SuggestAt is the confidence from which a key is suggested.
	SuggestAt = 0.3
)

// Tagger matches two vocabularies, countries and themes. It is safe for
// concurrent use.
type Tagger struct {
	countries, themes *matcher
	themesModel       *Model
	countriesModel    *MentionModel
}

// WithCountriesModel returns a tagger with the same vocabularies that
// weighs the countries it finds with m (see MentionModel); nil weighs
// them by the rules alone.
func (t *Tagger) WithCountriesModel(m *MentionModel) *Tagger {
	c := *t
	c.countriesModel = m
	return &c
}

// WithThemesModel returns a tagger with the same vocabularies that weighs
// themes with m (see Model); nil weighs them by the rules alone.
func (t *Tagger) WithThemesModel(m *Model) *Tagger {
	c := *t
	c.themesModel = m
	return &c
}

// New compiles the two vocabularies. Terms with no words are skipped.
func New(countries, themes []Entry) *Tagger {
	return &Tagger{countries: compile(countries), themes: compile(themes)}
}

// Tag finds the countries and themes of text, weighing the evidence for
// each (see the package comment): a single passing mention deep in a long
// story, or a single weak cue, is not what it is about.
//
// The models weigh the title and the summary, what they were trained on;
// a body is weighed by the rules alone, and adds what they find in it
// (a key mentioned twice there is applied, once only suggested).
func (t *Tagger) Tag(text Text) Result {
	s := scanLead(text)
	n := len(s.tokens)
	s.add(text.Body, WeightBody)
	lead, body := scan{s.tokens[:n:n]}, scan{s.tokens[n:]}
	var r Result
	if t.countriesModel == nil {
		r.Countries, r.SuggestedCountries = split(t.countries.find(s.tokens), byRules)
	} else {
		r.Countries, r.SuggestedCountries = t.countriesModel.apply(t.countries.tally(lead.tokens), lead.tokens)
		r.Countries, r.SuggestedCountries = addBody(r.Countries, r.SuggestedCountries, t.countries, body.tokens)
	}
	if t.themesModel == nil {
		r.Themes, r.SuggestedThemes = split(t.themes.find(s.tokens), byRules)
	} else {
		r.Themes, r.SuggestedThemes = t.themesModel.apply(t.themes.tally(lead.tokens), lead.tokens)
		r.Themes, r.SuggestedThemes = addBody(r.Themes, r.SuggestedThemes, t.themes, body.tokens)
	}
	return r
}

// scanLead is the words of a text's title and summary, what the models
// weigh and were trained on.
func scanLead(text Text) scan {
	var s scan
	s.add(text.Title, WeightTitle)
	s.add(text.Summary, WeightSummary)
	return s
}

// addBody adds to what a model found in the title and summary what the
// rules find in the body alone: a key they apply there is applied (if the
// model only suggested it, it moves), one they suggest is suggested.
func addBody(apply, suggest []Match, m *matcher, body []token) ([]Match, []Match) {
	if len(body) == 0 {
		return apply, suggest
	}
	has := func(list []Match, key string) int {
		return slices.IndexFunc(list, func(x Match) bool { return x.Key == key })
	}
	bodyApply, bodySuggest := split(m.find(body), byRules)
	for _, b := range bodyApply {
		if has(apply, b.Key) >= 0 {
			continue
		}
		if i := has(suggest, b.Key); i >= 0 {
			suggest = slices.Delete(suggest, i, i+1)
		}
		apply = append(apply, b)
	}
	for _, b := range bodySuggest {
		if has(apply, b.Key) < 0 && has(suggest, b.Key) < 0 {
			suggest = append(suggest, b)
		}
	}
	return apply, suggest
}

// apply weighs the rules' tallies of a text with the model: a key the
// model knows gets its probability as confidence, and the words that
// weighed most for it join the words the rules matched; a key it does
// not know keeps the rules' confidence and thresholds.
func (m *Model) apply(tallies []*tally, tokens []token) (apply, suggest []Match) {
	probs, why := m.score(tallies, wordFeatures(tokens), tokens)
	var matches []Match
	seen := make([]bool, len(m.keys))
	for _, t := range tallies {
		i, ok := m.pos[t.Key]
		if !ok {
			matches = append(matches, t.Match)
			continue
		}
		seen[i] = true
		mt := t.Match
		mt.Confidence = probs[i]
		for _, w := range why[i] {
			if !slices.Contains(mt.Words, w) {
				mt.Learned = append(mt.Learned, w)
			}
		}
		matches = append(matches, mt)
	}
	for i, k := range m.keys {
		if !seen[i] && len(why[i]) > 0 {
			matches = append(matches, Match{Key: k, Learned: why[i], Confidence: probs[i]})
		}
	}
	return split(matches, func(mt Match) (float64, float64) {
		if _, ok := m.pos[mt.Key]; ok {
			return m.ApplyAt, m.SuggestAt
		}
		return byRules(mt)
	})
}

// split parts matches into those to apply and those to suggest, by the
// thresholds at gives each.
func split(matches []Match, at func(Match) (applyAt, suggestAt float64)) (apply, suggest []Match) {
	for _, m := range matches {
		applyAt, suggestAt := at(m)
		switch {
		case m.Confidence >= applyAt:
			apply = append(apply, m)
		case m.Confidence >= suggestAt:
			suggest = append(suggest, m)
		}
	}
	return apply, suggest
}

// byRules are the thresholds of the rules' confidence.
func byRules(Match) (applyAt, suggestAt float64) { return ApplyAt, SuggestAt }

// word is one word of a term.
type word struct {
	kind   wordKind
	raw    string // as written, for capitals
	fold   string // lower case, without accents
	stem   string // for common words
	prefix bool   // ended in *: fold is a prefix
}

type wordKind uint8

const (
	common  wordKind = iota // lower case: stemmed
	name                    // has a capital: whole word in any case
	capital                 // all capitals: exactly as written
	anyName                 // "[Name]": any capitalized word
)

// namePlaceholder is "[Name]" of a term, and the word it stands for while
// the term is split into words.
const namePlaceholder, nameWord = "[Name]", "Namexplaceholderx"

// phrase is a compiled term.
type phrase struct {
	key      string
	words    []word
	exclude  bool
	strength float64 // 1, or WeakStrength for a weak cue
}

type matcher struct {
	// Phrases by their first word: capitals as written, names folded,
	// common words stemmed; and those whose first word ends in * or is
	// [Name], tried everywhere.
	byCapitals, byName, byStem map[string][]*phrase
	prefixes                   []*phrase
}

func compile(entries []Entry) *matcher {
	m := &matcher{byCapitals: map[string][]*phrase{}, byName: map[string][]*phrase{}, byStem: map[string][]*phrase{}}
	for _, e := range entries {
		for _, term := range e.Terms {
			term = strings.TrimSpace(term)
			p := &phrase{key: e.Key, strength: 1}
			if rest, ok := strings.CutPrefix(term, "-"); ok {
				p.exclude, term = true, rest
			} else if rest, ok := strings.CutPrefix(term, "~"); ok {
				p.strength, term = WeakStrength, rest
			}
			p.words = termWords(term)
			if len(p.words) == 0 {
				continue
			}
			if p.words[0].prefix || p.words[0].kind == anyName {
				m.prefixes = append(m.prefixes, p)
				continue
			}
			switch w := p.words[0]; w.kind {
			case capital:
				m.byCapitals[w.raw] = append(m.byCapitals[w.raw], p)
			case name:
				m.byName[w.fold] = append(m.byName[w.fold], p)
			default:
				m.byStem[w.stem] = append(m.byStem[w.stem], p)
			}
		}
	}
	return m
}

func termWords(term string) []word {
	var s scan
	s.add(strings.ReplaceAll(term, namePlaceholder, nameWord), 1)
	out := make([]word, 0, len(s.tokens))
	for _, tk := range s.tokens {
		w := word{raw: tk.raw, fold: tk.fold, stem: tk.stem}
		switch {
		case tk.raw == nameWord:
			w.kind = anyName
		case tk.star:
			w.prefix = true
		case isCapitals(tk.raw):
			w.kind = capital
		case tk.raw != tk.lowerRaw:
			w.kind = name
		}
		out = append(out, w)
	}
	return out
}

// isCapitals reports a word of two or more letters, all capitals.
func isCapitals(s string) bool {
	n := 0
	for _, r := range s {
		if !unicode.IsUpper(r) {
			return false
		}
		n++
	}
	return n >= 2
}

// matches says whether a text token is this word; first says it is the
// first word of its term. A name needs its capital only there: "Kim Jong
// Un" also matches "Kim Jong-un".
func (w word) matches(tk *token, first bool) bool {
	switch {
	case w.kind == anyName:
		return tk.capitalized && !isCapitals(tk.raw)
	case w.prefix:
		return strings.HasPrefix(tk.fold, w.fold)
	case w.kind == capital:
		return tk.raw == w.raw
	case w.kind == name:
		return tk.fold == w.fold && (tk.capitalized || !first)
	default:
		return tk.stem == w.stem
	}
}

// at returns the phrases that match tokens from i on, into buf.
func (m *matcher) at(tokens []token, i int, buf []*phrase) []*phrase {
	buf = buf[:0]
	try := func(p *phrase) {
		if i+len(p.words) > len(tokens) {
			return
		}
		for j, w := range p.words {
			if !w.matches(&tokens[i+j], j == 0) || (j > 0 && tokens[i+j].breakBefore) {
				return
			}
		}
		buf = append(buf, p)
	}
	tk := &tokens[i]
	for _, p := range m.byCapitals[tk.raw] {
		try(p)
	}
	for _, p := range m.byName[tk.fold] {
		try(p)
	}
	for _, p := range m.byStem[tk.stem] {
		try(p)
	}
	for _, p := range m.prefixes {
		try(p)
	}
	return buf
}

// choose picks, among the phrases matching at one place, the ones that
// count, and how many words they cover. The longest match covers the
// words. If it is a term, it counts, with any other term of that length.
// If it is only exclusions, their keys are out for those words, and the
// longest terms of other keys within them count instead ("trade war" is
// no mention of troops, but is of trade).
func choose(cands []*phrase, out []*phrase) ([]*phrase, int) {
	out = out[:0]
	span := 0
	for _, p := range cands {
		span = max(span, len(p.words))
	}
	var excluded []string
	best := 0
	for _, p := range cands {
		if p.exclude && len(p.words) == span {
			excluded = append(excluded, p.key)
		}
	}
	for _, p := range cands {
		if p.exclude || slices.Contains(excluded, p.key) {
			continue
		}
		switch n := len(p.words); {
		case n > best:
			best, out = n, append(out[:0], p)
		case n == best:
			out = append(out, p)
		}
	}
	return out, span
}

type tally struct {
	Match
	miss float64  // Π(1 - weight) over the mentions so far
	best float64  // the weight of the weightiest mention
	at   [][2]int // where each mention is: its first token and the token after it
}

func (m *matcher) find(tokens []token) []Match {
	found := m.tally(tokens)
	out := make([]Match, 0, len(found))
	for _, t := range found {
		out = append(out, t.Match)
	}
	return out
}

// tally finds the keys mentioned in tokens, in order of first mention,
// with the confidence of their mentions.
func (m *matcher) tally(tokens []token) []*tally {
	var found []*tally
	var cands, chosen []*phrase
	for i := 0; i < len(tokens); {
		cands = m.at(tokens, i, cands)
		var span int
		chosen, span = choose(cands, chosen)
		if span == 0 {
			i++
			continue
		}
		for _, p := range chosen {
			words := make([]string, len(p.words))
			for j := range words {
				words[j] = tokens[i+j].text
			}
			written := strings.Join(words, " ")
			k := slices.IndexFunc(found, func(t *tally) bool { return t.Key == p.key })
			if k < 0 {
				found = append(found, &tally{Match: Match{Key: p.key}, miss: 1})
				k = len(found) - 1
			}
			t := found[k]
			t.Count++
			t.miss *= 1 - tokens[i].place*p.strength
			t.best = max(t.best, tokens[i].place*p.strength)
			t.at = append(t.at, [2]int{i, i + len(p.words)})
			if !slices.Contains(t.Words, written) {
				t.Words = append(t.Words, written)
			}
		}
		i += span
	}
	for _, t := range found {
		t.Confidence = 1 - t.miss
	}
	return found
}

// token is one word of a text.
type token struct {
	text        string // as written, possessive and all
	raw         string // without dots and a possessive 's
	lowerRaw    string
	fold        string // lower case, without accents
	stem        string
	star        bool    // followed by * (terms only)
	capitalized bool    // starts with a capital letter
	place       float64 // the weight of the part of the text it is in
	breakBefore bool    // punctuation other than a space or hyphen before it
}

type scan struct{ tokens []token }

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isApostrophe(r rune) bool { return r == '\'' || r == '’' }

// add splits s into words: runs of letters and digits, with apostrophes
// inside a word ("O'Carroll") and dotted capitals ("U.S.") kept together.
func (s *scan) add(text string, place float64) {
	brk := true
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			// A phrase does not run across punctuation, but it does across
			// spaces, hyphens ("Lee Jae-myung") and the dot of an initial
			// ("N. Korea").
			initial := r == '.' && len(s.tokens) > 0 && !brk && singleCapital(s.tokens[len(s.tokens)-1].raw) &&
				i > 0 && isWordRune(lastRune(text[:i]))
			if r != ' ' && r != '-' && r != '\u00a0' && r != '*' && !initial {
				brk = true
			}
			i += size
			continue
		}
		start := i
		dotted, curly := false, false
		for i < len(text) {
			r, size := utf8.DecodeRuneInString(text[i:])
			switch {
			case isWordRune(r):
			case isApostrophe(r) && i+size < len(text) && followsLetter(text[i+size:]):
				curly = curly || r != '\''
			case r == '.' && dotted || r == '.' && singleCapital(text[start:i]) && followsCapital(text[i+size:]):
				// U.S., U.S.A.: the dots go, the capitals stay.
				dotted = true
			default:
				goto done
			}
			i += size
		}
	done:
		raw := text[start:i]
		if dotted {
			raw = strings.ReplaceAll(raw, ".", "")
		}
		if curly {
			raw = strings.ReplaceAll(raw, "’", "'")
		}
		tk := token{text: strings.TrimRight(text[start:i], "."), raw: raw, place: place, breakBefore: brk}
		brk = false
		tk.raw = stripPossessive(tk.raw)
		if curly {
			tk.text = strings.ReplaceAll(tk.text, "’", "'")
		}
		tk.text = stripPossessive(tk.text)
		if i < len(text) && text[i] == '*' {
			tk.star = true
		}
		tk.lowerRaw = strings.ToLower(tk.raw)
		first, _ := utf8.DecodeRuneInString(tk.raw)
		tk.capitalized = unicode.IsUpper(first)
		tk.fold = fold(tk.lowerRaw)
		tk.stem = stem(tk.fold)
		s.tokens = append(s.tokens, tk)
	}
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func singleCapital(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	return n == len(s) && unicode.IsUpper(r)
}

func followsCapital(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r)
}

func followsLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

func stripPossessive(s string) string {
	for _, suf := range []string{"'s", "'S"} {
		if len(s) > len(suf)+1 && strings.HasSuffix(s, suf) {
			return s[:len(s)-len(suf)]
		}
	}
	return s
}

// fold drops accents: "réunion" → "reunion", "türkiye" → "turkiye".
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// stem strips common English endings, the same way for the words of terms
// and of texts: "sanctions", "sanctioned", "sanctioning" → "sanction";
// "trade", "trades", "trading" → "trad"; "shipped" → "ship".
func stem(w string) string {
	n := len(w)
	if n <= 3 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && n > 4:
		w = w[:n-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:n-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
	case strings.HasSuffix(w, "s"):
		w = w[:n-1]
	}
	stripped := false
	switch n := len(w); {
	case strings.HasSuffix(w, "ing") && n > 5:
		w, stripped = w[:n-3], true
	case strings.HasSuffix(w, "ed") && n > 4:
		w, stripped = w[:n-2], true
	}
	if n := len(w); stripped && n > 2 && w[n-1] == w[n-2] && !strings.ContainsRune("lsz", rune(w[n-1])) {
		w = w[:n-1] // shipped → ship, but drilled → drill
	}
	if n := len(w); n >= 5 && w[n-1] == 'e' {
		w = w[:n-1] // trade → trad, to meet trading and traded
	}
	return w
}

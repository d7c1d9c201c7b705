package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

// TagScore is how the automatic tagger did on one tag against the desk's
// corrections: TP the corrections that kept it, FP those that removed
// it, FN those that added it (precision TP/(TP+FP), recall TP/(TP+FN)).
type TagScore struct {
	Kind, Tag  string // Kind is "country" or "theme"
	TP, FP, FN int
}

// TagWords are the words most often in the texts of the corrections
// that added a tag (Added: candidate keywords) or removed it (candidate
// negative contexts), with the number of corrections each is in.
type TagWords struct {
	Kind, Tag string
	Added     bool
	Words     []WordCount
}

// WordCount is a word and how many corrections' texts hold it; Matched
// says the tagger, with today's keywords, matches it for the tag in at
// least one of them: the evidence an editor overruled.
type WordCount struct {
	Word    string
	N       int
	Matched bool
}

// TaggerReport is the tagger measured against the desk's corrections
// since a time: per tag, and micro-averaged per kind in Totals.
type TaggerReport struct {
	Corrections int
	Totals      []TagScore // one per kind, Tag ""
	Tags        []TagScore // by kind, then tag
	Words       []TagWords // by kind, tag, added first
}

// TaggerReport measures the automatic tagger against the corrections
// editors made since since (see migration 00017), with at most top words
// per tag and direction.
func (s *Store) TaggerReport(ctx context.Context, since time.Time, top int) (TaggerReport, error) {
	type key struct{ kind, tag string }
	type wkey struct {
		key
		added bool
	}
	scores := map[key]*TagScore{}
	words := map[wkey]map[string]int{}
	matched := map[wkey]map[string]bool{}
	vocab := s.Vocabulary()
	var r TaggerReport
	score := func(k key) *TagScore {
		if scores[k] == nil {
			scores[k] = &TagScore{Kind: k.kind, Tag: k.tag}
		}
		return scores[k]
	}
	var batch []tagCorrectionModel
	err := s.read(ctx).Where("created_at >= ?", micros(since)).Order("id").
		FindInBatches(&batch, 1000, func(*gorm.DB, int) error {
			for _, c := range batch {
				r.Corrections++
				auto, editor := tagList(c.Auto), tagList(c.Editor)
				text := textWords(c.Title + " " + c.Summary)
				for _, t := range auto {
					if slices.Contains(editor, t) {
						score(key{c.Kind, t}).TP++
						continue
					}
					score(key{c.Kind, t}).FP++
					k := wkey{key{c.Kind, t}, false}
					countWords(words, k, text)
					for _, w := range evidence(vocab.Classify(c.Title, c.Summary, ""), c.Kind, t) {
						if matched[k] == nil {
							matched[k] = map[string]bool{}
						}
						matched[k][w] = true
					}
				}
				for _, t := range editor {
					if !slices.Contains(auto, t) {
						score(key{c.Kind, t}).FN++
						countWords(words, wkey{key{c.Kind, t}, true}, text)
					}
				}
			}
			return nil
		}).Error
	if err != nil {
		return TaggerReport{}, translate(err, "tagger report")
	}
	totals := map[string]*TagScore{}
	for _, sc := range scores {
		r.Tags = append(r.Tags, *sc)
		if totals[sc.Kind] == nil {
			totals[sc.Kind] = &TagScore{Kind: sc.Kind}
		}
		t := totals[sc.Kind]
		t.TP, t.FP, t.FN = t.TP+sc.TP, t.FP+sc.FP, t.FN+sc.FN
	}
	for _, t := range totals {
		r.Totals = append(r.Totals, *t)
	}
	byKindTag := func(a, b TagScore) int { return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Tag, b.Tag)) }
	slices.SortFunc(r.Totals, byKindTag)
	slices.SortFunc(r.Tags, byKindTag)
	for k, counts := range words {
		tw := TagWords{Kind: k.kind, Tag: k.tag, Added: k.added}
		for w, n := range counts {
			tw.Words = append(tw.Words, WordCount{w, n, matched[k][w]})
		}
		slices.SortFunc(tw.Words, func(a, b WordCount) int {
			if a.Matched != b.Matched {
				if a.Matched {
					return -1
				}
				return 1
			}
			return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Word, b.Word))
		})
		tw.Words = tw.Words[:min(len(tw.Words), top)]
		r.Words = append(r.Words, tw)
	}
	slices.SortFunc(r.Words, func(a, b TagWords) int {
		c := cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Tag, b.Tag))
		if c == 0 && a.Added != b.Added {
			if a.Added {
				return -1
			}
			return 1
		}
		return c
	})
	return r, nil
}

// evidence are the words, in the forms textWords gives, that the tagger
// matched for tag in found.
func evidence(found news.Suggestions, kind, tag string) []string {
	lists := [][]news.Suggestion{found.Themes, found.SuggestedThemes}
	if kind == "country" {
		lists = [][]news.Suggestion{found.Countries, found.SuggestedCountries}
	}
	var out []string
	for _, list := range lists {
		for _, sg := range list {
			if sg.Key == tag {
				out = append(out, textWords(strings.Join(sg.Words, " "))...)
			}
		}
	}
	return out
}

func countWords[K comparable](m map[K]map[string]int, k K, text []string) {
	if m[k] == nil {
		m[k] = map[string]int{}
	}
	for _, w := range text {
		m[k][w]++
	}
}

// textWords are the distinct words of a text worth suggesting as
// keywords: lower case, three letters or more, not a common English word.
func textWords(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len([]rune(w)) < 3 || stopWords[w] || slices.Contains(out, w) {
			continue
		}
		out = append(out, w)
	}
	return out
}

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`the and for with from that this was were are has have had its his her their they
		them will would could should say says said after before over into onto about than then but not its also
		who whom which what when where while more most first last new year years month months week day days two three
		one its our out off all any can may been being such some other only under between against during since via`) {
		m[w] = true
	}
	return m
}()

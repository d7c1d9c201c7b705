package store

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// A load keeps what the tag rows need of each article it stores, and
// makes the country, theme, pair and tag-set rows from that in Go at the
// end: sorted by their keys and inserted many rows per statement. Made in
// SQL from the stored articles, they took 32 s of a million articles'
// import: four passes over the articles table, a sort of each table's rows
// and of the tag sets' counts.

// loadArticle is what the tag rows of one loaded article are made of.
type loadArticle struct {
	id, pub           int64
	countries, themes uint32 // tag sets, as indexes into loadTags.sets
	published         bool
}

// loadTags collects the loaded articles in id order, which is the order
// they were inserted in.
type loadTags struct {
	articles []loadArticle
	setIDs   map[string]uint32
	sets     []string // tag texts, as the countries and themes columns hold them
}

func (t *loadTags) set(text string) uint32 {
	id, ok := t.setIDs[text]
	if !ok {
		if t.setIDs == nil {
			t.setIDs = map[string]uint32{}
		}
		id = uint32(len(t.sets)) //nolint:gosec // a load holds far fewer tag sets than 2^32
		t.setIDs[text] = id
		t.sets = append(t.sets, text)
	}
	return id
}

// add records article id, or what replaced it when it came before.
func (t *loadTags) add(id, pub int64, countries, themes string, published bool) {
	a := loadArticle{id: id, pub: pub, countries: t.set(countries), themes: t.set(themes), published: published}
	n := len(t.articles)
	if n == 0 || t.articles[n-1].id < id {
		t.articles = append(t.articles, a)
		return
	}
	if i, ok := slices.BinarySearchFunc(t.articles, id, func(a loadArticle, id int64) int { return cmp.Compare(a.id, id) }); ok {
		t.articles[i] = a
	}
}

// tagRow is a row of article_countries or article_themes; tag is the
// tag's rank in sort order.
type tagRow struct {
	pub, id int64
	tag     uint32
}

// pairRow is a row of article_pairs, its country and theme as ranks.
type pairRow struct {
	pub, id           int64
	countries, themes uint32
	country, theme    uint32
}

// tagSetRow is a row of article_tagsets: n published articles of a pair
// carry these tag sets.
type tagSetRow struct {
	country, theme    uint32
	countries, themes uint32
	n                 int
}

// loadRows are the rows of the tag tables, each in its key's order.
type loadRows struct {
	tags              []string // the tags by rank: sorted, so ranks sort as the tags do
	countries, themes []tagRow
	pairs             []pairRow
	sets              []string // the tag texts, as loadTags.sets
	tagSets           []tagSetRow
}

// rows makes the rows of the tag tables. Each table is in its key's order
// with one sort of the articles by time: walking them in that order and
// appending each row to its tag's (or pair's) bucket, laid out one after
// another, leaves every bucket in time order. Sorting each table's rows
// instead took 1.9 s of a million articles' load against 0.7 s.
func (t *loadTags) rows() *loadRows {
	tags, ranks := t.ranks()
	byTime := slices.Clone(t.articles)
	slices.SortFunc(byTime, func(a, b loadArticle) int {
		return cmp.Or(cmp.Compare(a.pub, b.pub), cmp.Compare(a.id, b.id))
	})
	b := newBuckets(uint32(len(tags)), ranks, byTime) //nolint:gosec // far fewer tags than 2^32
	r := &loadRows{
		tags:      tags,
		sets:      t.sets,
		countries: make([]tagRow, b.countries[b.n]),
		themes:    make([]tagRow, b.themes[b.n]),
		pairs:     make([]pairRow, b.pairs[b.n*b.n]),
	}
	for _, a := range byTime {
		b.place(r, ranks, a)
	}
	r.tagSets = tagSetRows(b.perSets, ranks, t.sets)
	return r
}

// ranks lists every tag of the tag sets in sort order, and each tag set
// as the ranks of its tags.
func (t *loadTags) ranks() (tags []string, ranks [][]uint32) {
	seen := map[string]bool{}
	split := make([][]string, len(t.sets))
	for i, text := range t.sets {
		if text == "" {
			continue
		}
		split[i] = strings.Split(text, ",")
		for _, tag := range split[i] {
			if !seen[tag] {
				seen[tag] = true
				tags = append(tags, tag)
			}
		}
	}
	slices.Sort(tags)
	rank := make(map[string]uint32, len(tags))
	for i, tag := range tags {
		rank[tag] = uint32(i) //nolint:gosec // far fewer tags than 2^32
	}
	ranks = make([][]uint32, len(t.sets))
	for i, s := range split {
		for _, tag := range s {
			ranks[i] = append(ranks[i], rank[tag])
		}
	}
	return tags, ranks
}

// setPair is a pair of tag sets, as indexes into loadTags.sets.
type setPair struct{ countries, themes uint32 }

// buckets says where each tag's (or pair's) rows go in its table: while
// rows are placed, the next free place of each bucket.
type buckets struct {
	n                        uint32 // how many tags
	countries, themes, pairs []int
	perSets                  map[setPair]int // published articles per pair of tag sets
}

// newBuckets counts the rows of each bucket, then lays the buckets out
// one after another.
func newBuckets(n uint32, ranks [][]uint32, articles []loadArticle) *buckets {
	b := &buckets{n: n, countries: make([]int, n+1), themes: make([]int, n+1), pairs: make([]int, n*n+1), perSets: map[setPair]int{}}
	for _, a := range articles {
		for _, c := range ranks[a.countries] {
			b.countries[c+1]++
		}
		for _, th := range ranks[a.themes] {
			b.themes[th+1]++
		}
		if a.published {
			b.perSets[setPair{a.countries, a.themes}]++
			for _, c := range ranks[a.countries] {
				for _, th := range ranks[a.themes] {
					b.pairs[c*n+th+1]++
				}
			}
		}
	}
	for _, s := range [][]int{b.countries, b.themes, b.pairs} {
		for i := 1; i < len(s); i++ {
			s[i] += s[i-1]
		}
	}
	return b
}

// place writes article a's rows into r, each at its bucket's next place.
func (b *buckets) place(r *loadRows, ranks [][]uint32, a loadArticle) {
	for _, c := range ranks[a.countries] {
		r.countries[b.countries[c]] = tagRow{pub: a.pub, id: a.id, tag: c}
		b.countries[c]++
	}
	for _, th := range ranks[a.themes] {
		r.themes[b.themes[th]] = tagRow{pub: a.pub, id: a.id, tag: th}
		b.themes[th]++
	}
	if !a.published {
		return
	}
	for _, c := range ranks[a.countries] {
		for _, th := range ranks[a.themes] {
			k := c*b.n + th
			r.pairs[b.pairs[k]] = pairRow{pub: a.pub, id: a.id, countries: a.countries, themes: a.themes, country: c, theme: th}
			b.pairs[k]++
		}
	}
}

// tagSetRows makes the tag-set rows: a pair of tag sets makes one for
// each of its pairs, in the key's order.
func tagSetRows(perSets map[setPair]int, ranks [][]uint32, sets []string) []tagSetRow {
	var out []tagSetRow
	for sp, n := range perSets {
		for _, c := range ranks[sp.countries] {
			for _, th := range ranks[sp.themes] {
				out = append(out, tagSetRow{c, th, sp.countries, sp.themes, n})
			}
		}
	}
	slices.SortFunc(out, func(a, b tagSetRow) int {
		return cmp.Or(cmp.Compare(a.country, b.country), cmp.Compare(a.theme, b.theme),
			strings.Compare(sets[a.countries], sets[b.countries]), strings.Compare(sets[a.themes], sets[b.themes]))
	})
	return out
}

// maxLoadParams bounds the parameters of one multi-row INSERT.
const maxLoadParams = 900

// insertRows inserts n rows into table's columns, as many per statement as
// maxLoadParams allows; row appends row i's values to args.
func (st *bulkStatements) insertRows(table string, cols []string, n int, row func(i int, args []any) []any) error {
	return st.insertRowsAs("INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES", table, len(cols), n, row)
}

// insertRowsAs is insertRows with its own head, which ends with VALUES,
// for rows of ncols values.
func (st *bulkStatements) insertRowsAs(head, table string, ncols, n int, row func(i int, args []any) []any) error {
	per := maxLoadParams / ncols
	one := "(" + placeholders(ncols) + ")"
	full := multiRow(head, one, per)
	args := make([]any, 0, per*ncols)
	for start := 0; start < n; start += per {
		k := min(per, n-start)
		q := full
		if k < per {
			q = multiRow(head, one, k)
		}
		args = args[:0]
		for i := start; i < start+k; i++ {
			args = row(i, args)
		}
		if err := st.exec(q, args...); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	return nil
}

// multiRow is an INSERT of k rows: head ends with VALUES, and tuple is
// one row's values.
func multiRow(head, tuple string, k int) string {
	return head + " " + strings.TrimSuffix(strings.Repeat(tuple+", ", k), ", ")
}

// insertTagRows writes the rows of the country, theme, pair and tag-set
// tables that t's articles make, on SQLite (PostgreSQL's load copies them
// in: see pgLoad.copyTagRows).
func insertTagRows(st *bulkStatements, r *loadRows) error {
	// Each tag and tag text as an interface value once, not once per row.
	tags := make([]any, len(r.tags))
	for i, tag := range r.tags {
		tags[i] = tag
	}
	sets := make([]any, len(r.sets))
	for i, s := range r.sets {
		sets[i] = s
	}
	tagCols := func(col string) []string { return []string{col, "published_at", "article_id"} }
	tagArgs := func(rows []tagRow) func(int, []any) []any {
		return func(i int, args []any) []any {
			return append(args, tags[rows[i].tag], rows[i].pub, rows[i].id)
		}
	}
	if err := st.insertRows("article_countries", tagCols("country"), len(r.countries), tagArgs(r.countries)); err != nil {
		return err
	}
	if err := st.insertRows("article_themes", tagCols("theme"), len(r.themes), tagArgs(r.themes)); err != nil {
		return err
	}
	err := st.insertRows("article_pairs", []string{"country", "theme", "published_at", "article_id", "countries", "themes"}, len(r.pairs),
		func(i int, args []any) []any {
			p := &r.pairs[i]
			return append(args, tags[p.country], tags[p.theme], p.pub, p.id, sets[p.countries], sets[p.themes])
		})
	if err != nil {
		return err
	}
	return st.insertRows("article_tagsets", []string{"country", "theme", "countries", "themes", "n"}, len(r.tagSets),
		func(i int, args []any) []any {
			k := r.tagSets[i]
			return append(args, tags[k.country], tags[k.theme], sets[k.countries], sets[k.themes], k.n)
		})
}

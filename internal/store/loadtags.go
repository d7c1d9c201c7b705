package store

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
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
	id, pub   int64
	countries uint32 // tag set, as an index into loadTags.sets
	// themes is the theme set's index shifted left by one, with the low
	// bit set when the article is published: 24 bytes an article rather
	// than 32 (80 MB of a load of ten million).
	themes uint32
}

func (a loadArticle) themeSet() uint32 { return a.themes >> 1 }
func (a loadArticle) published() bool  { return a.themes&1 == 1 }

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
		id = uint32(len(t.sets)) //nolint:gosec // a load holds far fewer tag sets than 2^31
		t.setIDs[text] = id
		t.sets = append(t.sets, text)
	}
	return id
}

// add records article id, or what replaced it when it came before.
func (t *loadTags) add(id, pub int64, countries, themes string, published bool) {
	a := loadArticle{id: id, pub: pub, countries: t.set(countries), themes: t.set(themes) << 1}
	if published {
		a.themes |= 1
	}
	n := len(t.articles)
	if n == 0 || t.articles[n-1].id < id {
		t.articles = append(t.articles, a)
		return
	}
	if i, ok := slices.BinarySearchFunc(t.articles, id, func(a loadArticle, id int64) int { return cmp.Compare(a.id, id) }); ok {
		t.articles[i] = a
	}
}

// tagSetRow is a row of article_tagsets: n published articles of a pair
// carry these tag sets.
type tagSetRow struct {
	country, theme    uint32
	countries, themes uint32
	n                 int
}

// loadRows are the rows of the tag tables, each in its key's order, as
// the articles that make them: a row of a table is its bucket's tag (or
// pair of tags) and an article, four bytes a row. Made whole (24 to 40
// bytes a row) beside a sorted copy of the articles, the rows of a load of
// ten million articles took 2.4 GB; as positions, 260 MB (a million
// articles' import peaked at 1.08–1.21 GB RSS before, 0.85–0.89 after).
type loadRows struct {
	tags     []string      // the tags by rank: sorted, so ranks sort as the tags do
	sets     []string      // the tag texts, as loadTags.sets
	articles []loadArticle // by time
	// A bucket for each tag's rows of article_countries and
	// article_themes, and for each pair's (country rank × tags + theme
	// rank) of article_pairs.
	countries, themes, pairs buckets
	tagSets                  []tagSetRow
}

// buckets lay out the rows of one table, bucket after bucket: bucket b's
// rows are the articles at[ends[b]:ends[b+1]], in time order. A load
// holds fewer than 2^32 articles.
type buckets struct {
	ends []int
	at   []uint32
}

// bucket returns bucket b's articles' positions.
func (b *buckets) bucket(i int) []uint32 { return b.at[b.ends[i]:b.ends[i+1]] }

// len is how many rows the buckets hold.
func (b *buckets) len() int { return len(b.at) }

// rows returns the i-th row of the buckets, in bucket order, as row makes
// it from the bucket's number and the row's article. It expects i to go
// up one at a time, as a COPY asks for rows (see pgLoad.copyRows).
func (b *buckets) rows(row func(bucket int, a *loadArticle) []any, articles []loadArticle) func(i int) []any {
	k := 0
	return func(i int) []any {
		if i < b.ends[k] { // asked again from the start
			k = 0
		}
		for i >= b.ends[k+1] {
			k++
		}
		return row(k, &articles[b.at[i]])
	}
}

// lay turns the counts of each bucket (ends[b+1]) into where each
// bucket ends, and makes room for the rows.
func (b *buckets) lay() (next []int) {
	for i := 1; i < len(b.ends); i++ {
		b.ends[i] += b.ends[i-1]
	}
	b.at = make([]uint32, b.ends[len(b.ends)-1])
	return slices.Clone(b.ends[:len(b.ends)-1])
}

// rows makes the rows of the tag tables and ends the collection: it
// sorts t's articles by time. Each table is in its key's order with that
// one sort: walking the articles in that order and appending each to its
// tag's (or pair's) bucket, laid out one after another, leaves every
// bucket in time order. Sorting each table's rows instead took 1.9 s of
// a million articles' load against 0.7 s.
func (t *loadTags) rows() *loadRows {
	tags, ranks := t.ranks()
	byTime := t.articles
	t.articles = nil
	slices.SortFunc(byTime, func(a, b loadArticle) int {
		return cmp.Or(cmp.Compare(a.pub, b.pub), cmp.Compare(a.id, b.id))
	})
	n := len(tags)
	r := &loadRows{
		tags: tags, sets: t.sets, articles: byTime,
		countries: buckets{ends: make([]int, n+1)},
		themes:    buckets{ends: make([]int, n+1)},
		pairs:     buckets{ends: make([]int, n*n+1)},
	}
	perSets := map[setPair]int{} // published articles per pair of tag sets
	for _, a := range byTime {
		cs, ts := ranks[a.countries], ranks[a.themeSet()]
		for _, c := range cs {
			r.countries.ends[c+1]++
		}
		for _, th := range ts {
			r.themes.ends[th+1]++
		}
		if a.published() {
			perSets[setPair{a.countries, a.themeSet()}]++
			for _, c := range cs {
				for _, th := range ts {
					r.pairs.ends[int(c)*n+int(th)+1]++
				}
			}
		}
	}
	nextC, nextT, nextP := r.countries.lay(), r.themes.lay(), r.pairs.lay()
	for i, a := range byTime {
		pos := uint32(i) //nolint:gosec // a load holds fewer than 2^32 articles
		cs, ts := ranks[a.countries], ranks[a.themeSet()]
		for _, c := range cs {
			r.countries.at[nextC[c]] = pos
			nextC[c]++
		}
		for _, th := range ts {
			r.themes.at[nextT[th]] = pos
			nextT[th]++
		}
		if a.published() {
			for _, c := range cs {
				for _, th := range ts {
					k := int(c)*n + int(th)
					r.pairs.at[nextP[k]] = pos
					nextP[k]++
				}
			}
		}
	}
	r.tagSets = tagSetRows(perSets, ranks, t.sets)
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

// insertTagRows writes the rows of the country, theme and pair tables
// that t's articles make, and on SQLite those of the tag-set table (which
// PostgreSQL does not have). The rows of one bucket share its tag (or
// pair), bound once per statement (see insertGroup).
func insertTagRows(st *bulkStatements, r *loadRows) error {
	// Each tag text as an interface value once, not once per row.
	sets := make([]any, len(r.sets))
	for i, s := range r.sets {
		sets[i] = s
	}
	n := len(r.tags)
	tagRows := func(table, col string, b *buckets) error {
		g := st.group("INSERT INTO "+table+" ("+col+", published_at, article_id) VALUES", 1, 2)
		for tag := range n {
			at := b.bucket(tag)
			err := g.insert([]any{r.tags[tag]}, len(at), func(i int, args []any) []any {
				a := &r.articles[at[i]]
				return append(args, a.pub, a.id)
			})
			if err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
		}
		return nil
	}
	if err := tagRows("article_countries", "country", &r.countries); err != nil {
		return err
	}
	if err := tagRows("article_themes", "theme", &r.themes); err != nil {
		return err
	}
	g := st.group("INSERT INTO article_pairs (country, theme, published_at, article_id, countries, themes) VALUES", 2, 4)
	for k := range n * n {
		at := r.pairs.bucket(k)
		if len(at) == 0 {
			continue
		}
		err := g.insert([]any{r.tags[k/n], r.tags[k%n]}, len(at), func(i int, args []any) []any {
			a := &r.articles[at[i]]
			return append(args, a.pub, a.id, sets[a.countries], sets[a.themeSet()])
		})
		if err != nil {
			return fmt.Errorf("article_pairs: %w", err)
		}
	}
	if st.d.postgres {
		return nil
	}
	return st.insertRows("article_tagsets", []string{"country", "theme", "countries", "themes", "n"}, len(r.tagSets),
		func(i int, args []any) []any {
			k := r.tagSets[i]
			return append(args, r.tags[k.country], r.tags[k.theme], sets[k.countries], sets[k.themes], k.n)
		})
}

// groupInsert inserts rows that share their first values many to a
// statement, the shared values bound once: the rows of one tag in
// article_countries bound 2 values a row rather than 3, which took a
// quarter off the CPU time of the inserts.
type groupInsert struct {
	st          *bulkStatements
	head        string
	fixed, vary int            // values shared by the rows, and a row's own
	per         int            // rows in a full statement
	sql         map[int]string // the statement of k rows
	args        []any
}

// group starts inserts of rows with fixed shared values then vary values
// of their own; head ends with VALUES.
func (st *bulkStatements) group(head string, fixed, vary int) *groupInsert {
	per := (maxLoadParams - fixed) / vary
	return &groupInsert{st: st, head: head, fixed: fixed, vary: vary, per: per, sql: map[int]string{},
		args: make([]any, 0, fixed+per*vary)}
}

// insert inserts n rows with the shared values; row appends row i's
// own values to args. A statement holds a full statement's rows, or a
// power of two of them, so that few statements are prepared.
func (g *groupInsert) insert(shared []any, n int, row func(i int, args []any) []any) error {
	for start := 0; start < n; {
		k := min(g.per, n-start)
		if k < g.per {
			k = 1 << (bits.Len(uint(k)) - 1)
		}
		g.args = append(g.args[:0], shared...)
		for i := start; i < start+k; i++ {
			g.args = row(i, g.args)
		}
		if err := g.st.exec(g.statement(k), g.args...); err != nil {
			return err
		}
		start += k
	}
	return nil
}

// statement is the INSERT of k rows, in numbered parameters: the shared
// values are the first ones, which every row names.
func (g *groupInsert) statement(k int) string {
	if q, ok := g.sql[k]; ok {
		return q
	}
	param := func(b *strings.Builder, i int) {
		if g.st.d.postgres {
			b.WriteString("$")
		} else {
			b.WriteString("?")
		}
		b.WriteString(strconv.Itoa(i))
	}
	var b strings.Builder
	b.WriteString(g.head)
	for r := range k {
		if r > 0 {
			b.WriteString(",")
		}
		b.WriteString(" (")
		for i := range g.fixed + g.vary {
			if i > 0 {
				b.WriteString(", ")
			}
			if i < g.fixed {
				param(&b, i+1)
			} else {
				param(&b, g.fixed+r*g.vary+i-g.fixed+1)
			}
		}
		b.WriteString(")")
	}
	g.sql[k] = b.String()
	return g.sql[k]
}

package store

import (
	"cmp"
	"slices"
	"strings"

	"github.com/headlines/headlines/internal/news"
)

// batchTags are the tag and pair rows of a batch of articles, to delete
// or insert together, each table's in its key's order (see writeArticles).
type batchTags struct {
	countries, themes []tagKey
	pairs             []pairKey
}

// tagKey is the key of a row of article_countries or article_themes.
type tagKey struct {
	tag     string
	pub, id int64
}

// pairKey is a row of article_pairs.
type pairKey struct {
	country, theme    string
	pub, id           int64
	countries, themes string
}

// add adds the rows of article id, published at pub, with these tags and
// status: only a published article has pairs.
func (b *batchTags) add(id, pub int64, countries, themes []string, status news.Status) {
	for _, c := range countries {
		b.countries = append(b.countries, tagKey{c, pub, id})
	}
	for _, t := range themes {
		b.themes = append(b.themes, tagKey{t, pub, id})
	}
	if status != news.StatusPublished {
		return
	}
	cs, ts := tagText(countries), tagText(themes)
	for _, c := range countries {
		for _, t := range themes {
			b.pairs = append(b.pairs, pairKey{c, t, pub, id, cs, ts})
		}
	}
}

func (b *batchTags) sort() {
	byTag := func(x, y tagKey) int {
		return cmp.Or(strings.Compare(x.tag, y.tag), cmp.Compare(x.pub, y.pub), cmp.Compare(x.id, y.id))
	}
	slices.SortFunc(b.countries, byTag)
	slices.SortFunc(b.themes, byTag)
	slices.SortFunc(b.pairs, func(x, y pairKey) int {
		return cmp.Or(strings.Compare(x.country, y.country), strings.Compare(x.theme, y.theme), cmp.Compare(x.pub, y.pub), cmp.Compare(x.id, y.id))
	})
}

// delete deletes the rows by their keys, one statement each.
func (b *batchTags) delete(st *bulkStatements) error {
	b.sort()
	for _, p := range b.pairs {
		if err := st.exec(`DELETE FROM article_pairs WHERE country = ? AND theme = ? AND published_at = ? AND article_id = ?`,
			p.country, p.theme, p.pub, p.id); err != nil {
			return err
		}
	}
	for _, t := range []struct {
		q    string
		rows []tagKey
	}{
		{`DELETE FROM article_countries WHERE country = ? AND published_at = ? AND article_id = ?`, b.countries},
		{`DELETE FROM article_themes WHERE theme = ? AND published_at = ? AND article_id = ?`, b.themes},
	} {
		for _, k := range t.rows {
			if err := st.exec(t.q, k.tag, k.pub, k.id); err != nil {
				return err
			}
		}
	}
	return nil
}

// insert inserts the rows, many per statement.
func (b *batchTags) insert(st *bulkStatements) error {
	b.sort()
	tagCols := func(col string) []string { return []string{col, "published_at", "article_id"} }
	tagArgs := func(rows []tagKey) func(int, []any) []any {
		return func(i int, args []any) []any { return append(args, rows[i].tag, rows[i].pub, rows[i].id) }
	}
	if err := st.insertRows("article_countries", tagCols("country"), len(b.countries), tagArgs(b.countries)); err != nil {
		return err
	}
	if err := st.insertRows("article_themes", tagCols("theme"), len(b.themes), tagArgs(b.themes)); err != nil {
		return err
	}
	return st.insertRows("article_pairs", []string{"country", "theme", "published_at", "article_id", "countries", "themes"}, len(b.pairs),
		func(i int, args []any) []any {
			p := &b.pairs[i]
			return append(args, p.country, p.theme, p.pub, p.id, p.countries, p.themes)
		})
}

package store

import (
	"strings"

	"github.com/headlines/headlines/internal/news"
)

// The statements that write an article's tags. Every write path (single
// writes, bulk upserts) goes through dropTags and writeTags, so the join
// tables, the pairs and the tag text columns never disagree.
const (
	sqlAddCountry = `INSERT INTO article_countries (country, published_at, article_id) VALUES (?, ?, ?)`
	sqlAddTheme   = `INSERT INTO article_themes (theme, published_at, article_id) VALUES (?, ?, ?)`
	sqlAddPair    = `INSERT INTO article_pairs (country, theme, published_at, article_id, countries, themes) VALUES (?, ?, ?, ?, ?, ?)`
)

// tagRows is a FROM item that lists the tags of the tag text column col
// as rows of alias, whose one column is value: tag codes and slugs never
// hold a comma or a quote.
func (d dialect) tagRows(col, alias string) string {
	if d.postgres {
		return "unnest(string_to_array(" + col + ", ',')) AS " + alias + "(value)"
	}
	return `json_each('["' || replace(` + col + `, ',', '","') || '"]') ` + alias
}

// The tag rows of article ? are found by their primary keys, which the
// article's own columns give: the tag tables have no index on article_id
// (migrations 00007 and 00009). These read the article as it is, so they
// run before its row changes.

// pairsOfArticle matches the pairs of article ?.
func (d dialect) pairsOfArticle() string {
	return `(country, theme, published_at, article_id) IN (SELECT c.value, t.value, a.published_at, a.id
		FROM articles a, ` + d.tagRows("a.countries", "c") + `, ` + d.tagRows("a.themes", "t") + `
		WHERE a.id = ? AND a.status = 'published' AND a.countries <> '' AND a.themes <> '')`
}

// tagsOfArticle matches the rows of article ? in the tag table whose tag
// column is col, listed in the article's column list.
func (d dialect) tagsOfArticle(col, list string) string {
	return `(` + col + `, published_at, article_id) IN (SELECT j.value, a.published_at, a.id
		FROM articles a, ` + d.tagRows("a."+list, "j") + ` WHERE a.id = ? AND a.` + list + ` <> '')`
}

// sqlDropTags are the statements that delete article ?'s pairs and tag rows.
func (d dialect) sqlDropTags() []string {
	return []string{
		`DELETE FROM article_pairs WHERE ` + d.pairsOfArticle(),
		`DELETE FROM article_countries WHERE ` + d.tagsOfArticle("country", "countries"),
		`DELETE FROM article_themes WHERE ` + d.tagsOfArticle("theme", "themes"),
	}
}

// tagText is a sorted tag list as the countries and themes columns hold it.
func tagText(tags []string) string { return strings.Join(tags, ",") }

// dropTags deletes the pairs and tag rows of article id, as its row says
// them: run it before the row changes.
func (d dialect) dropTags(exec func(q string, args ...any) error, id int64) error {
	for _, q := range d.sqlDropTags() {
		if err := exec(q, id); err != nil {
			return err
		}
	}
	return nil
}

// writeTags writes the tag rows of article id, published at pub
// (microseconds), from d's normalized (sorted) tags; the article has none
// (new, or dropTags ran). Only a published article has pairs.
func writeTags(exec func(q string, args ...any) error, id, pub int64, d news.Draft) error {
	for _, c := range d.Countries {
		if err := exec(sqlAddCountry, c, pub, id); err != nil {
			return err
		}
	}
	for _, t := range d.Themes {
		if err := exec(sqlAddTheme, t, pub, id); err != nil {
			return err
		}
	}
	if d.Status != news.StatusPublished {
		return nil
	}
	countries, themes := tagText(d.Countries), tagText(d.Themes)
	for _, c := range d.Countries {
		for _, t := range d.Themes {
			if err := exec(sqlAddPair, c, t, pub, id, countries, themes); err != nil {
				return err
			}
		}
	}
	return nil
}

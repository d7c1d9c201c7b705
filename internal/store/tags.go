package store

import (
	"strings"

	"github.com/headlines/headlines/internal/news"
)

// The statements that write an article's tags. Every write path (single
// writes, bulk upserts) goes through writeTags, so the join tables, the
// pairs and the tag text columns never disagree.
const (
	sqlDelCountries = `DELETE FROM article_countries WHERE article_id = ?`
	sqlDelThemes    = `DELETE FROM article_themes WHERE article_id = ?`
	sqlDelPairs     = `DELETE FROM article_pairs WHERE ` + pairsOfArticle
	sqlAddCountry   = `INSERT INTO article_countries (country, published_at, article_id) VALUES (?, ?, ?)`
	sqlAddTheme     = `INSERT INTO article_themes (theme, published_at, article_id) VALUES (?, ?, ?)`
	sqlAddPair      = `INSERT INTO article_pairs (country, theme, published_at, article_id, countries, themes) VALUES (?, ?, ?, ?, ?, ?)`
	// sqlRetagPairs sets the theme text of article ?'s pairs (after a
	// theme's slug changed under it).
	sqlRetagPairs = `UPDATE article_pairs SET themes = ? WHERE ` + pairsOfArticle
)

// pairsOfArticle matches the pairs of article ?, by their primary key,
// with the keys its tag rows give: article_pairs has no index on
// article_id (migration 00007). Use it before the tag rows change.
const pairsOfArticle = `(country, theme, published_at, article_id) IN (SELECT c.country, t.theme, c.published_at, c.article_id
	FROM article_countries c JOIN article_themes t ON t.article_id = c.article_id WHERE c.article_id = ?)`

// tagText is a sorted tag list as the countries and themes columns hold it.
func tagText(tags []string) string { return strings.Join(tags, ",") }

// writeTags (re)writes the tag rows of article id, published at pub
// (microseconds), from d's normalized (sorted) tags. replace says that the
// article had rows before. Only a published article has pairs.
func writeTags(exec func(q string, args ...any) error, id, pub int64, d news.Draft, replace bool) error {
	if replace {
		for _, q := range []string{sqlDelPairs, sqlDelCountries, sqlDelThemes} {
			if err := exec(q, id); err != nil {
				return err
			}
		}
	}
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

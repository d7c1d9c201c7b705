package store

import (
	"strings"

	"gorm.io/gorm"

	"github.com/headlines/headlines/internal/news"
)

// An article's tags are written three times: as its countries and themes
// text columns, as rows of the tag tables, and as its pairs. tagModels says
// which rows a draft has, for every write path: single writes create and
// delete them through the models (createTags, deleteTags); an import's
// batches write them many to a statement (batchtags.go). So the join
// tables, the pairs and the tag text columns never disagree.

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

// tagModels are the tag rows of article id, published at pub
// (microseconds), for d's normalized (sorted) tags. Only a published
// article has pairs.
func tagModels(id, pub int64, d news.Draft) ([]articleCountryModel, []articleThemeModel, []articlePairModel) {
	countries := make([]articleCountryModel, len(d.Countries))
	for i, c := range d.Countries {
		countries[i] = articleCountryModel{Country: c, PublishedAt: pub, ArticleID: id}
	}
	themes := make([]articleThemeModel, len(d.Themes))
	for i, t := range d.Themes {
		themes[i] = articleThemeModel{Theme: t, PublishedAt: pub, ArticleID: id}
	}
	if d.Status != news.StatusPublished {
		return countries, themes, nil
	}
	pairs := make([]articlePairModel, 0, len(d.Countries)*len(d.Themes))
	ctext, ttext := tagText(d.Countries), tagText(d.Themes)
	for _, c := range d.Countries {
		for _, t := range d.Themes {
			pairs = append(pairs, articlePairModel{Country: c, Theme: t, PublishedAt: pub, ArticleID: id, Countries: ctext, Themes: ttext})
		}
	}
	return countries, themes, pairs
}

// createTags adds the tag rows of article id, published at pub, in tx:
// one INSERT per table. The article has none (new, or deleteTags ran).
func createTags(tx *gorm.DB, id, pub int64, d news.Draft) error {
	countries, themes, pairs := tagModels(id, pub, d)
	if len(countries) > 0 {
		if err := tx.Create(&countries).Error; err != nil {
			return err
		}
	}
	if len(themes) > 0 {
		if err := tx.Create(&themes).Error; err != nil {
			return err
		}
	}
	if len(pairs) > 0 {
		return tx.Create(&pairs).Error
	}
	return nil
}

// deleteTags deletes the tag rows of the article m, as read in tx before
// it changes. Every row of an article shares its published_at and id, so
// each table's rows are one lookup of its primary key per tag (the tag
// tables have no index on article_id: see migrations 00007 and 00009).
func deleteTags(tx *gorm.DB, m *articleModel) error {
	countries, themes := tagList(m.Countries), tagList(m.Themes)
	if m.Status == string(news.StatusPublished) && len(countries) > 0 && len(themes) > 0 {
		err := tx.Where("country IN ? AND theme IN ? AND published_at = ? AND article_id = ?", countries, themes, m.PublishedAt, m.ID).
			Delete(&articlePairModel{}).Error
		if err != nil {
			return err
		}
	}
	if len(countries) > 0 {
		err := tx.Where("country IN ? AND published_at = ? AND article_id = ?", countries, m.PublishedAt, m.ID).
			Delete(&articleCountryModel{}).Error
		if err != nil {
			return err
		}
	}
	if len(themes) > 0 {
		return tx.Where("theme IN ? AND published_at = ? AND article_id = ?", themes, m.PublishedAt, m.ID).
			Delete(&articleThemeModel{}).Error
	}
	return nil
}

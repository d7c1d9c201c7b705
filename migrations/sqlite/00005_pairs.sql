-- The hot path: "newest articles about country C and theme T". Each
-- published article gets one row per (country, theme) pair it carries, so
-- that any such list, common or rare, page 1 or page 500, is one range of
-- this table's primary key, and its total is a count of that range.
-- Drafts have no pairs: lists that include drafts use the tag tables.
--
-- countries and themes are the article's tags as sorted, comma-separated
-- text, on the article (so that reads need no subquery) and on each pair
-- (so that facets are one pass over the pair range, grouped by tag set).

-- +goose Up
ALTER TABLE articles ADD COLUMN countries TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN themes TEXT NOT NULL DEFAULT '';
UPDATE articles SET
    countries = coalesce((SELECT group_concat(country, ',' ORDER BY country) FROM article_countries WHERE article_id = articles.id), ''),
    themes = coalesce((SELECT group_concat(theme, ',' ORDER BY theme) FROM article_themes WHERE article_id = articles.id), '');

CREATE TABLE article_pairs (
    country      TEXT    NOT NULL REFERENCES countries (code),
    theme        TEXT    NOT NULL REFERENCES themes (slug) ON UPDATE CASCADE,
    published_at INTEGER NOT NULL,
    article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    countries    TEXT    NOT NULL,
    themes       TEXT    NOT NULL,
    PRIMARY KEY (country, theme, published_at, article_id)
) WITHOUT ROWID;
CREATE INDEX article_pairs_article ON article_pairs (article_id);
-- Facets group a pair range by tag set; in this order SQLite groups as it
-- walks the index instead of sorting 100,000 rows first.
CREATE INDEX article_pairs_tagsets ON article_pairs (country, theme, countries, themes);

INSERT INTO article_pairs (country, theme, published_at, article_id, countries, themes)
SELECT c.country, t.theme, a.published_at, a.id, a.countries, a.themes
FROM articles a
JOIN article_countries c ON c.article_id = a.id
JOIN article_themes t ON t.article_id = a.id
WHERE a.status = 'published';

-- Statistics for the new table and both its indexes at once: with numbers
-- for the primary key but none for the tag-set index, the planner would
-- take the latter for page queries and sort the whole range.
ANALYZE article_pairs;

-- +goose Down
DROP TABLE article_pairs;
ALTER TABLE articles DROP COLUMN themes;
ALTER TABLE articles DROP COLUMN countries;

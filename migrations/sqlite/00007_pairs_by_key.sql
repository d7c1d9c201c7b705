-- An article's pairs are found by their own key: its country rows and
-- theme rows give (country, theme, published_at, article_id) for each.
-- So article_pairs needs no index on article_id, nor a foreign key to
-- articles, whose deletes would scan the table for children without one:
-- the store deletes an article's pairs itself, before the article. That
-- index held an entry per pair: 3,000,000 at a million articles, 82 MB
-- and 3.3 s of an import, and one more B-tree to update for every pair
-- written.

-- +goose Up
CREATE TABLE article_pairs_new (
    country      TEXT    NOT NULL REFERENCES countries (code),
    theme        TEXT    NOT NULL REFERENCES themes (slug) ON UPDATE CASCADE,
    published_at INTEGER NOT NULL,
    article_id   INTEGER NOT NULL,
    countries    TEXT    NOT NULL,
    themes       TEXT    NOT NULL,
    PRIMARY KEY (country, theme, published_at, article_id)
) WITHOUT ROWID;
INSERT INTO article_pairs_new (country, theme, published_at, article_id, countries, themes)
SELECT country, theme, published_at, article_id, countries, themes FROM article_pairs
ORDER BY country, theme, published_at, article_id;
DROP TABLE article_pairs;
ALTER TABLE article_pairs_new RENAME TO article_pairs;
CREATE INDEX article_pairs_tagsets ON article_pairs (country, theme, countries, themes);
ANALYZE article_pairs;

-- +goose Down
CREATE TABLE article_pairs_old (
    country      TEXT    NOT NULL REFERENCES countries (code),
    theme        TEXT    NOT NULL REFERENCES themes (slug) ON UPDATE CASCADE,
    published_at INTEGER NOT NULL,
    article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    countries    TEXT    NOT NULL,
    themes       TEXT    NOT NULL,
    PRIMARY KEY (country, theme, published_at, article_id)
) WITHOUT ROWID;
INSERT INTO article_pairs_old (country, theme, published_at, article_id, countries, themes)
SELECT country, theme, published_at, article_id, countries, themes FROM article_pairs
ORDER BY country, theme, published_at, article_id;
DROP TABLE article_pairs;
ALTER TABLE article_pairs_old RENAME TO article_pairs;
CREATE INDEX article_pairs_article ON article_pairs (article_id);
CREATE INDEX article_pairs_tagsets ON article_pairs (country, theme, countries, themes);
ANALYZE article_pairs;

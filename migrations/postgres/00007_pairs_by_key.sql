-- An article's pairs are found by their own key: its country rows and
-- theme rows give (country, theme, published_at, article_id) for each.
-- So article_pairs needs no index on article_id, nor a foreign key to
-- articles, whose cascading deletes would scan the table without one: the
-- store deletes an article's pairs itself, before the article. That index
-- held an entry per pair, and was one more B-tree to update for every pair
-- written.

-- +goose Up
ALTER TABLE article_pairs DROP CONSTRAINT article_pairs_article_id_fkey;
DROP INDEX article_pairs_article;

-- +goose Down
CREATE INDEX article_pairs_article ON article_pairs (article_id);
ALTER TABLE article_pairs ADD CONSTRAINT article_pairs_article_id_fkey
    FOREIGN KEY (article_id) REFERENCES articles (id) ON DELETE CASCADE;

-- On SQLite, 00009 drops the tag tables' indexes on article_id: an
-- article's tag rows are found by their own key, from the article's
-- countries, themes and published_at columns, and the store deletes them
-- itself before the article changes. The store does the same here, but
-- PostgreSQL keeps those indexes, and the foreign keys that cascade
-- through them: its planner joins a filter on two tags of one kind (all of
-- RU and KP) through article_id, where a lookup by key made it hash the
-- whole range of one tag and sort the matches.
--
-- SQLite also gets article_tagsets here, counts of each pair's tag sets
-- kept by triggers, in place of the index article_pairs_tagsets. On
-- PostgreSQL, where writers run at once, those counter rows would be
-- locked from a pair's write until the commit, and batches that touch
-- them in different orders would deadlock: facets keep reading the index.
-- So this version changes nothing here.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;

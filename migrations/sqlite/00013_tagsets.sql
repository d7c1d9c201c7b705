-- On PostgreSQL, 00013 adds article_tagsets, the counts of each pair's
-- tag sets that SQLite has had since 00009: this version changes nothing
-- here.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;

-- The full-text index merged into one segment: a search walks every
-- segment that holds its words, and a database migrated by 00014 or filled
-- by writes holds several (see Store.Optimize, which merges it again after
-- a large import). Nothing in the schema changes.

-- +goose Up
INSERT INTO articles_fts (articles_fts) VALUES ('optimize');

-- +goose Down
SELECT 1;

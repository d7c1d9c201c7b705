-- The column that SQLite's lists read each article's JSON from (see
-- migrations/sqlite/00023_list_json.sql), so that one model describes
-- articles on both databases. PostgreSQL does not fill it: its lists
-- read the columns, and list_json stays NULL.

-- +goose Up
ALTER TABLE articles ADD COLUMN list_json TEXT;

-- +goose Down
ALTER TABLE articles DROP COLUMN list_json;

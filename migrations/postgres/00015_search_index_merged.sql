-- On SQLite, 00015 merges the full-text index into one segment;
-- PostgreSQL's GIN index has no segments: this version changes nothing
-- here.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;

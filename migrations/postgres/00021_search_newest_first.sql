-- On SQLite, 00021 keys the full-text index newest first; PostgreSQL's
-- search vector is a column of articles, with no key of its own: this
-- version changes nothing here.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;

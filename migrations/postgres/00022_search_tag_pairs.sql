-- On SQLite, 00022 adds the country and theme pairs to the full-text
-- index; PostgreSQL's search vector and tag tables are unchanged: this
-- version changes nothing here.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;

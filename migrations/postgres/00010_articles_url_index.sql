-- On SQLite, 00010 moves the url's uniqueness from a column constraint to
-- an index of its own, which a load into an empty database drops and
-- builds once at the end. PostgreSQL has no such load and keeps its
-- constraint: this version changes nothing here.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;

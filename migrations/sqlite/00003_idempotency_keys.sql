-- Idempotency keys: the first answer to a POST with an Idempotency-Key,
-- replayed when the same caller sends the same key again.

-- +goose Up
CREATE TABLE idempotency_keys (
    principal    TEXT    NOT NULL, -- digest of the caller's API key
    key          TEXT    NOT NULL, -- the Idempotency-Key header
    request_hash TEXT    NOT NULL, -- SHA-256 of method, path and body
    status       INTEGER,          -- NULL while the first request is in progress
    headers      TEXT    NOT NULL DEFAULT '{}',
    body         BLOB,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;

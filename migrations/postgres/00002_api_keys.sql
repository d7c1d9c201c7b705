-- API keys: only the SHA-256 digest of each key is kept, with a short
-- prefix to tell keys apart in listings.

-- +goose Up
CREATE TABLE api_keys (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    digest       TEXT    NOT NULL UNIQUE, -- hex SHA-256 of the key
    prefix       TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    role         TEXT    NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

-- +goose Down
DROP TABLE api_keys;

-- The full-text index is keyed by date, so that a search lists its newest
-- (or oldest) matches by walking the index in rowid order and stopping
-- after a page, however many articles match; no index of articles is
-- read to sort them. The index becomes contentless (it keeps no copy of
-- the text, which stays in articles), and its rowid is the article's
-- search key:
--
--   key = (minute of published_at, counted from year 0) << 30 | id
--
-- so keys sort by the minute an article was published, and within one
-- minute by id. The key is a function of published_at and id, unique
-- while ids are below 2^30 (1,073,741,824; an insert past that is
-- refused); the join back to an article is its primary key (key & (2^30-1)).
-- published_at is clamped to years 0-9999, which keeps the order and the
-- key within 63 bits. A list reads matches down to the end of the minute
-- of its last row and orders them by (published_at, id) itself (see
-- internal/store/search.go). The store computes the same key (searchKey).
--
-- Contentless, an article's entry is deleted by its rowid (contentless_delete),
-- and a change to its text or its published_at deletes the old entry and
-- adds the new one.

-- +goose Up
DROP TRIGGER articles_fts_update;
DROP TRIGGER articles_fts_delete;
DROP TRIGGER articles_fts_insert;
DROP TABLE articles_fts;

CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- In key order: the index is written in one pass, as a load writes it.
INSERT INTO articles_fts (rowid, title, summary, body)
SELECT ((min(max(published_at, -62167219200000000), 253402300799999999) + 62167219200000000) / 60000000) << 30 | id,
    title, summary, body
FROM articles ORDER BY 1;

-- +goose StatementBegin
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    SELECT RAISE(ABORT, 'article ids above 1073741823 do not fit the search index') WHERE new.id > 1073741823;
    INSERT INTO articles_fts (rowid, title, summary, body) VALUES (
        ((min(max(new.published_at, -62167219200000000), 253402300799999999) + 62167219200000000) / 60000000) << 30 | new.id,
        new.title, new.summary, new.body);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid =
        ((min(max(old.published_at, -62167219200000000), 253402300799999999) + 62167219200000000) / 60000000) << 30 | old.id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, body, published_at ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid =
        ((min(max(old.published_at, -62167219200000000), 253402300799999999) + 62167219200000000) / 60000000) << 30 | old.id;
    INSERT INTO articles_fts (rowid, title, summary, body) VALUES (
        ((min(max(new.published_at, -62167219200000000), 253402300799999999) + 62167219200000000) / 60000000) << 30 | new.id,
        new.title, new.summary, new.body);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER articles_fts_update;
DROP TRIGGER articles_fts_delete;
DROP TRIGGER articles_fts_insert;
DROP TABLE articles_fts;

CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body,
    content = 'articles', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO articles_fts (articles_fts) VALUES ('rebuild');

-- +goose StatementBegin
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, summary, body) VALUES (new.id, new.title, new.summary, new.body);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, summary, body) VALUES ('delete', old.id, old.title, old.summary, old.body);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, body ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, summary, body) VALUES ('delete', old.id, old.title, old.summary, old.body);
    INSERT INTO articles_fts (rowid, title, summary, body) VALUES (new.id, new.title, new.summary, new.body);
END;
-- +goose StatementEnd

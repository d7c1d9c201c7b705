-- The change feed: one row per article at its latest change, numbered by
-- a counter that every write transaction bumps as its last statement. The
-- counter's row lock is held until commit, so sequence order is commit
-- order and a client reading "after N" never skips a change committed late.

-- +goose Up
CREATE TABLE change_seq (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT  NOT NULL
);

CREATE TABLE changes (
    seq        BIGINT  PRIMARY KEY,
    article_id BIGINT  NOT NULL UNIQUE,
    deleted    BOOLEAN NOT NULL DEFAULT FALSE,
    changed_at BIGINT  NOT NULL
);

-- What exists already: articles in the order they last changed, then the
-- tombstones.
INSERT INTO changes (seq, article_id, deleted, changed_at)
SELECT row_number() OVER (ORDER BY updated_at, id), id, FALSE, updated_at FROM articles;
INSERT INTO changes (seq, article_id, deleted, changed_at)
SELECT (SELECT count(*) FROM articles) + row_number() OVER (ORDER BY deleted_at, id), id, TRUE, deleted_at FROM article_tombstones;
INSERT INTO change_seq (id, seq) SELECT 1, coalesce(max(seq), 0) FROM changes;

-- +goose Down
DROP TABLE changes;
DROP TABLE change_seq;

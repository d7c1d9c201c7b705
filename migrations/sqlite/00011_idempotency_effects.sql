-- Idempotency keys that survive a crash. A keyed POST was three commits
-- (claim, write, answer); a process killed between them left the claim
-- "in progress" for a day, sometimes with the article written and its id
-- unknown to the client.
--
-- lease_until: a claim lasts as long as its request may run (the write
-- time limit); a claim still unanswered after that was cut off, and a
-- retry takes it over. Claims made before this migration have 0 and may
-- be taken over at once: the process that held them has stopped.
--
-- idempotency_effects: each write of a keyed request (item 0 of a single
-- create, item i of a batch), committed in the same transaction as the
-- article it made or replaced. A retry that takes a claim over finds what
-- was committed, answers with it and writes only the rest; the primary key
-- lets only one of two runs of the same request commit an item.

-- +goose Up
ALTER TABLE idempotency_keys ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
CREATE TABLE idempotency_effects (
    principal  TEXT    NOT NULL, -- as in idempotency_keys
    key        TEXT    NOT NULL,
    item       INTEGER NOT NULL, -- 0 for a single create, the index in a batch
    article_id INTEGER NOT NULL, -- the article made or replaced (no foreign key: a delete keeps the record)
    created    INTEGER NOT NULL, -- 1 created, 0 replaced
    created_at INTEGER NOT NULL, -- forgotten with the keys, after a day
    PRIMARY KEY (principal, key, item)
) WITHOUT ROWID;
CREATE INDEX idempotency_effects_created ON idempotency_effects (created_at);

-- +goose Down
DROP TABLE idempotency_effects;
ALTER TABLE idempotency_keys DROP COLUMN lease_until;

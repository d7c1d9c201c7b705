-- Webhooks: receivers that the change feed is pushed to. Each webhook
-- walks the feed from its own position (the seq of the last change it
-- has dealt with) and moves it on only after its receiver answered 2xx,
-- so deliveries are at least once and in the feed's order, across
-- restarts. lease_owner and lease_until say which instance delivers it
-- now: another takes it over once the lease has run out.
--
-- events: comma-separated event types; filter: a list query string
-- (country=RU&theme=sanctions); times in microseconds since 1970.
-- failures counts the failed attempts at the event now due, since
-- failing_since; paused_reason says why a paused webhook stopped.
-- previous_secret signs deliveries beside secret until previous_until,
-- after a rotation, so that receivers can change secrets losing nothing.
-- due_seq, due_event and due_article are the change being delivered,
-- its event and its article, noted before the first attempt at a
-- publication, so that every retry, after a crash too, sends the same
-- event under the same webhook-id, and a later change of the article
-- that the receiver has not yet taken is still its publication.
--
-- webhook_articles holds, per webhook, the articles its receiver has
-- been told of (or held when it was created): what an article.deleted
-- is owed for, and whether an article's event is its publication or an
-- update. webhook_deliveries keeps the latest attempts, for people.

-- +goose Up
CREATE TABLE webhooks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    url             TEXT    NOT NULL,
    events          TEXT    NOT NULL,
    filter          TEXT    NOT NULL DEFAULT '',
    description     TEXT    NOT NULL DEFAULT '',
    secret          TEXT    NOT NULL,
    previous_secret TEXT    NOT NULL DEFAULT '',
    previous_until  INTEGER NOT NULL DEFAULT 0,
    position        INTEGER NOT NULL,
    paused          BOOLEAN NOT NULL DEFAULT FALSE,
    paused_reason   TEXT    NOT NULL DEFAULT '',
    failures        INTEGER NOT NULL DEFAULT 0,
    due_seq         INTEGER NOT NULL DEFAULT 0,
    due_event       TEXT    NOT NULL DEFAULT '',
    due_article     INTEGER NOT NULL DEFAULT 0,
    failing_since   INTEGER,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_success_at INTEGER,
    last_failure_at INTEGER,
    last_error      TEXT    NOT NULL DEFAULT '',
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE webhook_articles (
    webhook_id INTEGER NOT NULL,
    article_id INTEGER NOT NULL,
    PRIMARY KEY (webhook_id, article_id)
) WITHOUT ROWID;

CREATE TABLE webhook_deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id   INTEGER NOT NULL,
    message_id   TEXT    NOT NULL,
    event        TEXT    NOT NULL,
    seq          INTEGER NOT NULL DEFAULT 0,
    attempt      INTEGER NOT NULL DEFAULT 1,
    attempted_at INTEGER NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT '',
    duration_us  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_articles;
DROP TABLE webhooks;

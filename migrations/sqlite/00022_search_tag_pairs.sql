-- The full-text index gains a fourth column, tags, which holds a token
-- for each country and theme pair of the article: p, the country code,
-- x, the theme's slug with its hyphens written as x (RU and sanctions:
-- "pruxsanctions"; the tokenizer lower-cases and stems it, the same way
-- at both ends). A search filtered by a country and a theme asks the
-- index for the pair beside its words, so that the walk in date order
-- (see internal/store/search.go) seeks only the articles that carry
-- both, not every match: the phrase "food aid" with RU and sanctions
-- read 250 matches for a page of 21, each a seek into articles and a
-- test of its tags. Measured at a million generated articles, one
-- connection, the statement of the walk (medians of 5 × 300):
--
--   "food aid"        with RU and sanctions   141 → 95 µs
--   sanctions talks   with RU and sanctions   107 → 100 µs
--   sanctions         with RU and sanctions    78 → 72 µs
--   the words kept to the text columns, without the pair:  +5–7%
--
-- The tokens only narrow the walk: every match is still checked against
-- the article's own tags, so a token shared by two pairs (a slug with x
-- where another has a hyphen) costs a seek, not a wrong answer. Words a
-- client searches are asked in title, summary and body alone, so no
-- word finds a tag token.
--
-- The index is written again, in key order and merged into one segment,
-- as 00021 left it: 14 s at a million articles (847 → 894 MB). The
-- update trigger now also follows countries and themes, and runs only
-- when one of the columns it reads changed: every write of an article
-- names them all (sqlUpdateMeta, the write that keeps the text, names
-- the tags), and writing a row again costs the index a delete and an
-- insert.

-- +goose Up
DROP TRIGGER articles_fts_update;
DROP TRIGGER articles_fts_delete;
DROP TRIGGER articles_fts_insert;
DROP TABLE articles_fts;

CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body, tags,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

INSERT INTO articles_fts (rowid, title, summary, body, tags)
SELECT (5259491999 - (min(max(a.published_at, -62167219200000000), 253402300799999999) + 62167219200000000) / 60000000) << 30 | a.id,
    a.title, a.summary, a.body,
    (SELECT coalesce(group_concat('p' || c.value || 'x' || replace(t.value, '-', 'x'), ' '), '')
            FROM json_each(CASE a.countries WHEN '' THEN '[]' ELSE '["' || replace(a.countries, ',', '","') || '"]' END) c, json_each(CASE a.themes WHEN '' THEN '[]' ELSE '["' || replace(a.themes, ',', '","') || '"]' END) t)
FROM articles a ORDER BY 1;
INSERT INTO articles_fts (articles_fts) VALUES ('optimize');

-- +goose StatementBegin
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    SELECT RAISE(ABORT, 'article ids above 1073741823 do not fit the search index') WHERE new.id > 1073741823;
    INSERT INTO articles_fts (rowid, title, summary, body, tags) VALUES (
        (5259491999 - (min(max(new.published_at, -62167219200000000), 253402300799999999) + 62167219200000000) / 60000000) << 30 | new.id,
        new.title, new.summary, new.body,
        (SELECT coalesce(group_concat('p' || c.value || 'x' || replace(t.value, '-', 'x'), ' '), '')
            FROM json_each(CASE new.countries WHEN '' THEN '[]' ELSE '["' || replace(new.countries, ',', '","') || '"]' END) c, json_each(CASE new.themes WHEN '' THEN '[]' ELSE '["' || replace(new.themes, ',', '","') || '"]' END) t));
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid =
        (5259491999 - (min(max(old.published_at, -62167219200000000), 253402300799999999) + 62167219200000000) / 60000000) << 30 | old.id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, body, published_at, countries, themes ON articles
WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary OR old.body IS NOT new.body
    OR old.published_at IS NOT new.published_at OR old.countries IS NOT new.countries OR old.themes IS NOT new.themes
BEGIN
    DELETE FROM articles_fts WHERE rowid =
        (5259491999 - (min(max(old.published_at, -62167219200000000), 253402300799999999) + 62167219200000000) / 60000000) << 30 | old.id;
    INSERT INTO articles_fts (rowid, title, summary, body, tags) VALUES (
        (5259491999 - (min(max(new.published_at, -62167219200000000), 253402300799999999) + 62167219200000000) / 60000000) << 30 | new.id,
        new.title, new.summary, new.body,
        (SELECT coalesce(group_concat('p' || c.value || 'x' || replace(t.value, '-', 'x'), ' '), '')
            FROM json_each(CASE new.countries WHEN '' THEN '[]' ELSE '["' || replace(new.countries, ',', '","') || '"]' END) c, json_each(CASE new.themes WHEN '' THEN '[]' ELSE '["' || replace(new.themes, ',', '","') || '"]' END) t));
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER articles_fts_update;
DROP TRIGGER articles_fts_delete;
DROP TRIGGER articles_fts_insert;
DROP TABLE articles_fts;

CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

INSERT INTO articles_fts (rowid, title, summary, body)
SELECT (5259491999 - (min(max(published_at, -62167219200000000), 253402300799999999) + 62167219200000000) / 60000000) << 30 | id,
    title, summary, body
FROM articles ORDER BY 1;
INSERT INTO articles_fts (articles_fts) VALUES ('optimize');

-- +goose StatementBegin
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    SELECT RAISE(ABORT, 'article ids above 1073741823 do not fit the search index') WHERE new.id > 1073741823;
    INSERT INTO articles_fts (rowid, title, summary, body) VALUES (
        (5259491999 - (min(max(new.published_at, -62167219200000000), 253402300799999999) + 62167219200000000) / 60000000) << 30 | new.id,
        new.title, new.summary, new.body);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid =
        (5259491999 - (min(max(old.published_at, -62167219200000000), 253402300799999999) + 62167219200000000) / 60000000) << 30 | old.id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, body, published_at ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid =
        (5259491999 - (min(max(old.published_at, -62167219200000000), 253402300799999999) + 62167219200000000) / 60000000) << 30 | old.id;
    INSERT INTO articles_fts (rowid, title, summary, body) VALUES (
        (5259491999 - (min(max(new.published_at, -62167219200000000), 253402300799999999) + 62167219200000000) / 60000000) << 30 | new.id,
        new.title, new.summary, new.body);
END;
-- +goose StatementEnd

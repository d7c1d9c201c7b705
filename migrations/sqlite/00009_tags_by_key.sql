-- An article's country and theme rows are found by their own key, as its
-- pairs are (00007): the article's countries, themes and published_at
-- columns give (tag, published_at, article_id) for each. So the tag tables
-- lose their index on article_id and their foreign key to articles; the
-- store deletes an article's tag rows itself, before the article changes.
-- Those two indexes held 3,500,000 entries at a million articles.
--
-- Facets of one country and one theme, the hot path, are read from
-- article_tagsets: how many published articles of that pair carry each
-- tag set, kept by triggers on article_pairs. It replaces the index that
-- grouped a pair's rows by tag set (3,000,000 entries, 142 MB and 7 s of
-- an import at a million articles); a facet count is a few thousand rows
-- instead of a walk of every article of the pair. Rows whose n fell to
-- zero are kept for the next article of that tag set.
--
-- changes.seq becomes the table's rowid (INTEGER PRIMARY KEY): as BIGINT
-- it had an index of its own beside the table.

-- +goose Up
CREATE TABLE article_countries_new (
    country      TEXT    NOT NULL REFERENCES countries (code),
    published_at INTEGER NOT NULL,
    article_id   INTEGER NOT NULL,
    PRIMARY KEY (country, published_at, article_id)
) WITHOUT ROWID;
INSERT INTO article_countries_new (country, published_at, article_id)
SELECT country, published_at, article_id FROM article_countries ORDER BY 1, 2, 3;
DROP TABLE article_countries;
ALTER TABLE article_countries_new RENAME TO article_countries;

CREATE TABLE article_themes_new (
    theme        TEXT    NOT NULL REFERENCES themes (slug) ON UPDATE CASCADE,
    published_at INTEGER NOT NULL,
    article_id   INTEGER NOT NULL,
    PRIMARY KEY (theme, published_at, article_id)
) WITHOUT ROWID;
INSERT INTO article_themes_new (theme, published_at, article_id)
SELECT theme, published_at, article_id FROM article_themes ORDER BY 1, 2, 3;
DROP TABLE article_themes;
ALTER TABLE article_themes_new RENAME TO article_themes;

DROP INDEX article_pairs_tagsets;
CREATE TABLE article_tagsets (
    country   TEXT    NOT NULL,
    theme     TEXT    NOT NULL,
    countries TEXT    NOT NULL,
    themes    TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (country, theme, countries, themes)
) WITHOUT ROWID;
INSERT INTO article_tagsets (country, theme, countries, themes, n)
SELECT country, theme, countries, themes, count(*) FROM article_pairs GROUP BY 1, 2, 3, 4;

-- +goose StatementBegin
CREATE TRIGGER article_tagsets_insert AFTER INSERT ON article_pairs BEGIN
    INSERT INTO article_tagsets (country, theme, countries, themes, n)
    VALUES (new.country, new.theme, new.countries, new.themes, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER article_tagsets_delete AFTER DELETE ON article_pairs BEGIN
    UPDATE article_tagsets SET n = n - 1
    WHERE country = old.country AND theme = old.theme AND countries = old.countries AND themes = old.themes;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER article_tagsets_update AFTER UPDATE ON article_pairs BEGIN
    UPDATE article_tagsets SET n = n - 1
    WHERE country = old.country AND theme = old.theme AND countries = old.countries AND themes = old.themes;
    INSERT INTO article_tagsets (country, theme, countries, themes, n)
    VALUES (new.country, new.theme, new.countries, new.themes, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

CREATE TABLE changes_new (
    seq        INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL UNIQUE,
    deleted    BOOLEAN NOT NULL DEFAULT FALSE,
    changed_at INTEGER NOT NULL
);
INSERT INTO changes_new (seq, article_id, deleted, changed_at)
SELECT seq, article_id, deleted, changed_at FROM changes ORDER BY seq;
DROP TABLE changes;
ALTER TABLE changes_new RENAME TO changes;

ANALYZE article_countries;
ANALYZE article_themes;
ANALYZE article_pairs;
ANALYZE article_tagsets;

-- +goose Down
DROP TRIGGER article_tagsets_update;
DROP TRIGGER article_tagsets_delete;
DROP TRIGGER article_tagsets_insert;
DROP TABLE article_tagsets;
CREATE INDEX article_pairs_tagsets ON article_pairs (country, theme, countries, themes);

CREATE TABLE changes_old (
    seq        BIGINT  PRIMARY KEY,
    article_id BIGINT  NOT NULL UNIQUE,
    deleted    BOOLEAN NOT NULL DEFAULT FALSE,
    changed_at BIGINT  NOT NULL
);
INSERT INTO changes_old (seq, article_id, deleted, changed_at)
SELECT seq, article_id, deleted, changed_at FROM changes ORDER BY seq;
DROP TABLE changes;
ALTER TABLE changes_old RENAME TO changes;

CREATE TABLE article_countries_old (
    country      TEXT    NOT NULL REFERENCES countries (code),
    published_at INTEGER NOT NULL,
    article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (country, published_at, article_id)
) WITHOUT ROWID;
INSERT INTO article_countries_old (country, published_at, article_id)
SELECT country, published_at, article_id FROM article_countries ORDER BY 1, 2, 3;
DROP TABLE article_countries;
ALTER TABLE article_countries_old RENAME TO article_countries;
CREATE UNIQUE INDEX article_countries_article ON article_countries (article_id, country);

CREATE TABLE article_themes_old (
    theme        TEXT    NOT NULL REFERENCES themes (slug) ON UPDATE CASCADE,
    published_at INTEGER NOT NULL,
    article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (theme, published_at, article_id)
) WITHOUT ROWID;
INSERT INTO article_themes_old (theme, published_at, article_id)
SELECT theme, published_at, article_id FROM article_themes ORDER BY 1, 2, 3;
DROP TABLE article_themes;
ALTER TABLE article_themes_old RENAME TO article_themes;
CREATE UNIQUE INDEX article_themes_article ON article_themes (article_id, theme);

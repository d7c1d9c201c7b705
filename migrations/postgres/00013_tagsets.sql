-- Totals and facets of one country and one theme, the hot path, are read
-- from article_tagsets, as on SQLite since 00009: how many published
-- articles of a pair carry each tag set. Facets add up a few thousand
-- counts per tag, where counting the pair's rows of article_pairs read
-- every article of the pair (at a million articles RU and sanctions has
-- 114,857: a total took 14.5 ms, facets 30 ms).
--
-- 00009 kept this table off PostgreSQL: writers run at once here, and a
-- count changed as each pair is written stays locked until the commit, so
-- batches that touch counts in different orders would deadlock. So a
-- statement on article_pairs only notes its changes, summed per tag set,
-- in article_tagset_changes under its transaction's id (rows no other
-- transaction touches), and the counts change at the commit: a deferred
-- trigger, fired once per transaction by a marker row (country ''),
-- locks change_seq's row, which every write takes anyway as its last
-- statement (00004), and adds the transaction's sums to the counts in key
-- order. One transaction at a time changes counts, after all its
-- statements, and waits for nothing else meanwhile. A rename of a theme
-- that rewrites a million pairs makes a few thousand sums, not a million
-- counter updates.
--
-- Each pair also has a row of its own, with empty tag sets (no pair has an
-- article without countries or themes), that counts all its articles: a
-- total reads that one row rather than add up the pair's tag sets (3,276
-- of them for RU and sanctions). A count that falls to zero goes: nothing reads it,
-- and a rename would leave every tag set of the old slug behind.
--
-- A load into an empty database (internal/store/pgload.go) disables these
-- triggers and writes the counts itself.

-- +goose Up
CREATE TABLE article_tagsets (
    country   TEXT   NOT NULL,
    theme     TEXT   NOT NULL,
    countries TEXT   NOT NULL,
    themes    TEXT   NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (country, theme, countries, themes)
);
INSERT INTO article_tagsets (country, theme, countries, themes, n)
SELECT country, theme, coalesce(countries, ''), coalesce(themes, ''), count(*) FROM article_pairs
GROUP BY GROUPING SETS ((country, theme, countries, themes), (country, theme));

-- What the transactions under way changed, until each commits: empty
-- between transactions.
CREATE TABLE article_tagset_changes (
    txid      BIGINT NOT NULL, -- txid_current() of the transaction
    country   TEXT   NOT NULL, -- '' for the transaction's marker row
    theme     TEXT   NOT NULL,
    countries TEXT   NOT NULL,
    themes    TEXT   NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (txid, country, theme, countries, themes)
);

-- +goose StatementBegin
CREATE FUNCTION article_tagsets_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO article_tagset_changes AS c (txid, country, theme, countries, themes, n)
        SELECT txid_current(), country, theme, coalesce(countries, ''), coalesce(themes, ''), count(*) FROM new_rows
        GROUP BY GROUPING SETS ((country, theme, countries, themes), (country, theme))
        ON CONFLICT (txid, country, theme, countries, themes) DO UPDATE SET n = c.n + excluded.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO article_tagset_changes AS c (txid, country, theme, countries, themes, n)
        SELECT txid_current(), country, theme, coalesce(countries, ''), coalesce(themes, ''), -count(*) FROM old_rows
        GROUP BY GROUPING SETS ((country, theme, countries, themes), (country, theme))
        ON CONFLICT (txid, country, theme, countries, themes) DO UPDATE SET n = c.n + excluded.n;
    ELSE
        INSERT INTO article_tagset_changes AS c (txid, country, theme, countries, themes, n)
        SELECT txid_current(), country, theme, coalesce(countries, ''), coalesce(themes, ''), sum(d) FROM (
            SELECT country, theme, countries, themes, 1 AS d FROM new_rows
            UNION ALL
            SELECT country, theme, countries, themes, -1 FROM old_rows
        ) x GROUP BY GROUPING SETS ((country, theme, countries, themes), (country, theme)) HAVING sum(d) <> 0
        ON CONFLICT (txid, country, theme, countries, themes) DO UPDATE SET n = c.n + excluded.n;
    END IF;
    IF FOUND THEN
        INSERT INTO article_tagset_changes (txid, country, theme, countries, themes, n)
        VALUES (txid_current(), '', '', '', '', 0) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER article_tagsets_insert AFTER INSERT ON article_pairs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION article_tagsets_note();
CREATE TRIGGER article_tagsets_delete AFTER DELETE ON article_pairs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION article_tagsets_note();
CREATE TRIGGER article_tagsets_update AFTER UPDATE ON article_pairs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION article_tagsets_note();

-- +goose StatementBegin
CREATE FUNCTION article_tagsets_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone_c TEXT[];
    gone_t TEXT[];
    gone_cs TEXT[];
    gone_ts TEXT[];
BEGIN
    PERFORM 1 FROM change_seq WHERE id = 1 FOR UPDATE;
    WITH d AS (
        DELETE FROM article_tagset_changes WHERE txid = NEW.txid
        RETURNING country, theme, countries, themes, n
    ), u AS (
        INSERT INTO article_tagsets AS t (country, theme, countries, themes, n)
        SELECT country, theme, countries, themes, n FROM d WHERE country <> '' AND n <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (country, theme, countries, themes) DO UPDATE SET n = t.n + excluded.n
        RETURNING country, theme, countries, themes, n
    )
    SELECT array_agg(country), array_agg(theme), array_agg(countries), array_agg(themes)
    INTO gone_c, gone_t, gone_cs, gone_ts FROM u WHERE n = 0;
    IF gone_c IS NOT NULL THEN
        DELETE FROM article_tagsets t USING unnest(gone_c, gone_t, gone_cs, gone_ts) AS g(country, theme, countries, themes)
        WHERE t.country = g.country AND t.theme = g.theme AND t.countries = g.countries AND t.themes = g.themes AND t.n = 0;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER article_tagsets_apply AFTER INSERT ON article_tagset_changes
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.country = '') EXECUTE FUNCTION article_tagsets_apply();

ANALYZE article_tagsets;

-- +goose Down
DROP TRIGGER article_tagsets_apply ON article_tagset_changes;
DROP TRIGGER article_tagsets_update ON article_pairs;
DROP TRIGGER article_tagsets_delete ON article_pairs;
DROP TRIGGER article_tagsets_insert ON article_pairs;
DROP FUNCTION article_tagsets_apply();
DROP FUNCTION article_tagsets_note();
DROP TABLE article_tagset_changes;
DROP TABLE article_tagsets;

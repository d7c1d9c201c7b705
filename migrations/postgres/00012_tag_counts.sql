-- The article counts of countries and themes, kept as a table: tag_counts
-- holds, per country code and per theme slug, how many published articles
-- carry it. Counting them at each read (the tag rows less the drafts'
-- tags, 00008) took tens of milliseconds at a million articles; reading
-- this table takes well under one.
--
-- On SQLite, triggers on articles update tag_counts' rows at once. Here,
-- where writers run at once, a write would then hold the row of each of
-- its tags (KP's is in most articles) from its article's write to its
-- commit, and two transactions that took rows in different orders would
-- deadlock (as 00009 says of article_tagsets). So the triggers on articles
-- only note, in tag_count_changes, the tags each write takes away and
-- adds (as text lists like the articles' own; an update lists only the
-- tags that differ, so that a theme's rename notes two per article), and
-- each transaction folds its notes into tag_counts as it commits: a
-- deferred constraint trigger, queued by its first note (first, which a
-- setting local to the transaction tells), adds them up in one statement,
-- in key order. Every transaction so takes tag_counts' rows in the same
-- order, at its very end, where writers of articles already wait for one
-- another on change_seq's row (see recordChange); tag_counts is exact at
-- every commit, and reads need nothing else.
--
-- A transaction finds its notes through tag_count_changes_xid, never by
-- a scan: deleted at each commit, the notes leave dead rows until a
-- vacuum, which a scan on every write would read again (a table of 2,942
-- pages of dead rows took 100 ms to scan).
--
-- A row whose n fell to zero is kept.

-- +goose Up
CREATE TABLE tag_counts (
    kind TEXT    NOT NULL CHECK (kind IN ('country', 'theme')),
    tag  TEXT    NOT NULL, -- a country code or a theme slug
    n    INTEGER NOT NULL, -- published articles that carry it
    PRIMARY KEY (kind, tag)
);

-- No key: several notes of one transaction may be alike.
CREATE TABLE tag_count_changes (
    xid               BIGINT  NOT NULL DEFAULT txid_current(), -- the transaction that wrote the note
    first             BOOLEAN NOT NULL DEFAULT FALSE,          -- its first note since its last fold
    removed_countries TEXT    NOT NULL DEFAULT '',             -- comma-separated, as articles.countries
    removed_themes    TEXT    NOT NULL DEFAULT '',
    added_countries   TEXT    NOT NULL DEFAULT '',
    added_themes      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX tag_count_changes_xid ON tag_count_changes (xid);

-- +goose StatementBegin
CREATE FUNCTION tag_count_changes_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    oc text[] := '{}';
    ot text[] := '{}';
    nc text[] := '{}';
    nt text[] := '{}';
    first boolean := current_setting('headlines.tag_counts', true) IS DISTINCT FROM 'noted';
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status = 'published' THEN
        oc := string_to_array(OLD.countries, ',');
        ot := string_to_array(OLD.themes, ',');
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'published' THEN
        nc := string_to_array(NEW.countries, ',');
        nt := string_to_array(NEW.themes, ',');
    END IF;
    IF first THEN
        PERFORM set_config('headlines.tag_counts', 'noted', true);
    END IF;
    INSERT INTO tag_count_changes (first, removed_countries, removed_themes, added_countries, added_themes) VALUES (first,
        array_to_string(ARRAY(SELECT x FROM unnest(oc) x WHERE x <> ALL (nc)), ','),
        array_to_string(ARRAY(SELECT x FROM unnest(ot) x WHERE x <> ALL (nt)), ','),
        array_to_string(ARRAY(SELECT x FROM unnest(nc) x WHERE x <> ALL (oc)), ','),
        array_to_string(ARRAY(SELECT x FROM unnest(nt) x WHERE x <> ALL (ot)), ','));
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER tag_counts_insert AFTER INSERT ON articles FOR EACH ROW
WHEN (NEW.status = 'published' AND (NEW.countries <> '' OR NEW.themes <> ''))
EXECUTE FUNCTION tag_count_changes_write();

CREATE TRIGGER tag_counts_delete AFTER DELETE ON articles FOR EACH ROW
WHEN (OLD.status = 'published' AND (OLD.countries <> '' OR OLD.themes <> ''))
EXECUTE FUNCTION tag_count_changes_write();

CREATE TRIGGER tag_counts_update AFTER UPDATE OF status, countries, themes ON articles FOR EACH ROW
WHEN ((OLD.status = 'published' OR NEW.status = 'published')
    AND (OLD.status <> NEW.status OR OLD.countries <> NEW.countries OR OLD.themes <> NEW.themes))
EXECUTE FUNCTION tag_count_changes_write();

-- +goose StatementBegin
CREATE FUNCTION tag_counts_fold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Notes written after this fold (SET CONSTRAINTS … IMMEDIATE) queue another.
    PERFORM set_config('headlines.tag_counts', '', true);
    WITH d AS (DELETE FROM tag_count_changes WHERE xid = txid_current() RETURNING *),
    t AS (
        SELECT 'country' AS kind, x AS tag, -1 AS n FROM d, unnest(string_to_array(d.removed_countries, ',')) x
        UNION ALL
        SELECT 'theme', x, -1 FROM d, unnest(string_to_array(d.removed_themes, ',')) x
        UNION ALL
        SELECT 'country', x, 1 FROM d, unnest(string_to_array(d.added_countries, ',')) x
        UNION ALL
        SELECT 'theme', x, 1 FROM d, unnest(string_to_array(d.added_themes, ',')) x
    )
    INSERT INTO tag_counts (kind, tag, n)
    SELECT kind, tag, sum(n) FROM t GROUP BY kind, tag HAVING sum(n) <> 0 ORDER BY kind, tag
    ON CONFLICT (kind, tag) DO UPDATE SET n = tag_counts.n + excluded.n;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER tag_counts_fold AFTER INSERT ON tag_count_changes
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.first) EXECUTE FUNCTION tag_counts_fold();

-- What the articles hold already: each tag's rows less the drafts' tags,
-- as the counts were read before. The triggers above made writers of
-- articles wait for this migration's commit.
INSERT INTO tag_counts (kind, tag, n)
SELECT 'country', key, sum(n) FROM (
    SELECT country AS key, count(*) AS n FROM article_countries GROUP BY country
    UNION ALL
    SELECT j.value, -count(*) FROM articles a CROSS JOIN unnest(string_to_array(a.countries, ',')) AS j(value)
    WHERE a.status = 'draft' AND a.countries <> '' GROUP BY j.value
) c GROUP BY key HAVING sum(n) <> 0
UNION ALL
SELECT 'theme', key, sum(n) FROM (
    SELECT theme AS key, count(*) AS n FROM article_themes GROUP BY theme
    UNION ALL
    SELECT j.value, -count(*) FROM articles a CROSS JOIN unnest(string_to_array(a.themes, ',')) AS j(value)
    WHERE a.status = 'draft' AND a.themes <> '' GROUP BY j.value
) t GROUP BY key HAVING sum(n) <> 0;

-- +goose Down
DROP TRIGGER tag_counts_update ON articles;
DROP TRIGGER tag_counts_delete ON articles;
DROP TRIGGER tag_counts_insert ON articles;
DROP TABLE tag_count_changes;
DROP FUNCTION tag_counts_fold();
DROP FUNCTION tag_count_changes_write();
DROP TABLE tag_counts;

-- The article counts of countries and themes, kept as a table: tag_counts
-- holds, per country code and per theme slug, how many published articles
-- carry it. Counting them at each read (the tag rows less the drafts'
-- tags, 00008) took tens of milliseconds at a million articles; reading
-- this table takes well under one.
--
-- On SQLite, triggers on articles update tag_counts' rows at once. Here,
-- where writers run at once, a write would then hold the row of each of
-- its tags (KP's is in most articles) from its article's write to its
-- commit, and two batches that took rows in different orders would
-- deadlock (as 00009 says of article_tagsets). So the triggers on
-- articles only append to tag_count_changes, which no one locks: the
-- tags a write takes away (n = -1) and adds (n = 1), as text lists like
-- the articles' own; an update lists only the tags that differ, so that a
-- theme's rename writes two tags per article. The counts are then
-- tag_counts plus what tag_count_changes holds.
--
-- Every write transaction bumps change_seq as it ends (see recordChange),
-- and a trigger on that row folds tag_count_changes into tag_counts there:
-- whoever holds change_seq's row lock is the only one that writes
-- tag_counts, so its row locks are taken one transaction at a time and
-- cannot deadlock, and tag_count_changes stays as small as the writes in
-- flight. A change not yet folded (written after its transaction's last
-- bump) is still counted by reads, and folded by the next bump.
--
-- A row whose n fell to zero is kept.

-- +goose Up
CREATE TABLE tag_counts (
    kind TEXT    NOT NULL CHECK (kind IN ('country', 'theme')),
    tag  TEXT    NOT NULL, -- a country code or a theme slug
    n    INTEGER NOT NULL, -- published articles that carry it
    PRIMARY KEY (kind, tag)
);

-- No key: rows are only appended, then deleted all at once by the fold.
CREATE TABLE tag_count_changes (
    countries TEXT    NOT NULL, -- comma-separated, as articles.countries
    themes    TEXT    NOT NULL,
    n         INTEGER NOT NULL  -- -1 taken away, 1 added
);

-- +goose StatementBegin
CREATE FUNCTION tag_count_changes_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    oc text[] := '{}';
    ot text[] := '{}';
    nc text[] := '{}';
    nt text[] := '{}';
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tag_count_changes (countries, themes, n) VALUES (NEW.countries, NEW.themes, 1);
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO tag_count_changes (countries, themes, n) VALUES (OLD.countries, OLD.themes, -1);
        RETURN NULL;
    END IF;
    IF OLD.status = 'published' THEN
        oc := string_to_array(OLD.countries, ',');
        ot := string_to_array(OLD.themes, ',');
    END IF;
    IF NEW.status = 'published' THEN
        nc := string_to_array(NEW.countries, ',');
        nt := string_to_array(NEW.themes, ',');
    END IF;
    INSERT INTO tag_count_changes (countries, themes, n)
    SELECT array_to_string(c, ','), array_to_string(t, ','), d FROM (VALUES
        (ARRAY(SELECT unnest(oc) EXCEPT SELECT unnest(nc)), ARRAY(SELECT unnest(ot) EXCEPT SELECT unnest(nt)), -1),
        (ARRAY(SELECT unnest(nc) EXCEPT SELECT unnest(oc)), ARRAY(SELECT unnest(nt) EXCEPT SELECT unnest(ot)), 1)
    ) v(c, t, d)
    WHERE cardinality(c) > 0 OR cardinality(t) > 0;
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
    WITH d AS (DELETE FROM tag_count_changes RETURNING countries, themes, n),
    t AS (
        SELECT 'country' AS kind, c.tag, sum(d.n) AS n FROM d, unnest(string_to_array(d.countries, ',')) c(tag) GROUP BY c.tag
        UNION ALL
        SELECT 'theme', t.tag, sum(d.n) FROM d, unnest(string_to_array(d.themes, ',')) t(tag) GROUP BY t.tag
    )
    INSERT INTO tag_counts (kind, tag, n) SELECT kind, tag, n FROM t WHERE n <> 0
    ON CONFLICT (kind, tag) DO UPDATE SET n = tag_counts.n + excluded.n;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER tag_counts_fold AFTER UPDATE ON change_seq FOR EACH ROW EXECUTE FUNCTION tag_counts_fold();

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
DROP TRIGGER tag_counts_fold ON change_seq;
DROP FUNCTION tag_counts_fold();
DROP TRIGGER tag_counts_update ON articles;
DROP TRIGGER tag_counts_delete ON articles;
DROP TRIGGER tag_counts_insert ON articles;
DROP FUNCTION tag_count_changes_write();
DROP TABLE tag_count_changes;
DROP TABLE tag_counts;

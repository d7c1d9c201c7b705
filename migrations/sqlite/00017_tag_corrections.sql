-- The desk's corrections of the automatic tagger. When an editor sets a
-- tag list that the tagger had filled (a PUT or a PATCH that gives
-- countries or themes of an article whose list was automatic), the
-- tagger's list and the editor's are recorded with the text the tagger
-- saw. `headlines tagger report` measures the tagger against them: a tag
-- in both lists is one it got right, one only in its list one the editor
-- removed, one only in the editor's one it missed.
--
-- kind: country or theme; auto, editor: sorted, comma-separated lists, as
-- articles.countries and articles.themes hold them. No foreign key: a
-- deleted article's correction still says what the tagger got wrong.

-- +goose Up
CREATE TABLE tag_corrections (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('country', 'theme')),
    auto       TEXT    NOT NULL,
    editor     TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    summary    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX tag_corrections_created ON tag_corrections (created_at);

-- +goose Down
DROP TABLE tag_corrections;

-- The drafts, as a small index of their own. The article counts of
-- countries and themes are of published articles: each is now the tag's
-- rows, counted along the tag table's key, less those of drafts, found
-- through this index. Joining every tag row to its article for its status
-- took 4.0 s for the countries and 2.7 s for the themes at a million
-- articles; counting the tag rows alone takes under 0.1 s.

-- +goose Up
CREATE INDEX articles_drafts ON articles (id) WHERE status = 'draft';

-- +goose Down
DROP INDEX articles_drafts;

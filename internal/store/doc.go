// Package store keeps articles and the vocabularies in SQLite or
// PostgreSQL through GORM.
// It implements the news services, translates database errors into news
// errors, and runs the embedded migrations. GORM types never leave it.
//
// # Models and schema
//
// models.go declares a GORM model for every table: articles, their tag
// rows (article_countries, article_themes, article_pairs, article_tagsets
// and, on PostgreSQL, article_tagset_changes), the article counts per tag
// (tag_counts and, on PostgreSQL, tag_count_changes), countries, themes,
// article_tombstones, api_keys, idempotency_keys, idempotency_effects,
// changes and change_seq. The schema itself is the versioned SQL in
// migrations/ (never AutoMigrate); TestModelsMatchSchema migrates a fresh
// database of each kind and fails when a model and its table differ in a
// column, its type, nullability or default, the primary key or a unique
// column, or when a table has no model. Rows are the store's own types: each model converts to and from
// the news type it holds (toArticle, newArticleModel, toKey).
//
// # Through GORM's API on the models
//
//   - Reading one article; creating, replacing, patching and deleting one,
//     with its tag rows, its tombstone and its change entry (articles.go,
//     tags.go, changes.go). A write returns the row it wrote rather than
//     reading it back. An article's tag rows are one INSERT per table, and
//     are deleted by their primary keys from the stored row
//     (TestTagDeletesUseTheKey).
//   - API keys: create, list, revoke, authenticate (keys.go).
//   - Idempotency claims, answers and the records of keyed writes
//     (idempotency.go); the change feed and the counter (changes.go);
//     Retag's batches and EachArticle's (retag.go, articles.go).
//   - The vocabulary's rows: countries and themes, read for the snapshot
//     and written one at a time (vocabulary.go, snapshot.go).
//
// On SQLite the writer's INSERTs read a new row's id from the connection
// instead of the RETURNING that GORM's SQLite dialect would add: with the
// full-text trigger on articles, an INSERT … RETURNING took 87–97 µs of
// CPU against 30–43 µs (see openWriter). On PostgreSQL, SELECTs through a
// model name their columns, so its generated search vector is never read
// (see gormConfig).
//
// # SQL kept, and why
//
//   - Lists (list.go): one statement per request, built from the filter
//     with each dialect's pieces (the pair table, full-text search, keyset
//     cursors, SQLite's "= +?"), whose plans TestListQueryPlans* hold to
//     index range scans, scanned by hand into articleRow (on SQLite
//     straight from the driver, see driverRows). Scanning a page
//     of 20 through GORM's Find took 160–186 µs of CPU against 124–146 µs
//     by hand (BenchmarkPageScan, on a loaded 2-core machine); page 1 of a
//     country and a theme serves 5,550 requests a second at a million
//     articles (docs/performance.md).
//   - Imports and restores (upsert.go, batchtags.go, bulk.go, restore.go,
//     merge.go): batches of drafts on a database/sql transaction of their
//     own, through prepared statements (bulkStatements), each tag table's
//     rows many to a statement in key order. A GORM Create of an article
//     cost 30–43 µs of CPU against 17–24 µs for the same INSERT through
//     database/sql, and a batch writes each article's tag rows and pairs
//     too.
//   - The load into an empty SQLite database (load.go, loadtags.go):
//     articles many to a statement, the indexes and the full-text index
//     built once at the end; a million articles in about 17 s
//     (docs/performance.md). On PostgreSQL (pgload.go) it copies the
//     rows in with COPY and builds the indexes and keys from the
//     database's own definitions of them.
//   - Each article's list JSON on SQLite (listjson.go): a list page and a
//     search walk select the id, the date and articles.list_json, and a
//     background writer fills the column with one UPDATE per row. Page 1
//     of a country and a theme at a million articles, one server core:
//     8,385 → 11,825 req/s (docs/performance.md).
//   - The export (dump.go) streams every article and tombstone with its
//     change entry from one read transaction, scanned by hand as lists are.
//   - Set-based writes of many articles: a theme's rename (vocabulary.go)
//     and its change entries (recordChanges).
//   - The group commit (group.go) runs the concurrent single writes of
//     an instance in one transaction, each in its own savepoint, through
//     GORM's Transaction, SavePoint and RollbackTo, and RELEASE SAVEPOINT
//     as SQL. Sharing commits took 32 writers on SQLite from 600–660 to
//     1,900 creates a second at 100,000 articles (17 writes per commit
//     against 1.15). On PostgreSQL a batch takes an advisory lock the
//     instances share, runs without savepoints unless one of its writes
//     fails, and writes its change entries in one statement at its end
//     (pendingChanges.record: an UPDATE feeding an INSERT).
//   - A create on PostgreSQL (pgInsert) writes the article and its tag
//     rows in one statement, where GORM wrote four: a batch's writes wait
//     for one another's round trips. With the group commit, 32 writers
//     went from 274 to 813 creates a second, and beside 32 readers from
//     158 to 330 (docs/performance.md). The creates next to one another
//     in a batch go to the server together, in one round trip, through
//     the batch's pgx connection (sendPiped): GORM sends one statement at
//     a time.
//   - Counts and facets, which read the tag tables along their keys, and
//     the vocabulary's article counts, read from tag_counts, which
//     triggers keep, or counted afresh after a load (recountTags;
//     TestTagCountPlans, TestTagCountsStayExact); and what only SQL says:
//     pragmas, EXPLAIN, VACUUM, advisory locks.
package store

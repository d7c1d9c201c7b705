// Package migrations holds the versioned, append-only SQL schema of each
// database dialect, embedded in the binary. Files are named NNNNN_name.sql
// and run by goose in order; a landed file is never edited. The two
// dialects keep the same numbers and the same schema, but where a file
// says why not (00009, 00010, 00021 and 00022 change SQLite only; 00012 gives
// PostgreSQL a table of its own, tag_count_changes; 00013 changes
// PostgreSQL only).
package migrations

import "embed"

// SQLite is the migration set for SQLite, rooted at the sqlite/ folder.
//
//go:embed sqlite/*.sql
var SQLite embed.FS

// Postgres is the migration set for PostgreSQL, rooted at the postgres/ folder.
//
//go:embed postgres/*.sql
var Postgres embed.FS

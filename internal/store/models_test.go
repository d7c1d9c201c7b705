package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	gschema "gorm.io/gorm/schema"

	"github.com/headlines/headlines/internal/store/storetest"
)

// models lists every model, for the tests that hold them to the schema.
var models = []gschema.Tabler{
	countryModel{}, themeModel{}, articleModel{}, articleCountryModel{}, articleThemeModel{},
	articlePairModel{}, articleTagsetModel{}, articleTagsetChangeModel{}, tagCountModel{}, tagCountChangeModel{},
	tombstoneModel{}, apiKeyModel{}, idempotencyKeyModel{}, idempotencyEffectModel{}, changeModel{}, changeSeqModel{},
	tagCorrectionModel{}, webhookModel{}, webhookArticleModel{}, webhookDeliveryModel{},
}

// only are the tables that only one kind of database has, by kind.
var only = map[string]string{"article_tagset_changes": "postgres", "tag_count_changes": "postgres"}

// unmodelled are the columns that no model holds, with the reason.
var unmodelled = map[string]map[string]string{
	"postgres": {"articles.search": "a generated tsvector that lists search, never written nor read whole"},
}

// column is what the test compares of one column: its kind of type (int,
// string, bool or bytes), whether it is NOT NULL, its default as written
// (quotes and casts stripped, lower case; "" when none) and whether the
// database numbers it.
type column struct {
	Kind    string
	NotNull bool
	Default string
	AutoInc bool
}

// table is a table's columns, its primary key in key order and its
// columns that are unique on their own.
type table struct {
	Columns map[string]column
	Key     []string
	Unique  []string
}

// TestModelsMatchSchema holds every GORM model to the migrated schema, on
// each database: each model's table exists with the same column names,
// kinds of type, nullability, defaults, primary key (in key order),
// numbering and one-column unique constraints, and every table of the
// schema has a model. A column added by a migration without its field, or
// a field without its column, fails it.
func TestModelsMatchSchema(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, kind string) {
		t.Parallel()
		s, _ := newStore(t, kind)
		var got map[string]table
		var err error
		if kind == "sqlite" {
			got, err = sqliteTables(s.DB())
		} else {
			got, err = postgresTables(s.DB())
		}
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, m := range models {
			want := modelTable(t, m)
			name := m.TableName()
			seen[name] = true
			have, ok := got[name]
			switch {
			case !ok && only[name] != "" && only[name] != kind:
				continue
			case ok && only[name] != "" && only[name] != kind:
				t.Errorf("model %T: table %s is listed as %s only, but the %s schema has it", m, name, only[name], kind)
			case !ok:
				t.Errorf("model %T: no table %s in the migrated schema", m, name)
				continue
			}
			for col, why := range unmodelled[kind] {
				if tbl, c, _ := strings.Cut(col, "."); tbl == name {
					if _, ok := have.Columns[c]; !ok {
						t.Errorf("%s.%s is listed as unmodelled (%s) but the schema has no such column", tbl, c, why)
					}
					delete(have.Columns, c)
				}
			}
			compareTable(t, name, want, have)
		}
		for name := range got {
			if !seen[name] {
				t.Errorf("table %s has no model: add one to models.go and to the list in models_test.go", name)
			}
		}
	})
}

func compareTable(t *testing.T, name string, want, have table) {
	t.Helper()
	for col, w := range want.Columns {
		h, ok := have.Columns[col]
		if !ok {
			t.Errorf("%s.%s: the model has the field, the schema has no such column", name, col)
			continue
		}
		if w != h {
			t.Errorf("%s.%s: model %+v, schema %+v", name, col, w, h)
		}
	}
	for col := range have.Columns {
		if _, ok := want.Columns[col]; !ok {
			t.Errorf("%s.%s: the schema has the column, the model has no field for it", name, col)
		}
	}
	if !slices.Equal(want.Key, have.Key) {
		t.Errorf("%s: primary key: model %v, schema %v", name, want.Key, have.Key)
	}
	slices.Sort(want.Unique)
	slices.Sort(have.Unique)
	if !slices.Equal(want.Unique, have.Unique) {
		t.Errorf("%s: unique columns: model %v, schema %v", name, want.Unique, have.Unique)
	}
}

// modelTable is what GORM's parse of m says of its table.
func modelTable(t *testing.T, m gschema.Tabler) table {
	t.Helper()
	s, err := gschema.Parse(m, &sync.Map{}, gschema.NamingStrategy{})
	if err != nil {
		t.Fatalf("%s: %v", m.TableName(), err)
	}
	out := table{Columns: map[string]column{}, Key: s.PrimaryFieldDBNames}
	for _, f := range s.Fields {
		if f.DBName == "" {
			continue
		}
		kind := map[gschema.DataType]string{gschema.Int: "int", gschema.Uint: "int", gschema.String: "string",
			gschema.Bool: "bool", gschema.Bytes: "bytes"}[f.DataType]
		if kind == "" {
			t.Errorf("%s.%s: GORM type %q is none the schema uses", s.Table, f.DBName, f.DataType)
		}
		out.Columns[f.DBName] = column{Kind: kind, NotNull: f.NotNull, Default: normDefault(f.DefaultValue, f.HasDefaultValue && !f.AutoIncrement),
			AutoInc: f.AutoIncrement}
		if f.Unique {
			out.Unique = append(out.Unique, f.DBName)
		}
		if f.AutoCreateTime != 0 || f.AutoUpdateTime != 0 {
			t.Errorf("%s.%s: GORM would write its own clock's seconds there, not the store's microseconds", s.Table, f.DBName)
		}
	}
	return out
}

// normDefault writes a default as the test compares it: without quotes
// or a PostgreSQL cast, in lower case; an empty default string is the
// two quotes that write it, and no default at all is "".
func normDefault(d string, has bool) string {
	if !has {
		return ""
	}
	if i := strings.Index(d, "::"); i >= 0 {
		d = d[:i]
	}
	if d = strings.ToLower(strings.Trim(strings.TrimSpace(d), "'")); d == "" {
		return "''"
	}
	return d
}

// typeKind maps a column's declared type to the kind of Go value it holds.
func typeKind(declared string) string {
	switch strings.ToLower(declared) {
	case "integer", "bigint", "smallint":
		return "int"
	case "text", "character varying":
		return "string"
	case "boolean":
		return "bool"
	case "blob", "bytea":
		return "bytes"
	}
	return "unknown type " + declared
}

// sqliteTables reads the tables of a migrated SQLite database, less
// SQLite's own, goose's and the full-text index with its shadow tables.
func sqliteTables(db *sql.DB) (map[string]table, error) {
	ctx := context.Background()
	names, err := queryStrings(db, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> 'goose_db_version'
		AND name <> 'articles_fts' AND name NOT LIKE 'articles\_fts\_%' ESCAPE '\'`)
	if err != nil {
		return nil, err
	}
	out := map[string]table{}
	for _, name := range names {
		var ddl string
		if err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = ?`, name).Scan(&ddl); err != nil {
			return nil, err
		}
		tbl, err := sqliteTable(db, name, strings.Contains(strings.ToUpper(ddl), "AUTOINCREMENT"))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = tbl
	}
	return out, nil
}

func sqliteTable(db *sql.DB, name string, autoInc bool) (table, error) {
	tbl := table{Columns: map[string]column{}}
	rows, err := db.QueryContext(context.Background(), `SELECT name, type, "notnull", coalesce(dflt_value, ''), pk FROM pragma_table_info(?) ORDER BY pk`, name)
	if err != nil {
		return tbl, err
	}
	defer rows.Close()
	for rows.Next() {
		var col, typ, dflt string
		var notNull bool
		var pk int
		if err := rows.Scan(&col, &typ, &notNull, &dflt, &pk); err != nil {
			return tbl, err
		}
		c := column{Kind: typeKind(typ), NotNull: notNull, Default: normDefault(dflt, dflt != "")}
		if pk > 0 {
			tbl.Key = append(tbl.Key, col)
			// A rowid table would take a NULL in a key column other than
			// an INTEGER PRIMARY KEY, a quirk SQLite keeps for old files;
			// nothing here writes one, and PostgreSQL refuses it.
			c.NotNull = true
			c.AutoInc = autoInc
		}
		if name == "idempotency_effects" && col == "created" && c.Kind == "int" {
			c.Kind = "bool" // SQLite has no boolean type: the column holds 1 or 0 (migration 00011)
		}
		tbl.Columns[col] = c
	}
	if err := rows.Err(); err != nil {
		return tbl, err
	}
	idx, err := queryStrings(db, `SELECT name FROM pragma_index_list(?) WHERE "unique" AND origin <> 'pk' AND NOT partial`, name)
	if err != nil {
		return tbl, err
	}
	for _, ix := range idx {
		cols, err := queryStrings(db, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix)
		if err != nil {
			return tbl, err
		}
		if len(cols) == 1 {
			tbl.Unique = append(tbl.Unique, cols[0])
		}
	}
	return tbl, nil
}

// postgresTables reads the tables of a migrated PostgreSQL database, less
// goose's.
func postgresTables(db *sql.DB) (map[string]table, error) {
	out := map[string]table{}
	rows, err := db.QueryContext(context.Background(), `SELECT table_name, column_name, data_type, is_nullable = 'NO',
		coalesce(column_default, ''), is_identity = 'YES'
		FROM information_schema.columns c WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'
		AND table_name IN (SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE')`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, col, typ, dflt string
		var c column
		if err := rows.Scan(&name, &col, &typ, &c.NotNull, &dflt, &c.AutoInc); err != nil {
			return nil, err
		}
		c.Kind, c.Default = typeKind(typ), normDefault(dflt, dflt != "")
		if col == "search" && typ == "tsvector" {
			c.Kind = "tsvector"
		}
		if out[name].Columns == nil {
			out[name] = table{Columns: map[string]column{}}
		}
		out[name].Columns[col] = c
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, postgresKeys(db, out)
}

// postgresKeys adds each table's primary key and one-column unique
// indexes (constraints included), their key columns only, in key order.
func postgresKeys(db *sql.DB, tables map[string]table) error {
	rows, err := db.QueryContext(context.Background(), `SELECT c.relname, i.indisprimary, i.indnkeyatts,
		array_to_string(array(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.ord), ',')
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND i.indisunique AND i.indpred IS NULL`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name, cols string
		var primary bool
		var keys int
		if err := rows.Scan(&name, &primary, &keys, &cols); err != nil {
			return err
		}
		tbl, ok := tables[name]
		if !ok {
			continue
		}
		key := strings.Split(cols, ",")[:keys]
		switch {
		case primary:
			tbl.Key = key
		case len(key) == 1:
			tbl.Unique = append(tbl.Unique, key[0])
		}
		tables[name] = tbl
	}
	return rows.Err()
}

func queryStrings(db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(context.Background(), q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

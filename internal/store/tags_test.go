package store

import (
	"strings"
	"testing"

	"gorm.io/gorm"
)

// TestTagDeletesUseTheKey: a single write deletes an article's pairs and
// tag rows through the models, one lookup of each table's primary key per
// tag, as the bulk path's statements do (TestPairWritesUseTheKey).
func TestTagDeletesUseTheKey(t *testing.T) {
	s, _ := newStore(t, "sqlite")
	type statement struct {
		sql  string
		vars []any
	}
	var stmts []statement
	err := s.w.Callback().Delete().After("gorm:delete").Register("test:capture", func(db *gorm.DB) {
		stmts = append(stmts, statement{db.Statement.SQL.String(), db.Statement.Vars})
	})
	if err != nil {
		t.Fatal(err)
	}
	m := &articleModel{ID: 1, PublishedAt: 1700000000000000, Status: "published", Countries: "KP,RU", Themes: "sanctions,trade"}
	if err := deleteTags(s.w.Session(&gorm.Session{DryRun: true}), m); err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{
		"article_pairs":     "SEARCH article_pairs USING PRIMARY KEY (country=? AND theme=? AND published_at=? AND article_id=?)",
		"article_countries": "SEARCH article_countries USING PRIMARY KEY (country=? AND published_at=? AND article_id=?)",
		"article_themes":    "SEARCH article_themes USING PRIMARY KEY (theme=? AND published_at=? AND article_id=?)",
	}
	if len(stmts) != len(keys) {
		t.Fatalf("%d DELETE statements, want one per tag table: %v", len(stmts), stmts)
	}
	for _, st := range stmts {
		plan := explain(t, s, st.sql, st.vars)
		t.Logf("%s\n%s", st.sql, plan)
		table := strings.Trim(strings.Fields(st.sql)[2], "`\"")
		if !strings.Contains(plan, keys[table]) || strings.Contains(plan, "SCAN ") {
			t.Errorf("%s does not find the rows of %s by their key:\n%s", st.sql, table, plan)
		}
	}
}

package store

import (
	"sync"
	"testing"

	gschema "gorm.io/gorm/schema"
)

// models lists every model, for the tests that hold them to the schema.
var models = []gschema.Tabler{
	countryModel{}, themeModel{}, articleModel{}, articleCountryModel{}, articleThemeModel{},
	articlePairModel{}, articleTagsetModel{}, tombstoneModel{}, apiKeyModel{},
	idempotencyKeyModel{}, idempotencyEffectModel{}, changeModel{}, changeSeqModel{},
}

// TestModelsParse checks that GORM reads every model's tags.
func TestModelsParse(t *testing.T) {
	for _, m := range models {
		s, err := gschema.Parse(m, &sync.Map{}, gschema.NamingStrategy{})
		if err != nil {
			t.Fatalf("%s: %v", m.TableName(), err)
		}
		if s.Table != m.TableName() || len(s.PrimaryFields) == 0 {
			t.Errorf("%s: table %q, %d primary key columns", m.TableName(), s.Table, len(s.PrimaryFields))
		}
		for _, f := range s.Fields {
			if f.AutoCreateTime != 0 || f.AutoUpdateTime != 0 {
				t.Errorf("%s.%s: GORM would set it to its own clock", s.Table, f.DBName)
			}
		}
	}
}

package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DB != "headlines.db" || c.CacheMaxAge != 30*time.Second || len(c.APIKeys) != 0 {
		t.Errorf("defaults: %+v", c)
	}
}

func TestLoadReadsAndValidates(t *testing.T) {
	c, err := Load(env(map[string]string{
		"HEADLINES_ADDR": "127.0.0.1:9000", "HEADLINES_DB": "/tmp/x.db",
		"HEADLINES_API_KEYS": " key-one-0123456789abc , key-two-0123456789abc ", "HEADLINES_NO_DEMO": "true",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" || len(c.APIKeys) != 2 || c.APIKeys[1] != "key-two-0123456789abc" || !c.NoDemo {
		t.Errorf("loaded: %+v", c)
	}
	_, err = Load(env(map[string]string{
		"HEADLINES_ADDR": "nowhere", "HEADLINES_CACHE_MAX_AGE": "-1s", "HEADLINES_API_KEYS": "short",
		"HEADLINES_NO_DEMO": "perhaps", "HEADLINES_CURSOR_SECRET": "tiny", "HEADLINES_BASE_URL": "ftp://x",
	}))
	if err == nil {
		t.Fatal("bad settings accepted")
	}
	for _, name := range []string{"HEADLINES_ADDR", "HEADLINES_CACHE_MAX_AGE", "HEADLINES_API_KEYS", "HEADLINES_NO_DEMO", "HEADLINES_CURSOR_SECRET", "HEADLINES_BASE_URL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
}

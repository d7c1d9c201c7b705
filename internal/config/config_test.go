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

func TestReplicasNeedPostgres(t *testing.T) {
	c, err := Load(env(map[string]string{
		"HEADLINES_DB":          "postgres://app@db.internal:5432/headlines",
		"HEADLINES_DB_REPLICAS": "postgres://app@replica1:5432/headlines, postgres://app@replica2:5432/headlines",
	}))
	if err != nil || len(c.Replicas) != 2 {
		t.Fatalf("replicas: %v, %v", c.Replicas, err)
	}
	if _, err := Load(env(map[string]string{"HEADLINES_DB_REPLICAS": "postgres://app@replica1:5432/headlines"})); err == nil ||
		!strings.Contains(err.Error(), "need a PostgreSQL primary") {
		t.Errorf("replicas of a SQLite file: %v", err)
	}
}

func TestRatesAndProxies(t *testing.T) {
	c, err := Load(env(map[string]string{
		"HEADLINES_RATE_PUBLIC": "60/30s", "HEADLINES_RATE_KEY": "off",
		"HEADLINES_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7, 2001:db8::1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.RatePublic != (Rate{Burst: 60, Per: 30 * time.Second}) || c.RateKey != (Rate{}) || c.RateAuthFail.Burst != 20 {
		t.Errorf("rates: %+v %+v %+v", c.RatePublic, c.RateKey, c.RateAuthFail)
	}
	var nets []string
	for _, n := range c.TrustedProxies {
		nets = append(nets, n.String())
	}
	if strings.Join(nets, " ") != "10.0.0.0/8 192.0.2.7/32 2001:db8::1/128" {
		t.Errorf("trusted proxies: %v", nets)
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
		"HEADLINES_DB_REPLICAS": "postgres://replica/db", "HEADLINES_RATE_KEY": "lots", "HEADLINES_TRUSTED_PROXIES": "10.0.0.0/33",
	}))
	if err == nil {
		t.Fatal("bad settings accepted")
	}
	for _, name := range []string{"HEADLINES_ADDR", "HEADLINES_CACHE_MAX_AGE", "HEADLINES_API_KEYS", "HEADLINES_NO_DEMO", "HEADLINES_CURSOR_SECRET", "HEADLINES_BASE_URL", "HEADLINES_DB_REPLICAS",
		"HEADLINES_RATE_KEY", "HEADLINES_TRUSTED_PROXIES"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
}

func TestAllowedHostsAndMetricsAddr(t *testing.T) {
	c, err := Load(env(map[string]string{
		"HEADLINES_ALLOWED_HOSTS": " API.example.com, .example.net ,[::1],10.0.0.5", "HEADLINES_METRICS_ADDR": "127.0.0.1:9090",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.AllowedHosts, " ") != "api.example.com .example.net [::1] 10.0.0.5" || c.MetricsAddr != "127.0.0.1:9090" {
		t.Errorf("allowed hosts %q, metrics address %q", c.AllowedHosts, c.MetricsAddr)
	}
	for _, bad := range []string{"example.com:8080", "*", "exa mple.com", "http://example.com", "-x.example.com", "[127.0.0.1]", "."} {
		if _, err := Load(env(map[string]string{"HEADLINES_ALLOWED_HOSTS": bad})); err == nil || !strings.Contains(err.Error(), "HEADLINES_ALLOWED_HOSTS") {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
	for _, bad := range []string{"9090", ":8080"} {
		if _, err := Load(env(map[string]string{"HEADLINES_METRICS_ADDR": bad})); err == nil || !strings.Contains(err.Error(), "HEADLINES_METRICS_ADDR") {
			t.Errorf("metrics address %q accepted: %v", bad, err)
		}
	}
}

func TestExpensiveReads(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.ExpensiveQueries != 2 || c.ExpensiveTimeout != 10*time.Second {
		t.Errorf("defaults: %d, %s, %v", c.ExpensiveQueries, c.ExpensiveTimeout, err)
	}
	c, err = Load(env(map[string]string{"HEADLINES_EXPENSIVE_QUERIES": " 4 ", "HEADLINES_EXPENSIVE_TIMEOUT": "1500ms"}))
	if err != nil || c.ExpensiveQueries != 4 || c.ExpensiveTimeout != 1500*time.Millisecond {
		t.Errorf("loaded: %d, %s, %v", c.ExpensiveQueries, c.ExpensiveTimeout, err)
	}
	// Unset, the limit stays below a short write timeout.
	c, err = Load(env(map[string]string{"HEADLINES_WRITE_TIMEOUT": "2s"}))
	if err != nil || c.ExpensiveTimeout != time.Second {
		t.Errorf("under a 2s write timeout: %s, %v", c.ExpensiveTimeout, err)
	}
	for _, bad := range []map[string]string{
		{"HEADLINES_EXPENSIVE_QUERIES": "0"},
		{"HEADLINES_EXPENSIVE_QUERIES": "17"},
		{"HEADLINES_EXPENSIVE_QUERIES": "two"},
		{"HEADLINES_EXPENSIVE_TIMEOUT": "0s"},
		{"HEADLINES_EXPENSIVE_TIMEOUT": "soon"},
		{"HEADLINES_EXPENSIVE_TIMEOUT": "30s"}, // the write timeout would cut the answer first
		{"HEADLINES_EXPENSIVE_TIMEOUT": "20s", "HEADLINES_WRITE_TIMEOUT": "10s"},
	} {
		_, err := Load(env(bad))
		var name string
		for k := range bad {
			if k != "HEADLINES_WRITE_TIMEOUT" {
				name = k
			}
		}
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: %v, want an error naming %s", bad, err, name)
		}
	}
}

package main

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/headlines/headlines/internal/config"
)

// stopAndLogs stops a server started by startServer and returns its logs.
func stopAndLogs(t *testing.T, in *instance) string {
	t.Helper()
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	_ = in.cmd.Wait()
	return in.logs.String()
}

// TestUnsafeDefaultsAreNamedAtStart: the public development cursor secret
// and public metrics are logged as warnings when the server starts, and
// not once they are configured.
func TestUnsafeDefaultsAreNamedAtStart(t *testing.T) {
	dir := t.TempDir()
	in := startServer(t, filepath.Join(dir, "a.db"), []string{"--no-demo"})
	waitReady(t, in.base+"/readyz")
	logs := stopAndLogs(t, in)
	for _, want := range []string{"HEADLINES_CURSOR_SECRET is the public development value", "set HEADLINES_METRICS_ADDR"} {
		if !strings.Contains(logs, want) || !strings.Contains(logs, `"level":"WARN"`) {
			t.Errorf("no warning %q at start:\n%s", want, logs)
		}
	}
	metrics := freeAddr(t)
	in = startServer(t, filepath.Join(dir, "b.db"), []string{"--no-demo"},
		"HEADLINES_CURSOR_SECRET=a-secret-of-our-own-0123456789", "HEADLINES_METRICS_ADDR="+metrics)
	waitReady(t, in.base+"/readyz")
	// /metrics moves to its own address.
	for url, want := range map[string]int{in.base + "/metrics": http.StatusNotFound, "http://" + metrics + "/metrics": http.StatusOK} {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", url, res.StatusCode, want)
		}
	}
	if logs := stopAndLogs(t, in); strings.Contains(logs, "HEADLINES_CURSOR_SECRET is the public") || strings.Contains(logs, "set HEADLINES_METRICS_ADDR") {
		t.Errorf("warnings although both are set:\n%s", logs)
	}
}

// TestComposeTrustsItsProxy: in the shipped compose file the API
// instances trust nginx, and only nginx, for X-Forwarded-For, so that
// clients behind it keep budgets of their own.
func TestComposeTrustsItsProxy(t *testing.T) {
	raw, err := os.ReadFile("deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Environment map[string]string `json:"environment"`
			Networks    any               `json:"networks"`
		} `json:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatal(err)
	}
	nets, _ := compose.Services["proxy"].Networks.(map[string]any)
	var proxyIP net.IP
	for _, n := range nets {
		if m, ok := n.(map[string]any); ok {
			proxyIP = net.ParseIP(m["ipv4_address"].(string))
		}
	}
	if proxyIP == nil {
		t.Fatalf("the proxy has no fixed address in deploy/compose.yaml: %v", nets)
	}
	env := compose.Services["api"].Environment
	cfg, err := config.Load(func(name string) string {
		if name == "HEADLINES_TRUSTED_PROXIES" {
			return env[name]
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	trusted := false
	for _, n := range cfg.TrustedProxies {
		trusted = trusted || n.Contains(proxyIP)
		if ones, bits := n.Mask.Size(); ones != bits {
			t.Errorf("the API trusts a whole range, %s, not only the proxy", n)
		}
	}
	if !trusted {
		t.Errorf("HEADLINES_TRUSTED_PROXIES=%q does not cover the proxy at %s", env["HEADLINES_TRUSTED_PROXIES"], proxyIP)
	}
}

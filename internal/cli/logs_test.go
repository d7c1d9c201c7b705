package cli

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestLogBuffer: request lines wait for the next flush, a warning goes out
// at once with everything before it, and nothing is lost.
func TestLogBuffer(t *testing.T) {
	var out bytes.Buffer
	logs := newLogBuffer(&out)
	log := slog.New(flushingHandler{slog.NewJSONHandler(logs, nil), logs}).With("service", "headlines")
	log.Info("request", "path", "/v1/articles")
	if out.Len() != 0 {
		t.Errorf("a request line was written at once: %s", out.String())
	}
	log.Warn("slow request")
	if got := strings.Count(out.String(), "\n"); got != 2 || !strings.Contains(out.String(), `"service":"headlines"`) {
		t.Errorf("after a warning, %d lines out: %s", got, out.String())
	}
	log.Info("request", "path", "/v1/themes")
	if err := logs.Flush(); err != nil || strings.Count(out.String(), "\n") != 3 {
		t.Errorf("after a flush: %v, %s", err, out.String())
	}
}

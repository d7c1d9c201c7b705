package cli

import (
	"context"
	"strings"
	"testing"
)

// TestUsageListsBenchmarkCommandsApart: the main usage lists the product's
// commands first and the benchmark's (generate, ceiling) after them under
// a heading of their own, so a newcomer sees which commands are the product.
func TestUsageListsBenchmarkCommandsApart(t *testing.T) {
	t.Parallel()
	var out, errOut strings.Builder
	getenv := func(string) string { return "" }
	if err := Run(context.Background(), "dev", []string{"help"}, getenv, strings.NewReader(""), &out, &errOut); err != nil || errOut.Len() > 0 {
		t.Fatalf("help: %v, stderr %q", err, errOut.String())
	}
	usage := out.String()
	product, bench, found := strings.Cut(usage, "\nBenchmark commands")
	if !found {
		t.Fatalf("no heading for the benchmark commands:\n%s", usage)
	}
	for _, c := range commands {
		if !strings.Contains(product, "\n  "+c.name) || strings.Contains(bench, "\n  "+c.name+" ") {
			t.Errorf("%s is not listed among the product's commands only:\n%s", c.name, usage)
		}
	}
	for _, name := range []string{"generate", "ceiling"} {
		if !strings.Contains(bench, "\n  "+name+" ") || strings.Contains(product, "\n  "+name+" ") {
			t.Errorf("%s is not listed under the benchmark heading only:\n%s", name, usage)
		}
	}
	if !strings.HasSuffix(usage, "see README.md.\n") || !strings.Contains(bench, "Run 'headlines help <command>'") {
		t.Errorf("the closing lines do not follow the benchmark commands:\n%s", usage)
	}
}

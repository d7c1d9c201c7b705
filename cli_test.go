package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// exitCode is the status the binary exited with, from runCLI's error.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	default:
		t.Fatalf("the binary did not run: %v", err)
		return -1
	}
}

// TestHelpOnEveryCommand: --help, -h and `help CMD` print the command's
// usage with its arguments and flags on stdout and exit 0, without
// touching the database, and healthcheck --help does not run the check.
func TestHelpOnEveryCommand(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "untouched.db")
	cases := []struct {
		cmd  string
		want []string
	}{
		{"serve", []string{"Usage: headlines serve [flags]\n", "--addr ADDRESS", "--db FILE", "--no-demo"}},
		{"migrate", []string{"Usage: headlines migrate [flags] up|down|status\n", "--db FILE"}},
		{"import", []string{"Usage: headlines import [flags] FILE|-\n", "--db FILE", "standard input"}},
		{"export", []string{"Usage: headlines export [flags]\n", "--db FILE"}},
		{"retag", []string{"Usage: headlines retag [flags]\n", "--db FILE"}},
		{"keys create", []string{"Usage: headlines keys create [flags]\n", "--role ROLE", "--name NAME", "(default editor)"}},
		{"keys list", []string{"Usage: headlines keys list [flags]\n", "--db FILE"}},
		{"keys revoke", []string{"Usage: headlines keys revoke [flags] ID|PREFIX\n", "--db FILE"}},
		{"keys", []string{"Usage: headlines keys create|list|revoke", "keys revoke ID|PREFIX"}},
		{"healthcheck", []string{"Usage: headlines healthcheck\n", "/healthz"}},
		{"generate", []string{"Usage: headlines generate [flags]\n", "--count N", "--seed SEED"}},
		{"ceiling", []string{"Usage: headlines ceiling [flags]\n", "--file FILE", "--addr ADDRESS"}},
		{"version", []string{"Usage: headlines version\n"}},
		{"help", []string{"Usage: headlines help [COMMAND]\n"}},
	}
	// Nothing listens here: a health check that ran would fail.
	addr := freeAddr(t)
	for _, c := range cases {
		words := strings.Fields(c.cmd)
		for _, args := range [][]string{
			append(words, "--help"), append(words, "-h"), append([]string{"help"}, words...),
		} {
			cmd := exec.Command(binary, args...)
			cmd.Env = append(os.Environ(), "HEADLINES_DB="+db, "HEADLINES_ADDR="+addr)
			var out, errOut strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			if code := exitCode(t, err); code != 0 || errOut.Len() > 0 {
				t.Errorf("headlines %s: exit %d, stderr %q; want 0 and nothing", strings.Join(args, " "), code, errOut.String())
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("headlines %s: stdout lacks %q:\n%s", strings.Join(args, " "), w, out.String())
				}
			}
		}
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--help touched the database: %v", err)
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		out, errOut, err := runCLI(t, db, "", args...)
		if exitCode(t, err) != 0 || !strings.Contains(out, "Usage: headlines <command>") || !strings.Contains(out, "import FILE|-") || errOut != "" {
			t.Errorf("headlines %v: %v, stdout %q, stderr %q", args, err, out, errOut)
		}
		// The benchmark's commands come last, under their own heading.
		if _, bench, _ := strings.Cut(out, "\nBenchmark commands"); !strings.Contains(bench, "\n  generate ") || !strings.Contains(bench, "\n  ceiling ") {
			t.Errorf("headlines %v: generate and ceiling are not under a benchmark heading after the product's commands:\n%s", args, out)
		}
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _, err := runCLI(t, db, "", args...)
		if exitCode(t, err) != 0 || !strings.HasPrefix(out, "headlines dev (commit ") {
			t.Errorf("headlines %v: %v %q", args, err, out)
		}
	}
}

// TestMisuseExits2WithUsage: no command, an unknown command, action or
// flag, a flag of another command, and arguments a command does not take
// exit 2 with the reason and the usage on stderr, before any database work.
func TestMisuseExits2WithUsage(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "untouched.db")
	cases := []struct {
		args []string
		want []string // on stderr
	}{
		{nil, []string{"no command given", "Usage: headlines <command>", "import FILE|-"}},
		{[]string{"frobnicate"}, []string{`unknown command "frobnicate"`, "Usage: headlines <command>"}},
		{[]string{"keys", "list", "--role", "reader"}, []string{"flag provided but not defined: --role", "Usage: headlines keys list [flags]"}},
		{[]string{"export", "--addr", ":9"}, []string{"flag provided but not defined: --addr", "Usage: headlines export"}},
		{[]string{"generate", "--db", "x.db"}, []string{"flag provided but not defined: --db"}},
		{[]string{"serve", "--addr"}, []string{"flag needs an argument: --addr", "Usage: headlines serve"}},
		{[]string{"keys"}, []string{"keys needs an action", "Usage: headlines keys create|list|revoke"}},
		{[]string{"keys", "rotate"}, []string{`unknown keys action "rotate"`}},
		{[]string{"migrate"}, []string{"migrate takes up|down|status", "Usage: headlines migrate"}},
		{[]string{"migrate", "sideways"}, []string{`unknown migrate action "sideways": want up, down or status`}},
		{[]string{"import"}, []string{"import takes FILE|-", "Usage: headlines import [flags] FILE|-"}},
		{[]string{"import", "a.json", "b.json"}, []string{`import takes FILE|-; got ["a.json" "b.json"]`}},
		{[]string{"export", "all"}, []string{"export takes no arguments"}},
		{[]string{"help", "nope"}, []string{`no command "nope"`}},
	}
	for _, c := range cases {
		out, errOut, err := runCLI(t, db, "", c.args...)
		if code := exitCode(t, err); code != 2 || out != "" {
			t.Errorf("headlines %v: exit %d, stdout %q; want 2 and nothing", c.args, code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("headlines %v: stderr lacks %q:\n%s", c.args, w, errOut)
			}
		}
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a command line with a mistake touched the database: %v", err)
	}
	// Flags still go before or after the arguments, and -- ends them.
	if out, errOut, err := runCLI(t, db, "", "migrate", "--db", filepath.Join(t.TempDir(), "m.db"), "up"); err != nil || !strings.Contains(out, "applied") {
		t.Errorf("migrate --db FILE up: %v %q %s", err, out, errOut)
	}
}

// TestProgressThroughAPipe: import, retag and export print progress lines
// on stderr when it is a pipe, with the total and the time left when the
// total is known (a JSON Lines file) and without them when not (stdin);
// the re-import of the same articles (the update path) too.
func TestProgressThroughAPipe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	gen, _, err := runCLI(t, db, "", "generate", "--count", "6000")
	if err != nil {
		t.Fatal(err)
	}
	// With no countries or themes, the tagger chooses them: retag has
	// every article to check.
	var untagged strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(gen), "\n") {
		var a map[string]any
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatal(err)
		}
		delete(a, "countries")
		delete(a, "themes")
		b, _ := json.Marshal(a)
		untagged.Write(append(b, '\n'))
	}
	file := filepath.Join(dir, "articles.jsonl")
	if err := os.WriteFile(file, []byte(untagged.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "HEADLINES_DB="+db, "HEADLINES_PROGRESS_EVERY=1ms")
		cmd.Stdin = strings.NewReader(stdin)
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("headlines %v: %v\n%s", args, err, errOut.String())
		}
		return errOut.String()
	}
	expect := func(what, stderr string, re *regexp.Regexp) {
		t.Helper()
		if !re.MatchString(stderr) {
			t.Errorf("%s: no progress line like %s on stderr:\n%s", what, re, stderr)
		}
		if strings.Contains(stderr, "\r") {
			t.Errorf("%s: a terminal's carriage return in a pipe: %q", what, stderr)
		}
	}
	expect("import FILE", run("", "import", file),
		regexp.MustCompile(`(?m)^import: 5,000 of 6,000 \([\d,]+/s, ETA \d+ s\)$`))
	expect("re-import from stdin", run(untagged.String(), "import", "-"),
		regexp.MustCompile(`(?m)^import: 5,000 \([\d,]+/s\)$`))
	expect("retag", run("", "retag"),
		regexp.MustCompile(`(?m)^retag: [\d,]+ of 6,000 \([\d,]+/s, ETA \d+ (s|min \d+ s)\)$`))
	expect("export", run("", "export"),
		regexp.MustCompile(`(?m)^export: [\d,]+ \([\d,]+/s\)$`))
}

// TestBusyPortFailsBeforeDatabaseWork: serve on an address in use exits
// at once with the address named, and has not created (let alone migrated
// or filled) the database.
func TestBusyPortFailsBeforeDatabaseWork(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	addr := l.Addr().String()
	db := filepath.Join(t.TempDir(), "new.db")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve")
	cmd.Env = append(os.Environ(), "HEADLINES_DB="+db, "HEADLINES_ADDR="+addr)
	out, err := cmd.CombinedOutput()
	if exitCode(t, err) == 0 || ctx.Err() != nil {
		t.Fatalf("serve on a busy port: %v, %v\n%s", err, ctx.Err(), out)
	}
	if !strings.Contains(string(out), addr) || !strings.Contains(string(out), "address already in use") {
		t.Errorf("the error does not name %s in use:\n%s", addr, out)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("serve on a busy port created the database first: %v\n%s", err, out)
	}
}

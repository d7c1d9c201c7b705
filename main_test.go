package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/store/storetest"
)

// binary is the headlines command built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "headlines-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "headlines")
	build := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building headlines:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// runCLI runs the built binary with env and stdin and returns its output.
func runCLI(t *testing.T, db string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "HEADLINES_DB="+db)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func TestImportExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	lines := strings.Join([]string{
		`{"title":"Russia and North Korea sign trade pact","url":"https://example.com/pact","countries":["Russia","DPRK"],"themes":["trade"],"published_at":"2025-06-01T10:00:00Z"}`,
		`{"title":"broken line",`,
		`{"title":"China ships aid","countries":["PRC","KP"],"themes":["aid"],"status":"draft","published_at":"2025-06-02"}`,
		`{"title":"Unknown place","countries":["Narnia"]}`,
		``,
		`{"title":"Japan protests launch","url":"https://example.com/launch","countries":["Japan"],"themes":["nuclear"],"author":"A. Writer","body":"Full text."}`,
	}, "\n")
	out, errOut, err := runCLI(t, db, lines, "import", "-")
	if err == nil {
		t.Error("an import with refused lines exits 0")
	}
	if !strings.Contains(out, "imported: 3 created, 0 updated, 2 failed") {
		t.Errorf("import counts: %q", out)
	}
	for _, want := range []string{"stdin:2: ", "stdin:4: "} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr does not report %q: %s", want, errOut)
		}
	}
	if !strings.Contains(errOut, "Narnia") {
		t.Errorf("the bad country is not named: %s", errOut)
	}

	// A JSON array from a file upserts by url.
	arr := filepath.Join(dir, "update.json")
	if err := os.WriteFile(arr, []byte(`[{"title":"Russia and North Korea sign a trade pact","url":"https://example.com/pact","countries":["RU","KP"],"themes":["trade","diplomacy"]}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCLI(t, db, "", "import", arr)
	if err != nil || !strings.Contains(out, "1 updated") {
		t.Fatalf("array import: %v %q", err, out)
	}

	export1, _, err := runCLI(t, db, "", "export")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(exportedArticles(t, export1)); n != 3 {
		t.Fatalf("export has %d articles, want 3 (drafts included):\n%s", n, export1)
	}
	db2 := filepath.Join(dir, "b.db")
	if out, errOut, err := runCLI(t, db2, export1, "import", "-"); err != nil || !strings.Contains(out, "3 created") {
		t.Fatalf("re-import: %v %q %s", err, out, errOut)
	}
	export2, _, err := runCLI(t, db2, "", "export")
	if err != nil {
		t.Fatal(err)
	}
	if export1 != export2 {
		t.Errorf("export → import → export differs:\n%s\n---\n%s", export1, export2)
	}
	if first := exportedArticles(t, export1)[0]; first["title"] != "Russia and North Korea sign a trade pact" {
		t.Errorf("the upsert did not replace the first article: %v", first["title"])
	}
}

// An import killed part way through a load leaves the database empty and
// sound: on SQLite the next command rolls the load back, on PostgreSQL
// the server does when the connection drops, and the same database then
// takes an import as if nothing had happened.
func TestImportKilledMidLoad(t *testing.T) {
	gen, _, err := runCLI(t, filepath.Join(t.TempDir(), "gen.db"), "", "generate", "--count", "100000", "--seed", "1")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "articles.jsonl")
	if err := os.WriteFile(file, []byte(gen), 0o600); err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, kind string) {
		db := storetest.DSN(t, kind)
		// The load is under way from its first change to its commit,
		// seconds later for 100,000 articles: while SQLite's rollback
		// journal exists, while PostgreSQL's articles are locked.
		loading := func() bool {
			_, err := os.Stat(db + "-journal")
			return err == nil
		}
		if kind == "postgres" {
			pg, err := sql.Open("pgx", db)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = pg.Close() }()
			loading = func() bool {
				var n int
				err := pg.QueryRow(`SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
					WHERE c.relname = 'articles' AND l.mode = 'AccessExclusiveLock' AND l.granted`).Scan(&n)
				return err == nil && n > 0
			}
		}
		cmd := exec.Command(binary, "import", file)
		cmd.Env = append(os.Environ(), "HEADLINES_DB="+db)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for !loading() {
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				t.Fatalf("no load under way within 30 s: %s", out.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if strings.Contains(out.String(), "imported:") {
			t.Fatalf("the import ended before it was killed: %s", out.String())
		}

		export, errOut, err := runCLI(t, db, "", "export")
		if err != nil || len(exportedArticles(t, export)) != 0 {
			t.Fatalf("after the kill, export: %v, %d articles; want none\n%s", err, len(exportedArticles(t, export)), errOut)
		}
		two := strings.Join(strings.SplitN(gen, "\n", 3)[:2], "\n")
		if out, errOut, err := runCLI(t, db, two, "import", "-"); err != nil || !strings.Contains(out, "imported: 2 created") {
			t.Fatalf("an import after the kill: %v %q %s", err, out, errOut)
		}
		if export, _, err := runCLI(t, db, "", "export"); err != nil || len(exportedArticles(t, export)) != 2 {
			t.Errorf("export after the second import: %v, %d articles; want 2", err, len(exportedArticles(t, export)))
		}
	})
}

func TestMigrateCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.db")
	out, _, err := runCLI(t, db, "", "migrate", "status")
	if err != nil || !strings.Contains(out, "pending") {
		t.Fatalf("status on a new database: %v %q", err, out)
	}
	pending := strings.Count(out, "pending")
	lines := strings.Fields(strings.TrimSpace(out))
	newest, _ := strconv.Atoi(lines[len(lines)-3]) // the version of the last migration listed
	if out, _, err = runCLI(t, db, "", "migrate", "up"); err != nil || !strings.Contains(out, fmt.Sprintf("applied %d migrations", pending)) {
		t.Fatalf("up: %v %q", err, out)
	}
	if out, _, err = runCLI(t, db, "", "migrate", "down"); err != nil || !strings.Contains(out, fmt.Sprintf("rolled back migration %d", newest)) {
		t.Fatalf("down: %v %q", err, out)
	}
	if out, _, err = runCLI(t, db, "", "migrate", "status"); err != nil || strings.Count(out, "pending") != 1 {
		t.Fatalf("status after one down: %v %q", err, out)
	}
	if _, errOut, err := runCLI(t, db, "", "migrate", "sideways"); err == nil || !strings.Contains(errOut, "sideways") {
		t.Errorf("unknown action: %v %q", err, errOut)
	}
	if _, errOut, err := runCLI(t, db, "", "frobnicate"); err == nil || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %v %q", err, errOut)
	}
}

func TestKeysCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	secret, msg, err := runCLI(t, db, "", "keys", "create", "--role", "reader", "--name", "partner site")
	secret = strings.TrimSpace(secret)
	if err != nil || !strings.HasPrefix(secret, "hl_") || len(secret) != 46 || !strings.Contains(msg, "shown only now") {
		t.Fatalf("create: %v %q %q", err, secret, msg)
	}
	out, _, err := runCLI(t, db, "", "keys", "list")
	if err != nil || !strings.Contains(out, secret[:11]+"…") || !strings.Contains(out, "reader") || !strings.Contains(out, "partner site") {
		t.Fatalf("list: %v %q", err, out)
	}
	if strings.Contains(out, secret) {
		t.Error("the listing shows the whole key")
	}
	if out, _, err = runCLI(t, db, "", "keys", "revoke", secret[:11]); err != nil || !strings.Contains(out, "revoked reader key 1") {
		t.Fatalf("revoke: %v %q", err, out)
	}
	if _, errOut, err := runCLI(t, db, "", "keys", "create", "--role", "root", "--name", "x"); err == nil || !strings.Contains(errOut, "role") {
		t.Errorf("bad role: %v %q", err, errOut)
	}
}

func TestBadConfigurationIsNamed(t *testing.T) {
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "HEADLINES_CACHE_MAX_AGE=soon", "HEADLINES_API_KEYS=short")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("serve started with bad settings")
	}
	for _, want := range []string{"HEADLINES_CACHE_MAX_AGE", "HEADLINES_API_KEYS"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the error does not name %s: %s", want, out)
		}
	}
}

// TestServeLoadsDemoAndStopsOnSIGTERM runs the binary as a user would:
// an empty database gets the demo headlines, the container health check
// passes, and SIGTERM ends the process cleanly with exit status 0.
func TestServeLoadsDemoAndStopsOnSIGTERM(t *testing.T) {
	db := filepath.Join(t.TempDir(), "serve.db")
	addr := freeAddr(t)
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "HEADLINES_DB="+db, "HEADLINES_ADDR="+addr)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs <- sc.Text()
		}
		close(logs)
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	base := "http://" + addr
	waitReady(t, base+"/readyz")

	res, err := http.Get(base + "/v1/articles?country=RU&theme=sanctions")
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Data []struct{ Title string } `json:"data"`
	}
	_ = json.NewDecoder(res.Body).Decode(&page)
	_ = res.Body.Close()
	if len(page.Data) != 1 || !strings.HasPrefix(page.Data[0].Title, "New Zealand targets North Korean military support") {
		t.Errorf("demo Russia + sanctions: %+v", page.Data)
	}
	hc := exec.Command(binary, "healthcheck")
	hc.Env = append(os.Environ(), "HEADLINES_ADDR="+addr)
	if out, err := hc.CombinedOutput(); err != nil {
		t.Errorf("healthcheck: %v %s", err, out)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The logs are read to their end before Wait, which closes the pipe
	// and would lose the last lines.
	var all []string
	done := make(chan error, 1)
	go func() {
		for l := range logs {
			all = append(all, l)
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGTERM the server exited with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop within 20s of SIGTERM")
	}
	joined := strings.Join(all, "\n")
	for _, want := range []string{"loaded the demo headlines", "draining", "stopped"} {
		if !strings.Contains(joined, want) {
			t.Errorf("logs lack %q:\n%s", want, joined)
		}
	}
}

// instance is one `headlines serve` process.
type instance struct {
	base string
	cmd  *exec.Cmd
	logs *bytes.Buffer
}

// startServer starts `headlines serve` with args on database db, with env
// added to the environment, on a free port. It is killed when the test
// ends, and its logs are shown if the test failed.
func startServer(t *testing.T, db string, args []string, env ...string) *instance {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
	cmd.Env = append(append(os.Environ(), "HEADLINES_DB="+db, "HEADLINES_ADDR="+addr), env...)
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("logs of %s:\n%s", addr, logs)
		}
	})
	return &instance{base: "http://" + addr, cmd: cmd, logs: logs}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200", url)
}

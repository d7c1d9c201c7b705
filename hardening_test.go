package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/headlines/headlines/internal/store"
)

const crashKey = "crash-test-editor-key-0123456789"

func startServe(t *testing.T, db string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	in := startServer(t, db, []string{"--no-demo"},
		append([]string{"HEADLINES_API_KEYS=" + crashKey, "HEADLINES_RATE_PUBLIC=off", "HEADLINES_RATE_KEY=off"}, env...)...)
	waitReady(t, in.base+"/readyz")
	return in.cmd, in.base
}

// TestCrashLosesNothingAcknowledged kills the server with SIGKILL in the
// middle of a burst of writes, several times, and after each restart finds
// every article that had been answered 201, in a database that passes
// PRAGMA integrity_check.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	db := filepath.Join(t.TempDir(), "crash.db")
	acked := map[int64]string{}
	const runs = 4
	for run := range runs {
		cmd, base := startServe(t, db)
		var mu sync.Mutex
		var wg sync.WaitGroup
		stop := make(chan struct{})
		before := len(acked)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := &http.Client{Timeout: 5 * time.Second}
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					title := fmt.Sprintf("run %d writer %d story %d", run, w, i)
					req, _ := http.NewRequest("POST", base+"/v1/articles", strings.NewReader(`{"title":"`+title+`","countries":["KP"]}`))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-API-Key", crashKey)
					res, err := client.Do(req)
					if err != nil {
						return // the server is gone
					}
					var a struct {
						ID int64 `json:"id"`
					}
					_ = json.NewDecoder(res.Body).Decode(&a)
					_ = res.Body.Close()
					if res.StatusCode == http.StatusCreated {
						mu.Lock()
						acked[a.ID] = title
						mu.Unlock()
					} else if res.StatusCode >= 500 {
						t.Errorf("run %d: a write answered %d", run, res.StatusCode)
					}
				}
			}()
		}
		// Kill it mid-burst, once it has acknowledged a good number of writes.
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			n := len(acked) - before
			mu.Unlock()
			if n >= 150 || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		close(stop)
		wg.Wait()

		st, err := store.Open(db, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var check string
		if err := st.DB().QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Errorf("run %d: integrity_check %q %v", run, check, err)
		}
		lost := 0
		for id, title := range acked {
			a, err := st.Article(context.Background(), id, true)
			if err != nil || a.Title != title {
				lost++
			}
		}
		_ = st.Close()
		t.Logf("run %d: killed with SIGKILL after %d acknowledged writes (%d in all); lost %d; integrity_check %s",
			run+1, len(acked)-before, len(acked), lost, check)
		if lost > 0 {
			t.Errorf("run %d: %d acknowledged articles lost", run, lost)
		}
	}
}

// TestSlowClientsAreCutOff: clients that trickle in their headers are
// disconnected after the header timeout while others are served at once.
func TestSlowClientsAreCutOff(t *testing.T) {
	db := filepath.Join(t.TempDir(), "slow.db")
	_, base := startServe(t, db, "HEADLINES_READ_HEADER_TIMEOUT=1s")
	addr := strings.TrimPrefix(base, "http://")
	var conns []net.Conn
	for range 50 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		_, _ = c.Write([]byte("GET /v1/articles HTTP/1.1\r\nHost: x\r\n"))
	}
	// Keep trickling a header byte now and then, as slowloris does.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
				for _, c := range conns {
					_, _ = c.Write([]byte("X"))
				}
			}
		}
	}()
	defer close(stop)
	start := time.Now()
	for range 10 {
		res, err := http.Get(base + "/v1/articles?limit=1")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("a normal client while slow ones hang: %v", err)
		}
		_ = res.Body.Close()
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("normal requests took %v with slow clients around", d)
	}
	cut := 0
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		// A cut connection answers at once: end of stream, or a 408.
		_, err := bufio.NewReader(c).ReadString('\n')
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			cut++
		}
		_ = c.Close()
	}
	if elapsed := time.Since(start); elapsed > 4*time.Second {
		t.Errorf("slow clients were held %v, want cut off after about 1 s", elapsed)
	}
	if cut != len(conns) {
		t.Errorf("%d of %d slow clients cut off", cut, len(conns))
	}
}

func TestOversizedHeadersRefused(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hdr.db")
	_, base := startServe(t, db)
	req, _ := http.NewRequest("GET", base+"/v1/articles", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 200<<10))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("200 KiB of headers: %d, want 431", res.StatusCode)
	}
}

// TestSIGTERMDrainsInFlightRequests: a request still uploading its body
// when SIGTERM arrives is finished and answered, the write is kept, and
// the process then exits 0; new connections are refused meanwhile.
func TestSIGTERMDrainsInFlightRequests(t *testing.T) {
	db := filepath.Join(t.TempDir(), "drain.db")
	cmd, base := startServe(t, db)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", base+"/v1/articles", pr)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", crashKey)
	answer := make(chan *http.Response, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("the in-flight request failed: %v", err)
			answer <- nil
			return
		}
		answer <- res
	}()
	_, _ = pw.Write([]byte(`{"title":"Filed just before shutdown",`))
	time.Sleep(200 * time.Millisecond) // the request is now in the handler, reading its body
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("a new request was accepted after SIGTERM")
	}
	_, _ = pw.Write([]byte(`"countries":["KP"]}`))
	_ = pw.Close()
	res := <-answer
	if res == nil {
		return
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Errorf("the in-flight request got %d, want 201", res.StatusCode)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Article(context.Background(), 1, true); err != nil {
		t.Errorf("the drained write is not stored: %v", err)
	}
}

package api_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/store/storetest"
)

// primaryAndEmptyReplica returns the URLs of two fresh PostgreSQL
// databases: one for the primary, and one migrated but empty standing in
// for a replica that has not caught up.
func primaryAndEmptyReplica(t *testing.T) (primaryURL, replicaURL string) {
	t.Helper()
	primaryURL, replicaURL = storetest.DSN(t, "postgres"), storetest.DSN(t, "postgres")
	replica, err := store.Open(replicaURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := replica.MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = replica.Close()
	return primaryURL, replicaURL
}

// serveReplicated serves the API on st, a store with replicas.
func serveReplicated(t *testing.T, st *store.Store) *env {
	t.Helper()
	return serve(t, api.New(api.Deps{Articles: st, Vocabulary: st, Ping: st.Ping, APIKeys: []string{editorKey},
		CursorSecret: "test-cursor-secret-0123456789", Log: quietLog(), RetryReads: true}), st)
}

// TestReadReplicas runs the API on a PostgreSQL primary with a second
// database standing in for a replica that has not caught up: public reads
// are answered by the replica, while the editor who wrote reads the
// primary and sees the write at once.
func TestReadReplicas(t *testing.T) {
	ctx := context.Background()
	primaryURL, replicaURL := primaryAndEmptyReplica(t)
	st, err := store.Open(primaryURL, store.Options{Replicas: []string{replicaURL}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	if pools := st.Pools(); len(pools) != 2 || pools["replica-1"] == nil {
		t.Errorf("pools %v, want primary and replica-1", pools)
	}
	e := serveReplicated(t, st)

	r := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Written to the primary","countries":["KP"]}`})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	path := fmt.Sprintf("/v1/articles/%d", int(r.json(t)["id"].(float64)))

	// The writer reads its write at once, from the primary.
	if r := e.do(req{path: path, key: true}); r.status != 200 {
		t.Errorf("the editor's own read: %d, want 200 from the primary", r.status)
	}
	if got := titles(t, e.do(req{path: "/v1/articles?country=KP", key: true})); len(got) != 1 {
		t.Errorf("the editor's list: %v", got)
	}
	// Public reads go to the replica, which has not caught up.
	if r := e.do(req{path: path}); r.status != 404 {
		t.Errorf("public read: %d, want 404 from the lagging replica", r.status)
	}
	if got := titles(t, e.do(req{path: "/v1/articles?country=KP"})); len(got) != 0 {
		t.Errorf("public list: %v, want the replica's empty list", got)
	}
	if r := e.do(req{path: "/readyz"}); r.status != 200 {
		t.Errorf("readyz with primary and replica up: %d", r.status)
	}
}

// relay forwards TCP connections from a local address to a server, and can
// cut every connection and stop listening, as a server that went away
// does, then listen again on the same address.
type relay struct {
	t      *testing.T
	to     string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
	closed bool
}

func newRelay(t *testing.T, to string) *relay {
	r := &relay{t: t, to: to, addr: "127.0.0.1:0"}
	r.start()
	t.Cleanup(r.stop)
	return r
}

// relayTo starts a relay to the server of the database URL dsn and
// returns it with the URL of the same database through the relay.
func relayTo(t *testing.T, dsn string) (*relay, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	r := newRelay(t, u.Host)
	u.Host = r.addr
	return r, u.String()
}

func (r *relay) start() {
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.ln, r.addr, r.closed = ln, ln.Addr().String(), false
	r.mu.Unlock()
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", r.to)
			if err != nil {
				_ = in.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, in, out)
			r.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); _ = out.Close() }()
			go func() { _, _ = io.Copy(in, out); _ = in.Close() }()
		}
	}()
}

func (r *relay) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	_ = r.ln.Close()
	for _, c := range r.conns {
		_ = c.Close()
	}
	r.conns = nil
}

// TestReplicaDownReadsFallBackToPrimary: while the replica is unreachable,
// public reads are answered from the primary, and the instance stays
// ready; once it answers again, public reads go back to it.
func TestReplicaDownReadsFallBackToPrimary(t *testing.T) {
	ctx := context.Background()
	primaryURL, replicaURL := primaryAndEmptyReplica(t)
	relay, relayedURL := relayTo(t, replicaURL)
	st, err := store.Open(primaryURL, store.Options{Replicas: []string{relayedURL}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	e := serveReplicated(t, st)
	r := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Only on the primary","countries":["KP"]}`})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	path := fmt.Sprintf("/v1/articles/%d", int(r.json(t)["id"].(float64)))
	// settle waits until public reads settle on one answer: want is 404
	// from the empty replica, or 200 from the primary. On the way a read
	// may answer the other, or 503 when the replica went away under it.
	settle := func(want int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		var got []int
		for {
			r := e.send(e.request("GET", path, ""))
			got = append(got, r.status)
			if r.status == want {
				return
			}
			if r.status != 200 && r.status != 404 && r.status != 503 {
				t.Fatalf("public read: %d %s", r.status, r.body)
			}
			if time.Now().After(deadline) {
				t.Fatalf("public reads answered %v, never %d", got, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	settle(404)

	// The replica goes away between two reads: the next read finds its
	// pooled connection dead, and is answered from the primary (run once
	// more, see retryReads), not refused.
	relay.stop()
	if r := e.do(req{path: path}); r.status != 200 {
		t.Errorf("the first public read after the replica went away: %d %s, want 200 from the primary", r.status, r.body)
	}
	for range 5 {
		if r := e.do(req{path: path}); r.status != 200 {
			t.Errorf("public read with the replica down: %d %s, want 200 from the primary", r.status, r.body)
		}
		if r := e.do(req{path: "/readyz"}); r.status != 200 {
			t.Errorf("readyz with the replica down: %d %s, want 200", r.status, r.body)
		}
	}

	relay.start()
	settle(404)
}

// TestReplicaBehindTheSchemaTakesNoReads: a replica that has not replayed
// the migrations the primary has (here, none) takes no public reads, which
// would fail with "relation does not exist"; they go to the primary.
func TestReplicaBehindTheSchemaTakesNoReads(t *testing.T) {
	primaryURL, replicaURL := storetest.DSN(t, "postgres"), storetest.DSN(t, "postgres")
	st, err := store.Open(primaryURL, store.Options{Replicas: []string{replicaURL}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := serveReplicated(t, st)
	r := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Only on the primary","countries":["KP"]}`})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	for range 20 {
		if got := titles(t, e.do(req{path: "/v1/articles?country=KP"})); len(got) != 1 {
			t.Fatalf("public list: %v, want the primary's article", got)
		}
		time.Sleep(50 * time.Millisecond) // through a few of the replica's checks
	}
}

// TestStartsWhileReplicaDown: an instance whose replica does not answer
// starts, ready, reading from the primary, and reads from the replica
// once it answers.
func TestStartsWhileReplicaDown(t *testing.T) {
	primaryURL, replicaURL := primaryAndEmptyReplica(t)
	relay, relayedURL := relayTo(t, replicaURL)
	relay.stop()
	st, err := store.Open(primaryURL, store.Options{Replicas: []string{relayedURL}})
	if err != nil {
		t.Fatalf("open with the replica down: %v", err)
	}
	defer st.Close()
	if _, err := st.MigrateUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := serveReplicated(t, st)
	if r := e.do(req{path: "/readyz"}); r.status != 200 {
		t.Errorf("readyz with the replica down: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "POST", path: "/v1/articles", key: true, body: `{"title":"Only on the primary","countries":["KP"]}`}); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if got := titles(t, e.do(req{path: "/v1/articles?country=KP"})); len(got) != 1 {
		t.Errorf("public list with the replica down: %v, want the primary's article", got)
	}
	relay.start()
	deadline := time.Now().Add(5 * time.Second)
	for len(titles(t, e.do(req{path: "/v1/articles?country=KP"}))) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("public reads never went to the replica (empty) once it answered")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

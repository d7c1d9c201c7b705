package api_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/headlines/headlines/api"
	"github.com/headlines/headlines/internal/store"
	"github.com/headlines/headlines/internal/store/storetest"
)

// TestReadReplicas runs the API on a PostgreSQL primary with a second
// database standing in for a replica that has not caught up: public reads
// are answered by the replica, while the editor who wrote reads the
// primary and sees the write at once.
func TestReadReplicas(t *testing.T) {
	ctx := context.Background()
	primaryURL, replicaURL := storetest.DSN(t, "postgres"), storetest.DSN(t, "postgres")
	replica, err := store.Open(replicaURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := replica.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	_ = replica.Close()
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
	e := serve(t, api.New(api.Deps{Articles: st, Vocabulary: st, Ping: st.Ping, APIKeys: []string{editorKey},
		CursorSecret: "test-cursor-secret-0123456789", Log: quietLog()}), st)

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

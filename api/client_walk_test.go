package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/oapi-codegen/nullable"

	"github.com/headlines/headlines/api/client"
)

// TestGoClientWalk drives the generated Go client (api/client) against a
// real server and SQLite file, as a partner's program would: lists with
// filters and follows cursors, reads with If-None-Match, creates with an
// Idempotency-Key and replays it, patches only the summary with If-Match,
// gets a typed 412 for a stale ETag, clears author with null, deletes, and
// reads the change feed. Nothing is cast or decoded by hand.
func TestGoClientWalk(t *testing.T) {
	e := newEnv(t, "sqlite")
	ctx := context.Background()
	editor := client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+editorKey)
		return nil
	})
	public, err := client.NewClientWithResponses(e.srv.URL, client.WithHTTPClient(e.srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewClientWithResponses(e.srv.URL, client.WithHTTPClient(e.srv.Client()), editor)
	if err != nil {
		t.Fatal(err)
	}

	// The change feed's current position, before any write.
	start, err := c.ListChangesWithResponse(ctx, &client.ListChangesParams{Cursor: ptr("now")})
	if err != nil || start.JSON200 == nil {
		t.Fatalf("changes: %v %s", err, start.Body)
	}

	// A filtered list, one page at a time, to the end.
	limit, withTotal := 1, true
	params := &client.ListArticlesParams{Country: &[]string{"RU"}, Theme: &[]string{"troops"}, Limit: &limit, IncludeTotal: &withTotal}
	var ids []int
	total := -1
	for pages := 0; ; pages++ {
		page, err := public.ListArticlesWithResponse(ctx, params)
		if err != nil || page.JSON200 == nil {
			t.Fatalf("list: %v, %d %s", err, page.StatusCode(), page.Body)
		}
		for _, a := range page.JSON200.Data {
			ids = append(ids, a.Id)
			if a.Countries == nil || a.Title == nil {
				t.Errorf("article %d: a list item without countries or title", a.Id)
			}
		}
		if pages == 0 {
			if page.JSON200.Total == nil || *page.JSON200.Total < 2 {
				t.Fatalf("total %v: the walk needs two pages of RU troops articles", page.JSON200.Total)
			}
			total = *page.JSON200.Total
		}
		next, err := page.JSON200.NextCursor.Get()
		if err != nil { // null: the last page
			if len(ids) != total || pages+1 != total {
				t.Errorf("followed cursors over %d pages to %d articles, total says %d", pages+1, len(ids), total)
			}
			break
		}
		params.Cursor = &next
		params.IncludeTotal = nil
	}

	// A read, then the same read with its ETag: 304.
	got, err := public.GetArticleWithResponse(ctx, ids[0], nil)
	if err != nil || got.JSON200 == nil || got.Headers200 == nil || got.Headers200.ETag == nil {
		t.Fatalf("get %d: %v %s", ids[0], err, got.Body)
	}
	again, err := public.GetArticleWithResponse(ctx, ids[0], &client.GetArticleParams{IfNoneMatch: got.Headers200.ETag})
	if err != nil || again.StatusCode() != http.StatusNotModified {
		t.Errorf("get with If-None-Match: %v, %d", err, again.StatusCode())
	}

	// A create with an Idempotency-Key, and its replay.
	in := client.ArticleInput{
		Title: "North Korea ships artillery shells to Russia, Seoul says", Summary: ptr("South Korea's defence ministry counts 20,000 containers since August"),
		Url: nullable.NewNullableWithValue("https://example.com/2025/07/shells"), Author: nullable.NewNullableWithValue("Jane Doe"),
		Countries: nullable.NewNullableWithValue([]string{"KP", "RU", "KR"}), Themes: nullable.NewNullableWithValue([]string{"troops"}),
	}
	key := &client.CreateArticleParams{IdempotencyKey: ptr("walk-create-1")}
	created, err := c.CreateArticleWithResponse(ctx, key, in)
	if err != nil || created.JSON201 == nil || created.Headers201 == nil || created.Headers201.ETag == nil {
		t.Fatalf("create: %v, %d %s", err, created.StatusCode(), created.Body)
	}
	id := created.JSON201.Id
	replay, err := c.CreateArticleWithResponse(ctx, key, in)
	if err != nil || replay.JSON201 == nil || replay.JSON201.Id != id {
		t.Fatalf("replayed create: %v, %d %s", err, replay.StatusCode(), replay.Body)
	}
	if h := replay.Headers201.IdempotentReplayed; h == nil || *h != "true" {
		t.Errorf("the replay says Idempotent-Replayed %v", h)
	}

	// A patch of the summary alone, based on the ETag: a new ETag.
	etag := created.Headers201.ETag
	patched, err := c.UpdateArticleWithResponse(ctx, id, &client.UpdateArticleParams{IfMatch: etag},
		client.ArticlePatch{Summary: nullable.NewNullableWithValue("Seoul now counts 28,000 containers")})
	if err != nil || patched.JSON200 == nil {
		t.Fatalf("patch: %v, %d %s", err, patched.StatusCode(), patched.Body)
	}
	if patched.JSON200.Summary != "Seoul now counts 28,000 containers" || patched.JSON200.Title != in.Title {
		t.Errorf("after the patch: summary %q, title %q", patched.JSON200.Summary, patched.JSON200.Title)
	}
	if patched.Headers200.ETag == nil || *patched.Headers200.ETag == *etag {
		t.Errorf("the patch's ETag %v, was %s", patched.Headers200.ETag, *etag)
	}

	// The same patch on the stale ETag: a typed 412 problem.
	stale, err := c.UpdateArticleWithResponse(ctx, id, &client.UpdateArticleParams{IfMatch: etag},
		client.ArticlePatch{Summary: nullable.NewNullableWithValue("lost update")})
	if err != nil || stale.ApplicationproblemJSON412 == nil {
		t.Fatalf("stale patch: %v, %d %s", err, stale.StatusCode(), stale.Body)
	}
	if p := stale.ApplicationproblemJSON412; p.Status != http.StatusPreconditionFailed || p.Detail == "" {
		t.Errorf("412 problem: %+v", p)
	}

	// null clears the author.
	cleared, err := c.UpdateArticleWithResponse(ctx, id, &client.UpdateArticleParams{IfMatch: patched.Headers200.ETag},
		client.ArticlePatch{Author: nullable.NewNullNullable[string]()})
	if err != nil || cleared.JSON200 == nil {
		t.Fatalf("patch author null: %v, %d %s", err, cleared.StatusCode(), cleared.Body)
	}
	if !cleared.JSON200.Author.IsNull() {
		t.Errorf("author after null: %v", cleared.JSON200.Author)
	}

	// The change feed shows the new article, then its deletion.
	changes, err := c.ListChangesWithResponse(ctx, &client.ListChangesParams{Cursor: &start.JSON200.NextCursor})
	if err != nil || changes.JSON200 == nil {
		t.Fatalf("changes: %v %s", err, changes.Body)
	}
	if d := changes.JSON200.Data; len(d) != 1 || d[0].Op != client.Upsert || d[0].Id != id || d[0].Article == nil || d[0].Article.Summary != patched.JSON200.Summary {
		t.Errorf("changes after the create: %s", changes.Body)
	}
	deleted, err := c.DeleteArticleWithResponse(ctx, id, &client.DeleteArticleParams{IfMatch: cleared.Headers200.ETag})
	if err != nil || deleted.StatusCode() != http.StatusNoContent {
		t.Fatalf("delete: %v, %d %s", err, deleted.StatusCode(), deleted.Body)
	}
	changes, err = c.ListChangesWithResponse(ctx, &client.ListChangesParams{Cursor: &changes.JSON200.NextCursor})
	if err != nil || changes.JSON200 == nil {
		t.Fatalf("changes: %v %s", err, changes.Body)
	}
	if d := changes.JSON200.Data; len(d) != 1 || d[0].Op != client.Delete || d[0].Id != id || d[0].DeletedAt == nil {
		t.Errorf("changes after the delete: %s", changes.Body)
	}
	if gone, err := public.GetArticleWithResponse(ctx, id, nil); err != nil || gone.ApplicationproblemJSON404 == nil {
		t.Errorf("get after delete: %v, %d", err, gone.StatusCode())
	}

	// The JSON Feed decodes (application/feed+json; charset=utf-8).
	feed, err := public.JsonFeedWithResponse(ctx, &client.JsonFeedParams{Country: &[]string{"RU"}})
	if err != nil || feed.ApplicationfeedJSON200 == nil {
		t.Fatalf("JSON Feed: %v, %d, decoded: %v", err, feed.StatusCode(), feed.ApplicationfeedJSON200 != nil)
	}
	if f := feed.ApplicationfeedJSON200; f.Title == "" || len(f.Items) == 0 || f.Items[0].Id == "" {
		t.Errorf("JSON Feed: %s", feed.Body)
	}
}

func ptr[T any](v T) *T { return &v }

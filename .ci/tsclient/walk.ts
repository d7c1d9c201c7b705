// A client developer's first walk through the API, with a client generated
// from the served /openapi.json (openapi-typescript + openapi-fetch) and
// compiled with tsc --strict, without type assertions or hand-written types
// (run checks). Each step prints one line; the first that fails names
// itself and exits 1.
//
// Environment: HEADLINES_WALK_URL (the server's base URL) and
// HEADLINES_WALK_KEY (an editor key). The server must hold the demo
// headlines (10 articles, 4 of them about troops and Russia or South Korea).
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

const baseUrl = need("HEADLINES_WALK_URL");
const key = need("HEADLINES_WALK_KEY");

const reader = client({});
const editor = client({ "X-API-Key": key });

function client(headers: Record<string, string>) {
  // Array parameters are declared style=form, explode=false: country=RU,KR.
  return createClient<paths>({ baseUrl, headers, querySerializer: { array: { style: "form", explode: false } } });
}

class StepError extends Error {}

function need(name: string): string {
  const v = process.env[name];
  if (!v) {
    console.error(`walk: ${name} is not set`);
    process.exit(2);
  }
  return v;
}

function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new StepError(message);
}

function etagOf(response: Response): string {
  const etag = response.headers.get("ETag");
  check(etag !== null && etag !== "", `HTTP ${response.status} without an ETag`);
  return etag;
}

async function step(name: string, run: () => Promise<string>): Promise<void> {
  try {
    console.log(`ok   ${name}: ${await run()}`);
  } catch (err) {
    console.error(`FAIL ${name}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

// 1. A filtered list, a page of one at a time, to the end.
await step("list country=RU,KR&theme=troops, limit=1, following next_cursor", async () => {
  const seen = new Set<number>();
  let cursor: string | undefined;
  let pages = 0;
  let total: number | undefined;
  for (;;) {
    const { data, error, response } = await reader.GET("/v1/articles", {
      params: { query: { country: ["RU", "KR"], theme: ["troops"], limit: 1, cursor, include_total: pages === 0 } },
    });
    check(data !== undefined, `page ${pages + 1}: HTTP ${response.status} ${JSON.stringify(error)}`);
    pages++;
    if (pages === 1) total = data.total;
    for (const a of data.data) {
      check(!seen.has(a.id), `article ${a.id} came twice`);
      // A list item has only the members fields= names; without fields=,
      // all but body and tag_source.
      check(a.countries !== undefined && a.themes !== undefined, `article ${a.id} came without countries or themes`);
      check((a.countries.includes("RU") || a.countries.includes("KR")) && a.themes.includes("troops"),
        `article ${a.id} (${a.countries.join(",")}; ${a.themes.join(",")}) does not match the filter`);
      seen.add(a.id);
    }
    check(data.data.length <= 1, `page ${pages} has ${data.data.length} items with limit=1`);
    if (data.next_cursor === null) break;
    check(pages < 100, "next_cursor never ends");
    cursor = data.next_cursor;
  }
  check(total !== undefined && total === seen.size, `total says ${total}, the pages held ${seen.size}`);
  check(seen.size === 4, `the demo holds 4 such articles, the walk found ${seen.size}`);
  return `${seen.size} articles (ids ${[...seen].join(", ")}) on ${pages} pages, no duplicates, total=${total}`;
});

// 2. A conditional read.
let readId = 0;
await step("get an article, then again with If-None-Match: 304", async () => {
  const list = await reader.GET("/v1/articles", { params: { query: { limit: 1 } } });
  check(list.data !== undefined && list.data.data.length === 1, `list: HTTP ${list.response.status}`);
  readId = list.data.data[0].id;
  const first = await reader.GET("/v1/articles/{id}", { params: { path: { id: readId } } });
  check(first.data !== undefined, `GET: HTTP ${first.response.status} ${JSON.stringify(first.error)}`);
  check(first.data.id === readId && first.data.title !== "", `GET answered article ${first.data.id}`);
  const etag = etagOf(first.response);
  const again = await reader.GET("/v1/articles/{id}", {
    params: { path: { id: readId }, header: { "If-None-Match": etag } },
  });
  check(again.response.status === 304, `If-None-Match ${etag}: HTTP ${again.response.status}, want 304`);
  check(again.data === undefined, "the 304 carried an article");
  return `article ${readId} "${first.data.title.slice(0, 40)}…", ETag ${etag}, then 304`;
});

// 3. A create, and its retry.
const idempotencyKey = crypto.randomUUID();
const input = {
  title: `Walk ${idempotencyKey}: North Korea and Russia sign a border bridge deal`,
  summary: "The typed client's first summary",
  url: `https://example.com/walk/${idempotencyKey}`,
  countries: ["KP", "RU"],
  themes: ["infrastructure"],
  published_at: new Date().toISOString(),
};
let id = 0;
let etag = "";
await step("create with an Idempotency-Key, then replay it", async () => {
  const created = await editor.POST("/v1/articles", {
    params: { header: { "Idempotency-Key": idempotencyKey } },
    body: input,
  });
  check(created.data !== undefined, `POST: HTTP ${created.response.status} ${JSON.stringify(created.error)}`);
  check(created.response.status === 201, `POST: HTTP ${created.response.status}, want 201`);
  check(created.response.headers.get("Idempotent-Replayed") === null, "the first POST says it was replayed");
  id = created.data.id;
  etag = etagOf(created.response);
  const replay = await editor.POST("/v1/articles", {
    params: { header: { "Idempotency-Key": idempotencyKey } },
    body: input,
  });
  check(replay.data !== undefined, `replay: HTTP ${replay.response.status} ${JSON.stringify(replay.error)}`);
  check(replay.data.id === id, `the replay answered article ${replay.data.id}, the first POST ${id}`);
  const replayed = replay.response.headers.get("Idempotent-Replayed");
  check(replayed === "true", `the replay's Idempotent-Replayed is ${replayed}, want true`);
  return `article ${id} (201, ETag ${etag}); the replay: ${replay.response.status}, same id, Idempotent-Replayed: true`;
});

// 4. A partial update: only the summary, based on the ETag just read.
const staleEtag = etag;
const newSummary = "Only the summary changed, through the typed client";
await step("PATCH only the summary with If-Match", async () => {
  const patched = await editor.PATCH("/v1/articles/{id}", {
    params: { path: { id }, header: { "If-Match": etag } },
    body: { summary: newSummary },
  });
  check(patched.data !== undefined, `PATCH: HTTP ${patched.response.status} ${JSON.stringify(patched.error)}`);
  check(patched.response.status === 200, `PATCH: HTTP ${patched.response.status}, want 200`);
  check(patched.data.summary === newSummary, `the summary is "${patched.data.summary}"`);
  check(patched.data.title === input.title, `the title changed to "${patched.data.title}"`);
  check(patched.data.url === input.url, `the url changed to ${patched.data.url}`);
  etag = etagOf(patched.response);
  check(etag !== staleEtag, `the ETag stayed ${etag}`);
  return `200, summary replaced, title and url kept, ETag ${staleEtag} → ${etag}`;
});

// 5. The same PATCH on the stale ETag: a typed problem.
await step("PATCH with the stale ETag: 412 problem", async () => {
  const stale = await editor.PATCH("/v1/articles/{id}", {
    params: { path: { id }, header: { "If-Match": staleEtag } },
    body: { summary: "a change based on an old copy" },
  });
  check(stale.data === undefined, `HTTP ${stale.response.status} applied a change based on ${staleEtag}`);
  check(stale.response.status === 412, `HTTP ${stale.response.status}, want 412`);
  const problem = stale.error;
  check(problem.status === 412, `the problem's status is ${problem.status}, want 412`);
  check(problem.title !== "" && problem.type !== "", `the problem has no title or type: ${JSON.stringify(problem)}`);
  const type = stale.response.headers.get("Content-Type");
  check(type !== null && type.startsWith("application/problem+json"), `Content-Type ${type}`);
  return `412 ${type}: "${problem.title}" (${problem.detail})`;
});

// 6. The change feed sees the article's latest state; a cursor taken now
// then sees its deletion.
let cursor = "";
await step("changes from the start: the article's upsert", async () => {
  let pages = 0;
  let found = false;
  let next: string | undefined;
  for (;;) {
    const { data, error, response } = await editor.GET("/v1/changes", { params: { query: { cursor: next, limit: 4 } } });
    check(data !== undefined, `page ${pages + 1}: HTTP ${response.status} ${JSON.stringify(error)}`);
    pages++;
    for (const c of data.data) {
      if (c.id !== id) continue;
      check(!found, `article ${id} appears twice`);
      found = true;
      check(c.op === "upsert", `article ${id} is a ${c.op}, want upsert`);
      check(c.article !== undefined && c.article.summary === newSummary,
        `the upsert carries summary "${c.article?.summary}"`);
    }
    cursor = data.next_cursor;
    if (data.data.length === 0) break;
    check(pages < 1000, "the change feed never ends");
    next = data.next_cursor;
  }
  check(found, `article ${id} is not in the change feed`);
  return `upsert of article ${id} with the new summary, ${pages} pages of 4, cursor ${cursor}`;
});

await step("DELETE with If-Match", async () => {
  const gone = await editor.DELETE("/v1/articles/{id}", {
    params: { path: { id }, header: { "If-Match": etag } },
  });
  check(gone.response.status === 204, `DELETE: HTTP ${gone.response.status} ${JSON.stringify(gone.error)}`);
  const after = await reader.GET("/v1/articles/{id}", { params: { path: { id } } });
  check(after.response.status === 404, `GET after DELETE: HTTP ${after.response.status}`);
  check(after.error !== undefined && after.error.status === 404, `the 404's problem: ${JSON.stringify(after.error)}`);
  return `204, then GET: 404 "${after.error.title}"`;
});

await step("changes since the cursor: the article's delete", async () => {
  const { data, error, response } = await reader.GET("/v1/changes", { params: { query: { cursor } } });
  check(data !== undefined, `HTTP ${response.status} ${JSON.stringify(error)}`);
  const mine = data.data.filter((c) => c.id === id);
  check(mine.length === 1 && mine[0].op === "delete", `article ${id} in the changes: ${JSON.stringify(mine)}`);
  check(mine[0].article === undefined, "the delete carries an article");
  return `${data.data.length} change(s) after cursor ${cursor}: delete of article ${id} (seq ${mine[0].seq})`;
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  APIUserAbortError,
  NRPRecord,
  NRPSearchResponse,
  UnsupportedQueryError,
} from "nrp-invenio-client";
import type { NRPInvenioClient, ScanProgress } from "nrp-invenio-client";
import type { DevServer } from "nrp-invenio-devserver";
import { Fixtures } from "../helpers/servers.js";

const fx = new Fixtures();
afterAll(() => fx.cleanup());

const COUNT = 130;
let server: DevServer;
let owner: NRPInvenioClient;
let anonymous: NRPInvenioClient;
const published: NRPRecord[] = [];
let draftId = "";

/** Search requests the devserver saw since `from` (index into its request log). */
function searchCalls(from: number): string[] {
  return server.requestLog
    .slice(from)
    .map((e) => e.path)
    .filter((p) => p.startsWith("/api/documents") || p.startsWith("/api/search"));
}

beforeAll(async () => {
  server = await fx.devserver();
  owner = fx.client(server, { token: server.tokens.owner }).client;
  anonymous = fx.client(server).client;
  const items = Array.from({ length: COUNT }, (_, i) => ({
    title: i % 10 === 0 ? `special document ${i}` : `document ${i}`,
  }));
  const results = await owner.records.createMany("documents", items, {
    concurrency: 8,
    filesEnabled: false,
  });
  const drafts = results.map((r) => {
    if (!r.ok) throw r.error;
    return r.record;
  });
  for (let i = 0; i < drafts.length; i += 8) {
    published.push(...(await Promise.all(drafts.slice(i, i + 8).map((d) => d.publish()))));
  }
  const draft = await owner.records.create(
    "documents",
    { title: "unpublished draft" },
    { filesEnabled: false },
  );
  draftId = draft.id;
}, 20_000);

describe("search requests", () => {
  it("executes one page with total, links and records mapped to their model", async () => {
    const page = await anonymous.searchRequest("documents").size(10).execute();
    expect(page).toBeInstanceOf(NRPSearchResponse);
    expect(page.total).toBe(COUNT);
    expect(page.length).toBe(10);
    expect(page.links.self).toContain("/api/documents");
    expect(page.links.next).toContain("page=2");
    expect(page.hasNextPage).toBe(true);
    for (const record of page) {
      expect(record).toBeInstanceOf(NRPRecord);
      expect(record.model).toBe("documents");
      expect(record.isPublished).toBe(true);
    }
    const next = await page.nextPage();
    expect(next?.page).toBe(2);
    expect(next?.records.map((r) => r.id)).not.toContain(page.records[0]?.id);
  });

  it("sorts oldest and newest first", async () => {
    const oldest = await anonymous.searchRequest("documents").orderBy("+created").size(5).execute();
    const newest = await anonymous.searchRequest("documents").orderBy("-created").size(5).execute();
    const created = (p: NRPSearchResponse): string[] =>
      p.records.map((r) => String(r.data.created));
    expect(created(oldest)).toEqual([...created(oldest)].sort());
    expect(created(newest)).toEqual([...created(newest)].sort().reverse());
    expect(oldest.sortBy).toBe("oldest");
    expect(newest.sortBy).toBe("newest");
  });

  it("finds a record by id and projects fields", async () => {
    const target = published[3];
    if (target === undefined) throw new Error("no records");
    const page = await anonymous
      .searchRequest("documents")
      .query(`id:${target.id}`)
      .fields("metadata.title")
      .execute();
    expect(page.total).toBe(1);
    const [hit] = page.records;
    expect(hit?.id).toBe(target.id);
    expect(hit?.data.metadata).toEqual({ title: target.metadata.title });
    expect(hit?.data.created).toBeUndefined();
  });

  it("searches drafts at the user endpoint and published records globally", async () => {
    const drafts = await owner.searchRequest("documents").drafts().execute();
    expect(drafts.records.map((r) => r.id)).toEqual([draftId]);
    expect(drafts.links.self).toContain("/api/user/documents");
    expect(drafts.records[0]?.isDraft).toBe(true);

    const global = await owner.search(undefined, { size: 5 });
    expect(global.links.self).toContain("/api/search");
    expect(global.total).toBe(COUNT);
    expect(global.records.every((r) => r.model === "documents")).toBe(true);

    const globalDrafts = await owner.searchRequest().drafts().execute();
    expect(globalDrafts.records.map((r) => r.mid)).toEqual([`draft/documents/${draftId}`]);
  });

  it("pages through every result, stopping after the last page", async () => {
    const ids: string[] = [];
    let pages = 0;
    for await (const page of anonymous.searchRequest("documents").size(40).pages()) {
      pages++;
      ids.push(...page.records.map((r) => r.id));
    }
    expect(pages).toBe(4);
    expect(new Set(ids).size).toBe(COUNT);
  });
});

describe("queries, facets and the window", () => {
  it("sends a structured query as q on a GET to the model's endpoint, never as a body", async () => {
    const before = server.requestLog.length;
    const page = await anonymous
      .searchRequest("documents")
      .query({ bool: { must: [{ match: { "metadata.title": "special" } }] } })
      .size(50)
      .execute();
    expect(page.total).toBe(COUNT / 10);
    expect(page.records.every((r) => String(r.metadata.title).startsWith("special"))).toBe(true);
    expect(page.records.every((r) => r.model === "documents")).toBe(true);
    const calls = server.requestLog.slice(before).filter((e) => e.path.startsWith("/api/"));
    expect(calls.map((e) => `${e.method} ${e.path.split("?")[0] ?? ""}`)).toEqual([
      "GET /api/documents/",
    ]);
    expect(new URL(calls[0]?.path ?? "", server.url).searchParams.get("q")).toBe(
      "metadata.title:special",
    );
  });

  it("narrows a structured query of several models by $schema on the global GET", async () => {
    const target = published[5];
    if (target === undefined) throw new Error("no records");
    const before = server.requestLog.length;
    const page = await anonymous
      .searchRequest(["documents", "datasets"])
      .query({ terms: { id: [target.id] } })
      .execute();
    expect(page.records.map((r) => r.id)).toEqual([target.id]);
    const calls = server.requestLog.slice(before).filter((e) => e.path.startsWith("/api/search"));
    expect(calls.map((e) => e.method)).toEqual(["GET"]);
    expect(new URL(calls[0]?.path ?? "", server.url).searchParams.get("q")).toBe(
      `(id:("${target.id}")) AND $schema:("local://documents-1.0.0.json" OR "local://datasets-1.0.0.json")`,
    );
  });

  it("retries a structured search like any other GET", async () => {
    const events: unknown[] = [];
    const client = fx.client(server, { onRetry: (e) => events.push(e) }).client;
    await client.info.repository();
    server.faults.add({ method: "GET", path: "/api/documents/", status: 503, times: 1 });
    const page = await client
      .searchRequest("documents")
      .query({ match: { "metadata.title": "special" } })
      .execute();
    server.faults.clear();
    expect(page.total).toBe(COUNT / 10);
    expect(events).toHaveLength(1);
  });

  it("refuses a query with no query-string form before sending anything", async () => {
    const client = fx.client(server).client;
    await client.info.repository();
    const before = server.requestLog.length;
    const error = await client
      .searchRequest("documents")
      .query({ bool: { filter: [{ nested: { path: "metadata.creators", query: {} } }] } })
      .execute()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedQueryError);
    expect(error).toMatchObject({
      code: "NRP_UNSUPPORTED_QUERY",
      path: "bool.filter[0].nested",
    });
    const scan = await (async () => {
      for await (const _ of client.searchRequest().query({ geo_shape: {} }).scan()) break;
    })().catch((e: unknown) => e);
    expect(scan).toMatchObject({ code: "NRP_UNSUPPORTED_QUERY", path: "geo_shape" });
    expect(server.requestLog.slice(before)).toEqual([]);
  });

  it("a drafts search on NRP also asks oarepo's record_status=draft (oarepo has no is_published)", async () => {
    const before = server.requestLog.length;
    await owner.searchRequest("documents").drafts().execute();
    await owner.searchRequest().drafts().execute();
    await owner.searchRequest("documents").facet("is_published", "true").drafts().execute();
    await owner.searchRequest("documents").facet("record_status", "published").drafts().execute();
    const queries = server.requestLog
      .slice(before)
      .filter((e) => e.path.startsWith("/api/user/"))
      .map((e) => new URL(e.path, server.url).searchParams);
    expect(queries.map((q) => [q.getAll("is_published"), q.getAll("record_status")])).toEqual([
      [["false"], ["draft"]],
      [["false"], ["draft"]],
      [["true"], []],
      [["false"], ["published"]],
    ]);
  });

  it("filters by a facet while the aggregations still count everything", async () => {
    const all = owner.searchRequest("documents").facet("is_published", "true").drafts();
    const page = await all.size(1).execute();
    expect(page.total).toBe(COUNT);
    const drafts = await owner.searchRequest("documents").drafts().execute();
    const buckets = (drafts.aggregations.is_published as { buckets: { key: string }[] }).buckets;
    expect(buckets.map((b) => b.key).sort()).toEqual(["false", "true"]);
  });

  it("stops paging at the window instead of following a next link past it", async () => {
    // A total past the window, as a large repository answers: `next` points past the window.
    const next = `${server.url}/api/documents/?page=101&size=100`;
    server.faults.add({
      method: "GET",
      path: "/api/documents/",
      status: 200,
      body: { hits: { hits: [], total: 20_000 }, links: { self: next, next } },
    });
    const page = await anonymous.search("documents", { size: 100, page: 100 });
    expect(page.total).toBe(20_000);
    expect(page.links.next).toBe(next);
    expect(page.hasNextPage).toBe(false);
    expect(await page.nextPage()).toBeUndefined();
  });

  it("maps sort keys to the server's named options", async () => {
    const page = await anonymous.search("documents", { orderBy: "-updated", size: 1 });
    expect(page.sortBy).toBe("updated-desc");
  });
});

describe("community filter", () => {
  const physics = "3f1c0b6e-7a52-4d8e-9c41-0e6a2b7d5f01";
  const clause = `parent.communities.ids:"${physics}"`;
  const sentQueries = (from: number): string[] =>
    server.requestLog
      .slice(from)
      .map((e) => new URL(e.path, server.url).searchParams.get("q"))
      .filter((q) => q !== null);

  it("sends a UUID as a parent.communities.ids clause in every request, scans included", async () => {
    const before = server.requestLog.length;
    await anonymous.searchRequest("documents").query("special").community(physics).execute();
    expect(sentQueries(before)).toEqual([`(special) AND ${clause}`]);

    const mark = server.requestLog.length;
    for await (const record of anonymous
      .searchRequest("documents")
      .community(physics.toUpperCase())
      .scan({ window: 10 })) {
      expect(record.model).toBe("documents");
    }
    const sent = sentQueries(mark);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((q) => q.includes(clause))).toBe(true);
    expect(anonymous.searchRequest().community(physics).community("").state.community).toBe(
      undefined,
    );
  });

  it("looks a slug up at /api/communities/<slug> and names an unknown one", async () => {
    const before = server.requestLog.length;
    const failure = await anonymous
      .searchRequest("documents")
      .community("no such")
      .execute()
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: "NRP_UNKNOWN_COMMUNITY" });
    expect(String(failure)).toContain('Unknown community "no such"');
    const paths = server.requestLog.slice(before).map((e) => e.path);
    expect(paths).toContain("/api/communities/no%20such");
    // Nothing was searched without the filter.
    expect(paths.some((p) => p.startsWith("/api/documents"))).toBe(false);
  });
});

describe("scan", () => {
  it("yields every record exactly once within the window, reporting progress", async () => {
    const progress: ScanProgress[] = [];
    const ids: string[] = [];
    const scan = anonymous
      .searchRequest("documents")
      .scan({ window: 1000, pageSize: 25, onProgress: (p) => progress.push(p) });
    for await (const record of scan) ids.push(record.id);
    expect(ids).toHaveLength(COUNT);
    expect(new Set(ids)).toEqual(new Set(published.map((r) => r.id)));
    expect(progress.at(-1)).toEqual({ seen: COUNT, total: COUNT });
  });

  it("splits created ranges past the window and still yields each record once", async () => {
    const before = server.requestLog.length;
    const ids: string[] = [];
    for await (const record of anonymous
      .searchRequest("documents")
      .scan({ window: 20, pageSize: 10 })) {
      ids.push(record.id);
    }
    expect(ids).toHaveLength(COUNT);
    expect(new Set(ids)).toEqual(new Set(published.map((r) => r.id)));
    const calls = searchCalls(before);
    expect(calls.some((p) => decodeURIComponent(p).includes("created:["))).toBe(true);
    // No page ever starts past the window.
    for (const p of calls) {
      const url = new URL(p, server.url);
      const page = Number(url.searchParams.get("page") ?? "1");
      const size = Number(url.searchParams.get("size") ?? "25");
      expect((page - 1) * size).toBeLessThan(20);
    }
  });

  it("keeps the caller's query while splitting", async () => {
    const ids: string[] = [];
    for await (const record of anonymous
      .searchRequest("documents")
      .query("special")
      .scan({ window: 5, pageSize: 5 })) {
      ids.push(record.id);
    }
    const expected = published.filter((r) => String(r.metadata.title).startsWith("special"));
    expect(new Set(ids)).toEqual(new Set(expected.map((r) => r.id)));
    expect(ids).toHaveLength(expected.length);
  });

  it("stops all requests when the loop is left", async () => {
    const before = server.requestLog.length;
    let n = 0;
    for await (const _record of anonymous
      .searchRequest("documents")
      .scan({ window: 20, pageSize: 10 })) {
      if (++n === 3) break;
    }
    const after = server.requestLog.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(server.requestLog.length).toBe(after);
    expect(after - before).toBeLessThan(12);
  });

  it("reports progress while splitting and stops on abort", async () => {
    const controller = new AbortController();
    const progress: ScanProgress[] = [];
    const ids: string[] = [];
    const error = await (async () => {
      for await (const record of anonymous.searchRequest("documents").scan({
        window: 20,
        pageSize: 10,
        signal: controller.signal,
        onProgress: (p) => {
          progress.push(p);
          if (p.seen >= 30) controller.abort();
        },
      })) {
        ids.push(record.id);
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIUserAbortError);
    expect(ids.length).toBeGreaterThanOrEqual(30);
    expect(ids.length).toBeLessThan(COUNT);
    expect(progress.every((p) => p.total === COUNT)).toBe(true);
    expect(progress.map((p) => p.seen)).toEqual(
      [...progress.map((p) => p.seen)].sort((a, b) => a - b),
    );
  });

  it("narrows by an id prefix as scans of one-timestamp clusters do", async () => {
    const prefix = published[0]?.id.slice(0, 1) ?? "0";
    const ids: string[] = [];
    for await (const r of anonymous.searchRequest("documents").query(`id:${prefix}*`).scan()) {
      ids.push(r.id);
    }
    const expected = published.filter((r) => r.id.startsWith(prefix)).map((r) => r.id);
    expect(new Set(ids)).toEqual(new Set(expected));
  });

  it("scans several models one endpoint after another", async () => {
    const before = server.requestLog.length;
    const ids: string[] = [];
    const progress: ScanProgress[] = [];
    for await (const record of anonymous
      .searchRequest(["documents", "datasets"])
      .scan({ window: 1000, onProgress: (p) => progress.push(p) })) {
      ids.push(record.mid);
    }
    const paths = server.requestLog.slice(before).map((e) => e.path.split("?")[0]);
    expect(new Set(paths)).toEqual(new Set(["/api/documents/", "/api/datasets/"]));
    expect(progress.at(-1)).toEqual({ seen: COUNT, total: COUNT });
    expect(ids).toHaveLength(COUNT);
    expect(ids.every((m) => m.startsWith("documents/"))).toBe(true);
  });
});

describe("community filter against the devserver's index, and structured queries per model", () => {
  let admin: NRPInvenioClient;
  const inPhysics: string[] = [];

  beforeAll(async () => {
    admin = fx.client(server, { token: server.tokens.admin }).client;
    for (const [title, community] of [
      ["community paper one", "physics"],
      ["community paper two", "physics"],
      ["community paper three", "biology"],
    ] as const) {
      const draft = await admin.records.create(
        "documents",
        { title },
        { community, filesEnabled: false },
      );
      const record = await draft.publish();
      if (community === "physics") inPhysics.push(record.id);
    }
    // A "special" record of another model, in physics as well.
    const dataset = await admin.records.create(
      "datasets",
      { title: "special dataset" },
      { community: "physics", filesEnabled: false },
    );
    await dataset.publish();
  }, 20_000);

  it("keeps only the community's records, by slug and by UUID", async () => {
    const bySlug = await anonymous.searchRequest("documents").community("physics").execute();
    expect(bySlug.total).toBe(2);
    expect(bySlug.records.map((r) => r.id).sort()).toEqual([...inPhysics].sort());
    const physics = (bySlug.records[0]?.data.parent as { communities: { default: string } })
      .communities.default;
    const byId = await anonymous
      .searchRequest("documents")
      .query("one")
      .community(physics)
      .execute();
    expect(byId.records.map((r) => r.metadata.title)).toEqual(["community paper one"]);
    const structured = await anonymous
      .searchRequest("documents")
      .query({ match: { "metadata.title": "paper" } })
      .community("biology")
      .execute();
    expect(structured.records.map((r) => r.metadata.title)).toEqual(["community paper three"]);
    // Everything in physics, whatever the model, through the global endpoint.
    const global = await anonymous.searchRequest().community("physics").execute();
    expect(global.total).toBe(3);
  });

  it("counts only the requested models' hits of a structured query", async () => {
    const query = { match: { "metadata.title": "special" } };
    const before = server.requestLog.length;
    const documents = await anonymous.searchRequest("documents").query(query).size(50).execute();
    expect(documents.total).toBe(COUNT / 10);
    expect(documents.records).toHaveLength(COUNT / 10);
    expect(server.requestLog.slice(before).map((e) => e.path.split("?")[0])).toEqual([
      "/api/documents/",
    ]);
    const datasets = await anonymous.searchRequest("datasets").query(query).execute();
    expect(datasets.total).toBe(1);
    expect(datasets.records.map((r) => r.model)).toEqual(["datasets"]);
    const both = await anonymous
      .searchRequest(["documents", "datasets"])
      .query(query)
      .size(50)
      .execute();
    expect(both.total).toBe(COUNT / 10 + 1);
    const everything = await anonymous.searchRequest().query(query).size(50).execute();
    expect(everything.total).toBe(COUNT / 10 + 1);
  });

  it("narrows a query string to several models by $schema through the global endpoint", async () => {
    const before = server.requestLog.length;
    const page = await anonymous
      .searchRequest(["documents", "datasets"])
      .query("special")
      .size(50)
      .execute();
    expect(page.total).toBe(COUNT / 10 + 1);
    const sent = server.requestLog
      .slice(before)
      .map((e) => new URL(e.path, server.url).searchParams.get("q"))
      .filter((q) => q !== null);
    expect(sent).toEqual([
      '(special) AND $schema:("local://documents-1.0.0.json" OR "local://datasets-1.0.0.json")',
    ]);
  });
});

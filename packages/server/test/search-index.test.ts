import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, test } from "vitest";
import { seedRecords, startDevServer, type DevServer } from "nrp-invenio-devserver";
import { fieldEntries, parentDocument } from "../src/store/field-index.js";
import { MIGRATIONS, migrate } from "../src/store/migrations.js";
import { DATABASE_FILE } from "../src/store/store.js";
import { call, send } from "./helpers.js";

interface Bucket {
  key: string;
  doc_count: number;
}

function buckets(body: { aggregations: Record<string, { buckets: Bucket[] }> }, name: string) {
  return (body.aggregations[name]?.buckets ?? []).map((b) => [b.key, b.doc_count]);
}

/**
 * Checks that the field index holds exactly what rebuilding it from the stored rows gives: no
 * entry missing, none left over from an update or a delete, and value counts that match.
 */
function expectIndexMatchesRows(dataDir: string): void {
  const db = new BetterSqlite3(join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    const expected: string[] = [];
    for (const [table, kind] of [
      ["records", "record"],
      ["drafts", "draft"],
    ] as const) {
      const rows = db.prepare(`SELECT rowid AS rid, model, data FROM ${table}`).all() as {
        rid: number;
        model: string;
        data: string;
      }[];
      for (const row of rows) {
        const entries = fieldEntries(JSON.parse(row.data) as Record<string, unknown>);
        for (const [field, value] of entries) {
          const shown = value instanceof Buffer ? "<present>" : String(value);
          expected.push(`${kind} ${String(row.rid)} ${row.model} ${field}=${shown}`);
        }
      }
    }
    // Parents are indexed as `parent.*` queries see them.
    const parents = db
      .prepare("SELECT rowid AS rid, id, model, communities, workflow FROM parents")
      .all() as {
      rid: number;
      id: string;
      model: string;
      communities: string;
      workflow: string | null;
    }[];
    for (const p of parents) {
      const doc = parentDocument(p.id, JSON.parse(p.communities) as string[], p.workflow);
      for (const [field, value] of fieldEntries(doc)) {
        const shown = value instanceof Buffer ? "<present>" : String(value);
        expected.push(`parent ${String(p.rid)} ${p.model} ${field}=${shown}`);
      }
    }
    const actual = (
      db
        .prepare(
          `SELECT kind, rid, model, field,
             CASE typeof(value) WHEN 'blob' THEN '<present>' ELSE CAST(value AS TEXT) END AS v
           FROM field_values`,
        )
        .all() as { kind: string; rid: number; model: string; field: string; v: string }[]
    ).map((r) => `${r.kind} ${String(r.rid)} ${r.model} ${r.field}=${r.v}`);
    expect(actual.sort()).toEqual([...new Set(expected)].sort());
    const orphans = db
      .prepare(
        `SELECT count(*) AS n FROM field_tokens t WHERE NOT EXISTS (
           SELECT 1 FROM field_values v WHERE v.kind = t.kind AND v.rid = t.rid)`,
      )
      .get() as { n: number };
    expect(orphans.n).toBe(0);
    const counts = db
      .prepare(
        `SELECT kind, model, field, CAST(value AS TEXT) AS v, n FROM field_counts WHERE n > 0
         ORDER BY kind, model, field, v`,
      )
      .all();
    const recount = db
      .prepare(
        `SELECT kind, model, field, CAST(value AS TEXT) AS v, count(*) AS n FROM field_values
         WHERE typeof(value) <> 'blob' GROUP BY kind, model, field, value ORDER BY kind, model, field, v`,
      )
      .all();
    expect(counts).toEqual(recount);
  } finally {
    db.close();
  }
}

describe("field index: matches and facets follow updates and deletes", () => {
  const dir = mkdtempSync(join(tmpdir(), "nrp-index-"));
  let server: DevServer;
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const documents = (): string => `${server.url}/api/documents/`;
  const owner = (): string => server.tokens.owner;

  async function publish(metadata: Record<string, unknown>): Promise<string> {
    const draft = await send("POST", documents(), {
      token: owner(),
      body: { metadata, files: { enabled: false } },
    });
    expect(draft.status).toBe(201);
    const published = await send("POST", draft.body.links.publish, { token: owner() });
    expect(published.status, JSON.stringify(published.body)).toBe(202);
    return published.body.id as string;
  }

  async function ids(url: string, token?: string): Promise<string[]> {
    const res = await call(url, token === undefined ? {} : { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body.hits.hits as { id: string }[]).map((h) => h.id).sort();
  }

  const q = (query: string): string => `${documents()}?size=100&q=${encodeURIComponent(query)}`;

  test("an edited record matches its new values only, in matches and in facet counts", async () => {
    server = await startDevServer({ dataDir: dir });
    const a = await publish({ title: "Alpha", keywords: ["physics", "ecology"], language: "en" });
    const b = await publish({ title: "Beta", keywords: ["physics"], language: "cs", pages: 12 });
    expect(await ids(q("metadata.keywords:ecology"))).toEqual([a]);
    const before = await call(documents());
    expect(buckets(before.body, "keywords")).toEqual([
      ["physics", 2],
      ["ecology", 1],
    ]);

    // An edit draft carries the new values in the owner's listing before it is published.
    const edit = await send("POST", `${documents()}${a}/draft`, { token: owner() });
    expect(edit.status).toBe(201);
    const put = await send("PUT", `${documents()}${a}/draft`, {
      token: owner(),
      body: {
        metadata: { title: "Alpha", keywords: ["geology"], language: "de", pages: 7 },
        files: { enabled: false },
      },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const mine = `${server.url}/api/user/documents/?size=100&q=`;
    expect(await ids(`${mine}${encodeURIComponent("metadata.keywords:geology")}`, owner())).toEqual(
      [a],
    );
    expect(await ids(`${mine}${encodeURIComponent("metadata.keywords:ecology")}`, owner())).toEqual(
      [],
    );
    expect(await ids(q("metadata.keywords:ecology"))).toEqual([a]);

    const published = await send("POST", `${documents()}${a}/draft/actions/publish`, {
      token: owner(),
    });
    expect(published.status, JSON.stringify(published.body)).toBe(202);
    expect(await ids(q("metadata.keywords:ecology"))).toEqual([]);
    expect(await ids(q("metadata.keywords:geology"))).toEqual([a]);
    expect(await ids(q("metadata.language:de"))).toEqual([a]);
    expect(await ids(q("metadata.pages:[5 TO 10]"))).toEqual([a]);
    expect(await ids(q("metadata.pages:[10 TO *]"))).toEqual([b]);
    const after = await call(documents());
    expect(buckets(after.body, "keywords")).toEqual([
      ["geology", 1],
      ["physics", 1],
    ]);
    expect(buckets(after.body, "language")).toEqual([
      ["cs", 1],
      ["de", 1],
    ]);
    const filtered = await call(`${documents()}?keywords=geology`);
    expect(filtered.body.hits.hits.map((h: { id: string }) => h.id)).toEqual([a]);
    expectIndexMatchesRows(dir);
  });

  test("a deleted draft no longer matches nor counts", async () => {
    const draft = await send("POST", documents(), {
      token: owner(),
      body: { metadata: { title: "Gamma", keywords: ["chemistry"] }, files: { enabled: false } },
    });
    const mine = `${server.url}/api/user/documents/?size=100`;
    const withDraft = await call(mine, { token: owner() });
    expect(buckets(withDraft.body, "keywords")).toContainEqual(["chemistry", 1]);
    expect(
      await ids(`${mine}&q=${encodeURIComponent("metadata.keywords:chemistry")}`, owner()),
    ).toEqual([draft.body.id]);
    const deleted = await send("DELETE", `${documents()}${String(draft.body.id)}/draft`, {
      token: owner(),
    });
    expect(deleted.status).toBe(204);
    expect(
      await ids(`${mine}&q=${encodeURIComponent("metadata.keywords:chemistry")}`, owner()),
    ).toEqual([]);
    const without = await call(mine, { token: owner() });
    expect(buckets(without.body, "keywords").map(([k]) => k)).not.toContain("chemistry");
    expectIndexMatchesRows(dir);
  });

  test("a removed published record no longer matches nor counts", async () => {
    const api = `${server.url}/api/datasets`;
    const draft = await send("POST", `${api}/`, {
      token: owner(),
      body: {
        metadata: { title: "Removed", keywords: ["volcanology"], creators: [{ name: "Smith" }] },
        files: { enabled: false },
        parent: { communities: { default: "physics" } },
      },
    });
    const id = draft.body.id as string;
    const act = (rid: string, action: string, token: string) =>
      send("POST", `${server.url}/api/requests/${rid}/actions/${action}`, { token });
    const pub = await send("POST", `${api}/${id}/draft/requests/publish_draft`, {
      token: owner(),
      body: {},
    });
    await act(pub.body.id, "submit", owner());
    expect((await act(pub.body.id, "accept", server.tokens.curator)).body.status).toBe("accepted");
    const search = (query: string) => ids(`${api}/?q=${encodeURIComponent(query)}`);
    expect(await search("metadata.creators.name:smith")).toEqual([id]);
    expect(await search("metadata.keywords:volcanology")).toEqual([id]);
    expect(buckets((await call(`${api}/`)).body, "keywords")).toEqual([["volcanology", 1]]);

    const del = await send("POST", `${api}/${id}/requests/delete_published_record`, {
      token: owner(),
      body: { payload: { removal_reason: "Duplicate" } },
    });
    await act(del.body.id, "submit", owner());
    expect((await act(del.body.id, "accept", server.tokens.curator)).body.status).toBe("accepted");
    expect(await search("metadata.keywords:volcanology")).toEqual([]);
    expect(await search("metadata.creators.name:smith")).toEqual([]);
    expect(buckets((await call(`${api}/`)).body, "keywords")).toEqual([]);
    expectIndexMatchesRows(dir);
  });
});

describe("seeded records", () => {
  const dir = mkdtempSync(join(tmpdir(), "nrp-index-seed-"));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("are indexed as the write path indexes them, with their facet counts", async () => {
    await seedRecords({ dataDir: dir, records: 300, model: "datasets", seed: 3 });
    expectIndexMatchesRows(dir);
    const server = await startDevServer({ dataDir: dir });
    try {
      const api = `${server.url}/api/datasets/`;
      const all = await call(api);
      const counted = buckets(all.body, "resource_type");
      expect(counted.reduce((sum, [, n]) => sum + Number(n), 0)).toBe(300);
      for (const [key, n] of counted) {
        // Counted through the matching rows instead of read from the kept counts.
        const q = encodeURIComponent(`metadata.resource_type:${String(key)}`);
        const filtered = await call(`${api}?q=${q}`);
        expect(filtered.body.hits.total).toBe(n);
        expect(buckets(filtered.body, "resource_type")).toEqual([[key, n]]);
      }
      // A query matching one record in 300: counted from that row's own entries.
      const one = await call(`${api}?q=${encodeURIComponent("metadata.title:17")}`);
      expect(one.body.hits.total).toBe(1);
      const metadata = one.body.hits.hits[0].metadata as {
        keywords: string[];
        resource_type: string;
      };
      expect(buckets(one.body, "keywords").sort()).toEqual(
        metadata.keywords.map((k) => [k, 1]).sort(),
      );
      expect(buckets(one.body, "resource_type")).toEqual([[metadata.resource_type, 1]]);
    } finally {
      await server.close();
    }
  });
});

describe("a data directory from before the field index", () => {
  const dir = mkdtempSync(join(tmpdir(), "nrp-upgrade-"));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("is indexed on upgrade and searches as before", async () => {
    // Schema 5 with records and a draft written straight into it, as an older devserver left them.
    const db = new BetterSqlite3(join(dir, DATABASE_FILE));
    db.pragma("journal_mode = WAL");
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version <= 5),
    );
    db.prepare(
      "INSERT INTO users (id, username, email, roles, created) VALUES (1, 'owner', 'owner@example.org', '[]', 'x')",
    ).run();
    const rows: [string, string, Record<string, unknown>][] = [
      ["rec-1", "record", { title: "Old physics", keywords: ["physics", "optics"], pages: 12 }],
      [
        "rec-2",
        "record",
        { title: "Old ecology", keywords: ["ecology"], pages: 30, authors: [{ name: "Smith" }] },
      ],
      ["rec-3", "record", { title: "Old notes", abstract: "Plain text.", keywords: [] }],
      ["dra-1", "draft", { title: "Unfinished physics", keywords: ["physics"] }],
    ];
    rows.forEach(([id, kind, data], i) => {
      const created = `2021-0${String(i + 1)}-01T00:00:00.000000+00:00`;
      db.prepare(
        `INSERT INTO parents (id, model, owner_id, communities, latest_id, latest_index, created,
           updated) VALUES (?, 'documents', 1, '[]', ?, ?, ?, ?)`,
      ).run(`p-${id}`, kind === "record" ? id : null, kind === "record" ? 1 : 0, created, created);
      const table = kind === "record" ? "records" : "drafts";
      db.prepare(
        `INSERT INTO ${table} (id, parent_id, model, version_index, data, files_enabled, pids,
           revision_id, created, updated${kind === "draft" ? ", expires_at" : ""})
         VALUES (?, ?, 'documents', 1, ?, 0, '{}', 1, ?, ?${kind === "draft" ? ", ?" : ""})`,
      ).run(
        id,
        `p-${id}`,
        JSON.stringify(data),
        created,
        created,
        ...(kind === "draft" ? [created] : []),
      );
    });
    db.close();

    const server = await startDevServer({ dataDir: dir });
    try {
      const api = `${server.url}/api/documents/`;
      const found = async (query: string): Promise<string[]> => {
        const res = await call(`${api}?q=${encodeURIComponent(query)}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        return (res.body.hits.hits as { id: string }[]).map((h) => h.id).sort();
      };
      expect(await found("metadata.keywords:physics")).toEqual(["rec-1"]);
      expect(await found("metadata.title:old")).toEqual(["rec-1", "rec-2", "rec-3"]);
      expect(await found("metadata.pages:[10 TO 20]")).toEqual(["rec-1"]);
      expect(await found("metadata.authors.name:smith")).toEqual(["rec-2"]);
      expect(await found("_exists_:metadata.keywords")).toEqual(["rec-1", "rec-2", "rec-3"]);
      expect(await found("_exists_:metadata.abstract")).toEqual(["rec-3"]);
      const all = await call(api);
      expect(all.body.hits.total).toBe(3);
      expect(buckets(all.body, "keywords")).toEqual([
        ["ecology", 1],
        ["optics", 1],
        ["physics", 1],
      ]);
      const mine = await call(
        `${server.url}/api/user/documents/?q=${encodeURIComponent("metadata.keywords:physics")}`,
        { token: server.tokens.owner },
      );
      expect((mine.body.hits.hits as { id: string }[]).map((h) => h.id).sort()).toEqual([
        "dra-1",
        "rec-1",
      ]);
      expect(buckets(mine.body, "is_published")).toEqual([
        ["false", 1],
        ["true", 1],
      ]);
    } finally {
      await server.close();
    }
    expectIndexMatchesRows(dir);
  });
});

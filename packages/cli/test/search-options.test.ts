import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";

import { NRPInvenioClient } from "nrp-invenio-client";
import { DEFAULT_COMMUNITIES, seedRecords } from "nrp-invenio-devserver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { useDevserverCli } from "./helpers.js";
import type { RunResult } from "./helpers.js";

// Tests index deep into server JSON; the assertions are the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** Published `datasets` seeded straight into the database, many more than the scan window below. */
const SEEDED = 600;
/** The window the scan is told the server has, so that 600 records need several ranges. */
const WINDOW = 100;

const PHYSICS = DEFAULT_COMMUNITIES[0]?.id ?? "";

const DOCUMENTS = [
  { title: "Quark spin", keywords: ["quarks", "spin"], community: "physics" },
  { title: "Quark colour", keywords: ["quarks"], community: "physics" },
  { title: "Cell walls", keywords: ["cells"], community: "biology" },
  { title: "Cell spin", keywords: ["cells", "spin"], community: undefined },
  { title: "Loose notes", keywords: ["notes"], community: undefined },
] as const;

describe("structured queries, communities, facets and windowed scans from the CLI", () => {
  let dataDir = "";
  // Registered before the devserver's hooks, so it runs after the server has closed.
  afterAll(() => rm(dataDir, { recursive: true, force: true }));
  const cli = useDevserverCli({
    server: async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), "nrp-cli-search-"));
      await seedRecords({ dataDir, records: SEEDED, model: "datasets", seed: 7 });
      return { dataDir };
    },
  });
  const { nrp } = cli;
  const created = new Map<string, string>();

  beforeAll(async () => {
    const server = cli.server;
    const client = new NRPInvenioClient({ serverUrl: server.url, token: server.tokens.owner });
    try {
      for (const { title, keywords, community } of DOCUMENTS) {
        const draft = await client.records.create(
          "documents",
          { title, keywords: [...keywords] },
          { filesEnabled: false, ...(community === undefined ? {} : { community }) },
        );
        const record = await draft.publish();
        created.set(title, String(record.data["created"]));
      }
    } finally {
      await client.close();
    }
  }, 120_000);

  function titles(r: RunResult): string[] {
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as Json[]).map((h) => h["metadata"]["title"] as string).sort();
  }
  /** The URLs of the requests the devserver saw since `from` (an index into its log). */
  function requestUrls(from: number): URL[] {
    return cli.server.requestLog.slice(from).map((e) => new URL(e.path, cli.server.url));
  }
  /** The query strings of the searches since `from`. */
  function queries(from: number): string[] {
    return requestUrls(from)
      .map((u) => u.searchParams.get("q"))
      .filter((q) => q !== null);
  }

  describe("--json-query", () => {
    it("sends a bool query with term and must_not and gets exactly its matches", async () => {
      const query = {
        bool: {
          must: [{ term: { "metadata.keywords": "spin" } }],
          must_not: [{ match: { "metadata.title": "cell" } }],
        },
      };
      const r = await nrp([
        "search",
        "records",
        "--model",
        "documents",
        "--json-query",
        JSON.stringify(query),
      ]);
      expect(titles(r)).toEqual(["Quark spin"]);
      expect(r.stderr).toContain("Records 1–1 of 1.");
    });

    it("takes a range query from a file and from standard input", async () => {
      // The documents were created one after another: from the third on, three remain.
      const since = created.get("Cell walls") ?? "";
      const query = JSON.stringify({ query: { range: { created: { gte: since } } } });
      const file = path.join(cli.home.home, "range.json");
      await writeFile(file, query);
      const fromFile = await nrp([
        "search",
        "records",
        "--model",
        "documents",
        "--json-query",
        file,
      ]);
      expect(titles(fromFile)).toEqual(["Cell spin", "Cell walls", "Loose notes"]);
      const fromStdin = await nrp(
        ["search", "records", "--model", "documents", "--json-query", "-"],
        { stdin: Readable.from([query]) },
      );
      expect(titles(fromStdin)).toEqual(["Cell spin", "Cell walls", "Loose notes"]);
    });

    it("scans with a structured query", async () => {
      const r = await nrp([
        "scan",
        "records",
        "--model",
        "documents",
        "--format",
        "jsonl",
        "--json-query",
        '{"terms": {"metadata.keywords": ["quarks", "notes"]}}',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trimEnd().split("\n");
      expect(
        lines.map((l) => (JSON.parse(l) as Json)["metadata"]["title"] as string).sort(),
      ).toEqual(["Loose notes", "Quark colour", "Quark spin"]);
    });

    it("bad JSON, a non-object and a query string beside it are usage errors (exit 2)", async () => {
      const bad = await nrp(["search", "records", "--json-query", '{"term": {"a": }}']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/line 1, column \d+/);
      expect(bad.stderr).not.toMatch(/\n\s+at /);

      const array = await nrp(["search", "records", "--json-query", "[1]"]);
      expect(array.code).toBe(2);
      expect(array.stderr).toContain("Expected a JSON object");

      const missing = await nrp(["scan", "records", "--json-query", "no-such-query.json"]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("neither JSON nor an existing file");

      const both = await nrp(["search", "records", "spin", "--json-query", '{"match_all": {}}']);
      expect(both.code).toBe(2);
      expect(both.stderr).toContain("either a [query] string or --json-query");
    });

    it("is sent as q on a GET, never as a search body (NRP servers ignore one)", async () => {
      const from = cli.server.requestLog.length;
      const r = await nrp([
        "search",
        "records",
        "--json-query",
        '{"terms": {"metadata.keywords": ["notes"]}}',
      ]);
      expect(titles(r)).toEqual(["Loose notes"]);
      const searches = cli.server.requestLog
        .slice(from)
        .filter((e) => e.path.startsWith("/api/search"));
      expect(searches.map((e) => e.method)).toEqual(["GET"]);
      expect(queries(from)).toEqual(['metadata.keywords:("notes")']);
    });

    it("a query type with no query-string form exits 2 before anything is sent", async () => {
      await nrp(["describe", "repository"]);
      const from = cli.server.requestLog.length;
      const r = await nrp(["search", "records", "--json-query", '{"no_such_query": {}}']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^Error: /);
      expect(r.stderr).toContain('the query type "no_such_query"');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(cli.server.requestLog.slice(from).filter((e) => e.path.startsWith("/api/"))).toEqual(
        [],
      );
    });
  });

  describe("--facets", () => {
    it("prints a second table of facet, value and count after the hits", async () => {
      const r = await nrp(["search", "records", "--model", "documents", "--facets"], { tty: true });
      expect(r.code, r.stderr).toBe(0);
      // The devserver labels buckets with their values, so there is no label column.
      expect(r.stdout).toMatch(/│ facet\s*│ value\s*│ count │/);
      expect(r.stdout).toMatch(/│ keywords\s*│ spin\s*│ 2\s*│/);
      expect(r.stdout).toMatch(/│ keywords\s*│ quarks\s*│ 2\s*│/);
      expect(r.stdout).toMatch(/│ keywords\s*│ notes\s*│ 1\s*│/);
    });

    it("puts total, hits and the server's aggregations in one JSON document", async () => {
      const r = await nrp([
        "search",
        "records",
        "metadata.title:cell",
        "--model",
        "documents",
        "--facets",
        "--format",
        "json",
      ]);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as Json;
      expect(doc["total"]).toBe(2);
      expect((doc["hits"] as Json[]).map((h) => h["metadata"]["title"] as string).sort()).toEqual([
        "Cell spin",
        "Cell walls",
      ]);
      const buckets = doc["facets"]["keywords"]["buckets"] as Json[];
      expect(Object.fromEntries(buckets.map((b) => [b["key"], b["doc_count"]]))).toEqual({
        cells: 2,
        spin: 1,
      });

      const line = await nrp(["search", "records", "--facets", "--format", "jsonl", "--size", "1"]);
      expect(line.code, line.stderr).toBe(0);
      expect(line.stdout.trimEnd().split("\n")).toHaveLength(1);
      expect((JSON.parse(line.stdout) as Json)["total"]).toBe(SEEDED + DOCUMENTS.length);
    });
  });

  describe("--community", () => {
    it("adds a parent.communities.ids clause for a UUID to searches and scans", async () => {
      const before = cli.server.requestLog.length;
      const r = await nrp(["search", "records", "spin", "--community", PHYSICS.toUpperCase()]);
      expect(r.code, r.stderr).toBe(0);
      const clause = `parent.communities.ids:"${PHYSICS}"`;
      expect(queries(before)).toContain(`(spin) AND ${clause}`);

      const mark = cli.server.requestLog.length;
      const scan = await nrp(["scan", "records", "--community", PHYSICS, "--format", "jsonl"]);
      expect(scan.code, scan.stderr).toBe(0);
      const sent = queries(mark);
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.every((q) => q.includes(clause))).toBe(true);
    });

    it("an unknown community slug exits 4 and names it", async () => {
      const r = await nrp(["search", "records", "--community", "no-such-community"]);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('Unknown community "no-such-community"');
      expect(r.stderr).toContain("/api/communities/no-such-community");
    });

    it("keeps only the community's records, by UUID or slug", async () => {
      // The seeded datasets are in physics too (the seed puts records in the first community).
      expect(
        titles(await nrp(["search", "records", "--model", "documents", "--community", PHYSICS])),
      ).toEqual(["Quark colour", "Quark spin"]);
      expect(
        titles(
          await nrp([
            "search",
            "records",
            "--model",
            "documents",
            "--community",
            "physics",
            "metadata.title:spin",
          ]),
        ),
      ).toEqual(["Quark spin"]);
      expect(
        titles(await nrp(["search", "records", "--model", "documents", "--community", "biology"])),
      ).toEqual(["Cell walls"]);
    });
  });

  describe("--scan-window", () => {
    it(`scans ${SEEDED} seeded records through a ${WINDOW}-record window, each exactly once`, async () => {
      const before = cli.server.requestLog.length;
      const r = await nrp([
        "scan",
        "records",
        "--model",
        "datasets",
        "--scan-window",
        String(WINDOW),
        "--format",
        "jsonl",
      ]);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trimEnd().split("\n");
      expect(lines).toHaveLength(SEEDED);
      const seen = new Set(lines.map((l) => (JSON.parse(l) as Json)["id"] as string));
      expect(seen.size).toBe(SEEDED);
      expect(r.stderr).toContain(`Scanned ${SEEDED} records.`);
      // The window forced `created` range queries, and no page reached past it.
      expect(queries(before).some((q) => q.includes("created:["))).toBe(true);
      for (const url of requestUrls(before)) {
        const page = Number(url.searchParams.get("page") ?? "1");
        const size = Number(url.searchParams.get("size") ?? "25");
        expect((page - 1) * size).toBeLessThan(WINDOW);
      }
    }, 60_000);

    it("rejects a window that is not a positive whole number", async () => {
      const r = await nrp(["scan", "records", "--scan-window", "0"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("--scan-window must be a positive whole number");
    });
  });
});

import { main } from "nrp-invenio-cli";
import { NRPInvenioClient } from "nrp-invenio-client";
import { beforeAll, describe, expect, it } from "vitest";

import { useDevserverCli } from "./helpers.js";
import type { RunResult } from "./helpers.js";

// Tests index deep into server JSON; the assertions are the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const TITLES = [
  ["Oak trees of Bohemia", "oak"],
  ["Oak bark beetles", "oak"],
  ["Oak acorns", "oak"],
  ["Birch sap", "birch"],
  ["Birch bark", "birch"],
  ["Pine needles", "pine"],
  ["Pine resin", "pine"],
  ["Spruce roots", "spruce"],
  ["Spruce cones", "spruce"],
  ["Beech leaves", "beech"],
  ["Beech nuts", "beech"],
  ["Linden flowers", "linden"],
] as const;

describe("search and scan commands against the devserver", () => {
  const cli = useDevserverCli();
  const { nrp } = cli;
  const published = new Map<string, string>();
  let draftId = "";

  beforeAll(async () => {
    const server = cli.server;
    const client = new NRPInvenioClient({ serverUrl: server.url, token: server.tokens.owner });
    try {
      for (const [title, keyword] of TITLES) {
        const draft = await client.records.create(
          "documents",
          { title, keywords: [keyword] },
          { filesEnabled: false },
        );
        const record = await draft.publish();
        published.set(record.id, title);
      }
      const draft = await client.records.create(
        "documents",
        { title: "Unfinished oak draft", keywords: ["oak"] },
        { filesEnabled: false },
      );
      draftId = draft.id;
    } finally {
      await client.close();
    }
  }, 60_000);
  function json(r: RunResult): Json[] {
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Json[];
  }

  it("finds records by a query, with the total and the next page on stderr", async () => {
    const r = await nrp(["search", "records", "metadata.title:oak", "--format", "json"]);
    const hits = json(r);
    expect(hits.map((h) => h["metadata"]["title"] as string).sort()).toEqual([
      "Oak acorns",
      "Oak bark beetles",
      "Oak trees of Bohemia",
    ]);
    expect(r.stderr).toContain("Records 1–3 of 3.");

    const first = await nrp(["search", "records", "--model", "documents", "--size", "5"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("Records 1–5 of 12. Next page: --page 2.");
    const last = await nrp(["list", "records", "--size", "5", "--page", "3", "--format", "json"]);
    expect(json(last)).toHaveLength(2);
    expect(last.stderr).toContain("Records 11–12 of 12.");
    expect(last.stderr).not.toContain("Next page");
  });

  it("pages through everything with --sort without repeating a record", async () => {
    const seen: string[] = [];
    for (const page of ["1", "2", "3"]) {
      const r = await nrp(["records", "search", "--sort", "oldest", "--size", "5", "--page", page]);
      expect(r.code, r.stderr).toBe(0);
      seen.push(...(JSON.parse(r.stdout) as Json[]).map((h) => h["id"] as string));
    }
    expect(new Set(seen).size).toBe(12);
    expect([...seen].sort()).toEqual([...published.keys()].sort());
  });

  it("filters by a facet and keeps drafts apart", async () => {
    const oak = json(await nrp(["search", "records", "--facet", "keywords=oak"]));
    expect(oak).toHaveLength(3);
    const drafts = json(await nrp(["search", "records", "oak", "--drafts"]));
    expect(drafts.map((h) => h["id"] as string)).toContain(draftId);
    expect(
      json(await nrp(["search", "records", "--published"])).map((h) => h["id"] as string),
    ).not.toContain(draftId);
  });

  it("--json-query with --drafts searches your drafts only", async () => {
    const query = '{"term": {"metadata.keywords": "oak"}}';
    const drafts = json(await nrp(["search", "records", "--drafts", "--json-query", query]));
    expect(drafts.map((h) => h["id"] as string)).toEqual([draftId]);
    const records = json(await nrp(["search", "records", "--json-query", query]));
    expect(records.map((h) => h["metadata"]["title"] as string).sort()).toEqual([
      "Oak acorns",
      "Oak bark beetles",
      "Oak trees of Bohemia",
    ]);
  });

  it("prints a table of id, model, title, created and state", async () => {
    const r = await nrp(["search", "records", "metadata.title:birch", "--sort", "oldest"], {
      tty: true,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/id\s*│\s*model\s*│\s*title\s*│\s*created\s*│\s*state/);
    expect(r.stdout).toMatch(
      /│\s*documents\s*│\s*Birch sap\s*│\s*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s*│\s*published/,
    );
    expect(r.stdout).toContain("Birch bark");
  });

  it("--fields keeps only the given fields", async () => {
    const hits = json(
      await nrp(["search", "records", "--fields", "id,metadata.title", "--size", "3"]),
    );
    expect(hits).toHaveLength(3);
    for (const h of hits) {
      expect(Object.keys(h).sort()).toEqual(["id", "metadata"]);
      expect(Object.keys(h["metadata"] as Json)).toEqual(["title"]);
    }
    const table = await nrp(["search", "records", "--fields", "metadata.title"], { tty: true });
    expect(table.stdout).toMatch(/│ metadata\.title\s*│/);
    expect(table.stdout).toContain("Linden flowers");
  });

  it("--set stores the hits' API URLs for @VAR", async () => {
    const r = await nrp(["search", "records", "metadata.title:pine", "--set", "pines"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("Stored in @pines (2 values).");
    const stored = await nrp(["get", "variable", "pines", "--format", "json"]);
    expect(stored.code, stored.stderr).toBe(0);
    expect(stored.stdout).toContain(`${cli.server.url}/api/`);
    const none = await nrp([
      "search",
      "records",
      "metadata.title:nothingmatches",
      "--set",
      "pines",
    ]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).toContain("@pines is unchanged");
    const records = json(await nrp(["get", "record", "@pines", "--format", "json"]));
    expect(records.map((x) => x["metadata"]["title"] as string).sort()).toEqual([
      "Pine needles",
      "Pine resin",
    ]);
  });

  it("an invalid query and a page past the window exit 5 with the reason", async () => {
    const bad = await nrp(["search", "records", "title:(oak"]);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toMatch(/Invalid query string syntax/i);

    const far = await nrp(["search", "records", "--size", "100", "--page", "101"]);
    expect(far.code).toBe(5);
    expect(far.stderr).toContain("nrp scan records");
  });

  it("scan --format jsonl writes every record exactly once", async () => {
    const r = await nrp(["scan", "records", "--model", "documents", "--format", "jsonl"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(12);
    const ids = lines.map((l) => (JSON.parse(l) as Json)["id"] as string);
    expect(new Set(ids).size).toBe(12);
    expect([...ids].sort()).toEqual([...published.keys()].sort());
    expect(r.stderr).toContain("Scanned 12 records.");

    const filtered = await nrp([
      "records",
      "scan",
      "metadata.title:spruce",
      "--fields",
      "metadata.title",
      "--format",
      "jsonl",
    ]);
    expect(filtered.code, filtered.stderr).toBe(0);
    expect(
      filtered.stdout
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(
      expect.arrayContaining([
        { metadata: { title: "Spruce roots" } },
        { metadata: { title: "Spruce cones" } },
      ]),
    );
  });

  it("scan shows a progress line on a terminal and Ctrl-C exits 130 with valid output", async () => {
    const tty = await nrp(["scan", "records", "--format", "jsonl"], { stderrTty: true });
    expect(tty.code, tty.stderr).toBe(0);
    expect(tty.stderr).toContain("\r\x1b[2K");

    // Ctrl-C after the first record: what was printed stays a valid JSON array.
    const controller = new AbortController();
    let out = "";
    let err = "";
    const code = await main(["--config", cli.home.config, "scan", "records", "--format", "json"], {
      stdout: {
        write: (s: string) => {
          out += s;
          controller.abort();
          return true;
        },
      },
      stderr: { write: (s: string) => (err += s) },
      env: { ...cli.home.env, NO_COLOR: "1" },
      signal: controller.signal,
    });
    expect(code, err).toBe(130);
    expect(err).toContain("Interrupted.");
    const printed = JSON.parse(out) as Json[];
    expect(printed.length).toBeGreaterThanOrEqual(1);
    expect(printed.length).toBeLessThan(12);
  });
});

describe("search against plain InvenioRDM", () => {
  const cli = useDevserverCli({ server: { flavour: "rdm" }, alias: "rdm" });
  const { nrp } = cli;

  beforeAll(async () => {
    const server = cli.server;
    const client = new NRPInvenioClient({ serverUrl: server.url, token: server.tokens.owner });
    try {
      for (const [title, keyword] of TITLES.slice(0, 6)) {
        const draft = await client.records.create(
          "records",
          { title, keywords: [keyword] },
          { filesEnabled: false },
        );
        await draft.publish();
      }
    } finally {
      await client.close();
    }
  });

  /** The owner's unpublished drafts. */
  async function drafts(): Promise<number> {
    const r = await nrp(["search", "records", "--drafts", "--size", "100", "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as Json[]).length;
  }

  it("--json-query is sent as a query string, finds its records and creates nothing", async () => {
    const before = await drafts();
    const from = cli.server.requestLog.length;
    const query = {
      bool: {
        must: [{ terms: { "metadata.keywords": ["oak", "pine"] } }],
        must_not: [{ match: { "metadata.title": "acorns needles" } }],
      },
    };
    const r = await nrp(["search", "records", "--json-query", JSON.stringify(query)]);
    expect(r.code, r.stderr).toBe(0);
    const titles = (JSON.parse(r.stdout) as Json[]).map((h) => h["metadata"]["title"] as string);
    expect(titles.sort()).toEqual(["Oak bark beetles", "Oak trees of Bohemia"]);
    expect(cli.server.requestLog.slice(from).filter((e) => e.method !== "GET")).toEqual([]);
    expect(await drafts()).toBe(before);
  });

  it("a query type with no query-string form exits 2 before anything is sent", async () => {
    await nrp(["describe", "repository"]);
    const from = cli.server.requestLog.length;
    const r = await nrp([
      "search",
      "records",
      "--json-query",
      '{"bool": {"filter": [{"geo_distance": {"distance": "1km", "location": [0, 0]}}]}}',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("bool.filter[0].geo_distance");
    expect(r.stderr).toContain("query string");
    expect(
      cli.server.requestLog.slice(from).filter((e) => e.path.startsWith("/api/records")),
    ).toEqual([]);
  });

  it("no hits for a query string says that a malformed query looks the same on InvenioRDM", async () => {
    const r = await nrp(["search", "records", "metadata.title:nothing-like-this"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("InvenioRDM does not refuse a malformed query");
    const some = await nrp(["search", "records", "oak"]);
    expect(some.stderr).not.toContain("malformed");
  });
});

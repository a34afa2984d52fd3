import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UnsupportedQueryError } from "nrp-invenio-client";
import type { NRPInvenioClient, StructuredQuery } from "nrp-invenio-client";
import type { DevServer } from "nrp-invenio-devserver";
import { Fixtures } from "../helpers/servers.js";

// Plain InvenioRDM has no search that takes a body: `POST /api/records` creates a draft. A
// structured query must reach it as a query string, with the same hits, and create nothing.

const fx = new Fixtures();
afterAll(() => fx.cleanup());

let server: DevServer;
let owner: NRPInvenioClient;
const created = new Map<string, string>();

const RECORDS = [
  { title: "Quark spin", keywords: ["quarks", "spin"], publisher: "CERN" },
  { title: "Quark colour", keywords: ["quarks"], publisher: "CERN" },
  { title: "Cell walls", keywords: ["cells"] },
  { title: "Cell spin", keywords: ["cells", "spin"] },
  { title: "Loose notes: a (draft) [v2]", keywords: ["notes"] },
];

beforeAll(async () => {
  server = await fx.devserver({ flavour: "rdm" });
  owner = fx.client(server, { token: server.tokens.owner }).client;
  for (const metadata of RECORDS) {
    const draft = await owner.records.create("records", metadata, { filesEnabled: false });
    const record = await draft.publish();
    created.set(metadata.title, String(record.data.created));
  }
});

/** Every record of the user, drafts included, as the user's own collection counts them. */
async function userRecords(): Promise<number> {
  const res = await fetch(`${server.apiUrl}/user/records?size=1`, {
    headers: { authorization: `Bearer ${server.tokens.owner}` },
  });
  const body = (await res.json()) as { hits: { total: number } };
  return body.hits.total;
}

/** The titles a structured query finds, checking that it was sent without a POST. */
async function titles(query: StructuredQuery): Promise<string[]> {
  const from = server.requestLog.length;
  const page = await owner.searchRequest("records").query(query).size(50).execute();
  expect(server.requestLog.slice(from).filter((e) => e.method !== "GET")).toEqual([]);
  expect(page.total).toBe(page.length);
  return page.records.map((r) => String(r.metadata.title)).sort();
}

describe("structured queries on plain InvenioRDM", () => {
  it("are sent as a query string (GET), find the right records and create no draft", async () => {
    const before = await userRecords();
    const from = server.requestLog.length;
    const found = await titles({
      bool: {
        must: [{ term: { "metadata.keywords": "spin" } }],
        must_not: [{ match: { "metadata.title": "cell" } }],
      },
    });
    expect(found).toEqual(["Quark spin"]);
    const calls = server.requestLog.slice(from).filter((e) => e.path.startsWith("/api/records"));
    expect(calls.map((e) => e.method)).toEqual(["GET"]);
    expect(new URL(calls[0]?.path ?? "", server.url).searchParams.get("q")).toBe(
      'metadata.keywords:"spin" AND NOT metadata.title:cell',
    );
    expect(server.requestLog.slice(from).some((e) => e.method === "POST")).toBe(false);
    expect(await userRecords()).toBe(before);
  });

  it.each<[string, StructuredQuery, string[]]>([
    [
      "terms",
      { terms: { "metadata.keywords": ["quarks", "notes"] } },
      ["Loose notes: a (draft) [v2]", "Quark colour", "Quark spin"],
    ],
    [
      "should without must (one must match)",
      {
        bool: {
          should: [
            { term: { "metadata.keywords": "notes" } },
            { term: { "metadata.keywords": "cells" } },
          ],
        },
      },
      ["Cell spin", "Cell walls", "Loose notes: a (draft) [v2]"],
    ],
    [
      "should beside must (none need to match)",
      {
        bool: {
          filter: [{ term: { "metadata.keywords": "quarks" } }],
          should: [{ term: { "metadata.keywords": "notes" } }],
        },
      },
      ["Quark colour", "Quark spin"],
    ],
    [
      "must_not alone",
      { bool: { must_not: [{ terms: { "metadata.keywords": ["quarks", "cells"] } }] } },
      ["Loose notes: a (draft) [v2]"],
    ],
    ["exists", { exists: { field: "metadata.publisher" } }, ["Quark colour", "Quark spin"]],
    [
      "match with operator and",
      { match: { "metadata.title": { query: "cell spin", operator: "and" } } },
      ["Cell spin"],
    ],
    ["match (or)", { match: { "metadata.title": "colour walls" } }, ["Cell walls", "Quark colour"]],
    [
      "query_string",
      { query_string: { query: "metadata.keywords:spin AND quark" } },
      ["Quark spin"],
    ],
    [
      "a phrase with query-string syntax in it",
      { match_phrase: { "metadata.title": "Loose notes: a (draft) [v2]" } },
      ["Loose notes: a (draft) [v2]"],
    ],
    ["match_none", { match_none: {} }, []],
    ["terms with no values", { terms: { "metadata.keywords": [] } }, []],
  ])("%s", async (_name, query, expected) => {
    expect(await titles(query)).toEqual(expected);
  });

  it("a range on created, also in a scan", async () => {
    const since = created.get("Cell walls") ?? "";
    const query = { query: { range: { created: { gte: since } } } };
    const all = ["Cell spin", "Cell walls", "Loose notes: a (draft) [v2]"];
    expect(await titles(query)).toEqual(all);
    const scanned: string[] = [];
    for await (const r of owner.searchRequest("records").query(query).scan({ window: 2 })) {
      scanned.push(String(r.metadata.title));
    }
    expect(scanned.sort()).toEqual(all);
    const exclusive = await titles({ range: { created: { gt: since } } });
    expect(exclusive).toEqual(["Cell spin", "Loose notes: a (draft) [v2]"]);
  });

  it("match_all, and a search of all models, need no query string", async () => {
    expect(await titles({ match_all: {} })).toHaveLength(RECORDS.length);
    const from = server.requestLog.length;
    const page = await owner
      .searchRequest()
      .query({ term: { "metadata.keywords": "spin" } })
      .execute();
    expect(page.records.map((r) => r.metadata.title).sort()).toEqual(["Cell spin", "Quark spin"]);
    expect(server.requestLog.slice(from).every((e) => e.method === "GET")).toBe(true);
  });

  it("refuses what has no query-string form before sending anything", async () => {
    await owner.info.repository();
    const from = server.requestLog.length;
    const before = await userRecords();
    const error = await owner
      .searchRequest("records")
      .query({
        bool: {
          must: [{ term: { "metadata.keywords": "spin" } }, { geo_distance: { distance: "1km" } }],
        },
      })
      .execute()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedQueryError);
    expect(error).toMatchObject({
      code: "NRP_UNSUPPORTED_QUERY",
      path: "bool.must[1].geo_distance",
    });
    expect((error as Error).message).toContain("query string");
    const fuzzy = await owner
      .searchRequest("records")
      .query({ match: { "metadata.title": { query: "quark", fuzziness: 2 } } })
      .execute()
      .catch((e: unknown) => e);
    expect(fuzzy).toMatchObject({ path: "match.metadata.title.fuzziness" });
    // Only the count above reached the server.
    expect(server.requestLog.slice(from).filter((e) => e.path.startsWith("/api/records"))).toEqual(
      [],
    );
    expect(await userRecords()).toBe(before);
  });
});

describe("drafts on plain InvenioRDM", () => {
  it("filter on is_published=false only (oarepo's record_status is not sent)", async () => {
    const draft = await owner.records.create("records", { title: "Unpublished" });
    const from = server.requestLog.length;
    const page = await owner.searchRequest("records").drafts().execute();
    expect(page.records.map((r) => r.id)).toEqual([draft.id]);
    const [sent] = server.requestLog.slice(from).filter((e) => e.path.startsWith("/api/user/"));
    const query = new URL(sent?.path ?? "", server.url).searchParams;
    expect([query.getAll("is_published"), query.has("record_status")]).toEqual([["false"], false]);
    await draft.delete();
  });
});

import { describe, expect, test } from "vitest";
import { call, send, useServer } from "./helpers.js";

const PHYSICS = "3f1c0b6e-7a52-4d8e-9c41-0e6a2b7d5f01";

describe("communities API", () => {
  const server = useServer();

  test("a community reads by slug or UUID in invenio-communities' shape", async () => {
    const api = server().apiUrl;
    const bySlug = await call(`${api}/communities/physics`);
    expect(bySlug.status).toBe(200);
    expect(bySlug.body).toMatchObject({
      id: PHYSICS,
      slug: "physics",
      revision_id: 1,
      metadata: { title: "Physics" },
      access: { visibility: "public" },
      links: {
        self: `${api}/communities/${PHYSICS}`,
        self_html: `${server().url}/communities/physics`,
        records: `${api}/communities/${PHYSICS}/records`,
      },
    });
    expect(bySlug.body.created).toMatch(/^\d{4}-\d{2}-\d{2}T.*\+00:00$/);
    const byId = await call(`${api}/communities/${PHYSICS.toUpperCase()}`);
    expect(byId.status).toBe(200);
    expect(byId.body.slug).toBe("physics");
  });

  test("an unknown community is Invenio's 404", async () => {
    const res = await call(`${server().apiUrl}/communities/no-such-community`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ status: 404, message: "The persistent identifier does not exist." });
  });

  test("the listing is a search envelope, narrowed by q on slug and title", async () => {
    const all = await call(`${server().apiUrl}/communities`);
    expect(all.status).toBe(200);
    expect(all.body.hits.total).toBe(2);
    expect((all.body.hits.hits as { slug: string }[]).map((c) => c.slug).sort()).toEqual([
      "biology",
      "physics",
    ]);
    expect(all.body.links.self).toContain("/api/communities?");
    const some = await call(`${server().apiUrl}/communities?q=Biol*`);
    expect(some.body.hits.total).toBe(1);
    expect(some.body.hits.hits[0].slug).toBe("biology");
    const none = await call(`${server().apiUrl}/communities?q=chemistry`);
    expect(none.body.hits.total).toBe(0);
  });
});

describe("search by parent fields and per model", () => {
  const server = useServer();
  const owner = (): string => server().tokens.owner;
  const ids: Record<string, string> = {};

  /** Publishes a document (direct publishing) in `community`, or in none. */
  async function publish(name: string, community: string | undefined): Promise<void> {
    const draft = await send("POST", `${server().apiUrl}/documents/`, {
      token: owner(),
      body: {
        metadata: { title: `paper ${name}` },
        files: { enabled: false },
        ...(community === undefined ? {} : { parent: { communities: { default: community } } }),
      },
    });
    expect(draft.status).toBe(201);
    const published = await send("POST", draft.body.links.publish, { token: owner() });
    expect(published.status).toBe(202);
    ids[name] = published.body.id;
  }

  test("publishes records in physics, biology and no community, and a draft in physics", async () => {
    await publish("p1", "physics");
    await publish("p2", PHYSICS);
    await publish("b1", "biology");
    await publish("n1", undefined);
    const draft = await send("POST", `${server().apiUrl}/documents/`, {
      token: owner(),
      body: {
        metadata: { title: "paper d1" },
        files: { enabled: false },
        parent: { communities: { default: "physics" } },
      },
    });
    expect(draft.status).toBe(201);
    ids.d1 = draft.body.id;
  });

  async function names(url: string, init: { token?: string; body?: unknown } = {}) {
    const res =
      init.body === undefined
        ? await call(url, init.token === undefined ? {} : { token: init.token })
        : await send("POST", url, init);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const byId = Object.entries(ids);
    const found = (res.body.hits.hits as { id: string }[])
      .map((h) => byId.find(([, id]) => id === h.id)?.[0] ?? h.id)
      .sort();
    return { total: res.body.hits.total as number, found };
  }

  const q = (query: string): string => `?size=50&q=${encodeURIComponent(query)}`;

  test.each([
    [`parent.communities.ids:"${PHYSICS}"`, ["p1", "p2"]],
    [`parent.communities.default:${PHYSICS}`, ["p1", "p2"]],
    [`paper AND parent.communities.ids:"${PHYSICS}"`, ["p1", "p2"]],
    [`_exists_:parent.communities.ids`, ["b1", "p1", "p2"]],
    [`NOT _exists_:parent.communities.default`, ["n1"]],
    [`NOT parent.communities.ids:"${PHYSICS}"`, ["b1", "n1"]],
  ])("q=%s on published records", async (query, expected) => {
    const { found, total } = await names(`${server().apiUrl}/documents/${q(query)}`);
    expect(found).toEqual(expected);
    expect(total).toBe(expected.length);
    // The first page (checked row by row) and the count (set-wise) agree through the global
    // endpoint too.
    expect((await names(`${server().apiUrl}/search/${q(query)}`)).found).toEqual(expected);
  });

  test("parent fields match drafts in the personal collections", async () => {
    const mine = await names(
      `${server().apiUrl}/user/documents/${q(`parent.communities.ids:"${PHYSICS}"`)}`,
      { token: owner() },
    );
    expect(mine.found).toEqual(["d1", "p1", "p2"]);
  });

  test("structured term and terms match parent fields", async () => {
    const url = `${server().apiUrl}/search/?size=50`;
    const term = await names(url, {
      body: { query: { term: { "parent.communities.ids": PHYSICS } } },
    });
    expect(term.found).toEqual(["p1", "p2"]);
    const biology = (await call(`${server().apiUrl}/communities/biology`)).body.id as string;
    const terms = await names(url, {
      body: { bool: { filter: [{ terms: { "parent.communities.default": [PHYSICS, biology] } }] } },
    });
    expect(terms.found).toEqual(["b1", "p1", "p2"]);
  });

  test("the community records search lists a community's published records", async () => {
    const res = await names(`${server().apiUrl}/communities/physics/records`);
    expect(res.found).toEqual(["p1", "p2"]);
    expect((await call(`${server().apiUrl}/communities/nope/records`)).status).toBe(404);
  });

  test("removing a record from a community changes cached search results", async () => {
    const url = `${server().apiUrl}/search/${q(`parent.communities.ids:"${PHYSICS}"`)}`;
    // Asked twice, so the second answer comes from the result cache.
    expect((await names(url)).total).toBe(2);
    expect((await names(url)).total).toBe(2);
    const api = `${server().apiUrl}/communities/physics/records`;
    const denied = await send("DELETE", api, {
      token: server().tokens.depositor,
      body: { records: [{ id: ids.p1 }] },
    });
    expect(denied.status).toBe(403);
    const removed = await send("DELETE", api, {
      token: server().tokens.curator,
      body: { records: [{ id: ids.p1 }] },
    });
    expect(removed.status).toBe(204);
    expect(await names(url)).toEqual({ total: 1, found: ["p2"] });
    expect((await names(api)).found).toEqual(["p2"]);
    const record = await call(`${server().apiUrl}/documents/${ids.p1 ?? ""}`);
    expect(record.body.parent.communities).toEqual({});
    const again = await send("DELETE", api, {
      token: server().tokens.curator,
      body: { records: [{ id: ids.p1 }, { id: "nosuch-00000" }] },
    });
    expect(again.status).toBe(200);
    expect(again.body.errors).toHaveLength(2);
  });

  test("a $schema filter restricts a global structured query to some models", async () => {
    const draft = await send("POST", `${server().apiUrl}/datasets/`, {
      token: server().tokens.admin,
      body: {
        metadata: { title: "paper dataset" },
        files: { enabled: false },
        parent: { communities: { default: "biology" } },
      },
    });
    expect(draft.status).toBe(201);
    const published = await send(
      "POST",
      `${server().apiUrl}/datasets/${draft.body.id as string}/draft/actions/publish`,
      { token: server().tokens.admin },
    );
    expect(published.status).toBe(202);
    const url = `${server().apiUrl}/search/?size=50`;
    const query = { match: { "metadata.title": "paper" } };
    expect((await names(url, { body: { query } })).total).toBe(5);
    const documents = await names(url, {
      body: {
        bool: { must: [query], filter: [{ terms: { $schema: ["local://documents-1.0.0.json"] } }] },
      },
    });
    expect(documents.total).toBe(4);
    const datasets = await names(url, {
      body: {
        bool: { must: [query], filter: [{ term: { $schema: "local://datasets-1.0.0.json" } }] },
      },
    });
    expect(datasets.total).toBe(1);
    const inQ = await names(
      `${server().apiUrl}/search/${q('paper AND $schema:("local://datasets-1.0.0.json")')}`,
    );
    expect(inQ.total).toBe(1);
    const unknown = await names(url, { body: { term: { $schema: "local://nope.json" } } });
    expect(unknown.total).toBe(0);
  });
});

describe("communities in the rdm flavour (InvenioRDM 13)", () => {
  const server = useServer({ flavour: "rdm" });

  test("POST /api/communities creates one (201, revision 2) that reads by slug and is searched with facets", async () => {
    const { url, apiUrl, tokens } = server();
    const body = {
      slug: "testcomm",
      metadata: { title: "Test community", description: "curl" },
      access: { visibility: "public" },
    };
    const created = await send("POST", `${apiUrl}/communities`, { token: tokens.depositor, body });
    expect(created.status).toBe(201);
    expect(created.headers.get("etag")).toBe('"2"');
    const id = created.body.id as string;
    expect(created.body).toMatchObject({
      slug: "testcomm",
      revision_id: 2,
      metadata: { title: "Test community", description: "curl" },
      is_verified: false,
      links: {
        featured: `${apiUrl}/communities/${id}/featured`,
        self: `${apiUrl}/communities/${id}`,
        self_html: `${url}/communities/testcomm/`,
      },
    });
    const read = await call(`${apiUrl}/communities/testcomm`);
    expect(read.headers.get("etag")).toBe('"2"');
    expect(read.body).toEqual(created.body);
    const search = await call(`${apiUrl}/communities?q=test`);
    expect(search.body.hits.hits.map((c: { id: string }) => c.id)).toEqual([id]);
    expect(search.body.aggregations).toEqual({
      type: { buckets: [], label: "Type" },
      visibility: {
        buckets: [{ key: "public", doc_count: 1, label: "Public", is_selected: false }],
        label: "Visibility",
      },
    });
    const records = await call(`${apiUrl}/communities/testcomm/records`);
    expect(records.body.links.self).toBe(
      `${apiUrl}/communities/testcomm/records?page=1&size=25&sort=newest`,
    );
  });

  test("creating: anonymous 403, a taken slug and a missing title 400", async () => {
    const { apiUrl, tokens } = server();
    const body = { slug: "physics", metadata: { title: "Again" } };
    expect((await send("POST", `${apiUrl}/communities`, { body })).status).toBe(403);
    const taken = await send("POST", `${apiUrl}/communities`, { token: tokens.owner, body });
    expect(taken.status).toBe(400);
    expect(taken.body.errors).toEqual([
      { field: "slug", messages: ["A community with this identifier already exists."] },
    ]);
    const untitled = await send("POST", `${apiUrl}/communities`, {
      token: tokens.owner,
      body: { slug: "untitled", metadata: {} },
    });
    expect(untitled.status).toBe(400);
    expect(untitled.body.errors).toEqual([
      { field: "metadata.title", messages: ["Missing data for required field."] },
    ]);
  });
});

import { describe, expect, test } from "vitest";
import { call, send, useServer } from "./helpers.js";

describe("search: query language, sorting, paging and facets", () => {
  const server = useServer();
  const owner = (): string => server().tokens.owner;
  const documents = (): string => `${server().url}/api/documents/`;
  const ids: Record<string, string> = {};

  const fixtures: [string, Record<string, unknown>][] = [
    ["a", { title: "test1 alpha", keywords: ["physics", "open data"], pages: 5, language: "en" }],
    ["b", { title: "test10 beta", keywords: ["chemistry"], pages: 10, language: "cs" }],
    ["c", { title: "gamma ray bursts", abstract: "A study of test1 signals", pages: 20 }],
    ["d", { title: "delta Dataset", keywords: ["physics"], language: "en" }],
  ];

  test("publishes the fixtures", async () => {
    for (const [name, metadata] of fixtures) {
      const draft = await send("POST", documents(), {
        token: owner(),
        body: { metadata, files: { enabled: false } },
      });
      expect(draft.status).toBe(201);
      const published = await send("POST", draft.body.links.publish, { token: owner() });
      expect(published.status).toBe(202);
      ids[name] = published.body.id;
    }
    // One draft that never gets published: visible only to its owner.
    const draft = await send("POST", documents(), {
      token: owner(),
      body: { metadata: { title: "test1 unpublished" }, files: { enabled: false } },
    });
    ids.e = draft.body.id;
  });

  test("a hit is its record's or draft's own answer, parent and versions included (links aside)", async () => {
    const url = server().url;
    const res = await call(`${url}/api/user/search/?size=100`, { token: owner() });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const hits = res.body.hits.hits as Record<string, unknown>[];
    for (const [name, path] of [
      ["a", `${documents()}${ids.a ?? ""}`],
      ["e", `${documents()}${ids.e ?? ""}/draft`],
    ] as const) {
      const hit = hits.find((h) => h.id === ids[name]);
      const own = await call(path, { token: owner() });
      expect(own.status).toBe(200);
      const { links: _hitLinks, ...hitRest } = hit ?? {};
      const { links: _ownLinks, ...ownRest } = own.body as Record<string, unknown>;
      expect(hitRest, name).toEqual(ownRest);
    }
  });

  async function found(q: string): Promise<string[]> {
    const res = await call(`${documents()}?size=100&q=${encodeURIComponent(q)}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const names = Object.entries(ids);
    return (res.body.hits.hits as { id: string }[])
      .map((h) => names.find(([, id]) => id === h.id)?.[0] ?? "?")
      .sort();
  }

  test.each([
    ["test1", ["a", "c"]],
    ["test10", ["b"]],
    ["TEST1", ["a", "c"]],
    ['"ray bursts"', ["c"]],
    ['"bursts ray"', []],
    ["metadata.title:test1", ["a"]],
    ['metadata.title:"gamma ray"', ["c"]],
    ["metadata.keywords:physics", ["a", "d"]],
    ['metadata.keywords:"open data"', ["a"]],
    ["physics AND chemistry", []],
    ["physics OR chemistry", ["a", "b", "d"]],
    ["physics NOT test1", ["d"]],
    ["physics AND NOT metadata.language:en", []],
    ["-physics", ["b", "c"]],
    ["(test1 OR test10) AND metadata.language:cs", ["b"]],
    ["tes*", ["a", "b", "c"]],
    ["metadata.title:del*", ["d"]],
    ["g?mma", ["c"]],
    ["_exists_:metadata.keywords", ["a", "b", "d"]],
    ["NOT _exists_:metadata.abstract", ["a", "b", "d"]],
    ["metadata.pages:[5 TO 10]", ["a", "b"]],
    ["metadata.pages:{5 TO 20]", ["b", "c"]],
    ["metadata.pages:[5 TO 20}", ["a", "b"]],
    ["metadata.pages:[10 TO *]", ["b", "c"]],
    ["*", ["a", "b", "c", "d"]],
  ])("q=%s", async (q, expected) => {
    expect(await found(q)).toEqual(expected);
  });

  test("id and created ranges, with exclusive ends", async () => {
    expect(await found(`id:${ids.b ?? ""}`)).toEqual(["b"]);
    const all = await call(`${documents()}?sort=oldest&size=100`);
    const created = (all.body.hits.hits as { created: string }[]).map((h) => h.created);
    const first = created[0] ?? "";
    const third = created[2] ?? "";
    expect(await found(`created:[${first} TO ${third}}`)).toEqual(["a", "b"]);
    expect(await found(`created:{${first} TO ${third}]`)).toEqual(["b", "c"]);
    const z = (t: string): string => t.replace("+00:00", "Z");
    expect(await found(`created:[${z(first)} TO ${z(third)}}`)).toEqual(["a", "b"]);
    expect(await found(`created:[* TO ${z(third)}]`)).toEqual(["a", "b", "c"]);
  });

  test("an unparseable query is a 400", async () => {
    const res = await call(`${documents()}?q=${encodeURIComponent("a AND (")}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 400, message: "Invalid query string syntax." });
  });

  test("sort options, and an unknown one", async () => {
    const order = async (sort: string): Promise<string[]> => {
      const res = await call(`${documents()}?sort=${sort}`);
      expect(res.body.sortBy).toBe(sort);
      return (res.body.hits.hits as { id: string }[]).map((h) => h.id);
    };
    const newest = await order("newest");
    expect(newest).toEqual([ids.d, ids.c, ids.b, ids.a]);
    expect(await order("oldest")).toEqual([...newest].reverse());
    expect(await order("updated-desc")).toEqual(newest);
    expect(await order("updated-asc")).toEqual([...newest].reverse());
    const bad = await call(`${documents()}?sort=title`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([
      { field: "_schema", messages: ["Invalid sort option 'title'."] },
    ]);
  });

  test("bestmatch ranks by the free text's relevance, and is the default with a query", async () => {
    const res = await call(`${documents()}?q=${encodeURIComponent("physics OR test1 OR alpha")}`);
    expect(res.body.sortBy).toBe("bestmatch");
    expect(res.body.hits.hits.map((h: { id: string }) => h.id)).toEqual([ids.a, ids.d, ids.c]);
    const plain = await call(`${documents()}?sort=bestmatch`);
    expect(plain.body.sortBy).toBe("newest");
  });

  test("paging links and the 10 000 window", async () => {
    const page1 = await call(`${documents()}?size=3&sort=oldest`);
    expect(page1.body.hits.total).toBe(4);
    expect(page1.body.hits.hits).toHaveLength(3);
    expect(page1.body.links.next).toContain("page=2");
    expect(page1.body.links.prev).toBeUndefined();
    const page2 = await call(page1.body.links.next);
    expect(page2.body.hits.hits.map((h: { id: string }) => h.id)).toEqual([ids.d]);
    expect(page2.body.links.next).toBeUndefined();
    expect(page2.body.links.prev).toContain("page=1");
    const past = await call(`${documents()}?size=100&page=101`);
    expect(past.status).toBe(400);
    expect(past.body).toEqual({ status: 400, message: "Invalid querystring parameters." });
    const bad = await call(`${documents()}?size=0`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([
      { field: "size", messages: ["Must be greater than or equal to 1."] },
    ]);
  });

  test("facets are aggregated before the facet filter applies", async () => {
    const res = await call(`${documents()}?keywords=physics`);
    expect(res.body.hits.total).toBe(2);
    expect(res.body.links.self).toContain("keywords=physics");
    const keywords = res.body.aggregations.keywords;
    expect(keywords.label).toBe("Keywords");
    expect(keywords.buckets).toEqual([
      { key: "physics", doc_count: 2, label: "physics", is_selected: true },
      { key: "chemistry", doc_count: 1, label: "chemistry", is_selected: false },
      { key: "open data", doc_count: 1, label: "open data", is_selected: false },
    ]);
    expect(res.body.aggregations.language.buckets).toEqual([
      { key: "en", doc_count: 2, label: "en", is_selected: false },
      { key: "cs", doc_count: 1, label: "cs", is_selected: false },
    ]);
  });

  test("drafts are visible only to their owner, with an is_published facet", async () => {
    expect(await found("unpublished")).toEqual([]);
    const url = `${server().url}/api/user/documents/?q=test1`;
    const mine = await call(url, { token: owner() });
    expect(mine.body.hits.total).toBe(3);
    expect(mine.body.aggregations.is_published.buckets).toEqual([
      { key: "true", doc_count: 2, label: "Published", is_selected: false },
      { key: "false", doc_count: 1, label: "Unpublished", is_selected: false },
    ]);
    const drafts = await call(`${url}&is_published=false`, { token: owner() });
    expect(drafts.body.hits.hits.map((h: { id: string }) => h.id)).toEqual([ids.e]);
    const other = await call(url, { token: server().tokens.curator });
    expect(other.body.hits.total).toBe(0);
  });

  test("structured queries on POST /api/search/", async () => {
    const post = async (query: unknown): Promise<string[]> => {
      const res = await send("POST", `${server().url}/api/search/?size=100`, { body: { query } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const names = Object.entries(ids);
      return (res.body.hits.hits as { id: string }[])
        .map((h) => names.find(([, id]) => id === h.id)?.[0] ?? "?")
        .sort();
    };
    expect(await post({ term: { "metadata.keywords": "physics" } })).toEqual(["a", "d"]);
    expect(await post({ terms: { "metadata.language": ["cs", "en"] } })).toEqual(["a", "b", "d"]);
    expect(await post({ match: { "metadata.title": "gamma delta" } })).toEqual(["c", "d"]);
    expect(await post({ range: { "metadata.pages": { gt: 5, lte: 20 } } })).toEqual(["b", "c"]);
    expect(
      await post({
        bool: {
          must: [{ query_string: { query: "physics OR chemistry" } }],
          must_not: [{ term: { "metadata.language": "cs" } }],
          filter: [{ range: { "metadata.pages": { gte: 1 } } }],
        },
      }),
    ).toEqual(["a"]);
    expect(
      await post({ bool: { should: [{ term: { id: ids.c } }, { term: { id: ids.b } }] } }),
    ).toEqual(["b", "c"]);
    const bad = await send("POST", `${server().url}/api/search/`, {
      body: { query: { fuzzy: {} } },
    });
    expect(bad.status).toBe(400);
  });
});

describe("search in the rdm flavour (InvenioRDM 13)", () => {
  const server = useServer({ flavour: "rdm" });

  test("facets: access status, file type and resource type with labels; they filter", async () => {
    const { url, tokens } = server();
    const token = tokens.owner;
    const create = async (title: string, type: string, file?: string): Promise<string> => {
      const draft = await send("POST", `${url}/api/records`, {
        token,
        body: {
          metadata: { title, resource_type: { id: type } },
          files: { enabled: file !== undefined },
        },
      });
      if (file !== undefined) {
        const files = `${url}/api/records/${draft.body.id as string}/draft/files`;
        await send("POST", files, { token, body: [{ key: file }] });
        await call(`${files}/${file}/content`, {
          method: "PUT",
          token,
          headers: { "Content-Type": "application/octet-stream" },
          body: "x",
        });
        await send("POST", `${files}/${file}/commit`, { token });
      }
      expect((await send("POST", draft.body.links.publish, { token })).status).toBe(202);
      return draft.body.id as string;
    };
    const table = await create("Faceted table", "dataset", "t.CSV");
    await create("Faceted software", "software", "s.bin");
    await create("Faceted note", "dataset");
    const res = await call(`${url}/api/records?q=faceted`);
    expect(res.body.aggregations).toEqual({
      access_status: {
        label: "Access status",
        buckets: [
          { key: "open", doc_count: 2, label: "Open", is_selected: false },
          { key: "metadata-only", doc_count: 1, label: "Metadata-only", is_selected: false },
        ],
      },
      file_type: {
        label: "File type",
        buckets: [
          { key: "bin", doc_count: 1, label: "BIN", is_selected: false },
          { key: "csv", doc_count: 1, label: "CSV", is_selected: false },
        ],
      },
      resource_type: {
        label: "Resource types",
        buckets: [
          {
            key: "dataset",
            doc_count: 2,
            label: "Dataset",
            is_selected: false,
            inner: { buckets: [] },
          },
          {
            key: "software",
            doc_count: 1,
            label: "Software",
            is_selected: false,
            inner: { buckets: [] },
          },
        ],
      },
    });
    expect(res.body.page).toBe(1);
    const csv = await call(`${url}/api/records?q=faceted&file_type=csv`);
    expect(csv.body.hits.hits.map((h: { id: string }) => h.id)).toEqual([table]);
    expect(csv.body.aggregations.file_type.buckets[1].is_selected).toBe(true);
    const metadataOnly = await call(`${url}/api/records?q=faceted&access_status=metadata-only`);
    expect(metadataOnly.body.hits.total).toBe(1);
    const software = await call(`${url}/api/records?q=faceted&resource_type=software`);
    expect(software.body.hits.total).toBe(1);
  });

  test("a query the parser cannot read searches its words as plain text, as RDM 13 does", async () => {
    const { url, tokens } = server();
    const published: string[] = [];
    for (const title of ["Quokka census", "Quokka diet", "Island quokka", "Wombat burrows"]) {
      const draft = await send("POST", `${url}/api/records`, {
        token: tokens.owner,
        body: { metadata: { title, resource_type: { id: "dataset" } }, files: { enabled: false } },
      });
      const done = await send("POST", draft.body.links.publish, { token: tokens.owner });
      expect(done.status).toBe(202);
      published.push(done.body.id as string);
    }
    const search = async (q: string): Promise<{ status: number; ids: string[] }> => {
      const res = await call(`${url}/api/records?size=100&q=${encodeURIComponent(q)}`);
      const hits = (res.body.hits?.hits ?? []) as { id: string }[];
      return { status: res.status, ids: hits.map((h) => h.id).sort() };
    };
    // As seen on a real 13.0.9: the words of `<word> AND title:(unclosed`, any of them.
    expect(await search("quokka AND title:(unclosed")).toEqual({
      status: 200,
      ids: published.slice(0, 3).sort(),
    });
    expect(await search("(wombat OR quokka")).toEqual({ status: 200, ids: [...published].sort() });
    // Words that match nothing: no hits (recorded `search-invalid-query-200-empty`).
    const none = await call(`${url}/api/records?q=${encodeURIComponent("title:(unclosed")}`);
    expect(none.status).toBe(200);
    expect(none.body.hits).toEqual({ hits: [], total: 0 });
    expect(none.body.sortBy).toBe("bestmatch");
    expect(none.body.aggregations.access_status).toEqual({ buckets: [], label: "Access status" });
    // No word at all: nothing either.
    expect(await search("((")).toEqual({ status: 200, ids: [] });
  });

  test("the caller's records are sorted by last change without a query; versions have no facets", async () => {
    const { url, tokens } = server();
    const mine = await call(`${url}/api/user/records`, { token: tokens.owner });
    expect(mine.body.sortBy).toBe("updated-desc");
    expect(Object.keys(mine.body.aggregations).sort()).toEqual([
      "access_status",
      "file_type",
      "is_published",
      "resource_type",
    ]);
    const withQuery = await call(`${url}/api/user/records?q=faceted`, { token: tokens.owner });
    expect(withQuery.body.sortBy).toBe("bestmatch");
    const first = mine.body.hits.hits[0] as { links: { versions: string } };
    const versions = await call(first.links.versions);
    expect(versions.body.aggregations).toBeUndefined();
    expect(versions.body).toMatchObject({ sortBy: "version", page: 1 });
  });
});

describe("search: a page size limit (maxPageSize), as on a repository that sets max_page_size", () => {
  const server = useServer({ maxPageSize: 25 });

  test("a size above the limit is 400 on size; at the limit it is served", async () => {
    const url = `${server().url}/api/documents/`;
    const over = await call(`${url}?size=26`);
    expect(over.status).toBe(400);
    expect(over.body).toEqual({
      status: 400,
      message: "A validation error occurred.",
      errors: [{ field: "size", messages: ["Page size cannot be greater than 25."] }],
    });
    expect((await call(`${url}?size=25`)).status).toBe(200);
    expect((await call(`${server().url}/api/search/?size=1000`)).status).toBe(400);
  });
});

describe("search: without a page size limit", () => {
  const server = useServer();

  test("any size is served (Invenio cuts the page at the 10 000 window)", async () => {
    expect((await call(`${server().url}/api/documents/?size=5000`)).status).toBe(200);
  });
});

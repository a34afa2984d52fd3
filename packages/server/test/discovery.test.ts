import { describe, expect, test } from "vitest";
import { call, useServer } from "./helpers.js";

describe("nrp flavour discovery (protocol §2.2–2.4)", () => {
  const server = useServer();

  test("GET /.well-known/repository redirects with 308 to the slashed form", async () => {
    const res = await call(`${server().url}/.well-known/repository?x=1`);
    expect(res.status).toBe(308);
    expect(res.headers.get("location")).toBe(`${server().url}/.well-known/repository/?x=1`);
  });

  test("the repository payload has exactly oarepo 12's fields", async () => {
    const { url } = server();
    const res = await call(`${url}/.well-known/repository/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.body).toEqual({
      schema: "local://introspection-v1.0.0",
      name: "NRP Invenio devserver",
      description: "A local Invenio-compatible repository for tests and demos.",
      version: "local development",
      invenio_version: "12.0.9",
      transfers: ["L", "F", "R", "M"],
      links: {
        self: `${url}/.well-known/repository/`,
        api: `${url}/api`,
        models: `${url}/.well-known/repository/models`,
        requests: `${url}/api/requests/`,
        records: `${url}/api/search/`,
        drafts: `${url}/api/user/search/`,
      },
      features: ["drafts", "workflows", "requests", "communities", "request_types"],
    });
    expect(res.body).not.toHaveProperty("default_model");
  });

  test("fetch follows the redirect to the same payload", async () => {
    const res = await fetch(`${server().url}/.well-known/repository`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { invenio_version: string }).invenio_version).toBe("12.0.9");
  });

  test("/models lists the data models sorted by type, then vocabularies", async () => {
    const { url } = server();
    const res = await call(`${url}/.well-known/repository/models`);
    expect(res.status).toBe(200);
    const types = (res.body as { type: string }[]).map((m) => m.type);
    // The vocabularies of a typical NRP repository (recorded `well-known-models`), then the
    // generic ones of the default config.
    expect(types).toEqual([
      "datasets",
      "documents",
      "affiliations",
      "awards",
      "funders",
      "subjects",
      "names",
      "affiliations-vocab",
      "awards-vocab",
      "funders-vocab",
      "subjects-vocab",
      "names-vocab",
      "languages",
      "resourcetypes",
      "licenses",
    ]);
    const [datasets, documents, affiliations] = res.body;
    const writable = res.body[7];
    expect(datasets).toEqual({
      schema: "local://datasets-1.0.0.json",
      type: "datasets",
      name: "datasets",
      description: "Research datasets with files, drafts and requests.",
      version: "1.0.0",
      features: ["requests", "drafts", "files"],
      links: {
        html: `${url}/datasets/`,
        model: `${url}/.well-known/repository/models/datasets`,
        records: `${url}/api/datasets/`,
        drafts: `${url}/api/user/datasets/`,
        deposit: `${url}/api/datasets/`,
      },
      content_types: [
        {
          content_type: "application/json",
          name: "Internal json serialization of Datasets",
          description:
            "This content type is serving this model's native format as described on model link.",
          schema: `${url}/.well-known/repository/schema/datasets-1.0.0.json`,
          can_export: true,
          can_deposit: true,
        },
        {
          content_type: "application/vnd.inveniordm.v1+json",
          name: "Native UI JSON",
          description: "",
          can_export: true,
          can_deposit: false,
        },
      ],
      metadata: true,
    });
    expect(documents.features).toEqual(["drafts", "files"]);
    expect(documents.links.drafts).toBe(`${url}/api/user/documents/`);
    expect(Object.keys(datasets.links)).toEqual(["html", "model", "records", "drafts", "deposit"]);
    expect(affiliations).toMatchObject({
      schema: "local://affiliations/affiliation-v1.0.0.json",
      name: "Affiliations",
      version: "unknown",
      features: ["rdm", "vocabulary"],
      links: { records: `${url}/api/affiliations` },
      metadata: false,
    });
    expect(affiliations.links).not.toHaveProperty("deposit");
    expect(writable.links).toEqual({
      records: `${url}/api/vocabularies/affiliations-vocab`,
      deposit: `${url}/api/vocabularies/affiliations-vocab`,
    });
    expect(writable.content_types[0].can_deposit).toBe(true);
  });

  test("/models/<model> serves the definition; unknown models are a JSON 404", async () => {
    const { url } = server();
    const res = await call(`${url}/.well-known/repository/models/datasets`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      type: "datasets",
      version: "1.0.0",
      schema: "local://datasets-1.0.0.json",
      features: ["requests", "drafts", "files"],
      metadata: true,
    });
    expect(res.body.properties.metadata.required).toEqual(["title"]);
    const missing = await call(`${url}/.well-known/repository/models/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/json");
    expect(missing.body.status).toBe(404);
  });

  test("the content type's schema link serves the model's JSON Schema", async () => {
    const { url } = server();
    const models = await call(`${url}/.well-known/repository/models`);
    const res = await call(models.body[0].content_types[0].schema);
    expect(res.status).toBe(200);
    expect(res.body.$id).toBe("local://datasets-1.0.0.json");
    expect(res.body.properties.metadata.properties.title).toEqual({ type: "string", minLength: 1 });
    expect((await call(`${url}/.well-known/repository/schema/none-1.0.0.json`)).status).toBe(404);
  });

  test("every collection a link points to answers an empty search", async () => {
    const { url, tokens } = server();
    const models = (await call(`${url}/.well-known/repository/models`)).body.slice(0, 2);
    const info = (await call(`${url}/.well-known/repository/`)).body;
    const links = [
      info.links.records,
      info.links.drafts,
      ...models.flatMap((m: { links: { records: string; drafts: string } }) => [
        m.links.records,
        m.links.drafts,
      ]),
    ];
    for (const link of links) {
      const res = await call(link, { token: tokens.owner });
      expect(res.status, link).toBe(200);
      expect(res.body.hits).toEqual({ hits: [], total: 0 });
      expect(res.body.links.self).toBe(`${link}?page=1&size=25&sort=newest`);
    }
  });

  test("GET / is an HTML page without the InvenioRDM generator tag", async () => {
    const res = await call(`${server().url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.text).not.toContain('name="generator"');
    expect(res.text).toContain("NRP Invenio devserver");
  });

  test("links follow the Host the client used, when it names this server", async () => {
    const { url } = server();
    const port = new URL(url).port;
    const res = await call(`http://localhost:${port}/.well-known/repository/`);
    expect(res.body.links.self).toBe(`http://localhost:${port}/.well-known/repository/`);
  });
});

describe("a single-model repository", () => {
  const server = useServer({
    config: {
      repository: { name: "One", description: "" },
      models: { simple: { features: ["drafts"], metadata: false } },
    },
  });

  test("has default_model and no drafts link without the drafts feature elsewhere", async () => {
    const { url } = server();
    const info = await call(`${url}/.well-known/repository/`);
    expect(info.body.default_model).toBe("simple");
    expect(info.body.name).toBe("One");
    const models = await call(`${url}/.well-known/repository/models`);
    expect(models.body[0]).toMatchObject({
      type: "simple",
      name: "simple",
      description: "",
      features: ["drafts"],
      metadata: false,
    });
  });
});

describe("a model without drafts", () => {
  const server = useServer({ config: { models: { plain: { features: ["files"] } } } });

  test("has no drafts link and no user collection", async () => {
    const { url, tokens } = server();
    const models = await call(`${url}/.well-known/repository/models`);
    expect(models.body[0].links).not.toHaveProperty("drafts");
    expect((await call(`${url}/api/user/plain/`, { token: tokens.owner })).status).toBe(404);
  });
});

describe("rdm flavour (plain InvenioRDM 13)", () => {
  const server = useServer({ flavour: "rdm" });

  test("/.well-known/repository and everything under it is the UI's HTML 404; unknown API paths a JSON 404", async () => {
    const { url } = server();
    for (const path of [
      "/.well-known/repository",
      "/.well-known/repository/",
      "/.well-known/repository/models",
    ]) {
      // RDM 13 answers paths outside /api/ with its theme's error page (recorded
      // `well-known-repository-404`).
      const res = await call(`${url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.text).toContain("<html");
    }
    const api = await call(`${url}/api/no-such-thing`);
    expect(api.status).toBe(404);
    expect(api.body).toEqual({
      status: 404,
      message:
        "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
    });
  });

  test("the homepage carries InvenioRDM's generator meta tag", async () => {
    const res = await call(`${server().url}/`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<meta name="generator" content="InvenioRDM 13.0"/>');
    expect(/meta name="generator" content="InvenioRDM ([0-9.]+)"/.exec(res.text)?.[1]).toBe("13.0");
  });

  test("records live under /api/records and /api/user/records", async () => {
    const { url, tokens } = server();
    const published = await call(`${url}/api/records?size=10`);
    expect(published.status).toBe(200);
    // RDM 13's envelope and facets (recorded `search-records`).
    expect(published.body).toEqual({
      hits: { hits: [], total: 0 },
      aggregations: {
        access_status: { buckets: [], label: "Access status" },
        file_type: { buckets: [], label: "File type" },
        resource_type: { buckets: [], label: "Resource types" },
      },
      sortBy: "newest",
      page: 1,
      links: { self: `${url}/api/records?page=1&size=10&sort=newest` },
    });
    expect((await call(`${url}/api/user/records`)).status).toBe(403);
    expect((await call(`${url}/api/user/records`, { token: tokens.depositor })).status).toBe(200);
    expect((await call(`${url}/api/records?sort=mostviewed`)).body.sortBy).toBe("mostviewed");
    expect((await call(`${url}/api/datasets/`)).status).toBe(404);
  });
});

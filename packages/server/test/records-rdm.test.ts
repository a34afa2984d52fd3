import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { startDevServer } from "nrp-invenio-devserver";
import { call, send, useServer } from "./helpers.js";

describe("records lifecycle (rdm flavour)", () => {
  const server = useServer({ flavour: "rdm" });

  test("drafts and records have InvenioRDM 13's shape and links", async () => {
    const { url, tokens } = server();
    const created = await send("POST", `${url}/api/records`, {
      token: tokens.owner,
      body: {
        metadata: { title: "RDM record" },
        parent: { communities: { default: "physics" } },
        files: { enabled: false },
      },
    });
    expect(created.status).toBe(201);
    const draft = created.body;
    const id: string = draft.id;
    const api = `${url}/api/records/${id}`;
    expect(draft).toMatchObject({
      pids: {},
      metadata: { title: "RDM record" },
      custom_fields: {},
      files: { enabled: false, order: [], count: 0, total_bytes: 0, entries: {} },
      media_files: { enabled: false },
      versions: { index: 1, is_latest: false, is_latest_draft: true },
      is_published: false,
      is_draft: true,
      status: "draft",
    });
    expect(draft.$schema).toBeUndefined();
    expect(draft.state).toBeUndefined();
    // Plain RDM ignores parent.communities on create (dump-only,
    // docs/protocol/communities.md#on-inveniordm).
    expect(draft.parent).toMatchObject({ communities: {}, access: { owned_by: {} }, pids: {} });
    expect(draft.links).toMatchObject({
      self: `${api}/draft`,
      self_html: `${url}/uploads/${id}`,
      record: api,
      record_html: `${url}/records/${id}`,
      publish: `${api}/draft/actions/publish`,
      files: `${api}/draft/files`,
      versions: `${api}/versions`,
      requests: `${api}/requests`,
    });
    expect(draft.links.latest).toBeUndefined();
    expect(draft.links["applicable-requests"]).toBeUndefined();

    const published = await send("POST", draft.links.publish, { token: tokens.owner });
    expect(published.status).toBe(202);
    expect(published.body).toMatchObject({
      status: "published",
      is_published: true,
      is_draft: false,
      pids: { doi: { identifier: `10.83030/${id}`, provider: "datacite", client: "datacite" } },
    });
    expect(published.body.links).toMatchObject({
      self: api,
      self_html: `${url}/records/${id}`,
      draft: `${api}/draft`,
      latest: `${api}/versions/latest`,
      latest_html: `${url}/records/${id}/latest`,
      parent: `${url}/api/records/${draft.parent.id}`,
      doi: `https://doi.org/10.83030/${id}`,
    });
    expect(published.body.links.publish).toBeUndefined();

    const v2 = await send("POST", published.body.links.versions, { token: tokens.owner });
    expect(v2.status).toBe(201);
    expect(v2.body.status).toBe("new_version_draft");
    const edit = await send("POST", published.body.links.draft, { token: tokens.owner });
    expect(edit.body.status).toBe("published");

    const list = await call(`${url}/api/records`);
    expect(list.body.hits.hits[0].links.publish).toBeUndefined();
    const first = list.body.hits.hits[0];
    expect(first.links.latest).toBe(`${url}/api/records/${first.id}/versions/latest`);
    const mine = await call(`${url}/api/user/records`, { token: tokens.owner });
    expect(mine.body.hits.total).toBe(2);
  });

  test("the landing page carries the signposting Link header", async () => {
    const { url, tokens } = server();
    const draft = await send("POST", `${url}/api/records`, {
      token: tokens.owner,
      body: { metadata: { title: "<Landing>" }, files: { enabled: false } },
    });
    const published = await send("POST", draft.body.links.publish, { token: tokens.owner });
    const page = await call(published.body.links.self_html);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("link")).toBe(
      `<${published.body.links.self}> ; rel="linkset" ; type="application/linkset+json"`,
    );
    expect(page.text).toContain("&lt;Landing&gt;");
    const head = await call(published.body.links.self_html, { method: "HEAD" });
    expect(head.headers.get("link")).toBe(page.headers.get("link"));
    expect((await call(`${url}/records/abcde-12345`)).status).toBe(404);
  });
});

describe("InvenioRDM 13's answers (recorded in test/fixtures/invenio-rdm13)", () => {
  const server = useServer({ flavour: "rdm" });
  const metadata = {
    resource_type: { id: "dataset" },
    creators: [{ person_or_org: { type: "personal", given_name: "Jan", family_name: "Novak" } }],
    title: "Revisions",
    publication_date: "2024-05-01",
  };

  test("revision steps: a new draft is 5 (4 without files), an update adds 2, a file deletion 2", async () => {
    const { url, tokens } = server();
    const token = tokens.owner;
    const created = await send("POST", `${url}/api/records`, {
      token,
      body: { metadata, files: { enabled: true } },
    });
    expect(created.body.revision_id).toBe(5);
    expect(created.headers.get("etag")).toBe('"5"');
    const id = created.body.id as string;
    const draft = `${url}/api/records/${id}/draft`;
    const stale = await send("PUT", draft, {
      token,
      body: { metadata },
      headers: { "If-Match": "1" },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.message).toBe("Revision id provided(1) doesn't match record's one(5)");
    const updated = await send("PUT", draft, {
      token,
      body: { metadata },
      headers: { "If-Match": "5" },
    });
    expect(updated.status).toBe(200);
    expect(updated.headers.get("etag")).toBe('"7"');
    // Adding a file leaves the draft's revision alone; deleting one adds 2.
    const files = `${draft}/files`;
    expect((await send("POST", files, { token, body: [{ key: "a.txt" }] })).status).toBe(201);
    expect((await call(draft, { token })).body.revision_id).toBe(7);
    expect((await send("DELETE", `${files}/a.txt`, { token })).status).toBe(204);
    expect((await call(draft, { token })).headers.get("etag")).toBe('"9"');

    const metadataOnly = await send("POST", `${url}/api/records`, {
      token,
      body: { metadata, files: { enabled: false } },
    });
    expect(metadataOnly.headers.get("etag")).toBe('"4"');
  });

  test("a new version starts at revision 5 without files and without publication_date", async () => {
    const { url, tokens } = server();
    const token = tokens.owner;
    const created = await send("POST", `${url}/api/records`, {
      token,
      body: { metadata, files: { enabled: true } },
    });
    const files = `${url}/api/records/${created.body.id}/draft/files`;
    await send("POST", files, { token, body: [{ key: "a.txt" }] });
    await call(`${files}/a.txt/content`, {
      method: "PUT",
      token,
      headers: { "Content-Type": "application/octet-stream" },
      body: "abc",
    });
    await send("POST", `${files}/a.txt/commit`, { token });
    const published = await send("POST", created.body.links.publish, { token });
    expect(published.status).toBe(202);
    expect(published.body.metadata.publication_date).toBe("2024-05-01");
    const next = await send("POST", published.body.links.versions, { token });
    expect(next.status).toBe(201);
    expect(next.headers.get("etag")).toBe('"5"');
    expect(next.body.status).toBe("new_version_draft");
    expect(next.body.metadata.publication_date).toBeUndefined();
    expect(next.body.metadata.title).toBe("Revisions");
    expect(next.body.files).toMatchObject({ enabled: true, count: 0, entries: {} });
    expect(next.body.pids).toEqual({});
  });

  test("record bodies: vocabulary titles, access status, oai pid, parent access, stats; a read carries the linkset Link", async () => {
    const { url, tokens } = server();
    const token = tokens.owner;
    const created = await send("POST", `${url}/api/records`, {
      token,
      body: { metadata, files: { enabled: false } },
    });
    expect(created.body.metadata.resource_type).toEqual({
      id: "dataset",
      title: { cs: "Datová sada", de: "Datensatz", en: "Dataset", sv: "Dataset" },
    });
    // RDM 13 computes the access status of a new draft before its files are enabled.
    expect(created.body.access.status).toBe("metadata-only");
    expect(created.body.internal_notes).toEqual([]);
    expect(created.body.parent).toMatchObject({
      access: { grants: [], links: [], owned_by: { user: expect.any(String) } },
      is_verified: false,
    });
    expect(created.body.links).toMatchObject({
      self_iiif_manifest: `${url}/api/iiif/draft:${created.body.id}/manifest`,
      access_groups: `${url}/api/records/${created.body.id}/access/groups`,
    });
    const published = await send("POST", created.body.links.publish, { token });
    expect(published.body).toMatchObject({
      deletion_status: { is_deleted: false, status: "P" },
      stats: { this_version: { views: 0 }, all_versions: { downloads: 0 } },
      pids: { oai: { identifier: `oai:127.0.0.1:${created.body.id}`, provider: "oai" } },
    });
    expect(published.headers.get("link")).toBeNull();
    const read = await call(published.body.links.self);
    expect(read.headers.get("link")).toBe(
      `<${published.body.links.self}> ; rel="linkset" ; type="application/linkset+json"`,
    );
    // An echoed record (with the vocabulary's title) is accepted back.
    const edit = await send("POST", published.body.links.draft, { token });
    const echoed = await send("PUT", edit.body.links.self, { token, body: edit.body });
    expect(echoed.status).toBe(200);
    expect(echoed.body.errors).toBeUndefined();
  });

  test("an unknown resource type is a hard 400 'Invalid value <id>.'; a short title or a bad date is lenient", async () => {
    const { url, tokens } = server();
    const bad = await send("POST", `${url}/api/records`, {
      token: tokens.owner,
      body: { metadata: { ...metadata, resource_type: { id: "nosuchtype" } } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ status: 400, message: "Invalid value nosuchtype." });
    const lenient = await send("POST", `${url}/api/records`, {
      token: tokens.owner,
      body: { metadata: { title: "ab", publication_date: "May 2024" }, files: { enabled: false } },
    });
    expect(lenient.status).toBe(201);
    expect(lenient.body.errors).toEqual([
      { field: "metadata.title", messages: ["Shorter than minimum length 3."] },
      {
        field: "metadata.publication_date",
        messages: ["Please provide a valid date or interval."],
      },
    ]);
    const edtf = await send("POST", `${url}/api/records`, {
      token: tokens.owner,
      body: { metadata: { title: "Interval", publication_date: "2020-01/2021" } },
    });
    expect(edtf.body.errors).toBeUndefined();
  });
});

describe("DOIs", () => {
  const server = useServer();

  test("publishing a mintDoi model assigns a DOI that GET /dois/<doi> resolves", async () => {
    const { url, tokens } = server();
    const draft = await send("POST", `${url}/api/documents/`, {
      token: tokens.owner,
      body: { metadata: { title: "Cited" }, files: { enabled: false } },
    });
    const published = await send("POST", draft.body.links.publish, { token: tokens.owner });
    const doi: string = published.body.pids.doi.identifier;
    expect(doi).toBe(`10.83030/${draft.body.id}`);
    const res = await call(`${url}/dois/${doi}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.api+json; charset=utf-8");
    expect(res.body.data).toMatchObject({
      id: doi,
      type: "dois",
      attributes: { doi, url: published.body.links.self_html, prefix: "10.83030" },
    });
    const upper = await call(`${url}/dois/${doi.toUpperCase()}`);
    expect(upper.status).toBe(200);
    const page = await call(res.body.data.attributes.url);
    expect(page.headers.get("link")).toContain(`<${published.body.links.self}>`);
  });

  test("an unknown DOI is DataCite's 404", async () => {
    const res = await call(`${server().url}/dois/10.83030/nope`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      errors: [{ status: "404", title: "The resource you are looking for doesn't exist." }],
    });
  });

  test("a model without mintDoi gets no DOI; the prefix is configurable", async () => {
    const custom = await startDevServer({
      config: {
        repository: { doiPrefix: "10.12345" },
        models: { articles: { mintDoi: true }, notes: {} },
      },
    });
    try {
      const { url, tokens } = custom;
      for (const [model, expected] of [
        ["articles", true],
        ["notes", false],
      ] as const) {
        const draft = await send("POST", `${url}/api/${model}/`, {
          token: tokens.owner,
          body: { metadata: { title: "t" }, files: { enabled: false } },
        });
        const published = await send("POST", draft.body.links.publish, { token: tokens.owner });
        expect(published.status).toBe(202);
        expect(published.body.pids?.doi?.identifier).toBe(
          expected ? `10.12345/${draft.body.id}` : undefined,
        );
      }
    } finally {
      await custom.close();
    }
  });
});

describe("persistence of records", () => {
  test("drafts, records, versions and communities survive a restart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "devserver-records-"));
    try {
      const first = await startDevServer({ dataDir: dir });
      const { tokens } = first;
      const draft = await send("POST", `${first.url}/api/datasets/`, {
        token: tokens.owner,
        body: {
          metadata: { title: "kept" },
          parent: { communities: { default: "biology" } },
          files: { enabled: false },
        },
      });
      const doc = await send("POST", `${first.url}/api/documents/`, {
        token: tokens.owner,
        body: { metadata: { title: "published" }, files: { enabled: false } },
      });
      const published = await send("POST", doc.body.links.publish, { token: tokens.owner });
      const v2 = await send("POST", `${first.url}/api/documents/${doc.body.id}/versions`, {
        token: tokens.owner,
      });
      await first.close();

      const second = await startDevServer({ dataDir: dir });
      try {
        const url = second.url;
        const readDraft = await call(`${url}/api/datasets/${draft.body.id}/draft`, {
          token: tokens.owner,
        });
        expect(readDraft.status).toBe(200);
        expect(readDraft.body).toMatchObject({
          metadata: { title: "kept" },
          revision_id: draft.body.revision_id,
          created: draft.body.created,
          parent: draft.body.parent,
        });
        expect(readDraft.headers.get("etag")).toBe(draft.headers.get("etag"));
        const readRecord = await call(`${url}/api/documents/${doc.body.id}`);
        expect(readRecord.body.pids).toEqual(published.body.pids);
        const again = await send("POST", `${url}/api/documents/${doc.body.id}/versions`, {
          token: tokens.owner,
        });
        expect(again.body.id).toBe(v2.body.id);
        const doi = await call(`${url}/dois/${published.body.pids.doi.identifier}`);
        expect(doi.status).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

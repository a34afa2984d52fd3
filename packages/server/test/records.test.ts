import { describe, expect, test } from "vitest";
import { call, send, useServer } from "./helpers.js";

const ID = /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/;

describe("records lifecycle (nrp flavour)", () => {
  const server = useServer();
  const owner = (): string => server().tokens.owner;
  const documents = (): string => `${server().url}/api/documents/`;

  async function createDocument(metadata: Record<string, unknown> = { title: "A document" }) {
    const res = await send("POST", documents(), {
      token: owner(),
      body: { metadata, files: { enabled: false } },
    });
    expect(res.status).toBe(201);
    return res;
  }

  test("POST creates a draft (201) in oarepo's shape with an ETag and full links", async () => {
    const res = await createDocument();
    const draft = res.body;
    const url = server().url;
    expect(res.headers.get("etag")).toBe(`"${draft.revision_id}"`);
    expect(draft.id).toMatch(ID);
    expect(draft.parent.id).toMatch(ID);
    expect(draft.parent.id).not.toBe(draft.id);
    expect(draft.created).toMatch(TIMESTAMP);
    expect(draft.updated).toMatch(TIMESTAMP);
    expect(draft.expires_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/);
    expect(draft).toMatchObject({
      revision_id: 1,
      $schema: "local://documents-1.0.0.json",
      metadata: { title: "A document" },
      files: { enabled: false },
      parent: { communities: {}, workflow: "default" },
      versions: { index: 1, is_latest: false, is_latest_draft: true },
      is_draft: true,
      is_published: false,
      state: "draft",
    });
    expect(draft.errors).toBeUndefined();
    const api = `${url}/api/documents/${draft.id}`;
    expect(draft.links).toEqual({
      draft: `${api}/draft`,
      edit_html: `${url}/documents/${draft.id}/edit`,
      files: `${api}/draft/files`,
      latest: `${api}/versions/latest`,
      latest_html: `${url}/documents/${draft.id}/latest`,
      publish: `${api}/draft/actions/publish`,
      self: `${api}/draft`,
      self_html: `${url}/documents/${draft.id}/preview`,
      versions: `${api}/versions`,
    });
  });

  test("a model with requests links requests and applicable requests (publish_draft for a new draft)", async () => {
    const res = await send("POST", `${server().url}/api/datasets/`, {
      token: owner(),
      body: { metadata: { title: "A dataset" }, parent: { communities: { default: "physics" } } },
    });
    expect(res.status).toBe(201);
    const { links } = res.body;
    expect(links.requests).toBe(`${links.self}/requests`);
    expect(links["applicable-requests"]).toBe(`${links.self}/requests/applicable`);
    const applicable = await call(links["applicable-requests"], { token: owner() });
    expect(applicable.body).toEqual({
      hits: {
        hits: [
          {
            type_id: "publish_draft",
            links: { actions: { create: `${links.self}/requests/publish_draft` } },
          },
        ],
        total: 1,
      },
      links: { self: links["applicable-requests"] },
    });
    const requests = await call(links.requests, { token: owner() });
    expect(requests.body.hits).toEqual({ hits: [], total: 0 });
  });

  test("the files link answers the draft's (empty) file list", async () => {
    const on = await send("POST", documents(), {
      token: owner(),
      body: { metadata: { title: "f" } },
    });
    expect(on.body.files).toEqual({ enabled: true });
    const list = await call(on.body.links.files, { token: owner() });
    expect(list.body).toEqual({
      enabled: true,
      links: { self: on.body.links.files },
      entries: [],
      default_preview: null,
      order: [],
    });
    const off = await createDocument();
    const none = await call(off.body.links.files, { token: owner() });
    expect(none.body).toEqual({ enabled: false, links: { self: off.body.links.files } });
  });

  test("GET draft returns it with the same ETag; GET published is 'not registered' before publishing", async () => {
    const created = await createDocument();
    const read = await call(created.body.links.self, { token: owner() });
    expect(read.status).toBe(200);
    expect(read.headers.get("etag")).toBe(created.headers.get("etag"));
    expect(read.body.metadata).toEqual({ title: "A document" });
    const published = await call(`${documents()}${created.body.id}`, { token: owner() });
    expect(published.status).toBe(404);
    expect(published.body).toEqual({
      status: 404,
      message: "The persistent identifier is not registered.",
    });
  });

  test("unknown ids are 404 'The persistent identifier does not exist.'", async () => {
    for (const path of ["abcde-12345", "abcde-12345/draft", "abcde-12345/versions"]) {
      const res = await call(`${documents()}${path}`, { token: owner() });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        status: 404,
        message: "The persistent identifier does not exist.",
      });
    }
    // An id of another model is unknown here.
    const draft = await createDocument();
    const other = await call(`${server().url}/api/datasets/${draft.body.id}/draft`, {
      token: owner(),
    });
    expect(other.status).toBe(404);
  });

  test("create is lenient: invalid values are dropped and reported, status still 201", async () => {
    const res = await createDocument({
      pages: "many",
      language: "English",
      keywords: ["ok", 3, ""],
      authors: [{ name: "Doe, J.", orcid: "nope" }, { affiliation: "CERN" }],
      date: "2025-02-30",
      extra: true,
    });
    expect(res.body.metadata).toEqual({
      keywords: ["ok"],
      authors: [{ name: "Doe, J." }, { affiliation: "CERN" }],
    });
    expect(res.body.errors).toEqual([
      { field: "metadata.pages", messages: ["Not a valid integer."] },
      { field: "metadata.language", messages: ["String does not match expected pattern."] },
      { field: "metadata.keywords.1", messages: ["Not a valid string."] },
      { field: "metadata.keywords.2", messages: ["Shorter than minimum length 1."] },
      { field: "metadata.authors.0.orcid", messages: ["String does not match expected pattern."] },
      { field: "metadata.authors.1.name", messages: ["Missing data for required field."] },
      { field: "metadata.date", messages: ["Not a valid date."] },
      { field: "metadata.extra", messages: ["Unknown field."] },
      { field: "metadata.title", messages: ["Missing data for required field."] },
    ]);
    // Errors belong to the response of the write, not to the stored draft.
    const read = await call(res.body.links.self, { token: owner() });
    expect(read.body.errors).toBeUndefined();
  });

  test("publish is strict: 400 with field errors, and the draft stays", async () => {
    const draft = await createDocument({ pages: 3 });
    const res = await send("POST", draft.body.links.publish, { token: owner() });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      status: 400,
      message: "A validation error occurred.",
      errors: [{ field: "metadata.title", messages: ["Missing data for required field."] }],
    });
    expect((await call(draft.body.links.self, { token: owner() })).status).toBe(200);
  });

  test("files enabled without files blocks publishing with IDR's message", async () => {
    const draft = await send("POST", documents(), {
      token: owner(),
      body: { metadata: { title: "with files" }, files: { enabled: true } },
    });
    const res = await send("POST", draft.body.links.publish, { token: owner() });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        field: "files.enabled",
        messages: ["Missing uploaded files."],
      },
    ]);
  });

  test("PUT updates the draft (200, new ETag), reports errors leniently, honours If-Match", async () => {
    const draft = await createDocument();
    const { links } = draft.body;
    const body = { ...draft.body, metadata: { title: "Renamed", pages: 0 } };
    const updated = await send("PUT", links.self, {
      token: owner(),
      body,
      headers: { "If-Match": "1" },
    });
    expect(updated.status).toBe(200);
    expect(updated.headers.get("etag")).toBe('"2"');
    expect(updated.body.revision_id).toBe(2);
    expect(updated.body.metadata).toEqual({ title: "Renamed" });
    expect(updated.body.errors).toEqual([
      { field: "metadata.pages", messages: ["Must be greater than or equal to 1."] },
    ]);
    const read = await call(links.self, { token: owner() });
    expect(read.headers.get("etag")).toBe('"2"');

    const stale = await send("PUT", links.self, {
      token: owner(),
      body: { metadata: { title: "Lost update" }, files: { enabled: false } },
      headers: { "If-Match": "1" },
    });
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual({
      status: 412,
      message: "Revision id provided(1) doesn't match record's one(2)",
    });
    expect((await call(links.self, { token: owner() })).body.metadata.title).toBe("Renamed");

    const quoted = await send("PUT", links.self, {
      token: owner(),
      body: { metadata: { title: "x" } },
      headers: { "If-Match": '"2"' },
    });
    expect(quoted.status).toBe(400);
    expect(quoted.body).toEqual({
      status: 400,
      message: "A validation error occurred.",
      errors: [{ field: "if_match", messages: ["Not a valid integer."] }],
    });
  });

  test("the If-Match check runs before the permission check", async () => {
    const draft = await createDocument();
    const other = await send("PUT", draft.body.links.self, {
      token: server().tokens.depositor,
      body: { metadata: { title: "x" } },
      headers: { "If-Match": "7" },
    });
    expect(other.status).toBe(412);
    const matching = await send("PUT", draft.body.links.self, {
      token: server().tokens.depositor,
      body: { metadata: { title: "x" } },
      headers: { "If-Match": "1" },
    });
    expect(matching.status).toBe(403);
  });

  test("a PUT without files.enabled turns files on and warns about the missing files", async () => {
    const draft = await createDocument();
    const res = await send("PUT", draft.body.links.self, {
      token: owner(),
      body: { metadata: { title: "t" } },
    });
    expect(res.body.files).toEqual({ enabled: true });
    expect(res.body.errors).toEqual([
      {
        field: "files.enabled",
        messages: ["Missing uploaded files."],
      },
    ]);
  });

  test("the whole record echoed back (links, revision_id, state…) is accepted", async () => {
    const draft = await createDocument();
    const res = await send("PUT", draft.body.links.self, { token: owner(), body: draft.body });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  test("DELETE draft: 204 with an empty body, then 404; If-Match mismatch is 412", async () => {
    const draft = await createDocument();
    const stale = await send("DELETE", draft.body.links.self, {
      token: owner(),
      headers: { "If-Match": "5" },
    });
    expect(stale.status).toBe(412);
    const res = await send("DELETE", draft.body.links.self, {
      token: owner(),
      headers: { "If-Match": "1" },
    });
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    const gone = await call(draft.body.links.self, { token: owner() });
    expect(gone.status).toBe(404);
    expect(gone.body.message).toBe("The persistent identifier does not exist.");
  });

  test("publish (202) returns the published record; edit, new version, versions and latest follow", async () => {
    const url = server().url;
    const draft = await createDocument({ title: "v1" });
    const id = draft.body.id;
    const published = await send("POST", draft.body.links.publish, { token: owner() });
    expect(published.status).toBe(202);
    expect(published.headers.get("etag")).toBe(`"${published.body.revision_id}"`);
    const api = `${url}/api/documents/${id}`;
    expect(published.body).toMatchObject({
      id,
      is_draft: false,
      is_published: true,
      state: "published",
      versions: { index: 1, is_latest: true, is_latest_draft: true },
      parent: { id: draft.body.parent.id },
      metadata: { title: "v1" },
    });
    expect(published.body.expires_at).toBeUndefined();
    expect(published.body.links).toEqual({
      doi: `https://doi.org/10.83030/${id}`,
      files: `${api}/files`,
      latest: `${api}/versions/latest`,
      latest_html: `${url}/documents/${id}/latest`,
      // oarepo 12/13 links a published record to itself (recorded oarepo-nrp `record-get`).
      record: api,
      self: api,
      self_html: `${url}/documents/${id}`,
      versions: `${api}/versions`,
    });
    expect((await call(draft.body.links.self, { token: owner() })).status).toBe(404);
    const anonymous = await call(api);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.metadata.title).toBe("v1");

    // Edit: a draft with the same id (201); asking again returns the same open draft.
    const edit = await send("POST", `${api}/draft`, { token: owner() });
    expect(edit.status).toBe(201);
    expect(edit.body).toMatchObject({ id, is_draft: true, is_published: true });
    expect(edit.body.links.record).toBe(api);
    const changed = await send("PUT", edit.body.links.self, {
      token: owner(),
      body: { metadata: { title: "v1 fixed" }, files: { enabled: false } },
      headers: { "If-Match": String(edit.body.revision_id) },
    });
    expect(changed.status).toBe(200);
    const again = await send("POST", `${api}/draft`, { token: owner() });
    expect(again.status).toBe(201);
    expect(again.body.metadata.title).toBe("v1 fixed");
    expect(again.body.revision_id).toBe(changed.body.revision_id);
    const withDraft = await call(api, { token: owner() });
    expect(withDraft.body.links.draft).toBe(`${api}/draft`);
    expect(withDraft.body.metadata.title).toBe("v1");
    const republished = await send("POST", again.body.links.publish, { token: owner() });
    expect(republished.status).toBe(202);
    expect(republished.body.metadata.title).toBe("v1 fixed");
    expect(republished.body.revision_id).toBe(Number(published.body.revision_id) + 1);

    // New version: new id, same parent, index 2; asking again returns the same draft.
    const v2 = await send("POST", `${api}/versions`, { token: owner() });
    expect(v2.status).toBe(201);
    expect(v2.body.id).not.toBe(id);
    expect(v2.body.id).toMatch(ID);
    expect(v2.body.parent.id).toBe(draft.body.parent.id);
    expect(v2.body.versions).toEqual({ index: 2, is_latest: false, is_latest_draft: true });
    expect(v2.body.metadata).toEqual({ title: "v1 fixed" });
    expect(v2.body.pids).toBeUndefined();
    const v2again = await send("POST", `${api}/versions`, { token: owner() });
    expect(v2again.status).toBe(201);
    expect(v2again.body.id).toBe(v2.body.id);

    // Latest still points at version 1 until version 2 is published.
    const latest1 = await call(`${api}/versions/latest`);
    expect(latest1.status).toBe(301);
    expect(latest1.headers.get("location")).toBe(api);
    expect(latest1.body).toEqual({ status: 301, message: "Redirecting...", location: api });

    await send("PUT", v2.body.links.self, {
      token: owner(),
      body: { metadata: { title: "v2" }, files: { enabled: false } },
    });
    const p2 = await send("POST", v2.body.links.publish, { token: owner() });
    expect(p2.status).toBe(202);
    expect(p2.body.versions).toEqual({ index: 2, is_latest: true, is_latest_draft: true });
    expect(p2.body.pids.doi.identifier).toBe(`10.83030/${v2.body.id}`);
    const v2api = `${url}/api/documents/${v2.body.id}`;
    const latest2 = await call(`${api}/versions/latest`);
    expect(latest2.headers.get("location")).toBe(v2api);
    const old = await call(api);
    expect(old.body.versions).toEqual({ index: 1, is_latest: false, is_latest_draft: false });
    const latestPage = await call(old.body.links.latest_html);
    expect(latestPage.status).toBe(302);
    expect(latestPage.headers.get("location")).toBe(p2.body.links.self_html);

    const versions = await call(`${api}/versions`);
    expect(versions.status).toBe(200);
    expect(versions.headers.get("etag")).toBeNull();
    expect(versions.body.hits.total).toBe(2);
    expect(versions.body.hits.hits.map((h: { id: string }) => h.id)).toEqual([v2.body.id, id]);
    expect(versions.body.links.self).toBe(`${api}/versions?page=1&size=25&sort=version`);
    expect(versions.body.sortBy).toBe("version");
  });

  test("deleting an edit draft keeps the record; deleting a new version frees the next index", async () => {
    const draft = await createDocument({ title: "base" });
    const published = await send("POST", draft.body.links.publish, { token: owner() });
    const api: string = published.body.links.self;
    const edit = await send("POST", `${api}/draft`, { token: owner() });
    expect((await send("DELETE", edit.body.links.self, { token: owner() })).status).toBe(204);
    expect((await call(api)).status).toBe(200);
    expect((await call(`${api}/draft`, { token: owner() })).status).toBe(404);
    expect((await call(api, { token: owner() })).body.links.draft).toBeUndefined();

    const v2 = await send("POST", `${api}/versions`, { token: owner() });
    expect((await send("DELETE", v2.body.links.self, { token: owner() })).status).toBe(204);
    expect((await call(v2.body.links.self, { token: owner() })).status).toBe(404);
    const v2b = await send("POST", `${api}/versions`, { token: owner() });
    expect(v2b.body.id).not.toBe(v2.body.id);
    expect(v2b.body.versions.index).toBe(2);
  });

  test("edit and new version of a never-published draft are 404 'not registered'", async () => {
    const draft = await createDocument();
    const api = `${documents()}${draft.body.id}`;
    for (const path of ["/draft", "/versions"]) {
      const res = await send("POST", `${api}${path}`, { token: owner() });
      expect(res.status).toBe(404);
      expect(res.body.message).toBe("The persistent identifier is not registered.");
    }
    const latest = await call(`${api}/versions/latest`, { token: owner() });
    expect(latest.status).toBe(404);
  });

  test("PUT on a published record is a 500 and DELETE a 403, as in drafts-resources", async () => {
    const draft = await createDocument();
    const published = await send("POST", draft.body.links.publish, { token: owner() });
    const put = await send("PUT", published.body.links.self, {
      token: owner(),
      body: { metadata: { title: "x" } },
    });
    expect(put.status).toBe(500);
    const del = await send("DELETE", published.body.links.self, { token: owner() });
    expect(del.status).toBe(403);
    expect(del.body.message).toBe("Permission denied.");
  });

  test("a malformed body is 400, a non-object body a validation error", async () => {
    const bad = await call(documents(), {
      method: "POST",
      token: owner(),
      headers: { "Content-Type": "application/json" },
      body: "{",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe("Unable to decode JSON data in request body.");
    const list = await send("POST", documents(), { token: owner(), body: [1] });
    expect(list.status).toBe(400);
    expect(list.body.errors).toEqual([{ field: "_schema", messages: ["Invalid input type."] }]);
  });

  test("ids use InvenioRDM's alphabet and checksum", async () => {
    const ids = await Promise.all(
      Array.from({ length: 10 }, async () => (await createDocument()).body.id as string),
    );
    for (const id of ids) {
      const plain = id.replace("-", "");
      let n = 0n;
      for (const c of plain.slice(0, 8)) {
        n = n * 32n + BigInt("0123456789abcdefghjkmnpqrstvwxyz".indexOf(c));
      }
      expect(Number(plain.slice(8))).toBe(Number(97n - ((100n * n) % 97n) + 1n));
    }
    expect(new Set(ids).size).toBe(10);
  });
});

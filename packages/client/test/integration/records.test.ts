import { afterEach, describe, expect, it } from "vitest";
import {
  APIUserAbortError,
  BadRequestError,
  GoneError,
  InternalServerError,
  NotFoundError,
  NRPConfig,
  NRPInvenioClient,
  NRPRecord,
  PermissionDeniedError,
  PreconditionFailedError,
  RequestRequiredError,
  ReviewPendingError,
  UnknownModelError,
} from "nrp-invenio-client";
import type { DevServer } from "nrp-invenio-devserver";
import { Fixtures, hitsFor } from "../helpers/servers.js";

const fx = new Fixtures();
afterEach(() => fx.cleanup());

const ID = /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/;
const PHYSICS = "3f1c0b6e-7a52-4d8e-9c41-0e6a2b7d5f01";

async function setup(): Promise<{
  server: DevServer;
  owner: NRPInvenioClient;
  depositor: NRPInvenioClient;
  anonymous: NRPInvenioClient;
}> {
  const server = await fx.devserver();
  return {
    server,
    owner: fx.client(server, { token: server.tokens.owner }).client,
    depositor: fx.client(server, { token: server.tokens.depositor }).client,
    anonymous: fx.client(server).client,
  };
}

/** A valid, publishable document draft (files disabled: files come with a later capability). */
function newDocument(client: NRPInvenioClient, title = "A document"): Promise<NRPRecord> {
  return client.records.create("documents", { title }, { filesEnabled: false });
}

describe("create and read", () => {
  it("creates a draft and reads it back by every mid form", async () => {
    const { server, owner } = await setup();
    const draft = await newDocument(owner, "First");
    expect(draft.id).toMatch(ID);
    expect(draft.model).toBe("documents");
    expect(draft.mid).toBe(`draft/documents/${draft.id}`);
    expect(draft.isDraft).toBe(true);
    expect(draft.isPublished).toBe(false);
    expect(draft.metadata).toEqual({ title: "First" });
    expect(draft.data.files).toEqual({ enabled: false });
    expect(draft.errors).toEqual([]);
    expect(draft.etag).toBe(`"${String(draft.revisionId)}"`);
    expect(draft.links.self).toBe(`${server.url}/api/documents/${draft.id}/draft`);

    for (const id of [draft.mid, ["draft", "documents", draft.id]] as const) {
      const read = await owner.records.get(id);
      expect(read.toDict()).toEqual(draft.toDict());
      expect(read.etag).toBe(draft.etag);
    }
    const byId = await owner.records.getById("documents", draft.id, { draft: true });
    expect(byId.mid).toBe(draft.mid);
    const byUrl = await owner.records.get(draft.links.self ?? "");
    expect(byUrl.mid).toBe(draft.mid);
    // Not published yet: the published form does not exist.
    await expect(owner.records.get(`documents/${draft.id}`)).rejects.toThrow(NotFoundError);
    const missing = await owner.records.get(["documents", draft.id]).catch((e: unknown) => e);
    // A draft's pid is reserved, not registered, until it is published
    // (docs/protocol/records.md#read).
    expect((missing as NotFoundError).serverMessage).toBe(
      "The persistent identifier is not registered.",
    );
    const unknown = await owner.records.get("documents/zzzzz-zzzzz").catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect((unknown as NotFoundError).serverMessage).toBe(
      "The persistent identifier does not exist.",
    );
  });

  it("files.enabled defaults to true; a body with metadata is sent as is", async () => {
    const { owner } = await setup();
    const draft = await owner.records.create("documents", {
      metadata: { title: "Full body" },
    });
    expect(draft.data.files).toMatchObject({ enabled: true });
    expect(draft.metadata).toEqual({ title: "Full body" });
  });

  it("unknown model and bare ids without a default model are typed errors", async () => {
    const { owner } = await setup();
    await expect(owner.records.create("nope", { title: "x" })).rejects.toThrow(UnknownModelError);
    await expect(owner.records.get("abcde-12345")).rejects.toThrow(/no default model/);
  });

  it("includeFiles and includeRequests fetch the record's lists", async () => {
    const { owner } = await setup();
    const draft = await owner.records.create(
      "datasets",
      { title: "With lists" },
      { community: "physics" },
    );
    const read = await owner.records.get(draft.mid, { includeFiles: true, includeRequests: true });
    expect(read.files?.enabled).toBe(true);
    expect([...(read.files ?? [])]).toEqual([]);
    expect(read.requests?.requests).toEqual([]);
    expect(read.requests?.toDict()).toHaveProperty("request_types");
    const applicable = read.requests?.applicable ?? [];
    expect(applicable).toContain("publish_draft");
    await read.refresh();
    // The refresh fetches the lists again: the same (empty) files, the same request types.
    expect(read.files?.enabled).toBe(true);
    expect([...(read.files ?? [])]).toEqual([]);
    expect(read.requests?.applicable).toEqual(applicable);
    const plain = await owner.records.get(draft.mid);
    expect(plain.files).toBeUndefined();
    expect(plain.requests).toBeUndefined();
  });
});

describe("lenient drafts, strict publish", () => {
  it("an invalid draft is saved with errors and refused at publish with field errors", async () => {
    const { owner } = await setup();
    const draft = await owner.records.create(
      "documents",
      { pages: "many" },
      { filesEnabled: false },
    );
    expect(draft.isDraft).toBe(true);
    const fields = draft.errors.map((e) => e.field);
    expect(fields).toContain("metadata.title");
    expect(draft.errors.find((e) => e.field === "metadata.title")?.messages).toEqual([
      "Missing data for required field.",
    ]);

    const error = await draft.publish().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    const bad = error as BadRequestError;
    expect(bad.status).toBe(400);
    expect(bad.serverMessage).toBe("A validation error occurred.");
    expect(bad.errors.map((e) => e.field)).toContain("metadata.title");

    // Fixing it makes it publishable.
    draft.metadata.title = "Now valid";
    delete draft.metadata.pages;
    await draft.save();
    expect(draft.errors).toEqual([]);
    const published = await draft.publish();
    expect(published.isPublished).toBe(true);
  });

  it("files enabled without files blocks publishing with the files message", async () => {
    const { owner } = await setup();
    const draft = await owner.records.create("documents", { title: "Wants files" });
    const error = (await draft.publish().catch((e: unknown) => e)) as BadRequestError;
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.errors.find((e) => e.field === "files.enabled")?.messages.join(" ")).toMatch(
      /Missing uploaded files/,
    );
  });
});

describe("save with optimistic locking", () => {
  it("save sends If-Match, updates in place and keeps files.enabled", async () => {
    const { server, owner } = await setup();
    const draft = await newDocument(owner, "Before");
    const revision = draft.revisionId ?? 0;
    draft.metadata.title = "After";
    const same = await draft.save();
    expect(same).toBe(draft);
    expect(draft.revisionId).toBeGreaterThan(revision);
    expect(draft.etag).toBe(`"${String(draft.revisionId)}"`);
    expect(draft.data.files).toEqual({ enabled: false });
    const put = server.requestLog.filter((e) => e.method === "PUT").at(-1);
    expect(put?.headers["if-match"]).toBe(String(revision));
    const reread = await owner.records.get(draft.mid);
    expect(reread.metadata.title).toBe("After");
  });

  it("lost update: the second of two concurrent editors gets 412 and nothing is overwritten", async () => {
    const { server } = await setup();
    const alice = fx.client(server, { token: server.tokens.owner }).client;
    const bob = fx.client(server, { token: server.tokens.owner }).client;
    const created = await newDocument(alice, "Original");
    const a = await alice.records.get(created.mid);
    const b = await bob.records.get(created.mid);
    a.metadata.title = "Alice's title";
    await a.save();
    b.metadata.title = "Bob's title";
    const error = await b.save().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreconditionFailedError);
    const conflict = error as PreconditionFailedError;
    expect(conflict.status).toBe(412);
    expect(conflict.code).toBe("NRP_PRECONDITION_FAILED");
    expect(conflict.message).toMatch(/doesn't match record's one/);
    expect(conflict.message).toMatch(/changed on the server since it was read/);
    expect(conflict.message).toMatch(/refresh\(\)/);
    // Bob's object keeps his change so he can re-apply it; the server has Alice's.
    expect(b.metadata.title).toBe("Bob's title");
    const server1 = await alice.records.get(created.mid);
    expect(server1.metadata.title).toBe("Alice's title");
    // Reload, re-apply, save: now it works.
    await b.refresh();
    expect(b.metadata.title).toBe("Alice's title");
    b.metadata.title = "Bob's title";
    await b.save();
    expect((await alice.records.get(created.mid)).metadata.title).toBe("Bob's title");
  });

  it("a stale delete is refused with 412 too", async () => {
    const { owner } = await setup();
    const draft = await newDocument(owner);
    const stale = await owner.records.get(draft.mid);
    draft.metadata.title = "changed";
    await draft.save();
    await expect(stale.delete()).rejects.toThrow(PreconditionFailedError);
    await owner.records.get(draft.mid); // still there
  });
});

describe("lifecycle transitions", () => {
  it("delete a draft", async () => {
    const { owner } = await setup();
    const draft = await newDocument(owner);
    await draft.delete();
    await expect(owner.records.get(draft.mid)).rejects.toThrow(NotFoundError);
  });

  it("publish, edit (reusing the open draft), publish the edit, new version", async () => {
    const { owner, anonymous } = await setup();
    const draft = await newDocument(owner, "v1");
    const published = await draft.publish();
    expect(published).not.toBe(draft);
    expect(published.id).toBe(draft.id);
    expect(published.mid).toBe(`documents/${draft.id}`);
    expect(published.isDraft).toBe(false);
    expect(published.isPublished).toBe(true);
    expect(published.links.self).toMatch(new RegExp(`/api/documents/${draft.id}$`));
    await expect(owner.records.get(draft.mid)).rejects.toThrow(NotFoundError);
    expect((await anonymous.records.get(published.mid)).metadata.title).toBe("v1");

    await expect(published.publish()).rejects.toMatchObject({ code: "NRP_NOT_A_DRAFT" });

    const edit = await published.edit();
    expect(edit.isDraft).toBe(true);
    expect(edit.id).toBe(published.id);
    expect(edit.mid).toBe(`draft/documents/${published.id}`);
    const again = await published.edit();
    expect(again.revisionId).toBe(edit.revisionId);
    await expect(edit.edit()).rejects.toMatchObject({ code: "NRP_ALREADY_A_DRAFT" });

    edit.metadata.title = "v1 corrected";
    await edit.save();
    expect((await anonymous.records.get(published.mid)).metadata.title).toBe("v1");
    const republished = await edit.publish();
    expect(republished.metadata.title).toBe("v1 corrected");

    const next = await republished.newVersion();
    expect(next.isDraft).toBe(true);
    expect(next.id).not.toBe(published.id);
    expect(next.id).toMatch(ID);
    expect((next.data.parent as { id: string }).id).toBe(
      (published.data.parent as { id: string }).id,
    );
    expect((next.data.versions as { index: number }).index).toBe(2);
    const sameNext = await republished.newVersion();
    expect(sameNext.id).toBe(next.id);
  });

  it("refresh reloads the server state", async () => {
    const { owner } = await setup();
    const draft = await newDocument(owner, "one");
    const other = await owner.records.get(draft.mid);
    other.metadata.title = "two";
    await other.save();
    await draft.refresh();
    expect(draft.metadata.title).toBe("two");
    expect(draft.revisionId).toBe(other.revisionId);
  });
});

describe("permissions", () => {
  it("other users get 403; anonymous reads published records only", async () => {
    const { owner, depositor, anonymous } = await setup();
    const draft = await newDocument(owner, "private");
    await expect(depositor.records.get(draft.mid)).rejects.toThrow(PermissionDeniedError);
    await expect(anonymous.records.get(draft.mid)).rejects.toThrow(PermissionDeniedError);
    await expect(anonymous.records.create("documents", { title: "x" })).rejects.toThrow(
      PermissionDeniedError,
    );
    const published = await draft.publish();
    expect((await anonymous.records.get(published.mid)).id).toBe(draft.id);
    // Another user may read the published record but not open a draft of it.
    const theirs = await depositor.records.get(published.mid);
    await expect(theirs.edit()).rejects.toThrow(PermissionDeniedError);
    await expect(theirs.newVersion()).rejects.toThrow(PermissionDeniedError);
  });
});

describe("communities and curated publishing", () => {
  it("datasets require a community; slug and UUID work, unknown is refused", async () => {
    const { owner } = await setup();
    const missing = (await owner.records
      .create("datasets", { title: "no community" })
      .catch((e: unknown) => e)) as BadRequestError;
    expect(missing).toBeInstanceOf(BadRequestError);
    expect(missing.errors).toContainEqual({
      field: "_schema",
      messages: ["Failed to get community from input data."],
    });
    const unknown = (await owner.records
      .create("datasets", { title: "x" }, { community: "astrology" })
      .catch((e: unknown) => e)) as BadRequestError;
    expect(unknown).toBeInstanceOf(BadRequestError);
    expect(JSON.stringify(unknown.errors)).toMatch(/Input community does not exist\./);

    const bySlug = await owner.records.create("datasets", { title: "x" }, { community: "physics" });
    const parent = bySlug.data.parent as { communities: { default: string; ids: string[] } };
    expect(parent.communities.default).toBe(PHYSICS);
    const byUuid = await owner.records.create("datasets", { title: "y" }, { community: PHYSICS });
    expect((byUuid.data.parent as typeof parent).communities.ids).toEqual([PHYSICS]);
  });

  it("a curated model has no publish link: publish() says a publish_draft request is needed", async () => {
    const { owner } = await setup();
    const draft = await owner.records.create(
      "datasets",
      { title: "Curated" },
      { community: "physics", filesEnabled: false },
    );
    expect(draft.links.publish).toBeUndefined();
    // The publish_draft request is created and submitted; it waits for a curator.
    const error = await draft.publish().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReviewPendingError);
    const pending = error as ReviewPendingError;
    expect(pending.code).toBe("NRP_REVIEW_PENDING");
    expect(pending.request.type).toBe("publish_draft");
    expect(pending.request.status).toBe("submitted");

    // A second publish cannot open another one while that is pending.
    const again = (await draft.publish().catch((e: unknown) => e)) as RequestRequiredError;
    expect(again).toBeInstanceOf(RequestRequiredError);
    expect(again.code).toBe("NRP_REQUEST_REQUIRED");
    expect(again.requestType).toBe("publish_draft");
    expect(again.applicableRequestsUrl).toBe(draft.links["applicable-requests"]);
  });
});

describe("publish with a version", () => {
  it("stores metadata.version, saves, then publishes", async () => {
    const server = await fx.devserver({
      config: {
        models: {
          articles: {
            publishing: "direct",
            schema: {
              type: "object",
              properties: { title: { type: "string" }, version: { type: "string" } },
              required: ["title"],
            },
          },
        },
      },
    });
    const owner = fx.client(server, { token: server.tokens.owner }).client;
    const draft = await owner.records.create("articles", { title: "A" }, { filesEnabled: false });
    const published = await draft.publish({ version: "1.0.0" });
    expect(published.metadata).toEqual({ title: "A", version: "1.0.0" });
    expect(hitsFor(server, `/api/articles/${draft.id}/draft`, "PUT")).toBe(1);
  });
});

describe("recordGetter", () => {
  async function published(): Promise<{
    server: DevServer;
    owner: NRPInvenioClient;
    record: NRPRecord;
    config: NRPConfig;
  }> {
    const { server, owner } = await setup();
    const record = await (await newDocument(owner, "Findable")).publish();
    const config = new NRPConfig("/nonexistent/config.yaml", [
      { alias: "local", serverUrl: server.url, token: server.tokens.owner, retryInterval: 0.01 },
    ]);
    return { server, owner, record, config };
  }

  it("mids go to options.client, or the default alias", async () => {
    const { owner, record, config, server } = await published();
    const { recordGetter } = await import("nrp-invenio-client");
    const draft = await newDocument(owner, "draft for mid");
    const viaClient = await recordGetter(config, draft.mid, { client: owner });
    expect(viaClient.client).toBe(owner);
    expect(viaClient.metadata.title).toBe("draft for mid");
    config.setDefault("local");
    const viaDefault = await recordGetter(config, record.mid);
    expect(viaDefault.client).not.toBe(owner);
    expect(viaDefault.client.serverUrl).toBe(server.url);
    expect(viaDefault.id).toBe(record.id);
    await viaDefault.client.close();
  });

  it("API URLs of a configured host use its token; unknown hosts are read anonymously", async () => {
    const { owner, config, server } = await published();
    const { recordGetter } = await import("nrp-invenio-client");
    const draft = await newDocument(owner, "draft by url");
    const read = await recordGetter(config, draft.links.self ?? "");
    expect(read.mid).toBe(draft.mid);
    expect(read.client.options.token).toBe(server.tokens.owner);
    await read.client.close();

    const empty = new NRPConfig("/nonexistent/config.yaml");
    const error = await recordGetter(empty, draft.links.self ?? "", {
      clientOptions: { retryInterval: 0.01 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermissionDeniedError);
  });

  it("HTML landing pages resolve through the signposting header; draft previews by model", async () => {
    const { owner, record, config } = await published();
    const { recordGetter } = await import("nrp-invenio-client");
    const html = record.links.self_html ?? "";
    expect(html).not.toMatch(/\/api\//);
    const anonymous = await recordGetter(new NRPConfig("/x"), html);
    expect(anonymous.mid).toBe(record.mid);
    expect(anonymous.client.options.token).toBeUndefined();
    await anonymous.client.close();

    const draft = await newDocument(owner, "preview");
    const preview = await recordGetter(config, draft.links.self_html ?? "", { client: owner });
    expect(preview.mid).toBe(draft.mid);
  });

  it("DOIs in their three forms go through the DataCite-compatible resolver", async () => {
    const { record, config, server } = await published();
    const { recordGetter } = await import("nrp-invenio-client");
    const doi = (record.data.pids as { doi: { identifier: string } }).doi.identifier;
    expect(doi).toBe(`10.83030/${record.id}`);
    for (const form of [doi, `doi:${doi}`, `https://doi.org/${doi}`]) {
      const got = await recordGetter(config, form, { doiResolverUrl: server.url });
      expect(got.mid).toBe(record.mid);
      await got.client.close();
    }
    expect(hitsFor(server, `/dois/${doi}`)).toBe(3);
    await expect(
      recordGetter(config, "10.83030/zzzzz-zzzzz", { doiResolverUrl: server.url }),
    ).rejects.toThrow(NotFoundError);
  });
});

describe("createMany", () => {
  it("a fault on the 3rd POST fails that item only; every item is accounted for, in order", async () => {
    const { server, owner } = await setup();
    const items = Array.from({ length: 6 }, (_, i) => ({ title: `item ${i}` }));
    const progress: [number, number][] = [];
    const results = await owner.records.createMany("documents", items, {
      concurrency: 1,
      filesEnabled: false,
      onProgress: (done, failed) => {
        progress.push([done, failed]);
        if (done === 2) {
          server.faults.add({ method: "POST", path: "/api/documents/", status: 503 });
        }
      },
    });
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(results.map((r) => r.ok)).toEqual([true, true, false, true, true, true]);
    const failed = results[2];
    expect(failed?.ok === false && failed.error).toBeInstanceOf(InternalServerError);
    for (const r of results) {
      if (r.ok) expect(r.record.metadata.title).toBe(`item ${r.index}`);
    }
    expect(hitsFor(server, "/api/documents/", "POST")).toBe(6); // the 503 was not retried
    expect(progress.at(-1)).toEqual([6, 1]);
  });

  it("invalid community items fail alone, concurrently, from an async iterable", async () => {
    const { owner } = await setup();
    async function* items(): AsyncGenerator<Record<string, unknown>> {
      for (let i = 0; i < 8; i++) {
        await Promise.resolve();
        yield i % 3 === 1
          ? { metadata: { title: `bad ${i}` }, parent: { communities: { default: "nowhere" } } }
          : { metadata: { title: `good ${i}` }, parent: { communities: { default: "physics" } } };
      }
    }
    const results = await owner.records.createMany("datasets", items(), { concurrency: 3 });
    expect(results).toHaveLength(8);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, true, false, true, true, false]);
    for (const r of results) {
      if (!r.ok) expect(r.error).toBeInstanceOf(BadRequestError);
    }
  });

  it("abort stops scheduling new items", async () => {
    const { server, owner } = await setup();
    const controller = new AbortController();
    const results = await owner.records.createMany(
      "documents",
      Array.from({ length: 50 }, (_, i) => ({ title: `n${i}` })),
      {
        concurrency: 2,
        filesEnabled: false,
        signal: controller.signal,
        onProgress: (done) => {
          if (done === 3) controller.abort();
        },
      },
    );
    expect(results.length).toBeLessThan(10);
    expect(results.map((r) => r.index)).toEqual([...results.keys()]);
    for (const r of results) if (!r.ok) expect(r.error).toBeInstanceOf(APIUserAbortError);
    expect(hitsFor(server, "/api/documents/", "POST")).toBeLessThan(10);
  });
});

describe("retries", () => {
  it("a GET during a 503 storm succeeds; a POST create during 503 is not retried", async () => {
    const { server, owner } = await setup();
    const draft = await newDocument(owner);
    const path = `/api/documents/${draft.id}/draft`;
    server.faults.add({
      method: "GET",
      path,
      status: 503,
      times: 3,
      headers: { "Retry-After": "0" },
    });
    const before = hitsFor(server, path);
    const read = await owner.records.get(draft.mid);
    expect(read.id).toBe(draft.id);
    expect(hitsFor(server, path) - before).toBe(4);

    server.faults.add({ method: "POST", path: "/api/documents/", status: 503, times: 3 });
    const posts = hitsFor(server, "/api/documents/", "POST");
    await expect(newDocument(owner)).rejects.toThrow(InternalServerError);
    expect(hitsFor(server, "/api/documents/", "POST") - posts).toBe(1);

    server.faults.clear();
    server.faults.add({ method: "POST", path: `${path}/actions/publish`, status: 503 });
    await expect(draft.publish()).rejects.toThrow(InternalServerError);
    expect(hitsFor(server, `${path}/actions/publish`, "POST")).toBe(1);
  });
});

describe("guards and options", () => {
  it("save() on a published record is refused before any request", async () => {
    const { server, owner } = await setup();
    const published = await (await newDocument(owner)).publish();
    const puts = server.requestLog.filter((e) => e.method === "PUT").length;
    await expect(published.save()).rejects.toMatchObject({ code: "NRP_NOT_A_DRAFT" });
    expect(server.requestLog.filter((e) => e.method === "PUT").length).toBe(puts);
  });

  it("expand sends ?expand=true; createMany rejects a non-object item alone", async () => {
    const { server, owner } = await setup();
    const draft = await newDocument(owner);
    await owner.records.get(draft.mid, { expand: true });
    expect(server.requestLog.at(-1)?.path).toBe(`/api/documents/${draft.id}/draft?expand=true`);
    const results = await owner.records.createMany(
      "documents",
      [{ title: "ok" }, null as unknown as Record<string, unknown>, { title: "ok too" }],
      { filesEnabled: false },
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]?.ok === false && results[1].error.code).toBe("NRP_INVALID_INPUT");
    await expect(
      owner.records.createMany("documents", [{ title: "x" }], { concurrency: 0 }),
    ).rejects.toMatchObject({ code: "NRP_INVALID_INPUT" });
  });
});

describe("plain InvenioRDM flavour", () => {
  it("bare ids use the default model; landing pages and DOIs resolve to /api/records", async () => {
    const server = await fx.devserver({ flavour: "rdm" });
    const owner = fx.client(server, { token: server.tokens.owner }).client;
    const draft = await owner.records.create("records", { title: "RDM" }, { filesEnabled: false });
    expect(draft.links.self).toBe(`${server.url}/api/records/${draft.id}/draft`);
    expect((await owner.records.get(`draft/${draft.id}`)).mid).toBe(`draft/records/${draft.id}`);
    const published = await draft.publish();
    expect((await owner.records.get(draft.id)).mid).toBe(`records/${draft.id}`);
    const { recordGetter } = await import("nrp-invenio-client");
    const config = new NRPConfig("/nonexistent/config.yaml");
    const html = await recordGetter(config, published.links.self_html ?? "", { client: owner });
    expect(html.mid).toBe(published.mid);
    const doi = (published.data.pids as { doi: { identifier: string } }).doi.identifier;
    const byDoi = await recordGetter(config, `https://doi.org/${doi}`, {
      client: owner,
      doiResolverUrl: server.url,
    });
    expect(byDoi.mid).toBe(published.mid);
    // The RDM draft upload page is not public; its URL shape still names the draft.
    const next = await published.edit();
    expect(
      (await recordGetter(config, `${server.url}/uploads/${next.id}`, { client: owner })).mid,
    ).toBe(`draft/records/${next.id}`);
  });
});

describe("request-only actions", () => {
  it("a 403 on edit/newVersion is RequestRequiredError only when the record offers that request", async () => {
    const server = await fx.devserver({
      config: { models: { articles: { features: ["requests", "drafts", "files"] } } },
    });
    const owner = fx.client(server, { token: server.tokens.owner }).client;
    const draft = await owner.records.create("articles", { title: "A" }, { filesEnabled: false });
    const published = await draft.publish();
    const applicable = published.links["applicable-requests"] ?? "";
    expect(applicable).not.toBe("");
    const path = `/api/articles/${published.id}`;

    // Nothing offered: the 403 stays a permission error.
    server.faults.add({ method: "POST", path: `${path}/draft`, status: 403 });
    server.faults.add({
      method: "GET",
      path: `${path}/requests/applicable`,
      status: 200,
      body: { hits: { hits: [], total: 0 } },
    });
    await expect(published.edit()).rejects.toThrow(PermissionDeniedError);

    const offered = {
      hits: {
        hits: [
          {
            // Offered but not creatable now (e.g. one is already open): no request is tried.
            type_id: "edit_published_record",
            links: {},
          },
        ],
        total: 1,
      },
    };
    server.faults.add({ method: "POST", path: `${path}/draft`, status: 403 });
    server.faults.add({
      method: "GET",
      path: `${path}/requests/applicable`,
      status: 200,
      body: offered,
    });
    const error = (await published.edit().catch((e: unknown) => e)) as RequestRequiredError;
    expect(error).toBeInstanceOf(RequestRequiredError);
    expect(error.requestType).toBe("edit_published_record");
    expect(error.cause).toBeInstanceOf(PermissionDeniedError);

    server.faults.add({ method: "POST", path: `${path}/versions`, status: 403 });
    server.faults.add({
      method: "GET",
      path: `${path}/requests/applicable`,
      status: 200,
      body: offered,
    });
    await expect(published.newVersion()).rejects.toThrow(PermissionDeniedError);

    // Without faults the owner edits directly.
    expect((await published.edit()).isDraft).toBe(true);
  });
});

describe("records as oarepo 12/13 serves them (no is_draft, is_published, versions, expires_at)", () => {
  /** A devserver whose datasets workflow accepts every request on submit (oarepo's auto_publish). */
  async function autoPublish(): Promise<{ server: DevServer; owner: NRPInvenioClient }> {
    const server = await fx.devserver({
      config: {
        models: {
          datasets: {
            features: ["requests", "drafts", "files"],
            requireCommunity: true,
            publishing: "curated",
            requests: {
              autoAccept: [
                "publish_draft",
                "publish_new_version",
                "new_version",
                "delete_published_record",
              ],
            },
          },
        },
      },
    });
    return { server, owner: fx.client(server, { token: server.tokens.owner }).client };
  }

  /** Serves `path` once in oarepo's shape: the devserver's body without RDM's state fields. */
  async function asOarepo(server: DevServer, path: string): Promise<void> {
    const res = await fetch(`${server.url}${path}`, {
      headers: { authorization: `Bearer ${server.tokens.owner}` },
    });
    const rdm = new Set(["is_draft", "is_published", "versions", "expires_at"]);
    const body = Object.fromEntries(
      Object.entries((await res.json()) as Record<string, unknown>).filter(([k]) => !rdm.has(k)),
    );
    server.faults.add({ method: "GET", path, status: 200, body });
  }

  async function publishedDataset(owner: NRPInvenioClient, files = false): Promise<NRPRecord> {
    const draft = await owner.records.create(
      "datasets",
      { title: "Trees" },
      { community: "physics", filesEnabled: files },
    );
    if (files) {
      await (await draft.loadFiles()).create("data.txt", {}, new TextEncoder().encode("hello"));
    }
    return draft.publish();
  }

  it("a published record is published by its self link, and is deleted through a delete_published_record request", async () => {
    const { server, owner } = await autoPublish();
    const published = await publishedDataset(owner);
    const path = `/api/datasets/${published.id}`;
    await asOarepo(server, path);
    const record = await owner.records.get(`datasets/${published.id}`);
    expect(record.data).not.toHaveProperty("is_draft");
    expect(record.isDraft).toBe(false);
    expect(record.isPublished).toBe(true);
    expect(record.mid).toBe(`datasets/${published.id}`);

    await record.delete({ removalReason: "Duplicate" });
    expect(hitsFor(server, path, "DELETE")).toBe(0);
    expect(hitsFor(server, `${path}/requests/delete_published_record`, "POST")).toBe(1);
    await expect(owner.records.get(`datasets/${published.id}`)).rejects.toBeInstanceOf(GoneError);
  });

  it("a draft in oarepo's shape is a draft; an edit draft links its published record", async () => {
    const { server, owner } = await autoPublish();
    const draft = await owner.records.create(
      "datasets",
      { title: "Trees" },
      { community: "physics", filesEnabled: false },
    );
    await asOarepo(server, `/api/datasets/${draft.id}/draft`);
    const read = await owner.records.get(`draft/datasets/${draft.id}`);
    expect(read.data).not.toHaveProperty("is_draft");
    expect([read.isDraft, read.isPublished]).toEqual([true, false]);
    // save() goes to the draft, not refused as a published record.
    read.metadata.title = "Oaks";
    await read.save();
    expect(read.metadata.title).toBe("Oaks");

    const published = await read.publish();
    const edit = await published.edit();
    await asOarepo(server, `/api/datasets/${edit.id}/draft`);
    const editRead = await owner.records.get(`draft/datasets/${edit.id}`);
    expect(editRead.data).not.toHaveProperty("is_published");
    expect([editRead.isDraft, editRead.isPublished]).toEqual([true, true]);
  });

  it("the submit of an auto-accepted deletion answering 410 (oarepo) is the deletion done", async () => {
    const { server, owner } = await autoPublish();
    const published = await publishedDataset(owner);
    const path = `/api/datasets/${published.id}`;
    const gone = { status: 410, message: "The record has been deleted." };
    // oarepo deletes the topic inside the submit, then fails to serialise the answer: 410.
    server.faults.add({
      method: "POST",
      path: "/api/requests/*/actions/submit",
      status: 410,
      body: gone,
    });
    server.faults.add({ method: "GET", path, status: 410, body: gone });
    await published.delete({ removalReason: "Duplicate" });

    // A 410 on the submit while the record still reads is not taken for a deletion.
    const other = await publishedDataset(owner);
    server.faults.add({
      method: "POST",
      path: "/api/requests/*/actions/submit",
      status: 410,
      body: gone,
    });
    await expect(other.delete({ removalReason: "Duplicate" })).rejects.toBeInstanceOf(GoneError);
  });

  it("newVersion({ keepFiles }) imports the files into a direct new version on NRP", async () => {
    const server = await fx.devserver();
    const owner = fx.client(server, { token: server.tokens.owner }).client;
    const draft = await owner.records.create("documents", { title: "Versioned" });
    await (await draft.loadFiles()).create("data.csv", {}, new TextEncoder().encode("a,b\n1,2\n"));
    const published = await draft.publish();
    await asOarepo(server, `/api/documents/${published.id}`);
    const record = await owner.records.get(`documents/${published.id}`);

    const kept = await record.newVersion({ keepFiles: true });
    expect(hitsFor(server, `/api/documents/${kept.id}/draft/actions/files-import`, "POST")).toBe(1);
    expect([...(await kept.loadFiles())].map((f) => [f.key, f.status])).toEqual([
      ["data.csv", "completed"],
    ]);
    const next = await kept.publish();
    expect([...(await next.loadFiles())].map((f) => f.key)).toEqual(["data.csv"]);
  });

  it("newVersion({ keepFiles }) through an auto-accepted new_version request: the files are there once, publish_new_version succeeds", async () => {
    const { server, owner } = await autoPublish();
    const published = await publishedDataset(owner, true);
    const path = `/api/datasets/${published.id}`;
    server.faults.add({ method: "POST", path: `${path}/versions`, status: 403 });
    const kept = await published.newVersion({ keepFiles: true });
    expect(kept.isDraft).toBe(true);
    expect(kept.id).not.toBe(published.id);
    expect([...(await kept.loadFiles())].map((f) => f.key)).toEqual(["data.txt"]);
    const next = await kept.publish();
    expect(next.isPublished).toBe(true);
    expect([...(await next.loadFiles())].map((f) => f.key)).toEqual(["data.txt"]);
  });
});

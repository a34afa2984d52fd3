import { afterEach, describe, expect, it } from "vitest";
import {
  ActionNotAvailableError,
  BadRequestError,
  GoneError,
  InternalServerError,
  NRPRecordRequest,
  PermissionDeniedError,
  ReviewPendingError,
} from "nrp-invenio-client";
import type { NRPInvenioClient, NRPRecord } from "nrp-invenio-client";
import type { DevServer, DevServerOptions } from "nrp-invenio-devserver";
import { Fixtures, hitsFor } from "../helpers/servers.js";

const fx = new Fixtures();
afterEach(() => fx.cleanup());

async function setup(options: DevServerOptions = {}): Promise<{
  server: DevServer;
  owner: NRPInvenioClient;
  curator: NRPInvenioClient;
}> {
  const server = await fx.devserver(options);
  return {
    server,
    owner: fx.client(server, { token: server.tokens.owner }).client,
    curator: fx.client(server, { token: server.tokens.curator }).client,
  };
}

function newDataset(client: NRPInvenioClient, title = "Trees"): Promise<NRPRecord> {
  return client.records.create(
    "datasets",
    { title },
    { community: "physics", filesEnabled: false },
  );
}

async function pendingRequest(promise: Promise<unknown>): Promise<NRPRecordRequest> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ReviewPendingError);
  const pending = error as ReviewPendingError;
  expect(pending.code).toBe("NRP_REVIEW_PENDING");
  return pending.request;
}

/** Publishes a dataset through a request the curator accepts. */
async function publishedDataset(owner: NRPInvenioClient, curator: NRPInvenioClient) {
  const draft = await newDataset(owner);
  const request = await pendingRequest(draft.publish());
  await (await curator.requests.get(request.id)).accept();
  return owner.records.get(`datasets/${draft.id}`);
}

describe("record.requests", () => {
  it("lists applicable types and groups the record's requests per type and status", async () => {
    const { owner } = await setup();
    const draft = await newDataset(owner);
    const requests = await draft.loadRequests();
    expect(draft.requests).toBe(requests);
    expect(requests.applicable).toContain("publish_draft");
    expect(requests.get("publish_draft")?.canCreate).toBe(true);

    const created = await requests.create("publish_draft", undefined, { submit: false });
    expect(created.status).toBe("created");
    expect(created.isOpen).toBe(true);
    expect(created.type).toBe("publish_draft");
    expect(Object.keys(created.topic ?? {})).toHaveLength(1);
    expect(created.creator).toEqual({ user: "1" });
    expect(created.actions.sort()).toEqual(["cancel", "submit"]);

    const read = await owner.records.get(draft.mid, { includeRequests: true });
    const type = read.requests?.get("publish_draft");
    expect(type?.canCreate).toBe(false);
    expect([...(type ?? [])].map((r) => r.id)).toEqual([created.id]);
    expect(read.requests?.get("publish_draft", created.id)?.status).toBe("created");
    await created.submit();
    await read.refresh();
    expect(read.requests?.get("publish_draft")?.submittedRequests.map((r) => r.id)).toEqual([
      created.id,
    ]);
  });
});

describe("publish through a request", () => {
  it("the curator accepts: the draft is published and the payload links the record", async () => {
    const { owner, curator } = await setup();
    const draft = await newDataset(owner);
    const request = await pendingRequest(draft.publish());
    expect(request.status).toBe("submitted");
    expect(request.actions).not.toContain("accept");

    const inbox = await curator.requests.inbox();
    expect(inbox.map((r) => r.id)).toContain(request.id);
    const theirs = await curator.requests.get(request.id);
    expect(theirs.actions).toEqual(expect.arrayContaining(["accept", "decline"]));
    await theirs.accept("Looks good");
    expect(theirs.status).toBe("accepted");
    expect(theirs.isOpen).toBe(false);
    const self = (theirs.payload.published_record as { links: { self: string } }).links.self;
    expect(self).toMatch(new RegExp(`/api/datasets/${draft.id}$`));
    expect(theirs.payloadRaw["published_record:links:self"]).toBe(self);

    const published = await owner.records.get(`datasets/${draft.id}`);
    expect(published.isPublished).toBe(true);
    expect(await curator.requests.inbox()).toEqual([]);
    const events = await theirs.timeline();
    expect(JSON.stringify(events)).toMatch(/Looks good/);
  });

  it("decline, then publish again", async () => {
    const { owner, curator } = await setup();
    const draft = await newDataset(owner);
    const first = await pendingRequest(draft.publish());
    await (await curator.requests.get(first.id)).decline("Add a description");
    await first.refresh();
    expect(first.status).toBe("declined");
    expect(first.payload.published_record).toBeUndefined();

    draft.metadata.description = "Height of trees";
    await draft.save();
    const second = await pendingRequest(draft.publish());
    expect(second.id).not.toBe(first.id);
    const accepted = await (await curator.requests.get(second.id)).accept();
    expect(accepted.status).toBe("accepted");

    // The draft is gone once published; the record lists the requests made on it.
    const record = await owner.records.get(`datasets/${draft.id}`, { includeRequests: true });
    const history = record.requests?.get("publish_draft");
    expect(history?.declinedRequests.map((r) => r.id)).toEqual([first.id]);
    expect(history?.acceptedRequests.map((r) => r.id)).toEqual([second.id]);
  });

  it("cancel a created and a submitted request", async () => {
    const { owner, curator } = await setup();
    const draft = await newDataset(owner);
    const requests = await draft.loadRequests();
    const created = await requests.create("publish_draft", undefined, { submit: false });
    await created.cancel();
    expect(created.status).toBe("cancelled");

    const submitted = await pendingRequest(draft.publish());
    await submitted.cancel("Not ready after all");
    expect(submitted.status).toBe("cancelled");
    expect(await curator.requests.inbox()).toEqual([]);
    await expect(submitted.submit()).rejects.toBeInstanceOf(ActionNotAvailableError);
  });

  it("auto-accepted publishing returns the published record", async () => {
    const { owner } = await setup({
      config: {
        models: {
          datasets: {
            features: ["requests", "drafts", "files"],
            requireCommunity: true,
            publishing: "curated",
            requests: { autoAccept: ["publish_draft"] },
          },
        },
      },
    });
    const draft = await newDataset(owner);
    const published = await draft.publish();
    expect(published.isPublished).toBe(true);
    expect(published.id).toBe(draft.id);
  });
});

describe("edit, new version and delete through requests", () => {
  it("edit and new version wait for the curator, then give the drafts", async () => {
    const { server, owner, curator } = await setup();
    const published = await publishedDataset(owner, curator);
    // The owner may edit datasets directly; a workflow that forbids it answers 403 instead.
    const path = `/api/datasets/${published.id}`;
    server.faults.add({ method: "POST", path: `${path}/draft`, status: 403 });
    server.faults.add({ method: "POST", path: `${path}/versions`, status: 403 });

    const edit = await pendingRequest(published.edit());
    expect(edit.type).toBe("edit_published_record");
    await (await curator.requests.get(edit.id)).accept();
    await edit.refresh();
    const draftLink = (edit.payload.draft_record as { links: { self: string } }).links.self;
    const editDraft = await owner.records.getByUrl(draftLink);
    expect(editDraft.isDraft).toBe(true);
    expect(editDraft.id).toBe(published.id);
    // Publishing an edit draft is a publish_changed_metadata request.
    const republish = await pendingRequest(editDraft.publish());
    expect(republish.type).toBe("publish_changed_metadata");
    await (await curator.requests.get(republish.id)).accept();

    const version = await pendingRequest(published.newVersion({ keepFiles: false }));
    expect(version.type).toBe("new_version");
    expect(version.payload.keep_files).toBe("no");
    await (await curator.requests.get(version.id)).accept();
    await version.refresh();
    const newId = (version.payload.draft_record as { id: string }).id;
    expect(newId).not.toBe(published.id);
    const newDraft = await owner.records.get(`draft/datasets/${newId}`);
    const publishVersion = await pendingRequest(newDraft.publish());
    expect(publishVersion.type).toBe("publish_new_version");
  });

  it("delete needs a reason; accepted, the record is gone", async () => {
    const ctx = await setup();
    const { owner, curator } = ctx;
    const published = await publishedDataset(owner, curator);
    const { server } = ctx;
    const sent = server.requestLog.length;
    await expect(published.delete()).rejects.toMatchObject({
      code: "NRP_REMOVAL_REASON_REQUIRED",
    });
    expect(server.requestLog.length).toBe(sent);

    const request = await pendingRequest(published.delete({ removalReason: "Duplicate" }));
    expect(request.type).toBe("delete_published_record");
    expect(request.payload.removal_reason).toBe("Duplicate");
    await (await curator.requests.get(request.id)).accept();
    await expect(owner.records.get(`datasets/${published.id}`)).rejects.toBeInstanceOf(GoneError);
  });

  it("a payload is edited and saved while the request is created; a missing reason is the server's 400", async () => {
    const { owner, curator } = await setup();
    const published = await publishedDataset(owner, curator);
    const requests = await published.loadRequests();
    await expect(
      requests.create("delete_published_record", {}, { submit: false }),
    ).rejects.toBeInstanceOf(BadRequestError);
    const request = await requests.create(
      "delete_published_record",
      { removal_reason: "Wrong" },
      { submit: false },
    );
    request.payload.removal_reason = "Duplicate of another record";
    await request.save();
    expect((await owner.requests.get(request.id)).payload.removal_reason).toBe(
      "Duplicate of another record",
    );
    await request.comment("See the other record");
    expect(JSON.stringify(await request.timeline())).toMatch(/See the other record/);
    await request.submit();
    expect(request.status).toBe("submitted");
  });

  it("an auto-accepted edit returns the draft at once", async () => {
    const { server, owner, curator } = await setup({
      config: {
        models: {
          datasets: {
            features: ["requests", "drafts", "files"],
            requireCommunity: true,
            publishing: "curated",
            requests: { autoAccept: ["edit_published_record", "new_version"] },
          },
        },
      },
    });
    const published = await publishedDataset(owner, curator);
    const path = `/api/datasets/${published.id}`;
    server.faults.add({ method: "POST", path: `${path}/draft`, status: 403 });
    const draft = await published.edit();
    expect(draft.isDraft).toBe(true);
    expect(draft.id).toBe(published.id);
    // No new version while an edit draft is open (oarepo refuses it): discard the edit first.
    await draft.delete();
    server.faults.add({ method: "POST", path: `${path}/versions`, status: 403 });
    const next = await published.newVersion();
    expect(next.isDraft).toBe(true);
    expect(next.id).not.toBe(published.id);
  });
});

describe("illegal actions", () => {
  it("client-side ActionNotAvailableError, and the server's own errors through raw links", async () => {
    const { server, owner, curator } = await setup();
    const draft = await newDataset(owner);
    const request = await pendingRequest(draft.publish());

    const error = (await request.accept().catch((e: unknown) => e)) as ActionNotAvailableError;
    expect(error).toBeInstanceOf(ActionNotAvailableError);
    expect(error.available).toEqual(["cancel"]);
    expect(error.message).toMatch(/cancel/);

    const base = `${server.url}/api/requests/${request.id}/actions`;
    const http = fx.http(server, { token: server.tokens.owner }).http;
    const unknown = await http.postJSON(`${base}/frobnicate`, {}).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(BadRequestError);
    expect((unknown as BadRequestError).message).toMatch(
      /Error for action 'frobnicate': No such action available/,
    );
    const forbidden = await http.postJSON(`${base}/accept`, {}).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(PermissionDeniedError);

    // The curator cannot submit what is already submitted: 403 or 400, never a silent success.
    const curatorHttp = fx.http(server, { token: server.tokens.curator }).http;
    const illegal = await curatorHttp.postJSON(`${base}/submit`, {}).catch((e: unknown) => e);
    expect(illegal instanceof BadRequestError || illegal instanceof PermissionDeniedError).toBe(
      true,
    );
    expect((await curator.requests.get(request.id)).status).toBe("submitted");

    // Permitted but illegal in this status: the admin cannot submit a submitted request.
    const adminHttp = fx.http(server, { token: server.tokens.admin }).http;
    const transition = await adminHttp.postJSON(`${base}/submit`, {}).catch((e: unknown) => e);
    expect(transition).toBeInstanceOf(BadRequestError);
    expect((transition as BadRequestError).message).toMatch(
      /Error for action 'submit': Could not execute the action/,
    );
  });
});

describe("retries", () => {
  it("an action answered 503 is not repeated", async () => {
    const { server, owner, curator } = await setup();
    const draft = await newDataset(owner);
    const request = await pendingRequest(draft.publish());
    const theirs = await curator.requests.get(request.id);
    server.faults.add({ method: "POST", path: "/api/requests/*/actions/accept", status: 503 });
    await expect(theirs.accept()).rejects.toBeInstanceOf(InternalServerError);
    expect(hitsFor(server, `/api/requests/${request.id}/actions/accept`, "POST")).toBe(1);
    expect(theirs.status).toBe("submitted");
  });
});

describe("client.requests", () => {
  it("search filters and pages, get by id, save a payload while created", async () => {
    const { owner, curator } = await setup();
    const ids: string[] = [];
    for (const title of ["a", "b", "c"]) {
      const draft = await newDataset(owner, title);
      ids.push((await pendingRequest(draft.publish())).id);
    }
    const page = await curator.requests.search({ status: "submitted", size: 2 });
    expect(page.total).toBe(3);
    expect(page.items).toHaveLength(2);
    const seen: string[] = [];
    for await (const r of page) seen.push(r.id);
    expect(seen.sort()).toEqual([...ids].sort());

    const mine = await owner.requests.search({ mine: true, type: "publish_draft" });
    expect(mine.total).toBe(3);
    expect((await owner.requests.search({ status: "accepted" })).total).toBe(0);
    expect((await curator.requests.search({ isOpen: true })).total).toBe(3);
    const topic = `datasets:${(await owner.requests.get(ids[1] ?? "")).topic?.datasets ?? ""}`;
    const about = await curator.requests.search({ topic });
    expect([...about].map((r) => r.id)).toEqual([ids[1]]);

    const one = await owner.requests.get(ids[0] ?? "");
    expect(one.id).toBe(ids[0]);
    expect(one.toDict().id).toBe(ids[0]);
  });
});

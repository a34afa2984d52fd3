import { afterEach, describe, expect, it } from "vitest";
import { GoneError, NRPError, PermissionDeniedError, ReviewPendingError } from "nrp-invenio-client";
import type { NRPInvenioClient, NRPRecord, NRPRecordRequest } from "nrp-invenio-client";
import type { DevServer } from "nrp-invenio-devserver";
import { Fixtures, hitsFor } from "../helpers/servers.js";

const PHYSICS = "3f1c0b6e-7a52-4d8e-9c41-0e6a2b7d5f01";

const fx = new Fixtures();
afterEach(() => fx.cleanup());

async function rdm(): Promise<{
  server: DevServer;
  owner: NRPInvenioClient;
  curator: NRPInvenioClient;
  admin: NRPInvenioClient;
}> {
  const server = await fx.devserver({ flavour: "rdm" });
  const as = (token: string) => fx.client(server, { token }).client;
  return {
    server,
    owner: as(server.tokens.owner),
    curator: as(server.tokens.curator),
    admin: as(server.tokens.admin),
  };
}

function inCommunity(client: NRPInvenioClient, title: string): Promise<NRPRecord> {
  return client.records.create("records", { title }, { community: "physics", filesEnabled: false });
}

/** What `promise` was rejected with (the test fails when it resolves). */
async function failure<E>(promise: Promise<unknown>): Promise<E> {
  const outcome = await promise.then(
    () => undefined,
    (e: unknown) => ({ e }),
  );
  expect(outcome, "the call should have failed").toBeDefined();
  return outcome?.e as E;
}

/** The request a publish() that went to review carries. */
async function pending(promise: Promise<unknown>): Promise<NRPRecordRequest> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ReviewPendingError);
  return (error as ReviewPendingError).request;
}

describe("communities on InvenioRDM: the draft's community-submission review", () => {
  it("create in a community sets the review; publish submits it; the curator's accept publishes", async () => {
    const { server, owner, curator } = await rdm();
    const draft = await inCommunity(owner, "Bats");
    const path = `/api/records/${draft.id}/draft`;
    expect(hitsFor(server, `${path}/review`, "PUT")).toBe(1);
    expect(draft.data.parent).toMatchObject({
      review: { type: "community-submission", status: "created", receiver: { community: PHYSICS } },
    });

    const error = await draft.publish().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReviewPendingError);
    const pendingError = error as ReviewPendingError;
    expect(pendingError.message).toMatch(/waits for review/);
    const request = pendingError.request;
    expect(request.type).toBe("community-submission");
    expect(request.status).toBe("submitted");
    expect(request.receiver).toEqual({ community: PHYSICS });
    expect(hitsFor(server, `${path}/actions/submit-review`, "POST")).toBe(1);
    expect(hitsFor(server, `${path}/actions/publish`, "POST")).toBe(0);

    // Publishing again while the curator decides reports the same request; nothing is sent.
    const again = await pending(draft.publish());
    expect(again.id).toBe(request.id);
    expect(hitsFor(server, `${path}/actions/submit-review`, "POST")).toBe(1);

    const inbox = await curator.requests.inbox();
    const theirs = inbox.find((r) => r.id === request.id);
    expect(theirs?.actions.sort()).toEqual(["accept", "decline"]);
    await request.comment("Please include");
    await theirs?.accept("Looks good");
    expect(theirs?.status).toBe("accepted");

    const published = await owner.records.get(draft.id);
    expect(published.isPublished).toBe(true);
    expect(published.data.parent).toMatchObject({ communities: { ids: [PHYSICS] } });
    const events = await request.timeline();
    const comments = events.filter((e) => e.type === "C").map((e) => JSON.stringify(e.payload));
    expect(comments.join()).toMatch(/Please include.*Looks good/);
  });

  it("declined: publish() submits to the community again; cancelled: publish() publishes directly", async () => {
    const { owner, curator } = await rdm();
    const draft = await inCommunity(owner, "Declined");
    const first = await pending(draft.publish());
    await (await curator.requests.get(first.id)).decline("Add a description");
    const second = await pending(draft.publish());
    expect(second.id).not.toBe(first.id);
    expect(second.status).toBe("submitted");

    await second.cancel();
    expect(second.status).toBe("cancelled");
    const published = await draft.publish();
    expect(published.isPublished).toBe(true);
    expect(published.data.parent).toMatchObject({ communities: {} });
  });

  it("a draft without a community publishes directly, whatever its links", async () => {
    const { server, owner } = await rdm();
    const draft = await owner.records.create(
      "records",
      { title: "Alone" },
      { filesEnabled: false },
    );
    expect(draft.links.review).toBe(`${server.url}/api/records/${draft.id}/draft/review`);
    const published = await draft.publish();
    expect(published.isPublished).toBe(true);
    expect(hitsFor(server, `/api/records/${draft.id}/draft/actions/submit-review`, "POST")).toBe(0);
  });

  it("an unknown community fails before anything is created", async () => {
    const { server, owner } = await rdm();
    await expect(
      owner.records.create("records", { title: "x" }, { community: "astrology" }),
    ).rejects.toMatchObject({ code: "NRP_UNKNOWN_COMMUNITY" });
    expect(hitsFor(server, "/api/records", "POST")).toBe(0);
  });
});

describe("requests on InvenioRDM", () => {
  it("a draft's requests come from its review; a published record's from links.requests", async () => {
    const { server, owner, curator } = await rdm();
    const draft = await inCommunity(owner, "Listed");
    const before = await draft.loadRequests();
    expect(before.all.map((r) => r.type)).toEqual(["community-submission"]);
    expect(before.all[0]?.status).toBe("created");
    expect(hitsFor(server, `/api/records/${draft.id}/requests`)).toBe(0);

    const request = await pending(draft.publish());
    const read = await owner.records.get(`draft/${draft.id}`, { includeRequests: true });
    expect(read.requests?.all.map((r) => [r.id, r.status])).toEqual([[request.id, "submitted"]]);

    await (await curator.requests.get(request.id)).accept();
    const published = await owner.records.get(draft.id, { includeRequests: true });
    expect(published.requests?.all.map((r) => [r.id, r.status])).toEqual([
      [request.id, "accepted"],
    ]);
  });

  it("mine uses /api/user/requests; the inbox holds what the curator may decide", async () => {
    const { server, owner, curator } = await rdm();
    const request = await pending((await inCommunity(owner, "Mine")).publish());
    const mine = await owner.requests.search({ mine: true });
    expect(mine.items.map((r) => r.id)).toContain(request.id);
    expect(hitsFor(server, "/api/user/requests")).toBe(1);
    const curatorsOwn = await curator.requests.search({ mine: true });
    expect(curatorsOwn.items.map((r) => r.id)).not.toContain(request.id);
    expect((await curator.requests.inbox()).map((r) => r.id)).toContain(request.id);
    expect((await owner.requests.inbox()).map((r) => r.id)).not.toContain(request.id);
  });
});

describe("new version keeping files on InvenioRDM", () => {
  it("keepFiles imports the previous version's files into the new draft", async () => {
    const { server, owner } = await rdm();
    const draft = await owner.records.create("records", { title: "Versioned" });
    await (await draft.loadFiles()).create("data.csv", {}, new TextEncoder().encode("a,b\n1,2\n"));
    const published = await draft.publish();

    const kept = await published.newVersion({ keepFiles: true });
    expect(hitsFor(server, `/api/records/${kept.id}/draft/actions/files-import`, "POST")).toBe(1);
    const files = await kept.loadFiles();
    expect([...files].map((f) => f.key)).toEqual(["data.csv"]);
    expect(kept.data.files).toMatchObject({ count: 1 });
    await kept.delete();

    const bare = await published.newVersion();
    expect((await bare.loadFiles()).length).toBe(0);
  });
});

describe("deleting a published record on InvenioRDM", () => {
  it("an administrator deletes with a removal reason and a note; the record is then gone (410)", async () => {
    const { server, owner, admin } = await rdm();
    const draft = await owner.records.create("records", { title: "Spam" }, { filesEnabled: false });
    const published = await draft.publish();

    const refused = await failure<PermissionDeniedError>(
      published.delete({ removalReason: "spam" }),
    );
    expect(refused).toBeInstanceOf(PermissionDeniedError);
    expect(refused.message).toMatch(/only administrators may delete published records/i);
    expect(refused.message).toMatch(/new version/);

    // A reason outside the repository's vocabulary is refused before anything is sent (a real
    // InvenioRDM 13 answers such a delete with a 500 and leaves the record unreadable).
    const asAdmin = await admin.records.get(published.id);
    const deletes = () => hitsFor(server, `/api/records/${published.id}/delete`, "DELETE");
    const tried = deletes();
    const unknown = await failure<NRPError>(asAdmin.delete({ removalReason: "boredom" }));
    expect(unknown.code).toBe("NRP_INVALID_INPUT");
    expect(unknown.message).toMatch(/"boredom" is not a removal reason/);
    expect(unknown.message).toMatch(/duplicate.*spam/s);
    expect(deletes()).toBe(tried);

    await asAdmin.delete({ removalReason: "spam", note: "advertising" });
    const gone = await failure<GoneError>(owner.records.get(published.id));
    expect(gone).toBeInstanceOf(GoneError);
    expect(gone.body).toMatchObject({
      tombstone: { removal_reason: { id: "spam" }, note: "advertising" },
    });
  });
});

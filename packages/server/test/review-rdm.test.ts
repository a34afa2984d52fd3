import { describe, expect, test } from "vitest";
import { call, send, useServer } from "./helpers.js";

const PHYSICS = "3f1c0b6e-7a52-4d8e-9c41-0e6a2b7d5f01";

/** The keys of a request as InvenioRDM 13 dumps it (recorded request-get). */
const REQUEST_KEYS = [
  "created",
  "created_by",
  "expires_at",
  "id",
  "is_closed",
  "is_expired",
  "is_open",
  "links",
  "number",
  "receiver",
  "revision_id",
  "status",
  "title",
  "topic",
  "type",
  "updated",
];

describe("community-submission review (rdm flavour)", () => {
  const server = useServer({ flavour: "rdm" });
  const owner = (): string => server().tokens.owner;
  const curator = (): string => server().tokens.curator;
  const api = (): string => `${server().url}/api/records`;

  async function newDraft(title: string): Promise<string> {
    const res = await send("POST", api(), {
      token: owner(),
      body: { metadata: { title }, files: { enabled: false } },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function review(id: string, community = PHYSICS) {
    return send("PUT", `${api()}/${id}/draft/review`, {
      token: owner(),
      body: { receiver: { community }, type: "community-submission" },
    });
  }

  async function submitted(title: string): Promise<{ id: string; request: string }> {
    const id = await newDraft(title);
    expect((await review(id)).status).toBe(200);
    const res = await send("POST", `${api()}/${id}/draft/actions/submit-review`, {
      token: owner(),
      body: { payload: { content: "Please include", format: "html" } },
    });
    expect(res.status).toBe(202);
    return { id, request: res.body.id as string };
  }

  const act = (request: string, action: string, token: string, body?: unknown) =>
    send("POST", `${server().url}/api/requests/${request}/actions/${action}`, {
      token,
      ...(body === undefined ? {} : { body }),
    });

  test("review → submit-review → the curator accepts: published in the community", async () => {
    const { url } = server();
    const id = await newDraft("Community submission");
    const put = await review(id);
    expect(put.status).toBe(200);
    const base = `${url}/api/requests/${put.body.id as string}`;
    expect(Object.keys(put.body).sort()).toEqual(REQUEST_KEYS);
    expect(put.body).toMatchObject({
      type: "community-submission",
      status: "created",
      title: "",
      is_open: false,
      is_closed: false,
      revision_id: 2,
      receiver: { community: PHYSICS },
      topic: { record: id },
      links: { actions: { submit: `${base}/actions/submit` }, self: base },
    });
    expect(Object.keys(put.body.links.actions as object)).toEqual(["submit"]);

    // The curators of the community review the draft: they may read it, others may not.
    const reviewed = await call(`${api()}/${id}/draft`, { token: curator() });
    expect(reviewed.status).toBe(200);
    expect(reviewed.body.parent.review.id).toBe(put.body.id);
    expect((await call(`${api()}/${id}/draft`, { token: server().tokens.depositor })).status).toBe(
      403,
    );
    const draft = await call(`${api()}/${id}/draft`, { token: owner() });
    // The short form InvenioRDM 13 serves on the parent.
    expect(draft.body.parent.review).toEqual({
      id: put.body.id,
      links: {},
      type: "community-submission",
      title: "",
      status: "created",
      receiver: { community: PHYSICS },
    });
    expect(draft.body.parent.communities).toEqual({});
    expect(draft.body.links["submit-review"]).toBe(`${api()}/${id}/draft/actions/submit-review`);
    expect((await call(`${api()}/${id}/draft/review`, { token: owner() })).body.id).toBe(
      put.body.id,
    );

    // Until published the record's requests are 404; a direct publish is refused.
    const early = await call(`${api()}/${id}/requests`, { token: owner() });
    expect(early.status).toBe(404);
    expect(early.body.message).toBe("The persistent identifier is not registered.");
    const direct = await send("POST", `${api()}/${id}/draft/actions/publish`, { token: owner() });
    expect(direct.status).toBe(400);
    expect(direct.body.message).toMatch(/^You cannot publish a draft with an open review request/);

    const sub = await send("POST", `${api()}/${id}/draft/actions/submit-review`, {
      token: owner(),
      body: { payload: { content: "Please include", format: "html" } },
    });
    expect(sub.status).toBe(202);
    expect(sub.body).toMatchObject({
      status: "submitted",
      is_open: true,
      is_closed: false,
      title: "Community submission",
      revision_id: 3,
      links: { actions: { cancel: `${base}/actions/cancel` }, next_html: expect.any(String) },
    });

    const theirs = await call(base, { token: curator() });
    expect(theirs.headers.get("etag")).toBe('"3"');
    expect(Object.keys(theirs.body.links.actions as object).sort()).toEqual(["accept", "decline"]);
    const found = await call(`${url}/api/requests/?q=is_open:true&size=5`, { token: curator() });
    expect(found.body.hits.hits.map((h: { id: string }) => h.id)).toContain(put.body.id);
    expect(found.body.aggregations.type.buckets[0]).toMatchObject({
      key: "community-submission",
      label: "Draft review",
    });
    expect(found.body.links.self).toMatch(/\/api\/requests\?page=1&q=is_open%3Atrue&size=5/);

    const comment = await send("POST", `${base}/comments`, {
      token: curator(),
      body: { payload: { content: "Looks good", format: "html" } },
    });
    expect(comment.status).toBe(201);
    const accepted = await act(put.body.id as string, "accept", curator());
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get("etag")).toBe('"4"');
    expect(accepted.body).toMatchObject({
      status: "accepted",
      is_open: false,
      is_closed: true,
      links: { actions: {} },
    });
    const again = await act(put.body.id as string, "accept", curator());
    expect(again.status).toBe(400);
    expect(again.body.message).toBe("Error for action 'accept': Could not execute the action");

    const timeline = await call(`${base}/timeline`, { token: owner() });
    expect(Object.keys(timeline.body).sort()).toEqual(["hits", "links", "page", "sortBy"]);
    const comments = (timeline.body.hits.hits as { type: string; payload: { content?: string } }[])
      .filter((e) => e.type === "C")
      .map((e) => e.payload.content);
    expect(comments).toEqual(["Please include", "Looks good"]);

    const record = await call(`${api()}/${id}`, { token: owner() });
    expect(record.status).toBe(200);
    expect(record.body.is_published).toBe(true);
    expect(record.body.parent.review).toBeUndefined();
    expect(record.body.parent.communities).toMatchObject({
      ids: [PHYSICS],
      default: PHYSICS,
      entries: [{ id: PHYSICS, slug: "physics" }],
    });
    const listed = await call(`${api()}/${id}/requests`, { token: owner() });
    expect(listed.status).toBe(200);
    expect(listed.body.hits.total).toBe(1);
    expect(listed.body.hits.hits[0]).toMatchObject({ id: put.body.id, status: "accepted" });
  });

  test("decline keeps the review (closed); a new review replaces it and can be submitted", async () => {
    const { id, request } = await submitted("Declined once");
    expect((await act(request, "decline", curator(), { payload: { content: "No" } })).status).toBe(
      200,
    );
    const draft = await call(`${api()}/${id}/draft`, { token: owner() });
    expect(draft.body.parent.review).toMatchObject({ id: request, status: "declined" });
    // After a decline the curators no longer see the draft.
    expect((await call(`${api()}/${id}/draft`, { token: curator() })).status).toBe(403);
    const again = await review(id);
    expect(again.status).toBe(200);
    expect(again.body.id).not.toBe(request);
    const sub = await send("POST", `${api()}/${id}/draft/actions/submit-review`, {
      token: owner(),
    });
    expect(sub.status).toBe(202);
    // The declined request stays readable.
    expect((await call(`${server().url}/api/requests/${request}`, { token: owner() })).status).toBe(
      200,
    );
  });

  test("cancel unsets the review; the draft then publishes directly, outside the community", async () => {
    const { id, request } = await submitted("Withdrawn");
    const blocked = await send("DELETE", `${api()}/${id}/draft`, { token: owner() });
    expect(blocked.status).toBe(400);
    const cancelled = await act(request, "cancel", owner());
    expect(cancelled.body.status).toBe("cancelled");
    const gone = await call(`${api()}/${id}/draft/review`, { token: owner() });
    expect(gone.status).toBe(404);
    expect(gone.body.message).toBe("Review for draft not found");
    const published = await send("POST", `${api()}/${id}/draft/actions/publish`, {
      token: owner(),
    });
    expect(published.status).toBe(202);
    expect(published.body.parent.communities).toEqual({});
  });

  test("review errors: a wrong type, an unknown community, a published record", async () => {
    const id = await newDraft("Errors");
    const badType = await send("PUT", `${api()}/${id}/draft/review`, {
      token: owner(),
      body: { receiver: { community: PHYSICS }, type: "nope" },
    });
    expect(badType.status).toBe(400);
    expect(badType.body.errors).toEqual([{ field: "type", messages: ["Invalid review type."] }]);
    const unknown = await review(id, "00000000-0000-4000-8000-000000000000");
    expect(unknown.status).toBe(404);
    const other = await send("PUT", `${api()}/${id}/draft/review`, {
      token: curator(),
      body: { receiver: { community: PHYSICS }, type: "community-submission" },
    });
    expect(other.status).toBe(403);
    expect(
      (await send("POST", `${api()}/${id}/draft/actions/publish`, { token: owner() })).status,
    ).toBe(202);
    const edit = await send("POST", `${api()}/${id}/draft`, { token: owner() });
    expect(edit.status).toBe(201);
    expect((await review(id)).status).toBe(400);
    const none = await send("POST", `${api()}/${id}/draft/actions/submit-review`, {
      token: owner(),
    });
    expect(none.status).toBe(404);
  });

  test("/api/user/requests: what the caller created; mine and assigned are not parameters", async () => {
    const { request } = await submitted("Mine");
    const url = server().url;
    const ownerList = await call(`${url}/api/user/requests?size=100`, { token: owner() });
    expect(ownerList.body.hits.hits.map((h: { id: string }) => h.id)).toContain(request);
    expect(ownerList.body.sortBy).toBe("newest");
    const curatorList = await call(`${url}/api/user/requests?size=100`, { token: curator() });
    expect(curatorList.body.hits.hits.map((h: { id: string }) => h.id)).not.toContain(request);
    // A curator sees the request in the general search, with or without oarepo's `mine`.
    const all = await call(`${url}/api/requests/?mine=true&status=submitted&size=100`, {
      token: curator(),
    });
    expect(all.body.hits.hits.map((h: { id: string }) => h.id)).toContain(request);
  });
});

describe("deleting a published record (rdm flavour, administrators)", () => {
  const server = useServer({ flavour: "rdm" });

  async function published(): Promise<string> {
    const { url, tokens } = server();
    const res = await send("POST", `${url}/api/records`, {
      token: tokens.owner,
      body: {
        metadata: {
          title: "To be deleted",
          publication_date: "2026-01-02",
          resource_type: { id: "dataset" },
          creators: [
            { person_or_org: { type: "personal", family_name: "Novak", given_name: "Jan" } },
          ],
        },
        files: { enabled: false },
      },
    });
    const id = res.body.id as string;
    expect(
      (
        await send("POST", `${url}/api/records/${id}/draft/actions/publish`, {
          token: tokens.owner,
        })
      ).status,
    ).toBe(202);
    return id;
  }

  test("204 for an admin, then 410 with the tombstone for everyone", async () => {
    const { url, tokens } = server();
    const id = await published();
    const path = `${url}/api/records/${id}/delete`;
    const body = { removal_reason: { id: "spam" }, note: "test" };
    const owner = await send("DELETE", path, { token: tokens.owner, body });
    expect(owner.status).toBe(403);
    expect(owner.body.message).toBe("Permission denied.");
    const unknown = await send("DELETE", path, {
      token: tokens.admin,
      body: { removal_reason: { id: "boredom" } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe("Invalid value boredom.");
    const deleted = await send("DELETE", path, { token: tokens.admin, body });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    for (const token of [undefined, tokens.admin]) {
      const gone = await call(`${url}/api/records/${id}`, token === undefined ? {} : { token });
      expect(gone.status).toBe(410);
      expect(gone.body).toEqual({
        status: 410,
        message: "Record deleted",
        tombstone: {
          note: "test",
          removed_by: { user: expect.any(String) },
          removal_date: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          citation_text: "Novak, J. (2026). To be deleted [Dataset].",
          is_visible: true,
          removal_reason: { id: "spam" },
        },
      });
    }
    const twice = await send("DELETE", path, { token: tokens.admin, body });
    expect(twice.status).toBe(410);
  });

  test("the removal reasons are a public vocabulary", async () => {
    const { url } = server();
    const res = await call(`${url}/api/vocabularies/removalreasons?size=100`);
    expect(res.status).toBe(200);
    expect(res.body.hits.total).toBe(12);
    expect(res.body.sortBy).toBe("title");
    const ids = (res.body.hits.hits as { id: string }[]).map((h) => h.id);
    expect(ids).toEqual(expect.arrayContaining(["duplicate", "spam", "retracted"]));
    expect(res.body.hits.hits[0]).toMatchObject({
      type: "removalreasons",
      title: { en: expect.any(String) },
      links: { self: `${url}/api/vocabularies/removalreasons/${ids[0] ?? ""}` },
    });
  });
});

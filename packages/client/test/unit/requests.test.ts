import { describe, expect, it } from "vitest";
import { ActionNotAvailableError } from "../../src/core/errors.js";
import {
  NRPRecordRequest,
  NRPRecordRequests,
  flattenPayload,
  restoreHierarchy,
} from "../../src/resources/requests.js";
import type { HttpClient } from "../../src/internal/http.js";

/** A transport that fails the test if anything is sent. */
const noHttp = new Proxy({} as unknown as HttpClient, {
  get: () => () => {
    throw new Error("no request may be sent");
  },
});
const ctx = { http: noHttp };

function request(status: string, actions: string[], extra: Record<string, unknown> = {}) {
  return {
    id: `id-${status}`,
    type: "publish_draft",
    status,
    is_open: status === "created" || status === "submitted",
    topic: { datasets: "abcde-12345" },
    created_by: { user: "1" },
    receiver: { community_role: "c:curator" },
    payload: {},
    links: {
      self: "http://x/api/requests/extended/1",
      actions: Object.fromEntries(actions.map((a) => [a, `http://x/api/requests/1/actions/${a}`])),
      topic: { self: "http://x/api/datasets/abcde-12345/draft" },
    },
    ...extra,
  };
}

describe("payload colon keys", () => {
  it("restores the hierarchy and flattens it back", () => {
    const raw = {
      "published_record:links:self": "http://x/api/datasets/1",
      "published_record:links:self_html": "http://x/datasets/1",
      version: "1.0",
    };
    const nested = restoreHierarchy(raw);
    expect(nested).toEqual({
      published_record: {
        links: { self: "http://x/api/datasets/1", self_html: "http://x/datasets/1" },
      },
      version: "1.0",
    });
    expect(flattenPayload(nested)).toEqual(raw);
  });

  it("keeps arrays and empty objects as values, and merges a plain key with colon keys", () => {
    expect(flattenPayload({ a: [1, 2], b: {}, c: { d: null } })).toEqual({
      a: [1, 2],
      b: {},
      "c:d": null,
    });
    expect(restoreHierarchy({ "a:b": "1", a: { c: "2" } })).toEqual({ a: { b: "1", c: "2" } });
  });

  it("exposes the restored payload for editing and the colon form for the server", () => {
    const r = new NRPRecordRequest(
      ctx,
      request("accepted", [], { payload: { "draft_record:id": "zzzzz-11111" } }),
    );
    expect(r.payload).toEqual({ draft_record: { id: "zzzzz-11111" } });
    (r.payload.draft_record as Record<string, unknown>).note = "x";
    expect(r.payloadRaw).toEqual({ "draft_record:id": "zzzzz-11111", "draft_record:note": "x" });
    expect(r.toDict().payload).toEqual(r.payloadRaw);
  });
});

describe("NRPRecordRequest", () => {
  it("reads the fields of the request JSON", () => {
    const r = new NRPRecordRequest(ctx, request("submitted", ["accept", "decline"]));
    expect(r.id).toBe("id-submitted");
    expect(r.type).toBe("publish_draft");
    expect(r.status).toBe("submitted");
    expect(r.isOpen).toBe(true);
    expect(r.topic).toEqual({ datasets: "abcde-12345" });
    expect(r.creator).toEqual({ user: "1" });
    expect(r.receiver).toEqual({ community_role: "c:curator" });
    expect(r.actions).toEqual(["accept", "decline"]);
    expect(r.topicUrl).toBe("http://x/api/datasets/abcde-12345/draft");
    expect(String(r)).toBe("NRPRecordRequest[publish_draft id-submitted submitted]");
  });

  it("refuses an action not in links.actions before sending anything, naming the available ones", async () => {
    const r = new NRPRecordRequest(ctx, request("created", ["submit", "cancel"]));
    const error = (await r.accept("fine").catch((e: unknown) => e)) as ActionNotAvailableError;
    expect(error).toBeInstanceOf(ActionNotAvailableError);
    expect(error.code).toBe("NRP_ACTION_NOT_AVAILABLE");
    expect(error.action).toBe("accept");
    expect(error.available).toEqual(["submit", "cancel"]);
    expect(error.message).toMatch(/submit, cancel/);
    expect(error.toJSON()).toMatchObject({ action: "accept", requestId: "id-created" });

    const closed = new NRPRecordRequest(ctx, request("declined", []));
    await expect(closed.submit()).rejects.toThrow(/no action is available/);
    await expect(closed.cancel()).rejects.toBeInstanceOf(ActionNotAvailableError);
    await expect(closed.decline()).rejects.toBeInstanceOf(ActionNotAvailableError);
  });
});

describe("NRPRecordRequests", () => {
  const types = [
    {
      type_id: "delete_published_record",
      links: { actions: { create: "http://x/api/datasets/1/requests/delete_published_record" } },
    },
  ];
  const list = [
    request("submitted", []),
    { ...request("declined", []), id: "d1" },
    { ...request("accepted", []), id: "a1", type: "new_version" },
  ];

  it("groups the record's requests per type, including types no longer applicable", () => {
    const reqs = new NRPRecordRequests(types, list, ctx);
    expect([...reqs].map((t) => [t.typeId, t.canCreate])).toEqual([
      ["delete_published_record", true],
      ["publish_draft", false],
      ["new_version", false],
    ]);
    const publish = reqs.get("publish_draft");
    expect(publish?.submittedRequests.map((r) => r.id)).toEqual(["id-submitted"]);
    expect(publish?.declinedRequests.map((r) => r.id)).toEqual(["d1"]);
    expect(publish?.acceptedRequests).toEqual([]);
    expect(reqs.get("new_version")?.acceptedRequests.map((r) => r.id)).toEqual(["a1"]);
    expect(reqs.get("publish_draft", "d1")?.status).toBe("declined");
    expect(reqs.get("publish_draft", "nope")).toBeUndefined();
    expect(reqs.applicable).toEqual(["delete_published_record"]);
    expect(reqs.requests).toHaveLength(3);
    expect(reqs.all).toHaveLength(3);
  });

  it("refuses to create a type that is not applicable, naming those that are", async () => {
    const reqs = new NRPRecordRequests(types, list, ctx);
    await expect(reqs.create("publish_draft")).rejects.toMatchObject({
      code: "NRP_REQUEST_NOT_APPLICABLE",
      message: expect.stringMatching(/delete_published_record/) as unknown,
    });
    await expect(reqs.get("publish_draft")?.create()).rejects.toMatchObject({
      code: "NRP_REQUEST_NOT_APPLICABLE",
    });
  });
});

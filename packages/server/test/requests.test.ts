import { describe, expect, test } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer } from "nrp-invenio-devserver";
import { call, send, useServer } from "./helpers.js";
import { md5, uploadL } from "./files-helpers.js";

const PHYSICS = "3f1c0b6e-7a52-4d8e-9c41-0e6a2b7d5f01";

describe("requests on a curated model (datasets)", () => {
  const server = useServer();
  const owner = (): string => server().tokens.owner;
  const curator = (): string => server().tokens.curator;
  const depositor = (): string => server().tokens.depositor;
  const api = (): string => `${server().url}/api/datasets`;

  async function newDraft(title = "A dataset"): Promise<string> {
    const res = await send("POST", `${api()}/`, {
      token: owner(),
      body: {
        metadata: { title },
        files: { enabled: false },
        parent: { communities: { default: "physics" } },
      },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function create(path: string, type: string, body: unknown = {}, token = owner()) {
    return send("POST", `${api()}/${path}/requests/${type}`, { token, body });
  }

  async function act(id: string, action: string, token: string, body?: unknown) {
    return send("POST", `${server().url}/api/requests/${id}/actions/${action}`, {
      token,
      ...(body === undefined ? {} : { body }),
    });
  }

  async function applicable(path: string, token = owner()): Promise<string[]> {
    const res = await call(`${api()}/${path}/requests/applicable`, { token });
    expect(res.status).toBe(200);
    return (res.body.hits.hits as { type_id: string }[]).map((h) => h.type_id);
  }

  /** Publishes a new draft through create → submit → accept and returns its id. */
  async function published(title = "Published"): Promise<string> {
    const id = await newDraft(title);
    const req = await create(`${id}/draft`, "publish_draft");
    expect((await act(req.body.id, "submit", owner())).status).toBe(200);
    expect((await act(req.body.id, "accept", curator())).body.status).toBe("accepted");
    return id;
  }

  test("publish_draft: create, submit, the curator accepts, the record is public", async () => {
    const id = await newDraft();
    expect(await applicable(`${id}/draft`)).toEqual(["publish_draft"]);
    expect(await applicable(`${id}/draft`, curator())).toEqual([]);
    // Curated: the owner cannot publish directly.
    const direct = await send("POST", `${api()}/${id}/draft/actions/publish`, { token: owner() });
    expect(direct.status).toBe(403);

    const created = await create(`${id}/draft`, "publish_draft");
    expect(created.status).toBe(201);
    const req = created.body;
    const base = `${server().url}/api/requests/${req.id}`;
    expect(req).toMatchObject({
      type: "publish_draft",
      title: "",
      status: "created",
      is_open: true,
      is_closed: false,
      is_expired: false,
      expires_at: null,
      created_by: { user: expect.any(String) },
      receiver: { community_role: `${PHYSICS}:curator` },
      topic: { datasets: id },
      payload: {},
    });
    expect(req.number).toMatch(/^\d+$/);
    expect(req.links).toEqual({
      actions: { submit: `${base}/actions/submit`, cancel: `${base}/actions/cancel` },
      self: `${server().url}/api/requests/extended/${req.id}`,
      self_html: `${server().url}/requests/${req.id}`,
      comments: `${server().url}/api/requests/extended/${req.id}/comments`,
      timeline: `${server().url}/api/requests/extended/${req.id}/timeline`,
      topic: {
        self: `${api()}/${id}/draft`,
        self_html: `${server().url}/datasets/${id}/preview`,
      },
      created_by: {},
      receiver: {},
    });
    // A second one while this one is open.
    const again = await create(`${id}/draft`, "publish_draft");
    expect(again.status).toBe(400);
    expect(again.body.message).toBe(`There is already an open request of Publish draft on ${id}.`);
    expect(await applicable(`${id}/draft`)).toEqual([]);

    // The curator sees it, with nothing to do yet.
    const seen = await call(base, { token: curator() });
    expect(seen.status).toBe(200);
    expect(seen.body.links.actions).toEqual({});
    expect(seen.body.links.self).toBe(base);
    // Accepting a created request: the receiver may, but the transition is illegal (400); others
    // fail the permission first (403).
    const early = await act(req.id, "accept", curator());
    expect(early.status).toBe(400);
    expect(early.body.message).toBe("Error for action 'accept': Could not execute the action");
    expect((await act(req.id, "accept", owner())).status).toBe(403);
    expect((await act(req.id, "accept", depositor())).status).toBe(403);
    const unknown = await act(req.id, "foo", owner());
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe("Error for action 'foo': No such action available");

    const submitted = await act(req.id, "submit", owner(), {
      payload: { content: "Please publish.", format: "html" },
    });
    expect(submitted.status).toBe(200);
    expect(submitted.body.status).toBe("submitted");
    expect(Object.keys(submitted.body.links.actions)).toEqual(["cancel"]);
    const twice = await act(req.id, "submit", owner());
    expect(twice.status).toBe(400);
    expect(twice.body.message).toBe("Error for action 'submit': Could not execute the action");
    expect((await act(req.id, "accept", owner())).status).toBe(403);

    // The curator's queue.
    const queue = await call(`${server().url}/api/requests/?status=submitted&assigned=true`, {
      token: curator(),
    });
    expect(queue.status).toBe(200);
    const hit = (queue.body.hits.hits as { id: string }[]).find((h) => h.id === req.id);
    expect(hit).toBeDefined();
    expect(Object.keys((hit as unknown as { links: { actions: object } }).links.actions)).toEqual([
      "accept",
      "decline",
    ]);
    const ownersQueue = await call(`${server().url}/api/requests/?status=submitted&assigned=true`, {
      token: owner(),
    });
    expect(ownersQueue.body.hits.total).toBe(0);

    const accepted = await act(req.id, "accept", curator(), { payload: { content: "Fine." } });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: "accepted", is_open: false, is_closed: true });
    expect(accepted.body.links.actions).toEqual({});
    expect(accepted.body.payload).toEqual({
      "published_record:links:self": `${api()}/${id}`,
      "published_record:links:self_html": `${server().url}/datasets/${id}`,
    });
    expect(accepted.body.links.topic.self).toBe(`${api()}/${id}`);
    const record = await call(`${api()}/${id}`);
    expect(record.status).toBe(200);
    expect(record.body.is_published).toBe(true);

    // Timeline: submit comment, accept log, accept comment (IREQ: submit logs nothing).
    const timeline = await call(`${base}/timeline`, { token: owner() });
    expect(timeline.status).toBe(200);
    expect(timeline.body.hits.total).toBe(3);
    expect(
      (timeline.body.hits.hits as { type: string; payload: unknown }[]).map((e) => [
        e.type,
        e.payload,
      ]),
    ).toEqual([
      ["C", { content: "Please publish.", format: "html" }],
      ["L", { event: "accepted" }],
      ["C", { content: "Fine.", format: "html" }],
    ]);
    // The record's own request list.
    const list = await call(`${api()}/${id}/requests`, { token: owner() });
    expect(list.body.hits.total).toBe(1);
    expect(list.body.hits.hits[0].status).toBe("accepted");
  });

  test("decline, then publish_draft is applicable again", async () => {
    const id = await newDraft();
    const req = (await create(`${id}/draft`, "publish_draft")).body;
    await act(req.id, "submit", owner());
    expect((await act(req.id, "decline", owner())).status).toBe(403);
    const declined = await act(req.id, "decline", curator(), { payload: { content: "No title." } });
    expect(declined.status).toBe(200);
    expect(declined.body.status).toBe("declined");
    expect(declined.body.payload).toEqual({});
    expect(await applicable(`${id}/draft`)).toEqual(["publish_draft"]);
    const again = await create(`${id}/draft`, "publish_draft");
    expect(again.status).toBe(201);
    expect((await act(again.body.id, "submit", owner())).body.status).toBe("submitted");
    expect((await act(again.body.id, "accept", curator())).body.status).toBe("accepted");
  });

  test("cancel from created and from submitted; closed requests offer no actions", async () => {
    const id = await newDraft();
    const first = (await create(`${id}/draft`, "publish_draft")).body;
    expect((await act(first.id, "cancel", curator())).status).toBe(403);
    const cancelled = await act(first.id, "cancel", owner());
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe("cancelled");
    expect(cancelled.body.links.actions).toEqual({});
    const late = await act(first.id, "submit", owner());
    expect(late.status).toBe(400);
    expect(late.body.message).toBe("Error for action 'submit': Could not execute the action");

    const second = (await create(`${id}/draft`, "publish_draft")).body;
    await act(second.id, "submit", owner());
    const out = await act(second.id, "cancel", owner());
    expect(out.body.status).toBe("cancelled");
    const events = await call(`${server().url}/api/requests/${second.id}/timeline`, {
      token: owner(),
    });
    expect(events.body.hits.hits.map((e: { payload: unknown }) => e.payload)).toEqual([
      { event: "cancelled" },
    ]);
    // The draft is still a draft.
    expect((await call(`${api()}/${id}`)).status).toBe(404);
  });

  test("edit through edit_published_record, then publish_changed_metadata", async () => {
    const id = await published("Edit me");
    expect(await applicable(id)).toEqual([
      "edit_published_record",
      "new_version",
      "delete_published_record",
    ]);
    expect(await applicable(id, curator())).toEqual([]);
    const edit = (await create(id, "edit_published_record")).body;
    expect(edit.topic).toEqual({ datasets: id });
    await act(edit.id, "submit", owner());
    const accepted = await act(edit.id, "accept", curator());
    expect(accepted.body.payload).toEqual({
      "draft_record:links:self": `${api()}/${id}/draft`,
      "draft_record:links:self_html": `${server().url}/datasets/${id}/preview`,
    });
    const draft = await call(`${api()}/${id}/draft`, { token: owner() });
    expect(draft.status).toBe(200);
    await send("PUT", `${api()}/${id}/draft`, {
      token: owner(),
      body: { ...draft.body, metadata: { title: "Edited" } },
    });
    expect(await applicable(`${id}/draft`)).toEqual(["publish_changed_metadata"]);
    const pub = (await create(`${id}/draft`, "publish_changed_metadata")).body;
    await act(pub.id, "submit", owner());
    const done = await act(pub.id, "accept", curator());
    expect(done.body.payload["published_record:links:self"]).toBe(`${api()}/${id}`);
    expect((await call(`${api()}/${id}`)).body.metadata.title).toBe("Edited");
  });

  test("new_version creates the next version's draft; publish_new_version publishes it", async () => {
    const id = await published("Version 1");
    const bad = await create(id, "new_version", { payload: { keep_files: "maybe" } });
    expect(bad.status).toBe(400);
    expect(bad.body.request_payload_errors).toEqual([
      { field: "payload.keep_files", messages: ["Must be one of: yes, no."] },
    ]);
    const req = (await create(id, "new_version", { payload: { keep_files: "yes" } })).body;
    expect(req.payload).toEqual({ keep_files: "yes" });
    await act(req.id, "submit", owner());
    const accepted = await act(req.id, "accept", curator());
    const newId = accepted.body.payload["draft_record:id"] as string;
    expect(newId).not.toBe(id);
    expect(accepted.body.payload).toEqual({
      keep_files: "yes",
      "draft_record:id": newId,
      "draft_record:links:self": `${api()}/${newId}/draft`,
      "draft_record:links:self_html": `${server().url}/datasets/${newId}/preview`,
    });
    const draft = await call(`${api()}/${newId}/draft`, { token: owner() });
    expect(draft.body.versions.index).toBe(2);
    expect(await applicable(`${newId}/draft`)).toEqual(["publish_new_version"]);
    const pub = (await create(`${newId}/draft`, "publish_new_version")).body;
    await act(pub.id, "submit", owner());
    expect((await act(pub.id, "accept", curator())).body.status).toBe("accepted");
    expect((await call(`${api()}/${newId}`)).status).toBe(200);
  });

  test("new_version without keep_files: no files until files-import copies the previous version's", async () => {
    // The recorded oarepo exchange (test/fixtures/oarepo-nrp: request-create-new-version …
    // new-version-import-files, request-submit-publish-new-version).
    const created = await send("POST", `${api()}/`, {
      token: owner(),
      body: { metadata: { title: "With a file" }, parent: { communities: { default: "physics" } } },
    });
    const id = created.body.id as string;
    const content = Buffer.from("hello world");
    await uploadL(server(), `${api()}/${id}/draft/files`, "data.txt", content, { d: "a file" });
    const pub = (await create(`${id}/draft`, "publish_draft")).body;
    await act(pub.id, "submit", owner());
    expect((await act(pub.id, "accept", curator())).body.status).toBe("accepted");

    const req = (await create(id, "new_version")).body;
    await act(req.id, "submit", owner());
    const accepted = await act(req.id, "accept", curator());
    const newId = accepted.body.payload["draft_record:id"] as string;
    const draft = `${api()}/${newId}/draft`;
    const empty = await call(`${draft}/files`, { token: owner() });
    expect(empty.body).toMatchObject({ enabled: true, entries: [] });
    const refused = await create(`${newId}/draft`, "publish_new_version");
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0]).toMatchObject({ field: "files.enabled" });

    // Only the draft's owner imports.
    expect(
      (await send("POST", `${draft}/actions/files-import`, { token: depositor() })).status,
    ).toBe(403);
    const imported = await send("POST", `${draft}/actions/files-import`, { token: owner() });
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ enabled: true, links: { self: `${draft}/files` } });
    expect(imported.body.entries).toHaveLength(1);
    expect(imported.body.entries[0]).toMatchObject({
      key: "data.txt",
      status: "completed",
      checksum: md5(content),
      size: content.length,
      metadata: { d: "a file" },
      links: { self: `${draft}/files/data.txt`, content: `${draft}/files/data.txt/content` },
    });
    expect((await call(`${draft}/files/data.txt/content`, { token: owner() })).text).toBe(
      "hello world",
    );
    const publish = (await create(`${newId}/draft`, "publish_new_version")).body;
    await act(publish.id, "submit", owner());
    expect((await act(publish.id, "accept", curator())).body.status).toBe("accepted");
    const files = await call(`${api()}/${newId}/files`);
    expect(files.body.entries.map((e: { key: string }) => e.key)).toEqual(["data.txt"]);
  });

  test("delete_published_record needs removal_reason; accepted, the record answers 410", async () => {
    const id = await published("Delete me");
    const missing = await create(id, "delete_published_record");
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      status: 400,
      message: "Action could not be performed due to validation request fields validation errors.",
      request_payload_errors: [
        { field: "payload.removal_reason", messages: ["Missing data for required field."] },
      ],
    });
    const req = await create(id, "delete_published_record", {
      payload: { removal_reason: "Duplicate", note: "see the other one" },
    });
    expect(req.status).toBe(201);
    expect(req.body.payload).toEqual({ removal_reason: "Duplicate", note: "see the other one" });
    await act(req.body.id, "submit", owner());
    expect((await act(req.body.id, "accept", curator())).body.status).toBe("accepted");
    const gone = await call(`${api()}/${id}`);
    expect(gone.status).toBe(410);
    expect(gone.body).toEqual({ status: 410, message: "The record has been deleted." });
    const search = await call(`${api()}/?q=id:${id}`);
    expect(search.body.hits.total).toBe(0);
  });

  test("create errors: unknown type, wrong state, not the owner", async () => {
    const id = await newDraft();
    const unknown = await create(`${id}/draft`, "nonsense");
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe("Unknown request type nonsense.");
    expect((await create(`${id}/draft`, "edit_published_record")).status).toBe(403);
    expect((await create(`${id}/draft`, "publish_draft", {}, curator())).status).toBe(403);
    const extra = await create(`${id}/draft`, "publish_draft", { payload: { x: "1" } });
    expect(extra.body.request_payload_errors).toEqual([
      { field: "payload.x", messages: ["Unknown field."] },
    ]);
    // validate_topic: a draft that fails strict validation.
    const invalid = await send("POST", `${api()}/`, {
      token: owner(),
      body: {
        metadata: {},
        files: { enabled: false },
        parent: { communities: { default: "physics" } },
      },
    });
    const strict = await create(`${invalid.body.id}/draft`, "publish_draft");
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe("A validation error occurred.");
  });

  test("payload update while created, comments, search filters", async () => {
    const id = await newDraft();
    const req = (await create(`${id}/draft`, "publish_draft")).body;
    const url = `${server().url}/api/requests/${req.id}`;
    const put = await send("PUT", url, { token: owner(), body: { payload: { version: "1.0" } } });
    expect(put.status).toBe(200);
    expect(put.body.payload).toEqual({ version: "1.0" });
    const extended = await call(`${server().url}/api/requests/extended/${req.id}`, {
      token: owner(),
    });
    expect(extended.body.payload).toEqual({ version: "1.0" });
    const comment = await send("POST", `${url}/comments`, {
      token: curator(),
      body: { payload: { content: "Hello", format: "html" } },
    });
    expect(comment.status).toBe(201);
    // An event carries its revision as ETag, as the recorded oarepo answered (`request-comment`).
    expect(comment.headers.get("etag")).toBe('"1"');
    expect(comment.body).toMatchObject({
      type: "C",
      payload: { content: "Hello", format: "html" },
    });
    const comments = await call(`${url}/comments`, { token: owner() });
    expect(comments.body.hits.total).toBe(1);
    const commentUrl = comment.body.links.self as string;
    expect(commentUrl).toBe(`${url}/comments/${comment.body.id}`);
    // Its author and a superuser may change it; the others read that they may not.
    const permissions = async (token: string): Promise<unknown> =>
      (await call(commentUrl, { token })).body.permissions;
    expect(await permissions(owner())).toEqual({
      can_update_comment: false,
      can_delete_comment: false,
    });
    expect(await permissions(server().tokens.admin)).toEqual({
      can_update_comment: true,
      can_delete_comment: true,
    });
    const edited = await send("PUT", commentUrl, {
      token: curator(),
      body: { payload: { content: "Hello again" } },
    });
    expect(edited.status).toBe(200);
    expect(edited.headers.get("etag")).toBe('"2"');
    expect(edited.body.payload.content).toBe("Hello again");
    expect(
      (await send("PUT", commentUrl, { token: owner(), body: { payload: { content: "x" } } }))
        .status,
    ).toBe(403);
    expect((await send("DELETE", commentUrl, { token: curator() })).status).toBe(204);
    const afterDelete = await call(`${url}/timeline`, { token: owner() });
    expect(
      afterDelete.body.hits.hits.map((e: { type: string; payload: { event?: string } }) => [
        e.type,
        e.payload.event,
      ]),
    ).toEqual([["L", "comment_deleted"]]);
    expect((await send("POST", `${url}/comments`, { token: owner(), body: {} })).status).toBe(400);
    expect((await call(`${url}/comments`, { token: owner() })).body.hits.total).toBe(0);

    await act(req.id, "submit", owner());
    expect((await send("PUT", url, { token: owner(), body: { payload: {} } })).status).toBe(403);

    const search = async (query: string, token = owner()) =>
      call(`${server().url}/api/requests/?${query}`, { token });
    const ids = (res: { body: { hits: { hits: { id: string }[] } } }): string[] =>
      res.body.hits.hits.map((h) => h.id);
    expect(ids(await search(`topic=datasets:${id}`))).toEqual([req.id]);
    expect(ids(await search(`mine=true&type=publish_draft&is_open=true`))).toContain(req.id);
    expect(ids(await search(`is_open=false&topic=datasets:${id}`))).toEqual([]);
    expect(ids(await search(`receiver=community:${PHYSICS}&topic=datasets:${id}`))).toEqual([
      req.id,
    ]);
    expect(
      ids(await search(`created_by=user:${req.created_by.user}&topic=datasets:${id}`)),
    ).toEqual([req.id]);
    expect(ids(await search(`topic=datasets:${id}`, depositor()))).toEqual([]);
    const bad = await search("topic=nonsense");
    expect(bad.status).toBe(400);
    expect((await call(`${server().url}/api/requests/`)).status).toBe(403);
    expect(
      (await call(`${server().url}/api/requests/${req.id}`, { token: depositor() })).status,
    ).toBe(403);
    expect((await call(`${server().url}/api/requests/not-a-uuid`, { token: owner() })).status).toBe(
      404,
    );
  });
});

describe("auto-accepted request types", () => {
  const server = useServer({
    config: {
      models: {
        documents: {
          features: ["requests", "drafts", "files"],
          publishing: "curated",
          requests: { autoAccept: ["edit_published_record", "new_version"] },
        },
      },
    },
  });
  const api = (): string => `${server().url}/api/documents`;

  test("edit_published_record and new_version are accepted on submit", async () => {
    const token = server().tokens.owner;
    const draft = await send("POST", `${api()}/`, {
      token,
      body: { metadata: { title: "Doc" }, files: { enabled: false } },
    });
    const id = draft.body.id as string;
    const pub = await send("POST", `${api()}/${id}/draft/requests/publish_draft`, {
      token,
      body: {},
    });
    // No community: the administrator receives it.
    expect(pub.body.receiver).toEqual({ user: expect.any(String) });
    await send("POST", `${server().url}/api/requests/${pub.body.id}/actions/submit`, { token });
    const accepted = await send(
      "POST",
      `${server().url}/api/requests/${pub.body.id}/actions/accept`,
      { token: server().tokens.admin },
    );
    expect(accepted.body.status).toBe("accepted");

    const edit = await send("POST", `${api()}/${id}/requests/edit_published_record`, {
      token,
      body: {},
    });
    expect(edit.body.receiver).toEqual({ auto_approve: "true" });
    const submitted = await send(
      "POST",
      `${server().url}/api/requests/${edit.body.id}/actions/submit`,
      { token },
    );
    expect(submitted.status).toBe(200);
    expect(submitted.body.status).toBe("accepted");
    expect(submitted.body.payload["draft_record:links:self"]).toBe(`${api()}/${id}/draft`);
    expect((await call(`${api()}/${id}/draft`, { token })).status).toBe(200);

    // oarepo's IfNoEditDraft: no new version (nor another edit) while the edit draft is open;
    // oarepo 12/13 crashes with a 500 on such a new_version (fixture
    // request-create-new-version-with-edit-draft-500).
    const early = await send("POST", `${api()}/${id}/requests/new_version`, { token, body: {} });
    expect(early.status).toBe(403);
    const applicable = await call(`${api()}/${id}/requests/applicable`, { token });
    const types = (applicable.body.hits.hits as { type_id: string }[]).map((h) => h.type_id);
    expect(types).not.toContain("new_version");
    expect(types).not.toContain("edit_published_record");
    expect((await send("DELETE", `${api()}/${id}/draft`, { token })).status).toBe(204);

    const nv = await send("POST", `${api()}/${id}/requests/new_version`, { token, body: {} });
    const nvDone = await send("POST", `${server().url}/api/requests/${nv.body.id}/actions/submit`, {
      token,
    });
    expect(nvDone.body.status).toBe("accepted");
    expect(nvDone.body.payload["draft_record:id"]).toEqual(expect.any(String));
  });
});

describe("request deletion, expand and workflow config", () => {
  const server = useServer();

  test("DELETE removes a created request; a submitted one cannot be deleted", async () => {
    const token = server().tokens.owner;
    const api = `${server().url}/api/datasets`;
    const draft = await send("POST", `${api}/`, {
      token,
      body: {
        metadata: { title: "x" },
        files: { enabled: false },
        parent: { communities: { default: "physics" } },
      },
    });
    const id = draft.body.id as string;
    const expanded = await call(`${api}/${id}/draft?expand=true`, { token });
    expect(expanded.body.expanded.request_types.map((t: { type_id: string }) => t.type_id)).toEqual(
      ["publish_draft"],
    );
    const req = await send("POST", `${api}/${id}/draft/requests/publish_draft`, {
      token,
      body: {},
    });
    const url = `${server().url}/api/requests/${req.body.id}`;
    expect((await send("DELETE", url, { token: server().tokens.curator })).status).toBe(403);
    expect((await send("DELETE", url, { token })).status).toBe(204);
    expect((await call(url, { token })).status).toBe(404);
    const again = await send("POST", `${api}/${id}/draft/requests/publish_draft`, {
      token,
      body: {},
    });
    await send("POST", `${server().url}/api/requests/${again.body.id}/actions/submit`, { token });
    const refused = await send("DELETE", `${server().url}/api/requests/${again.body.id}`, {
      token,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe("Error for action 'delete': Could not execute the action");
  });

  test("a workflow naming an unknown type or auto-accepting a type it lacks is refused", async () => {
    await expect(
      startDevServer({
        config: { models: { m: { features: ["requests", "drafts"], requests: { types: ["x"] } } } },
      } as never),
    ).rejects.toThrow(/m\.requests\.types\[0\]/);
    await expect(
      startDevServer({
        config: {
          models: {
            m: {
              features: ["requests", "drafts"],
              requests: { types: ["publish_draft"], autoAccept: ["new_version"] },
            },
          },
        },
      }),
    ).rejects.toThrow(/autoAccept/);
    await expect(
      startDevServer({ config: { models: { m: { requests: { autoAccept: [] } } } } }),
    ).rejects.toThrow(/needs the 'requests' feature/);
  });
});

describe("requests persistence", () => {
  test("requests, their comments and removed records survive a restart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "devserver-requests-"));
    try {
      const first = await startDevServer({ dataDir: dir });
      const token = first.tokens.owner;
      const api = `${first.url}/api/datasets`;
      const draft = await send("POST", `${api}/`, {
        token,
        body: {
          metadata: { title: "kept" },
          files: { enabled: false },
          parent: { communities: { default: "physics" } },
        },
      });
      const id = draft.body.id as string;
      const req = await send("POST", `${api}/${id}/draft/requests/publish_draft`, {
        token,
        body: {},
      });
      await send("POST", `${first.url}/api/requests/${req.body.id}/actions/submit`, {
        token,
        body: { payload: { content: "please" } },
      });
      await first.close();

      const second = await startDevServer({ dataDir: dir });
      try {
        const url = `${second.url}/api/requests/${req.body.id}`;
        const again = await call(url, { token: second.tokens.curator });
        expect(again.body).toMatchObject({ status: "submitted", number: req.body.number });
        const timeline = await call(`${url}/timeline`, { token: second.tokens.owner });
        expect(timeline.body.hits.hits[0].payload.content).toBe("please");
        const other = await send("POST", `${second.apiUrl}/datasets/`, {
          token: second.tokens.owner,
          body: {
            metadata: { title: "second" },
            files: { enabled: false },
            parent: { communities: { default: "physics" } },
          },
        });
        const next = await send(
          "POST",
          `${second.apiUrl}/datasets/${other.body.id}/draft/requests/publish_draft`,
          { token: second.tokens.owner, body: {} },
        );
        // Numbering continues after a restart.
        expect(next.body.number).toBe(String(Number(req.body.number) + 1));
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

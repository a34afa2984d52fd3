import { describe, expect, test } from "vitest";
import { call, send, useServer } from "./helpers.js";

const PHYSICS = "3f1c0b6e-7a52-4d8e-9c41-0e6a2b7d5f01";
const BIOLOGY = "8b2d4e9a-1c37-4f60-a5b8-2d9e7c4f1a02";

describe("permissions", () => {
  const server = useServer({
    config: {
      users: [{ username: "bio", roles: [] }],
      communities: [
        { slug: "physics", id: PHYSICS, title: "Physics", curators: ["curator"] },
        { slug: "biology", id: BIOLOGY, title: "Biology", curators: ["bio"] },
      ],
    },
  });
  const tokens = () => server().tokens;
  const bio = (): string => server().users.find((u) => u.username === "bio")?.token ?? "";

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary JSON payloads
  async function dataset(community = "physics"): Promise<any> {
    const res = await send("POST", `${server().url}/api/datasets/`, {
      token: tokens().owner,
      body: {
        metadata: { title: "Dataset" },
        parent: { communities: { default: community } },
        files: { enabled: false },
      },
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  test("anonymous callers cannot create drafts", async () => {
    const res = await send("POST", `${server().url}/api/documents/`, {
      body: { metadata: { title: "x" } },
    });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ status: 403, message: "Permission denied." });
  });

  test("a draft: owner and its community's curator read it; others and anonymous get 403", async () => {
    const draft = await dataset();
    const self: string = draft.links.self;
    expect((await call(self, { token: tokens().owner })).status).toBe(200);
    expect((await call(self, { token: tokens().curator })).status).toBe(200);
    expect((await call(self, { token: tokens().admin })).status).toBe(200);
    for (const token of [tokens().depositor, bio(), undefined]) {
      const res = await call(self, token === undefined ? {} : { token });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ status: 403, message: "Permission denied." });
    }
    const bioDraft = await dataset("biology");
    expect((await call(bioDraft.links.self, { token: bio() })).status).toBe(200);
    expect((await call(bioDraft.links.self, { token: tokens().curator })).status).toBe(403);
  });

  test("only the owner updates and deletes a draft; a curator may read but not write", async () => {
    const draft = await dataset();
    for (const token of [tokens().depositor, tokens().curator]) {
      const put = await send("PUT", draft.links.self, {
        token,
        body: { metadata: { title: "hijack" } },
      });
      expect(put.status).toBe(403);
      expect((await send("DELETE", draft.links.self, { token })).status).toBe(403);
    }
    expect((await send("DELETE", draft.links.self)).status).toBe(403);
    const own = await send("PUT", draft.links.self, {
      token: tokens().owner,
      body: { metadata: { title: "mine" }, files: { enabled: false } },
    });
    expect(own.status).toBe(200);
  });

  test("a curator reading a draft gets no edit or publish links", async () => {
    const draft = await dataset();
    const res = await call(draft.links.self, { token: tokens().curator });
    expect(res.body.links.edit_html).toBeUndefined();
    expect(res.body.links.publish).toBeUndefined();
  });

  test("a curated model has no publish link, and a direct publish is 403 even for the owner", async () => {
    const draft = await dataset();
    expect(draft.links.publish).toBeUndefined();
    expect(draft.links["applicable-requests"]).toBe(`${draft.links.self}/requests/applicable`);
    const res = await send("POST", `${draft.links.self}/actions/publish`, {
      token: tokens().owner,
    });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ status: 403, message: "Permission denied." });
  });

  test("a direct model's publish link is the owner's only", async () => {
    const res = await send("POST", `${server().url}/api/documents/`, {
      token: tokens().owner,
      body: { metadata: { title: "doc" }, files: { enabled: false } },
    });
    expect(res.body.links.publish).toBe(`${res.body.links.self}/actions/publish`);
    const publish: string = res.body.links.publish;
    const byOther = await send("POST", publish, { token: tokens().depositor });
    expect(byOther.status).toBe(403);
    const byAnonymous = await send("POST", publish);
    expect(byAnonymous.status).toBe(403);
    const published = await send("POST", publish, { token: tokens().owner });
    expect(published.status).toBe(202);
    // Published records are public; editing them is the owner's.
    expect((await call(published.body.links.self)).status).toBe(200);
    const edit = await send("POST", `${published.body.links.self}/draft`, {
      token: tokens().depositor,
    });
    expect(edit.status).toBe(403);
    const version = await send("POST", published.body.links.versions);
    expect(version.status).toBe(403);
  });

  test("a superuser may publish a curated draft", async () => {
    const draft = await dataset();
    const res = await send("POST", `${draft.links.self}/actions/publish`, {
      token: tokens().admin,
    });
    expect(res.status).toBe(202);
    expect(res.body.pids).toBeUndefined();
  });
});

describe("communities", () => {
  const server = useServer();
  const datasets = (): string => `${server().url}/api/datasets/`;

  test.each([
    ["slug", "physics"],
    ["UUID", "3f1c0b6e-7a52-4d8e-9c41-0e6a2b7d5f01"],
    ["{id}", { id: "physics" }],
  ])("the default community is accepted as a %s and stored as a UUID", async (_, value) => {
    const res = await send("POST", datasets(), {
      token: server().tokens.owner,
      body: { metadata: { title: "t" }, parent: { communities: { default: value } } },
    });
    expect(res.status).toBe(201);
    expect(res.body.parent).toEqual({
      id: res.body.parent.id,
      communities: { default: PHYSICS, ids: [PHYSICS] },
      workflow: "default",
    });
  });

  test("the seeded communities are physics and biology with fixed UUIDs", () => {
    expect(server().config.communities).toEqual([
      {
        id: PHYSICS,
        slug: "physics",
        title: "Physics",
        curators: ["curator"],
        roles: { curator: ["curator"] },
      },
      {
        id: BIOLOGY,
        slug: "biology",
        title: "Biology",
        curators: ["curator"],
        roles: { curator: ["curator"] },
      },
    ]);
  });

  test("a model that requires a community refuses a draft without one", async () => {
    const res = await send("POST", datasets(), {
      token: server().tokens.owner,
      body: { metadata: { title: "t" } },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      status: 400,
      message: "A validation error occurred.",
      errors: [{ field: "_schema", messages: ["Failed to get community from input data."] }],
    });
  });

  test("an unknown community is refused", async () => {
    const res = await send("POST", datasets(), {
      token: server().tokens.owner,
      body: { metadata: { title: "t" }, parent: { communities: { default: "chemistry" } } },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: "_schema", messages: ["Input community does not exist."] },
    ]);
  });

  test("a model without the requirement takes a community or none; a workflow is kept", async () => {
    const none = await send("POST", `${server().url}/api/documents/`, {
      token: server().tokens.owner,
      body: { metadata: { title: "t" } },
    });
    expect(none.body.parent.communities).toEqual({});
    const some = await send("POST", `${server().url}/api/documents/`, {
      token: server().tokens.owner,
      body: {
        metadata: { title: "t" },
        parent: { communities: { default: "biology" }, workflow: "fast" },
      },
    });
    expect(some.body.parent).toMatchObject({
      communities: { default: BIOLOGY, ids: [BIOLOGY] },
      workflow: "fast",
    });
  });

  test("a PUT does not move a draft to another community", async () => {
    const draft = await send("POST", datasets(), {
      token: server().tokens.owner,
      body: { metadata: { title: "t" }, parent: { communities: { default: "physics" } } },
    });
    const res = await send("PUT", draft.body.links.self, {
      token: server().tokens.owner,
      body: { metadata: { title: "t" }, parent: { communities: { default: "biology" } } },
    });
    expect(res.body.parent.communities.default).toBe(PHYSICS);
  });
});

describe("user drafts listing", () => {
  const server = useServer();

  test("/api/user/<model>/ lists the caller's drafts and records, newest first", async () => {
    const { url, tokens } = server();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary JSON payloads
    const mine = async (title: string): Promise<any> =>
      (
        await send("POST", `${url}/api/documents/`, {
          token: tokens.owner,
          body: { metadata: { title }, files: { enabled: false } },
        })
      ).body;
    const a = await mine("alpha");
    const b = await mine("beta");
    await send("POST", b.links.publish, { token: tokens.owner });
    await send("POST", `${url}/api/documents/`, {
      token: tokens.depositor,
      body: { metadata: { title: "not mine" } },
    });

    const res = await call(`${url}/api/user/documents/`, { token: tokens.owner });
    expect(res.status).toBe(200);
    expect(res.body.hits.total).toBe(2);
    expect(res.body.hits.hits.map((h: { id: string }) => h.id)).toEqual([b.id, a.id]);
    expect(res.body.hits.hits[1].is_draft).toBe(true);
    expect(Object.keys(res.body.hits.hits[1].links).sort()).toEqual(["self", "self_html"]);

    const drafts = await call(`${url}/api/user/documents/?is_published=false`, {
      token: tokens.owner,
    });
    expect(drafts.body.hits.hits.map((h: { id: string }) => h.id)).toEqual([a.id]);
    const byTitle = await call(`${url}/api/user/documents/?q=alpha`, { token: tokens.owner });
    expect(byTitle.body.hits.total).toBe(1);
    const paged = await call(`${url}/api/user/documents/?size=1&page=2`, { token: tokens.owner });
    expect(paged.body.hits.hits.map((h: { id: string }) => h.id)).toEqual([a.id]);
    expect(new URL(paged.body.links.prev).searchParams.get("page")).toBe("1");
    const everything = await call(`${url}/api/user/search/`, { token: tokens.owner });
    expect(everything.body.hits.total).toBe(2);

    const published = await call(`${url}/api/documents/`);
    expect(published.body.hits.hits.map((h: { id: string }) => h.id)).toEqual([b.id]);
    expect((await call(`${url}/api/user/documents/`)).status).toBe(403);
  });
});

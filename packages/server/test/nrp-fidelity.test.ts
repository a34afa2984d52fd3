// The nrp flavour where a real oarepo (NRP) repository's answers are known from its sources and
// the recorded exchanges (docs/protocol-notes.md, "NRP"): boolean query arguments, `?expand`,
// file items, vocabularies, community roles and RDM's review beside oarepo's requests.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { startDevServer } from "nrp-invenio-devserver";
import { readUserToken } from "../src/token-command.js";
import { call, send, useServer } from "./helpers.js";

describe("query arguments and expansion", () => {
  const server = useServer();
  const api = (): string => `${server().url}/api/datasets`;

  async function draftWithRequest(): Promise<{ id: string; request: string }> {
    const token = server().tokens.owner;
    const draft = await send("POST", `${api()}/`, {
      token,
      body: {
        metadata: { title: "Expanded" },
        files: { enabled: false },
        parent: { communities: { default: "physics" } },
      },
    });
    expect(draft.status).toBe(201);
    const id = draft.body.id as string;
    const req = await send("POST", `${api()}/${id}/draft/requests/publish_draft`, {
      token,
      body: {},
    });
    expect(req.status).toBe(201);
    return { id, request: req.body.id as string };
  }

  test("expand takes every spelling of marshmallow's Boolean; anything else is a 400", async () => {
    const token = server().tokens.owner;
    const { id } = await draftWithRequest();
    for (const value of ["1", "true", "True", "TRUE", "yes", "on", "t", "y", "Y"]) {
      const res = await call(`${api()}/${id}/draft?expand=${value}`, { token });
      expect(res.status, value).toBe(200);
      expect(res.body.expanded, value).toBeDefined();
    }
    for (const value of ["0", "false", "False", "no", "off", "f", "n"]) {
      const res = await call(`${api()}/${id}/draft?expand=${value}`, { token });
      expect(res.status, value).toBe(200);
      expect(res.body.expanded, value).toBeUndefined();
    }
    const bad = await call(`${api()}/${id}/draft?expand=maybe`, { token });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      status: 400,
      message: "A validation error occurred.",
      errors: [{ field: "expand", messages: ["Not a valid boolean."] }],
    });
  });

  test("the requests search reads is_open and mine the same way", async () => {
    const token = server().tokens.owner;
    const { request } = await draftWithRequest();
    const ids = async (query: string): Promise<string[]> => {
      const res = await call(`${server().url}/api/requests/?${query}`, { token });
      expect(res.status, query).toBe(200);
      return (res.body.hits.hits as { id: string }[]).map((h) => h.id);
    };
    // A created request is open on oarepo (is_open true, is_closed false).
    expect(await ids("is_open=1&mine=yes")).toContain(request);
    expect(await ids("is_open=On&mine=Y")).toContain(request);
    expect(await ids("is_open=0")).not.toContain(request);
    expect(await ids("is_closed=yes")).not.toContain(request);
    expect(await ids("is_closed=off")).toContain(request);
    const bad = await call(`${server().url}/api/requests/?mine=sure`, { token });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: "mine", messages: ["Not a valid boolean."] }]);
  });

  test("expand embeds the record's requests beside the applicable request types", async () => {
    const token = server().tokens.owner;
    const { id, request } = await draftWithRequest();
    const expanded = await call(`${api()}/${id}/draft?expand=1`, { token });
    const listed = await call(`${api()}/${id}/draft/requests`, { token });
    expect(expanded.body.expanded.requests).toEqual(listed.body.hits.hits);
    expect(
      (expanded.body.expanded.requests as { id: string; type: string }[]).map((r) => [
        r.id,
        r.type,
      ]),
    ).toEqual([[request, "publish_draft"]]);
    expect(Array.isArray(expanded.body.expanded.request_types)).toBe(true);
    // Another user may not read the draft at all.
    const otherView = await call(`${api()}/${id}/draft?expand=true`, {
      token: server().tokens.depositor,
    });
    expect(otherView.status).toBe(403);
  });

  test("a published record expands its requests too", async () => {
    const { owner, curator } = server().tokens;
    const { id, request } = await draftWithRequest();
    const url = `${server().url}/api/requests/${request}/actions`;
    expect((await send("POST", `${url}/submit`, { token: owner, body: {} })).status).toBe(200);
    expect((await send("POST", `${url}/accept`, { token: curator, body: {} })).status).toBe(200);
    const record = await call(`${api()}/${id}?expand=true`, { token: owner });
    const listed = await call(`${api()}/${id}/requests`, { token: owner });
    expect(record.body.expanded.requests).toEqual(listed.body.hits.hits);
    expect((record.body.expanded.requests as { status: string }[])[0]?.status).toBe("accepted");
    const anonymous = await call(`${api()}/${id}?expand=true`);
    expect(anonymous.body.expanded.requests).toEqual([]);
  });
});

describe("file items", () => {
  const server = useServer();

  test("every dump of a file item carries access.hidden false and its preview link", async () => {
    const token = server().tokens.owner;
    const draft = await send("POST", `${server().url}/api/documents/`, {
      token,
      body: { metadata: { title: "Files" } },
    });
    const id = draft.body.id as string;
    const files = `${server().url}/api/documents/${id}/draft/files`;
    const preview = `${server().url}/documents/${id}/preview/files/a.txt/preview`;
    const init = await send("POST", files, { token, body: [{ key: "a.txt" }] });
    expect(init.status).toBe(201);
    expect(init.body.entries[0].access).toEqual({ hidden: false });
    expect(init.body.entries[0].links.preview).toBe(preview);
    const put = await call(`${files}/a.txt/content`, {
      method: "PUT",
      token,
      headers: { "Content-Type": "application/octet-stream" },
      body: "hello",
    });
    expect(put.body.access).toEqual({ hidden: false });
    const commit = await send("POST", `${files}/a.txt/commit`, { token });
    expect(commit.body.access).toEqual({ hidden: false });
    const update = await send("PUT", `${files}/a.txt`, {
      token,
      body: { metadata: { description: "x" } },
    });
    expect(update.status).toBe(200);
    expect(update.body.access).toEqual({ hidden: false });
    const list = await call(files, { token });
    expect(list.body.entries[0].access).toEqual({ hidden: false });
    expect((await call(`${files}/a.txt`, { token })).body.access).toEqual({ hidden: false });
  });
});

describe("community roles receive requests", () => {
  const server = useServer({
    config: {
      models: {
        theses: {
          features: ["requests", "drafts", "files"],
          requireCommunity: true,
          publishing: "curated",
          requests: {
            types: ["publish_draft", "delete_published_record"],
            receivers: { publish_draft: "reviewer", delete_published_record: "owner" },
          },
        },
      },
      users: [{ username: "rita" }, { username: "otto" }],
      communities: [
        {
          slug: "faculty",
          id: "6f2b8d1e-3c4a-4e5f-9a7b-1c2d3e4f5a60",
          roles: { reviewer: ["rita"], owner: ["otto"] },
        },
      ],
    },
  });

  test("the workflow's role is the receiver and only its members accept", async () => {
    const tokens = new Map(server().users.map((u) => [u.username, u.token]));
    const tokenOf = (name: string): string => tokens.get(name) ?? "";
    const owner = server().tokens.owner;
    const api = `${server().url}/api/theses`;
    const draft = await send("POST", `${api}/`, {
      token: owner,
      body: {
        metadata: { title: "A thesis" },
        files: { enabled: false },
        parent: { communities: { default: "faculty" } },
      },
    });
    expect(draft.status).toBe(201);
    const id = draft.body.id as string;
    const req = await send("POST", `${api}/${id}/draft/requests/publish_draft`, {
      token: owner,
      body: {},
    });
    expect(req.body.receiver).toEqual({
      community_role: "6f2b8d1e-3c4a-4e5f-9a7b-1c2d3e4f5a60:reviewer",
    });
    const actions = `${server().url}/api/requests/${req.body.id}/actions`;
    expect((await send("POST", `${actions}/submit`, { token: owner, body: {} })).status).toBe(200);
    // otto owns the community but does not have the workflow's role, nor does the curator.
    for (const who of [tokenOf("otto"), server().tokens.curator]) {
      expect((await send("POST", `${actions}/accept`, { token: who, body: {} })).status).toBe(403);
    }
    const accepted = await send("POST", `${actions}/accept`, {
      token: tokenOf("rita"),
      body: {},
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe("accepted");

    const del = await send("POST", `${api}/${id}/requests/delete_published_record`, {
      token: owner,
      body: { payload: { removal_reason: "spam" } },
    });
    expect(del.status).toBe(201);
    expect(del.body.receiver).toEqual({
      community_role: "6f2b8d1e-3c4a-4e5f-9a7b-1c2d3e4f5a60:owner",
    });
  });

  test("a workflow's receiver must name one of its types and a role name", async () => {
    await expect(
      startDevServer({
        config: {
          models: {
            m: {
              features: ["requests", "drafts"],
              requests: { types: ["publish_draft"], receivers: { new_version: "curator" } },
            },
          },
        },
      }),
    ).rejects.toThrow(/m\.requests\.receivers\.new_version: 'new_version' is not one/);
    await expect(
      startDevServer({
        config: { communities: [{ slug: "x", roles: { curator: "alice" } }] },
      } as never),
    ).rejects.toThrow(/communities\[0\]\.roles\.curator: must be a list of usernames/);
  });
});

describe("vocabularies", () => {
  const server = useServer();

  test("the default ones are listed in discovery as an NRP repository lists them", async () => {
    const models = await call(`${server().url}/.well-known/repository/models`);
    const vocabularies = (models.body as { type: string; features: string[] }[])
      .filter((m) => m.features.includes("vocabulary"))
      .map((m) => m.type);
    expect(vocabularies).toEqual([
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
    const byType = new Map(
      (models.body as { type: string; links: Record<string, string> }[]).map((m) => [m.type, m]),
    );
    expect(byType.get("funders")?.links).toEqual({ records: `${server().url}/api/funders` });
    expect(byType.get("languages")?.links).toEqual({
      records: `${server().url}/api/vocabularies/languages`,
      deposit: `${server().url}/api/vocabularies/languages`,
    });
  });

  test("every listed vocabulary is served: search and get", async () => {
    const models = await call(`${server().url}/.well-known/repository/models`);
    for (const m of models.body as {
      type: string;
      features: string[];
      links: { records: string };
    }[]) {
      if (!m.features.includes("vocabulary")) continue;
      const search = await call(m.links.records);
      expect(search.status, m.type).toBe(200);
      expect(search.body.hits.total, m.type).toBeGreaterThan(0);
      const [first] = search.body.hits.hits as { id: string; links: { self: string } }[];
      const one = await call(first?.links.self ?? "");
      expect(one.status, m.type).toBe(200);
      expect(one.body.id).toBe(first?.id);
    }
    const czech = await call(`${server().url}/api/vocabularies/languages?q=czech`);
    expect(czech.body.hits.hits.map((h: { id: string }) => h.id)).toEqual(["ces"]);
    expect(czech.body.hits.hits[0]).toMatchObject({
      id: "ces",
      type: "languages",
      title: { en: "Czech" },
      links: { self: `${server().url}/api/vocabularies/languages/ces` },
    });
    const suggest = await call(`${server().url}/api/affiliations?suggest=charl`);
    expect(suggest.body.hits.hits.map((h: { acronym: string }) => h.acronym)).toEqual(["CUNI"]);
    expect((await call(`${server().url}/api/funders/nosuch`)).status).toBe(404);
  });
});

describe("vocabularies from the config", () => {
  const server = useServer({
    config: {
      vocabularies: {
        instruments: {
          name: "Instruments",
          entries: [
            { id: "nmr-600", title: { en: "NMR spectrometer 600 MHz" } },
            { id: "xrd", title: { en: "X-ray diffractometer" } },
          ],
        },
        funders: { entries: [{ id: "ga", name: "Grant agency" }] },
      },
    },
  });

  test("replace the defaults: listed, searched and read", async () => {
    const models = await call(`${server().url}/.well-known/repository/models`);
    expect(
      (models.body as { type: string; features: string[] }[])
        .filter((m) => m.features.includes("vocabulary"))
        .map((m) => m.type),
    ).toEqual(["funders", "funders-vocab", "instruments"]);
    const found = await call(`${server().url}/api/vocabularies/instruments/?q=x-ray`);
    expect(found.body.hits.hits.map((h: { id: string }) => h.id)).toEqual(["xrd"]);
    const one = await call(`${server().url}/api/vocabularies/funders-vocab/ga`);
    expect(one.body).toMatchObject({ id: "ga", name: "Grant agency" });
    expect((await call(`${server().url}/api/vocabularies/languages`)).status).toBe(404);
  });

  test("an entry without an id is refused", async () => {
    await expect(
      startDevServer({ config: { vocabularies: { x: { entries: [{ title: "no id" }] } } } }),
    ).rejects.toThrow(/vocabularies\.x\.entries\[0\]: must be a mapping with a string id/);
  });
});

describe("InvenioRDM's review in the nrp flavour", () => {
  const PHYSICS = "3f1c0b6e-7a52-4d8e-9c41-0e6a2b7d5f01";
  const server = useServer({
    config: {
      models: {
        articles: {
          features: ["requests", "drafts", "files"],
          publishing: "curated",
          review: true,
        },
        notes: { features: ["requests", "drafts", "files"], publishing: "curated" },
      },
    },
  });

  test("a draft without a community joins one through review and submit-review", async () => {
    const { owner, curator } = server().tokens;
    const api = `${server().url}/api/articles`;
    const draft = await send("POST", `${api}/`, {
      token: owner,
      body: { metadata: { title: "Reviewed" }, files: { enabled: false } },
    });
    expect(draft.status).toBe(201);
    const id = draft.body.id as string;
    expect(draft.body.links.review).toBe(`${api}/${id}/draft/review`);
    expect(draft.body.links["submit-review"]).toBeUndefined();

    const review = await send("PUT", `${api}/${id}/draft/review`, {
      token: owner,
      body: { type: "community-submission", receiver: { community: PHYSICS } },
    });
    expect(review.status).toBe(200);
    expect(review.body).toMatchObject({
      type: "community-submission",
      status: "created",
      receiver: { community: PHYSICS },
      topic: { articles: id },
    });
    const withReview = await call(`${api}/${id}/draft`, { token: owner });
    expect(withReview.body.links["submit-review"]).toBe(`${api}/${id}/draft/actions/submit-review`);
    const submitted = await send("POST", `${api}/${id}/draft/actions/submit-review`, {
      token: owner,
      body: { payload: { content: "Please include it.", format: "html" } },
    });
    expect(submitted.status).toBe(202);
    expect(submitted.body.status).toBe("submitted");
    // The community's curator reads the draft and accepts; the record is published into it.
    expect((await call(`${api}/${id}/draft`, { token: curator })).status).toBe(200);
    const accepted = await send(
      "POST",
      `${server().url}/api/requests/${submitted.body.id as string}/actions/accept`,
      { token: curator, body: {} },
    );
    expect(accepted.status).toBe(200);
    const record = await call(`${api}/${id}`);
    expect(record.status).toBe(200);
    expect(record.body.parent.communities.default).toBe(PHYSICS);
  });

  test("a model without review keeps oarepo's requests only", async () => {
    const { owner } = server().tokens;
    const api = `${server().url}/api/notes`;
    const draft = await send("POST", `${api}/`, {
      token: owner,
      body: { metadata: { title: "Not reviewed" }, files: { enabled: false } },
    });
    expect(draft.body.links.review).toBeUndefined();
    const put = await send("PUT", `${api}/${draft.body.id as string}/draft/review`, {
      token: owner,
      body: { type: "community-submission", receiver: { community: PHYSICS } },
    });
    expect(put.status).toBe(404);
  });
});

describe("fixed tokens", () => {
  test("a fixed token replaces the one generated before it, in a data directory too", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nrp-fixed-token-"));
    try {
      const first = await startDevServer({
        dataDir: dir,
        config: { users: [{ username: "eve" }] },
      });
      const generated = first.users.find((u) => u.username === "eve")?.token ?? "";
      await first.close();
      const fixed = "eve-fixed-token-0123456789";
      const second = await startDevServer({
        dataDir: dir,
        config: { users: [{ username: "eve", token: fixed, tokenFile: join(dir, "eve.token") }] },
      });
      try {
        expect(second.users.find((u) => u.username === "eve")?.token).toBe(fixed);
        expect(await readFile(join(dir, "eve.token"), "utf8")).toBe(`${fixed}\n`);
        const mine = (token: string) =>
          call(`${second.url}/api/user/documents/`, { token }).then((r) => r.status);
        expect(await mine(fixed)).toBe(200);
        expect(await mine(generated)).toBe(403);
        expect(readUserToken(dir, "eve")).toBe(fixed);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a token too short or shared by two users is refused", async () => {
    await expect(
      startDevServer({ config: { users: [{ username: "x", token: "short" }] } }),
    ).rejects.toThrow(/users\[0\]\.token: must be 16 to 256 characters/);
    const token = "the-same-token-0123456789";
    await expect(
      startDevServer({
        config: {
          users: [
            { username: "x", token },
            { username: "y", token },
          ],
        },
      }),
    ).rejects.toThrow(/two users have the same token/);
  });
});

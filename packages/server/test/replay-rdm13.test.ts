// Replays every exchange recorded with a real InvenioRDM 13.0.9 (test/fixtures/invenio-rdm13/)
// against a fresh devserver in the `rdm` flavour, as one journey (create a draft, update it, add
// files, publish, edit, new version, search, communities, review, requests, delete), with the ids
// and tokens of this run, and compares status, the headers that matter and the body's shape.
//
// Every way the devserver knowingly answers otherwise is in DELIBERATE below, with its reason.
// Nothing else is excused and nothing is skipped: a difference not listed fails its exchange, a
// listed one that no longer occurs fails the last test (so the table cannot go stale), and a
// recorded exchange without a step fails the first.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "nrp-invenio-devserver";
import { send } from "./helpers.js";
import {
  IdMap,
  Judge,
  loadExchanges,
  replayRequest,
  type Answer,
  type Deliberate,
  type Exchange,
} from "./replay-compare.js";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/invenio-rdm13/", import.meta.url));
const EXCHANGES = loadExchanges(FIXTURES);

/**
 * The one place where the devserver's `rdm` flavour deliberately answers otherwise than the
 * recorded InvenioRDM 13.0.9.
 */
const DELIBERATE: readonly Deliberate[] = [
  {
    exchanges: "*",
    where: [
      "body $.pids.doi",
      "body $.hits.hits[*].pids.doi",
      "body $.links.doi",
      "body $.links.self_doi",
      "body $.links.self_doi_html",
      "body $.hits.hits[*].links.doi",
      "body $.hits.hits[*].links.self_doi",
      "body $.hits.hits[*].links.self_doi_html",
    ],
    reason:
      "the devserver mints a DOI on publish (as an RDM with DataCite does) so that DOI " +
      "resolution can be tested offline; the recorded server had DataCite disabled",
  },
  {
    exchanges: ["draft-create-invalid", "publish-400"],
    where: ["body $.errors"],
    reason:
      "the devserver's RDM model checks a subset of RDM's metadata schema (a title of 3 or " +
      "more characters is all it requires, so that short scripts can publish), so the fields " +
      "named differ; every `errors` is still checked to be a list of {field, messages}",
  },
  {
    exchanges: ["files-init-multipart-bad"],
    where: ["status", "body *"],
    reason:
      "a multipart init whose size, parts and part_size cannot tile the file (or that declares " +
      "more than 10,000 parts) is refused at once (400) where RDM 13 accepts it (201) and fails " +
      "later; a client never sends one",
  },
  {
    exchanges: ["file-commit-without-content"],
    where: ["status", "body $.status", "body $.message"],
    reason:
      "a commit before any content crashes the real server (500, a server bug); the devserver " +
      'answers 400 `File with key "a.txt" has no content yet.` and the client copes with both',
  },
  {
    exchanges: ["draft-delete", "file-delete", "record-delete-admin"],
    where: ["header content-type"],
    reason:
      "an empty 204 carries a type on the real server (Flask's default `text/html`, or " +
      "`application/json` on the admin deletion); the devserver sends no type for no body",
  },
  {
    exchanges: ["well-known-repository-404"],
    where: ["body"],
    reason: "the real 404 is the theme's HTML error page; the devserver's is a short HTML page",
  },
];

type Who = "admin" | "other" | "anonymous" | "bad-token";

/** The devserver's state for one run of the journey. */
interface Ctx {
  server: DevServer;
  ids: IdMap;
}

/** One recorded exchange replayed: what to send beyond the recording and what to check besides. */
interface Step {
  name: string;
  /** The recording used the admin (a superuser) unless its README says otherwise. */
  as?: Who;
  json?: () => unknown;
  bytes?: () => Buffer;
  /** Unrecorded requests that bring the devserver where the real server was. */
  before?: (ctx: Ctx) => Promise<void>;
  /** Also compare the ETag's value: revision steps are part of the protocol. */
  exactEtag?: boolean;
  after?: (ctx: Ctx, answer: Answer) => Promise<void> | void;
}

const recordedBytes = (name: string): Buffer => {
  const body = EXCHANGES.get(name)?.body;
  if (body?.kind !== "bytes") throw new Error(`${name} has no recorded bytes`);
  return body.value;
};

const today = (): string => new Date().toISOString().slice(0, 10);

/** The metadata the recorded draft was created with, as its answer shows it. */
const curlMetadata = (title: string): Record<string, unknown> => ({
  resource_type: { id: "dataset" },
  creators: [
    {
      person_or_org: {
        type: "personal",
        name: "Novak, Jan",
        given_name: "Jan",
        family_name: "Novak",
      },
    },
  ],
  title,
  publication_date: today(),
});

const MiB = 1024 * 1024;

function token(ctx: Ctx, who: Who): string | undefined {
  switch (who) {
    case "admin":
      return ctx.server.tokens.admin;
    case "other":
      return ctx.server.tokens.depositor;
    case "bad-token":
      return "not-a-token-of-this-server";
    case "anonymous":
      return undefined;
  }
}

/**
 * Unrecorded setup: a draft as `who` (admin by default), with files enabled unless `files` is
 * false; maps `recordedId` to it.
 */
async function setupDraft(
  ctx: Ctx,
  recordedId: string,
  title: string,
  who: Who = "admin",
  files = true,
): Promise<string> {
  const bearer = token(ctx, who);
  const res = await send("POST", `${ctx.server.url}/api/records`, {
    ...(bearer === undefined ? {} : { token: bearer }),
    body: { metadata: curlMetadata(title), files: { enabled: files } },
  });
  expect(res.status).toBe(201);
  const id = res.body.id as string;
  ctx.ids.set(recordedId, id);
  return id;
}

/** Unrecorded setup: an L file uploaded and committed on a draft. */
async function setupFile(ctx: Ctx, id: string, key: string, content: Buffer): Promise<void> {
  const files = `${ctx.server.url}/api/records/${id}/draft/files`;
  const adminToken = ctx.server.tokens.admin;
  expect((await send("POST", files, { token: adminToken, body: [{ key }] })).status).toBe(201);
  const put = await fetch(`${files}/${key}/content`, {
    method: "PUT",
    headers: {
      Authorization: `Bearer ${adminToken}`,
      "Content-Type": "application/octet-stream",
    },
    body: content,
  });
  expect(put.status).toBe(200);
  await put.arrayBuffer();
  expect((await send("POST", `${files}/${key}/commit`, { token: adminToken })).status).toBe(200);
}

async function draftRevision(ctx: Ctx, id: string): Promise<number> {
  const res = await send("GET", `${ctx.server.url}/api/records/${id}/draft`, {
    token: ctx.server.tokens.admin,
  });
  expect(res.status).toBe(200);
  return res.body.revision_id as number;
}

/**
 * The journey, in the order the recording was made (its timestamps) where one step needs an
 * earlier one. Recorded ids: 9rq08-37b17 the main record, jfb4p-5ka53 the invalid draft,
 * ct74y-wr818 a record with an 8-byte file, zwy4j-rs804 the new version, mbh7v-nj241 the draft
 * submitted to a community, 4d7bd-f8p08 the draft of file errors, e8k73-a3x57 the deleted record.
 */
const STEPS: readonly Step[] = [
  // A draft, who may read it, and the 404s.
  {
    name: "draft-create",
    json: () => ({ metadata: curlMetadata("Curl test record"), files: { enabled: true } }),
    exactEtag: true,
  },
  { name: "draft-get", exactEtag: true },
  { name: "draft-get-anonymous", as: "anonymous" },
  { name: "draft-get-bad-token", as: "bad-token" },
  { name: "draft-get-other-user-403", as: "other" },
  { name: "draft-get-404" },
  { name: "record-get-unpublished" },
  { name: "record-get-404" },
  // Files: L, then M (one part recorded, the others sent unrecorded), then a 404.
  { name: "files-init", json: () => [{ key: "small.csv" }] },
  { name: "file-content-put", bytes: () => recordedBytes("file-content-get") },
  { name: "file-commit" },
  { name: "files-list" },
  { name: "file-content-get" },
  {
    name: "files-init-multipart",
    json: () => [
      { key: "mp.bin", size: 3 * MiB, transfer: { type: "M", parts: 3, part_size: MiB } },
    ],
  },
  { name: "file-part-put", bytes: () => Buffer.alloc(MiB, 1) },
  { name: "file-entry-pending" },
  {
    name: "file-commit-multipart",
    before: async (ctx) => {
      const parts = `${ctx.server.url}/api/records/${ctx.ids.get("9rq08-37b17")}/draft/files/mp.bin/content`;
      for (const n of [2, 3]) {
        const res = await fetch(`${parts}/${String(n)}`, {
          method: "PUT",
          headers: {
            Authorization: `Bearer ${ctx.server.tokens.admin}`,
            "Content-Type": "application/octet-stream",
          },
          body: Buffer.alloc(MiB, n),
        });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
    },
  },
  { name: "file-get-404" },
  // Updates: a stale and a quoted If-Match, another user, then the update (revision 5 → 7).
  { name: "draft-update-412", json: () => ({ metadata: curlMetadata("Curl test record") }) },
  {
    name: "draft-update-ifmatch-quoted-400",
    json: () => ({ metadata: curlMetadata("Curl test record") }),
  },
  {
    name: "draft-update-other-user-403",
    as: "other",
    json: () => ({ metadata: curlMetadata("Curl test record (hijacked)") }),
  },
  {
    name: "draft-update",
    json: () => ({
      metadata: curlMetadata("Curl test record (updated)"),
      files: { enabled: true },
    }),
    exactEtag: true,
  },
  // Lenient create, a vocabulary the server does not know, strict publish.
  {
    name: "draft-create-invalid",
    json: () => ({
      metadata: {
        creators: [{ person_or_org: { type: "personal" } }],
        title: "ab",
        publication_date: "not a date",
      },
      files: { enabled: false },
    }),
    exactEtag: true,
  },
  {
    name: "draft-create-bad-vocabulary-400",
    json: () => ({
      metadata: { ...curlMetadata("Bad vocabulary"), resource_type: { id: "nosuchtype" } },
    }),
  },
  { name: "publish-400" },
  // Publish and read the record back.
  { name: "publish" },
  { name: "record-get" },
  { name: "record-get-vnd" },
  { name: "record-files-list" },
  { name: "record-file-entry" },
  {
    name: "record-file-content-range",
    before: async (ctx) => {
      const id = await setupDraft(ctx, "ct74y-wr818", "Range test record");
      await setupFile(ctx, id, "small.csv", recordedBytes("record-file-content-range"));
      const published = await send(
        "POST",
        `${ctx.server.url}/api/records/${id}/draft/actions/publish`,
        { token: ctx.server.tokens.admin },
      );
      expect(published.status).toBe(202);
    },
  },
  // Search.
  { name: "search-records" },
  { name: "search-user-records" },
  { name: "search-invalid-query-200-empty" },
  { name: "search-invalid-sort-400" },
  { name: "search-page-past-window-400" },
  // Edit, new version with the files imported, its deletion.
  { name: "edit-draft-create" },
  { name: "new-version-create", exactEtag: true },
  // Recorded while the new version was open: the record is no longer the latest draft.
  { name: "versions-list" },
  { name: "latest-version" },
  { name: "new-version-import-files" },
  { name: "draft-delete" },
  // Communities.
  {
    name: "community-create",
    json: () => ({
      slug: "testcomm",
      metadata: { title: "Test community", description: "curl" },
      access: { visibility: "public" },
    }),
    exactEtag: true,
  },
  { name: "community-get-by-slug", exactEtag: true },
  { name: "communities-search" },
  { name: "community-records" },
  // A draft of another user submitted to the community, reviewed by the admin (a curator).
  {
    name: "record-requests-draft-404",
    before: async (ctx) => {
      // Metadata only, as the record published by the accept shows (`files.enabled: false`).
      await setupDraft(ctx, "mbh7v-nj241", "Community submission", "other", false);
    },
  },
  {
    // The recording's README lists the admin for this one, but `created_by` (user 3) and the
    // actions offered (submit only) show that the draft's owner sent it.
    name: "review-put",
    as: "other",
    json: () => ({
      receiver: { community: "dffdda57-42fd-48cf-8fbf-c84ef420496c" },
      type: "community-submission",
    }),
  },
  {
    name: "review-submit",
    as: "other",
    json: () => ({ payload: { content: "Please include", format: "html" } }),
  },
  { name: "request-get" },
  { name: "requests-search" },
  {
    name: "request-comment",
    json: () => ({ payload: { content: "Looks good", format: "html" } }),
  },
  { name: "request-timeline" },
  { name: "request-accept", json: () => ({ payload: { content: "Accepted", format: "html" } }) },
  { name: "request-accept-again-400" },
  { name: "record-after-accept" },
  { name: "record-requests-published" },
  { name: "user-requests" },
  // File errors on a draft of their own: a pending L file, then duplicate key, unknown
  // transfer, inconsistent multipart, publishing with files pending, commit without content,
  // delete (the draft's revision goes up by 2).
  {
    name: "files-init-duplicate-key",
    before: async (ctx) => {
      const id = await setupDraft(ctx, "4d7bd-f8p08", "File errors");
      const init = await send("POST", `${ctx.server.url}/api/records/${id}/draft/files`, {
        token: ctx.server.tokens.admin,
        body: [{ key: "a.txt" }],
      });
      expect(init.status).toBe(201);
    },
    json: () => [{ key: "a.txt" }],
  },
  { name: "files-init-unknown-transfer", json: () => [{ key: "q.txt", transfer: { type: "Q" } }] },
  {
    name: "files-init-multipart-bad",
    json: () => [{ key: "m.bin", size: 10, transfer: { type: "M", parts: 3, part_size: 1 } }],
  },
  { name: "publish-no-files-400" },
  { name: "file-commit-without-content" },
  {
    name: "file-delete",
    before: async (ctx) => {
      revisionBeforeFileDelete = await draftRevision(ctx, ctx.ids.get("4d7bd-f8p08"));
    },
    after: async (ctx) => {
      expect(await draftRevision(ctx, ctx.ids.get("4d7bd-f8p08"))).toBe(
        revisionBeforeFileDelete + 2,
      );
    },
  },
  // Deletion of a published record by an admin, then its tombstone.
  {
    name: "record-delete-admin",
    before: async (ctx) => {
      const id = await setupDraft(ctx, "e8k73-a3x57", "To be deleted");
      await setupFile(ctx, id, "small.csv", recordedBytes("record-file-content-range"));
      const published = await send(
        "POST",
        `${ctx.server.url}/api/records/${id}/draft/actions/publish`,
        { token: ctx.server.tokens.admin },
      );
      expect(published.status).toBe(202);
    },
    json: () => ({ removal_reason: { id: "spam" }, note: "test", is_visible: true }),
  },
  { name: "record-get-deleted-410", as: "anonymous" },
  { name: "record-get-deleted-as-admin" },
  // Discovery: plain RDM has no /.well-known/repository.
  { name: "well-known-repository-404" },
];

let revisionBeforeFileDelete = 0;

function replay(ctx: Ctx, step: Step, recorded: Exchange): Promise<Answer> {
  const json =
    step.json === undefined ? undefined : JSON.parse(ctx.ids.apply(JSON.stringify(step.json())));
  return replayRequest(`${ctx.server.url}${ctx.ids.apply(recorded.path)}`, recorded, {
    token: token(ctx, step.as ?? "admin"),
    ...(json === undefined ? {} : { json }),
    ...(step.bytes === undefined ? {} : { bytes: step.bytes() }),
  });
}

describe("the rdm flavour answers as the recorded InvenioRDM 13.0.9", () => {
  const ctx = {} as Ctx;
  const judge = new Judge(DELIBERATE);

  beforeAll(async () => {
    ctx.server = await startDevServer({ flavour: "rdm" });
    ctx.ids = new IdMap(ctx.server.url);
  });
  afterAll(async () => {
    await ctx.server.close();
  });

  it("every recorded exchange has a step, in order, and every step a recording", () => {
    const stepped = STEPS.map((s) => s.name);
    expect(new Set(stepped).size).toBe(stepped.length);
    expect([...EXCHANGES.keys()].filter((n) => !stepped.includes(n))).toEqual([]);
    expect(stepped.filter((n) => !EXCHANGES.has(n))).toEqual([]);
  });

  for (const step of STEPS) {
    it(step.name, async () => {
      const recorded = EXCHANGES.get(step.name);
      if (recorded === undefined) throw new Error(`no recording ${step.name}`);
      await step.before?.(ctx);
      const answer = await replay(ctx, step, recorded);
      if (recorded.body.kind === "json") ctx.ids.learn(recorded.body.value, answer.json);
      expect(judge.judge(recorded, answer, ctx.ids, step.exactEtag)).toEqual([]);
      await step.after?.(ctx, answer);
    });
  }

  // Noted with the recording, not recorded: the collection without its slash is a redirect.
  it("GET /api/requests?… (no trailing slash) answers 308 to /api/requests/?…", async () => {
    const recorded = EXCHANGES.get("requests-search");
    if (recorded === undefined) throw new Error("no recording requests-search");
    const slashless = recorded.path.replace("/api/requests/?", "/api/requests?");
    expect(slashless).not.toBe(recorded.path);
    const res = await fetch(`${ctx.server.url}${slashless}`, {
      headers: { Accept: "application/json", Authorization: `Bearer ${ctx.server.tokens.admin}` },
      redirect: "manual",
    });
    await res.arrayBuffer();
    expect(res.status).toBe(308);
    expect(res.headers.get("location")).toBe(`${ctx.server.url}${recorded.path}`);
  });

  it("every deliberate difference still occurs (the table is not stale)", () => {
    expect(judge.stale()).toEqual([]);
  });
});

// Replays every exchange recorded with a real NRP repository (oarepo 12/13 server libraries on
// InvenioRDM 13.0.9, test/fixtures/oarepo-nrp/) against devservers in the `nrp` flavour, as the
// recording's journey (scripts/oarepo-nrp/record_fixtures.py, step by step and in its order):
// discovery, drafts, files, publish/edit/new-version/delete requests in the `auto_publish` and
// `curated_publish` workflows, searches. Ids of this run replace the recorded ones; status, the
// headers that matter and the body's shape are compared.
//
// Every way the devserver knowingly answers otherwise is in DELIBERATE below, with its reason.
// Nothing else is excused and nothing is skipped: a difference not listed fails its exchange, a
// listed one that no longer occurs fails the last test, and a recorded exchange the journey does
// not replay fails the first.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startDevServer,
  type DevServer,
  type DevServerConfig,
  type MetadataSchema,
} from "nrp-invenio-devserver";
import {
  IdMap,
  Judge,
  loadExchanges,
  RECORDED_NRP_ORIGIN,
  replayRequest,
  type Answer,
  type Deliberate,
  type Exchange,
} from "./replay-compare.js";

const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/oarepo-nrp/", import.meta.url));
const EXCHANGES = loadExchanges(FIXTURES);

/**
 * The one place where the devserver's `nrp` flavour deliberately answers otherwise than the
 * recorded NRP repository.
 */
const DELIBERATE: readonly Deliberate[] = [
  // --- records
  {
    exchanges: "*",
    where: [
      "body $.is_draft",
      "body $.is_published",
      "body $.versions",
      "body $.expires_at",
      "body $.hits.hits[*].is_draft",
      "body $.hits.hits[*].is_published",
      "body $.hits.hits[*].versions",
      "body $.hits.hits[*].expires_at",
      "body $.parent.communities",
      "body $.hits.hits[*].parent.communities",
    ],
    reason:
      "records carry is_draft, is_published, versions, expires_at and parent.communities: the " +
      "devserver's nrp flavour serves the newer NRP shape; oarepo 12/13 (here without " +
      "communities) lacks them",
  },
  {
    exchanges: [
      "draft-create",
      "draft-create-curated",
      "draft-get",
      "draft-update",
      "draft-update-412",
    ],
    where: ["header etag", "body $.message"],
    reason:
      "drafts start at revision 1 on the devserver's nrp flavour (its newDraftRevision trait) " +
      "and an update adds 1; the recorded repository's drafts start at 3 (4 after the update), " +
      "so the ETags' values and the 412 message's numbers differ (the form, a quoted integer, " +
      "is the same)",
  },
  {
    exchanges: ["draft-get-vnd", "record-get-vnd"],
    where: ["header etag", "body $.files", "body $.parent"],
    reason:
      "the devserver answers application/vnd.inveniordm.v1+json with the full record and its " +
      "ETag; the recorded repository's UI serializer leaves out files, parent and the ETag",
  },
  {
    exchanges: ["draft-get-curator-while-submitted"],
    where: ["body $.links.edit_html", "body $.links.publish"],
    reason:
      "the curator reads the submitted draft as the devserver's administrator (see the journey), " +
      "who gets the owner's links",
  },
  {
    exchanges: ["record-edit-direct-403", "record-new-version-direct-403"],
    where: ["status", "header etag", "body *"],
    reason:
      "the owner may still edit and make a new version with the plain Invenio actions (201) on " +
      "the devserver, which the client and the conformance suite use on NRP; oarepo's " +
      "RequestBasedWorkflowPermissions refuses them (403) and wants requests",
  },
  // --- draft creation
  {
    exchanges: ["draft-create-no-workflow-400", "draft-create-unknown-workflow-400"],
    where: ["status", "header etag", "body *"],
    reason:
      "the devserver has one workflow per model and files a missing or unknown " +
      "`parent.workflow` under `default` (201) where oarepo-workflows refuses it (400 `_schema`)",
  },
  {
    exchanges: ["draft-create-invalid"],
    where: ["body $.errors"],
    reason:
      "the same two fields are reported, in the other order, and the bad date's message is " +
      "marshmallow's `Not a valid date.` where oarepo's EDTF-aware field says `Invalid " +
      "date/time format, expecting %Y-%m-%d, got 2024-13-45`",
  },
  // --- files
  {
    exchanges: ["file-commit-without-content"],
    where: ["status", "body $.status", "body $.message"],
    reason:
      "a commit before any content crashes the real server (500, a server bug); the devserver " +
      'answers 400 `File with key "empty.txt" has no content yet.`',
  },
  {
    exchanges: ["draft-delete", "file-delete", "record-delete-direct-admin"],
    where: ["header content-type"],
    reason:
      "an empty 204 carries Flask's default `text/html` on the real server; the devserver " +
      "sends no type for no body",
  },
  {
    exchanges: ["file-content-get", "file-content-range", "record-file-content"],
    where: ["header content-type", "header content-md5", "header content-disposition"],
    reason:
      "downloads: the nrp flavour's `named` download headers (a base64 Content-MD5 as RFC 1864 " +
      "has it, the filename in every Content-Disposition, `text/plain` without a charset); " +
      "oarepo 12/13 serves invenio-files-rest's (hex, `inline`, `; charset=utf-8`), as the rdm " +
      "flavour does",
  },
  // --- requests
  {
    exchanges: "*",
    where: [
      "body $.links.ui_redirect_url",
      "body $.links.created_by.*",
      "body $.links.receiver.*",
      "body $.links.topic.*",
      "body $.hits.hits[*].links.ui_redirect_url",
      "body $.hits.hits[*].links.created_by.*",
      "body $.hits.hits[*].links.receiver.*",
      "body $.hits.hits[*].links.topic.*",
    ],
    reason:
      "requests: oarepo-requests 2.5 serves the extended links (ui_redirect_url, and the " +
      "topic's, creator's and receiver's own links); the devserver serves only " +
      "`links.topic.self`/`self_html`",
  },
  {
    exchanges: "*",
    where: [
      "body $.topic.simple",
      "body $.topic.simple_draft",
      "body $.hits.hits[*].topic.simple",
      "body $.hits.hits[*].topic.simple_draft",
    ],
    reason:
      "a request about a draft has the topic key `simple_draft` in oarepo 12/13; the devserver " +
      "names the model (`simple`) for drafts and records alike",
  },
  {
    exchanges: ["request-get-curator"],
    where: ["body $.links.actions.cancel"],
    reason:
      "the curator reads the request as the devserver's administrator (see the journey), who " +
      "may also cancel it",
  },
  {
    exchanges: ["request-create-unknown-type-500"],
    where: ["status", "body $.status", "body $.message"],
    reason:
      "an unknown request type crashes the real server (500, a server bug); the devserver " +
      "answers 400 `Unknown request type nosuch.`",
  },
  {
    exchanges: ["request-create-new-version-with-edit-draft-500"],
    where: ["status", "body $.status", "body $.message"],
    reason:
      "new_version while an edit draft is open crashes the real server (500, `Trying to create " +
      "edit request on record with draft`); the devserver refuses it as not permitted (403)",
  },
  {
    exchanges: ["request-create-duplicate-400"],
    where: ["body $.message"],
    reason:
      "the duplicate message names the topic: oarepo 12/13 its UUID, the devserver its " +
      "record id",
  },
  {
    exchanges: ["request-submit-delete-published-record"],
    where: ["status", "header etag", "body *"],
    reason:
      "on the real server the submit of an auto-approved delete_published_record answers 410 " +
      "(the topic is gone when the answer is serialised, a server bug); the devserver answers " +
      "200 with the accepted request",
  },
  {
    exchanges: ["request-timeline"],
    where: [
      "body $.page",
      "body $.aggregations",
      "body $.hits.hits[*].payload.content",
      "body $.hits.hits[*].payload.format",
      "body $.hits.hits[*].payload.event",
      "body $.hits.hits[*].type",
    ],
    reason:
      "the timeline: the devserver lists the status changes as log events (`L`, payload " +
      "`{event}`) besides comments and has no `page` but `aggregations`, as InvenioRDM 13.0.9 " +
      "does; the recorded repository lists only the comment (`C`), with `page`",
  },
  {
    exchanges: [
      "draft-requests",
      "record-requests",
      "requests-search",
      "requests-search-curator",
      "user-requests",
    ],
    where: ["body $.links.self", "body $.aggregations.*"],
    reason:
      "a record's requests page links to itself on the devserver, to `/api/requests` on the " +
      "real server, which also leaves out empty queries and has no type/status facets there",
  },
  {
    exchanges: ["requests-search", "user-requests"],
    where: ["body $.hits.hits[*].type", "body $.hits.hits[*].payload"],
    reason:
      "the journey's request list differs in which types come first (and so in which carry a " +
      "payload): the curated workflow ran on a second devserver, so its requests are not in " +
      "this one's list",
  },
  {
    exchanges: ["requests-search-curator"],
    where: ["body $.hits.hits"],
    reason:
      "the recorded curator sees no submitted requests (oarepo's curator generator matches " +
      "none in searches); the devserver's administrator, standing in for the curator, sees all",
  },
  {
    exchanges: ["requests-search-no-slash", "search-global-no-slash"],
    where: ["body"],
    reason: "the 308's body is Werkzeug's HTML page on the real server; the devserver's is its own",
  },
  // --- searches
  {
    exchanges: [
      "search-model",
      "search-model-facet",
      "search-model-allversions",
      "search-user-model",
      "search-global",
      "search-user-global",
      "versions-list",
    ],
    where: ["body $.page", "body $.aggregations.*", "body $.aggregations", "body $.links.*"],
    reason:
      "search envelopes: oarepo 12/13 adds `page`, names facets by path (metadata_resource_type, " +
      "record_status, has_draft, state, …), links `self` without the trailing slash and with " +
      "every filter; the devserver names facets by field (resource_type, keywords, " +
      "is_published) and links what it parsed",
  },
  {
    exchanges: ["search-invalid-query"],
    where: ["status", "body *"],
    reason:
      "a broken query is 200 with no hits on oarepo 12/13; the devserver's nrp flavour answers " +
      "400 `Invalid query string syntax.` so that a client learns of its mistake",
  },
  {
    exchanges: ["search-user-model-anonymous"],
    where: ["status", "body *"],
    reason:
      "`/api/user/simple/` without a token: 200 with no hits on the real server, 403 on the " +
      "devserver (a user search needs a user)",
  },
  // --- discovery
  {
    exchanges: ["well-known-model"],
    where: ["body *"],
    reason:
      "the model's definition: the recorded one is oarepo-model-builder's (`model`, …), the " +
      "devserver's is the shape of its config (type, name, version, schema, features, metadata)",
  },
  {
    exchanges: ["well-known-schema"],
    where: ["body *"],
    reason:
      "the model's JSON schema is generated from the devserver's config (its own $id, title, " +
      "required fields and system properties); oarepo-model-builder's lists other system " +
      "properties (pid, state, versions, …)",
  },
];

/** The recorded model `simple` (scripts/oarepo-nrp/model.yaml) in the devserver's schema terms. */
const SIMPLE_SCHEMA: MetadataSchema = {
  type: "object",
  properties: {
    title: { type: "string", minLength: 1 },
    description: { type: "string" },
    year: { type: "integer" },
    publication_date: { type: "string", format: "date" },
    resource_type: { type: "string" },
    keywords: { type: "array", items: { type: "string" } },
    creators: {
      type: "array",
      items: {
        type: "object",
        properties: { name: { type: "string" }, affiliation: { type: "string" } },
        required: ["name"],
      },
    },
  },
  required: ["title"],
};

const ALL_TYPES = [
  "publish_draft",
  "publish_new_version",
  "publish_changed_metadata",
  "edit_published_record",
  "new_version",
  "delete_published_record",
  "delete_draft",
] as const;

/**
 * A devserver config as close to the recorded repository as the config allows: one model
 * `simple` whose drafts publish through requests only. The devserver has one request workflow
 * per model, where oarepo picks one per draft (`parent.workflow`): the journey runs the
 * `auto_publish` drafts on one devserver (every request approved on submit) and the
 * `curated_publish` ones on another (the publish requests and `delete_published_record` go to a
 * person, the others are approved on submit).
 */
function config(workflow: "auto" | "curated"): DevServerConfig {
  return {
    // The recorded repository has RDM's own vocabularies only (no generic ones).
    vocabularies: { affiliations: {}, awards: {}, funders: {}, subjects: {}, names: {} },
    models: {
      simple: {
        features: ["requests", "drafts", "files"],
        schema: SIMPLE_SCHEMA,
        publishing: "curated",
        requests: {
          types: [...ALL_TYPES],
          autoAccept:
            workflow === "auto"
              ? [...ALL_TYPES]
              : [
                  "publish_changed_metadata",
                  "edit_published_record",
                  "new_version",
                  "delete_draft",
                ],
        },
      },
    },
  };
}

/** The users of the recording: depositor (1), other (2), curator (3), admin (4). */
type Who = "depositor" | "other" | "curator" | "admin" | null;
type Workflow = "auto" | "curated";

const WORD = "fxd91c69";
const AUTO = "auto_publish";
const CURATED = "curated_publish";

const meta = (title: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  title: `${title} ${WORD}`,
  resource_type: "dataset",
  creators: [{ name: "Lovelace, Ada" }],
  publication_date: "2024-05-01",
  ...extra,
});

const ID = /[0-9a-z]{5}-[0-9a-z]{5}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

interface Replayed {
  recorded: Exchange;
  answer: Answer;
  exactEtag: boolean;
  /** The request this run sent differs from the recorded one (a mistake of the journey). */
  pathMismatch?: string;
}

/** The journey's state: the two devservers, the ids learned and the answers to judge. */
class Journey {
  readonly replayed = new Map<string, Replayed>();
  readonly ids: IdMap;

  constructor(
    readonly servers: Record<Workflow, DevServer>,
    /** Both devservers listen on the same host; links are compared on the auto one's origin. */
    origin: string,
  ) {
    this.ids = new IdMap(origin, RECORDED_NRP_ORIGIN);
  }

  token(on: Workflow, who: Who): string | undefined {
    const tokens = this.servers[on].tokens;
    switch (who) {
      case "depositor":
        return tokens.owner;
      case "other":
        return tokens.depositor;
      // The devserver sends requests of a model without communities to its administrator.
      case "curator":
        return on === "curated" ? tokens.admin : tokens.curator;
      case "admin":
        return tokens.admin;
      case null:
        return undefined;
    }
  }

  /**
   * One call as the recorder made it; recorded (and judged later) when `name` is given. `path` is
   * this run's, on the devserver of `on`.
   */
  async call(
    name: string | null,
    on: Workflow,
    method: string,
    path: string,
    options: {
      user?: Who;
      json?: unknown;
      bytes?: Buffer;
      headers?: Record<string, string>;
      exactEtag?: boolean;
    } = {},
  ): Promise<Answer> {
    const server = this.servers[on];
    const local = path.startsWith("http") ? new URL(path) : undefined;
    const ours = local === undefined ? path : `${local.pathname}${local.search}`;
    const recorded: Exchange = (name === null ? undefined : EXCHANGES.get(name)) ?? {
      name: name ?? "(unrecorded)",
      method,
      path: ours,
      requestHeaders: {},
      status: 0,
      headers: {},
      body: { kind: "none" },
    };
    if (name !== null && !EXCHANGES.has(name)) throw new Error(`no recording ${name}`);
    const headers = { ...options.headers };
    if (options.json === undefined && options.bytes === undefined) delete headers["content-type"];
    const answer = await replayRequest(`${server.url}${ours}`, recorded, {
      token: this.token(on, options.user === undefined ? "depositor" : options.user),
      ...(options.json === undefined ? {} : { json: options.json }),
      ...(options.bytes === undefined ? {} : { bytes: options.bytes }),
      headers,
    });
    if (name === null) return answer;
    // The recorded path's ids are this run's ids at the same places.
    const recordedIds = [...recorded.path.matchAll(ID)].map((m) => m[0]);
    const ourIds = [...ours.matchAll(ID)].map((m) => m[0]);
    recordedIds.forEach((id, i) => {
      const mine = ourIds[i];
      if (mine !== undefined && id !== mine) this.ids.set(id, mine);
    });
    if (recorded.body.kind === "json") this.ids.learn(recorded.body.value, answer.json);
    const entry: Replayed = { recorded, answer, exactEtag: options.exactEtag ?? false };
    if (
      recorded.method !== method ||
      !this.ids.linkMatches(
        `${RECORDED_NRP_ORIGIN}${recorded.path}`,
        `${this.servers.auto.url}${ours}`,
      )
    ) {
      entry.pathMismatch = `sent ${method} ${ours}, recorded ${recorded.method} ${recorded.path}`;
    }
    this.replayed.set(name, entry);
    return answer;
  }
}

function ok(answer: Answer, status: number, what: string): Record<string, unknown> {
  if (answer.status !== status) {
    throw new Error(
      `${what}: ${String(answer.status)}, expected ${String(status)}: ${answer.bytes.toString("utf8").slice(0, 300)}`,
    );
  }
  return (answer.json ?? {}) as Record<string, unknown>;
}

const str = (v: unknown): string => {
  if (typeof v !== "string") throw new Error(`not a string: ${JSON.stringify(v)}`);
  return v;
};

/** The recorded journey (scripts/oarepo-nrp/record_fixtures.py), call for call. */
async function journey(j: Journey): Promise<void> {
  const api = "/api/simple";
  const wf = (workflow: string): Workflow => (workflow === AUTO ? "auto" : "curated");

  const draft = async (workflow: string, title: string, name: string | null = null) =>
    ok(
      await j.call(name, wf(workflow), "POST", `${api}/`, {
        json: { metadata: meta(title), parent: { workflow } },
        exactEtag: true,
      }),
      201,
      `draft ${title}`,
    );
  const addFile = async (on: Workflow, rid: string): Promise<void> => {
    const files = `${api}/${rid}/draft/files`;
    ok(await j.call(null, on, "POST", files, { json: [{ key: "data.txt" }] }), 201, "files init");
    ok(
      await j.call(null, on, "PUT", `${files}/data.txt/content`, {
        bytes: Buffer.from("hello, NRP\n"),
      }),
      200,
      "file content",
    );
    ok(await j.call(null, on, "POST", `${files}/data.txt/commit`), 200, "file commit");
  };
  const request = async (
    on: Workflow,
    nameCreate: string | null,
    nameSubmit: string | null,
    url: string,
    options: { json?: unknown; user?: Who } = {},
  ): Promise<Answer> => {
    const created = ok(
      await j.call(nameCreate, on, "POST", url, {
        json: options.json ?? {},
        user: options.user ?? "depositor",
      }),
      201,
      `create ${url}`,
    );
    const links = created.links as { actions: { submit: string } };
    return j.call(nameSubmit, on, "POST", links.actions.submit, {
      json: {},
      user: options.user ?? "depositor",
    });
  };

  // --- discovery
  await j.call("well-known-repository", "auto", "GET", "/.well-known/repository/", { user: null });
  await j.call("well-known-models", "auto", "GET", "/.well-known/repository/models", {
    user: null,
  });
  await j.call("well-known-model", "auto", "GET", "/.well-known/repository/models/simple", {
    user: null,
  });
  await j.call(
    "well-known-schema",
    "auto",
    "GET",
    "/.well-known/repository/schema/simple-1.0.0.json",
    {
      user: null,
    },
  );

  // --- drafts
  const rid = str((await draft(AUTO, "Auto", "draft-create")).id);
  await j.call("draft-create-no-workflow-400", "auto", "POST", `${api}/`, {
    json: { metadata: meta("No workflow") },
  });
  await j.call("draft-create-unknown-workflow-400", "auto", "POST", `${api}/`, {
    json: { metadata: meta("Bad workflow"), parent: { workflow: "nosuch" } },
  });
  await j.call("draft-create-invalid", "auto", "POST", `${api}/`, {
    json: {
      metadata: { title: `Invalid ${WORD}`, year: "not a year", publication_date: "2024-13-45" },
      parent: { workflow: AUTO },
    },
  });
  await j.call("draft-create-unknown-field", "auto", "POST", `${api}/`, {
    json: { metadata: { title: "x", nosuch: 1 }, parent: { workflow: AUTO } },
  });
  await j.call("draft-create-anonymous-403", "auto", "POST", `${api}/`, {
    user: null,
    json: { metadata: meta("Anon"), parent: { workflow: AUTO } },
  });
  const got = await j.call("draft-get", "auto", "GET", `${api}/${rid}/draft`, { exactEtag: true });
  const etag = (got.headers.get("etag") ?? "").replace(/"/g, "");
  await j.call("draft-get-vnd", "auto", "GET", `${api}/${rid}/draft`, {
    headers: { Accept: "application/vnd.inveniordm.v1+json" },
  });
  const upd = {
    ...(got.json as Record<string, unknown>),
    metadata: meta("Auto updated", { keywords: ["physics", "conformance"], year: 2024 }),
  };
  ok(
    await j.call("draft-update", "auto", "PUT", `${api}/${rid}/draft`, {
      json: upd,
      headers: { "If-Match": etag },
      exactEtag: true,
    }),
    200,
    "draft update",
  );
  await j.call("draft-update-412", "auto", "PUT", `${api}/${rid}/draft`, {
    json: upd,
    headers: { "If-Match": "1" },
  });
  await j.call("draft-update-ifmatch-quoted", "auto", "PUT", `${api}/${rid}/draft`, {
    json: upd,
    headers: { "If-Match": `"${etag}"` },
  });
  await j.call("draft-get-other-user-403", "auto", "GET", `${api}/${rid}/draft`, {
    user: "other",
  });
  await j.call("draft-update-other-user-403", "auto", "PUT", `${api}/${rid}/draft`, {
    user: "other",
    json: upd,
  });
  await j.call("draft-get-anonymous-403", "auto", "GET", `${api}/${rid}/draft`, { user: null });
  await j.call("draft-get-404", "auto", "GET", `${api}/nosuch-00000/draft`);
  await j.call("record-get-unpublished-404", "auto", "GET", `${api}/${rid}`);

  // --- files
  const files = `${api}/${rid}/draft/files`;
  ok(
    await j.call("files-init", "auto", "POST", files, { json: [{ key: "data.txt" }] }),
    201,
    "files init",
  );
  await j.call("file-entry-pending", "auto", "GET", `${files}/data.txt`);
  await j.call("file-content-put", "auto", "PUT", `${files}/data.txt/content`, {
    bytes: Buffer.from("hello, NRP\n"),
  });
  await j.call("file-commit", "auto", "POST", `${files}/data.txt/commit`);
  await j.call("files-list", "auto", "GET", files);
  await j.call("file-entry", "auto", "GET", `${files}/data.txt`);
  await j.call("file-content-get", "auto", "GET", `${files}/data.txt/content`);
  await j.call("file-content-range", "auto", "GET", `${files}/data.txt/content`, {
    headers: { Range: "bytes=0-3" },
  });
  await j.call("files-init-duplicate-key-400", "auto", "POST", files, {
    json: [{ key: "data.txt" }],
  });
  await j.call("file-get-404", "auto", "GET", `${files}/nosuch.txt`);
  await j.call("file-metadata-update", "auto", "PUT", `${files}/data.txt`, {
    json: { metadata: { description: "a file" } },
  });
  await j.call("files-init-other-user-403", "auto", "POST", files, {
    user: "other",
    json: [{ key: "x.txt" }],
  });
  const size = 10 * 1024 * 1024 + 1;
  const part = 5 * 1024 * 1024;
  const mp = await j.call("files-init-multipart", "auto", "POST", files, {
    json: [{ key: "big.bin", size, transfer: { type: "M", parts: 3, part_size: part } }],
  });
  const entries = (
    (mp.json as { entries?: { key: string; links: Record<string, unknown> }[] }).entries ?? []
  ).filter((e) => e.key === "big.bin");
  const big = entries[0];
  if (big === undefined) throw new Error("files-init-multipart: no entry big.bin");
  const parts = (big.links.parts ?? []) as { url: string }[];
  const blob = Buffer.alloc(size, 7);
  for (const [i, p] of parts.entries()) {
    await j.call(i === 0 ? "file-part-put" : null, "auto", "PUT", p.url, {
      bytes: blob.subarray(i * part, (i + 1) * part),
    });
  }
  await j.call("file-entry-multipart-pending", "auto", "GET", `${files}/big.bin`);
  await j.call("file-commit-multipart", "auto", "POST", `${files}/big.bin/commit`);
  await j.call("file-delete", "auto", "DELETE", `${files}/big.bin`);
  ok(await j.call(null, "auto", "POST", files, { json: [{ key: "empty.txt" }] }), 201, "init");
  await j.call("file-commit-without-content", "auto", "POST", `${files}/empty.txt/commit`);
  await j.call(null, "auto", "DELETE", `${files}/empty.txt`);

  // --- publish_draft, auto-approved
  await j.call(
    "draft-requests-applicable",
    "auto",
    "GET",
    `${api}/${rid}/draft/requests/applicable`,
  );
  await j.call("draft-publish-direct-403", "auto", "POST", `${api}/${rid}/draft/actions/publish`);
  ok(
    await request(
      "auto",
      "request-create-publish-draft-auto",
      "request-submit-publish-draft-auto",
      `${api}/${rid}/draft/requests/publish_draft`,
    ),
    200,
    "publish",
  );
  await j.call("record-get", "auto", "GET", `${api}/${rid}`, { user: null });
  await j.call("record-get-vnd", "auto", "GET", `${api}/${rid}`, {
    user: null,
    headers: { Accept: "application/vnd.inveniordm.v1+json" },
  });
  await j.call("record-files-list", "auto", "GET", `${api}/${rid}/files`, { user: null });
  await j.call("record-file-content", "auto", "GET", `${api}/${rid}/files/data.txt/content`, {
    user: null,
  });
  await j.call("record-draft-get-after-publish-404", "auto", "GET", `${api}/${rid}/draft`);
  await j.call("record-requests", "auto", "GET", `${api}/${rid}/requests`);
  await j.call("record-requests-applicable", "auto", "GET", `${api}/${rid}/requests/applicable`);
  await j.call(
    "record-requests-applicable-other-user",
    "auto",
    "GET",
    `${api}/${rid}/requests/applicable`,
    { user: "other" },
  );
  // The devserver allows both (see DELIBERATE): what they opened is removed, unrecorded, so that
  // the journey goes on from where the real server was.
  const edit = await j.call("record-edit-direct-403", "auto", "POST", `${api}/${rid}/draft`);
  if (edit.status === 201) {
    ok(await j.call(null, "auto", "DELETE", `${api}/${rid}/draft`), 204, "edit draft delete");
  }
  const version = await j.call(
    "record-new-version-direct-403",
    "auto",
    "POST",
    `${api}/${rid}/versions`,
  );
  if (version.status === 201) {
    const nid = str((version.json as Record<string, unknown>).id);
    ok(await j.call(null, "auto", "DELETE", `${api}/${nid}/draft`), 204, "new version delete");
  }
  await j.call("record-get-404", "auto", "GET", `${api}/nosuch-00000`, { user: null });

  // --- publish_draft, curated: comment, accept
  const cid = str((await draft(CURATED, "Curated", "draft-create-curated")).id);
  await addFile("curated", cid);
  const req = ok(
    await request(
      "curated",
      "request-create-publish-draft-curated",
      "request-submit-publish-draft-curated",
      `${api}/${cid}/draft/requests/publish_draft`,
    ),
    200,
    "submit curated",
  );
  const rq = `/api/requests/${str(req.id)}`;
  await j.call("request-get", "curated", "GET", rq);
  await j.call("request-get-extended", "curated", "GET", `/api/requests/extended/${str(req.id)}`);
  await j.call("request-get-curator", "curated", "GET", rq, { user: "curator" });
  await j.call("request-get-other-user-403", "curated", "GET", rq, { user: "other" });
  await j.call("draft-get-curator-while-submitted", "curated", "GET", `${api}/${cid}/draft`, {
    user: "curator",
  });
  await j.call("draft-update-while-submitted-403", "curated", "PUT", `${api}/${cid}/draft`, {
    json: { metadata: meta("Locked") },
  });
  await j.call("request-comment", "curated", "POST", `${rq}/comments`, {
    user: "curator",
    json: { payload: { content: "Looks good.", format: "html" } },
  });
  await j.call("request-comment-other-user-403", "curated", "POST", `${rq}/comments`, {
    user: "other",
    json: { payload: { content: "Me too.", format: "html" } },
  });
  await j.call("request-accept-other-user-403", "curated", "POST", `${rq}/actions/accept`, {
    user: "other",
    json: {},
  });
  await j.call("request-accept-by-creator-403", "curated", "POST", `${rq}/actions/accept`, {
    json: {},
  });
  await j.call("request-accept", "curated", "POST", `${rq}/actions/accept`, {
    user: "curator",
    json: {},
  });
  await j.call("request-accept-again-400", "curated", "POST", `${rq}/actions/accept`, {
    user: "curator",
    json: {},
  });
  await j.call("request-timeline", "curated", "GET", `${rq}/timeline`);
  await j.call("record-after-accept", "curated", "GET", `${api}/${cid}`, { user: null });

  // --- decline and cancel
  const x = str((await draft(CURATED, "Declined")).id);
  await addFile("curated", x);
  const xr = ok(
    await request("curated", null, null, `${api}/${x}/draft/requests/publish_draft`),
    200,
    "submit x",
  );
  await j.call(
    "request-decline",
    "curated",
    "POST",
    `/api/requests/${str(xr.id)}/actions/decline`,
    {
      user: "curator",
      json: { payload: { content: "Please add a description.", format: "html" } },
    },
  );
  await j.call("draft-after-decline", "curated", "GET", `${api}/${x}/draft`);
  const y = str((await draft(CURATED, "Cancelled")).id);
  await addFile("curated", y);
  const yr = ok(
    await request("curated", null, null, `${api}/${y}/draft/requests/publish_draft`),
    200,
    "submit y",
  );
  await j.call("request-cancel", "curated", "POST", `/api/requests/${str(yr.id)}/actions/cancel`, {
    json: {},
  });
  await j.call("draft-after-cancel", "curated", "GET", `${api}/${y}/draft`);
  const z = str((await draft(CURATED, "Created only")).id);
  await addFile("curated", z);
  const zr = ok(
    await j.call(null, "curated", "POST", `${api}/${z}/draft/requests/publish_draft`, { json: {} }),
    201,
    "create z",
  );
  await j.call(
    "request-cancel-created",
    "curated",
    "POST",
    `/api/requests/${str(zr.id)}/actions/cancel`,
    { json: {} },
  );
  await j.call(
    "request-create-other-user-403",
    "curated",
    "POST",
    `${api}/${z}/draft/requests/publish_draft`,
    { user: "other", json: {} },
  );
  await j.call(
    "request-create-unknown-type-500",
    "curated",
    "POST",
    `${api}/${z}/draft/requests/nosuch`,
    { json: {} },
  );
  const zr2 = ok(
    await j.call(
      "request-create-again",
      "curated",
      "POST",
      `${api}/${z}/draft/requests/publish_draft`,
      { json: {} },
    ),
    201,
    "create again",
  );
  await j.call(
    "request-create-duplicate-400",
    "curated",
    "POST",
    `${api}/${z}/draft/requests/publish_draft`,
    { json: {} },
  );
  await j.call("draft-requests", "curated", "GET", `${api}/${z}/draft/requests`);
  ok(
    await j.call(null, "curated", "POST", `/api/requests/${str(zr2.id)}/actions/cancel`, {
      json: {},
    }),
    200,
    "cancel again",
  );
  await request(
    "curated",
    "request-create-delete-draft",
    "request-submit-delete-draft",
    `${api}/${z}/draft/requests/delete_draft`,
  );
  await j.call("draft-after-delete-draft", "curated", "GET", `${api}/${z}/draft`);
  const w = str((await draft(AUTO, "Deleted directly")).id);
  await j.call("draft-delete", "auto", "DELETE", `${api}/${w}/draft`);

  // --- edit_published_record -> publish_changed_metadata
  await request(
    "auto",
    "request-create-edit-published-record",
    "request-submit-edit-published-record",
    `${api}/${rid}/requests/edit_published_record`,
  );
  const ed = await j.call("edit-draft-get", "auto", "GET", `${api}/${rid}/draft`);
  const edited = ed.json as { metadata: Record<string, unknown> };
  edited.metadata.title = `Auto edited ${WORD}`;
  await j.call("edit-draft-update", "auto", "PUT", `${api}/${rid}/draft`, {
    json: edited,
    headers: { "If-Match": (ed.headers.get("etag") ?? "").replace(/"/g, "") },
  });
  await j.call(
    "edit-draft-requests-applicable",
    "auto",
    "GET",
    `${api}/${rid}/draft/requests/applicable`,
  );
  await j.call("edit-draft-files-init", "auto", "POST", `${api}/${rid}/draft/files`, {
    json: [{ key: "more.txt" }],
  });
  await j.call(
    "request-create-new-version-with-edit-draft-500",
    "auto",
    "POST",
    `${api}/${rid}/requests/new_version`,
    { json: {} },
  );
  await j.call(null, "auto", "DELETE", `${api}/${rid}/draft/files/more.txt`);
  await request(
    "auto",
    "request-create-publish-changed-metadata",
    "request-submit-publish-changed-metadata",
    `${api}/${rid}/draft/requests/publish_changed_metadata`,
  );
  await j.call("record-after-edit", "auto", "GET", `${api}/${rid}`, { user: null });

  // --- new_version -> files-import -> publish_new_version
  const nvSub = ok(
    await request(
      "auto",
      "request-create-new-version",
      "request-submit-new-version",
      `${api}/${rid}/requests/new_version`,
    ),
    200,
    "new version",
  );
  const nv = str((nvSub.payload as Record<string, unknown>)["draft_record:id"]);
  await j.call("new-version-draft-get", "auto", "GET", `${api}/${nv}/draft`);
  await j.call("new-version-files-list", "auto", "GET", `${api}/${nv}/draft/files`);
  await j.call(
    "new-version-requests-applicable",
    "auto",
    "GET",
    `${api}/${nv}/draft/requests/applicable`,
  );
  await j.call(
    "request-create-publish-new-version-no-files-400",
    "auto",
    "POST",
    `${api}/${nv}/draft/requests/publish_new_version`,
    { json: {} },
  );
  await j.call(
    "new-version-import-files",
    "auto",
    "POST",
    `${api}/${nv}/draft/actions/files-import`,
  );
  await request(
    "auto",
    "request-create-publish-new-version",
    "request-submit-publish-new-version",
    `${api}/${nv}/draft/requests/publish_new_version`,
  );
  await j.call("versions-list", "auto", "GET", `${api}/${rid}/versions`, { user: null });
  await j.call("latest-version", "auto", "GET", `${api}/${rid}/versions/latest`, { user: null });

  // --- new version through the curated workflow: the curator accepts publish_new_version
  const cnvSub = ok(
    await request("curated", null, null, `${api}/${cid}/requests/new_version`),
    200,
    "curated new version",
  );
  const cnv = str((cnvSub.payload as Record<string, unknown>)["draft_record:id"]);
  ok(
    await j.call(null, "curated", "POST", `${api}/${cnv}/draft/actions/files-import`),
    201,
    "files import",
  );
  const cnvPub = ok(
    await request(
      "curated",
      null,
      "request-submit-publish-new-version-curated",
      `${api}/${cnv}/draft/requests/publish_new_version`,
    ),
    200,
    "curated publish new version",
  );
  await j.call(
    "request-accept-publish-new-version",
    "curated",
    "POST",
    `/api/requests/${str(cnvPub.id)}/actions/accept`,
    { user: "curator", json: {} },
  );

  // --- searches
  await j.call("search-model", "auto", "GET", `${api}/?q=${WORD}&sort=newest`, { user: null });
  await j.call(
    "search-model-facet",
    "auto",
    "GET",
    `${api}/?q=${WORD}&metadata_resource_type=dataset`,
    {
      user: null,
    },
  );
  await j.call("search-model-allversions", "auto", "GET", `${api}/?q=${WORD}&allversions=true`, {
    user: null,
  });
  await j.call("search-user-model", "auto", "GET", `/api/user/simple/?q=${WORD}`);
  await j.call("search-user-model-anonymous", "auto", "GET", "/api/user/simple/", { user: null });
  await j.call("search-global", "auto", "GET", `/api/search/?q=${WORD}`, { user: null });
  await j.call("search-global-no-slash", "auto", "GET", `/api/search?q=${WORD}`, { user: null });
  await j.call("search-user-global", "auto", "GET", `/api/user/search/?q=${WORD}`);
  await j.call("search-invalid-sort-400", "auto", "GET", `${api}/?sort=nosuch`, { user: null });
  await j.call("search-invalid-query", "auto", "GET", `${api}/?q=title:(unclosed`, { user: null });
  await j.call("search-page-past-window-400", "auto", "GET", `${api}/?page=1000&size=100`, {
    user: null,
  });
  await j.call("requests-search", "auto", "GET", "/api/requests/?q=&sort=newest");
  await j.call("requests-search-no-slash", "auto", "GET", "/api/requests?q=");
  await j.call("requests-search-curator", "curated", "GET", "/api/requests/?q=status:submitted", {
    user: "curator",
  });
  await j.call("user-requests", "auto", "GET", "/api/user/requests");

  // --- delete_published_record
  await j.call(
    "request-create-delete-published-record-no-reason-400",
    "auto",
    "POST",
    `${api}/${rid}/requests/delete_published_record`,
    { json: {} },
  );
  await j.call(
    "request-create-delete-published-record-other-user-403",
    "auto",
    "POST",
    `${api}/${rid}/requests/delete_published_record`,
    { user: "other", json: { payload: { removal_reason: "spam" } } },
  );
  await request(
    "auto",
    "request-create-delete-published-record",
    "request-submit-delete-published-record",
    `${api}/${nv}/requests/delete_published_record`,
    { json: { payload: { removal_reason: "duplicate" } } },
  );
  await j.call("record-get-deleted-410", "auto", "GET", `${api}/${nv}`, { user: null });
  await j.call("record-get-deleted-as-admin", "auto", "GET", `${api}/${nv}`, { user: "admin" });
  const del = ok(
    await request(
      "curated",
      null,
      "request-submit-delete-published-record-curated",
      `${api}/${cid}/requests/delete_published_record`,
      { json: { payload: { removal_reason: "spam" } } },
    ),
    200,
    "curated delete",
  );
  await j.call(
    "request-accept-delete-published-record",
    "curated",
    "POST",
    `/api/requests/${str(del.id)}/actions/accept`,
    { user: "curator", json: {} },
  );
  await j.call("record-get-deleted-curated-410", "curated", "GET", `${api}/${cid}`, { user: null });
  await j.call("record-delete-direct-admin", "auto", "DELETE", `${api}/${rid}`, { user: "admin" });
  // Not recorded: the record deleted that way is gone (410), as after a delete request.
  ok(await j.call(null, "auto", "GET", `${api}/${rid}`, { user: null }), 410, "after delete");
}

describe("the nrp flavour answers as the recorded NRP repository (oarepo 12/13)", () => {
  const servers = {} as Record<Workflow, DevServer>;
  let j: Journey;
  let stopped: unknown = undefined;
  const judge = new Judge(DELIBERATE);

  beforeAll(async () => {
    // Range is ignored by the recorded repository (200 with the whole content).
    servers.auto = await startDevServer({
      flavour: "nrp",
      config: config("auto"),
      rangeRequests: false,
    });
    servers.curated = await startDevServer({
      flavour: "nrp",
      config: config("curated"),
      rangeRequests: false,
    });
    j = new Journey(servers, servers.auto.url);
    try {
      await journey(j);
    } catch (error) {
      stopped = error;
    }
  }, 120_000);
  afterAll(async () => {
    await servers.auto.close();
    await servers.curated.close();
  });

  it("the journey ran to its end and replayed every recorded exchange", () => {
    expect(stopped).toBeUndefined();
    expect([...EXCHANGES.keys()].filter((n) => !j.replayed.has(n))).toEqual([]);
  });

  for (const name of EXCHANGES.keys()) {
    it(name, () => {
      const replayed = j.replayed.get(name);
      if (replayed === undefined) throw new Error(`not replayed (journey: ${String(stopped)})`);
      expect(replayed.pathMismatch).toBeUndefined();
      // Links of the curated devserver carry its own origin: compare them on the auto one's.
      const { answer } = replayed;
      const curatedOrigin = servers.curated.url;
      const json =
        answer.json === undefined
          ? undefined
          : (JSON.parse(
              JSON.stringify(answer.json).split(curatedOrigin).join(servers.auto.url),
            ) as unknown);
      const location = answer.headers.get("location");
      const headers = new Headers(answer.headers);
      if (location !== null)
        headers.set("location", location.split(curatedOrigin).join(servers.auto.url));
      expect(
        judge.judge(replayed.recorded, { ...answer, json, headers }, j.ids, replayed.exactEtag),
      ).toEqual([]);
    });
  }

  it("every deliberate difference still occurs (the table is not stale)", () => {
    expect(judge.stale()).toEqual([]);
  });
});

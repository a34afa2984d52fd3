import { randomUUID } from "node:crypto";
import type { RequestTypeId, ResolvedModel } from "../../config/types.js";
import { readJsonBody } from "../../http/body.js";
import { booleanArg, param, requireUser, type RequestContext } from "../../http/context.js";
import {
  HttpError,
  NOT_FOUND_MESSAGE,
  PERMISSION_DENIED_MESSAGE,
  validationError,
} from "../../http/errors.js";
import { JSON_TYPE, UI_JSON_TYPE, negotiate } from "../../http/negotiate.js";
import { sendEmpty, sendJson } from "../../http/respond.js";
import { timestamp } from "../../store/records.js";
import type { EventRow, Reference, RequestRow } from "../../store/requests.js";
import type { Router } from "../../http/router.js";
import type { User } from "../../store/users.js";
import { Records } from "../records/service.js";
import { apiPrefix, recordModels, type Loaded } from "../records/serialize.js";
import { DEFAULT_PAGE_SIZE, parseSearchParams, searchResponse } from "../search-params.js";
import type { Service, ServiceContext } from "../service.js";
import {
  OPEN_STATUSES,
  applicableTypes,
  mayCreate,
  openOfType,
  topicStateOf,
} from "./applicable.js";
import { REVIEW_TYPE, detachedPayload, registerReviewRoutes } from "./review.js";
import {
  PAYLOAD_ERRORS_MESSAGE,
  REQUEST_TYPE_INFO,
  loadPayload,
  type RequestTypeInfo,
  type TopicState,
} from "./types.js";

/** Request actions of invenio-requests (customizations/actions.py), `create`/`delete` included. */
const ACTIONS = ["create", "submit", "delete", "accept", "cancel", "decline", "expire"] as const;
type Action = (typeof ACTIONS)[number];

/** The actions a client may find in `links.actions`: never `create` or `delete` (protocol §6.4). */
const LINKED_ACTIONS: readonly Action[] = ["submit", "accept", "decline", "cancel"];

/**
 * Legal transitions: invenio-requests' `status_from`/`status_to`, with oarepo-requests'
 * `OARepoCancelAction.status_from = ["created", "submitted"]` (protocol §6.5).
 */
const TRANSITIONS: Readonly<Record<Action, { from: readonly string[]; to: string }>> = {
  create: { from: [], to: "created" },
  submit: { from: ["created"], to: "submitted" },
  delete: { from: ["created"], to: "deleted" },
  accept: { from: ["submitted"], to: "accepted" },
  cancel: { from: ["created", "submitted"], to: "cancelled" },
  decline: { from: ["submitted"], to: "declined" },
  expire: { from: ["submitted"], to: "expired" },
};

/**
 * InvenioRDM runs invenio-requests' own actions, where `cancel` needs a submitted request
 * (`CancelAction.status_from = ["submitted"]`).
 */
const RDM_TRANSITIONS: Readonly<Record<Action, { from: readonly string[]; to: string }>> = {
  ...TRANSITIONS,
  cancel: { from: ["submitted"], to: "cancelled" },
};

/**
 * The log events the actions write (`LogEventType` payload `event`); submit writes none (as
 * InvenioRDM 13's timeline of a community submission shows, too).
 */
const LOGGED: Partial<Record<Action, string>> = {
  accept: "accepted",
  decline: "declined",
  cancel: "cancelled",
  expire: "expired",
};

/** InvenioRDM's statuses that are neither open nor closed: a request not submitted yet. */
const RDM_UNSUBMITTED: ReadonlySet<string> = new Set(["created"]);

/** The facet labels of InvenioRDM's requests search (`type` and `status` aggregations). */
const RDM_FACET_LABELS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  type: { [REVIEW_TYPE]: "Draft review", "community-inclusion": "Community inclusion" },
  status: {
    created: "Created",
    submitted: "Submitted",
    accepted: "Accepted",
    declined: "Declined",
    cancelled: "Cancelled",
    expired: "Expired",
  },
};

/** IREQ's event type ids: comments and logs. */
const COMMENT = "C";
const LOG = "L";

/** A request's `ETag`: its revision, quoted (oarepo-requests 2.5 sends it with every request). */
function etagOf(row: RequestRow): Record<string, string> {
  return { ETag: `"${String(row.revisionId)}"` };
}

/** The receiver oarepo's `AutoApprove` generator resolves to (resolvers/auto_approve.py). */
const AUTO_APPROVE: Reference = { auto_approve: "true" };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether a request's type declares no payload fields and its payload is empty. */
function declaresNoPayload(row: RequestRow): boolean {
  const info = (REQUEST_TYPE_INFO as Readonly<Record<string, RequestTypeInfo | undefined>>)[
    row.type
  ];
  return (
    info !== undefined &&
    Object.keys(info.payload).length === 0 &&
    Object.keys(row.payload).length === 0
  );
}

/** A request action error of IREQ (`NoSuchActionError`, `CannotExecuteActionError`). */
function actionError(action: string, reason: string): HttpError {
  return new HttpError(400, `Error for action '${action}': ${reason}`);
}

/** The single key and value of a reference dict. */
function refEntry(ref: Reference): [string, string] {
  const [entry] = Object.entries(ref);
  return entry ?? ["", ""];
}

/**
 * Requests on records: invenio-requests with oarepo-requests' record requests (`nrp` flavour,
 * protocol §6), or with InvenioRDM's community-submission reviews (`rdm` flavour).
 */
class Requests {
  private readonly app: ServiceContext;
  private readonly records = new Map<string, Records>();
  private readonly rdm: boolean;
  private readonly transitions: Readonly<Record<Action, { from: readonly string[]; to: string }>>;

  constructor(app: ServiceContext) {
    this.app = app;
    this.rdm = app.flavour === "rdm";
    this.transitions = this.rdm ? RDM_TRANSITIONS : TRANSITIONS;
    for (const model of recordModels(app)) {
      if (this.rdm || model.features.includes("requests") || model.review)
        this.records.set(model.type, new Records(app, model));
    }
  }

  /** The records service of a model with requests (InvenioRDM's `records` on `rdm`). */
  modelRecords(model: string): Records {
    return this.recordsOf(model);
  }

  private recordsOf(model: string): Records {
    const r = this.records.get(model);
    if (r === undefined) throw new HttpError(500, `Model ${model} has no requests.`);
    return r;
  }

  private isAdmin(user: User | undefined): boolean {
    return user?.roles.includes("admin") === true;
  }

  /** The administrator who receives requests on records outside any community. */
  private adminReceiver(): Reference {
    const admin = this.app.users.list().find((u) => u.roles.includes("admin"));
    return { user: String(admin?.id ?? 1) };
  }

  /** Whether `user` is (one of) the receiver(s): a curator of the community, or the user named. */
  isReceiver(user: User | undefined, receiver: Reference | null): boolean {
    if (user === undefined || receiver === null) return false;
    const [kind, value] = refEntry(receiver);
    if (kind === "user") return value === String(user.id);
    if (kind === "community") {
      return this.app.records.community(value)?.curators.includes(user.username) === true;
    }
    if (kind === "community_role") {
      // oarepo-communities' CommunityRoleResolver: `<community uuid>:<role>`, every member with
      // that role. A community stored before roles existed falls back to its curators.
      const [communityId = "", role = ""] = value.split(":");
      const community = this.app.records.community(communityId);
      if (community === undefined) return false;
      const members =
        Object.keys(community.roles).length === 0 ? community.curators : community.roles[role];
      return members?.includes(user.username) === true;
    }
    return false;
  }

  private canRead(user: User | undefined, row: RequestRow): boolean {
    if (user === undefined) return false;
    return this.isAdmin(user) || row.createdBy === user.id || this.isReceiver(user, row.receiver);
  }

  /**
   * `can_action_<name>` of IREQ's permission policy: the creator submits, cancels and deletes, the
   * receiver accepts and declines, only the system expires and nobody creates through an action.
   */
  private mayAct(user: User | undefined, row: RequestRow, action: Action): boolean {
    if (user === undefined) return false;
    switch (action) {
      case "submit":
      case "cancel":
      case "delete":
        return this.isAdmin(user) || row.createdBy === user.id;
      case "accept":
      case "decline":
        return this.isAdmin(user) || this.isReceiver(user, row.receiver);
      case "create":
      case "expire":
        return false;
    }
  }

  /** The record state a topic is in now, or undefined when it no longer exists. */
  private topicState(model: string, id: string): { state: TopicState; loaded: Loaded } | undefined {
    const r = this.recordsOf(model);
    const store = this.app.records;
    const draft = store.item("draft", id);
    if (draft?.model === model) {
      const loaded = r.loadDraft(id);
      if (store.item("record", id) !== undefined) return { state: "edit-draft", loaded };
      return { state: draft.versionIndex > 1 ? "new-version-draft" : "initial-draft", loaded };
    }
    const record = store.item("record", id);
    if (record?.model === model) return { state: "published", loaded: r.loadRecord(id) };
    return undefined;
  }

  /** `links.topic`: the resolved topic's own links (oarepo `RequestEntityLinks`). */
  private topicLinks(origin: string, model: string, id: string): Record<string, string> {
    const api = `${origin}/api/${model}/${id}`;
    const html = `${origin}/${model}/${id}`;
    if (
      this.app.records.item("draft", id) !== undefined &&
      this.app.records.item("record", id) === undefined
    ) {
      return { self: `${api}/draft`, self_html: `${html}/preview` };
    }
    return { self: api, self_html: html };
  }

  /**
   * The request JSON of protocol §6.4. `self` is oarepo's `/api/requests/extended/<id>` when the
   * oarepo service serves it and IREQ's `/api/requests/<id>` for the generic endpoints.
   */
  dump(ctx: RequestContext, row: RequestRow, extended: boolean): Record<string, unknown> {
    const generic = `${ctx.origin}/api/requests/${row.id}`;
    const self = extended ? `${ctx.origin}/api/requests/extended/${row.id}` : generic;
    const actions: Record<string, string> = {};
    for (const action of LINKED_ACTIONS) {
      if (
        this.transitions[action].from.includes(row.status) &&
        this.mayAct(ctx.user, row, action)
      ) {
        actions[action] = `${generic}/actions/${action}`;
      }
    }
    if (this.rdm) return this.dumpRdm(ctx, row, actions);
    const open = OPEN_STATUSES.has(row.status);
    return {
      id: row.id,
      created: row.created,
      updated: row.updated,
      revision_id: row.revisionId,
      type: row.type,
      title: row.title,
      ...(row.description === null ? {} : { description: row.description }),
      number: String(row.number),
      status: row.status,
      is_closed: !open,
      is_open: open,
      expires_at: row.expiresAt,
      is_expired: row.status === "expired",
      created_by: { user: String(row.createdBy) },
      receiver: row.receiver,
      topic: { [row.topicModel]: row.topicId },
      // oarepo-requests dumps no payload for a type that declares none (delete_draft, recorded
      // `request-create-delete-draft`) while it is empty.
      ...(declaresNoPayload(row) ? {} : { payload: row.payload }),
      links: {
        actions,
        self,
        self_html: `${ctx.origin}/requests/${row.id}`,
        comments: `${self}/comments`,
        timeline: `${self}/timeline`,
        topic: this.topicLinks(ctx.origin, row.topicModel, row.topicId),
        created_by: {},
        receiver: {},
      },
    };
  }

  /**
   * invenio-requests' `RequestSchema` as InvenioRDM 13 dumps it: no payload or topic links, the
   * topic as `{"record": "<id>"}`, and a request not submitted yet neither open nor closed.
   */
  private dumpRdm(
    ctx: RequestContext,
    row: RequestRow,
    actions: Record<string, string>,
  ): Record<string, unknown> {
    const self = `${ctx.origin}/api/requests/${row.id}`;
    const open = row.status === "submitted";
    return {
      id: row.id,
      created: row.created,
      updated: row.updated,
      links: {
        actions,
        self,
        self_html: `${ctx.origin}/requests/${row.id}`,
        comments: `${self}/comments`,
        timeline: `${self}/timeline`,
      },
      revision_id: row.revisionId,
      type: row.type,
      title: row.title,
      number: String(row.number),
      status: row.status,
      is_closed: !open && !RDM_UNSUBMITTED.has(row.status),
      is_open: open,
      expires_at: row.expiresAt,
      is_expired: row.status === "expired",
      created_by: { user: String(row.createdBy) },
      receiver: row.receiver,
      topic: { record: row.topicId },
    };
  }

  /**
   * Sends a request's JSON, on the `rdm` flavour with IREQ's `ETag` unless `etag` is false
   * (RDM's review endpoints of a draft answer the same request without one).
   */
  sendRequest(
    ctx: RequestContext,
    status: number,
    row: RequestRow,
    extra: Record<string, unknown> = {},
    etag = true,
  ): void {
    const body = this.dump(ctx, row, false);
    if (Object.keys(extra).length > 0) body.links = { ...(body.links as object), ...extra };
    const contentType = negotiate(ctx.req.headers.accept, [JSON_TYPE, UI_JSON_TYPE]);
    const headers: Record<string, string> =
      this.rdm && etag ? { ETag: `"${String(row.revisionId)}"` } : {};
    sendJson(ctx.res, status, body, headers, contentType);
  }

  private send(
    ctx: RequestContext,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const contentType = negotiate(ctx.req.headers.accept, [JSON_TYPE, UI_JSON_TYPE]);
    sendJson(ctx.res, status, body, headers, contentType);
  }

  /** A comment event with its `ETag` (IREQ's comments resource sends one on both flavours). */
  private sendEvent(ctx: RequestContext, status: number, event: EventRow, self: string): void {
    this.send(ctx, status, this.dumpEvent(ctx, event, self), {
      ETag: `"${String(event.revisionId)}"`,
    });
  }

  /** A request by id; a malformed id is Werkzeug's 404 (`<uuid:id>` routes, IREQ v7). */
  private load(ctx: RequestContext): RequestRow {
    const id = param(ctx, "requestId");
    if (!UUID.test(id)) throw new HttpError(404, NOT_FOUND_MESSAGE);
    const row = this.app.requests.get(id.toLowerCase());
    if (row === undefined) throw new HttpError(404, "The persistent identifier does not exist.");
    if (!this.canRead(ctx.user, row)) throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    return row;
  }

  /** The model and record state behind a `…/<id>[/draft]/requests…` route. */
  private recordTopic(
    ctx: RequestContext,
    model: ResolvedModel,
    draft: boolean,
  ): { state: TopicState; loaded: Loaded } {
    const r = this.recordsOf(model.type);
    const id = param(ctx, "id");
    if (draft) {
      const loaded = r.loadDraft(id);
      if (!r.access.canReadDraft(ctx.user, loaded.parent)) {
        throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
      }
      return { state: topicStateOf(this.app, loaded), loaded };
    }
    return { state: "published", loaded: r.loadRecord(id) };
  }

  /** `GET …/[draft/]requests/applicable` (oarepo `RequestTypesList`, protocol §6.2). */
  applicableList(ctx: RequestContext, model: ResolvedModel, draft: boolean): void {
    const { loaded } = this.recordTopic(ctx, model, draft);
    const base = `${ctx.origin}${apiPrefix(model)}/${loaded.item.id}${draft ? "/draft" : ""}/requests`;
    const hits = applicableTypes(this.app, ctx.origin, ctx.user, model, loaded);
    this.send(ctx, 200, {
      hits: { hits, total: hits.length },
      links: { self: `${base}/applicable` },
    });
  }

  /** `GET …/[draft/]requests`: the requests whose topic is this record, that the caller sees. */
  recordList(ctx: RequestContext, model: ResolvedModel, draft: boolean): void {
    if (this.rdm) {
      this.recordListRdm(ctx, model);
      return;
    }
    const { loaded } = this.recordTopic(ctx, model, draft);
    const params = parseSearchParams(ctx.query, ["newest", "oldest", "bestmatch"]);
    const { hits, total } = this.topicRequests(ctx, model, loaded.item.id, params);
    const base = `${ctx.origin}${apiPrefix(model)}/${loaded.item.id}${draft ? "/draft" : ""}/requests`;
    this.send(ctx, 200, searchResponse(base, undefined, params, hits, total));
  }

  /** One page of the requests about record `id` that the caller may read, as their JSON. */
  topicRequests(
    ctx: RequestContext,
    model: ResolvedModel,
    id: string,
    params: { sort: string; page: number; size: number },
  ): { hits: Record<string, unknown>[]; total: number } {
    let rows = this.app.requests
      .forTopic(model.type, id)
      .filter((row) => this.canRead(ctx.user, row));
    if (params.sort === "oldest") rows = rows.reverse();
    const page = rows.slice((params.page - 1) * params.size, params.page * params.size);
    return { hits: page.map((row) => this.dump(ctx, row, true)), total: rows.length };
  }

  /**
   * `GET /api/records/<id>/requests` of InvenioRDM: the requests about a published record (a
   * draft never published is "not registered", 404), newest first. RDM builds the paging links
   * from `/api/requests`.
   */
  private recordListRdm(ctx: RequestContext, model: ResolvedModel): void {
    const id = param(ctx, "id");
    this.recordsOf(model.type).loadRecord(id);
    const params = parseSearchParams(ctx.query, ["newest", "oldest", "bestmatch"]);
    let rows = this.app.requests
      .forTopic(model.type, id)
      .filter((row) => row.status !== "deleted" && this.canRead(ctx.user, row));
    if (params.sort === "oldest") rows = rows.reverse();
    const page = rows.slice((params.page - 1) * params.size, params.page * params.size);
    const hits = page.map((row) => this.dump(ctx, row, false));
    this.send(ctx, 200, {
      ...searchResponse(`${ctx.origin}/api/requests`, undefined, params, hits, rows.length),
      aggregations: this.aggregations(rows),
    });
  }

  /** The `type` and `status` facets of InvenioRDM's requests searches. */
  private aggregations(rows: readonly RequestRow[]): Record<string, unknown> {
    const facet = (name: "type" | "status", label: string): Record<string, unknown> => {
      const counts = new Map<string, number>();
      for (const row of rows) counts.set(row[name], (counts.get(row[name]) ?? 0) + 1);
      const labels = RDM_FACET_LABELS[name] ?? {};
      return {
        buckets: [...counts].map(([key, count]) => ({
          key,
          doc_count: count,
          label: labels[key] ?? key,
          is_selected: false,
        })),
        label,
      };
    };
    return { type: facet("type", "Type"), status: facet("status", "Status") };
  }

  /**
   * `POST …/[draft/]requests/<type>` (oarepo `OARepoRequestsService.create`, protocol §6.3):
   * unknown type, payload schema, `can_create` (permission, then an open request of the type),
   * then for publish types the open-requests check and `validate_topic`.
   */
  async create(ctx: RequestContext, model: ResolvedModel, draft: boolean): Promise<void> {
    const body = (await readJsonBody(ctx.req)) ?? {};
    const { loaded } = this.recordTopic(ctx, model, draft);
    const typeId = param(ctx, "type");
    const info = (REQUEST_TYPE_INFO as Readonly<Record<string, RequestTypeInfo | undefined>>)[
      typeId
    ];
    if (info === undefined) throw new HttpError(400, `Unknown request type ${typeId}.`);
    const data = isObject(body) ? body : {};
    const { payload, errors } = loadPayload(info, data.payload);
    if (errors.length > 0) {
      throw new HttpError(400, PAYLOAD_ERRORS_MESSAGE, {
        extra: { request_payload_errors: errors },
      });
    }
    if (!mayCreate(this.app, ctx.user, model, info.id, loaded)) {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
    const user = requireUser(ctx);
    const topicId = loaded.item.id;
    if (openOfType(this.app, model.type, topicId, info.id)) {
      throw new HttpError(400, `There is already an open request of ${info.name} on ${topicId}.`);
    }
    if (info.publishes) {
      // oarepo publish_base.py: `assert_no_pending_requests`, then `validate_topic`.
      const pending = this.app.requests
        .forTopic(model.type, topicId)
        .some((r) => OPEN_STATUSES.has(r.status));
      if (pending) {
        throw new HttpError(
          400,
          `Cannot ${info.name.toLowerCase()}: All open requests must be closed first.`,
        );
      }
      this.recordsOf(model.type).checkPublishable(loaded.item);
    }
    const now = timestamp();
    const community = loaded.parent.communities[0];
    const receiver: Reference = model.requests.autoAccept.includes(info.id)
      ? AUTO_APPROVE
      : community === undefined
        ? this.adminReceiver()
        : { community_role: `${community}:${model.requests.receivers[info.id] ?? "curator"}` };
    const row: RequestRow = {
      id: randomUUID(),
      number: this.app.requests.nextNumber(),
      type: info.id,
      title: typeof data.title === "string" ? data.title : "",
      description: typeof data.description === "string" ? data.description : null,
      status: "created",
      createdBy: user.id,
      receiver,
      topicModel: model.type,
      topicId,
      payload,
      expiresAt: null,
      revisionId: 1,
      created: now,
      updated: now,
    };
    this.app.requests.put(row);
    this.send(ctx, 201, this.dump(ctx, row, true), etagOf(row));
  }

  read(ctx: RequestContext, extended: boolean): void {
    const row = this.load(ctx);
    if (this.rdm) this.sendRequest(ctx, 200, row);
    else this.send(ctx, 200, this.dump(ctx, row, extended), etagOf(row));
  }

  /** `PUT /api/requests/<id>`: title, description and payload, by the creator while `created`. */
  async update(ctx: RequestContext, extended: boolean): Promise<void> {
    const body = (await readJsonBody(ctx.req)) ?? {};
    const row = this.load(ctx);
    if (!this.mayAct(ctx.user, row, "delete") || row.status !== "created") {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
    const data = isObject(body) ? body : {};
    const info = (REQUEST_TYPE_INFO as Readonly<Record<string, RequestTypeInfo | undefined>>)[
      row.type
    ];
    let payload = row.payload;
    // InvenioRDM's review requests have no payload schema: only title and description change.
    if ("payload" in data && info !== undefined) {
      const loaded = loadPayload(info, data.payload);
      if (loaded.errors.length > 0) {
        throw new HttpError(400, PAYLOAD_ERRORS_MESSAGE, {
          extra: { request_payload_errors: loaded.errors },
        });
      }
      payload = loaded.payload;
    }
    const next: RequestRow = {
      ...row,
      title: typeof data.title === "string" ? data.title : row.title,
      description: typeof data.description === "string" ? data.description : row.description,
      payload,
      revisionId: row.revisionId + 1,
      updated: timestamp(),
    };
    this.app.requests.put(next);
    if (this.rdm) this.sendRequest(ctx, 200, next);
    else this.send(ctx, 200, this.dump(ctx, next, extended), etagOf(next));
  }

  /**
   * `DELETE /api/requests/<id>` (IREQ `delete`): the permission, then the `delete` action, legal
   * only while `created`; the request is gone afterwards.
   */
  remove(ctx: RequestContext): void {
    const row = this.load(ctx);
    if (!this.mayAct(ctx.user, row, "delete")) throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    if (!this.transitions.delete.from.includes(row.status)) {
      throw actionError("delete", "Could not execute the action");
    }
    this.app.records.transaction(() => {
      this.app.requests.delete(row.id);
    });
    sendEmpty(ctx.res, 204);
  }

  /**
   * `POST /api/requests/<id>/actions/<action>` in IREQ `execute_action`'s order: unknown action
   * (400), permission (403), illegal transition (400), then the action's effect and a comment
   * from the body's `payload`.
   */
  async action(ctx: RequestContext): Promise<void> {
    const body = await readJsonBody(ctx.req);
    const row = this.load(ctx);
    const name = param(ctx, "action");
    if (!(ACTIONS as readonly string[]).includes(name)) {
      throw actionError(name, "No such action available");
    }
    const action = name as Action;
    if (!this.mayAct(ctx.user, row, action)) throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    if (!this.transitions[action].from.includes(row.status)) {
      throw actionError(action, "Could not execute the action");
    }
    const comment = isObject(body) && isObject(body.payload) ? body.payload : undefined;
    const user = requireUser(ctx);
    if (this.rdm) {
      this.sendRequest(ctx, 200, await this.act(ctx, row, action, user.id, comment));
      return;
    }
    let next = await this.transition(ctx, row, action, user.id);
    if (comment !== undefined) this.addComment(next, user.id, comment);
    // oarepo's auto-approve: a submitted request whose receiver is `auto_approve` is accepted by
    // the system at once, so submit answers `accepted` (protocol §6.5 flow 2).
    if (action === "submit" && refEntry(next.receiver ?? {})[0] === "auto_approve") {
      next = await this.transition(ctx, next, "accept", null);
    }
    this.send(ctx, 200, this.dump(ctx, next, false), etagOf(next));
  }

  /** Runs an action whose transition and permission were checked, then stores a comment. */
  private async act(
    ctx: RequestContext,
    row: RequestRow,
    action: Action,
    by: number,
    comment: Record<string, unknown> | undefined,
  ): Promise<RequestRow> {
    const next = await this.transition(ctx, row, action, by);
    if (comment !== undefined) this.addComment(next, by, comment);
    return next;
  }

  /**
   * IREQ's `submit` of a review request, for `…/draft/actions/submit-review`; the caller checked
   * that the draft is the creator's to manage.
   */
  async submitReview(
    ctx: RequestContext,
    row: RequestRow,
    comment: Record<string, unknown> | undefined,
  ): Promise<RequestRow> {
    if (!this.transitions.submit.from.includes(row.status)) {
      throw actionError("submit", "Could not execute the action");
    }
    return this.act(ctx, row, "submit", requireUser(ctx).id, comment);
  }

  /** Runs an action's effect on the topic, then stores the new status and its log event. */
  private async transition(
    ctx: RequestContext,
    row: RequestRow,
    action: Action,
    by: number | null,
  ): Promise<RequestRow> {
    let payload = row.payload;
    let title = row.title;
    if (row.type === REVIEW_TYPE) {
      const effect = await this.reviewEffect(row, action);
      payload = { ...payload, ...effect.payload };
      title = effect.title ?? title;
    } else if (action === "accept") {
      payload = { ...payload, ...(await this.accept(ctx, row, by)) };
    }
    const now = timestamp();
    const next: RequestRow = {
      ...row,
      title,
      status: this.transitions[action].to,
      payload,
      revisionId: row.revisionId + 1,
      updated: now,
    };
    const logged = LOGGED[action];
    this.app.records.transaction(() => {
      this.app.requests.put(next);
      if (logged !== undefined) {
        this.app.requests.addEvent({
          id: randomUUID(),
          requestId: row.id,
          type: LOG,
          createdBy: by,
          payload: { event: logged },
          revisionId: 1,
          created: now,
          updated: now,
        });
      }
    });
    return next;
  }

  /**
   * What the actions of InvenioRDM's community submission do to the draft
   * (invenio-rdm-records requests/community_submission.py): submit validates it and takes its
   * title; accept adds the community to the parent (as default) and publishes it; cancel unsets
   * the review; decline and expire keep it, closed. Accept and cancel detach the request.
   */
  private async reviewEffect(
    row: RequestRow,
    action: Action,
  ): Promise<{ payload: Record<string, string>; title?: string }> {
    if (action !== "submit" && action !== "accept" && action !== "cancel") return { payload: {} };
    const r = this.recordsOf(row.topicModel);
    const store = this.app.records;
    const item = store.item("draft", row.topicId);
    if (item === undefined) {
      if (action === "cancel") return { payload: detachedPayload() };
      throw actionError(action, "Could not execute the action");
    }
    const loaded = r.loadDraft(row.topicId);
    if (action === "cancel") return { payload: detachedPayload() };
    r.checkPublishable(item);
    if (action === "submit") {
      const title = item.data.title;
      return { payload: {}, title: typeof title === "string" ? title : row.title };
    }
    const [kind, communityId] = refEntry(row.receiver ?? {});
    if (kind !== "community") throw actionError(action, "Could not execute the action");
    const parent = {
      ...loaded.parent,
      communities: [communityId, ...loaded.parent.communities.filter((c) => c !== communityId)],
      updated: timestamp(),
    };
    store.updateParent(parent);
    await r.publishDraft({ ...loaded, parent });
    return { payload: detachedPayload() };
  }

  /**
   * What accepting does to the topic (oarepo-requests actions/*.py) and the payload keys it adds
   * (`AddTopicLinksOnPayloadMixin`: colon keys, protocol §6.2).
   */
  private async accept(
    ctx: RequestContext,
    row: RequestRow,
    by: number | null,
  ): Promise<Record<string, string>> {
    const r = this.recordsOf(row.topicModel);
    const topic = this.topicState(row.topicModel, row.topicId);
    if (topic === undefined) throw actionError("accept", "Could not execute the action");
    const api = `${ctx.origin}/api/${row.topicModel}`;
    const html = `${ctx.origin}/${row.topicModel}`;
    const info = REQUEST_TYPE_INFO[row.type as RequestTypeId];
    if (info.publishes) {
      if (topic.loaded.kind !== "draft")
        throw actionError("accept", "Could not execute the action");
      const published = await r.publishDraft(topic.loaded);
      return {
        "published_record:links:self": `${api}/${published.item.id}`,
        "published_record:links:self_html": `${html}/${published.item.id}`,
      };
    }
    switch (info.id) {
      case "edit_published_record": {
        const draft = r.openEditDraft(r.loadRecord(row.topicId));
        return {
          "draft_record:links:self": `${api}/${draft.item.id}/draft`,
          "draft_record:links:self_html": `${html}/${draft.item.id}/preview`,
        };
      }
      case "new_version": {
        const record = r.loadRecord(row.topicId);
        const draft = r.openNewVersion(record);
        if (row.payload.keep_files === "yes") this.keepFiles(record, draft);
        return {
          "draft_record:id": draft.item.id,
          "draft_record:links:self": `${api}/${draft.item.id}/draft`,
          "draft_record:links:self_html": `${html}/${draft.item.id}/preview`,
        };
      }
      case "delete_published_record":
        await r.removeRecord(r.loadRecord(row.topicId), {
          reason: row.payload.removal_reason ?? "",
          note: row.payload.note ?? null,
          by,
        });
        return {};
      case "delete_draft":
        await r.removeDraft(r.loadDraft(row.topicId));
        return {};
      default:
        return {};
    }
  }

  /** `keep_files: yes` of oarepo's new_version: the new draft imports the previous files. */
  private keepFiles(record: Loaded, draft: Loaded): void {
    const { files } = this.app;
    if (!record.item.filesEnabled || !draft.item.filesEnabled) return;
    if (files.count("draft", draft.item.id) > 0) return;
    this.app.records.transaction(() => {
      files.replaceAll(
        { kind: "record", id: record.item.id },
        { kind: "draft", id: draft.item.id },
        timestamp(),
      );
    });
  }

  private addComment(row: RequestRow, by: number, payload: Record<string, unknown>): EventRow {
    const content = payload.content;
    if (typeof content !== "string" || content === "") {
      throw validationError([
        { field: "payload.content", messages: ["Missing data for required field."] },
      ]);
    }
    const now = timestamp();
    const event: EventRow = {
      id: randomUUID(),
      requestId: row.id,
      type: COMMENT,
      createdBy: by,
      payload: { content, format: typeof payload.format === "string" ? payload.format : "html" },
      revisionId: 1,
      created: now,
      updated: now,
    };
    this.app.requests.addEvent(event);
    return event;
  }

  /**
   * `RequestEventSchema` (protocol §6.7); system events are created by `{"user": "system"}`. A
   * comment's `permissions` are its author's, and a superuser's (who passes every permission).
   */
  private dumpEvent(ctx: RequestContext, event: EventRow, self: string): Record<string, unknown> {
    const mine =
      ctx.user !== undefined && (event.createdBy === ctx.user.id || this.isAdmin(ctx.user));
    return {
      id: event.id,
      created: event.created,
      updated: event.updated,
      links: { self: `${self}/comments/${event.id}` },
      revision_id: event.revisionId,
      type: event.type,
      created_by: { user: event.createdBy === null ? "system" : String(event.createdBy) },
      payload: event.payload,
      permissions: {
        can_update_comment: mine && event.type === COMMENT,
        can_delete_comment: mine && event.type === COMMENT,
      },
    };
  }

  private selfOf(ctx: RequestContext, row: RequestRow, extended: boolean): string {
    return `${ctx.origin}/api/requests/${extended ? "extended/" : ""}${row.id}`;
  }

  /** `POST …/comments` (201, the comment event). */
  async comment(ctx: RequestContext, extended: boolean): Promise<void> {
    const body = await readJsonBody(ctx.req);
    const row = this.load(ctx);
    const user = requireUser(ctx);
    const payload = isObject(body) && isObject(body.payload) ? body.payload : {};
    const event = this.addComment(row, user.id, payload);
    this.sendEvent(ctx, 201, event, this.selfOf(ctx, row, extended));
  }

  /** `GET …/comments/<event>`. */
  readComment(ctx: RequestContext, extended: boolean): void {
    const row = this.load(ctx);
    const event = this.app.requests.events(row.id).find((e) => e.id === param(ctx, "eventId"));
    if (event === undefined) throw new HttpError(404, "The persistent identifier does not exist.");
    this.sendEvent(ctx, 200, event, this.selfOf(ctx, row, extended));
  }

  /** A comment of the caller's (or any, for `admin`), for editing or deleting it. */
  private ownComment(ctx: RequestContext, row: RequestRow): EventRow {
    const event = this.app.requests.events(row.id).find((e) => e.id === param(ctx, "eventId"));
    if (event === undefined) throw new HttpError(404, "The persistent identifier does not exist.");
    const user = requireUser(ctx);
    if (event.type !== COMMENT || (event.createdBy !== user.id && !this.isAdmin(user))) {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
    return event;
  }

  /** `PUT …/comments/<event>`: the author replaces the content. */
  async updateComment(ctx: RequestContext, extended: boolean): Promise<void> {
    const body = await readJsonBody(ctx.req);
    const row = this.load(ctx);
    const event = this.ownComment(ctx, row);
    const payload = isObject(body) && isObject(body.payload) ? body.payload : {};
    const content = payload.content;
    if (typeof content !== "string" || content === "") {
      throw validationError([
        { field: "payload.content", messages: ["Missing data for required field."] },
      ]);
    }
    const next: EventRow = {
      ...event,
      payload: { content, format: typeof payload.format === "string" ? payload.format : "html" },
      revisionId: event.revisionId + 1,
      updated: timestamp(),
    };
    this.app.requests.updateEvent(next);
    this.sendEvent(ctx, 200, next, this.selfOf(ctx, row, extended));
  }

  /**
   * `DELETE …/comments/<event>` (204): IREQ keeps the event in the timeline as a log saying the
   * comment was deleted.
   */
  deleteComment(ctx: RequestContext): void {
    const row = this.load(ctx);
    const event = this.ownComment(ctx, row);
    this.app.requests.updateEvent({
      ...event,
      type: LOG,
      payload: { event: "comment_deleted", content: "deleted a comment", format: "html" },
      revisionId: event.revisionId + 1,
      updated: timestamp(),
    });
    sendEmpty(ctx.res, 204);
  }

  /** `GET …/timeline` and `GET …/comments`: the events, oldest first, as a search result. */
  timeline(ctx: RequestContext, extended: boolean, onlyComments: boolean): void {
    const row = this.load(ctx);
    const params = parseSearchParams(ctx.query, ["newest", "oldest", "bestmatch"]);
    const events = this.app.requests.events(row.id, onlyComments ? COMMENT : undefined);
    if (ctx.query.get("sort") === "newest") events.reverse();
    const self = this.selfOf(ctx, row, extended);
    const page = events.slice((params.page - 1) * params.size, params.page * params.size);
    const hits = page.map((e) => this.dumpEvent(ctx, e, self));
    const base = `${self}/${onlyComments ? "comments" : "timeline"}`;
    if (this.rdm) {
      // IREQ's events search: no aggregations, the page number beside the hits.
      const sort = ctx.query.get("sort") ?? "oldest";
      const { links } = searchResponse(base, undefined, { ...params, sort }, hits, events.length);
      this.send(ctx, 200, {
        hits: { hits, total: events.length },
        sortBy: sort,
        page: params.page,
        links,
      });
      return;
    }
    this.send(
      ctx,
      200,
      searchResponse(
        base,
        undefined,
        { ...params, sort: ctx.query.get("sort") ?? "oldest" },
        hits,
        events.length,
      ),
    );
  }

  /**
   * InvenioRDM's `GET /api/requests/` and `GET /api/user/requests` (invenio-requests 7): what the
   * caller may read, the user search only what they created or what is addressed to them as a
   * user; filtered by the `type` and `status` facets, `is_open`, the references `topic`,
   * `created_by` and `receiver` (`TYPE:ID`) and simple `field:value` terms of `q`. oarepo's
   * `mine` and `assigned` are not parameters there and are ignored.
   */
  private searchRdm(ctx: RequestContext, path: string): void {
    const user = requireUser(ctx);
    const params = parseSearchParams(ctx.query, ["newest", "oldest", "bestmatch"]);
    const q = ctx.query;
    const ref = (name: string) => referenceParam(q, name);
    const filters = (["topic", "created_by", "receiver"] as const).map(
      (name) => [name, ref(name)] as const,
    );
    const statuses = q.getAll("status").filter((s) => s !== "");
    const types = q.getAll("type").filter((s) => s !== "");
    const rawOpen = q.get("is_open");
    const isOpen = rawOpen === null || rawOpen === "" ? undefined : ["true", "1"].includes(rawOpen);
    const mineOnly = path === "/api/user/requests";
    const refOf = (row: RequestRow, name: "topic" | "created_by" | "receiver"): Reference =>
      name === "topic"
        ? { record: row.topicId }
        : name === "created_by"
          ? { user: String(row.createdBy) }
          : (row.receiver ?? {});
    let rows = this.app.requests.all().filter((row) => {
      if (row.status === "deleted" || !this.canRead(user, row)) return false;
      if (mineOnly) {
        const [kind, value] = refEntry(row.receiver ?? {});
        const received = kind === "user" && value === String(user.id);
        if (row.createdBy !== user.id && !received) return false;
      }
      if (statuses.length > 0 && !statuses.includes(row.status)) return false;
      if (types.length > 0 && !types.includes(row.type)) return false;
      if (isOpen !== undefined && (row.status === "submitted") !== isOpen) return false;
      for (const [name, wanted] of filters) {
        if (wanted === undefined) continue;
        const [kind, value] = refEntry(refOf(row, name));
        if (kind !== wanted[0] || value !== wanted[1]) return false;
      }
      return rdmQueryMatches(params.q, row);
    });
    if (params.sort === "oldest") rows = rows.reverse();
    const page = rows.slice((params.page - 1) * params.size, params.page * params.size);
    const hits = page.map((row) => this.dump(ctx, row, false));
    this.send(ctx, 200, {
      ...searchResponse(`${ctx.origin}${path}`, undefined, params, hits, rows.length),
      aggregations: this.aggregations(rows),
    });
  }

  /**
   * `GET /api/requests/` (IREQ search with oarepo's extra filters, protocol §6.6): what the caller
   * may read, filtered by `status`, `type`, `is_open`, `is_closed`, `mine`, `assigned`, `topic`,
   * `created_by` and `receiver` (references as `TYPE:ID`).
   */
  search(ctx: RequestContext, path: string): void {
    if (this.rdm) {
      this.searchRdm(ctx, path);
      return;
    }
    const user = requireUser(ctx);
    const params = parseSearchParams(ctx.query, ["newest", "oldest", "bestmatch"]);
    const q = ctx.query;
    const refFilter = (name: string) => referenceParam(q, name);
    const flag = (name: string): boolean | undefined => booleanArg(q, name);
    const topic = refFilter("topic");
    const createdBy = refFilter("created_by");
    const receiver = refFilter("receiver");
    const statuses = q.getAll("status").filter((s) => s !== "");
    const types = q.getAll("type").filter((s) => s !== "");
    const isOpen = flag("is_open");
    const isClosed = flag("is_closed");
    const mine = flag("mine");
    const assigned = flag("assigned");
    const matches = (row: RequestRow): boolean => {
      if (!this.canRead(user, row)) return false;
      if (statuses.length > 0 && !statuses.includes(row.status)) return false;
      if (types.length > 0 && !types.includes(row.type)) return false;
      const open = OPEN_STATUSES.has(row.status);
      if (isOpen !== undefined && open !== isOpen) return false;
      if (isClosed !== undefined && open === isClosed) return false;
      if (mine === true && row.createdBy !== user.id) return false;
      if (
        assigned === true &&
        (row.createdBy === user.id || !this.isReceiver(user, row.receiver))
      ) {
        return false;
      }
      if (topic !== undefined && (row.topicModel !== topic[0] || row.topicId !== topic[1])) {
        return false;
      }
      if (
        createdBy !== undefined &&
        (createdBy[0] !== "user" || createdBy[1] !== String(row.createdBy))
      ) {
        return false;
      }
      if (receiver !== undefined) {
        const [kind, value] = refEntry(row.receiver ?? {});
        const community = kind === "community_role" ? value.split(":")[0] : undefined;
        const same =
          (kind === receiver[0] && value === receiver[1]) ||
          (receiver[0] === "community" && community === receiver[1]);
        if (!same) return false;
      }
      return true;
    };
    let rows = this.app.requests.all().filter(matches);
    if (params.sort === "oldest") rows = rows.reverse();
    const page = rows.slice((params.page - 1) * params.size, params.page * params.size);
    const hits = page.map((row) => this.dump(ctx, row, false));
    this.send(
      ctx,
      200,
      searchResponse(`${ctx.origin}${path}`, undefined, params, hits, rows.length),
    );
  }
}

/**
 * `q` terms of InvenioRDM's requests search the devserver understands: `field:value` pairs (AND)
 * on the indexed fields below; anything else matches nothing, as a query on an unknown field
 * does in OpenSearch.
 */
function rdmQueryMatches(q: string | undefined, row: RequestRow): boolean {
  if (q === undefined) return true;
  const open = row.status === "submitted";
  const [receiverKind, receiverId] = refEntry(row.receiver ?? {});
  const fields: Readonly<Record<string, string>> = {
    id: row.id,
    number: String(row.number),
    type: row.type,
    status: row.status,
    title: row.title,
    is_open: String(open),
    is_closed: String(!open && row.status !== "created"),
    "topic.record": row.topicId,
    "created_by.user": String(row.createdBy),
    [`receiver.${receiverKind}`]: receiverId,
  };
  return q
    .split(/\s+AND\s+|\s+/)
    .filter((term) => term !== "" && term !== "*")
    .every((term) => {
      const at = term.indexOf(":");
      if (at <= 0) return false;
      const value = term.slice(at + 1).replace(/^"(.*)"$/, "$1");
      return fields[term.slice(0, at)] === value;
    });
}

/**
 * invenio-requests' REST API with oarepo-requests' record routes (protocol §6): applicable types,
 * creating requests on records, the state machine with its effects, search, comments, timeline.
 */
export const requestsService: Service = (router, app) => {
  if (app.flavour === "rdm") {
    registerRdm(router, app);
    return;
  }
  const s = new Requests(app);
  // oarepo-requests' RequestsComponent: `?expand` on a record or draft embeds the first page of
  // its requests, the same items as `GET …/[draft/]requests` (`[]` when the caller may not read).
  app.expandRequests = (ctx, model, id) =>
    s.topicRequests(ctx, model, id, { sort: "newest", page: 1, size: DEFAULT_PAGE_SIZE }).hits;
  for (const model of app.config.models) {
    if (model.review) {
      // InvenioRDM's community-submission review of drafts, served beside oarepo's requests.
      registerReviewRoutes(
        router,
        app,
        {
          records: s.modelRecords(model.type),
          sendRequest: (ctx, status, row, extra) => {
            s.sendRequest(ctx, status, row, extra, false);
          },
          submit: (ctx, row, comment) => s.submitReview(ctx, row, comment),
        },
        model.type,
      );
    }
    if (!model.features.includes("requests")) continue;
    const item = `${apiPrefix(model)}/:id`;
    for (const draft of [false, true]) {
      const base = `${item}${draft ? "/draft" : ""}/requests`;
      router.on("GET", base, (ctx) => {
        s.recordList(ctx, model, draft);
      });
      router.on("GET", `${base}/applicable`, (ctx) => {
        s.applicableList(ctx, model, draft);
      });
      router.on("POST", `${base}/:type`, (ctx) => s.create(ctx, model, draft));
    }
  }
  router.on("GET", "/api/requests/", (ctx) => {
    s.search(ctx, "/api/requests/");
  });
  router.on("GET", "/api/user/requests", (ctx) => {
    s.search(ctx, "/api/user/requests");
  });
  for (const extended of [false, true]) {
    registerOneRequest(
      router,
      s,
      `/api/requests/${extended ? "extended/" : ""}:requestId`,
      extended,
    );
  }
  router.on("POST", "/api/requests/:requestId/actions/:action", (ctx) => s.action(ctx));
};

/** One request under `one`: read, update, delete, comments and timeline (both flavours). */
function registerOneRequest(router: Router, s: Requests, one: string, extended: boolean): void {
  router.on("GET", one, (ctx) => {
    s.read(ctx, extended);
  });
  router.on("PUT", one, (ctx) => s.update(ctx, extended));
  router.on("DELETE", one, (ctx) => {
    s.remove(ctx);
  });
  router.on("GET", `${one}/comments`, (ctx) => {
    s.timeline(ctx, extended, true);
  });
  router.on("POST", `${one}/comments`, (ctx) => s.comment(ctx, extended));
  router.on("GET", `${one}/comments/:eventId`, (ctx) => {
    s.readComment(ctx, extended);
  });
  router.on("PUT", `${one}/comments/:eventId`, (ctx) => s.updateComment(ctx, extended));
  router.on("DELETE", `${one}/comments/:eventId`, (ctx) => {
    s.deleteComment(ctx);
  });
  router.on("GET", `${one}/timeline`, (ctx) => {
    s.timeline(ctx, extended, false);
  });
}

/**
 * InvenioRDM 13's requests (invenio-requests without oarepo's extensions) and the
 * community-submission review of drafts (invenio-rdm-records): review, submit-review, the
 * requests of a published record, search, one request with its actions, comments and timeline.
 */
function registerRdm(router: Router, app: ServiceContext): void {
  const s = new Requests(app);
  for (const model of recordModels(app)) {
    router.on("GET", `${apiPrefix(model)}/:id/requests`, (ctx) => {
      s.recordList(ctx, model, false);
    });
  }
  registerReviewRoutes(router, app, {
    records: s.modelRecords("records"),
    sendRequest: (ctx, status, row, extra) => {
      s.sendRequest(ctx, status, row, extra, false);
    },
    submit: (ctx, row, comment) => s.submitReview(ctx, row, comment),
  });
  router.on("GET", "/api/requests/", (ctx) => {
    s.search(ctx, "/api/requests");
  });
  router.on("GET", "/api/user/requests", (ctx) => {
    s.search(ctx, "/api/user/requests");
  });
  const one = "/api/requests/:requestId";
  registerOneRequest(router, s, one, false);
  router.on("POST", `${one}/actions/:action`, (ctx) => s.action(ctx));
}

/** A `TYPE:ID` reference query argument (`topic`, `created_by`, `receiver`), split; 400 if malformed. */
function referenceParam(query: URLSearchParams, name: string): [string, string] | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  const at = raw.indexOf(":");
  if (at <= 0 || at === raw.length - 1) {
    throw validationError([{ field: name, messages: ["Not a valid reference."] }]);
  }
  return [raw.slice(0, at), raw.slice(at + 1)];
}

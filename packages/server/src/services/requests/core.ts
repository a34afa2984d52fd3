import type { ResolvedModel } from "../../config/types.js";
import { param, type RequestContext } from "../../http/context.js";
import { HttpError, NOT_FOUND_MESSAGE, PERMISSION_DENIED_MESSAGE } from "../../http/errors.js";
import { JSON_TYPE, UI_JSON_TYPE, negotiate } from "../../http/negotiate.js";
import { sendJson } from "../../http/respond.js";
import type { Reference, RequestRow } from "../../store/requests.js";
import type { User } from "../../store/users.js";
import { Records } from "../records/service.js";
import { recordModels, type Loaded } from "../records/serialize.js";
import type { ServiceContext } from "../service.js";
import { OPEN_STATUSES, topicStateOf } from "./applicable.js";
import { REQUEST_TYPE_INFO, type RequestTypeInfo, type TopicState } from "./types.js";

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

/** Request actions of invenio-requests (customizations/actions.py), `create`/`delete` included. */
export const ACTIONS = [
  "create",
  "submit",
  "delete",
  "accept",
  "cancel",
  "decline",
  "expire",
] as const;
/** One of the request actions. */
export type Action = (typeof ACTIONS)[number];

/** The actions a client may find in `links.actions`: never `create` or `delete` (protocol §6.4). */
export const LINKED_ACTIONS: readonly Action[] = ["submit", "accept", "decline", "cancel"];

/**
 * Legal transitions: invenio-requests' `status_from`/`status_to`, with oarepo-requests'
 * `OARepoCancelAction.status_from = ["created", "submitted"]` (protocol §6.5).
 */
export const TRANSITIONS: Readonly<Record<Action, { from: readonly string[]; to: string }>> = {
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
export const RDM_TRANSITIONS: Readonly<Record<Action, { from: readonly string[]; to: string }>> = {
  ...TRANSITIONS,
  cancel: { from: ["submitted"], to: "cancelled" },
};

/** InvenioRDM's statuses that are neither open nor closed: a request not submitted yet. */
export const RDM_UNSUBMITTED: ReadonlySet<string> = new Set(["created"]);

/** The event type of a logged action (IREQ `LogEventType`); comments are `C`. */
export const LOG = "L";

/** A request id: a UUID. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The single key and value of a reference dict. */
export function refEntry(ref: Reference): [string, string] {
  const [entry] = Object.entries(ref);
  return entry ?? ["", ""];
}

/**
 * What every part of the requests API shares: who may read and act on a request, the topic it is
 * about, the request's JSON on either flavour, and loading one by id.
 */
export class RequestCore {
  readonly app: ServiceContext;
  private readonly records = new Map<string, Records>();
  readonly rdm: boolean;
  readonly transitions: Readonly<Record<Action, { from: readonly string[]; to: string }>>;

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

  recordsOf(model: string): Records {
    const r = this.records.get(model);
    if (r === undefined) throw new HttpError(500, `Model ${model} has no requests.`);
    return r;
  }

  isAdmin(user: User | undefined): boolean {
    return user?.roles.includes("admin") === true;
  }

  /** The administrator who receives requests on records outside any community. */
  adminReceiver(): Reference {
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

  canRead(user: User | undefined, row: RequestRow): boolean {
    if (user === undefined) return false;
    return this.isAdmin(user) || row.createdBy === user.id || this.isReceiver(user, row.receiver);
  }

  /**
   * `can_action_<name>` of IREQ's permission policy: the creator submits, cancels and deletes, the
   * receiver accepts and declines, only the system expires and nobody creates through an action.
   */
  mayAct(user: User | undefined, row: RequestRow, action: Action): boolean {
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
  topicState(model: string, id: string): { state: TopicState; loaded: Loaded } | undefined {
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

  send(
    ctx: RequestContext,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const contentType = negotiate(ctx.req.headers.accept, [JSON_TYPE, UI_JSON_TYPE]);
    sendJson(ctx.res, status, body, headers, contentType);
  }

  /** A request by id; a malformed id is Werkzeug's 404 (`<uuid:id>` routes, IREQ v7). */
  load(ctx: RequestContext): RequestRow {
    const id = param(ctx, "requestId");
    if (!UUID.test(id)) throw new HttpError(404, NOT_FOUND_MESSAGE);
    const row = this.app.requests.get(id.toLowerCase());
    if (row === undefined) throw new HttpError(404, "The persistent identifier does not exist.");
    if (!this.canRead(ctx.user, row)) throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    return row;
  }

  /** The model and record state behind a `…/<id>[/draft]/requests…` route. */
  recordTopic(
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
}

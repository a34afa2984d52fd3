// Review workflows (protocol §6): the request types a record offers
// (`links["applicable-requests"]`, §6.2), the requests made on it (`links.requests`, §6.6), one
// request with its actions (§6.4, §6.5), and `client.requests` for searching all of them.

import type { SignalOptions } from "../core/options.js";
import { ActionNotAvailableError, ErrorCodes, NRPError } from "../core/errors.js";
import type { ErrorCode, NRPErrorOptions } from "../core/errors.js";
import type { QueryValue } from "../internal/http.js";
import { isObject } from "../internal/json.js";
import { NRP_RULES, flavourOf } from "../internal/flavour.js";
import type { Json } from "../core/json.js";
import type { ResourceContext } from "./context.js";
import { Page, hitsOf } from "./page.js";

/**
 * What requests need from their client (not part of the public API): the transport, and
 * discovery, which says how the repository lists "my requests" (NRP's way without it).
 */
export type RequestContext = Pick<ResourceContext, "http"> & Partial<Pick<ResourceContext, "info">>;

/** Options of every call on a request: the `signal`. */
export type RequestActionOptions = SignalOptions;

/**
 * What a request's timeline event is, readably: a comment, a log of an action (`payload.event`
 * says which), or one of oarepo's escalation, record snapshot, topic delete and topic update
 * events; `other` for a type this client does not know.
 */
export type TimelineEventKind =
  "comment" | "log" | "escalation" | "record_snapshot" | "topic_delete" | "topic_update" | "other";

/** The one-letter event types Invenio (`C`, `L`) and oarepo (`E`, `S`, `D`, `T`) send. */
const EVENT_KINDS: Readonly<Record<string, TimelineEventKind>> = {
  C: "comment",
  L: "log",
  E: "escalation",
  S: "record_snapshot",
  D: "topic_delete",
  T: "topic_update",
};

/**
 * The readable kind of a timeline event's `type`: the server sends a single letter (`"C"`), which
 * says little to a reader.
 */
export function timelineEventKind(type: unknown): TimelineEventKind {
  if (typeof type !== "string") return "other";
  const kind = EVENT_KINDS[type] ?? EVENT_KINDS[type.toUpperCase()];
  if (kind !== undefined) return kind;
  return (Object.values(EVENT_KINDS) as string[]).includes(type)
    ? (type as TimelineEventKind)
    : "other";
}

/** One event of a request's timeline: the server's JSON, plus its readable {@link TimelineEventKind}. */
export type TimelineEvent = Json & { kind: TimelineEventKind };

/** Options of creating a request. */
export interface CreateRequestOptions extends RequestActionOptions {
  /**
   * Submit the request right after creating it; `false` leaves it in status `created`, where the
   * payload can still be changed.
   * @default true
   */
  submit?: boolean | undefined;
}

/**
 * Turns oarepo's colon keys (`"published_record:links:self"`) into nested objects
 * (`{published_record: {links: {self}}}`).
 *
 * oarepo flattens payloads because invenio-requests stores only string values there; nesting
 * them back is what makes `payload.published_record.links.self` readable.
 */
export function restoreHierarchy(payload: Readonly<Json>): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(payload)) {
    const parts = key.split(":");
    let node = out;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (isObject(next)) {
        node = next;
      } else {
        const created: Json = {};
        node[part] = created;
        node = created;
      }
    }
    const last = parts[parts.length - 1] ?? key;
    node[last] = isObject(value)
      ? { ...(isObject(node[last]) ? node[last] : {}), ...value }
      : value;
  }
  return out;
}

/**
 * The inverse of {@link restoreHierarchy}: nested objects become colon keys, the form the server
 * stores and validates. Arrays and other values stay as they are.
 */
export function flattenPayload(payload: Readonly<Json>): Json {
  const out: Json = {};
  const walk = (node: Readonly<Json>, prefix: string): void => {
    for (const [key, value] of Object.entries(node)) {
      const path = prefix ? `${prefix}:${key}` : key;
      if (isObject(value) && Object.keys(value).length > 0) walk(value, path);
      else out[path] = value;
    }
  };
  walk(payload, "");
  return out;
}

/** The statuses a request can be in (protocol §6.5). */
export type RequestStatus =
  "created" | "submitted" | "accepted" | "declined" | "cancelled" | "expired" | "deleted";

/** The body of an action or comment that carries text: invenio stores it as a comment. */
function commentBody(text: string): Json {
  return { payload: { content: text, format: "html" } };
}

function asRequestBody(value: unknown, url: string): Json {
  if (!isObject(value)) {
    throw new NRPError(`${url} did not return a request (a JSON object).`, {
      code: ErrorCodes.InvalidResponse,
    });
  }
  return value;
}

/** A single-key reference (`{"user": "1"}`), or undefined when absent or malformed. */
function referenceOf(value: unknown): Readonly<Record<string, string>> | undefined {
  if (!isObject(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "string" || typeof v === "number") out[k] = String(v);
  }
  return out;
}

/**
 * One request: a proposed change to a record (publish, edit, new version, delete) that its
 * receiver accepts or declines.
 *
 * What can be done now is decided by the server: {@link NRPRecordRequest.actions} lists only the
 * actions legal in the current status and permitted for the caller, and asking for any other is
 * an {@link ActionNotAvailableError} before anything is sent.
 *
 * @example
 * const request = await draft.requests!.create("publish_draft");  // created and submitted
 * const asCurator = await curator.requests.get(request.id);
 * await asCurator.accept("Looks good");
 */
export class NRPRecordRequest {
  readonly #ctx: RequestContext;
  #data: Json;
  #payload: Json;

  /**
   * Wraps a request's JSON; obtain requests from records or `client.requests` instead.
   *
   * @internal
   */
  constructor(ctx: RequestContext, data: Json) {
    this.#ctx = ctx;
    this.#data = data;
    this.#payload = restoreHierarchy(isObject(data.payload) ? data.payload : {});
  }

  /** The request's id (a UUID). */
  get id(): string {
    const id = this.#data.id;
    return typeof id === "string" ? id : typeof id === "number" ? String(id) : "";
  }
  /** The request type, e.g. `publish_draft`. */
  get type(): string {
    return typeof this.#data.type === "string" ? this.#data.type : "";
  }
  /** The current status, e.g. `submitted`. */
  get status(): string {
    return typeof this.#data.status === "string" ? this.#data.status : "";
  }
  /** Whether the request still waits for something (oarepo counts `created` as open). */
  get isOpen(): boolean {
    if (typeof this.#data.is_open === "boolean") return this.#data.is_open;
    return this.status === "created" || this.status === "submitted";
  }
  /** The record the request is about, as a one-key reference, e.g. `{"datasets": "abcde-12345"}`. */
  get topic(): Readonly<Record<string, string>> | undefined {
    return referenceOf(this.#data.topic);
  }
  /** Who created the request, e.g. `{"user": "1"}`. */
  get creator(): Readonly<Record<string, string>> | undefined {
    return referenceOf(this.#data.created_by);
  }
  /** Who decides it, e.g. `{"community_role": "<uuid>:curator"}`; absent for auto-accepted types. */
  get receiver(): Readonly<Record<string, string>> | undefined {
    return referenceOf(this.#data.receiver);
  }
  /**
   * The payload with colon keys restored into objects (`payload.published_record.links.self`).
   * Change it while the request is `created` and call {@link NRPRecordRequest.save}.
   */
  get payload(): Json {
    return this.#payload;
  }
  /** The payload as the server stores it, with colon keys; includes local changes. */
  get payloadRaw(): Json {
    return flattenPayload(this.#payload);
  }
  /** The whole request JSON as the server sent it. */
  get data(): Json {
    return this.#data;
  }
  /** The request's links: `self`, `comments`, `timeline`, `actions` and `topic` are objects or URLs. */
  get links(): Json {
    return isObject(this.#data.links) ? this.#data.links : {};
  }
  /** The actions offered now, e.g. `["submit", "cancel"]`. */
  get actions(): string[] {
    const actions = this.links.actions;
    return isObject(actions)
      ? Object.keys(actions).filter((k) => typeof actions[k] === "string")
      : [];
  }
  /** The API URL of the request's topic (the record or draft), when the server links it. */
  get topicUrl(): string | undefined {
    const topic = this.links.topic;
    const url = isObject(topic) ? topic.self : topic;
    return typeof url === "string" ? url : undefined;
  }

  #link(name: string): string {
    const url = this.links[name];
    if (typeof url !== "string") {
      throw new NRPError(`Request ${this.id} has no links.${name}.`, {
        code: ErrorCodes.MissingLink,
      });
    }
    return url;
  }

  #replace(body: unknown, url: string): void {
    this.#data = asRequestBody(body, url);
    this.#payload = restoreHierarchy(isObject(this.#data.payload) ? this.#data.payload : {});
  }

  /** Reloads the request from `links.self`; local payload changes are dropped. */
  async refresh(options: RequestActionOptions = {}): Promise<this> {
    const url = this.#link("self");
    const res = await this.#ctx.http.getJSON(url, { signal: options.signal });
    this.#replace(res.body, url);
    return this;
  }

  /** Stores the edited {@link NRPRecordRequest.payload} (`PUT links.self`); creators only, while `created`. */
  async save(options: RequestActionOptions = {}): Promise<this> {
    const url = this.#link("self");
    const body: Json = { payload: this.payloadRaw };
    if (typeof this.#data.title === "string") body.title = this.#data.title;
    const res = await this.#ctx.http.putJSON(url, body, { signal: options.signal });
    this.#replace(res.body, url);
    return this;
  }

  /**
   * Runs one action of `links.actions`. Not retried on a server error: an action that went
   * through must not run twice.
   *
   * @throws {@link ActionNotAvailableError} when the request does not offer `action` now.
   */
  async act(action: string, reason?: string, options: RequestActionOptions = {}): Promise<this> {
    const actions = this.links.actions;
    const url = isObject(actions) ? actions[action] : undefined;
    if (typeof url !== "string") {
      const available = this.actions;
      throw new ActionNotAvailableError(
        `Cannot ${action} request ${this.id} (${this.type}, status ${this.status || "unknown"}): ` +
          (available.length > 0
            ? `the actions available to you now are ${available.join(", ")}.`
            : "no action is available to you now."),
        { action, available, requestId: this.id },
      );
    }
    const res = await this.#ctx.http.postJSON(
      url,
      reason === undefined || reason === "" ? {} : commentBody(reason),
      { signal: options.signal },
    );
    this.#replace(res.body, url);
    return this;
  }

  /** Submits the request to its receiver; an auto-accepted type comes back `accepted`. */
  submit(options: RequestActionOptions = {}): Promise<this> {
    return this.act("submit", undefined, options);
  }
  /** Withdraws the request (from `created` or `submitted`); `reason` becomes a comment. */
  cancel(reason?: string, options: RequestActionOptions = {}): Promise<this> {
    return this.act("cancel", reason, options);
  }
  /** Accepts the request, which performs the change; `reason` becomes a comment. */
  accept(reason?: string, options: RequestActionOptions = {}): Promise<this> {
    return this.act("accept", reason, options);
  }
  /** Declines the request; `reason` becomes a comment. */
  decline(reason?: string, options: RequestActionOptions = {}): Promise<this> {
    return this.act("decline", reason, options);
  }

  /** Adds a comment to the request's timeline and returns the stored event. */
  async comment(text: string, options: RequestActionOptions = {}): Promise<Json> {
    const url = this.#link("comments");
    const res = await this.#ctx.http.postJSON(url, commentBody(text), { signal: options.signal });
    return isObject(res.body) ? res.body : {};
  }

  /** The request's events, oldest first: comments and a log entry for each action. */
  async timeline(options: RequestActionOptions = {}): Promise<TimelineEvent[]> {
    const res = await this.#ctx.http.getJSON(this.#link("timeline"), {
      query: { size: 1000 },
      signal: options.signal,
    });
    return hitsOf(res.body).map((event) => ({ ...event, kind: timelineEventKind(event.type) }));
  }

  /** A deep copy of the request JSON, with the payload's local changes in colon form. */
  toDict(): Json {
    return { ...structuredClone(this.#data), payload: this.payloadRaw };
  }
  /** Same as {@link NRPRecordRequest.toDict}, so that `JSON.stringify` works. */
  toJSON(): Json {
    return this.toDict();
  }
  /** A short description for logs. */
  toString(): string {
    return `NRPRecordRequest[${this.type} ${this.id} ${this.status}]`;
  }
}

async function createRequest(
  ctx: RequestContext,
  url: string,
  payload: Json | undefined,
  options: CreateRequestOptions,
): Promise<NRPRecordRequest> {
  const body: Json = payload === undefined ? {} : { payload: flattenPayload(payload) };
  const res = await ctx.http.postJSON(url, body, { signal: options.signal });
  const request = new NRPRecordRequest(ctx, asRequestBody(res.body, url));
  if (options.submit ?? true) await request.submit({ signal: options.signal });
  return request;
}

/**
 * One request type on a record, e.g. `publish_draft` or `edit_published_record`, with the
 * record's requests of that type.
 *
 * {@link NRPRecordRequestType.canCreate} says whether the caller may open one now.
 */
export class NRPRecordRequestType implements Iterable<NRPRecordRequest> {
  readonly #data: Json;
  readonly #ctx: RequestContext | undefined;
  readonly #requests: NRPRecordRequest[];

  /**
   * Wraps one applicable-requests hit; use {@link NRPRecordRequests} rather than calling this.
   *
   * @internal
   */
  constructor(data: Json, ctx?: RequestContext, requests: readonly NRPRecordRequest[] = []) {
    this.#data = data;
    this.#ctx = ctx;
    this.#requests = [...requests];
  }

  /** The request type, e.g. `publish_draft`. */
  get typeId(): string {
    return typeof this.#data.type_id === "string" ? this.#data.type_id : "";
  }
  /** The type's links; `actions.create` is where a request of this type is created. */
  get links(): Json {
    return isObject(this.#data.links) ? this.#data.links : {};
  }
  /** Whether the caller may create a request of this type (it has a `links.actions.create`). */
  get canCreate(): boolean {
    const actions = this.links.actions;
    return isObject(actions) && typeof actions.create === "string";
  }
  /** The record's requests of this type, as read with the record. */
  get requests(): readonly NRPRecordRequest[] {
    return this.#requests;
  }
  /** The request of this type with this id, if the record has one. */
  get(id: string): NRPRecordRequest | undefined {
    return this.#requests.find((r) => r.id === id);
  }
  #withStatus(status: RequestStatus): NRPRecordRequest[] {
    return this.#requests.filter((r) => r.status === status);
  }
  /** Requests created but not yet submitted. */
  get createdRequests(): NRPRecordRequest[] {
    return this.#withStatus("created");
  }
  /** Requests waiting for their receiver. */
  get submittedRequests(): NRPRecordRequest[] {
    return this.#withStatus("submitted");
  }
  /** Requests withdrawn by their creator. */
  get cancelledRequests(): NRPRecordRequest[] {
    return this.#withStatus("cancelled");
  }
  /** Requests accepted (their change was made). */
  get acceptedRequests(): NRPRecordRequest[] {
    return this.#withStatus("accepted");
  }
  /** Requests declined by their receiver. */
  get declinedRequests(): NRPRecordRequest[] {
    return this.#withStatus("declined");
  }
  /** Requests that expired before a decision. */
  get expiredRequests(): NRPRecordRequest[] {
    return this.#withStatus("expired");
  }
  /** Iterates over the record's requests of this type. */
  [Symbol.iterator](): Iterator<NRPRecordRequest> {
    return this.#requests[Symbol.iterator]();
  }

  /**
   * Creates a request of this type on the record (`POST links.actions.create`, 201) and, unless
   * `submit: false`, submits it. The payload may be nested; it is sent in colon form. Never
   * retried on a server error.
   *
   * @throws {@link NRPError} with code `NRP_REQUEST_NOT_APPLICABLE` when the caller may not
   * create this type now.
   */
  async create(payload?: Json, options: CreateRequestOptions = {}): Promise<NRPRecordRequest> {
    const actions = this.links.actions;
    const url = isObject(actions) ? actions.create : undefined;
    if (typeof url !== "string" || this.#ctx === undefined) {
      throw new NRPError(
        `A "${this.typeId}" request cannot be created on this record now (there may already be an open one, or you lack the permission).`,
        { code: ErrorCodes.RequestNotApplicable },
      );
    }
    const request = await createRequest(this.#ctx, url, payload, options);
    this.#requests.push(request);
    return request;
  }

  /** A deep copy of the type's JSON. */
  toDict(): Json {
    return structuredClone(this.#data);
  }
  /** Same as {@link NRPRecordRequestType.toDict}, so that `JSON.stringify` works. */
  toJSON(): Json {
    return this.toDict();
  }
}

/**
 * The request types of a record (those applicable now, and those it already has requests of),
 * each with the record's requests of that type.
 *
 * An `Iterable` of {@link NRPRecordRequestType}; everything was read with the record
 * (`includeRequests`, or `await record.loadRequests()`).
 */
export class NRPRecordRequests implements Iterable<NRPRecordRequestType> {
  readonly #types: NRPRecordRequestType[];
  readonly #requests: Json[];
  readonly #all: NRPRecordRequest[];

  /**
   * Wraps the two lists; records build this for `includeRequests`.
   *
   * @internal
   */
  constructor(types: readonly Json[], requests: readonly Json[], ctx?: RequestContext) {
    this.#requests = [...requests];
    this.#all = ctx ? this.#requests.map((r) => new NRPRecordRequest(ctx, r)) : [];
    const byType = new Map<string, NRPRecordRequest[]>();
    for (const r of this.#all) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
    this.#types = types.map(
      (t) => new NRPRecordRequestType(t, ctx, byType.get(String(t.type_id)) ?? []),
    );
    const known = new Set(this.#types.map((t) => t.typeId));
    for (const [typeId, list] of byType) {
      // A type with an open request is no longer applicable, but its requests still belong here.
      if (!known.has(typeId))
        this.#types.push(new NRPRecordRequestType({ type_id: typeId }, ctx, list));
    }
  }

  /** The requests made on the record, as the server lists them (plain JSON). */
  get requests(): Json[] {
    return this.#requests;
  }
  /** The requests made on the record, as objects with actions. */
  get all(): readonly NRPRecordRequest[] {
    return this.#all;
  }
  /** How many request types there are. */
  get length(): number {
    return this.#types.length;
  }
  /** The type with this id, if any. */
  get(typeId: string): NRPRecordRequestType | undefined;
  /** The record's request of this type with this id, if any. */
  get(typeId: string, id: string): NRPRecordRequest | undefined;
  get(typeId: string, id?: string): NRPRecordRequestType | NRPRecordRequest | undefined {
    const type = this.#types.find((t) => t.typeId === typeId);
    return id === undefined ? type : type?.get(id);
  }
  /** The type ids the caller may create now. */
  get applicable(): string[] {
    return this.#types.filter((t) => t.canCreate).map((t) => t.typeId);
  }

  /**
   * Creates (and by default submits) a request of `typeId` on the record.
   *
   * @throws {@link NRPError} with code `NRP_REQUEST_NOT_APPLICABLE`, naming the types that are,
   * when `typeId` cannot be created now.
   */
  async create(
    typeId: string,
    payload?: Json,
    options: CreateRequestOptions = {},
  ): Promise<NRPRecordRequest> {
    const type = this.get(typeId);
    if (!type?.canCreate) {
      const applicable = this.applicable;
      throw new NRPError(
        `A "${typeId}" request cannot be created on this record now; ` +
          (applicable.length > 0
            ? `the types you can create are ${applicable.join(", ")}.`
            : "you cannot create any request on it now."),
        { code: ErrorCodes.RequestNotApplicable },
      );
    }
    const request = await type.create(payload, options);
    this.#all.push(request);
    this.#requests.push(request.data);
    return request;
  }

  /** Iterates over the request types. */
  [Symbol.iterator](): Iterator<NRPRecordRequestType> {
    return this.#types[Symbol.iterator]();
  }
  /** `{ request_types, requests }` as plain JSON. */
  toDict(): Json {
    return {
      request_types: this.#types.map((t) => t.toDict()),
      requests: structuredClone(this.#requests),
    };
  }
  /** Same as {@link NRPRecordRequests.toDict}, so that `JSON.stringify` works. */
  toJSON(): Json {
    return this.toDict();
  }
}

/** Filters of {@link Requests.search}; each maps to one query parameter of `/api/requests/`. */
export interface RequestSearchOptions extends SignalOptions {
  /** Only requests in this status, e.g. `submitted`. */
  status?: string | undefined;
  /** Only requests of this type, e.g. `publish_draft`. */
  type?: string | undefined;
  /** Only open (`true`) or closed (`false`) requests. */
  isOpen?: boolean | undefined;
  /**
   * Only the caller's own requests. On NRP those the caller created (`mine=true`); on InvenioRDM,
   * which has no such filter, the caller's request list `/api/user/requests`: those they created
   * and those addressed to them as a user (community reviews are addressed to the community, so
   * a curator finds those with {@link Requests.inbox}).
   */
  mine?: boolean | undefined;
  /**
   * Only requests the caller did not create (those addressed to them); an oarepo filter, refused
   * on InvenioRDM (use {@link Requests.inbox} there).
   */
  assigned?: boolean | undefined;
  /** Only requests about this record, as `model:id` (e.g. `datasets:abcde-12345`). */
  topic?: string | undefined;
  /** Only requests created by this reference, as `type:id` (e.g. `user:1`). */
  createdBy?: string | undefined;
  /** Only requests addressed to this reference, as `type:id` (e.g. `community:<uuid>`). */
  receiver?: string | undefined;
  /** Free-text query. */
  q?: string | undefined;
  /** Sort order the server knows, e.g. `newest`. */
  sort?: string | undefined;
  /** Page number, from 1. */
  page?: number | undefined;
  /** Page size. */
  size?: number | undefined;
}

/**
 * One page of a request search: an `Iterable` of {@link NRPRecordRequest}, with the total and an
 * async iterator over this and the following pages.
 */
export class RequestsPage extends Page<NRPRecordRequest> {
  readonly #ctx: RequestContext;
  readonly #signal: AbortSignal | undefined;

  /**
   * Wraps a search response; use {@link Requests.search}.
   *
   * @internal
   */
  constructor(ctx: RequestContext, body: Json, signal?: AbortSignal) {
    super(
      body,
      hitsOf(body).map((h) => new NRPRecordRequest(ctx, h)),
    );
    this.#ctx = ctx;
    this.#signal = signal;
  }

  /** This page, then each following page (`links.next`), fetched as the loop asks for them. */
  async *pages(): AsyncGenerator<RequestsPage> {
    yield this;
    for (let next = this.nextUrl; next !== undefined;) {
      const res = await this.#ctx.http.getJSON(next, { signal: this.#signal });
      const page = new RequestsPage(this.#ctx, isObject(res.body) ? res.body : {}, this.#signal);
      if (page.items.length === 0) return;
      yield page;
      next = page.nextUrl;
    }
  }
  /** Every matching request, this page's first, following `links.next`. */
  async *[Symbol.asyncIterator](): AsyncGenerator<NRPRecordRequest> {
    for await (const page of this.pages()) yield* page.items;
  }
}

/**
 * `client.requests`: every request the caller can see, whatever record it is about.
 *
 * @example
 * for await (const r of await curator.requests.search({ status: "submitted" })) console.log(r.id);
 */
export class Requests {
  readonly #ctx: RequestContext;

  /**
   * Built by the client; use `client.requests`.
   *
   * @internal
   */
  constructor(ctx: RequestContext) {
    this.#ctx = ctx;
  }

  /** Reads one request by id (`GET /api/requests/<id>`). */
  async get(id: string, options: RequestActionOptions = {}): Promise<NRPRecordRequest> {
    const url = `/api/requests/${encodeURIComponent(id)}`;
    const res = await this.#ctx.http.getJSON(url, { signal: options.signal });
    return new NRPRecordRequest(this.#ctx, asRequestBody(res.body, url));
  }

  /**
   * Searches the requests visible to the caller (`GET /api/requests/`; with `mine` on
   * InvenioRDM `GET /api/user/requests`) and returns the first page.
   */
  async search(options: RequestSearchOptions = {}): Promise<RequestsPage> {
    const flavour =
      this.#ctx.info === undefined
        ? NRP_RULES
        : flavourOf(await this.#ctx.info.repository({ signal: options.signal }));
    const userList = options.mine === true && flavour.myRequests === "user";
    if (options.assigned === true && flavour.myRequests === "user") {
      throw new NRPError(
        "InvenioRDM cannot filter requests by assignee (assigned); use requests.inbox() for the " +
          "requests you may decide.",
        { code: ErrorCodes.InvalidInput },
      );
    }
    const flag = (v: boolean | undefined): QueryValue => (v === undefined ? undefined : String(v));
    const query: Record<string, QueryValue> = {
      q: options.q,
      status: options.status,
      type: options.type,
      is_open: flag(options.isOpen),
      mine: options.mine && !userList ? "true" : undefined,
      assigned: options.assigned ? "true" : undefined,
      topic: options.topic,
      created_by: options.createdBy,
      receiver: options.receiver,
      sort: options.sort,
      page: options.page,
      size: options.size,
    };
    const repo = userList
      ? await this.#ctx.info?.repository({ signal: options.signal })
      : undefined;
    const url = userList ? `${repo?.apiUrl ?? "/api"}/user/requests` : "/api/requests/";
    const res = await this.#ctx.http.getJSON(url, { query, signal: options.signal });
    return new RequestsPage(this.#ctx, isObject(res.body) ? res.body : {}, options.signal);
  }

  /**
   * The caller's queue: submitted requests the caller may accept or decline now, across all
   * pages.
   */
  async inbox(
    options: Omit<RequestSearchOptions, "status" | "page"> = {},
  ): Promise<NRPRecordRequest[]> {
    const first = await this.search({ size: 100, ...options, status: "submitted" });
    const out: NRPRecordRequest[] = [];
    for await (const request of first) {
      const actions = request.actions;
      if (actions.includes("accept") || actions.includes("decline")) out.push(request);
    }
    return out;
  }
}

/**
 * A change went to review instead of happening: the request was submitted and waits for a
 * curator.
 *
 * Thrown by `publish()`, `edit()`, `newVersion()` and `delete()` of a record whose workflow
 * routes them through requests, so that their return type stays the finished record; `request`
 * is the submitted request to follow. It lives beside the requests it carries (core does not
 * depend on resources); its code is `NRP_REVIEW_PENDING` like any other.
 */
export class ReviewPendingError extends NRPError {
  static override readonly CODE: ErrorCode = ErrorCodes.ReviewPending;
  /** The submitted request; `await request.refresh()` shows whether it was decided. */
  readonly request: NRPRecordRequest;

  constructor(message: string, init: { request: NRPRecordRequest } & NRPErrorOptions) {
    super(message, init);
    this.request = init.request;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      requestId: this.request.id,
      requestType: this.request.type,
      status: this.request.status,
    };
  }
}

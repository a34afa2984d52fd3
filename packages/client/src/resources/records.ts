// Records and drafts (protocol §3): `client.records` and the NRPRecord object with its lifecycle
// (save with optimistic locking, delete, publish, edit, new version).

import type { NRPInvenioClient } from "../client.js";
import {
  APIError,
  APIUserAbortError,
  BadRequestError,
  ErrorCodes,
  GoneError,
  InvalidRecordIdError,
  NRPError,
  NotFoundError,
  PermissionDeniedError,
  PreconditionFailedError,
  RequestRequiredError,
  ReviewPendingError,
} from "../core/errors.js";
import type { FieldError } from "../core/errors.js";
import type { HttpClient, HttpResponse } from "../internal/http.js";
import { formatMid, linksetUrl, matchApiUrl, matchHtmlUrl, parseMid } from "../internal/ids.js";
import type { ModelUrls } from "../internal/ids.js";
import { runPool } from "../internal/pool.js";
import { prepareCreateBody, prepareSaveBody, revisionFromEtag } from "../internal/record-body.js";
import { recordStateOf } from "../internal/record-state.js";
import { RDM_REMOVAL_REASONS, draftUrl, rdmReviewBody } from "../internal/rdm-review.js";
import { flavourOf } from "../internal/flavour.js";
import type { FlavourRules } from "../internal/flavour.js";
import { NRPRecordFiles } from "./files.js";
import type { Info, NRPModelInfo } from "./info.js";
import { NRPRecordRequest, NRPRecordRequests, hitsOf } from "./requests.js";
import { isObject } from "../internal/json.js";
import type { Json } from "../core/json.js";

/**
 * A record identifier within one repository: `"datasets/abcde-12345"`,
 * `"draft/datasets/abcde-12345"`, `["datasets","abcde-12345"]`, `["draft","datasets","abcde-12345"]`,
 * or a bare id (`"abcde-12345"`) when the repository has a default model.
 */
export type RecordId = string | readonly string[];

/** Options of every record read. */
export interface RecordReadOptions {
  /** Also fetch `links.files` into {@link NRPRecord.files} (one more request). */
  includeFiles?: boolean | undefined;
  /** Also fetch the applicable request types and the record's requests (two more requests). */
  includeRequests?: boolean | undefined;
  /** Ask the server to resolve references (`?expand=true`, protocol §3.3.3). */
  expand?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** Options of {@link Records.getById}. */
export interface GetByIdOptions extends RecordReadOptions {
  /** Read the draft (`…/<id>/draft`) instead of the published record. */
  draft?: boolean | undefined;
}

/** Options of {@link Records.create}. */
export interface CreateRecordOptions {
  /**
   * Community slug or UUID the draft is meant for. On NRP it goes into
   * `parent.communities.default` (protocol §8.1); on InvenioRDM the draft gets a
   * community-submission review addressed to the community (`PUT …/draft/review`), which
   * {@link NRPRecord.publish} submits to its curators. An unknown community fails with code
   * `NRP_UNKNOWN_COMMUNITY` before anything is created.
   */
  community?: string | undefined;
  /** Workflow code for `parent.workflow`; the community's default when absent. */
  workflow?: string | undefined;
  /**
   * Whether the draft accepts files (`files.enabled`); a draft with files enabled but none uploaded
   * cannot be published.
   * @default true
   */
  filesEnabled?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** Options of {@link Records.createMany}. */
export interface CreateManyOptions {
  /**
   * How many creates run at once.
   * @default 4
   */
  concurrency?: number | undefined;
  /** Community for every item, as in {@link CreateRecordOptions.community}. */
  community?: string | undefined;
  /** Workflow for every item. */
  workflow?: string | undefined;
  /** `files.enabled` for every item. @default true */
  filesEnabled?: boolean | undefined;
  /** Aborting stops starting new items; running creates are aborted too. */
  signal?: AbortSignal | undefined;
  /** Called after each item with the number finished so far and how many of them failed. */
  onProgress?: ((done: number, failed: number) => void) | undefined;
}

/** One item's outcome in {@link Records.createMany}: `index` is its position in the input. */
export type CreateManyResult =
  { index: number; ok: true; record: NRPRecord } | { index: number; ok: false; error: NRPError };

/** Options of the calls that change a record. */
export interface RecordActionOptions {
  signal?: AbortSignal | undefined;
}

/** Options of {@link NRPRecord.publish}. */
export interface PublishOptions extends RecordActionOptions {
  /** Stored as `metadata.version` (saved first) before publishing. */
  version?: string | undefined;
}

/** Options of {@link NRPRecord.newVersion}. */
export interface NewVersionOptions extends RecordActionOptions {
  /**
   * Carry the files of this version over to the new one: the new draft imports them
   * (`POST …/draft/actions/files-import`), on NRP and InvenioRDM alike, since neither server
   * copies them into a new version and a draft with files enabled but none cannot be published.
   * On NRP the `new_version` request also carries `keep_files: "yes"`, for a curator's accept.
   */
  keepFiles?: boolean | undefined;
}

/** Options of {@link NRPRecord.delete}. */
export interface DeleteRecordOptions extends RecordActionOptions {
  /**
   * Why a published record is removed; required for published records, ignored for drafts. On
   * NRP the `removal_reason` of the `delete_published_record` request (free text); on
   * InvenioRDM the id of a `removalreasons` vocabulary entry (`duplicate`, `retracted`,
   * `replaced`, `spam`, `test-record`, `copyright`, `personal-data`, `take-down-request`,
   * `disputed-authorship`, `misconduct`, `fraud`, `out-of-scope` by default).
   */
  removalReason?: string | undefined;
  /** An optional note: for the curator (NRP), or kept in the tombstone (InvenioRDM). */
  note?: string | undefined;
}

/** The publish request types, in the order a draft is matched against them (protocol §6.2). */
const PUBLISH_TYPES = ["publish_draft", "publish_new_version", "publish_changed_metadata"];

/** What a record needs from its client; not part of the public API. */
export interface RecordContext {
  client: NRPInvenioClient;
  http: HttpClient;
  info: Info;
}

/** The response details of an API error, to rebuild it with a clearer message. */
function apiErrorInit(error: APIError): {
  status: number;
  body: unknown;
  headers: APIError["headers"];
  method: string;
  url: string;
  retryAfter: number | undefined;
} {
  return {
    status: error.status,
    body: error.body,
    headers: error.headers,
    method: error.method,
    url: error.url,
    retryAfter: error.retryAfter,
  };
}

function asNRPError(error: unknown): NRPError {
  if (error instanceof NRPError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new NRPError(message, { cause: error });
}

function etagOf(res: HttpResponse<unknown>): string | undefined {
  const etag = res.headers.etag;
  return typeof etag === "string" ? etag : Array.isArray(etag) ? etag[0] : undefined;
}

function modelUrls(models: readonly NRPModelInfo[]): ModelUrls[] {
  return models.map((m) => ({ name: m.name, url: m.url, html: m.links.html }));
}

/** Which model a record read from `url` belongs to: by URL, then `$schema`, then the only model. */
export async function modelOf(
  ctx: RecordContext,
  url: string,
  data: Json,
  signal: AbortSignal | undefined,
): Promise<string> {
  const models = await ctx.info.models({ signal });
  const links = isObject(data.links) ? data.links : {};
  for (const candidate of [url, links.self]) {
    if (typeof candidate !== "string") continue;
    const match = matchApiUrl(candidate, modelUrls(models));
    if (match) return match.model;
  }
  const schema = data.$schema;
  if (typeof schema === "string") {
    const bySchema = models.find((m) => m.schemas.includes(schema));
    if (bySchema) return bySchema.name;
  }
  const repo = await ctx.info.repository({ signal });
  return repo.defaultModel ?? (models.length === 1 ? (models[0]?.name ?? "") : "");
}

/** A record's files and requests, fetched as `includeFiles` / `includeRequests` ask. */
export interface RelatedLists {
  files?: NRPRecordFiles | undefined;
  requests?: NRPRecordRequests | undefined;
}

function linksOf(data: Json): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(data.links)) {
    for (const [k, v] of Object.entries(data.links)) if (typeof v === "string") out[k] = v;
  }
  return out;
}

async function fetchRelated(
  ctx: RecordContext,
  data: Json,
  options: RecordReadOptions,
): Promise<RelatedLists> {
  const http = ctx.http;
  const links = linksOf(data);
  const signal = options.signal;
  const related: RelatedLists = {};
  if (options.includeFiles) {
    related.files = links.files
      ? new NRPRecordFiles(
          asObject((await http.getJSON(links.files, { signal })).body),
          ctx,
          links.files,
        )
      : new NRPRecordFiles({ enabled: false, entries: [] }, ctx);
  }
  if (options.includeRequests) {
    const repo = await ctx.info.repository({ signal });
    if (flavourOf(repo).recordRequests === "review") {
      related.requests = new NRPRecordRequests([], await rdmRecordRequests(ctx, data, signal), ctx);
      return related;
    }
    const [types, requests] = await Promise.all(
      [links["applicable-requests"], links.requests].map(async (url, i) =>
        url
          ? hitsOf(
              (await http.getJSON(url, { query: i === 1 ? { size: 1000 } : undefined, signal }))
                .body,
            )
          : [],
      ),
    );
    related.requests = new NRPRecordRequests(types ?? [], requests ?? [], ctx);
  }
  return related;
}

/**
 * The review of an InvenioRDM draft (`GET …/draft/review`), or undefined when it has none (404).
 */
async function rdmReview(
  ctx: RecordContext,
  data: Json,
  signal: AbortSignal | undefined,
): Promise<Json | undefined> {
  const links = linksOf(data);
  const url = links.review ?? (links.self ? draftUrl(links.self, "review") : undefined);
  if (url === undefined) return undefined;
  try {
    const res = await ctx.http.getJSON(url, { signal });
    return isObject(res.body) ? res.body : undefined;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/**
 * The requests of an InvenioRDM record: a draft never published has only its review (its
 * `…/requests` is 404 until published); a published record, or its edit draft, lists them at
 * `links.requests`.
 */
async function rdmRecordRequests(
  ctx: RecordContext,
  data: Json,
  signal: AbortSignal | undefined,
): Promise<Json[]> {
  const out: Json[] = [];
  const state = recordStateOf(data);
  if (state.draft && !state.published) {
    const review = await rdmReview(ctx, data, signal);
    if (review !== undefined) out.push(review);
  }
  const url = linksOf(data).requests;
  if (state.published && url !== undefined) {
    const res = await ctx.http.getJSON(url, { query: { size: 1000 }, signal });
    for (const hit of hitsOf(res.body)) if (!out.some((r) => r.id === hit.id)) out.push(hit);
  }
  return out;
}

/**
 * How many files a record or draft has: InvenioRDM's `files.count` or `files.entries`; NRP's
 * `files` is only `{enabled}`, so there the file list (`GET links.files`) is counted.
 */
async function fileCount(
  ctx: RecordContext,
  data: Json,
  signal: AbortSignal | undefined,
): Promise<number> {
  const files = data.files;
  if (!isObject(files) || files.enabled === false) return 0;
  if (typeof files.count === "number") return files.count;
  if (isObject(files.entries)) return Object.keys(files.entries).length;
  const url = linksOf(data).files;
  if (url === undefined) return 0;
  const list = asObject((await ctx.http.getJSON(url, { signal })).body);
  return Array.isArray(list.entries) ? list.entries.length : 0;
}

/** Whether an applicable-requests entry lets the caller create the request now. */
function hasCreateLink(entry: Json): boolean {
  const links = isObject(entry.links) ? entry.links : {};
  return isObject(links.actions) && typeof links.actions.create === "string";
}

function asObject(value: unknown): Json {
  return isObject(value) ? value : {};
}

/** Reads a record by URL and wraps it; `model` is derived when not known. */
export async function readRecord(
  ctx: RecordContext,
  url: string,
  model: string | undefined,
  options: RecordReadOptions,
): Promise<NRPRecord> {
  const repo = await ctx.info.repository({ signal: options.signal });
  const res = await ctx.http.getJSON(url, {
    query: options.expand ? { expand: "true" } : undefined,
    headers: { accept: repo.defaultContentType },
    signal: options.signal,
  });
  if (!isObject(res.body)) {
    throw new NRPError(`${url} did not return a record (a JSON object).`, {
      code: ErrorCodes.InvalidResponse,
    });
  }
  return new NRPRecord(
    ctx,
    res.body,
    etagOf(res),
    model ?? (await modelOf(ctx, res.url, res.body, options.signal)),
    await fetchRelated(ctx, res.body, options),
  );
}

/**
 * A record or draft in the repository: its JSON, and the calls of its lifecycle.
 *
 * Mutate {@link NRPRecord.data} or {@link NRPRecord.metadata} and call {@link NRPRecord.save};
 * the save is conditional on the revision that was read, so a concurrent change is never
 * overwritten silently.
 *
 * @example
 * const draft = await client.records.create("datasets", { title: "Trees" }, { community: "physics" });
 * draft.metadata.description = "Height of trees";
 * await draft.save();
 * const published = await draft.publish();
 */
export class NRPRecord {
  readonly #ctx: RecordContext;
  #data: Json;
  #etag: string | undefined;
  readonly #model: string;
  #files: NRPRecordFiles | undefined;
  #requests: NRPRecordRequests | undefined;

  /**
   * Wraps a record's JSON; obtain records from {@link Records} or `recordGetter` instead.
   *
   * @internal
   */
  constructor(
    ctx: RecordContext,
    data: Json,
    etag: string | undefined,
    model: string,
    related: RelatedLists = {},
  ) {
    this.#ctx = ctx;
    this.#data = data;
    this.#etag = etag;
    this.#model = model;
    this.#files = related.files;
    this.#requests = related.requests;
  }

  /** The client this record was read with; its token is used for every call on the record. */
  get client(): NRPInvenioClient {
    return this.#ctx.client;
  }
  /** The whole record JSON as the server sent it, with your local changes; `save()` sends it. */
  get data(): Json {
    return this.#data;
  }
  /**
   * The user metadata: `data.metadata` when the record has that section, otherwise the whole
   * `data` (models without a metadata section keep user fields at the top level).
   */
  get metadata(): Json {
    if (isObject(this.#data.metadata)) return this.#data.metadata;
    return this.#data;
  }
  /** The record's links (`self`, `self_html`, `draft`, `publish`, `files`, …), absolute URLs. */
  get links(): Readonly<Record<string, string>> {
    return linksOf(this.#data);
  }
  /** The record id, e.g. `abcde-12345`. */
  get id(): string {
    const id = this.#data.id;
    return typeof id === "string" ? id : typeof id === "number" ? String(id) : "";
  }
  /** The model (record type) this record belongs to, e.g. `datasets`. */
  get model(): string {
    return this.#model;
  }
  /** `model/id`, or `draft/model/id` for a draft: what `client.records.get` accepts. */
  get mid(): string {
    return formatMid(this.#model, this.id, this.isDraft);
  }
  /** The server's revision counter (`revision_id`). */
  get revisionId(): number | undefined {
    return typeof this.#data.revision_id === "number" ? this.#data.revision_id : undefined;
  }
  /** The ETag of the last response (`"<revision_id>"`), which `save()` sends back as `If-Match`. */
  get etag(): string | undefined {
    return this.#etag ?? (this.revisionId === undefined ? undefined : `"${this.revisionId}"`);
  }
  /**
   * Validation problems the server reported while saving leniently (drafts are stored even when
   * invalid, protocol §3.2); empty when the last answer had none.
   */
  get errors(): FieldError[] {
    const list = this.#data.errors;
    if (!Array.isArray(list)) return [];
    return (list as unknown[]).filter(isObject).map((e) => ({
      field: typeof e.field === "string" ? e.field : "",
      messages: (Array.isArray(e.messages) ? (e.messages as unknown[]) : [e.messages])
        .filter((m) => m !== undefined && m !== null)
        .map((m) => (typeof m === "string" ? m : JSON.stringify(m))),
    }));
  }
  /**
   * True for a draft: its API URL (`links.self`) is `…/<id>/draft`. oarepo/NRP records carry no
   * `is_draft`, so the URL decides; InvenioRDM's `is_draft` only when the record has no self link.
   */
  get isDraft(): boolean {
    return recordStateOf(this.#data).draft;
  }
  /**
   * True when the record (or the record this draft edits) has been published: a record that is
   * not a draft, or an edit draft (InvenioRDM's `is_published`; on NRP a draft that links its
   * published record, `links.record`).
   */
  get isPublished(): boolean {
    return recordStateOf(this.#data).published;
  }
  /** The record's files, when it was read with `includeFiles` or after {@link NRPRecord.loadFiles}. */
  get files(): NRPRecordFiles | undefined {
    return this.#files;
  }

  /**
   * Fetches the record's file list (`GET links.files`) into {@link NRPRecord.files} and returns it;
   * uploads go through it (`(await draft.loadFiles()).create(…)`).
   */
  async loadFiles(options: RecordActionOptions = {}): Promise<NRPRecordFiles> {
    const related = await fetchRelated(this.#ctx, this.#data, {
      includeFiles: true,
      signal: options.signal,
    });
    this.#files = related.files ?? new NRPRecordFiles({ enabled: false, entries: [] }, this.#ctx);
    return this.#files;
  }
  /** Applicable request types and existing requests, when read with `includeRequests`. */
  get requests(): NRPRecordRequests | undefined {
    return this.#requests;
  }

  /**
   * Fetches the request types applicable to the record now and the requests made on it into
   * {@link NRPRecord.requests}, and returns them; requests are created through it
   * (`(await draft.loadRequests()).create("publish_draft")`). On InvenioRDM there are no
   * applicable types: a draft's requests are its community-submission review, a published
   * record's those listed at `links.requests`.
   */
  async loadRequests(options: RecordActionOptions = {}): Promise<NRPRecordRequests> {
    const related = await fetchRelated(this.#ctx, this.#data, {
      includeRequests: true,
      signal: options.signal,
    });
    this.#requests = related.requests ?? new NRPRecordRequests([], [], this.#ctx);
    return this.#requests;
  }

  /** A deep copy of the record JSON. */
  toDict(): Json {
    return structuredClone(this.#data);
  }
  /** Same as {@link NRPRecord.toDict}, so that `JSON.stringify` works. */
  toJSON(): Json {
    return this.toDict();
  }

  #replace(res: HttpResponse<unknown>): void {
    if (!isObject(res.body)) {
      throw new NRPError(`${res.url} did not return a record (a JSON object).`, {
        code: ErrorCodes.InvalidResponse,
      });
    }
    this.#data = res.body;
    this.#etag = etagOf(res);
  }

  async #flavour(signal: AbortSignal | undefined): Promise<FlavourRules> {
    return flavourOf(await this.#ctx.info.repository({ signal }));
  }

  #link(name: string): string {
    const url = this.links[name];
    if (!url) {
      throw new NRPError(`Record ${this.mid} has no links.${name}.`, {
        code: ErrorCodes.MissingLink,
      });
    }
    return url;
  }

  #ifMatch(): Record<string, string> {
    const revision = revisionFromEtag(this.etag);
    return revision === undefined ? {} : { "if-match": revision };
  }

  /** Turns a 412 into the same error with advice on how to recover. */
  #conflict(error: unknown): unknown {
    if (!(error instanceof PreconditionFailedError)) return error;
    const message =
      `${error.message}\n  The record ${this.mid} changed on the server since it was read; ` +
      "nothing was overwritten. Reload it with record.refresh() (on the command line: run " +
      "`nrp get record` again), re-apply your changes and save again.";
    return new PreconditionFailedError(message, { ...apiErrorInit(error), cause: error });
  }

  /**
   * Saves the record: `PUT links.self` with `If-Match: <revision>`; the answer (the stored draft,
   * possibly with `errors`) replaces `data` in place.
   *
   * @throws {@link PreconditionFailedError} when someone changed the record since it was read;
   * nothing is overwritten, and the message says how to reload.
   * @throws {@link NRPError} with code `NRP_NOT_A_DRAFT` for a published record: edit its draft.
   */
  async save(options: RecordActionOptions = {}): Promise<this> {
    // Invenio answers a PUT on a published record with a 500 (updates go through drafts, §3.1),
    // which would only be retried in vain.
    if (!this.isDraft) {
      throw new NRPError(
        `Record ${this.mid} is published; open a draft with edit(), change and save that, then publish it.`,
        { code: ErrorCodes.NotADraft },
      );
    }
    try {
      const res = await this.#ctx.http.putJSON(this.#link("self"), prepareSaveBody(this.#data), {
        headers: this.#ifMatch(),
        signal: options.signal,
      });
      this.#replace(res);
    } catch (error) {
      throw this.#conflict(error);
    }
    return this;
  }

  /**
   * Deletes the draft (`DELETE links.self`, conditional on the revision that was read), or a
   * published record with `removalReason`: on NRP through a `delete_published_record` request; on
   * InvenioRDM by `DELETE …/<id>/delete` (administrators only), after which the record answers
   * 410 with a tombstone.
   *
   * @throws {@link NRPError} with code `NRP_REMOVAL_REASON_REQUIRED` for a published record
   * without `removalReason`, before anything is sent.
   * @throws {@link ReviewPendingError} when the deletion request waits for a curator.
   * @throws {@link PermissionDeniedError} on InvenioRDM for a caller who is not an administrator,
   * saying so and what to do instead.
   * @throws {@link NRPError} with code `NRP_INVALID_INPUT` on InvenioRDM for a removal reason
   * outside the repository's `removalreasons` vocabulary, listing its reasons, before anything
   * is sent (a {@link BadRequestError} when the vocabulary cannot be read and the server refuses).
   */
  async delete(options: DeleteRecordOptions = {}): Promise<void> {
    if (!this.isDraft) {
      await this.#deletePublished(options);
      return;
    }
    try {
      await this.#ctx.http.delete(this.#link("self"), {
        headers: this.#ifMatch(),
        signal: options.signal,
      });
    } catch (error) {
      throw this.#conflict(error);
    }
  }

  async #deletePublished(options: DeleteRecordOptions): Promise<void> {
    const flavour = await this.#flavour(options.signal);
    const reason = options.removalReason?.trim();
    if (!reason) {
      throw new NRPError(
        flavour.deletePublished === "admin"
          ? `Record ${this.mid} is published: deleting it needs a removal reason (removalReason; ` +
              `on the command line --reason), one of ${RDM_REMOVAL_REASONS.join(", ")}.`
          : `Record ${this.mid} is published: deleting it is a "delete_published_record" request, ` +
              "which needs a removal reason (removalReason; on the command line --reason).",
        { code: ErrorCodes.RemovalReasonRequired },
      );
    }
    if (flavour.deletePublished === "admin") {
      await this.#adminDelete(reason, options);
      return;
    }
    const type = "delete_published_record";
    const entry = await this.#applicableEntry(type, options.signal);
    if (!entry) {
      const applicable = this.links["applicable-requests"];
      if (applicable) throw this.#requestRequired(type, "delete", applicable);
      throw new NRPError(`Record ${this.mid} offers no "${type}" request: you cannot delete it.`, {
        code: ErrorCodes.RequestNotApplicable,
      });
    }
    const payload: Json = { removal_reason: reason };
    if (options.note !== undefined) payload.note = options.note;
    const requests = new NRPRecordRequests([entry], [], this.#ctx);
    const request = await requests.create(type, payload, { submit: false, signal: options.signal });
    try {
      await request.submit({ signal: options.signal });
    } catch (error) {
      // An auto-approved deletion is accepted within the submit, and oarepo then fails to
      // serialise the answer about its (now deleted) topic: 410. The record's own 410 confirms it.
      if (error instanceof GoneError && (await this.#isGone(options.signal))) return;
      throw error;
    }
    if (request.status !== "accepted") throw this.#pending(request, "deletion");
  }

  /** Whether reading the published record now answers 410 (it was deleted). */
  async #isGone(signal: AbortSignal | undefined): Promise<boolean> {
    try {
      await this.#ctx.http.getJSON(this.#link("self"), { signal });
      return false;
    } catch (error) {
      if (error instanceof GoneError) return true;
      throw error;
    }
  }

  /**
   * InvenioRDM's deletion of a published record (`DELETE …/<id>/delete`, 204), which leaves a
   * tombstone (410 afterwards). Only administrators may; anyone else gets a 403 that says so.
   */
  async #adminDelete(reason: string, options: DeleteRecordOptions): Promise<void> {
    // Checked before sending: InvenioRDM 13 answers an unknown reason with a 500 and leaves the
    // record unreadable, so the server must never see one.
    const known = await this.#removalReasons(options.signal);
    if (known !== undefined && !known.includes(reason)) {
      throw new NRPError(
        `"${reason}" is not a removal reason of this repository; use one of ${known.join(", ")}.`,
        { code: ErrorCodes.InvalidInput },
      );
    }
    const url = `${this.#link("self").replace(/\/+$/, "")}/delete`;
    const body: Json = { removal_reason: { id: reason } };
    if (options.note !== undefined) body.note = options.note;
    try {
      await this.#ctx.http.json({
        method: "DELETE",
        url,
        body: JSON.stringify(body),
        headers: { "content-type": "application/json" },
        signal: options.signal,
      });
    } catch (error) {
      if (error instanceof PermissionDeniedError) {
        throw new PermissionDeniedError(
          `Only administrators may delete published records on InvenioRDM, and the server ` +
            `refused to delete ${this.mid} (403 ${error.serverMessage ?? "Permission denied."}). ` +
            "To change it, publish a new version (record.newVersion(); on the command line: " +
            "nrp version record), or ask the repository's administrators to remove it.",
          { ...apiErrorInit(error), cause: error },
        );
      }
      // An unknown vocabulary id is RDM's `Invalid value <id>.`, without a field.
      if (error instanceof BadRequestError && error.serverMessage?.includes(reason) === true) {
        throw new BadRequestError(
          `The repository refused the removal reason "${reason}": ` +
            `${error.message.split("\n")[0] ?? ""}. Use one of ${RDM_REMOVAL_REASONS.join(", ")}.`,
          { ...apiErrorInit(error), cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * The ids of the repository's `removalreasons` vocabulary (public on InvenioRDM), or undefined
   * when it cannot be read; the server then judges the reason itself.
   */
  async #removalReasons(signal: AbortSignal | undefined): Promise<string[] | undefined> {
    const repo = await this.#ctx.info.repository({ signal });
    let body: unknown;
    try {
      body = (
        await this.#ctx.http.getJSON(`${repo.apiUrl}/vocabularies/removalreasons`, {
          query: { size: 1000 },
          signal,
        })
      ).body;
    } catch (error) {
      if (error instanceof APIError) return undefined;
      throw error;
    }
    const ids = hitsOf(body)
      .map((h) => h.id)
      .filter((id): id is string => typeof id === "string");
    return ids.length > 0 ? ids : undefined;
  }

  /** Reloads the record (and its files and requests, if they were loaded) from `links.self`. */
  async refresh(options: RecordActionOptions = {}): Promise<this> {
    const repo = await this.#ctx.info.repository({ signal: options.signal });
    const res = await this.#ctx.http.getJSON(this.#link("self"), {
      headers: { accept: repo.defaultContentType },
      signal: options.signal,
    });
    // Everything is fetched before anything changes, so a failed refresh leaves the object whole.
    const related = await fetchRelated(this.#ctx, asObject(res.body), {
      includeFiles: this.#files !== undefined,
      includeRequests: this.#requests !== undefined,
      signal: options.signal,
    });
    this.#replace(res);
    if (related.files) this.#files = related.files;
    if (related.requests) this.#requests = related.requests;
    return this;
  }

  /**
   * A POST that must not be repeated on a 5xx (not idempotent), answered by a record. A 403 on a
   * record that offers `requestType` goes through that request instead.
   */
  async #action(
    url: string,
    requestType: string,
    what: string,
    payload: Json | undefined,
    options: RecordActionOptions,
  ): Promise<NRPRecord> {
    let res: HttpResponse<unknown>;
    try {
      res = await this.#ctx.http.postJSON(url, {}, { signal: options.signal });
    } catch (error) {
      const applicable = this.links["applicable-requests"];
      if (!(error instanceof PermissionDeniedError) || !applicable) throw error;
      const entry = await this.#offeredEntry(applicable, requestType, options.signal);
      if (entry === undefined) throw error;
      if (!hasCreateLink(entry)) throw this.#requestRequired(requestType, what, applicable, error);
      const request = await this.#submitRequest(entry, payload, options.signal);
      return this.#outcome(request, "draft_record", what, options.signal);
    }
    if (!isObject(res.body)) {
      throw new NRPError(`${url} did not return a record (a JSON object).`, {
        code: ErrorCodes.InvalidResponse,
      });
    }
    return new NRPRecord(this.#ctx, res.body, etagOf(res), this.#model);
  }

  /** The applicable-requests entry of `requestType`, if the record offers it. */
  async #offeredEntry(
    url: string,
    requestType: string,
    signal: AbortSignal | undefined,
  ): Promise<Json | undefined> {
    try {
      const res = await this.#ctx.http.getJSON(url, { signal });
      return hitsOf(res.body).find((t) => t.type_id === requestType);
    } catch {
      return undefined;
    }
  }

  /** The entry of `requestType` that the caller may create now, if any. */
  async #applicableEntry(
    requestType: string,
    signal: AbortSignal | undefined,
  ): Promise<Json | undefined> {
    const applicable = this.links["applicable-requests"];
    if (!applicable) return undefined;
    const entry = await this.#offeredEntry(applicable, requestType, signal);
    return entry && hasCreateLink(entry) ? entry : undefined;
  }

  /** Creates and submits a request from an applicable-requests entry. */
  async #submitRequest(
    entry: Json,
    payload: Json | undefined,
    signal: AbortSignal | undefined,
  ): Promise<NRPRecordRequest> {
    const requests = new NRPRecordRequests([entry], [], this.#ctx);
    return requests.create(String(entry.type_id), payload, { signal });
  }

  #pending(request: NRPRecordRequest, what: string): NRPError {
    if (request.isOpen) {
      return new ReviewPendingError(
        `The ${what} of ${this.mid} waits for review: request ${request.id} (${request.type}) ` +
          `is ${request.status}. Its receiver accepts or declines it; follow it with ` +
          "request.refresh() (on the command line: nrp get request <id>).",
        { request },
      );
    }
    return new NRPError(
      `Request ${request.id} (${request.type}) for the ${what} of ${this.mid} ended ${request.status}.`,
      { code: ErrorCodes.RequestNotAccepted },
    );
  }

  /**
   * The record an accepted request leads to: the payload's `<key>.links.self` (oarepo fills it
   * on accept), else the request's topic.
   */
  async #outcome(
    request: NRPRecordRequest,
    key: "draft_record" | "published_record",
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<NRPRecord> {
    if (request.status !== "accepted") throw this.#pending(request, what);
    const target = request.payload[key];
    const links = isObject(target) ? target.links : undefined;
    const url =
      (isObject(links) && typeof links.self === "string" ? links.self : undefined) ??
      request.topicUrl;
    if (url === undefined) {
      throw new NRPError(
        `Request ${request.id} was accepted but names no resulting record; read ${this.mid} again.`,
        { code: ErrorCodes.InvalidResponse },
      );
    }
    return readRecord(this.#ctx, url, this.#model, { signal });
  }

  #requestRequired(
    requestType: string,
    what: string,
    applicable: string,
    cause?: unknown,
  ): RequestRequiredError {
    return new RequestRequiredError(
      `You cannot ${what} ${this.mid} directly: this repository does it through a ` +
        `"${requestType}" request that a curator accepts, and you cannot create one now ` +
        `(its types are listed at ${applicable}; an open request of that type may exist).`,
      { requestType, applicableRequestsUrl: applicable, cause },
    );
  }

  /**
   * Publishes the draft and returns the published record.
   *
   * With `links.publish` this is a direct `POST`. A model that publishes through review has no
   * such link: then the applicable publish request (`publish_draft`, `publish_new_version` or
   * `publish_changed_metadata`) is created and submitted; when the workflow auto-accepts it, the
   * published record is returned as well.
   *
   * On InvenioRDM a draft created for a community has a community-submission review: publishing
   * submits it to the community's curators (`POST …/draft/actions/submit-review`, 202), whose
   * accept publishes the record into the community. After a decline the review is submitted
   * again; after the depositor cancelled it, the draft is published directly, outside the
   * community. A draft without a review is published directly.
   *
   * With `version`, `metadata.version` is set and saved first. Publishing validates strictly: an
   * invalid draft gives a `BadRequestError` with field errors.
   *
   * @throws {@link ReviewPendingError} when the publish request (or RDM review) was submitted and
   * waits for a curator, or was already waiting; its `request` is that request.
   * @throws {@link RequestRequiredError} when publishing needs a request the caller cannot create
   * now (e.g. one is already open).
   */
  async publish(options: PublishOptions = {}): Promise<NRPRecord> {
    if (this.isDraft && (await this.#flavour(options.signal)).publish === "review") {
      const review = await rdmReview(this.#ctx, this.#data, options.signal);
      if (review !== undefined) {
        const submitted = await this.#submitReview(review, options);
        if (submitted !== undefined) return submitted;
      }
    }
    const links = this.links;
    const publishUrl = links.publish;
    if (!publishUrl) {
      if (!this.isDraft) {
        throw new NRPError(
          `Record ${this.mid} is not a draft, so there is nothing to publish. Call edit() or newVersion() first.`,
          { code: ErrorCodes.NotADraft },
        );
      }
      const applicable = links["applicable-requests"];
      if (applicable) return this.#publishViaRequest(applicable, options);
      throw new NRPError(
        `Draft ${this.mid} has no publish link: you are not allowed to publish it.`,
        { code: ErrorCodes.CannotPublish },
      );
    }
    if (options.version !== undefined) {
      this.metadata.version = options.version;
      await this.save({ signal: options.signal });
    }
    return this.#action(
      this.links.publish ?? publishUrl,
      "publish_draft",
      "publish",
      undefined,
      options,
    );
  }

  /**
   * Publishes through the InvenioRDM draft's community-submission review: a review not yet
   * submitted is submitted (`POST …/draft/actions/submit-review`, 202); a declined or expired one
   * is replaced by a new review to the same community, which is submitted; a submitted one is
   * still waiting. Resolves with `undefined` when the review no longer binds the draft
   * (accepted or cancelled), so that it is published directly.
   */
  async #submitReview(review: Json, options: PublishOptions): Promise<NRPRecord | undefined> {
    const ctx = this.#ctx;
    const status = review.status;
    if (status === "submitted") {
      throw this.#pending(new NRPRecordRequest(ctx, review), "publication");
    }
    if (status !== "created" && status !== "declined" && status !== "expired") return undefined;
    const self = this.#link("self");
    if (status !== "created") {
      const receiver = isObject(review.receiver) ? review.receiver.community : undefined;
      if (typeof receiver !== "string") return undefined;
      const url = this.links.review ?? draftUrl(self, "review");
      await ctx.http.putJSON(url, rdmReviewBody(receiver), { signal: options.signal });
    }
    if (options.version !== undefined) {
      this.metadata.version = options.version;
      await this.save({ signal: options.signal });
    }
    const url = this.links["submit-review"] ?? draftUrl(self, "actions/submit-review");
    const res = await ctx.http.postJSON(url, {}, { signal: options.signal });
    if (!isObject(res.body)) {
      throw new NRPError(`${url} did not return a request (a JSON object).`, {
        code: ErrorCodes.InvalidResponse,
      });
    }
    const request = new NRPRecordRequest(ctx, res.body);
    // A community that includes the depositor's records directly accepts at once (RDM
    // `include_directly`); the accept published the draft.
    if (request.status !== "accepted") throw this.#pending(request, "publication");
    return readRecord(ctx, this.links.record ?? self.replace(/\/draft\/?$/, ""), this.#model, {
      signal: options.signal,
    });
  }

  async #publishViaRequest(applicable: string, options: PublishOptions): Promise<NRPRecord> {
    const res = await this.#ctx.http.getJSON(applicable, { signal: options.signal });
    const types = hitsOf(res.body);
    const entry = PUBLISH_TYPES.map((t) => types.find((e) => e.type_id === t)).find(
      (e) => e !== undefined && hasCreateLink(e),
    );
    if (entry === undefined) throw this.#requestRequired("publish_draft", "publish", applicable);
    if (options.version !== undefined) {
      this.metadata.version = options.version;
      await this.save({ signal: options.signal });
    }
    const request = await this.#submitRequest(entry, undefined, options.signal);
    return this.#outcome(request, "published_record", "publication", options.signal);
  }

  /**
   * Opens a draft of this published record for editing (`POST …/draft`, 201); an existing draft
   * is returned as is. When the server refuses (403) and the record offers an
   * `edit_published_record` request, that request is created and submitted instead, and the
   * draft it opens is returned once accepted.
   *
   * @throws {@link ReviewPendingError} when the edit request waits for a curator.
   * @throws {@link RequestRequiredError} when the request is offered but cannot be created now.
   */
  async edit(options: RecordActionOptions = {}): Promise<NRPRecord> {
    if (this.isDraft) {
      throw new NRPError(`Record ${this.mid} is already a draft; edit it and save().`, {
        code: ErrorCodes.AlreadyADraft,
      });
    }
    // oarepo emits `links.draft` only once a draft exists; the edit route is `<self>/draft`.
    const url = this.links.draft ?? `${this.#link("self").replace(/\/+$/, "")}/draft`;
    return this.#action(url, "edit_published_record", "edit", undefined, options);
  }

  /**
   * Starts a new version of this record (`POST links.versions`, 201) and returns its draft. Files
   * are not carried over by the server (protocol §3.8); with `keepFiles` the new draft imports
   * them (`POST …/draft/actions/files-import`), on NRP and InvenioRDM alike. When the server
   * refuses (403) and the record offers a `new_version` request (NRP), that request is created
   * (with `keep_files` from `keepFiles`, so that a curator's later accept imports the files too)
   * and submitted, and the new draft is returned once accepted, with the files imported if the
   * accept did not.
   *
   * @throws {@link ReviewPendingError} when the new-version request waits for a curator.
   * @throws {@link RequestRequiredError} when the request is offered but cannot be created now.
   */
  async newVersion(options: NewVersionOptions = {}): Promise<NRPRecord> {
    const payload =
      options.keepFiles === undefined
        ? undefined
        : { keep_files: options.keepFiles ? "yes" : "no" };
    const draft = await this.#action(
      this.#link("versions"),
      "new_version",
      "create a new version of",
      payload,
      options,
    );
    if (options.keepFiles === true) await this.#importFiles(draft, options.signal);
    return draft;
  }

  /**
   * Links this version's files into the new version's draft (`POST …/draft/actions/files-import`,
   * 201) and reloads the draft; nothing to do when this version has no files or the draft has
   * some already (the server imported them, or an open new version was returned as it was).
   * Invenio refuses the import into a draft that has files, so both are counted first.
   */
  async #importFiles(draft: NRPRecord, signal: AbortSignal | undefined): Promise<void> {
    if ((await fileCount(this.#ctx, this.#data, signal)) === 0) return;
    if ((await fileCount(this.#ctx, draft.data, signal)) > 0) return;
    const self = draft.links.self;
    if (self === undefined) return;
    await this.#ctx.http.postJSON(draftUrl(self, "actions/files-import"), {}, { signal });
    await draft.refresh({ signal });
  }

  /** A short description for logs. */
  toString(): string {
    return `NRPRecord[${this.mid}]`;
  }
}

/**
 * `client.records`: read, create and bulk-create records of the repository's models.
 *
 * @example
 * const rec = await client.records.get("datasets/abcde-12345", { includeFiles: true });
 * const draft = await client.records.get(["draft", "datasets", "abcde-12345"]);
 */
export class Records {
  readonly #ctx: RecordContext;
  /** Community UUIDs by the slug or id they were asked for, looked up once per client. */
  readonly #communities = new Map<string, Promise<string>>();

  /**
   * Built by {@link NRPInvenioClient}; use `client.records`.
   *
   * @internal
   */
  constructor(ctx: RecordContext) {
    this.#ctx = ctx;
  }

  /**
   * Reads a record by mid (`model/id`, `draft/model/id`, the array forms, or a bare id), or by a
   * URL of this repository (see {@link Records.getByUrl}). DOIs and other repositories' URLs
   * are `recordGetter`'s job.
   */
  async get(id: RecordId, options: RecordReadOptions = {}): Promise<NRPRecord> {
    if (typeof id === "string" && /^https?:\/\//i.test(id.trim())) {
      return this.getByUrl(id.trim(), options);
    }
    const repo = await this.#ctx.info.repository({ signal: options.signal });
    const mid = parseMid(id, repo.defaultModel);
    return this.getById(mid.model, mid.id, { ...options, draft: mid.draft });
  }

  /** Reads a record of `model` by its id; `draft: true` reads its draft. */
  async getById(model: string, id: string, options: GetByIdOptions = {}): Promise<NRPRecord> {
    const info = await this.#ctx.info.getModel(model, { signal: options.signal });
    const base = info.url.endsWith("/") ? info.url : `${info.url}/`;
    const url = `${base}${encodeURIComponent(id)}${options.draft ? "/draft" : ""}`;
    return readRecord(this.#ctx, url, info.name, options);
  }

  /**
   * Reads a record by a URL of this repository: an API URL (`…/<id>`, `…/<id>/draft`), or a
   * landing page, which leads to the API through its signposting `Link: rel="linkset"` header or,
   * without one, through the model whose HTML prefix it matches.
   */
  async getByUrl(url: string, options: RecordReadOptions = {}): Promise<NRPRecord> {
    const models = await this.#ctx.info.models({ signal: options.signal });
    const urls = modelUrls(models);
    const api = matchApiUrl(url, urls);
    if (api) return this.getById(api.model, api.id, { ...options, draft: api.draft });
    if (new URL(url).pathname.startsWith("/api/")) {
      return readRecord(this.#ctx, url, undefined, options);
    }
    // Draft previews are not public pages (the server answers 404 or a login page), so a page
    // that cannot be read still resolves when its URL has a model's shape.
    let page: HttpResponse<string> | undefined;
    try {
      page = await this.#ctx.http.text({
        method: "GET",
        url,
        headers: { accept: "text/html" },
        signal: options.signal,
      });
    } catch (error) {
      if (!(error instanceof APIError) || matchHtmlUrl(url, urls) === undefined) throw error;
    }
    const linkset = page && linksetUrl(page.headers.link, page.url);
    if (linkset) return readRecord(this.#ctx, linkset, undefined, options);
    const html = matchHtmlUrl(url, urls) ?? (page && matchHtmlUrl(page.url, urls));
    if (html) return this.getById(html.model, html.id, { ...options, draft: html.draft });
    throw new InvalidRecordIdError(
      `${url} is neither a record API URL nor a landing page that links to one (it has no Link rel="linkset" header and matches no model).`,
      url,
    );
  }

  /**
   * Creates a draft of `model` (`POST`, 201). Bare metadata is wrapped in `{metadata}` when the
   * model keeps data there; a body that already has `metadata` is sent as is. Never retried on a
   * server error: a create is not idempotent.
   *
   * The draft may come back with {@link NRPRecord.errors}: drafts are validated leniently.
   *
   * With `community` on InvenioRDM the draft also gets its community-submission review
   * (`PUT …/draft/review`); should that fail, the draft is deleted again and the error thrown.
   */
  async create(model: string, data: Json, options: CreateRecordOptions = {}): Promise<NRPRecord> {
    if (!isObject(data)) {
      throw new NRPError(
        `A record must be a JSON object, got ${Array.isArray(data) ? "an array" : typeof data}.`,
        { code: ErrorCodes.InvalidInput },
      );
    }
    const info = await this.#ctx.info.getModel(model, { signal: options.signal });
    const repo = await this.#ctx.info.repository({ signal: options.signal });
    const viaReview = options.community !== undefined && flavourOf(repo).community === "review";
    const communityId = viaReview
      ? await this.#communityId(options.community ?? "", options.signal)
      : undefined;
    const body = prepareCreateBody(data, {
      metadataModel: info.metadata,
      community: viaReview ? undefined : options.community,
      workflow: options.workflow,
      filesEnabled: options.filesEnabled,
    });
    const deposit = info.links.deposit ?? info.url;
    const res = await this.#ctx.http.postJSON(deposit, body, { signal: options.signal });
    if (!isObject(res.body)) {
      throw new NRPError(`${deposit} did not return a record (a JSON object).`, {
        code: ErrorCodes.InvalidResponse,
      });
    }
    const draft = new NRPRecord(this.#ctx, res.body, etagOf(res), info.name);
    if (communityId !== undefined) await this.#addressReview(draft, communityId, options.signal);
    return draft;
  }

  /**
   * Gives a new InvenioRDM draft its community-submission review (`PUT …/draft/review`) and
   * reloads it, so that `parent.review` shows; when that fails the draft is deleted again, so a
   * failed create leaves nothing behind.
   */
  async #addressReview(
    draft: NRPRecord,
    communityId: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const self = draft.links.self ?? "";
    try {
      await this.#ctx.http.putJSON(
        draft.links.review ?? draftUrl(self, "review"),
        rdmReviewBody(communityId),
        {
          signal,
        },
      );
      await draft.refresh({ signal });
    } catch (error) {
      await draft.delete().catch(() => undefined);
      throw error;
    }
  }

  /** The UUID of a community given by slug or UUID (`GET /api/communities/<slug or id>`). */
  #communityId(wanted: string, signal: AbortSignal | undefined): Promise<string> {
    const key = wanted.trim();
    let found = this.#communities.get(key);
    if (found === undefined) {
      found = this.#lookUpCommunity(key, signal);
      this.#communities.set(key, found);
      // A failed lookup (unknown, or the network) is not remembered.
      found.catch(() => this.#communities.delete(key));
    }
    return found;
  }

  async #lookUpCommunity(wanted: string, signal: AbortSignal | undefined): Promise<string> {
    const repo = await this.#ctx.info.repository({ signal });
    const url = `${repo.apiUrl}/communities/${encodeURIComponent(wanted)}`;
    let body: unknown;
    try {
      body = (await this.#ctx.http.getJSON(url, { signal })).body;
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new NRPError(`Unknown community "${wanted}": ${url} answered 404.`, {
          code: ErrorCodes.UnknownCommunity,
          cause: error,
        });
      }
      throw error;
    }
    const id = isObject(body) ? body.id : undefined;
    if (typeof id !== "string" || id === "") {
      throw new NRPError(`${url} did not return a community with an id.`, {
        code: ErrorCodes.InvalidResponse,
      });
    }
    return id;
  }

  /**
   * Creates many drafts of `model` with at most `concurrency` requests at once and returns one
   * result per item, in input order. A failing item never stops the others.
   *
   * Items are pulled from `items` only when a worker is free, so a large (async) iterable is never
   * held in memory. After an abort no further item is started; the results then cover the items
   * that were started, and those cut short carry an {@link APIUserAbortError}.
   */
  async createMany(
    model: string,
    items: Iterable<Json> | AsyncIterable<Json>,
    options: CreateManyOptions = {},
  ): Promise<CreateManyResult[]> {
    const concurrency = options.concurrency ?? 4;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new NRPError(
        `concurrency must be a positive integer, got ${String(options.concurrency)}.`,
        { code: ErrorCodes.InvalidInput },
      );
    }
    // Fail fast on an unknown model instead of once per item.
    await this.#ctx.info.getModel(model, { signal: options.signal });
    const create: CreateRecordOptions = {
      community: options.community,
      workflow: options.workflow,
      filesEnabled: options.filesEnabled,
      signal: options.signal,
    };
    const results = await runPool(items, (item) => this.create(model, item, create), {
      concurrency,
      signal: options.signal,
      onSettled: options.onProgress,
    });
    return results.map((r) =>
      r.ok
        ? { index: r.index, ok: true, record: r.value }
        : {
            index: r.index,
            ok: false,
            error:
              options.signal?.aborted && !(r.error instanceof NRPError)
                ? new APIUserAbortError("The request was aborted.", { cause: r.error })
                : asNRPError(r.error),
          },
    );
  }
}

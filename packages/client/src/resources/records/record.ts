// The record object: a record or draft's JSON with its files and requests, saved with optimistic
// locking; the calls of its draft/publish workflow delegate to workflow.ts.

import type { NRPInvenioClient } from "../../client.js";
import { ErrorCodes, NRPError, PreconditionFailedError } from "../../core/errors.js";
import type { FieldError } from "../../core/errors.js";
import type { Json } from "../../core/json.js";
import type { HttpResponse } from "../../internal/http.js";
import { formatMid } from "../../internal/ids.js";
import { isObject } from "../../internal/json.js";
import { prepareSaveBody, revisionFromEtag } from "../../internal/record-body.js";
import { recordStateOf } from "../../internal/record-state.js";
import type { UploadOptions } from "../../core/transfers.js";
import type { UploadInput } from "../../core/uploads.js";
import { NRPRecordFiles } from "../files.js";
import type { NRPFile } from "../files.js";
import { NRPRecordRequests } from "../requests.js";
import type {
  DeleteRecordOptions,
  NewVersionOptions,
  PublishOptions,
  RecordActionOptions,
  RecordReadOptions,
} from "./options.js";
import { apiErrorInit, asObject, etagOf, fetchRelated, linksOf, modelOf } from "./shared.js";
import type { RecordContext, RelatedLists } from "./shared.js";
import { RecordWorkflow } from "./workflow.js";

/** Reads a record by URL and wraps it; `model` is derived when not known. */
export async function readRecord<M extends object = Json>(
  ctx: RecordContext,
  url: string,
  model: string | undefined,
  options: RecordReadOptions,
): Promise<NRPRecord<M>> {
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
  return new NRPRecord<M>(
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
 *
 * The type parameter `M` is the shape of {@link NRPRecord.metadata} (an open object by default);
 * it is what you declare, not something the client checks:
 * `const rec = await client.records.get<{ title: string }>("datasets/abcde-12345")`.
 */
export class NRPRecord<M extends object = Json> {
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
  get metadata(): M {
    if (isObject(this.#data.metadata)) return this.#data.metadata as M;
    return this.#data as M;
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
  /**
   * Uploads a file to this draft: {@link NRPRecordFiles.create} on {@link NRPRecord.files},
   * loading the file list first when it was not loaded yet, so that one call does it.
   *
   * @example
   * await draft.upload("data.csv", "./data.csv", { metadata: { title: "Data" } });
   */
  async upload(key: string, source: UploadInput, options: UploadOptions = {}): Promise<NRPFile> {
    const files = this.#files ?? (await this.loadFiles({ signal: options.signal }));
    return files.create(key, source, options);
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

  /** The draft/publish workflow of this record, with access to what it needs of the record. */
  #workflow(): RecordWorkflow {
    const ctx = this.#ctx;
    const model = this.#model;
    // The workflow reads and writes the metadata as JSON, whatever `M` the caller declared.
    return new RecordWorkflow(this as unknown as NRPRecord, {
      ctx,
      model,
      link: (name) => this.#link(name),
      ifMatch: () => this.#ifMatch(),
      conflict: (error) => this.#conflict(error),
      wrap: (res, body) => new NRPRecord(ctx, body, etagOf(res), model),
      read: (url, signal) => readRecord(ctx, url, model, { signal }),
    });
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
    await this.#workflow().delete(options);
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
  async publish(options: PublishOptions = {}): Promise<NRPRecord<M>> {
    return (await this.#workflow().publish(options)) as NRPRecord<M>;
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
  async edit(options: RecordActionOptions = {}): Promise<NRPRecord<M>> {
    return (await this.#workflow().edit(options)) as NRPRecord<M>;
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
  async newVersion(options: NewVersionOptions = {}): Promise<NRPRecord<M>> {
    return (await this.#workflow().newVersion(options)) as NRPRecord<M>;
  }

  /** A short description for logs. */
  toString(): string {
    return `NRPRecord[${this.mid}]`;
  }
}

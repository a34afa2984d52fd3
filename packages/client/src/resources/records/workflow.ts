// The draft/publish workflow of a record: delete (drafts, and published records through a request
// or InvenioRDM's administrator deletion), publish (directly, through an oarepo request, or
// through InvenioRDM's community review), edit and new version, with the request a 403 leads to.

import {
  APIError,
  BadRequestError,
  ErrorCodes,
  GoneError,
  NRPError,
  PermissionDeniedError,
  RequestRequiredError,
} from "../../core/errors.js";
import type { Json } from "../../core/json.js";
import { flavourOf } from "../../internal/flavour.js";
import type { FlavourRules } from "../../internal/flavour.js";
import type { HttpResponse } from "../../internal/http.js";
import { isObject } from "../../internal/json.js";
import { RDM_REMOVAL_REASONS, draftUrl, rdmReviewBody } from "../../internal/rdm-review.js";
import { hitsOf } from "../page.js";
import { NRPRecordRequest, NRPRecordRequests, ReviewPendingError } from "../requests.js";
import type {
  DeleteRecordOptions,
  NewVersionOptions,
  PublishOptions,
  RecordActionOptions,
} from "./options.js";
import type { NRPRecord } from "./record.js";
import { apiErrorInit, fileCount, hasCreateLink, rdmReview } from "./shared.js";
import type { RecordContext } from "./shared.js";

/** The publish request types, in the order a draft is matched against them (protocol §6.2). */
const PUBLISH_TYPES = ["publish_draft", "publish_new_version", "publish_changed_metadata"];

/** What the workflow needs of its record beyond the public API; given by the record itself. */
export interface RecordAccess {
  ctx: RecordContext;
  /** The record's model. */
  model: string;
  /** `links[name]`, or a `NRP_MISSING_LINK` error. */
  link(name: string): string;
  /** The `If-Match` header of the revision that was read. */
  ifMatch(): Record<string, string>;
  /** Turns a 412 into the same error with advice on how to recover. */
  conflict(error: unknown): unknown;
  /** A new record of the same model from an answer. */
  wrap(res: HttpResponse<unknown>, body: Json): NRPRecord;
  /** Reads a record of the same model by URL. */
  read(url: string, signal: AbortSignal | undefined): Promise<NRPRecord>;
}

/**
 * The calls that move a record between draft and published; built by {@link NRPRecord} for each
 * call, so it holds no state of its own.
 */
export class RecordWorkflow {
  readonly #record: NRPRecord;
  readonly #access: RecordAccess;
  readonly #ctx: RecordContext;

  /** Binds the workflow to `record`. */
  constructor(record: NRPRecord, access: RecordAccess) {
    this.#record = record;
    this.#access = access;
    this.#ctx = access.ctx;
  }

  async #flavour(signal: AbortSignal | undefined): Promise<FlavourRules> {
    return flavourOf(await this.#ctx.info.repository({ signal }));
  }

  /** Deletes the draft, or the published record with a removal reason (see NRPRecord.delete). */
  async delete(options: DeleteRecordOptions = {}): Promise<void> {
    if (!this.#record.isDraft) {
      await this.#deletePublished(options);
      return;
    }
    try {
      await this.#ctx.http.delete(this.#access.link("self"), {
        headers: this.#access.ifMatch(),
        signal: options.signal,
      });
    } catch (error) {
      throw this.#access.conflict(error);
    }
  }

  async #deletePublished(options: DeleteRecordOptions): Promise<void> {
    const flavour = await this.#flavour(options.signal);
    const reason = options.removalReason?.trim();
    if (!reason) {
      throw new NRPError(
        flavour.deletePublished === "admin"
          ? `Record ${this.#record.mid} is published: deleting it needs a removal reason (removalReason; ` +
              `on the command line --reason), one of ${RDM_REMOVAL_REASONS.join(", ")}.`
          : `Record ${this.#record.mid} is published: deleting it is a "delete_published_record" request, ` +
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
      const applicable = this.#record.links["applicable-requests"];
      if (applicable) throw this.#requestRequired(type, "delete", applicable);
      throw new NRPError(
        `Record ${this.#record.mid} offers no "${type}" request: you cannot delete it.`,
        {
          code: ErrorCodes.RequestNotApplicable,
        },
      );
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
      await this.#ctx.http.getJSON(this.#access.link("self"), { signal });
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
    const url = `${this.#access.link("self").replace(/\/+$/, "")}/delete`;
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
            `refused to delete ${this.#record.mid} (403 ${error.serverMessage ?? "Permission denied."}). ` +
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
      const applicable = this.#record.links["applicable-requests"];
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
    return this.#access.wrap(res, res.body);
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
    const applicable = this.#record.links["applicable-requests"];
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
        `The ${what} of ${this.#record.mid} waits for review: request ${request.id} (${request.type}) ` +
          `is ${request.status}. Its receiver accepts or declines it; follow it with ` +
          "request.refresh() (on the command line: nrp get request <id>).",
        { request },
      );
    }
    return new NRPError(
      `Request ${request.id} (${request.type}) for the ${what} of ${this.#record.mid} ended ${request.status}.`,
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
        `Request ${request.id} was accepted but names no resulting record; read ${this.#record.mid} again.`,
        { code: ErrorCodes.InvalidResponse },
      );
    }
    return this.#access.read(url, signal);
  }

  #requestRequired(
    requestType: string,
    what: string,
    applicable: string,
    cause?: unknown,
  ): RequestRequiredError {
    return new RequestRequiredError(
      `You cannot ${what} ${this.#record.mid} directly: this repository does it through a ` +
        `"${requestType}" request that a curator accepts, and you cannot create one now ` +
        `(its types are listed at ${applicable}; an open request of that type may exist).`,
      { requestType, applicableRequestsUrl: applicable, cause },
    );
  }

  /** Publishes the draft (see NRPRecord.publish). */
  async publish(options: PublishOptions = {}): Promise<NRPRecord> {
    if (this.#record.isDraft && (await this.#flavour(options.signal)).publish === "review") {
      const review = await rdmReview(this.#ctx, this.#record.data, options.signal);
      if (review !== undefined) {
        const submitted = await this.#submitReview(review, options);
        if (submitted !== undefined) return submitted;
      }
    }
    const links = this.#record.links;
    const publishUrl = links.publish;
    if (!publishUrl) {
      if (!this.#record.isDraft) {
        throw new NRPError(
          `Record ${this.#record.mid} is not a draft, so there is nothing to publish. Call edit() or newVersion() first.`,
          { code: ErrorCodes.NotADraft },
        );
      }
      const applicable = links["applicable-requests"];
      if (applicable) return this.#publishViaRequest(applicable, options);
      throw new NRPError(
        `Draft ${this.#record.mid} has no publish link: you are not allowed to publish it.`,
        { code: ErrorCodes.CannotPublish },
      );
    }
    if (options.version !== undefined) {
      this.#record.metadata.version = options.version;
      await this.#record.save({ signal: options.signal });
    }
    return this.#action(
      this.#record.links.publish ?? publishUrl,
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
    const self = this.#access.link("self");
    if (status !== "created") {
      const receiver = isObject(review.receiver) ? review.receiver.community : undefined;
      if (typeof receiver !== "string") return undefined;
      const url = this.#record.links.review ?? draftUrl(self, "review");
      await ctx.http.putJSON(url, rdmReviewBody(receiver), { signal: options.signal });
    }
    if (options.version !== undefined) {
      this.#record.metadata.version = options.version;
      await this.#record.save({ signal: options.signal });
    }
    const url = this.#record.links["submit-review"] ?? draftUrl(self, "actions/submit-review");
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
    return this.#access.read(
      this.#record.links.record ?? self.replace(/\/draft\/?$/, ""),
      options.signal,
    );
  }

  async #publishViaRequest(applicable: string, options: PublishOptions): Promise<NRPRecord> {
    const res = await this.#ctx.http.getJSON(applicable, { signal: options.signal });
    const types = hitsOf(res.body);
    const entry = PUBLISH_TYPES.map((t) => types.find((e) => e.type_id === t)).find(
      (e) => e !== undefined && hasCreateLink(e),
    );
    if (entry === undefined) throw this.#requestRequired("publish_draft", "publish", applicable);
    if (options.version !== undefined) {
      this.#record.metadata.version = options.version;
      await this.#record.save({ signal: options.signal });
    }
    const request = await this.#submitRequest(entry, undefined, options.signal);
    return this.#outcome(request, "published_record", "publication", options.signal);
  }

  /** Opens a draft of the published record (see NRPRecord.edit). */
  async edit(options: RecordActionOptions = {}): Promise<NRPRecord> {
    if (this.#record.isDraft) {
      throw new NRPError(`Record ${this.#record.mid} is already a draft; edit it and save().`, {
        code: ErrorCodes.AlreadyADraft,
      });
    }
    // oarepo emits `links.draft` only once a draft exists; the edit route is `<self>/draft`.
    const url =
      this.#record.links.draft ?? `${this.#access.link("self").replace(/\/+$/, "")}/draft`;
    return this.#action(url, "edit_published_record", "edit", undefined, options);
  }

  /** Starts a new version (see NRPRecord.newVersion). */
  async newVersion(options: NewVersionOptions = {}): Promise<NRPRecord> {
    const payload =
      options.keepFiles === undefined
        ? undefined
        : { keep_files: options.keepFiles ? "yes" : "no" };
    const draft = await this.#action(
      this.#access.link("versions"),
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
    if ((await fileCount(this.#ctx, this.#record.data, signal)) === 0) return;
    if ((await fileCount(this.#ctx, draft.data, signal)) > 0) return;
    const self = draft.links.self;
    if (self === undefined) return;
    await this.#ctx.http.postJSON(draftUrl(self, "actions/files-import"), {}, { signal });
    await draft.refresh({ signal });
  }
}

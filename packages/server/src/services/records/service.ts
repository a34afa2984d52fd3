import type { ResolvedModel } from "../../config/types.js";
import { readJsonBody } from "../../http/body.js";
import { booleanArg, param, requireUser, type RequestContext } from "../../http/context.js";
import {
  HttpError,
  PERMISSION_DENIED_MESSAGE,
  validationError,
  type FieldError,
} from "../../http/errors.js";
import { JSON_TYPE, UI_JSON_TYPE, negotiate } from "../../http/negotiate.js";
import { sendEmpty, sendJson } from "../../http/respond.js";
import { timestamp, type ItemRow, type ParentRow } from "../../store/records.js";
import { parseSearchParams, searchResponse } from "../search-params.js";
import type { ServiceContext } from "../service.js";
import { applicableTypes } from "../requests/applicable.js";
import {
  OPEN_REVIEW_DELETE_MESSAGE,
  OPEN_REVIEW_PUBLISH_MESSAGE,
  currentReview,
  hasOpenReview,
} from "../requests/review.js";
import { Access } from "./access.js";
import { newRecordId } from "./ids.js";
import { signpostingLink } from "./landing.js";
import {
  apiPrefix,
  dumpRecord,
  type DumpContext,
  type DumpOptions,
  type Loaded,
} from "./serialize.js";
import { communitiesOf, filesEnabledOf, loadBody, workflowOf } from "./input.js";
import { MESSAGES, validateData } from "./validation.js";

/** IRR's `PIDDoesNotExistError` message; also what a missing draft answers (`DraftNotCreatedError`). */
export const PID_DOES_NOT_EXIST = "The persistent identifier does not exist.";

/** IRR's `PIDUnregistered` message: the id names a draft that was never published. */
export const PID_NOT_REGISTERED = "The persistent identifier is not registered.";

/** IRR `assign_files_enabled` message: files cannot be disabled while the draft has some. */
export const FILES_PRESENT_MESSAGE =
  "You must first delete all files to set the record to be metadata-only.";

/** IDR files component message when a file of the draft is still pending (protocol §3.6). */
export const PENDING_FILES_MESSAGE =
  "One or more files have not completed their transfer, please wait.";

/** oarepo's answer for a removed record. */
export const RECORD_DELETED_MESSAGE = "The record has been deleted.";

/** InvenioRDM's `RecordDeletedException` answer, which carries the tombstone. */
export const RDM_RECORD_DELETED_MESSAGE = "Record deleted";

/**
 * The removal reasons of InvenioRDM's `removalreasons` vocabulary, with their English titles
 * (invenio-rdm-records fixtures/data/vocabularies/removal_reasons.yaml).
 */
export const RDM_REMOVAL_REASONS: readonly { id: string; title: string }[] = [
  { id: "duplicate", title: "Duplicate of another record" },
  { id: "retracted", title: "Retraction/Withdrawal of a record" },
  { id: "replaced", title: "Substitution" },
  { id: "spam", title: "Spam" },
  { id: "test-record", title: "Test upload of a record" },
  { id: "copyright", title: "Copyright infringement" },
  { id: "personal-data", title: "Personal data issue" },
  { id: "take-down-request", title: "Take-down request" },
  { id: "disputed-authorship", title: "Disputed authorship" },
  { id: "misconduct", title: "Misconduct" },
  { id: "fraud", title: "Fraud" },
  { id: "out-of-scope", title: "Content out of scope for repository" },
];

/** What InvenioRDM's tombstone keeps beside the removal (stored in `meta`, per record id). */
interface TombstoneExtra {
  citation_text: string;
  is_visible: boolean;
}

const tombstoneKey = (id: string): string => `tombstone:${id}`;

/** A short citation as InvenioRDM's tombstone shows it: `Family, G. (2026). Title [Type].` */
function citationText(data: Record<string, unknown>, published: string): string {
  const names = (Array.isArray(data.creators) ? (data.creators as unknown[]) : [])
    .map((c) => (isObject(c) && isObject(c.person_or_org) ? c.person_or_org : undefined))
    .filter((p): p is Record<string, unknown> => p !== undefined)
    .map((p) => {
      const family = typeof p.family_name === "string" ? p.family_name : undefined;
      const given = typeof p.given_name === "string" ? p.given_name : "";
      if (family === undefined) return typeof p.name === "string" ? p.name : "";
      return given === "" ? family : `${family}, ${given.slice(0, 1)}.`;
    })
    .filter((n) => n !== "");
  const date = typeof data.publication_date === "string" ? data.publication_date : published;
  const title = typeof data.title === "string" ? data.title : "";
  const type = isObject(data.resource_type) ? data.resource_type.id : undefined;
  const kind =
    typeof type === "string" && type !== ""
      ? ` [${type[0]?.toUpperCase() ?? ""}${type.slice(1)}]`
      : "";
  const who = names.length > 0 ? `${names.join(", ")} ` : "";
  return `${who}(${date.slice(0, 4)}). ${title}${kind}.`;
}

/** Drafts expire after this long, as `RDM_DRAFT_EXPIRES_AT` / IDR's default. */
const DRAFT_LIFETIME_MS = 30 * 24 * 3600 * 1000;

function expiresAt(created: string): string {
  const at = new Date(Date.parse(created) + DRAFT_LIFETIME_MS).toISOString();
  return `${at.slice(0, 19)}${created.slice(19)}`;
}

/** `revision_id` of a new draft, as the flavour's server numbers it. */
function newDraftRevision(app: ServiceContext, filesEnabled: boolean): number {
  const { newDraftRevision: revision } = app.traits;
  return filesEnabled ? revision.filesEnabled : revision.filesDisabled;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Parses `If-Match` as IRR does (`{"if_match": fields.Int()}` over the headers): a bare integer,
 * anything else (a quoted ETag too) a 400 on `if_match` (protocol §1.5).
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  if (!/^\s*[+-]?\d+\s*$/.test(header)) {
    throw validationError([{ field: "if_match", messages: [MESSAGES.integer] }]);
  }
  return Number(header);
}

/** IRR's `RevisionIdMismatchError` as a 412 with its exact message (protocol §1.5). */
export function checkRevision(given: number | undefined, item: ItemRow): void {
  if (given !== undefined && given !== item.revisionId) {
    throw new HttpError(
      412,
      `Revision id provided(${given}) doesn't match record's one(${item.revisionId})`,
    );
  }
}

/** The records API of one model; the files service reuses its loaders and access checks. */
export class Records {
  readonly app: ServiceContext;
  readonly model: ResolvedModel;
  /** Who may read, manage and publish. */
  readonly access: Access;

  constructor(app: ServiceContext, model: ResolvedModel) {
    this.app = app;
    this.model = model;
    this.access = new Access(
      app.records,
      app.flavour === "rdm" || model.review ? app.requests : undefined,
      model.type,
    );
  }

  private dumpContext(ctx: RequestContext): DumpContext {
    return { app: this.app, model: this.model, origin: ctx.origin, user: ctx.user };
  }

  private send(
    ctx: RequestContext,
    status: number,
    loaded: Loaded,
    options: DumpOptions = {},
    headers: Record<string, string> = {},
  ): void {
    const contentType = negotiate(ctx.req.headers.accept, [JSON_TYPE, UI_JSON_TYPE]);
    const body = dumpRecord(this.dumpContext(ctx), loaded, options);
    // oarepo's RequestTypesComponent and RequestsComponent embed the applicable request types and
    // the record's requests with `?expand` (a marshmallow Boolean).
    if (booleanArg(ctx.query, "expand") === true && this.model.requests.types.length > 0) {
      body.expanded = {
        request_types: applicableTypes(this.app, ctx.origin, ctx.user, this.model, loaded),
        requests: this.app.expandRequests?.(ctx, this.model, loaded.item.id) ?? [],
      };
    }
    sendJson(
      ctx.res,
      status,
      body,
      { ...headers, ETag: `"${loaded.item.revisionId}"` },
      contentType,
    );
  }

  private parentOf(item: ItemRow): ParentRow {
    const parent = this.app.records.parent(item.parentId);
    if (parent === undefined) throw new HttpError(500, `Record ${item.id} has no parent.`);
    return parent;
  }

  /** A draft of this model, or IDR's 404 (`DraftNotCreatedError` is a `PIDDoesNotExistError`). */
  loadDraft(id: string): Loaded {
    const item = this.app.records.item("draft", id);
    if (item?.model !== this.model.type) throw new HttpError(404, PID_DOES_NOT_EXIST);
    return { kind: "draft", item, parent: this.parentOf(item) };
  }

  /** A published record of this model; a never-published draft's id is "not registered". */
  loadRecord(id: string): Loaded {
    const item = this.app.records.item("record", id);
    if (item?.model !== this.model.type) {
      // A removed record keeps answering: oarepo with a message, InvenioRDM with its tombstone.
      const removed = this.app.requests.removed(id);
      if (removed?.model === this.model.type) {
        if (this.app.flavour !== "rdm") throw new HttpError(410, RECORD_DELETED_MESSAGE);
        const stored = this.app.store.getMeta(tombstoneKey(id));
        const extra = stored === undefined ? undefined : (JSON.parse(stored) as TombstoneExtra);
        throw new HttpError(410, RDM_RECORD_DELETED_MESSAGE, {
          extra: {
            tombstone: {
              note: removed.note ?? "",
              removed_by: {
                user: removed.removedBy === null ? "system" : String(removed.removedBy),
              },
              removal_date: removed.created.replace(/\+00:00$/, ""),
              citation_text: extra?.citation_text ?? "",
              is_visible: extra?.is_visible ?? true,
              ...(removed.removalReason === ""
                ? {}
                : { removal_reason: { id: removed.removalReason } }),
            },
          },
        });
      }
      const pid = this.app.records.pid("recid", id);
      const draft = this.app.records.item("draft", id);
      throw new HttpError(
        404,
        pid !== undefined && draft?.model === this.model.type
          ? PID_NOT_REGISTERED
          : PID_DOES_NOT_EXIST,
      );
    }
    return { kind: "record", item, parent: this.parentOf(item) };
  }

  /** Published record or draft, for the endpoints that accept either (versions). */
  loadAny(id: string): Loaded {
    const record = this.app.records.item("record", id);
    if (record?.model === this.model.type) {
      return { kind: "record", item: record, parent: this.parentOf(record) };
    }
    return this.loadDraft(id);
  }

  private requireDraftRead(ctx: RequestContext, loaded: Loaded): void {
    if (!this.access.canReadDraft(ctx.user, loaded.parent)) {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
  }

  private requireManage(ctx: RequestContext, parent: ParentRow): void {
    if (!this.access.canManage(ctx.user, parent)) {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
  }

  private newId(): string {
    for (;;) {
      const id = newRecordId();
      if (!this.app.records.pidExists("recid", id)) return id;
    }
  }

  async create(ctx: RequestContext): Promise<void> {
    negotiate(ctx.req.headers.accept, [JSON_TYPE, UI_JSON_TYPE]);
    const body = (await readJsonBody(ctx.req)) ?? {};
    const user = requireUser(ctx);
    if (!isObject(body)) throw validationError([{ field: "_schema", messages: [MESSAGES.object] }]);
    const communities = communitiesOf(this.app, this.model, body);
    const { data, errors } = loadBody(this.app, this.model, body);
    const filesEnabled = filesEnabledOf(this.model, body, errors);
    const now = timestamp();
    const store = this.app.records;
    const loaded = store.transaction((): Loaded => {
      const id = this.newId();
      const parentId = this.newId();
      const parent: ParentRow = {
        id: parentId,
        model: this.model.type,
        ownerId: user.id,
        communities,
        workflow: workflowOf(this.app, body),
        latestId: null,
        latestIndex: 0,
        nextDraftId: id,
        created: now,
        updated: now,
      };
      const item: ItemRow = {
        id,
        parentId,
        model: this.model.type,
        versionIndex: 1,
        data,
        filesEnabled,
        pids: {},
        revisionId: newDraftRevision(this.app, filesEnabled),
        created: now,
        updated: now,
        expiresAt: expiresAt(now),
      };
      store.insertParent(parent);
      store.putItem("draft", item);
      store.putPid("recid", parentId, "parent", parentId, "N");
      store.putPid("recid", id, "draft", id, "N");
      return { kind: "draft", item, parent };
    });
    this.send(ctx, 201, loaded, { errors, created: true });
  }

  readRecord(ctx: RequestContext): void {
    const loaded = this.loadRecord(param(ctx, "id"));
    const api = `${ctx.origin}${apiPrefix(this.model)}/${loaded.item.id}`;
    const headers: Record<string, string> = this.app.traits.apiSignposting
      ? { Link: signpostingLink(api) }
      : {};
    this.send(ctx, 200, loaded, { read: true }, headers);
  }

  readDraft(ctx: RequestContext): void {
    const loaded = this.loadDraft(param(ctx, "id"));
    this.requireDraftRead(ctx, loaded);
    this.send(ctx, 200, loaded);
  }

  async updateDraft(ctx: RequestContext): Promise<void> {
    const ifMatch = parseIfMatch(ctx.req.headers["if-match"]);
    const body = (await readJsonBody(ctx.req)) ?? {};
    const loaded = this.loadDraft(param(ctx, "id"));
    // IDR update_draft checks the revision before the permission (protocol §1.5).
    checkRevision(ifMatch, loaded.item);
    this.requireManage(ctx, loaded.parent);
    // oarepo's workflows: a draft whose publish request is submitted (state `publishing`) is
    // no longer its owner's to change (recorded `draft-update-while-submitted-403`).
    if (
      this.app.flavour !== "rdm" &&
      !this.access.isAdmin(ctx.user) &&
      this.app.requests
        .forTopic(this.model.type, loaded.item.id)
        .some((r) => r.status === "submitted" && PUBLISHING_TYPES.has(r.type))
    ) {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
    if (!isObject(body)) throw validationError([{ field: "_schema", messages: [MESSAGES.object] }]);
    const { data, errors } = loadBody(this.app, this.model, body);
    let filesEnabled = filesEnabledOf(this.model, body, errors);
    // IDR's files component (services/records/components/files.py update_draft): files cannot be
    // turned off while there are some, and an empty files-enabled draft is reported, not refused.
    const fileCount = this.app.files.count("draft", loaded.item.id);
    if (!filesEnabled && loaded.item.filesEnabled && fileCount > 0) {
      errors.push({ field: "files.enabled", messages: [FILES_PRESENT_MESSAGE] });
      filesEnabled = true;
    } else if (filesEnabled && fileCount === 0) {
      errors.push({ field: "files.enabled", messages: [this.app.traits.missingFilesMessage] });
    }
    const item: ItemRow = {
      ...loaded.item,
      data,
      filesEnabled,
      revisionId: loaded.item.revisionId + this.app.traits.updateRevisionStep,
      updated: timestamp(),
    };
    this.app.records.putItem("draft", item);
    this.send(ctx, 200, { ...loaded, item }, { errors });
  }

  async deleteDraft(ctx: RequestContext): Promise<void> {
    const ifMatch = parseIfMatch(ctx.req.headers["if-match"]);
    const loaded = this.loadDraft(param(ctx, "id"));
    checkRevision(ifMatch, loaded.item);
    this.requireManage(ctx, loaded.parent);
    if (this.app.flavour === "rdm" || this.model.review) {
      // RDM's ReviewComponent.delete_draft: a submitted review blocks, one never submitted goes.
      const review = currentReview(this.app, loaded.item.id, this.model.type);
      if (review?.status === "submitted") throw new HttpError(400, OPEN_REVIEW_DELETE_MESSAGE);
      if (review?.status === "created") this.app.requests.delete(review.id);
    }
    await this.removeDraft(loaded);
    sendEmpty(ctx.res, 204);
  }

  /** Deletes a draft and its files (also what an accepted `delete_draft` request does). */
  async removeDraft(loaded: Loaded): Promise<void> {
    const store = this.app.records;
    const { item, parent } = loaded;
    const orphans = store.transaction(() => {
      const blobs = this.app.files.deleteAll("draft", item.id);
      store.deleteItem("draft", item.id);
      // An edit draft goes and the published record stays; a never-published draft takes its
      // id with it (IDR delete_draft: soft delete vs hard delete).
      if (store.item("record", item.id) !== undefined) return blobs;
      store.deletePid("recid", item.id);
      const next = parent.nextDraftId === item.id ? null : parent.nextDraftId;
      if (parent.latestId === null && next === null) {
        store.deleteParent(parent.id);
        store.deletePid("recid", parent.id);
      } else {
        store.updateParent({ ...parent, nextDraftId: next, updated: timestamp() });
      }
      return blobs;
    });
    await this.app.files.collect(orphans);
  }

  async publish(ctx: RequestContext): Promise<void> {
    await readJsonBody(ctx.req);
    const loaded = this.loadDraft(param(ctx, "id"));
    const { parent } = loaded;
    // IDR publish: permission first, then strict validation, then the components (files).
    if (!this.access.canPublish(ctx.user, parent, this.model)) {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
    // RDM's ReviewComponent.publish: a review not closed yet blocks a direct publish.
    if (
      (this.app.flavour === "rdm" || this.model.review) &&
      hasOpenReview(this.app, loaded.item.id, this.model.type)
    ) {
      throw new HttpError(400, OPEN_REVIEW_PUBLISH_MESSAGE);
    }
    this.send(ctx, 202, await this.publishDraft(loaded));
  }

  /**
   * IDR's publish checks after the permission: strict validation, then the files component. The
   * publish request types run the same checks when they are created (oarepo `validate_topic`).
   */
  checkPublishable(item: ItemRow): void {
    const strict = validateData(
      this.model.schema,
      item.data,
      this.model.metadata ? "metadata" : "",
    );
    if (strict.errors.length > 0) throw validationError(strict.errors);
    const draftFiles = this.app.files.list("draft", item.id);
    if (item.filesEnabled && draftFiles.length === 0) {
      throw validationError([
        { field: "files.enabled", messages: [this.app.traits.missingFilesMessage] },
      ]);
    }
    if (item.filesEnabled && draftFiles.some((f) => f.status !== "completed")) {
      throw validationError([{ field: "files", messages: [PENDING_FILES_MESSAGE] }]);
    }
  }

  /** Publishes a draft whose permission was checked (directly or by an accepted request). */
  async publishDraft(loaded: Loaded): Promise<Loaded> {
    const { item, parent } = loaded;
    this.checkPublishable(item);
    const store = this.app.records;
    let orphans: string[] = [];
    const published = store.transaction((): Loaded => {
      const existing = store.item("record", item.id);
      const pids = { ...(existing?.pids ?? {}), ...item.pids };
      if (this.model.mintDoi && pids.doi === undefined) {
        const doi = `${this.app.config.repository.doiPrefix}/${item.id}`;
        // invenio-rdm-records' DataCite provider: identifier, provider and client.
        pids.doi = { identifier: doi, provider: "datacite", client: "datacite" };
        store.putPid("doi", doi, "record", item.id, "R");
      }
      const now = timestamp();
      const record: ItemRow = {
        id: item.id,
        parentId: item.parentId,
        model: item.model,
        versionIndex: item.versionIndex,
        data: item.data,
        filesEnabled: item.filesEnabled,
        pids,
        revisionId: (existing?.revisionId ?? 0) + 1,
        created: existing?.created ?? item.created,
        updated: now,
      };
      store.putItem("record", record);
      // IDR publishes a new draft's bucket as the record's and syncs an edit draft's files into
      // the record's (delete_extras): either way the record ends up with exactly these files.
      const files = this.app.files;
      orphans = files.replaceAll(
        { kind: "draft", id: item.id },
        { kind: "record", id: item.id },
        now,
      );
      orphans.push(...files.deleteAll("draft", item.id));
      store.deleteItem("draft", item.id);
      store.putPid("recid", item.id, "record", item.id, "R");
      if (parent.latestId === null) store.putPid("recid", parent.id, "parent", parent.id, "R");
      const newest = item.versionIndex >= parent.latestIndex;
      const next: ParentRow = {
        ...parent,
        latestId: newest ? item.id : parent.latestId,
        latestIndex: newest ? item.versionIndex : parent.latestIndex,
        nextDraftId: parent.nextDraftId === item.id ? null : parent.nextDraftId,
        updated: now,
      };
      store.updateParent(next);
      return { kind: "record", item: record, parent: next };
    });
    await this.app.files.collect(orphans);
    return published;
  }

  async edit(ctx: RequestContext): Promise<void> {
    await readJsonBody(ctx.req);
    const record = this.loadRecord(param(ctx, "id"));
    this.requireManage(ctx, record.parent);
    this.send(ctx, 201, this.openEditDraft(record));
  }

  /** The edit draft of a published record, made now or the one already open. */
  openEditDraft(record: Loaded): Loaded {
    const store = this.app.records;
    const existing = store.item("draft", record.item.id);
    // IDR edit returns the open draft as it is, still 201 (protocol §3.7).
    if (existing !== undefined) return { kind: "draft", item: existing, parent: record.parent };
    const now = timestamp();
    const draft: ItemRow = {
      ...record.item,
      revisionId: record.item.revisionId + 1,
      updated: now,
      expiresAt: expiresAt(now),
    };
    store.transaction(() => {
      store.putItem("draft", draft);
      // IDR edit copies the record's files into the draft (sharing their content).
      this.app.files.replaceAll(
        { kind: "record", id: record.item.id },
        { kind: "draft", id: draft.id },
        now,
      );
    });
    return { kind: "draft", item: draft, parent: record.parent };
  }

  async newVersion(ctx: RequestContext): Promise<void> {
    await readJsonBody(ctx.req);
    const record = this.loadRecord(param(ctx, "id"));
    this.requireManage(ctx, record.parent);
    this.send(ctx, 201, this.openNewVersion(record));
  }

  /** The next version's draft of a published record, made now or the one already open. */
  openNewVersion(record: Loaded): Loaded {
    const { parent } = record;
    const store = this.app.records;
    const open = parent.nextDraftId === null ? undefined : store.item("draft", parent.nextDraftId);
    if (open !== undefined) return { kind: "draft", item: open, parent };
    return store.transaction((): Loaded => {
      const id = this.newId();
      const now = timestamp();
      // Metadata carries over, files and external pids do not (IDR new_version; RDM drops the DOI
      // so that the new version gets its own).
      const item: ItemRow = {
        id,
        parentId: parent.id,
        model: this.model.type,
        versionIndex: parent.latestIndex + 1,
        data: Object.fromEntries(
          Object.entries(record.item.data).filter(
            ([key]) => !this.app.traits.newVersionDrops.includes(key),
          ),
        ),
        filesEnabled: record.item.filesEnabled,
        pids: {},
        revisionId: newDraftRevision(this.app, record.item.filesEnabled),
        created: now,
        updated: now,
        expiresAt: expiresAt(now),
      };
      store.putItem("draft", item);
      store.putPid("recid", id, "draft", id, "N");
      const next = { ...parent, nextDraftId: id, updated: now };
      store.updateParent(next);
      return { kind: "draft", item, parent: next };
    });
  }

  /**
   * Removes a published record (an accepted `delete_published_record`): its row, files and open
   * edit draft go, its id answers 410 and the parent's latest falls back to the newest remaining
   * version.
   */
  async removeRecord(
    record: Loaded,
    removal: { reason: string; note: string | null; by: number | null },
  ): Promise<void> {
    const store = this.app.records;
    const { item, parent } = record;
    const orphans = store.transaction(() => {
      const blobs = this.app.files.deleteAll("record", item.id);
      store.deleteItem("record", item.id);
      if (store.item("draft", item.id) !== undefined) {
        blobs.push(...this.app.files.deleteAll("draft", item.id));
        store.deleteItem("draft", item.id);
      }
      store.putPid("recid", item.id, "record", item.id, "D");
      const [latest] = store.versions(parent.id);
      const now = timestamp();
      store.updateParent({ ...parent, latestId: latest?.id ?? null, updated: now });
      this.app.requests.putRemoved({
        id: item.id,
        model: item.model,
        parentId: parent.id,
        removalReason: removal.reason,
        note: removal.note,
        removedBy: removal.by,
        created: now,
      });
      return blobs;
    });
    await this.app.files.collect(orphans);
  }

  /**
   * `DELETE /api/records/<id>/delete` of InvenioRDM (`RDMRecordService.delete_record`, 204):
   * administrators only; the body is the tombstone (`removal_reason: {id}` from the
   * `removalreasons` vocabulary, `note`, `is_visible`, `citation_text`). The record then answers
   * 410 with its tombstone.
   */
  async deletePublished(ctx: RequestContext): Promise<void> {
    const body = (await readJsonBody(ctx.req)) ?? {};
    const record = this.loadRecord(param(ctx, "id"));
    if (!this.access.isAdmin(ctx.user)) throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    const user = requireUser(ctx);
    const data = isObject(body) ? body : {};
    const errors: FieldError[] = [];
    let reason = "";
    if (data.removal_reason !== undefined) {
      const given = data.removal_reason;
      if (!isObject(given)) errors.push({ field: "removal_reason", messages: [MESSAGES.object] });
      else if (typeof given.id !== "string") {
        errors.push({ field: "removal_reason.id", messages: [MESSAGES.required] });
      } else reason = given.id;
    }
    for (const key of ["note", "citation_text"] as const) {
      if (data[key] !== undefined && typeof data[key] !== "string") {
        errors.push({ field: key, messages: [MESSAGES.string] });
      }
    }
    if (data.is_visible !== undefined && typeof data.is_visible !== "boolean") {
      errors.push({ field: "is_visible", messages: [MESSAGES.boolean] });
    }
    if (errors.length > 0) throw validationError(errors);
    // The vocabulary relation is checked on commit: InvalidRelationValue, without a field.
    if (reason !== "" && !RDM_REMOVAL_REASONS.some((r) => r.id === reason)) {
      throw new HttpError(400, `Invalid value ${reason}.`);
    }
    const extra: TombstoneExtra = {
      citation_text:
        typeof data.citation_text === "string"
          ? data.citation_text
          : citationText(record.item.data, record.item.created),
      is_visible: typeof data.is_visible === "boolean" ? data.is_visible : true,
    };
    this.app.store.setMeta(tombstoneKey(record.item.id), JSON.stringify(extra));
    await this.removeRecord(record, {
      reason,
      note: typeof data.note === "string" ? data.note : null,
      by: user.id,
    });
    sendEmpty(ctx.res, 204);
  }

  /**
   * `DELETE <record>`: a superuser deletes a published record at once on oarepo 12/13 (204, its
   * id then answers 410; recorded `record-delete-direct-admin`); everyone else, and everyone on
   * InvenioRDM (which deletes through `…/delete`), gets drafts-resources' 403.
   */
  async deleteRecordDirectly(ctx: RequestContext): Promise<void> {
    await readJsonBody(ctx.req);
    const record = this.loadRecord(param(ctx, "id"));
    if (this.app.flavour === "rdm" || !this.access.isAdmin(ctx.user)) {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
    await this.removeRecord(record, { reason: "", note: null, by: requireUser(ctx).id });
    sendEmpty(ctx.res, 204);
  }

  listVersions(ctx: RequestContext): void {
    const contentType = negotiate(ctx.req.headers.accept, [JSON_TYPE, UI_JSON_TYPE]);
    const loaded = this.loadAny(param(ctx, "id"));
    const params = parseSearchParams(ctx.query, ["version", "newest", "oldest", "bestmatch"]);
    // IDR sorts the versions search by version index, newest first, unless told otherwise.
    if (!ctx.query.has("sort")) params.sort = "version";
    const all = this.app.records.versions(loaded.parent.id);
    if (params.sort === "oldest") all.reverse();
    const page = all.slice((params.page - 1) * params.size, params.page * params.size);
    const d = this.dumpContext(ctx);
    const hits = page.map((item) =>
      dumpRecord(d, { kind: "record", item, parent: loaded.parent }, { hit: true }),
    );
    const base = `${ctx.origin}${apiPrefix(this.model)}/${loaded.item.id}/versions`;
    sendJson(
      ctx.res,
      200,
      searchResponse(
        base,
        undefined,
        params,
        hits,
        all.length,
        {},
        [],
        this.app.traits.searchEnvelope,
      ),
      {},
      contentType,
    );
  }

  latest(ctx: RequestContext): void {
    const loaded = this.loadAny(param(ctx, "id"));
    const latestId = loaded.parent.latestId;
    if (latestId === null) throw new HttpError(404, PID_NOT_REGISTERED);
    const location = `${ctx.origin}${apiPrefix(this.model)}/${latestId}`;
    // IDR read_latest raises RedirectException: a JSON 301 with the target in body and header.
    sendJson(
      ctx.res,
      301,
      { status: 301, message: "Redirecting...", location },
      { Location: location },
    );
  }

  /**
   * The file list of a model without files (protocol §4.3): always empty, but real, so that
   * clients can follow `links.files`.
   */
  files(ctx: RequestContext, draft: boolean): void {
    const id = param(ctx, "id");
    const loaded = draft ? this.loadDraft(id) : this.loadRecord(id);
    if (draft) this.requireDraftRead(ctx, loaded);
    const self = `${ctx.origin}${apiPrefix(this.model)}/${id}${draft ? "/draft" : ""}/files`;
    const body = loaded.item.filesEnabled
      ? { enabled: true, links: { self }, entries: [], default_preview: null, order: [] }
      : { enabled: false, links: { self } };
    sendJson(ctx.res, 200, body);
  }

  /**
   * The requests of a model without the `requests` feature (protocol §6.6): always an empty list,
   * so that clients can follow `links.requests`; models with requests get the requests service.
   */
  requests(ctx: RequestContext): void {
    const id = param(ctx, "id");
    this.loadRecord(id);
    const base = `${ctx.origin}${apiPrefix(this.model)}/${id}/requests`;
    const params = parseSearchParams(ctx.query, ["newest", "oldest", "bestmatch"]);
    sendJson(ctx.res, 200, searchResponse(base, undefined, params, [], 0));
  }
}

/** Whether a model stores files (InvenioRDM's `records` always does). */
export function hasFiles(app: ServiceContext, model: ResolvedModel): boolean {
  return app.flavour === "rdm" || model.features.includes("files");
}

/**
 * The request types that move a draft to `publishing` while they are submitted (the recorded
 * repository's workflows; `publish_changed_metadata` has no state transitions there).
 */
const PUBLISHING_TYPES: ReadonlySet<string> = new Set(["publish_draft", "publish_new_version"]);

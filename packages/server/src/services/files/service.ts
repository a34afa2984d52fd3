import { randomUUID } from "node:crypto";
import type { ResolvedModel } from "../../config/types.js";
import { readJsonBody } from "../../http/body.js";
import { param, type RequestContext } from "../../http/context.js";
import {
  HttpError,
  METHOD_NOT_ALLOWED_MESSAGE,
  PERMISSION_DENIED_MESSAGE,
  validationError,
  type FieldError,
} from "../../http/errors.js";
import { sendEmpty, sendJson } from "../../http/respond.js";
import type { Router } from "../../http/router.js";
import type { FileRow, TransferInfo } from "../../store/files.js";
import { timestamp } from "../../store/records.js";
import { Records } from "../records/service.js";
import { apiPrefix, recordModels, type Loaded } from "../records/serialize.js";
import type { Service, ServiceContext } from "../service.js";
import { sendContent } from "./download.js";
import { mimetypeOf } from "./mimetypes.js";
import { dumpFile, dumpFileList, MAX_PARTS } from "./serialize.js";
import {
  BAD_DIGEST,
  CONTENT_LENGTH_MISMATCH,
  contentMd5,
  declaredLength,
  receiveBody,
  receivePart,
} from "./upload.js";
import { PartSuperseded } from "../../store/blobs.js";

/** Longest file key in characters (code points), as the file schema's `Length(1, 1024)`. */
export const MAX_KEY_LENGTH = 1024;

/** `max_files_count` of IRR's file service config. */
export const MAX_FILES = 100;

/**
 * Messages of IRR v8, invenio-files-rest and the multipart provider
 * (docs/protocol/files.md#local-upload, docs/protocol/files.md#multipart-upload).
 */
export const FILE_MESSAGES = {
  notEnabled: "Files are not enabled.",
  tooMany: "Uploading selected files will result in exceeding the max amount per record.",
  noFiles: "No files to upload.",
  transferNotDict: "Transfer metadata must be a dictionary.",
  dotKey: "A file key cannot be '.' or '..'.",
  multipartParts: "Multipart file transfer requires parts.",
  multipartTooManyParts: `Multipart file transfer supports at most ${String(MAX_PARTS)} parts.`,
  multipartSize: "Multipart file transfer requires file size.",
  multipartPartSize: "Multipart file transfer to local storage requires part_size.",
  multipartGeometry:
    "Multipart file transfer requires (parts - 1) * part_size < size <= parts * part_size.",
  partTooHigh: "Part number is higher than total parts sent in multipart initialization.",
  partSize: "Size of this part must be equal to part_size sent in multipart initialization.",
  lastPartSize:
    "Size of the last part must be the rest of the file size sent in multipart initialization.",
  multipartContent: "Can not set content for multipart file, use the parts instead.",
  pendingFiles: "One or more files have not completed their transfer, please wait.",
  importDisabled: "Files support must be enabled.",
  importNotEmpty: "Please remove all files first.",
  importNoFiles: "The record has no files.",
  disableWithFiles: "You must first delete all files to set the record to be metadata-only.",
  /**
   * invenio-files-rest's `FileSizeError` (400) with the reason of the `max_file_size` limiter
   * (`limiters.py`), for a file beyond the configured `maxFileSize`.
   */
  maxFileSize: "Maximum file size exceeded.",
} as const;

/**
 * The answer to a file that cannot fit on the data directory's filesystem (the devserver's own
 * check: a real server's storage fails later, with a 500).
 */
export function noSpaceMessage(size: number, free: number): string {
  return `Not enough free space: a file of ${String(size)} bytes does not fit on the data directory's filesystem (${String(free)} bytes free).`;
}

/** IRR `FileKeyNotFoundError`. */
export function noSuchFile(recordId: string, key: string): HttpError {
  return new HttpError(404, `Record '${recordId}' has no file '${key}'.`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const INIT_KEYS = new Set(["key", "metadata", "transfer", "size", "checksum", "access"]);
const TRANSFER_TYPES = new Set(["L", "M"]);

interface InitEntry {
  key: string;
  /** `null` when the init gave none. */
  metadata: Record<string, unknown> | null;
  transfer: TransferInfo;
  size: number | null;
  checksum: string | null;
}

/**
 * Loads the body of `POST <files>` as IRR's `FileSchema(many=True)` with `unknown=RAISE` and the
 * transfer providers' checks.
 * @throws HttpError 400 with marshmallow-style field errors or the transfer's message
 */
function parseInit(body: unknown): InitEntry[] {
  if (!Array.isArray(body)) {
    throw validationError([{ field: "0._schema", messages: ["Invalid input type."] }]);
  }
  if (body.length === 0) {
    throw validationError([{ field: "_schema", messages: [FILE_MESSAGES.noFiles] }]);
  }
  const errors: FieldError[] = [];
  const entries: InitEntry[] = [];
  body.forEach((raw: unknown, i) => {
    const problem = (field: string, message: string): void => {
      errors.push({ field: `${i}.${field}`, messages: [message] });
    };
    if (!isObject(raw)) {
      problem("_schema", "Invalid input type.");
      return;
    }
    for (const name of Object.keys(raw)) {
      if (!INIT_KEYS.has(name)) problem(name, "Unknown field.");
    }
    if (raw.key === undefined) problem("key", "Missing data for required field.");
    else if (typeof raw.key !== "string") problem("key", "Not a valid string.");
    else if (raw.key === "" || Array.from(raw.key).length > MAX_KEY_LENGTH) {
      problem("key", "Length must be between 1 and 1024.");
    } else if (raw.key === "." || raw.key === "..") {
      // A key is a URL path segment: `.` and `..` would be resolved away before reaching the file.
      problem("key", FILE_MESSAGES.dotKey);
    }
    if (raw.metadata !== undefined && !isObject(raw.metadata)) {
      problem("metadata", "Not a valid mapping type.");
    }
    const size = raw.size;
    if (size !== undefined && size !== null && !(Number.isSafeInteger(size) && Number(size) >= 0)) {
      problem("size", "Not a valid integer.");
    }
    const checksum = raw.checksum;
    if (checksum !== undefined && checksum !== null && typeof checksum !== "string") {
      problem("checksum", "Not a valid string.");
    }
    const transfer = raw.transfer ?? {};
    if (!isObject(transfer)) {
      // Raised by the polymorphic transfer field, reported without the list index (IRR test).
      errors.push({ field: "transfer", messages: [FILE_MESSAGES.transferNotDict] });
      return;
    }
    const type = transfer.type ?? "L";
    if (typeof type !== "string" || !TRANSFER_TYPES.has(type)) {
      // IRR v8's transfer type field (recorded `files-init-unknown-transfer`).
      problem("transfer.type", `Unsupported value: ${JSON.stringify(type).replace(/^"|"$/g, "")}`);
      return;
    }
    for (const name of Object.keys(transfer)) {
      if (name !== "type" && !(type === "M" && (name === "parts" || name === "part_size"))) {
        problem(`transfer.${name}`, "Unknown field.");
      }
    }
    for (const name of ["parts", "part_size"]) {
      const v = transfer[name];
      if (v !== undefined && v !== null && !(Number.isSafeInteger(v) && Number(v) >= 0)) {
        problem(`transfer.${name}`, "Not a valid integer.");
      }
    }
    if (typeof raw.key !== "string") return;
    entries.push({
      key: raw.key,
      metadata: isObject(raw.metadata) ? raw.metadata : null,
      transfer:
        type === "M"
          ? {
              type: "M",
              ...(typeof transfer.parts === "number" ? { parts: transfer.parts } : {}),
              ...(typeof transfer.part_size === "number" ? { part_size: transfer.part_size } : {}),
            }
          : { type: "L" },
      size: typeof size === "number" ? size : null,
      checksum: typeof checksum === "string" ? checksum : null,
    });
  });
  if (errors.length > 0) throw validationError(errors);
  return entries;
}

/**
 * The multipart provider's init checks (IRR v8 `MultipartTransfer.init_file`, local storage),
 * then the configured maximum file size: a real server checks the bucket's limit only as the
 * bytes arrive (local storage first fails to preallocate a huge file with a 500), the devserver
 * refuses at once with files-rest's 400.
 */
function checkMultipart(entry: InitEntry, maxFileSize: number): void {
  const { parts, part_size: partSize } = entry.transfer;
  if (parts === undefined || parts === 0) throw new HttpError(400, FILE_MESSAGES.multipartParts);
  if (parts > MAX_PARTS) throw new HttpError(400, FILE_MESSAGES.multipartTooManyParts);
  if (entry.size === null || entry.size === 0) {
    throw new HttpError(400, FILE_MESSAGES.multipartSize);
  }
  if (partSize === undefined || partSize === 0) {
    throw new HttpError(400, FILE_MESSAGES.multipartPartSize);
  }
  // Parts are written in place at (n-1) * part_size, so the declared geometry must tile the file.
  if (!((parts - 1) * partSize < entry.size && entry.size <= parts * partSize)) {
    throw new HttpError(400, FILE_MESSAGES.multipartGeometry);
  }
  if (entry.size > maxFileSize) throw new HttpError(400, FILE_MESSAGES.maxFileSize);
}

/** What a request under `<files>/*` asks for, after the key (which may contain slashes). */
type FileTarget =
  | { kind: "item"; key: string }
  | { kind: "content"; key: string }
  | { kind: "part"; key: string; part: number }
  | { kind: "commit"; key: string };

function parseTarget(rest: string): FileTarget {
  const part = /^(.+)\/content\/(\d+)$/.exec(rest);
  if (part?.[1] !== undefined && part[2] !== undefined) {
    return { kind: "part", key: part[1], part: Number(part[2]) };
  }
  if (rest.endsWith("/content") && rest.length > "/content".length) {
    return { kind: "content", key: rest.slice(0, -"/content".length) };
  }
  if (rest.endsWith("/commit") && rest.length > "/commit".length) {
    return { kind: "commit", key: rest.slice(0, -"/commit".length) };
  }
  return { kind: "item", key: rest };
}

function methodNotAllowed(allow: string): HttpError {
  return new HttpError(405, METHOD_NOT_ALLOWED_MESSAGE, { headers: { Allow: allow } });
}

/** Per-file queues: a part's last step and a multipart commit never interleave. */
const fileLocks = new Map<string, Promise<unknown>>();

/** Runs `work` once every earlier `exclusive` call for the same file has settled. */
async function exclusive<T>(fileId: string, work: () => Promise<T>): Promise<T> {
  const before = fileLocks.get(fileId) ?? Promise.resolve();
  const run = before.then(work, work);
  const tail = run.catch(() => undefined);
  fileLocks.set(fileId, tail);
  try {
    return await run;
  } finally {
    if (fileLocks.get(fileId) === tail) fileLocks.delete(fileId);
  }
}

class Files {
  private readonly app: ServiceContext;
  private readonly model: ResolvedModel;
  private readonly records: Records;

  constructor(app: ServiceContext, model: ResolvedModel, records: Records) {
    this.app = app;
    this.model = model;
    this.records = records;
  }

  private filesUrl(ctx: RequestContext, id: string, draft: boolean): string {
    return `${ctx.origin}${apiPrefix(this.model)}/${id}${draft ? "/draft" : ""}/files`;
  }

  /** The draft or record, checked for read access. */
  private load(ctx: RequestContext, draft: boolean): Loaded {
    const id = param(ctx, "id");
    const loaded = draft ? this.records.loadDraft(id) : this.records.loadRecord(id);
    if (draft && !this.records.access.canReadDraft(ctx.user, loaded.parent)) {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
    return loaded;
  }

  /** The draft, checked for the right to change its files. */
  private loadForUpdate(ctx: RequestContext): Loaded {
    const loaded = this.records.loadDraft(param(ctx, "id"));
    if (!this.records.access.canManage(ctx.user, loaded.parent)) {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
    return loaded;
  }

  private fileOf(loaded: Loaded, key: string): FileRow {
    const row = this.app.files.get(loaded.kind, loaded.item.id, key);
    if (row === undefined) throw noSuchFile(loaded.item.id, key);
    return row;
  }

  private sendItem(ctx: RequestContext, loaded: Loaded, row: FileRow): void {
    const draft = loaded.kind === "draft";
    const url = this.filesUrl(ctx, loaded.item.id, draft);
    sendJson(
      ctx.res,
      200,
      dumpFile(url, row, draft, this.app.traits.rdmFileItems, this.app.traits.filePreviewLinks),
    );
  }

  private sendList(ctx: RequestContext, loaded: Loaded, status: number): void {
    const draft = loaded.kind === "draft";
    const rows = this.app.files.list(loaded.kind, loaded.item.id);
    const url = this.filesUrl(ctx, loaded.item.id, draft);
    const { filesEnabled } = loaded.item;
    const rdm = this.app.traits.rdmFileItems;
    sendJson(
      ctx.res,
      status,
      dumpFileList(
        url,
        filesEnabled,
        rows,
        draft,
        rdm,
        this.app.traits.filePreviewLinks,
        this.app.flavour === "rdm",
      ),
    );
  }

  list(ctx: RequestContext, draft: boolean): void {
    this.sendList(ctx, this.load(ctx, draft), 200);
  }

  async init(ctx: RequestContext): Promise<void> {
    const body = await readJsonBody(ctx.req);
    const loaded = this.loadForUpdate(ctx);
    const entries = parseInit(body);
    const { files } = this.app;
    const owner = loaded.item.id;
    // invenio-files-rest's bucket check, raised as InvalidOperationError (403).
    if (!loaded.item.filesEnabled) throw new HttpError(403, FILE_MESSAGES.notEnabled);
    const existing = files.count("draft", owner);
    if (existing <= MAX_FILES && existing + entries.length > MAX_FILES) {
      throw new HttpError(400, FILE_MESSAGES.tooMany);
    }
    const seen = new Set<string>();
    for (const entry of entries) {
      if (seen.has(entry.key) || files.get("draft", owner, entry.key) !== undefined) {
        throw new HttpError(400, `File with key ${entry.key} already exists.`);
      }
      seen.add(entry.key);
      if (entry.transfer.type === "M") checkMultipart(entry, this.app.config.maxFileSize);
    }
    const announced = entries.flatMap((e) =>
      e.transfer.type === "M" && e.size !== null ? [e.size] : [],
    );
    if (announced.length > 0) {
      const free = await files.blobs.freeBytes();
      const size = Math.max(...announced);
      if (free !== undefined && size > free) throw new HttpError(400, noSpaceMessage(size, free));
    }
    const blobs = new Map<InitEntry, string>();
    try {
      for (const entry of entries) {
        if (entry.transfer.type !== "M") continue;
        // The row names an (empty) blob at once: its parts are written into it at their
        // offsets, and the commit gives the bytes a fresh blob name.
        blobs.set(entry, await files.blobs.createEmpty());
      }
      const now = timestamp();
      this.app.records.transaction(() => {
        let position = files.nextPosition("draft", owner);
        for (const entry of entries) {
          files.put({
            ownerKind: "draft",
            ownerId: owner,
            key: entry.key,
            position: position++,
            fileId: randomUUID(),
            versionId: randomUUID(),
            metadata: entry.metadata ?? (this.app.traits.rdmFileItems ? null : {}),
            transfer: entry.transfer,
            status: "pending",
            declaredSize: entry.size,
            declaredChecksum: entry.checksum,
            blobId: blobs.get(entry) ?? null,
            size: null,
            checksum: null,
            uploadMd5: null,
            partsDone: [],
            created: now,
            updated: now,
          });
        }
      });
    } catch (error) {
      await files.collect([...blobs.values()]);
      throw error;
    }
    this.sendList(ctx, loaded, 201);
  }

  read(ctx: RequestContext, draft: boolean, key: string): void {
    const loaded = this.load(ctx, draft);
    this.sendItem(ctx, loaded, this.fileOf(loaded, key));
  }

  async updateMetadata(ctx: RequestContext, key: string): Promise<void> {
    const body = await readJsonBody(ctx.req);
    const loaded = this.loadForUpdate(ctx);
    const row = this.fileOf(loaded, key);
    if (!isObject(body)) {
      throw validationError([{ field: "_schema", messages: ["Invalid input type."] }]);
    }
    const errors: FieldError[] = [];
    for (const name of Object.keys(body)) {
      if (name !== "metadata" && name !== "access") {
        errors.push({ field: name, messages: ["Unknown field."] });
      }
    }
    if (body.metadata !== undefined && !isObject(body.metadata)) {
      errors.push({ field: "metadata", messages: ["Not a valid mapping type."] });
    }
    if (errors.length > 0) throw validationError(errors);
    const next: FileRow = {
      ...row,
      metadata: isObject(body.metadata) ? body.metadata : row.metadata,
      updated: timestamp(),
    };
    this.app.files.put(next);
    this.sendItem(ctx, loaded, next);
  }

  async deleteOne(ctx: RequestContext, key: string): Promise<void> {
    const loaded = this.loadForUpdate(ctx);
    this.fileOf(loaded, key);
    // Deleting a pending multipart file aborts the upload: its preallocated blob goes too.
    const orphans = this.app.records.transaction(() => {
      const blobs = this.app.files.delete("draft", loaded.item.id, key);
      const step = this.app.traits.fileDeleteRevisionStep;
      if (step > 0) {
        const { item } = loaded;
        this.app.records.putItem("draft", { ...item, revisionId: item.revisionId + step });
      }
      return blobs;
    });
    await this.app.files.collect(orphans);
    sendEmpty(ctx.res, 204);
  }

  async deleteAll(ctx: RequestContext): Promise<void> {
    const loaded = this.loadForUpdate(ctx);
    const orphans = this.app.files.deleteAll("draft", loaded.item.id);
    await this.app.files.collect(orphans);
    sendEmpty(ctx.res, 204);
  }

  /** `PUT <files>/<key>/content`: the L transfer, streamed to a new blob while hashed. */
  async uploadContent(ctx: RequestContext, key: string): Promise<void> {
    const { req } = ctx;
    const loaded = this.loadForUpdate(ctx);
    const row = this.fileOf(loaded, key);
    const { files } = this.app;
    if (row.transfer.type === "M") {
      req.resume();
      throw new HttpError(400, FILE_MESSAGES.multipartContent);
    }
    if (row.status === "completed") {
      req.resume();
      throw new HttpError(400, `File with key "${key}" is already committed.`);
    }
    const expectedMd5 = contentMd5(req);
    const length = declaredLength(req);
    // The size declared at init is what the file must hold; a body of another length is a
    // client bug that would otherwise surface only as a checksum mismatch.
    if (row.declaredSize !== null && length !== undefined && length !== row.declaredSize) {
      req.resume();
      throw new HttpError(400, CONTENT_LENGTH_MISMATCH);
    }
    const { maxFileSize } = this.app.config;
    const announced = length ?? row.declaredSize;
    if (announced !== null && announced > maxFileSize) {
      req.resume();
      throw new HttpError(400, FILE_MESSAGES.maxFileSize);
    }
    if (announced !== null) {
      const free = await files.blobs.freeBytes();
      if (free !== undefined && announced > free) {
        req.resume();
        throw new HttpError(400, noSpaceMessage(announced, free));
      }
    }
    // A body of unknown length is cut at the maximum file size.
    const bound = row.declaredSize ?? length ?? Number.MAX_SAFE_INTEGER;
    const limit = Math.min(bound, maxFileSize);
    const tooLong = bound > maxFileSize ? FILE_MESSAGES.maxFileSize : CONTENT_LENGTH_MISMATCH;
    const received = await receiveBody(req, files.blobs, { limit, hash: true, tooLong });
    let blobId: string;
    try {
      if (row.declaredSize !== null && received.bytes !== row.declaredSize) {
        throw new HttpError(400, CONTENT_LENGTH_MISMATCH);
      }
      if (expectedMd5 !== undefined && received.md5?.equals(expectedMd5) !== true) {
        throw new HttpError(400, BAD_DIGEST);
      }
      blobId = await received.keep();
    } catch (error) {
      await received.discard();
      throw error;
    }
    // Another request may have changed the file while the body streamed in.
    const current = files.get("draft", loaded.item.id, key);
    if (current?.fileId !== row.fileId || current.status !== "pending") {
      await files.collect([blobId]);
      throw new HttpError(409, `File with key "${key}" changed during the upload.`);
    }
    const next: FileRow = {
      ...current,
      blobId,
      uploadMd5: received.md5?.toString("hex") ?? null,
      size: received.bytes,
      updated: timestamp(),
    };
    files.put(next);
    if (current.blobId !== null) await files.collect([current.blobId]);
    this.sendItem(ctx, loaded, next);
  }

  /**
   * `PUT <files>/<key>/content/<part>`: one multipart part, written in place at its offset and
   * counted only when it arrived whole; a re-sent part replaces the earlier one only then (as S3
   * keeps the previous part until then). A part finishing after the commit is discarded and refused.
   */
  async uploadPart(ctx: RequestContext, key: string, part: number): Promise<void> {
    const { req } = ctx;
    const loaded = this.loadForUpdate(ctx);
    const row = this.fileOf(loaded, key);
    const { files } = this.app;
    const { parts, part_size: partSize } = row.transfer;
    if (row.transfer.type !== "M" || parts === undefined || partSize === undefined) {
      req.resume();
      throw new HttpError(400, `File with key "${key}" is not a multipart upload.`);
    }
    if (row.status === "completed") {
      req.resume();
      throw new HttpError(400, `File with key "${key}" is already committed.`);
    }
    if (part > parts) {
      req.resume();
      throw new HttpError(400, FILE_MESSAGES.partTooHigh);
    }
    if (part < 1) {
      req.resume();
      throw new HttpError(400, "Part numbers start at 1.");
    }
    const size = row.declaredSize ?? 0;
    const expected = part < parts ? partSize : size - (parts - 1) * partSize;
    const message = part < parts ? FILE_MESSAGES.partSize : FILE_MESSAGES.lastPartSize;
    const length = declaredLength(req);
    if (length !== undefined && length !== expected) {
      req.resume();
      throw new HttpError(400, message);
    }
    const expectedMd5 = contentMd5(req);
    const blobId = row.blobId;
    if (blobId === null) throw new HttpError(500, `Multipart file "${key}" has no storage.`);
    const layout = { parts, partSize, size };
    let received;
    try {
      received = await receivePart(req, files.blobs, blobId, part, {
        offset: (part - 1) * partSize,
        limit: expected,
        hash: expectedMd5 !== undefined,
        replacing: row.partsDone.includes(part),
      });
    } catch (error) {
      if (error instanceof HttpError && error.status === 400) throw new HttpError(400, message);
      throw error;
    }
    let next: FileRow | undefined;
    try {
      if (received.bytes !== expected) throw new HttpError(400, message);
      if (expectedMd5 !== undefined && received.md5?.equals(expectedMd5) !== true) {
        throw new HttpError(400, BAD_DIGEST);
      }
      next = await exclusive(row.fileId, async () => {
        // Re-read: sibling parts finished, or the file was committed or deleted, meanwhile.
        const current = files.get("draft", loaded.item.id, key);
        if (current?.fileId !== row.fileId) throw noSuchFile(loaded.item.id, key);
        if (current.status === "completed" || current.blobId !== blobId) {
          throw new HttpError(400, `File with key "${key}" is already committed.`);
        }
        try {
          await received.land();
        } catch (error) {
          if (error instanceof PartSuperseded) {
            throw new HttpError(409, `Part ${String(part)} was replaced by another upload of it.`);
          }
          throw error;
        }
        const done = new Set(current.partsDone);
        done.add(part);
        const updated: FileRow = {
          ...current,
          partsDone: [...done].sort((a, b) => a - b),
          updated: timestamp(),
        };
        files.put(updated);
        files.blobs.advance(blobId, done, layout);
        return updated;
      });
    } finally {
      await received.discard();
    }
    this.sendItem(ctx, loaded, next);
  }

  /**
   * Commits a multipart file: its parts already lie in place in its pending blob with a running MD5
   * over the first ones; writes still in flight are stopped, the hash is finished over the rest and
   * the bytes get a fresh blob name, so no part still arriving can change the committed content.
   */
  private async commitParts(ctx: RequestContext, loaded: Loaded, row: FileRow): Promise<void> {
    const { files } = this.app;
    const { key } = row;
    const result = await exclusive(row.fileId, async () => {
      const current = files.get("draft", loaded.item.id, key);
      if (current?.fileId !== row.fileId) throw noSuchFile(loaded.item.id, key);
      if (current.status === "completed") return { row: current, orphan: undefined };
      const parts = current.transfer.parts ?? 0;
      const missing: number[] = [];
      for (let n = 1; n <= parts; n++) if (!current.partsDone.includes(n)) missing.push(n);
      const staged = current.blobId;
      if (missing.length > 0 || staged === null) {
        throw new HttpError(
          400,
          `Multipart upload of "${key}" is incomplete: part${missing.length === 1 ? "" : "s"} ${missing.join(", ")} of ${String(parts)} not uploaded.`,
        );
      }
      const assembled = await files.blobs.finishParts(staged, {
        parts,
        partSize: current.transfer.part_size ?? 0,
        size: current.declaredSize ?? 0,
      });
      const next: FileRow = {
        ...current,
        status: "completed",
        // The multipart provider turns the committed file into a local one.
        transfer: { type: "L" },
        blobId: assembled.blobId,
        checksum: `md5:${assembled.md5}`,
        size: assembled.bytes,
        updated: timestamp(),
      };
      // RDM 13 answers the commit with the metadata still unset (null), shows `{}` from then on.
      files.put({ ...next, metadata: next.metadata ?? {} });
      return { row: next, orphan: staged };
    });
    // The placeholder blob and its parts are no longer needed.
    if (result.orphan !== undefined) await files.collect([result.orphan]);
    this.sendItem(ctx, loaded, result.row);
  }

  async commit(ctx: RequestContext, key: string): Promise<void> {
    await readJsonBody(ctx.req);
    const loaded = this.loadForUpdate(ctx);
    const row = this.fileOf(loaded, key);
    const { files } = this.app;
    // A repeated commit (e.g. after a lost response) answers with the committed file.
    if (row.status === "completed") {
      this.sendItem(ctx, loaded, row);
      return;
    }
    if (row.transfer.type === "M") {
      await this.commitParts(ctx, loaded, row);
      return;
    }
    if (row.blobId === null || row.uploadMd5 === null || row.size === null) {
      throw new HttpError(400, `File with key "${key}" has no content yet.`);
    }
    const checksum = `md5:${row.uploadMd5}`;
    const size = row.size;
    const current = files.get("draft", loaded.item.id, key);
    if (current?.fileId !== row.fileId) throw noSuchFile(loaded.item.id, key);
    if (current.status === "completed") {
      this.sendItem(ctx, loaded, current);
      return;
    }
    const next: FileRow = {
      ...current,
      status: "completed",
      // The multipart provider turns the committed file into a local one.
      transfer: { type: "L" },
      checksum,
      size,
      updated: timestamp(),
    };
    // RDM 13 answers the commit with the metadata still unset (null) and shows `{}` from then on.
    files.put({ ...next, metadata: next.metadata ?? {} });
    this.sendItem(ctx, loaded, next);
  }

  async download(ctx: RequestContext, draft: boolean, key: string): Promise<void> {
    const loaded = this.load(ctx, draft);
    const row = this.fileOf(loaded, key);
    if (
      row.status !== "completed" ||
      row.blobId === null ||
      row.checksum === null ||
      row.size === null
    ) {
      ctx.req.resume();
      throw new HttpError(404, `File with key "${key}" has not been committed yet.`);
    }
    const content = {
      blobId: row.blobId,
      key: row.key,
      checksum: row.checksum,
      updated: row.updated,
      contentType: mimetypeOf(row.key),
    };
    const storage = this.app.storage;
    if (storage !== undefined) {
      // Like invenio-s3: the API answers with a redirect to a presigned URL on the object store.
      const location = storage.signer.url(storage.origin(), content);
      ctx.res.writeHead(302, { Location: location, "Content-Length": "0" });
      ctx.res.end();
      return;
    }
    await sendContent(
      ctx.req,
      ctx.res,
      {
        body: (range) => this.app.files.blobs.read(content.blobId, range),
        size: row.size,
        checksum: row.checksum,
        updated: row.updated,
        contentType: content.contentType,
        key: row.key,
      },
      {
        attachment: ctx.query.has("download"),
        ranges: this.app.traits.rangeRequests,
        headers: this.app.traits.downloadHeaders,
      },
    );
  }

  /**
   * `POST <prefix>/<id>/draft/actions/files-import` (IDR `import_files`,
   * docs/protocol/records.md#routes, docs/protocol/records.md#new-version).
   */
  async importFiles(ctx: RequestContext): Promise<void> {
    await readJsonBody(ctx.req);
    const loaded = this.loadForUpdate(ctx);
    const { files } = this.app;
    const fail = (message: string): HttpError =>
      validationError([{ field: "files.enabled", messages: [message] }]);
    if (!loaded.item.filesEnabled) throw fail(FILE_MESSAGES.importDisabled);
    if (files.count("draft", loaded.item.id) > 0) throw fail(FILE_MESSAGES.importNotEmpty);
    const latestId = loaded.parent.latestId;
    const latest = latestId === null ? undefined : this.app.records.item("record", latestId);
    if (latest === undefined || !latest.filesEnabled) throw fail(FILE_MESSAGES.importNoFiles);
    const now = timestamp();
    this.app.records.transaction(() => {
      files.replaceAll(
        { kind: "record", id: latest.id },
        { kind: "draft", id: loaded.item.id },
        now,
      );
    });
    this.sendList(ctx, loaded, 201);
  }

  async draftWildcard(ctx: RequestContext): Promise<void> {
    const target = parseTarget(param(ctx, "*"));
    switch (ctx.method) {
      case "GET":
      case "HEAD":
        if (target.kind === "item") this.read(ctx, true, target.key);
        else if (target.kind === "content") await this.download(ctx, true, target.key);
        else throw methodNotAllowed(target.kind === "commit" ? "OPTIONS, POST" : "OPTIONS, PUT");
        return;
      case "PUT":
        if (target.kind === "item") await this.updateMetadata(ctx, target.key);
        else if (target.kind === "content") await this.uploadContent(ctx, target.key);
        else if (target.kind === "part") await this.uploadPart(ctx, target.key, target.part);
        else throw methodNotAllowed("OPTIONS, POST");
        return;
      case "POST":
        if (target.kind === "commit") await this.commit(ctx, target.key);
        else throw methodNotAllowed("DELETE, GET, HEAD, OPTIONS, PUT");
        return;
      case "DELETE":
        if (target.kind === "item") await this.deleteOne(ctx, target.key);
        else throw methodNotAllowed("GET, HEAD, OPTIONS, PUT");
        return;
      default:
        throw methodNotAllowed("DELETE, GET, HEAD, OPTIONS, POST, PUT");
    }
  }

  async recordWildcard(ctx: RequestContext): Promise<void> {
    const target = parseTarget(param(ctx, "*"));
    if (target.kind === "item") this.read(ctx, false, target.key);
    else if (target.kind === "content") await this.download(ctx, false, target.key);
    else throw noSuchFile(param(ctx, "id"), target.key);
  }
}

function registerModel(router: Router, app: ServiceContext, model: ResolvedModel): void {
  const f = new Files(app, model, new Records(app, model));
  const item = `${apiPrefix(model)}/:id`;
  // Published records: read-only (RDM's record file service has allow_upload = False, so the
  // upload methods are not routed and answer 405).
  router.on("GET", `${item}/files`, (ctx) => {
    f.list(ctx, false);
  });
  router.on("GET", `${item}/files/*`, (ctx) => f.recordWildcard(ctx));
  router.on("GET", `${item}/draft/files`, (ctx) => {
    f.list(ctx, true);
  });
  router.on("POST", `${item}/draft/files`, (ctx) => f.init(ctx));
  router.on("DELETE", `${item}/draft/files`, (ctx) => f.deleteAll(ctx));
  router.on(["GET", "PUT", "POST", "DELETE"], `${item}/draft/files/*`, (ctx) =>
    f.draftWildcard(ctx),
  );
  router.on("POST", `${item}/draft/actions/files-import`, (ctx) => f.importFiles(ctx));
}

/**
 * Files of drafts and records (docs/protocol/files.md): the L and M transfers streamed to disk,
 * commits with md5 checksums, metadata, deletion, downloads with ranges (or redirects to the
 * storage origin), and files-import for new versions.
 */
export const filesService: Service = (router, app) => {
  for (const model of recordModels(app)) {
    if (app.flavour === "rdm" || model.features.includes("files"))
      registerModel(router, app, model);
  }
};

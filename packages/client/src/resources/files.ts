// A record's files (protocol §4): the list, single-request (L) and multipart (M) uploads with
// verified checksums and resume hooks, metadata updates, deletion, and verified, resumable
// downloads. The byte-moving machinery lives in internal/upload.ts and internal/download.ts.

import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { pipeline } from "node:stream";
import type { Readable, Transform } from "node:stream";
import {
  APIError,
  APIUserAbortError,
  BadRequestError,
  ChecksumMismatchError,
  ErrorCodes,
  NRPError,
  UploadError,
} from "../core/errors.js";
import type { UploadPart } from "../core/errors.js";
import { toUploadSource } from "../core/uploads.js";
import type { UploadInput, UploadSource } from "../core/uploads.js";
import { downloadFile } from "../internal/download.js";
import type { DownloadFileOptions } from "../internal/download.js";
import type { HttpClient } from "../internal/http.js";
import { isRetryableError, isRetryableStatus } from "../internal/retry.js";
import { checkFileKey, safeFilePath } from "../core/file-keys.js";
import {
  chooseTransfer,
  contentMd5,
  CountingStream,
  HashingStream,
  md5OfChecksum,
  partsToSend,
  planParts,
  ProgressTracker,
} from "../internal/transfer.js";
import type { PartPlan, TransferProgress } from "../internal/transfer.js";
import { md5OfFile, openPrefixHasher } from "../internal/hasher.js";
import { runParts } from "../internal/upload.js";
import type { Info } from "./info.js";
import { isObject } from "../internal/json.js";
import type { Json } from "../core/json.js";

function stringLinks(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  return out;
}

/** What files need from their client; not part of the public API. */
export interface FilesContext {
  http: HttpClient;
  info: Info;
}

/**
 * Files of at least this many bytes go up in parts with `transfer: "auto"` when the repository
 * offers multipart. Below it one request is as fast on a local network and costs fewer round trips.
 */
export const MULTIPART_THRESHOLD = 64 * 1024 * 1024;
/** Default part size of multipart uploads (raised for files over 10 000 parts). */
export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
/** Default number of parts in flight. */
export const DEFAULT_UPLOAD_CONCURRENCY = 4;

/** Largest single-request upload hashed before sending so that it can carry `Content-MD5`. */
const CONTENT_MD5_MAX_SIZE = 16 * 1024 * 1024;

export type { TransferProgress } from "../internal/transfer.js";
export type { DownloadFileOptions } from "../internal/download.js";

/** Where a resumed multipart upload stands: the parts the caller's journal says were acknowledged. */
export interface ResumeState {
  /** Part numbers (1-based) already acknowledged by the server. */
  completedParts: readonly number[];
}

/** Options of {@link NRPRecordFiles.create} and {@link NRPFile.replace}. */
export interface UploadOptions {
  /**
   * `"L"`: one request; `"M"`: parts (needs a known, non-zero size); `"auto"`: M when the
   * repository offers it and the file has at least {@link MULTIPART_THRESHOLD} bytes.
   * @default "auto"
   */
  transfer?: "auto" | "L" | "M" | undefined;
  /** Part size for M. @default 16 MiB (raised so that there are at most 10 000 parts) */
  partSize?: number | undefined;
  /** Parts in flight at once (1 for one-shot streams). @default 4 */
  concurrency?: number | undefined;
  /** The stream's size, needed to send a stream in parts. */
  size?: number | undefined;
  /** Called (throttled, at most every 100 ms, and once at the end) with bytes sent so far. */
  onProgress?: ((progress: TransferProgress) => void) | undefined;
  /** Aborting stops every request; see `keepPendingOnFailure` for what stays on the server. */
  signal?: AbortSignal | undefined;
  /**
   * Called after the server acknowledged each part of an M upload, with the plan's part size; a
   * journal records it to resume later. A throw stops the upload.
   */
  onPartDone?: ((part: UploadPart & { partSize: number }) => void) | undefined;
  /**
   * Continue an M upload: when the file is pending on the server with the same size and part size,
   * only parts not listed are sent; otherwise the upload starts over. Needs a re-openable source.
   */
  resume?: ResumeState | undefined;
  /**
   * Leave the pending file on the server when the upload fails or is aborted, so that it can be
   * resumed; by default it is deleted, so nothing half-uploaded remains.
   * @default false
   */
  keepPendingOnFailure?: boolean | undefined;
}

/** Options of {@link NRPFile.open}. */
export interface OpenFileOptions {
  signal?: AbortSignal | undefined;
  /** First byte to read (a Range request). */
  start?: number | undefined;
  /** Byte just past the last to read. */
  end?: number | undefined;
}

/** Options of calls that only change metadata or delete. */
export interface FileActionOptions {
  signal?: AbortSignal | undefined;
}

function noContext(): never {
  throw new NRPError("This file list is not attached to a client (it was built from JSON).", {
    code: ErrorCodes.Detached,
  });
}

/** Pipes `source` through `transform`; destroying either end destroys both (no leaked file handles). */
function through(source: Readable, transform: Transform): Readable {
  return pipeline(source, transform, () => undefined);
}

/**
 * A failure that a retry would have healed, on a source whose bytes are gone: say so, rather than
 * report a bare connection error the caller would expect the client to have retried.
 */
function oneShotFailure(error: unknown, key: string): Error {
  const transient =
    isRetryableError(error) || (error instanceof APIError && isRetryableStatus(error.status));
  if (!transient) return error instanceof Error ? error : new NRPError(String(error));
  const message = error instanceof Error ? error.message : String(error);
  return new NRPError(
    `Uploading ${key} failed (${message}) and cannot be retried: its source is a one-shot stream whose bytes are gone. Upload from a file or bytes to allow retries.`,
    { code: ErrorCodes.SourceNotRetryable, cause: error },
  );
}

async function md5OfSource(source: UploadSource, signal: AbortSignal | undefined): Promise<string> {
  // A file on disk is read and hashed by a worker thread (for large files), leaving the event
  // loop to the requests.
  if (source.path !== undefined && source.size !== undefined) {
    return md5OfFile(source.path, source.size, signal);
  }
  const hash = createHash("md5");
  const stream = source.open(0, source.size);
  const abort = (): void => {
    stream.destroy(new APIUserAbortError("The upload was aborted."));
  };
  signal?.addEventListener("abort", abort, { once: true });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  } finally {
    signal?.removeEventListener("abort", abort);
  }
  return hash.digest("hex");
}

/**
 * One file of a record: its key, metadata, technical fields and links, and what can be done with
 * it (download, open, save metadata, replace, delete).
 *
 * Getters are camelCase views over the server's JSON; {@link NRPFile.toDict} returns that JSON.
 */
export class NRPFile {
  #data: Json;
  readonly #ctx: FilesContext | undefined;
  readonly #list: NRPRecordFiles | undefined;

  /**
   * Wraps one entry of a file list; use {@link NRPRecordFiles} rather than calling this.
   *
   * @internal
   */
  constructor(data: Json, ctx?: FilesContext, list?: NRPRecordFiles) {
    this.#data = data;
    this.#ctx = ctx;
    this.#list = list;
  }

  /** The file name within the record. */
  get key(): string {
    return typeof this.#data.key === "string" ? this.#data.key : "";
  }
  /** The user metadata of the file (`metadata`); edit it in place, then {@link NRPFile.save}. */
  get metadata(): Json {
    if (!isObject(this.#data.metadata)) this.#data.metadata = {};
    return this.#data.metadata as Json;
  }
  /** The whole entry as the server sent it. */
  get data(): Json {
    return this.#data;
  }
  /** The file's links (`self`, `content`, `commit`, …). */
  get links(): Readonly<Record<string, string>> {
    return stringLinks(this.#data.links);
  }
  /** `pending` until the upload is committed, then `completed`. */
  get status(): string | undefined {
    return typeof this.#data.status === "string" ? this.#data.status : undefined;
  }
  /** Size in bytes, once known. */
  get size(): number | undefined {
    return typeof this.#data.size === "number" ? this.#data.size : undefined;
  }
  /** The server's checksum, e.g. `md5:…`, once the upload is committed. */
  get checksum(): string | undefined {
    return typeof this.#data.checksum === "string" ? this.#data.checksum : undefined;
  }
  /** The MIME type the server assigned. */
  get mimetype(): string | undefined {
    return typeof this.#data.mimetype === "string" ? this.#data.mimetype : undefined;
  }
  /** The transfer: `{ type: "L" }`, or `{ type: "M", parts, part_size }` while a multipart upload is pending. */
  get transfer(): { type: string; parts?: number; part_size?: number } {
    const t = this.#data.transfer;
    if (isObject(t) && typeof t.type === "string") {
      return t as { type: string; parts?: number; part_size?: number };
    }
    // RDM 12 has no transfer block; its storage class says the same (protocol §4.2).
    return {
      type: typeof this.#data.storage_class === "string" ? this.#data.storage_class : "L",
    };
  }
  /** A deep copy of the entry's JSON. */
  toDict(): Json {
    return structuredClone(this.#data);
  }
  /** Same as {@link NRPFile.toDict}, so that `JSON.stringify` works. */
  toJSON(): Json {
    return this.toDict();
  }

  #context(): FilesContext {
    return this.#ctx ?? noContext();
  }

  #link(name: string): string {
    const url = this.links[name];
    if (!url) {
      throw new NRPError(`File ${this.key} has no links.${name}.`, {
        code: ErrorCodes.MissingLink,
      });
    }
    return url;
  }

  /** @internal Replaces the entry's JSON with a newer answer of the server. */
  _update(data: Json): void {
    this.#data = data;
  }

  /**
   * Downloads the content to `path` (or, when `path` is an existing directory or ends with `/`, to
   * the file's key inside it), verified and resumable.
   *
   * Bytes go to `.<name>.nrp-part` beside the target; the md5 is checked against `checksum`, the
   * file is fsynced and only then renamed, so the target is either the verified content or
   * untouched. An interrupted download keeps the temporary file, and running it again continues
   * with a `Range` request (`If-Range` makes the server send everything if the content changed)
   * where the server advertised `Accept-Ranges: bytes` or answered a range with 206; a server that
   * ignores ranges (InvenioRDM 13) is not asked, and the download starts over. `onResume` says
   * when a resume really happened. A redirect to storage on another host is followed without the
   * token.
   *
   * @returns the path written.
   * @throws {@link UnsafeFileKeyError} when the key would leave the directory (before any I/O).
   * @throws {@link ChecksumMismatchError} when the content does not match; the temporary file is
   * removed and the target is untouched.
   */
  async download(path: string, options: DownloadFileOptions = {}): Promise<string> {
    const ctx = this.#context();
    let target = path;
    const isDir =
      /[\\/]$/.test(path) ||
      (await stat(path).then(
        (s) => s.isDirectory(),
        () => false,
      ));
    if (isDir) target = safeFilePath(path, this.key);
    if (this.status !== undefined && this.status !== "completed") {
      throw new NRPError(
        `File ${this.key} is ${this.status}; only committed files can be downloaded.`,
        {
          code: ErrorCodes.FileNotCommitted,
        },
      );
    }
    await downloadFile(
      ctx.http,
      { key: this.key, url: this.#link("content"), size: this.size, checksum: this.checksum },
      target,
      options,
    );
    return target;
  }

  /**
   * The content as a Node `Readable` (a redirect to storage is followed without the token); not
   * verified: use {@link NRPFile.download} for a checked copy on disk.
   */
  async open(options: OpenFileOptions = {}): Promise<Readable> {
    const ctx = this.#context();
    const { start, end } = options;
    const range =
      start === undefined && end === undefined
        ? undefined
        : `bytes=${start ?? 0}-${end === undefined ? "" : String(end - 1)}`;
    const res = await ctx.http.stream({
      method: "GET",
      url: this.#link("content"),
      headers: { accept: "*/*", "accept-encoding": "identity", range },
      signal: options.signal,
    });
    return res.body;
  }

  /** Saves the metadata: `PUT links.self` with `{"metadata": …}` (protocol §4.5). */
  async save(options: FileActionOptions = {}): Promise<this> {
    const res = await this.#context().http.putJSON(
      this.#link("self"),
      { metadata: this.metadata },
      { signal: options.signal },
    );
    if (isObject(res.body)) this.#data = res.body;
    return this;
  }

  /** Deletes the file (a pending multipart upload is aborted on the server). */
  async delete(options: FileActionOptions = {}): Promise<void> {
    await this.#context().http.delete(this.#link("self"), { signal: options.signal });
    this.#list?._remove(this.key);
  }

  /**
   * Replaces the content: deletes the file and uploads `source` under the same key and metadata.
   * Returns the new file (also put in the record's list in place of this one).
   */
  async replace(source: UploadInput, options: UploadOptions = {}): Promise<NRPFile> {
    const list = this.#list;
    if (!list) noContext();
    const metadata = structuredClone(this.metadata);
    // Open the source before deleting anything, so a bad path loses nothing.
    const src = await toUploadSource(source, { size: options.size });
    await this.delete({ signal: options.signal });
    return list.create(this.key, metadata, src, options);
  }

  /** A short description for logs. */
  toString(): string {
    return `NRPFile[${this.key}]`;
  }
}

/**
 * The files of one record, as listed by `GET links.files`; also where new files are uploaded.
 *
 * An `Iterable` of {@link NRPFile} because the whole list arrives in one response.
 */
export class NRPRecordFiles implements Iterable<NRPFile> {
  #data: Json;
  #files: NRPFile[];
  readonly #ctx: FilesContext | undefined;
  readonly #url: string | undefined;

  /**
   * Wraps a file list response; records build this for `includeFiles` and `loadFiles()`.
   *
   * @internal
   */
  constructor(data: Json, ctx?: FilesContext, url?: string) {
    this.#data = data;
    this.#ctx = ctx;
    this.#url = url ?? stringLinks(data.links).self;
    this.#files = this.#wrap(data);
  }

  #wrap(data: Json): NRPFile[] {
    const entries = Array.isArray(data.entries) ? (data.entries as unknown[]) : [];
    return entries.filter(isObject).map((entry) => new NRPFile(entry, this.#ctx, this));
  }

  /** Whether the record accepts files (`enabled`); a metadata-only record says false. */
  get enabled(): boolean {
    return this.#data.enabled !== false;
  }
  /** The list's links (`self`, …). */
  get links(): Readonly<Record<string, string>> {
    return stringLinks(this.#data.links);
  }
  /** How many files the list holds. */
  get length(): number {
    return this.#files.length;
  }
  /** The file with this key, if any. */
  get(key: string): NRPFile | undefined {
    return this.#files.find((f) => f.key === key);
  }
  /** Iterates over the files in the server's order. */
  [Symbol.iterator](): Iterator<NRPFile> {
    return this.#files[Symbol.iterator]();
  }
  /** A deep copy of the list's JSON (with the files as they are now). */
  toDict(): Json {
    return structuredClone({ ...this.#data, entries: this.#files.map((f) => f.data) });
  }
  /** Same as {@link NRPRecordFiles.toDict}, so that `JSON.stringify` works. */
  toJSON(): Json {
    return this.toDict();
  }

  /** @internal Drops a deleted file from the list. */
  _remove(key: string): void {
    this.#files = this.#files.filter((f) => f.key !== key);
  }

  #put(file: NRPFile): void {
    const at = this.#files.findIndex((f) => f.key === file.key);
    if (at < 0) this.#files.push(file);
    else this.#files[at] = file;
  }

  #context(): FilesContext {
    return this.#ctx ?? noContext();
  }

  #listUrl(): string {
    if (!this.#url) {
      throw new NRPError("The file list has no links.self to upload to.", {
        code: ErrorCodes.MissingLink,
      });
    }
    return this.#url;
  }

  /** Reloads the list from the server. */
  async refresh(options: FileActionOptions = {}): Promise<this> {
    const res = await this.#context().http.getJSON(this.#listUrl(), { signal: options.signal });
    this.#data = isObject(res.body) ? res.body : {};
    this.#files = this.#wrap(this.#data);
    return this;
  }

  /**
   * Uploads a new file: initialise, send the content (one request, or parts in parallel), commit,
   * and compare the committed checksum with the md5 computed from the source.
   *
   * Every part is sent from fresh bytes of the source and retried on its own through the client's
   * retry policy; the first part that fails for good stops the others and the call throws an
   * {@link UploadError} listing the acknowledged parts. Unless `keepPendingOnFailure` is set, a
   * failed or aborted upload deletes its pending file, so nothing half-uploaded stays.
   *
   * @param source a path, `Uint8Array`, `Blob`, Node `Readable`, web `ReadableStream`, or an
   * {@link UploadSource}; streams need `options.size` to go up in parts.
   * @throws {@link ChecksumMismatchError} when the server stored other bytes than the source's;
   * the committed file is deleted.
   * @example
   * const file = await draft.files!.create("data.csv", { title: "Data" }, "./data.csv", {
   *   onProgress: (p) => console.error(`${p.transferredBytes}/${p.totalBytes}`),
   * });
   */
  async create(
    key: string,
    metadata: Json,
    source: UploadInput,
    options: UploadOptions = {},
  ): Promise<NRPFile> {
    checkFileKey(key);
    const ctx = this.#context();
    const listUrl = this.#listUrl();
    const src = await toUploadSource(source, { size: options.size });
    const repo = await ctx.info.repository({ signal: options.signal });
    const transfer = chooseTransfer({
      requested: options.transfer,
      size: src.size,
      offered: repo.transfers,
      threshold: MULTIPART_THRESHOLD,
    });
    if (options.resume && !src.retryable) {
      throw new NRPError("A one-shot stream cannot resume an upload: pass a path or bytes.", {
        code: ErrorCodes.SourceNotRetryable,
      });
    }
    const plan =
      transfer === "M"
        ? planParts(src.size ?? 0, options.partSize ?? DEFAULT_PART_SIZE)
        : undefined;

    let entry: Json | undefined;
    let skip = new Set<number>();
    if (options.resume && plan) {
      const found = await this.#resumable(key, plan, options);
      if (found?.status === "completed") {
        const file = new NRPFile(found, ctx, this);
        await this.#verifyExisting(file, src, options.signal);
        this.#put(file);
        return file;
      }
      if (found) {
        entry = found;
        skip = new Set(options.resume.completedParts.filter((p) => p >= 1 && p <= plan.parts));
      }
    }
    entry ??= await this.#init(ctx, listUrl, key, metadata, src, plan, options.signal);
    const file = new NRPFile(entry, ctx, this);
    this.#put(file);

    try {
      const md5 = plan
        ? await this.#sendParts(ctx, file, src, plan, skip, options)
        : await this.#sendContent(ctx, file, src, options);
      const committed = await this.#commit(ctx, file, options.signal);
      file._update(committed);
      await this.#verify(ctx, file, md5, options.signal);
      return file;
    } catch (error) {
      if (error instanceof ChecksumMismatchError) throw error;
      const keep = options.keepPendingOnFailure === true && plan !== undefined;
      if (!keep) await this.#discard(ctx, file);
      if (error instanceof UploadError) {
        throw new UploadError(error.message, {
          key,
          completedParts: error.completedParts,
          failedParts: error.failedParts,
          errors: error.errors,
          pendingKept: keep,
          cause: error.cause,
        });
      }
      throw error;
    }
  }

  /** The pending M entry a resume can continue, or the completed file; undefined → start over. */
  async #resumable(key: string, plan: PartPlan, options: UploadOptions): Promise<Json | undefined> {
    await this.refresh({ signal: options.signal });
    const existing = this.get(key);
    if (!existing) return undefined;
    const t = existing.transfer;
    // A committed file is never deleted here: the caller checks it against the source.
    if (existing.status === "completed") return existing.data;
    if (
      existing.status === "pending" &&
      t.type === "M" &&
      existing.size === plan.size &&
      t.part_size === plan.partSize &&
      t.parts === plan.parts
    ) {
      return existing.data;
    }
    // A pending upload with another layout: the journal is stale, start over.
    await existing.delete({ signal: options.signal });
    return undefined;
  }

  async #verifyExisting(
    file: NRPFile,
    src: UploadSource,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const expected = md5OfChecksum(file.checksum);
    if (expected === undefined) return;
    const actual = await md5OfSource(src, signal);
    if (actual !== expected) {
      throw new ChecksumMismatchError(
        `${file.key} is already committed with other content (md5:${expected}); the local file has md5:${actual}. Delete it or use replace().`,
        { key: file.key, expected: `md5:${expected}`, actual: `md5:${actual}` },
      );
    }
  }

  async #init(
    ctx: FilesContext,
    listUrl: string,
    key: string,
    metadata: Json,
    src: UploadSource,
    plan: PartPlan | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Json> {
    const item: Json = {
      key,
      metadata,
      transfer: plan ? { type: "M", parts: plan.parts, part_size: plan.partSize } : { type: "L" },
    };
    if (src.size !== undefined) item.size = src.size;
    const res = await ctx.http.postJSON(listUrl, [item], { signal });
    const body = isObject(res.body) ? res.body : {};
    const entries = Array.isArray(body.entries) ? (body.entries as unknown[]) : [];
    const entry = entries.filter(isObject).find((e) => e.key === key);
    if (!entry) {
      throw new NRPError(`The server did not list ${key} after initialising it.`, {
        code: ErrorCodes.InvalidResponse,
      });
    }
    return entry;
  }

  /** L: `PUT links.content` with `Content-Length` (and `Content-MD5` when small); returns the md5. */
  async #sendContent(
    ctx: FilesContext,
    file: NRPFile,
    src: UploadSource,
    options: UploadOptions,
  ): Promise<string> {
    const tracker = new ProgressTracker({ onProgress: options.onProgress, totalBytes: src.size });
    const url = file.links.content;
    if (!url) {
      throw new NRPError(`File ${file.key} has no links.content to upload to.`, {
        code: ErrorCodes.MissingLink,
      });
    }
    const headers: Record<string, string> = { "content-type": "application/octet-stream" };
    if (src.size !== undefined) headers["content-length"] = String(src.size);
    let md5: string | undefined;
    if (src.retryable && src.size !== undefined && src.size <= CONTENT_MD5_MAX_SIZE) {
      // A small source is hashed first so the digest can go in a header: the server then refuses
      // bytes damaged on the way instead of storing them. A large one is hashed while it is sent
      // (a second read of gigabytes would halve the throughput); the committed checksum is
      // compared with that digest afterwards, which catches the same damage one step later.
      const digest = await md5OfSource(src, options.signal);
      headers["content-md5"] = contentMd5(digest);
      md5 = digest;
    }
    // A large file on disk is hashed by the worker thread right behind the bytes sent (still in
    // the page cache), which leaves the event loop to the transfer; other sources are hashed as
    // they stream through.
    const prefix =
      md5 === undefined && src.retryable && src.path !== undefined && src.size !== undefined
        ? await openPrefixHasher(src.path, src.size)
        : undefined;
    let hash = createHash("md5");
    const body = (): Readable => {
      tracker.restart(0);
      if (prefix) {
        // The file's bytes do not change between attempts: the hasher only moves forward.
        let sent = 0;
        return through(
          src.open(0, src.size),
          new CountingStream((n) => {
            sent += n;
            prefix.extend(sent);
            tracker.add(0, n);
          }),
        );
      }
      hash = createHash("md5");
      return through(
        src.open(0, src.size),
        new HashingStream(hash, (n) => {
          tracker.add(0, n);
        }),
      );
    };
    try {
      try {
        await ctx.http.json({
          method: "PUT",
          url,
          headers,
          // A retryable source is re-opened (and re-hashed) for every attempt; a one-shot stream
          // is sent once.
          body: src.retryable ? body : body(),
          signal: options.signal,
        });
      } catch (error) {
        throw src.retryable ? error : oneShotFailure(error, file.key);
      }
      if (prefix && src.size !== undefined) {
        prefix.extend(src.size);
        md5 = await prefix.digest(options.signal);
      }
    } finally {
      await prefix?.close();
    }
    md5 ??= hash.digest("hex");
    tracker.finish();
    return md5;
  }

  /** M: parts through N workers, the whole-file md5 computed alongside; returns the md5. */
  async #sendParts(
    ctx: FilesContext,
    file: NRPFile,
    src: UploadSource,
    plan: PartPlan,
    skip: ReadonlySet<number>,
    options: UploadOptions,
  ): Promise<string> {
    const urls = new Map<number, string>();
    const parts = file.data.links;
    if (isObject(parts) && Array.isArray(parts.parts)) {
      for (const p of parts.parts as unknown[]) {
        if (isObject(p) && typeof p.part === "number" && typeof p.url === "string") {
          urls.set(p.part, p.url);
        }
      }
    }
    const self = file.links.self;
    const urlOf = (part: number): string => {
      const url = urls.get(part) ?? (self ? `${self}/content/${part}` : undefined);
      if (!url) {
        throw new NRPError(`File ${file.key} has no URL for part ${part}.`, {
          code: ErrorCodes.MissingLink,
        });
      }
      return url;
    };
    const skipped = [...skip];
    const tracker = new ProgressTracker({
      onProgress: options.onProgress,
      totalBytes: plan.size,
      partsTotal: plan.parts,
      initialBytes: skipped.reduce(
        (sum, p) => sum + Math.min(plan.partSize, plan.size - (p - 1) * plan.partSize),
        0,
      ),
      initialParts: skipped.length,
    });
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const oneShotHash = src.retryable ? undefined : createHash("md5");
    // A file on disk is hashed by the worker thread right behind the acknowledged parts (from the
    // start of the file, as far as the parts are contiguous): the bytes are still in the page
    // cache, and the worker starts only once the upload is under way. Other re-openable sources
    // are hashed in one sequential pass alongside the parts.
    const prefix =
      src.retryable && src.path !== undefined
        ? await openPrefixHasher(src.path, plan.size)
        : undefined;
    const acknowledged = new Set(skipped);
    let contiguous = 0;
    const advance = (): void => {
      while (acknowledged.has(contiguous + 1)) contiguous++;
      prefix?.extend(Math.min(plan.size, contiguous * plan.partSize));
    };
    advance();
    const hashing = src.retryable && !prefix ? md5OfSource(src, signal) : undefined;
    hashing?.catch(() => undefined);
    try {
      await runParts({
        key: file.key,
        parts: partsToSend(plan, skip),
        concurrency: src.retryable ? (options.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY) : 1,
        signal: options.signal,
        alreadyDone: skipped,
        onPartDone: (part) => {
          tracker.partDone(part.part);
          acknowledged.add(part.part);
          advance();
          options.onPartDone?.({ ...part, partSize: plan.partSize });
        },
        send: async (part, partSignal) => {
          const length = part.end - part.start;
          const count = (n: number): void => {
            tracker.add(part.part, n);
          };
          const request = ctx.http.json({
            method: "PUT",
            url: urlOf(part.part),
            headers: {
              "content-type": "application/octet-stream",
              "content-length": String(length),
            },
            body: oneShotHash
              ? through(src.open(part.start, part.end), new HashingStream(oneShotHash, count))
              : () => {
                  tracker.restart(part.part);
                  return through(src.open(part.start, part.end), new CountingStream(count));
                },
            signal: partSignal,
          });
          try {
            await request;
          } catch (error) {
            throw oneShotHash ? oneShotFailure(error, file.key) : error;
          }
        },
      });
      tracker.finish();
      if (oneShotHash) return oneShotHash.digest("hex");
      if (prefix) {
        prefix.extend(plan.size);
        return await prefix.digest(signal);
      }
      return await (hashing ?? Promise.resolve(""));
    } catch (error) {
      stop.abort(error);
      throw error;
    } finally {
      await prefix?.close();
    }
  }

  /** `POST links.commit`; a retried commit that finds the file already committed is success. */
  async #commit(ctx: FilesContext, file: NRPFile, signal: AbortSignal | undefined): Promise<Json> {
    const url = file.links.commit;
    if (!url) return file.data;
    try {
      const res = await ctx.http.postJSON(url, {}, { signal, retrySafe: true });
      return isObject(res.body) ? res.body : file.data;
    } catch (error) {
      // The first attempt may have committed before its answer was lost.
      if (error instanceof BadRequestError && file.links.self) {
        const current = await ctx.http.getJSON(file.links.self, { signal });
        if (isObject(current.body) && current.body.status === "completed") return current.body;
      }
      throw error;
    }
  }

  async #verify(
    ctx: FilesContext,
    file: NRPFile,
    md5: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let expected = md5OfChecksum(file.checksum);
    if (expected === undefined && file.links.self) {
      // Multipart commits may publish the checksum a moment later (protocol §4.2).
      const res = await ctx.http.getJSON(file.links.self, { signal });
      if (isObject(res.body)) file._update(res.body);
      expected = md5OfChecksum(file.checksum);
    }
    if (expected === undefined || expected === md5) return;
    await this.#discard(ctx, file);
    throw new ChecksumMismatchError(
      `The repository stored ${file.key} with md5:${expected}, but the uploaded source has md5:${md5}; the file was deleted. Upload it again.`,
      { key: file.key, expected: `md5:${expected}`, actual: `md5:${md5}` },
    );
  }

  /** Deletes a file after a failed upload; best effort, and never under the aborted signal. */
  async #discard(ctx: FilesContext, file: NRPFile): Promise<void> {
    const self = file.links.self;
    this._remove(file.key);
    if (!self) return;
    try {
      await ctx.http.delete(self, { signal: AbortSignal.timeout(30_000) });
    } catch {
      // The upload's own error is what the caller needs to see.
    }
  }
}

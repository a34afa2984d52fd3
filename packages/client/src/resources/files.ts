// A record's files (docs/protocol/files.md): the list, uploads (run by internal/upload.ts's Upload:
// single request or parts, verified checksums, resume), metadata updates, deletion, and verified,
// resumable downloads (internal/download.ts).

import type { Readable } from "node:stream";
import { APIUserAbortError, ErrorCodes, NRPError } from "../core/errors.js";
import { isUploadInput, toUploadSource } from "../core/uploads.js";
import type { UploadInput } from "../core/uploads.js";
import { planUpload } from "../core/transfers.js";
import type { DownloadFileOptions, ReadFileOptions, UploadOptions } from "../core/transfers.js";
import type { SignalOptions } from "../core/options.js";
import { byteSource, downloadToPath, localFileMatches } from "#platform";
import type { DownloadTarget } from "../internal/download.js";
import { blobOf, verifiedChunks, webStreamOf } from "../internal/read.js";
import { md5OfChecksum } from "../internal/transfer.js";
import { IN_MEMORY_MAX_SIZE, Upload } from "../internal/upload.js";
import type { UploadHost } from "../internal/upload.js";
import { runPool } from "../internal/pool.js";
import type { ResourceContext } from "./context.js";
import { checkFileKey } from "../core/file-keys.js";
import { isObject } from "../internal/json.js";
import type { Json } from "../core/json.js";

function stringLinks(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  return out;
}

/** What files need from their client; not part of the public API. */
export type FilesContext = Pick<ResourceContext, "http" | "info">;

export {
  DEFAULT_PART_SIZE,
  DEFAULT_UPLOAD_CONCURRENCY,
  MULTIPART_THRESHOLD,
} from "../core/transfers.js";
export type {
  DownloadFileOptions,
  ReadFileOptions,
  ResumeState,
  TransferProgress,
  UploadOptions,
} from "../core/transfers.js";

/** Options of {@link NRPFile.open}. */
export interface OpenFileOptions extends SignalOptions {
  /** First byte to read (a Range request). */
  start?: number | undefined;
  /** Byte just past the last to read. */
  end?: number | undefined;
}

/** One file of {@link NRPRecordFiles.createMany}. */
export interface UploadManyItem {
  /** The file's key in the record. */
  key: string;
  /** A path, `Uint8Array`, `Blob` or {@link UploadSource} (streams go through `create`). */
  source: UploadInput;
  /** The file's metadata. */
  metadata?: Json | undefined;
}

/** Options of {@link NRPRecordFiles.createMany}. */
export interface UploadManyOptions extends SignalOptions {
  /** Files sent at once (default {@link DEFAULT_MANY_CONCURRENCY}). */
  concurrency?: number | undefined;
  /** Keys initialised by one request (default {@link DEFAULT_INIT_BATCH}). */
  batchSize?: number | undefined;
  /** Called with the keys of each batch just before its init request is sent. */
  onBatchStart?: ((keys: readonly string[]) => void | Promise<void>) | undefined;
  /** Called as each file is committed and verified, or has failed. */
  onFileDone?: ((result: UploadManyResult) => void) | undefined;
}

/** What happened to one file of {@link NRPRecordFiles.createMany}. */
export interface UploadManyResult {
  /** The file's key. */
  key: string;
  /** The committed, verified file. */
  file?: NRPFile | undefined;
  /** Why it failed (its pending entry was deleted). */
  error?: unknown;
}

/** Files {@link NRPRecordFiles.createMany} sends at once by default. */
export const DEFAULT_MANY_CONCURRENCY = 4;

/** Keys {@link NRPRecordFiles.createMany} initialises with one request by default (Invenio's per-record limit). */
export const DEFAULT_INIT_BATCH = 100;

/** Options of calls that only change metadata or delete: just the `signal`. */
export type FileActionOptions = SignalOptions;

function noContext(): never {
  throw new NRPError("This file list is not attached to a client (it was built from JSON).", {
    code: ErrorCodes.Detached,
  });
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
    // RDM 12 has no transfer block; its storage class says the same
    // (docs/protocol/files.md#file-entry).
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
    return downloadToPath(this.#context().http, this.#downloadTarget(), path, options);
  }

  /** What a download needs; refuses a file whose upload is not committed. */
  #downloadTarget(): DownloadTarget {
    if (this.status !== undefined && this.status !== "completed") {
      throw new NRPError(
        `File ${this.key} is ${this.status}; only committed files can be downloaded.`,
        {
          code: ErrorCodes.FileNotCommitted,
        },
      );
    }
    return { key: this.key, url: this.#link("content"), size: this.size, checksum: this.checksum };
  }

  /**
   * The content as a web `ReadableStream` of bytes, on every runtime (Node, Deno, Bun, browsers),
   * verified against the server's md5 checksum.
   *
   * Why: web code (a `Response`, `pipeTo`, a service worker) consumes web streams, and unlike
   * {@link NRPFile.open} the bytes are checked. The stream reads as it is pulled (constant
   * memory); its last chunk is held back until the md5 matches, and a mismatch errors the stream
   * with {@link ChecksumMismatchError} instead of ending it. Cancelling the stream or aborting the
   * `signal` stops the request. A connection cut mid-body is continued within the client's
   * retry count: from the bytes already passed on with `Range` + `If-Range` where the server takes
   * ranges, else by reading the content again and skipping what the stream already gave.
   *
   * @throws {@link NRPError} (code `NRP_FILE_NOT_COMMITTED`) for a file whose upload is pending, or
   * the HTTP core's typed errors when the request is refused (before the stream is returned).
   */
  async stream(options: ReadFileOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const target = this.#downloadTarget();
    const chunks = await verifiedChunks(this.#context().http, target, options);
    return webStreamOf(chunks);
  }

  /**
   * The content as a `Blob` (typed with the file's MIME type), on every runtime, verified against
   * the server's md5 checksum before it is returned.
   *
   * Why: a browser shows, saves or uploads a `Blob` directly (`URL.createObjectURL`, `<img>`,
   * `FormData`). The whole content is held in memory; prefer {@link NRPFile.stream} or
   * {@link NRPFile.download} for large files.
   *
   * @throws {@link ChecksumMismatchError} when the content does not match its checksum.
   * @throws {@link APIUserAbortError} when the `signal` is aborted.
   */
  async blob(options: ReadFileOptions = {}): Promise<Blob> {
    const target = this.#downloadTarget();
    const chunks = await verifiedChunks(this.#context().http, target, options);
    return blobOf(chunks, this.mimetype ?? "");
  }

  /**
   * Whether the local file at `path` holds exactly this committed file's bytes: same size, then
   * the same md5 as the server's `md5:` checksum.
   *
   * Why: a re-run after a partial failure can skip what already made it, in either direction,
   * without transferring anything. False (never a throw) for a missing or unreadable path, a file
   * not committed yet, or a checksum that is not md5.
   */
  async matchesLocalFile(path: string, options: SignalOptions = {}): Promise<boolean> {
    const expected = md5OfChecksum(this.checksum);
    const size = this.size;
    if (this.status !== "completed" || expected === undefined || size === undefined) return false;
    return localFileMatches(path, size, expected, options.signal);
  }

  /**
   * The content as a Node `Readable` (a redirect to storage is followed without the token); not
   * verified: use {@link NRPFile.download} for a checked copy on disk. In the browser build it is
   * the fetch body as an async iterable of `Uint8Array` with `destroy()` (no Node stream methods):
   * use {@link NRPFile.stream} for a web stream.
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
    // Node's, Deno's and Bun's transports hand over Node readables; see above for browsers.
    return res.body as unknown as Readable;
  }

  /**
   * Saves the metadata: `PUT links.self` with `{"metadata": …}`
   * (docs/protocol/files.md#file-metadata-and-deletion).
   */
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
    return list.create(this.key, src, { ...options, metadata });
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

  #host(): UploadHost<NRPFile> {
    const ctx = this.#context();
    return {
      http: ctx.http,
      listUrl: this.#listUrl(),
      current: async (name, signal) => {
        await this.refresh({ signal });
        return this.get(name);
      },
      track: (entry) => {
        const file = new NRPFile(entry, ctx, this);
        this.#put(file);
        return file;
      },
      remove: (name) => {
        this._remove(name);
      },
    };
  }

  /**
   * Uploads many new files, initialising up to `batchSize` keys with one request and sending the
   * contents and commits of `concurrency` files at a time; each file is md5-verified as with
   * {@link NRPRecordFiles.create}.
   *
   * Why: for small files the three requests per file and their server-side work are the whole
   * cost, and one init per batch saves a third of them. A file that fails does not stop the others:
   * its pending entry is deleted and its result carries the error. A batch whose init is refused
   * fails all of its files; an abort also deletes the entries of files not sent yet. Files of up to 1 MiB from re-readable sources are read once into memory
   * (the bytes hashed are the bytes sent); larger files and streams go through `create`.
   *
   * @returns one result per item, in the items' order.
   */
  async createMany(
    items: readonly UploadManyItem[],
    options: UploadManyOptions = {},
  ): Promise<UploadManyResult[]> {
    const signal = options.signal;
    for (const item of items) checkFileKey(item.key);
    const ctx = this.#context();
    const host = this.#host();
    const results: UploadManyResult[] = items.map((item) => ({ key: item.key }));
    const done = (index: number, result: UploadManyResult): void => {
      results[index] = result;
      options.onFileDone?.(result);
    };
    const batchSize = Math.max(1, options.batchSize ?? DEFAULT_INIT_BATCH);
    const concurrency = Math.max(1, options.concurrency ?? DEFAULT_MANY_CONCURRENCY);
    const sources = await Promise.all(
      items.map((item) =>
        toUploadSource(item.source).then(
          (src) => ({ ok: true as const, src }),
          (error: unknown) => ({ ok: false as const, error }),
        ),
      ),
    );
    const small: number[] = [];
    const large: number[] = [];
    const started = new Set<number>();
    sources.forEach((opened, index) => {
      if (!opened.ok) done(index, { key: results[index]?.key ?? "", error: opened.error });
      else if (
        opened.src.retryable &&
        opened.src.size !== undefined &&
        opened.src.size <= IN_MEMORY_MAX_SIZE
      )
        small.push(index);
      else large.push(index);
    });
    const uploadOptions: UploadOptions = signal ? { signal } : {};
    for (let at = 0; at < small.length && !signal?.aborted; at += batchSize) {
      const batch = small.slice(at, at + batchSize);
      const keys = batch.map((index) => items[index]?.key ?? "");
      let entries: Map<string, Json>;
      try {
        await options.onBatchStart?.(keys);
        const body = batch.map((index) => {
          const item = items[index];
          const opened = sources[index];
          return {
            key: item?.key ?? "",
            metadata: item?.metadata ?? {},
            transfer: { type: "L" },
            ...(opened?.ok && opened.src.size !== undefined ? { size: opened.src.size } : {}),
          };
        });
        const res = await ctx.http.postJSON(host.listUrl, body, { signal });
        const listed =
          isObject(res.body) && Array.isArray(res.body.entries) ? res.body.entries : [];
        entries = new Map(
          (listed as unknown[])
            .filter(isObject)
            .map((entry) => [typeof entry.key === "string" ? entry.key : "", entry]),
        );
      } catch (error) {
        for (const index of batch) done(index, { key: items[index]?.key ?? "", error });
        continue;
      }
      await runPool(
        batch,
        async (index) => {
          started.add(index);
          const item = items[index];
          const opened = sources[index];
          if (item === undefined || opened === undefined || !opened.ok) return;
          const entry = entries.get(item.key);
          try {
            if (entry === undefined) {
              throw new NRPError(`The server did not list ${item.key} after initialising it.`, {
                code: ErrorCodes.InvalidResponse,
              });
            }
            const upload = new Upload<NRPFile>({
              host,
              key: item.key,
              metadata: item.metadata ?? {},
              source: byteSource(opened.src),
              plan: { transfer: "L", size: opened.src.size },
              options: uploadOptions,
              entry,
            });
            done(index, { key: item.key, file: await upload.done() });
          } catch (error) {
            done(index, { key: item.key, error });
          }
        },
        { concurrency, signal },
      );
      // Interrupted: the batch's files never started are deleted too, so nothing stays pending.
      const unstarted = batch.filter((index) => !started.has(index));
      await Promise.all(
        unstarted.map(async (index) => {
          const key = items[index]?.key ?? "";
          done(index, { key, error: new APIUserAbortError() });
          const self = stringLinks(entries.get(key)?.links).self;
          this._remove(key);
          if (self === undefined) return;
          await ctx.http
            .delete(self, { signal: AbortSignal.timeout(30_000) })
            .catch(() => undefined);
        }),
      );
    }
    await runPool(
      large,
      async (index) => {
        const item = items[index];
        const opened = sources[index];
        if (item === undefined || opened === undefined || !opened.ok) return;
        try {
          const file = await this.create(item.key, opened.src, {
            metadata: item.metadata ?? {},
            ...(signal ? { signal } : {}),
          });
          done(index, { key: item.key, file });
        } catch (error) {
          done(index, { key: item.key, error });
        }
      },
      { concurrency: 1, signal },
    );
    return results;
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
  create(key: string, source: UploadInput, options?: UploadOptions): Promise<NRPFile>;
  /**
   * The older form of {@link NRPRecordFiles.create}, with the metadata before the source; still
   * supported. `options.metadata` is ignored in this form.
   */
  create(
    key: string,
    metadata: Json,
    source: UploadInput,
    options?: UploadOptions,
  ): Promise<NRPFile>;
  async create(
    key: string,
    first: Json | UploadInput,
    second?: UploadInput | UploadOptions,
    third?: UploadOptions,
  ): Promise<NRPFile> {
    // create(key, metadata, source, options?) when a source comes third; else the options form.
    const positional = second !== undefined && isUploadInput(second);
    const source = (positional ? second : first) as UploadInput;
    const options: UploadOptions = (positional ? third : second) ?? {};
    const metadata: Json = positional ? (first as Json) : (options.metadata ?? {});
    checkFileKey(key);
    const ctx = this.#context();
    // Fails here, before the source is opened, when the list has no links.self to upload to.
    const host = this.#host();
    const src = await toUploadSource(source, { size: options.size });
    const repo = await ctx.info.repository({ signal: options.signal });
    const plan = planUpload(src.size, {
      // A resume state from `onResumeState` names the layout its parts were sent with.
      transfer: options.transfer ?? (options.resume?.partSize === undefined ? undefined : "M"),
      partSize: options.partSize ?? options.resume?.partSize,
      offered: repo.transfers,
    });
    if (options.resume && !src.retryable) {
      throw new NRPError("A one-shot stream cannot resume an upload: pass a path or bytes.", {
        code: ErrorCodes.SourceNotRetryable,
      });
    }
    const upload = new Upload<NRPFile>({
      host,
      key,
      metadata,
      source: byteSource(src),
      plan,
      options,
    });
    return upload.done();
  }
}

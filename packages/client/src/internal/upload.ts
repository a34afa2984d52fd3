// One upload of one file, from plan to verified commit, in the shape of aws lib-storage's `Upload`:
// a plan (single request or parts), a lazy part queue drained by N workers, throttled progress,
// abort, and resume state (parts a journal says are acknowledged). Where the bytes come from and
// how they are hashed is the `ByteSource`'s business (byte-source.ts for Node paths, bytes, blobs
// and streams), so nothing here touches the file system.

import { createHash } from "node:crypto";
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
import type { Json } from "../core/json.js";
import {
  ADAPTIVE_UPLOAD_MAX_CONCURRENCY,
  DEFAULT_UPLOAD_CONCURRENCY,
  partBytes,
} from "../core/transfers.js";
import type { PartPlan, UploadOptions, UploadPlan } from "../core/transfers.js";
import type { HttpClient } from "./http.js";
import { isObject } from "./json.js";
import { ConcurrencyTuner } from "./adapt.js";
import { runPool } from "./pool.js";
import type { DynamicConcurrency } from "./pool.js";
import { isRetryableError, isRetryableStatus } from "./retry.js";
import {
  contentMd5,
  CountingTap,
  HashingTap,
  md5OfChecksum,
  ProgressTracker,
  through,
} from "./transfer.js";

/** Largest single-request upload hashed before sending so that it can carry `Content-MD5`. */
const CONTENT_MD5_MAX_SIZE = 16 * 1024 * 1024;

/**
 * Largest single-request upload read into memory once: the same bytes are hashed and sent, so a
 * small file costs one read instead of two (the md5 pass and the request body).
 */
export const IN_MEMORY_MAX_SIZE = 1024 * 1024;

/** Reads `[0, size)` of a source into one buffer. */
async function readAll(chunks: AsyncIterable<Uint8Array>, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let at = 0;
  for await (const chunk of chunks) {
    if (at + chunk.length > size) throw new NRPError("The source grew while it was being read.");
    out.set(chunk, at);
    at += chunk.length;
  }
  if (at !== size) throw new NRPError("The source shrank while it was being read.");
  return out;
}

/**
 * An md5 that follows the transfer: bytes `[0, end)` are hashed as `end` moves forward, reading
 * them again from where they rest (a file on disk, still in the page cache).
 */
export interface TrailingHasher {
  /** The bytes up to `end` have been sent and will not change. */
  extend(end: number): void;
  /** The hex md5 of `[0, end)` once all of it is hashed. */
  digest(signal?: AbortSignal): Promise<string>;
  /** Stops hashing and releases what the hasher holds; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * The bytes of one upload and how to hash them: an {@link UploadSource}'s ranges plus the md5
 * strategy that suits where they live (reading a file back, or the stream itself).
 */
export interface ByteSource {
  /** Total size in bytes; `undefined` for a stream of unknown length. */
  readonly size: number | undefined;
  /** Whether a range may be opened again (false for one-shot streams). */
  readonly retryable: boolean;
  /** A new stream of bytes `[start, end)`. */
  open(start?: number, end?: number): AsyncIterable<Uint8Array>;
  /** The md5 (hex) of all the bytes, read once more from the start. */
  md5(signal: AbortSignal | undefined): Promise<string>;
  /**
   * A hasher that reads the bytes again right behind the transfer, when that is cheaper than
   * hashing them as they stream by; `undefined` means hash the stream.
   */
  trailingHasher(): Promise<TrailingHasher | undefined>;
}

/** A file entry as the upload sees it; `NRPFile` is one. */
export interface UploadedFile {
  readonly key: string;
  readonly data: Json;
  readonly status: string | undefined;
  readonly size: number | undefined;
  readonly checksum: string | undefined;
  readonly links: Readonly<Record<string, string>>;
  readonly transfer: { type: string; parts?: number; part_size?: number };
  /** Replaces the entry's JSON with a newer answer of the server. */
  _update(data: Json): void;
}

/** What an upload needs from the file list it adds to. */
export interface UploadHost<F extends UploadedFile> {
  readonly http: HttpClient;
  /** The list's URL, where a new file is initialised. */
  readonly listUrl: string;
  /** Reloads the list and returns the file with `key`, if any. */
  current(key: string, signal: AbortSignal | undefined): Promise<F | undefined>;
  /** Wraps `entry` as a file and puts it in the list (in place of one with the same key). */
  track(entry: Json): F;
  /** Drops the file with `key` from the list. */
  remove(key: string): void;
}

/** Everything {@link Upload} needs. */
export interface UploadParams<F extends UploadedFile> {
  host: UploadHost<F>;
  key: string;
  metadata: Json;
  source: ByteSource;
  plan: UploadPlan;
  options: UploadOptions;
  /** The file's entry when a batched init already created it (the init request is skipped). */
  entry?: Json | undefined;
}

/** The byte range of part `part` (1-based) of `plan`. */
export function partRange(plan: PartPlan, part: number): UploadPart {
  const start = (part - 1) * plan.partSize;
  return { part, start, end: Math.min(plan.size, start + plan.partSize) };
}

/** Every part of `plan` not in `skip`, in order (lazily: 10 000 parts cost nothing up front). */
export function* partsToSend(plan: PartPlan, skip: ReadonlySet<number>): Generator<UploadPart> {
  for (let part = 1; part <= plan.parts; part++) {
    if (!skip.has(part)) yield partRange(plan, part);
  }
}

/**
 * The progress of one request body: counted as its stream is read, or, where the transport
 * reports the bytes that really left (`reportsUploadProgress`, browsers), from those reports.
 */
function bodyProgress(
  tracker: ProgressTracker,
  part: number,
  reported: boolean,
): {
  restart: () => void;
  read: (n: number) => void;
  sent: ((bytes: number) => void) | undefined;
} {
  let sent = 0;
  return {
    restart: () => {
      tracker.restart(part);
      sent = 0;
    },
    read: (n) => {
      if (!reported) tracker.add(part, n);
    },
    sent: reported
      ? (bytes) => {
          if (bytes <= sent) return;
          tracker.add(part, bytes - sent);
          sent = bytes;
        }
      : undefined,
  };
}

/** Options of {@link runParts}. */
export interface RunPartsOptions {
  key: string;
  parts: Iterable<UploadPart>;
  /** Parts in flight: a number, or one that follows a tuner. */
  concurrency: number | DynamicConcurrency;
  /** Sends one part; must honour `signal`. Retries of one part belong inside it. */
  send: (part: UploadPart, signal: AbortSignal) => Promise<void>;
  /** Called after the server acknowledged a part; a throw stops the upload like a failed part. */
  onPartDone?: ((part: UploadPart) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Parts acknowledged before this run (resume); they are reported in `completedParts`. */
  alreadyDone?: readonly number[] | undefined;
}

/**
 * The part queue: sends every part with at most `concurrency` in flight (N workers over one lazy
 * part generator) and returns the acknowledged part numbers. Sending one part (and retrying it) is
 * the caller's `send`, so this runs against fakes in tests.
 *
 * @throws {@link UploadError} on the first part that fails for good (its error is the `cause`;
 * parts cut short by that failure are not counted as failed).
 * @throws {@link APIUserAbortError} when the caller's signal aborts.
 */
export async function runParts(options: RunPartsOptions): Promise<number[]> {
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const done: number[] = [...(options.alreadyDone ?? [])];
  const failed: number[] = [];
  const errors: unknown[] = [];
  await runPool(
    options.parts,
    async (part) => {
      try {
        await options.send(part, signal);
        done.push(part.part);
        options.onPartDone?.(part);
      } catch (error) {
        // Errors of siblings cut short by the first failure (or by the caller) are echoes.
        if (!stop.signal.aborted && !options.signal?.aborted) {
          failed.push(part.part);
          errors.push(error);
          stop.abort(error);
        } else if (!(error instanceof APIUserAbortError) && !isAbortEcho(error)) {
          failed.push(part.part);
          errors.push(error);
        }
      }
    },
    { concurrency: options.concurrency, signal },
  );
  if (options.signal?.aborted && errors.length === 0) {
    throw new APIUserAbortError(
      `The upload of ${options.key} was aborted (${done.length} part(s) acknowledged).`,
      { cause: options.signal.reason },
    );
  }
  if (errors.length > 0) {
    const first = errors[0];
    const message = first instanceof Error ? first.message : String(first);
    throw new UploadError(
      `Uploading ${options.key} failed at part ${failed[0] ?? "?"} after ${done.length} part(s) were acknowledged: ${message}`,
      { key: options.key, completedParts: done, failedParts: failed, errors, cause: first },
    );
  }
  return done.sort((a, b) => a - b);
}

function isAbortEcho(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === "AbortError" ||
      (error instanceof NRPError && error.code === ErrorCodes.Aborted))
  );
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

/**
 * One upload: initialise the file, send the content (one request, or parts through N workers),
 * commit, and compare the committed checksum with the md5 of the source.
 *
 * `done()` runs it once and returns the committed file; `abort()` stops every request (as the
 * caller's signal does). Unless `keepPendingOnFailure` is set, a failed or aborted upload deletes
 * its pending file.
 */
export class Upload<F extends UploadedFile> {
  readonly #host: UploadHost<F>;
  readonly #key: string;
  readonly #metadata: Json;
  readonly #src: ByteSource;
  readonly #plan: PartPlan | undefined;
  readonly #options: UploadOptions;
  readonly #entry: Json | undefined;
  readonly #abort = new AbortController();
  #running: Promise<F> | undefined;

  /** Prepares the upload; nothing is sent before {@link Upload.done}. */
  constructor(params: UploadParams<F>) {
    this.#host = params.host;
    this.#key = params.key;
    this.#metadata = params.metadata;
    this.#src = params.source;
    this.#entry = params.entry;
    this.#plan = params.plan.transfer === "M" ? params.plan : undefined;
    const signal = params.options.signal;
    this.#options = {
      ...params.options,
      signal: signal ? AbortSignal.any([signal, this.#abort.signal]) : this.#abort.signal,
    };
  }

  /** Stops the upload; `done()` then rejects with {@link APIUserAbortError} (or the part's error). */
  abort(reason?: unknown): void {
    this.#abort.abort(reason);
  }

  /** Runs the upload (once, however often it is called) and returns the committed file. */
  done(): Promise<F> {
    this.#running ??= this.#run();
    return this.#running;
  }

  async #run(): Promise<F> {
    const key = this.#key;
    const plan = this.#plan;
    const options = this.#options;
    const resume = options.resume;
    let file: F | undefined;
    let skip = new Set<number>();
    if (resume && plan) {
      const found = await this.#resumable(plan);
      if (found?.status === "completed") {
        await this.#verifyExisting(found);
        return this.#host.track(found.data);
      }
      if (found) {
        file = this.#host.track(found.data);
        skip = new Set(resume.completedParts.filter((p) => p >= 1 && p <= plan.parts));
      }
    }
    file ??= this.#host.track(this.#entry ?? (await this.#init()));
    if (plan) this.#reportState(plan, skip);

    let md5: Promise<string> | undefined;
    try {
      md5 = plan
        ? (await this.#sendParts(file, plan, skip)).md5
        : Promise.resolve(await this.#sendContent(file));
      // The commit goes out while the md5 of the last parts is still being read back: the
      // server's assembly and the client's hashing overlap. A mismatch found afterwards deletes
      // the committed file, as one reported by the server's checksum does.
      file._update(await this.#commit(file));
      await this.#verify(file, await md5);
      return file;
    } catch (error) {
      // The hasher is done (and its file closed) before the upload reports its failure.
      await md5?.catch(() => undefined);
      if (error instanceof ChecksumMismatchError) throw error;
      const keep = options.keepPendingOnFailure === true && plan !== undefined;
      if (!keep) await this.#discard(file);
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

  /** The pending M file a resume can continue, or the completed file; undefined → start over. */
  async #resumable(plan: PartPlan): Promise<F | undefined> {
    const signal = this.#options.signal;
    const existing = await this.#host.current(this.#key, signal);
    if (!existing) return undefined;
    const t = existing.transfer;
    // A committed file is never deleted here: the caller checks it against the source.
    if (existing.status === "completed") return existing;
    if (
      existing.status === "pending" &&
      t.type === "M" &&
      existing.size === plan.size &&
      t.part_size === plan.partSize &&
      t.parts === plan.parts
    ) {
      return existing;
    }
    // A pending upload with another layout: the journal is stale, start over.
    const self = existing.links.self;
    if (!self) {
      throw new NRPError(`File ${existing.key} has no links.self.`, {
        code: ErrorCodes.MissingLink,
      });
    }
    await this.#host.http.delete(self, { signal });
    this.#host.remove(existing.key);
    return undefined;
  }

  async #verifyExisting(file: F): Promise<void> {
    const expected = md5OfChecksum(file.checksum);
    if (expected === undefined) return;
    const actual = await this.#src.md5(this.#options.signal);
    if (actual !== expected) {
      throw new ChecksumMismatchError(
        `${file.key} is already committed with other content (md5:${expected}); the local file has md5:${actual}. Delete it or use replace().`,
        { key: file.key, expected: `md5:${expected}`, actual: `md5:${actual}` },
      );
    }
  }

  /** `POST` to the list: the new file's entry, pending until committed. */
  async #init(): Promise<Json> {
    const key = this.#key;
    const plan = this.#plan;
    const item: Json = {
      key,
      metadata: this.#metadata,
      transfer: plan ? { type: "M", parts: plan.parts, part_size: plan.partSize } : { type: "L" },
    };
    if (this.#src.size !== undefined) item.size = this.#src.size;
    const res = await this.#host.http.postJSON(this.#host.listUrl, [item], {
      signal: this.#options.signal,
    });
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
  async #sendContent(file: F): Promise<string> {
    const src = this.#src;
    const options = this.#options;
    const tracker = new ProgressTracker({
      onProgress: options.onProgress,
      onBytes: options.onBytes,
      totalBytes: src.size,
    });
    const url = file.links.content;
    if (!url) {
      throw new NRPError(`File ${file.key} has no links.content to upload to.`, {
        code: ErrorCodes.MissingLink,
      });
    }
    const headers: Record<string, string> = { "content-type": "application/octet-stream" };
    if (src.size !== undefined) headers["content-length"] = String(src.size);
    if (src.retryable && src.size !== undefined && src.size <= IN_MEMORY_MAX_SIZE) {
      // Read once: these bytes are hashed for Content-MD5 and are the body of every attempt.
      const bytes = await readAll(src.open(0, src.size), src.size);
      const digest = createHash("md5").update(bytes).digest("hex");
      headers["content-md5"] = contentMd5(digest);
      const sending = bodyProgress(tracker, 0, this.#host.http.reportsUploadProgress);
      await this.#host.http.json({
        method: "PUT",
        url,
        headers,
        body: bytes,
        signal: options.signal,
        onUploadProgress: sending.sent,
      });
      sending.read(bytes.length);
      tracker.finish();
      return digest;
    }
    let md5: string | undefined;
    if (src.retryable && src.size !== undefined && src.size <= CONTENT_MD5_MAX_SIZE) {
      // A small source is hashed first so the digest can go in a header: the server then refuses
      // bytes damaged on the way instead of storing them. A large one is hashed while it is sent
      // (a second read of gigabytes would halve the throughput); the committed checksum is
      // compared with that digest afterwards, which catches the same damage one step later.
      const digest = await src.md5(options.signal);
      headers["content-md5"] = contentMd5(digest);
      md5 = digest;
    }
    // The bytes are hashed as they stream through (each attempt from the start): reading a file
    // back behind the request, in a worker thread, cost more CPU and ~12 MiB more peak RSS for
    // no gain in wall time (256 MiB over HTTPS on two cores shared with the server).
    let hash = createHash("md5");
    const progress = bodyProgress(tracker, 0, this.#host.http.reportsUploadProgress);
    const body = (): AsyncIterable<Uint8Array> => {
      progress.restart();
      hash = createHash("md5");
      return through(src.open(0, src.size), new HashingTap(hash, progress.read));
    };
    try {
      await this.#host.http.json({
        method: "PUT",
        url,
        headers,
        // A retryable source is re-opened (and re-hashed) for every attempt; a one-shot stream
        // is sent once.
        body: src.retryable ? body : body(),
        signal: options.signal,
        onUploadProgress: progress.sent,
      });
    } catch (error) {
      throw src.retryable ? error : oneShotFailure(error, file.key);
    }
    md5 ??= hash.digest("hex");
    tracker.finish();
    return md5;
  }

  /**
   * M: parts through N workers, the whole-file md5 computed alongside. Resolves once every part
   * is acknowledged, with the md5 still to come (the caller commits meanwhile and must await it).
   */
  async #sendParts(
    file: F,
    plan: PartPlan,
    skip: ReadonlySet<number>,
  ): Promise<{ md5: Promise<string> }> {
    const src = this.#src;
    const options = this.#options;
    const http = this.#host.http;
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
      onBytes: options.onBytes,
      totalBytes: plan.size,
      partsTotal: plan.parts,
      initialBytes: partBytes(plan, skipped),
      initialParts: skipped.length,
    });
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const oneShotHash = src.retryable ? undefined : createHash("md5");
    // A file on disk is read back and hashed right behind the acknowledged parts (from the start
    // of the file, as far as the parts are contiguous), while the bytes are still in the page
    // cache. Other re-openable sources are hashed in one sequential pass alongside the parts.
    let trailing = src.retryable ? await src.trailingHasher() : undefined;
    const acknowledged = new Set(skipped);
    let contiguous = 0;
    const advance = (): void => {
      while (acknowledged.has(contiguous + 1)) contiguous++;
      trailing?.extend(Math.min(plan.size, contiguous * plan.partSize));
    };
    advance();
    const hashing = src.retryable && !trailing ? src.md5(signal) : undefined;
    hashing?.catch(() => undefined);
    // Without a concurrency from the caller, parts in flight follow the measured throughput:
    // 4 at first, more (up to 16) while more send faster and the event loop has room.
    const tuner =
      src.retryable && options.concurrency === undefined
        ? new ConcurrencyTuner({
            initial: DEFAULT_UPLOAD_CONCURRENCY,
            max: ADAPTIVE_UPLOAD_MAX_CONCURRENCY,
          })
        : undefined;
    try {
      await runParts({
        key: file.key,
        parts: partsToSend(plan, skip),
        concurrency: src.retryable
          ? (tuner ?? options.concurrency ?? DEFAULT_UPLOAD_CONCURRENCY)
          : 1,
        signal: options.signal,
        alreadyDone: skipped,
        onPartDone: (part) => {
          tracker.partDone(part.part);
          acknowledged.add(part.part);
          advance();
          options.onPartDone?.({ ...part, partSize: plan.partSize });
          this.#reportState(plan, acknowledged);
        },
        send: async (part, partSignal) => {
          const length = part.end - part.start;
          const progress = bodyProgress(tracker, part.part, http.reportsUploadProgress);
          const count = (n: number): void => {
            progress.read(n);
            tuner?.add(n);
          };
          const request = http.json({
            method: "PUT",
            url: urlOf(part.part),
            headers: {
              "content-type": "application/octet-stream",
              "content-length": String(length),
            },
            body: oneShotHash
              ? through(src.open(part.start, part.end), new HashingTap(oneShotHash, count))
              : () => {
                  progress.restart();
                  return through(src.open(part.start, part.end), new CountingTap(count));
                },
            signal: partSignal,
            onUploadProgress: progress.sent,
          });
          try {
            await request;
          } catch (error) {
            throw oneShotHash ? oneShotFailure(error, file.key) : error;
          }
        },
      });
      tracker.finish();
      let md5: Promise<string>;
      if (oneShotHash) {
        md5 = Promise.resolve(oneShotHash.digest("hex"));
      } else if (trailing) {
        trailing.extend(plan.size);
        // The hasher now belongs to the digest, which closes it when done.
        const hasher = trailing;
        trailing = undefined;
        md5 = hasher.digest(signal).finally(() => hasher.close());
      } else {
        md5 = hashing ?? Promise.resolve("");
      }
      // Awaited by the caller after the commit; a failure before that is not unhandled.
      md5.catch(() => undefined);
      return { md5 };
    } catch (error) {
      stop.abort(error);
      throw error;
    } finally {
      await trailing?.close();
    }
  }

  /** Hands the caller a JSON-ready snapshot of the acknowledged parts (`onResumeState`). */
  #reportState(plan: PartPlan, acknowledged: ReadonlySet<number>): void {
    this.#options.onResumeState?.({
      completedParts: [...acknowledged].sort((a, b) => a - b),
      size: plan.size,
      partSize: plan.partSize,
    });
  }

  /** `POST links.commit`; a retried commit that finds the file already committed is success. */
  async #commit(file: F): Promise<Json> {
    const http = this.#host.http;
    const signal = this.#options.signal;
    const url = file.links.commit;
    if (!url) return file.data;
    try {
      const res = await http.postJSON(url, {}, { signal, retrySafe: true });
      return isObject(res.body) ? res.body : file.data;
    } catch (error) {
      // The first attempt may have committed before its answer was lost.
      if (error instanceof BadRequestError && file.links.self) {
        const current = await http.getJSON(file.links.self, { signal });
        if (isObject(current.body) && current.body.status === "completed") return current.body;
      }
      throw error;
    }
  }

  async #verify(file: F, md5: string): Promise<void> {
    let expected = md5OfChecksum(file.checksum);
    if (expected === undefined && file.links.self) {
      // Multipart commits may publish the checksum a moment later
      // (docs/protocol/files.md#file-entry).
      const res = await this.#host.http.getJSON(file.links.self, { signal: this.#options.signal });
      if (isObject(res.body)) file._update(res.body);
      expected = md5OfChecksum(file.checksum);
    }
    if (expected === undefined || expected === md5) return;
    await this.#discard(file);
    throw new ChecksumMismatchError(
      `The repository stored ${file.key} with md5:${expected}, but the uploaded source has md5:${md5}; the file was deleted. Upload it again.`,
      { key: file.key, expected: `md5:${expected}`, actual: `md5:${md5}` },
    );
  }

  /** Deletes a file after a failed upload; best effort, and never under the aborted signal. */
  async #discard(file: F): Promise<void> {
    const self = file.links.self;
    this.#host.remove(file.key);
    if (!self) return;
    try {
      await this.#host.http.delete(self, { signal: AbortSignal.timeout(30_000) });
    } catch {
      // The upload's own error is what the caller needs to see.
    }
  }
}

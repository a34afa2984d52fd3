// Verified, resumable downloads (STYLE.md "Transfers"): bytes go to `.<name>.nrp-part` beside the
// target with the validator of what they are a prefix of in `.<name>.nrp-part.json`; a re-run
// continues with Range + If-Range where the server supports ranges (and starts over where it
// does not), the md5 is checked, and only then is the target replaced.

import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Readable } from "node:stream";
import {
  APIUserAbortError,
  ChecksumMismatchError,
  ErrorCodes,
  NRPError,
  ResponseTooLargeError,
} from "../core/errors.js";
import { openPrefixHasher, StreamHasher } from "./hasher.js";
import type { PrefixHasher } from "./hasher.js";
import type { HttpClient, ResponseHeaders, StreamingResponse } from "./http.js";
import { ConcurrencyTuner } from "./adapt.js";
import type { ResponseBody } from "./transport.js";
import { runPool } from "./pool.js";
import { advertisesRanges, header, isBodyError, parseContentRange, strongEtag } from "./ranges.js";
import { md5OfChecksum, ProgressTracker } from "./transfer.js";
import type { DownloadFileOptions } from "../core/transfers.js";

/** What a download needs to know about the file. */
export interface DownloadTarget {
  key: string;
  url: string;
  size: number | undefined;
  checksum: string | undefined;
}

/** Parallel ranges are used only from this size on: below it one stream is as fast. */
export const PARALLEL_DOWNLOAD_MIN_SIZE = 64 * 1024 * 1024;
const DEFAULT_RANGE_SIZE = 16 * 1024 * 1024;
/** The smallest range an adaptive download asks for: one round trip per range stays cheap. */
const MIN_ADAPTIVE_RANGE_SIZE = 4 * 1024 * 1024;
/**
 * Range requests in flight at most when the caller did not choose: through a 40 ms, 200 Mbit/s
 * link 4, 8 and 16 ranges were within a few percent of each other on 2 busy cores
 * (bench/RESULTS.md), so more would only cost memory and server connections.
 */
export const ADAPTIVE_DOWNLOAD_MAX_CONCURRENCY = 16;
/**
 * Range requests in flight at the start of an adaptive download. Starting with one cost a far
 * 256 MiB download about a second (the tuner's first windows at 25 MB/s), while 4 ranges were as
 * fast as one stream or faster on loopback (bench/RESULTS.md).
 */
export const ADAPTIVE_DOWNLOAD_INITIAL_CONCURRENCY = 4;
/**
 * An adaptive download whose one-byte probe came back sooner than this goes as one stream. A
 * link this close is filled by one connection, and one stream hashes the bytes as it writes them,
 * where ranges read them back: on loopback (1 GiB over HTTPS, bench/RESULTS.md) adaptive ranges
 * cost ~40 % more CPU and time than one stream. Through the 40 ms bench link ranges win.
 */
export const ADAPTIVE_DOWNLOAD_NEAR_PROBE_MS = 10;
/**
 * A probe slower than {@link ADAPTIVE_DOWNLOAD_NEAR_PROBE_MS} but faster than this is asked again,
 * up to {@link ADAPTIVE_DOWNLOAD_NEAR_PROBES} probes in all, and any one within the near limit
 * makes the server near. One late answer (the server's garbage collection, a busy machine) sent
 * 2 of 5 near 256 MiB downloads on loaded cores by ranges, at ~40 % more CPU; three late ones in a
 * row are rarer. A link of this round trip or more (the 40 ms bench link) is far at once, so
 * only links between the two limits pay the extra round trips.
 */
export const ADAPTIVE_DOWNLOAD_FAR_PROBE_MS = 40;
/** The most one-byte probes an adaptive download sends to tell a near server (see above). */
export const ADAPTIVE_DOWNLOAD_NEAR_PROBES = 3;

/**
 * The range size of an adaptive download of `size` bytes: at most 16 MiB, and small enough that
 * twice the most ranges in flight find work, so the tuner's extra connections have ranges to
 * take; at least 4 MiB.
 */
export function adaptiveRangeSize(size: number): number {
  const mib = 1024 * 1024;
  const wanted = Math.ceil(size / (2 * ADAPTIVE_DOWNLOAD_MAX_CONCURRENCY) / mib) * mib;
  return Math.min(DEFAULT_RANGE_SIZE, Math.max(MIN_ADAPTIVE_RANGE_SIZE, wanted));
}

interface PartState {
  /** The content URL the bytes came from. */
  url: string;
  /** Strong validator (ETag) of the content the bytes belong to. */
  etag: string | undefined;
  checksum: string | undefined;
  size: number | undefined;
  /** Whether the server advertised `Accept-Ranges: bytes` with the content. */
  acceptRanges?: boolean;
  /** Parallel download only: range size and the ranges already written. */
  rangeSize?: number;
  ranges?: number[];
}

/**
 * Origins whose content answered a range request with 206, per client: a server that has shown
 * range support in this client's lifetime is asked for ranges even where it does not advertise
 * them. InvenioRDM 13 advertises nothing and ignores `Range`, so it is never asked.
 */
const rangeOrigins = new WeakMap<HttpClient, Set<string>>();

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function hasShownRanges(http: HttpClient, url: string): boolean {
  return rangeOrigins.get(http)?.has(originOf(url)) ?? false;
}

function noteRanges(http: HttpClient, url: string): void {
  let origins = rangeOrigins.get(http);
  if (origins === undefined) rangeOrigins.set(http, (origins = new Set()));
  origins.add(originOf(url));
}

/** The temporary and state file paths for `target`. */
export function tempPaths(target: string): { temp: string; state: string } {
  const temp = join(dirname(target), `.${basename(target)}.nrp-part`);
  return { temp, state: `${temp}.json` };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readState(path: string): Promise<PartState | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as PartState;
  } catch {
    return undefined;
  }
}

/** Hashing nothing: a download that will not be verified skips the md5 altogether. */
const NO_HASH: PrefixHasher = {
  extend: () => undefined,
  reset: () => undefined,
  digest: () => Promise.resolve(""),
  close: () => Promise.resolve(),
};

/** Opens the temporary file (kept when resuming, else truncated) and, when verifying, its md5 hasher. */
async function openTemp(
  temp: string,
  keep: boolean,
  hash: boolean,
  size: number | undefined,
): Promise<{ handle: FileHandle; hasher: PrefixHasher }> {
  const handle = await open(temp, keep ? "r+" : "w");
  try {
    return { handle, hasher: hash ? await openPrefixHasher(temp, size) : NO_HASH };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The md5 of the finished temporary file; an abort while it is computed is reported as the abort. */
async function digest(
  hasher: PrefixHasher,
  signal: AbortSignal | undefined,
  key: string,
): Promise<string> {
  try {
    return await hasher.digest(signal);
  } catch (error) {
    if (signal?.aborted) throw abortError(signal, key);
    throw error;
  }
}

/** Stops the hasher, waits for the background flushes, and closes the temporary file. */
async function closeTemp(
  hasher: PrefixHasher,
  flusher: WriteBehind,
  handle: FileHandle,
): Promise<void> {
  await hasher.close();
  await flusher.settled();
  await handle.close();
}

/**
 * The error for a body that goes past the size the file entry or the response announced.
 *
 * A hostile or broken server could otherwise fill the disk; nothing past `limit` is written.
 */
function tooLong(file: DownloadTarget, limit: number): ResponseTooLargeError {
  return new ResponseTooLargeError(
    `The server sent more than the ${limit} bytes announced for ${file.key}; the download was stopped and the partial file removed.`,
    { method: "GET", url: file.url, limit, code: ErrorCodes.DownloadTooLarge },
  );
}

/** The byte count a response's `Content-Length` announces, when it is a sane one. */
function contentLength(headers: ResponseHeaders): number | undefined {
  const value = header(headers, "content-length");
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

function abortError(signal: AbortSignal | undefined, key: string): APIUserAbortError {
  return new APIUserAbortError(
    `The download of ${key} was aborted; run it again to continue from where it stopped.`,
    { cause: signal?.reason },
  );
}

/**
 * Downloads `file` to `target` through a temporary file, resuming an earlier attempt when its
 * state says the content is still the same, and verifying the md5 before the rename.
 */
export async function downloadFile(
  http: HttpClient,
  file: DownloadTarget,
  target: string,
  options: DownloadFileOptions = {},
): Promise<void> {
  const { temp, state: statePath } = tempPaths(target);
  if (!options.overwrite && (await exists(target))) {
    throw new NRPError(`${target} already exists; pass overwrite: true to replace it.`, {
      code: ErrorCodes.FileExists,
    });
  }
  await mkdir(dirname(target), { recursive: true });
  let state = await readState(statePath);
  const tempSize = (await exists(temp)) ? (await stat(temp)).size : undefined;
  const sameContent =
    state !== undefined &&
    tempSize !== undefined &&
    state.url === file.url &&
    state.checksum === file.checksum &&
    (file.size === undefined || state.size === file.size);
  if (!sameContent) {
    await rm(temp, { force: true });
    await rm(statePath, { force: true });
    state = undefined;
  }
  // Without a concurrency from the caller, a large file goes by ranges whose number in flight
  // follows the measured throughput (see ConcurrencyTuner).
  const adaptive = options.concurrency === undefined;
  const concurrency = adaptive
    ? ADAPTIVE_DOWNLOAD_MAX_CONCURRENCY
    : Math.max(1, Math.floor(options.concurrency ?? 1));
  // A partial file written by ranges is preallocated to its full size, so only ranges can resume
  // it (with whatever concurrency is asked for now).
  const parallel =
    file.size !== undefined &&
    file.size >= PARALLEL_DOWNLOAD_MIN_SIZE &&
    (state === undefined ? adaptive || concurrency > 1 : state.ranges !== undefined);
  const expected = (options.verify ?? true) ? md5OfChecksum(file.checksum) : undefined;
  let actual: string;
  try {
    actual = await transfer(http, file, temp, statePath, state, parallel, expected, {
      ...options,
      concurrency,
      adaptive,
    });
  } catch (error) {
    // Bytes past the announced size mean the content is not what the file entry describes:
    // nothing of it is kept to resume from.
    if (error instanceof ResponseTooLargeError) {
      await rm(temp, { force: true });
      await rm(statePath, { force: true });
    }
    throw error;
  }
  if (expected !== undefined && expected !== actual) {
    await rm(temp, { force: true });
    await rm(statePath, { force: true });
    throw new ChecksumMismatchError(
      `The downloaded content of ${file.key} does not match its checksum (expected md5:${expected}, got md5:${actual}); the target was not touched and the partial file was removed.`,
      { key: file.key, expected: `md5:${expected}`, actual: `md5:${actual}` },
    );
  }
  await rename(temp, target);
  await rm(statePath, { force: true });
}

/** Moves the bytes into `temp`, by ranges or as one stream, and returns their md5. */
async function transfer(
  http: HttpClient,
  file: DownloadTarget,
  temp: string,
  statePath: string,
  initialState: PartState | undefined,
  parallel: boolean,
  expected: string | undefined,
  options: DownloadFileOptions & { concurrency: number; adaptive: boolean },
): Promise<string> {
  const ranged =
    parallel && file.size !== undefined
      ? await downloadRanges(http, { ...file, size: file.size }, temp, statePath, initialState, {
          ...options,
          hash: expected !== undefined,
        })
      : false;
  if (typeof ranged === "string") return ranged;
  let state = initialState;
  if (parallel) {
    // The server answered without ranges, the content changed, or the server is near enough
    // for one stream: (start over as) one stream.
    await rm(temp, { force: true });
    await rm(statePath, { force: true });
    state = undefined;
  }
  return await downloadStream(http, file, temp, statePath, state, {
    ...options,
    hash: expected !== undefined,
    // A server that ignored the probe's range sent the whole content: that is the stream.
    first: ranged === false ? undefined : ranged.whole,
  });
}

async function writeAll(handle: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < chunk.byteLength) {
    const { bytesWritten } = await handle.write(
      chunk,
      written,
      chunk.byteLength - written,
      position + written,
    );
    written += bytesWritten;
  }
}

/**
 * Bytes allowed to wait for the disk before the response is paused: room for a batch being
 * written and the next one gathering. 8 MiB brought no speed over 4 MiB and cost ~8 MiB of peak
 * RSS on 1 GiB downloads; 2 MiB took another 3-10 MiB off (69-70 MiB for 1 GiB) for no more
 * CPU, now that the batches are copies (bench/RESULTS.md, "Memory").
 */
const MAX_QUEUED_BYTES = 2 * 1024 * 1024;
/** A response body as the Node `Readable` it is wherever files are written (Node, Deno, Bun). */
function nodeBody(body: ResponseBody): Readable {
  return body as unknown as Readable;
}

/**
 * Bytes gathered before a write starts (the rest goes when the body ends or breaks): a write per
 * 64 KiB socket read cost the event loop about 1 s per GiB in call overhead alone.
 */
const MIN_BATCH_BYTES = 1024 * 1024;

/**
 * The smallest batch of a range: with 16 ranges in flight, 16 batches of 64 KiB fill at once.
 * 256 and 128 KiB peaked at 86-88 MiB of RSS on a far 256 MiB download, 64 KiB at 75-76 for the
 * same CPU, 32 KiB no lower for ~5 % more CPU (bench/RESULTS.md, "Memory").
 */
const MIN_RANGE_BATCH_BYTES = 64 * 1024;

/**
 * The buffers a download gathers its bytes in, reused from batch to batch.
 *
 * Why: every 16 KiB TLS record arrives in a buffer of its own, freed only when a collection finds
 * it dead. Kept in a queue until its batch was written, a record often outlived a young-generation
 * collection and was promoted, to be freed only by a full one: tens of MiB of written records
 * waited for it (16 parallel ranges peaked at 155 MiB of RSS). Copied into one of these at once,
 * each record dies young, and the batches cost no allocation after the first few.
 */
export class BatchBuffers {
  /** Bytes in each buffer: the write size. */
  readonly size: number;
  readonly #free: Buffer[] = [];

  constructor(size: number = MIN_BATCH_BYTES) {
    this.size = size;
  }

  /** A buffer to fill: a free one, or a new one. */
  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Gives back a buffer whose bytes are written. */
  give(buffer: Buffer): void {
    this.#free.push(buffer);
  }
}

/**
 * Feeds the bytes of `body` to `write` in order, copied into batches of `buffers.size` bytes (one
 * write instead of one per TLS record) except for the last, each batch's buffer reused once its
 * write resolved (so `write` must not keep the chunks it is given). The body flows rather than
 * being iterated, so the bytes that arrived before a connection broke reach the disk instead of
 * dying in the stream's buffer; the bytes not yet written are bounded by pausing the body.
 */
export function drain(
  body: Readable,
  write: (chunks: Buffer[]) => Promise<void>,
  maxQueued: number = MAX_QUEUED_BYTES,
  buffers: BatchBuffers = new BatchBuffers(),
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (body.destroyed) {
      reject(body.errored ?? new Error("The response body was closed before it was read."));
      return;
    }
    /** Full batches not yet handed to `write`. */
    let full: Buffer[] = [];
    /** The batch being filled and the bytes in it. */
    let current: Buffer | undefined;
    let filled = 0;
    /** Bytes received and not yet written (the backpressure measure). */
    let queued = 0;
    let writer: Promise<void> | undefined;
    let failed = false;
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      body.destroy();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const flush = async (all: boolean): Promise<void> => {
      while (!failed && (full.length > 0 || (all && filled > 0))) {
        const batch = full;
        full = [];
        let chunks = batch;
        if (all && current !== undefined && filled > 0) {
          batch.push(current);
          chunks = batch.slice(0, -1);
          chunks.push(current.subarray(0, filled));
          current = undefined;
          filled = 0;
        }
        await write(chunks);
        for (const chunk of chunks) queued -= chunk.length;
        for (const buffer of batch) buffers.give(buffer);
        if (queued < maxQueued / 2 && body.isPaused() && !body.destroyed) body.resume();
      }
    };
    const settled = (): Promise<void> => writer ?? Promise.resolve();
    // The end, a close and an error may all arrive: they share one final flush, so that none of
    // them settles the promise while another's write of the last bytes is still running.
    let last: Promise<void> | undefined;
    const flushAll = (): Promise<void> => (last ??= flush(true));
    body.on("data", (chunk: Buffer) => {
      if (failed) return;
      for (let at = 0; at < chunk.length;) {
        current ??= buffers.take();
        const n = chunk.copy(current, filled, at);
        at += n;
        filled += n;
        if (filled === current.length) {
          full.push(current);
          current = undefined;
          filled = 0;
        }
      }
      queued += chunk.length;
      if (queued > maxQueued) body.pause();
      if (writer !== undefined || full.length === 0) return;
      writer = flush(false).finally(() => {
        writer = undefined;
      });
      writer.catch(fail);
    });
    let ended = false;
    body.once("end", () => {
      ended = true;
      // A chunk may have been queued after the running flush checked the queue.
      void settled().then(flushAll).then(resolve, fail);
    });
    body.once("close", () => {
      if (ended) return;
      void settled()
        .then(flushAll)
        .then(() => {
          fail(
            Object.assign(new Error("The connection closed before the body ended."), {
              code: "UND_ERR_SOCKET",
            }),
          );
        }, fail);
    });
    body.once("error", (error) => {
      // Whatever arrived is written first, so a resume starts after it.
      void settled()
        .then(flushAll)
        .then(() => {
          fail(error);
        }, fail);
    });
  });
}

/** Dirty bytes after which a background `fdatasync` starts (see {@link WriteBehind}). */
const FLUSH_EVERY_BYTES = 32 * 1024 * 1024;

/**
 * Flushes written bytes to the disk in the background while the download goes on, so that the
 * final `fsync` finds little left to write: a 1 GiB file otherwise waits seconds for it at the
 * end, after the last byte arrived. At most one flush runs at a time.
 */
export class WriteBehind {
  readonly #handle: FileHandle;
  readonly #every: number;
  #dirty = 0;
  #running: Promise<void> | undefined;
  #error: Error | undefined;

  constructor(handle: FileHandle, every: number = FLUSH_EVERY_BYTES) {
    this.#handle = handle;
    this.#every = every;
  }

  /** `n` more bytes were written. */
  wrote(n: number): void {
    this.#dirty += n;
    if (this.#dirty < this.#every || this.#running !== undefined) return;
    this.#dirty = 0;
    this.#running = this.#handle.datasync().then(
      () => {
        this.#running = undefined;
      },
      (error: unknown) => {
        this.#error ??= error instanceof Error ? error : new Error(String(error));
        this.#running = undefined;
      },
    );
  }

  /** Waits for the background flush, then makes everything durable with `fsync`. */
  async sync(): Promise<void> {
    await this.settled();
    if (this.#error !== undefined) throw this.#error;
    await this.#handle.sync();
  }

  /** Waits for a background flush to end (before the descriptor is closed). */
  async settled(): Promise<void> {
    await this.#running;
  }
}

async function writeBatch(handle: FileHandle, chunks: Buffer[], position: number): Promise<number> {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const { bytesWritten } = await handle.writev(chunks, position);
  if (bytesWritten < total) {
    // Short vectored write (rare on regular files): finish the rest chunk by chunk.
    await writeAll(handle, Buffer.concat(chunks).subarray(bytesWritten), position + bytesWritten);
  }
  return total;
}

async function downloadStream(
  http: HttpClient,
  file: DownloadTarget,
  temp: string,
  statePath: string,
  resumeState: PartState | undefined,
  options: DownloadFileOptions & { hash: boolean; first?: StreamingResponse | undefined },
): Promise<string> {
  let etag = resumeState?.etag;
  // Ranges are asked for only where the server advertised them or answered one with 206: a
  // server that ignores them (InvenioRDM 13) would send everything again anyway.
  let rangesWork = resumeState?.acceptRanges === true || hasShownRanges(http, file.url);
  let offset = resumeState && etag && rangesWork ? (await stat(temp)).size : 0;
  if (file.size !== undefined && offset > file.size) offset = 0;
  // The bytes arrive in order: the md5 is fed the bytes as they are written (a resumed prefix is
  // read back from the disk first).
  const handle = await open(temp, offset > 0 ? "r+" : "w");
  const hasher = options.hash ? new StreamHasher() : undefined;
  /** Brings the md5 up to the bytes on disk, `[0, offset)`. */
  const catchUp = async (end: number): Promise<void> => {
    if (hasher === undefined || hasher.bytes === end) return;
    // A batch hashed but not written (its write failed): hash what the disk holds instead.
    if (hasher.bytes > end) hasher.reset();
    await hasher.updateFrom(handle, end, options.signal);
  };
  const flusher = new WriteBehind(handle);
  // The bytes of an earlier attempt count once the server has confirmed the resume.
  const tracker = new ProgressTracker({
    onProgress: options.onProgress,
    onBytes: options.onBytes,
    totalBytes: file.size,
  });
  let fromEarlier = offset;
  let first = options.first;
  try {
    let resumes = 0;
    let prepare: Promise<void> = Promise.resolve();
    for (;;) {
      if (file.size !== undefined && offset === file.size && offset > 0) break;
      const ranged = offset > 0 && etag !== undefined && rangesWork;
      let res: StreamingResponse;
      try {
        res =
          first ??
          (await http.stream({
            method: "GET",
            url: file.url,
            headers: {
              accept: "*/*",
              "accept-encoding": "identity",
              ...(ranged ? { range: `bytes=${offset}-`, "if-range": etag } : {}),
            },
            signal: options.signal,
          }));
        first = undefined;
      } catch (error) {
        if (options.signal?.aborted) throw abortError(options.signal, file.key);
        throw error;
      }
      if (ranged && res.status === 206) {
        const range = parseContentRange(header(res.headers, "content-range"));
        if (range?.start !== offset) {
          res.body.destroy();
          throw new NRPError(
            `The server answered a request for bytes ${offset}- of ${file.key} with ${header(res.headers, "content-range") ?? "no Content-Range"}.`,
            { code: ErrorCodes.InvalidResponse },
          );
        }
        noteRanges(http, file.url);
        // The body flows into drain() meanwhile; the writes wait for the prefix's md5.
        const end = offset;
        prepare = prepare.then(() => catchUp(end));
        if (fromEarlier > 0) {
          tracker.add(0, fromEarlier);
          options.onResume?.(fromEarlier);
          fromEarlier = 0;
        }
      } else {
        // Anything else is the whole content: a first request, a content that changed (If-Range),
        // or a server that ignores Range (200 without Content-Range). The preparation runs while
        // the body already flows into drain(): awaiting it first would leave the response unread,
        // and a connection cut then loses what had arrived.
        const restart = offset > 0;
        if (restart) {
          hasher?.reset();
          offset = 0;
          tracker.restart(0);
        }
        fromEarlier = 0;
        const previous = etag;
        etag = strongEtag(res.headers);
        // The same content sent whole in answer to a range: this server ignores ranges.
        if (ranged && etag === previous) rangesWork = false;
        else if (advertisesRanges(res.headers)) rangesWork = true;
        const state: PartState = {
          url: file.url,
          etag,
          checksum: file.checksum,
          size: file.size,
          acceptRanges: rangesWork,
        };
        prepare = (restart ? handle.truncate(0) : Promise.resolve()).then(() =>
          writeFile(statePath, JSON.stringify(state)),
        );
      }
      // The body may not run past the file's size, nor past what its own Content-Length says.
      const declared = contentLength(res.headers);
      const limit = Math.min(
        file.size ?? Infinity,
        declared === undefined ? Infinity : offset + declared,
      );
      try {
        await drain(nodeBody(res.body), async (chunks) => {
          await prepare;
          const incoming = chunks.reduce((sum, c) => sum + c.length, 0);
          if (offset + incoming > limit) throw tooLong(file, limit);
          // The md5 runs on this thread while the write runs in the thread pool.
          const writing = writeBatch(handle, chunks, offset);
          if (hasher !== undefined) for (const chunk of chunks) hasher.update(chunk);
          const n = await writing;
          offset += n;
          flusher.wrote(n);
          tracker.add(0, n);
        });
        await prepare;
        break;
      } catch (error) {
        if (!res.body.destroyed) res.body.destroy();
        if (options.signal?.aborted) throw abortError(options.signal, file.key);
        if (error instanceof ResponseTooLargeError) throw error;
        // The connection broke mid-body: continue from the bytes already on disk where the
        // server takes ranges, else start over (the next request asks for no range).
        if (resumes >= http.retryCount || !isBodyError(error)) {
          throw new NRPError(
            `The download of ${file.key} broke off after ${offset} bytes: ${error instanceof Error ? error.message : String(error)}. Run it again to continue.`,
            { code: ErrorCodes.DownloadInterrupted, cause: error },
          );
        }
        resumes++;
      }
    }
    await flusher.sync();
    tracker.finish();
    if (file.size !== undefined && offset !== file.size && !options.hash) {
      // Without an md5 to compare the size is the only check left.
      throw new NRPError(
        `The download of ${file.key} ended after ${offset} of ${file.size} bytes. Run it again to continue.`,
        { code: ErrorCodes.DownloadInterrupted },
      );
    }
    if (hasher === undefined) return "";
    try {
      await catchUp(offset);
    } catch (error) {
      if (options.signal?.aborted) throw abortError(options.signal, file.key);
      throw error;
    }
    return hasher.digest();
  } finally {
    await closeTemp(NO_HASH, flusher, handle);
  }
}

/** Asks for the first byte of `url` only: whether ranges work, their validator, how near it is. */
function probeFirstByte(
  http: HttpClient,
  url: string,
  signal: AbortSignal | undefined,
): Promise<StreamingResponse> {
  return http.stream({
    method: "GET",
    url,
    headers: { accept: "*/*", "accept-encoding": "identity", range: "bytes=0-0" },
    signal,
  });
}

/**
 * Whether the server of `url` is near, given the time its first one-byte probe took: one probe
 * within {@link ADAPTIVE_DOWNLOAD_NEAR_PROBE_MS} says so; a first one under
 * {@link ADAPTIVE_DOWNLOAD_FAR_PROBE_MS} is asked again (up to
 * {@link ADAPTIVE_DOWNLOAD_NEAR_PROBES} in all), since one late answer says little.
 */
async function isNear(
  http: HttpClient,
  url: string,
  firstMs: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (firstMs < ADAPTIVE_DOWNLOAD_NEAR_PROBE_MS) return true;
  if (firstMs >= ADAPTIVE_DOWNLOAD_FAR_PROBE_MS) return false;
  for (let probes = 1; probes < ADAPTIVE_DOWNLOAD_NEAR_PROBES; probes++) {
    const asked = performance.now();
    const again = await probeFirstByte(http, url, signal);
    // Anything but the one byte (the content changed, ranges stopped working): the ranges
    // decide for themselves, under If-Range.
    if (again.status !== 206) {
      again.body.destroy();
      return false;
    }
    await again.body.dump();
    if (performance.now() - asked < ADAPTIVE_DOWNLOAD_NEAR_PROBE_MS) return true;
  }
  return false;
}

async function downloadRanges(
  http: HttpClient,
  file: DownloadTarget & { size: number },
  temp: string,
  statePath: string,
  state: PartState | undefined,
  options: DownloadFileOptions & { concurrency: number; adaptive: boolean; hash: boolean },
): Promise<string | false | { whole: StreamingResponse }> {
  // Ask first whether ranges work, and for the validator the ranges will carry.
  const asked = performance.now();
  const probe = await probeFirstByte(http, file.url, options.signal);
  // A server that ignores Range (InvenioRDM 13) sends the whole content: the caller reads that
  // as one stream instead of asking again.
  if (probe.status === 200) return { whole: probe };
  await probe.body.dump();
  const etag = strongEtag(probe.headers);
  if (probe.status !== 206 || etag === undefined) return false;
  noteRanges(http, file.url);
  const resumable = state?.etag === etag && state.rangeSize !== undefined;
  // A near server: one stream is cheaper and as fast (see ADAPTIVE_DOWNLOAD_NEAR_PROBE_MS).
  if (
    options.adaptive &&
    !resumable &&
    options.rangeSize === undefined &&
    (await isNear(http, file.url, performance.now() - asked, options.signal))
  ) {
    return false;
  }
  const rangeSize = resumable
    ? (state.rangeSize ?? DEFAULT_RANGE_SIZE)
    : (options.rangeSize ?? (options.adaptive ? adaptiveRangeSize(file.size) : DEFAULT_RANGE_SIZE));
  const done = new Set(resumable ? (state.ranges ?? []) : []);
  const count = Math.ceil(file.size / rangeSize);
  // The md5 follows the ranges done from the start of the file, reading them back.
  const { handle, hasher } = await openTemp(temp, resumable, options.hash, file.size);
  const flusher = new WriteBehind(handle);
  let prefix = 0;
  const advance = (): void => {
    while (done.has(prefix)) prefix++;
    hasher.extend(Math.min(file.size, prefix * rangeSize));
  };
  const progressState: PartState = {
    url: file.url,
    etag,
    checksum: file.checksum,
    size: file.size,
    rangeSize,
    ranges: [...done],
  };
  await writeFile(statePath, JSON.stringify(progressState));
  const already = [...done].reduce(
    (sum, i) => sum + Math.min(rangeSize, file.size - i * rangeSize),
    0,
  );
  if (already > 0) options.onResume?.(already);
  const tracker = new ProgressTracker({
    onProgress: options.onProgress,
    onBytes: options.onBytes,
    totalBytes: file.size,
    partsTotal: count,
    initialBytes: already,
    initialParts: done.size,
  });
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const outcome: { changed: boolean; error?: unknown } = { changed: false };
  // Adaptive: a few ranges at first, more while more raise the throughput.
  const tuner = options.adaptive
    ? new ConcurrencyTuner({
        initial: ADAPTIVE_DOWNLOAD_INITIAL_CONCURRENCY,
        max: options.concurrency,
      })
    : undefined;
  // Smaller batches the more ranges may be in flight: each range fills one of its own.
  const buffers = new BatchBuffers(
    Math.max(
      MIN_RANGE_BATCH_BYTES,
      Math.min(MIN_BATCH_BYTES, MAX_QUEUED_BYTES / (2 * options.concurrency)),
    ),
  );
  let saving: Promise<void> = Promise.resolve();
  try {
    await handle.truncate(file.size);
    advance();
    function* todo(): Generator<number> {
      for (let i = 0; i < count; i++) if (!done.has(i)) yield i;
    }
    await runPool(
      todo(),
      async (index) => {
        const start = index * rangeSize;
        const end = Math.min(file.size, start + rangeSize) - 1;
        try {
          await http.send(
            {
              method: "GET",
              url: file.url,
              headers: {
                accept: "*/*",
                "accept-encoding": "identity",
                range: `bytes=${start}-${end}`,
                "if-range": etag,
              },
              signal,
            },
            async (res) => {
              if (res.statusCode !== 206) {
                outcome.changed = true;
                throw new NRPError("The content changed during the download.", {
                  code: ErrorCodes.ContentChanged,
                });
              }
              // Written inside the attempt, so a body cut short is retried from the range start.
              tracker.restart(index);
              let at = start;
              // Batched like the single stream; the queue bound is shared among the ranges in
              // flight, so memory does not grow with the concurrency.
              await drain(
                nodeBody(res.body),
                async (chunks) => {
                  const incoming = chunks.reduce((sum, c) => sum + c.length, 0);
                  if (at + incoming > end + 1) throw tooLong(file, file.size);
                  const n = await writeBatch(handle, chunks, at);
                  at += n;
                  flusher.wrote(n);
                  tracker.add(index, n);
                  tuner?.add(n);
                },
                Math.max(2 * buffers.size, MAX_QUEUED_BYTES / options.concurrency),
                buffers,
              );
              if (at !== end + 1) {
                throw new NRPError(`Range ${start}-${end} of ${file.key} arrived short.`, {
                  code: ErrorCodes.DownloadInterrupted,
                });
              }
            },
          );
          done.add(index);
          advance();
          tracker.partDone(index);
          progressState.ranges = [...done];
          const snapshot = JSON.stringify(progressState);
          saving = saving.then(() => writeFile(statePath, snapshot));
          await saving;
        } catch (error) {
          outcome.error ??= error;
          stop.abort(error);
          throw error;
        }
      },
      { concurrency: tuner ?? options.concurrency, signal },
    );
    await flusher.sync();
    if (options.signal?.aborted) throw abortError(options.signal, file.key);
    if (outcome.changed) return false;
    if (outcome.error !== undefined) {
      throw outcome.error instanceof Error
        ? outcome.error
        : new NRPError("A range request failed.", { cause: outcome.error });
    }
    tracker.finish();
    return await digest(hasher, options.signal, file.key);
  } finally {
    await closeTemp(hasher, flusher, handle);
  }
}

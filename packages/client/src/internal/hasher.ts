// md5 of a file that grows (a download by ranges) or is already there (an upload source), read
// back right behind the transfer. On this thread by default: on two cores shared with the server
// a worker thread cost more CPU and ~12 MiB more peak RSS for no gain in wall time (measured on
// 256 MiB uploads over HTTPS); the worker stays available where the event loop must stay free.

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { open } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { APIUserAbortError, ErrorCodes, NRPError } from "../core/errors.js";
import { hashWorkerMain } from "./md5-worker.js";
import type { HashCommand, HashReply, HashWorkerData } from "./md5-worker.js";

/**
 * From this size on the file is read back while the transfer runs (by a worker thread when asked
 * for); below it the whole file is read at `digest()`.
 */
export const WORKER_HASH_MIN_SIZE = 16 * 1024 * 1024;

/**
 * The worker starts once the bytes to hash reach this offset (or half of a smaller file, or at
 * `digest()`). A download's first tens of MiB come with a burst of socket buffers that the
 * garbage collector has not reclaimed yet; the worker's own ~9 MiB (its V8 isolate) is better
 * added after that burst than on top of it: measured on 1 GiB downloads, peak RSS 131-137 MiB
 * instead of 143-154 MiB. It catches up from the file at once, so only a little overlap is lost.
 */
const WORKER_START_OFFSET = 64 * 1024 * 1024;

/** Bytes per read when hashing a file. */
const CHUNK_SIZE = 1024 * 1024;

/**
 * The md5 of bytes `[0, end)` of a file, where `end` only moves forward (or back to 0 with
 * {@link PrefixHasher.reset}) and the bytes below it no longer change.
 */
export interface PrefixHasher {
  /** The bytes up to `end` are on disk and final. */
  extend(end: number): void;
  /** The file was truncated: forget everything hashed so far. */
  reset(): void;
  /** The hex md5 of `[0, end)` once all of it is hashed; the hasher can then start over. */
  digest(signal?: AbortSignal): Promise<string>;
  /** Stops hashing and releases the worker and the descriptor; safe to call more than once. */
  close(): Promise<void>;
}

let live = 0;
let started = 0;

/** Worker threads hashing right now (tests check that none outlive their transfer). */
export function liveHashWorkers(): number {
  return live;
}

/** Worker threads started so far (tests check that the worker path ran). */
export function startedHashWorkers(): number {
  return started;
}

/** The compiled worker beside this module, or a `data:` URL of its source when running from TS. */
function workerUrl(): URL {
  const built = new URL("./md5-worker.js", import.meta.url);
  if (built.protocol === "file:" && existsSync(fileURLToPath(built))) return built;
  const source = [
    'import { read } from "node:fs";',
    'import { createHash } from "node:crypto";',
    'import { parentPort, workerData } from "node:worker_threads";',
    `(${String(hashWorkerMain)})(parentPort, workerData, { read, createHash });`,
  ].join("\n");
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

class WorkerHasher implements PrefixHasher {
  #worker: Worker | undefined;
  readonly #handle: FileHandle;
  readonly #startAt: number;
  readonly #url: URL;
  /** How far to hash (kept on this side too, for the main-thread fallback). */
  #target = 0;
  /** How far the worker was told to hash: it is told again only a chunk later (or at digest). */
  #told = 0;
  /** Why no worker can hash (it could not start, or it crashed): the main thread then does. */
  #unavailable: Error | undefined;
  #closed: Promise<void> | undefined;
  #failure: Error | undefined;
  #waiting: { resolve: (hex: string) => void; reject: (error: Error) => void } | undefined;

  constructor(handle: FileHandle, startAt: number, url: URL) {
    this.#handle = handle;
    this.#startAt = startAt;
    this.#url = url;
  }

  #start(): Worker | undefined {
    const data: HashWorkerData = {
      nrpMd5Worker: true,
      fd: this.#handle.fd,
      chunkSize: CHUNK_SIZE,
    };
    let worker: Worker;
    try {
      // The parent's Node flags (--input-type, loaders, inspectors) are not for this worker.
      worker = new Worker(this.#url, { workerData: data, execArgv: [] });
    } catch (error) {
      // E.g. the permission model without --allow-worker: hash on the main thread instead.
      this.#unavailable = error instanceof Error ? error : new Error(String(error));
      return undefined;
    }
    this.#worker = worker;
    live++;
    started++;
    worker.on("message", (reply: HashReply) => {
      if (reply.type === "digest") {
        const waiting = this.#waiting;
        this.#waiting = undefined;
        waiting?.resolve(reply.hex);
      } else {
        this.#fail(
          new NRPError(`Hashing the file failed: ${reply.message}`, {
            // The worker passes a read error's own code (`EIO`, ...); that stays in the message.
            code:
              reply.code === ErrorCodes.HashShort ? ErrorCodes.HashShort : ErrorCodes.HashFailed,
          }),
        );
      }
    });
    worker.on("error", (error) => {
      // The worker itself broke (not a read of the file, which comes as a message): the main
      // thread takes over, from the start of the file.
      this.#unavailable = error;
      const waiting = this.#waiting;
      this.#waiting = undefined;
      if (waiting) this.#hashHere().then(waiting.resolve, waiting.reject);
    });
    worker.on("exit", () => {
      live--;
      if (this.#unavailable === undefined) {
        this.#fail(new NRPError("The md5 worker stopped before it finished."));
      }
    });
    this.#tell();
    return worker;
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(this.#failure);
  }

  #send(command: HashCommand): void {
    if (this.#closed === undefined && this.#failure === undefined)
      this.#worker?.postMessage(command);
  }

  /** Tells the worker the current target (one message per chunk sent would cost more). */
  #tell(): void {
    if (this.#target <= this.#told) return;
    this.#told = this.#target;
    this.#send({ type: "extend", end: this.#target });
  }

  extend(end: number): void {
    this.#target = Math.max(this.#target, end);
    if (this.#worker === undefined) {
      if (
        this.#target >= this.#startAt &&
        this.#closed === undefined &&
        this.#unavailable === undefined
      ) {
        this.#start();
      }
      return;
    }
    if (this.#target - this.#told >= CHUNK_SIZE) this.#tell();
  }

  reset(): void {
    this.#target = 0;
    this.#told = 0;
    if (this.#worker !== undefined) this.#send({ type: "reset" });
  }

  /** The md5 of `[0, target)` read on the main thread: the fallback when no worker can run. */
  async #hashHere(signal?: AbortSignal): Promise<string> {
    const hash = createHash("md5");
    const buffer = Buffer.allocUnsafe(CHUNK_SIZE);
    for (let at = 0; at < this.#target;) {
      if (signal?.aborted) {
        throw new APIUserAbortError("Hashing was aborted.", { cause: signal.reason });
      }
      const length = Math.min(buffer.length, this.#target - at);
      const { bytesRead } = await this.#handle.read(buffer, 0, length, at);
      if (bytesRead === 0) {
        throw new NRPError(`The file ended at byte ${at}, before byte ${this.#target}.`, {
          code: ErrorCodes.HashShort,
        });
      }
      hash.update(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
    return hash.digest("hex");
  }

  digest(signal?: AbortSignal): Promise<string> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new NRPError("The hasher is closed."));
    if (this.#unavailable) return this.#hashHere(signal);
    const worker = this.#worker ?? this.#start();
    if (worker === undefined) return this.#hashHere(signal);
    return new Promise<string>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiting = undefined;
        reject(new APIUserAbortError("Hashing was aborted.", { cause: signal?.reason }));
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting = {
        resolve: (hex) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(hex);
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      this.#tell();
      worker.postMessage({ type: "digest" } satisfies HashCommand);
    });
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      try {
        // The descriptor is closed only once the worker cannot read from it any more.
        await this.#worker?.terminate();
      } finally {
        await this.#handle.close();
      }
    })();
    return this.#closed;
  }
}

/** The same contract on the main thread, for small files: everything is read at `digest()`. */
class InlineHasher implements PrefixHasher {
  readonly #path: string;
  #hash = createHash("md5");
  #hashed = 0;
  #target = 0;

  constructor(path: string) {
    this.#path = path;
  }

  extend(end: number): void {
    this.#target = Math.max(this.#target, end);
  }

  reset(): void {
    this.#hash = createHash("md5");
    this.#hashed = 0;
    this.#target = 0;
  }

  async digest(signal?: AbortSignal): Promise<string> {
    if (this.#target > this.#hashed) {
      const handle = await open(this.#path, "r");
      try {
        const buffer = Buffer.allocUnsafe(Math.min(CHUNK_SIZE, this.#target - this.#hashed));
        while (this.#hashed < this.#target) {
          if (signal?.aborted) {
            throw new APIUserAbortError("Hashing was aborted.", { cause: signal.reason });
          }
          const length = Math.min(buffer.length, this.#target - this.#hashed);
          const { bytesRead } = await handle.read(buffer, 0, length, this.#hashed);
          if (bytesRead === 0) {
            throw new NRPError(`${this.#path} ended at byte ${this.#hashed}.`, {
              code: ErrorCodes.HashShort,
            });
          }
          this.#hash.update(buffer.subarray(0, bytesRead));
          this.#hashed += bytesRead;
        }
      } finally {
        await handle.close();
      }
    }
    const hex = this.#hash.digest("hex");
    this.reset();
    return hex;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The {@link PrefixHasher} contract on this thread: the bytes are read back (from the page cache,
 * a MiB at a time, in the thread pool) and hashed as soon as `extend` moves, so that `digest()`
 * finds little left. On two cores shared with the server this costs less CPU and ~12 MiB less
 * peak RSS than a worker thread, for the same wall time (measured on 256 MiB uploads).
 */
class FollowingHasher implements PrefixHasher {
  readonly #handle: FileHandle;
  #hash = createHash("md5");
  #hashed = 0;
  #target = 0;
  /** Bumped by `reset()`: a read of an older generation is dropped. */
  #generation = 0;
  #pump: Promise<void> | undefined;
  #failure: Error | undefined;
  #closed: Promise<void> | undefined;
  readonly #buffer = Buffer.allocUnsafe(CHUNK_SIZE);

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  extend(end: number): void {
    this.#target = Math.max(this.#target, end);
    this.#start();
  }

  reset(): void {
    this.#generation++;
    this.#hash = createHash("md5");
    this.#hashed = 0;
    this.#target = 0;
  }

  #start(): void {
    if (this.#pump !== undefined || this.#closed !== undefined || this.#failure !== undefined) {
      return;
    }
    if (this.#hashed >= this.#target) return;
    this.#pump = this.#run().then(
      () => {
        this.#pump = undefined;
        // `extend` may have moved while the last read was in flight.
        this.#start();
      },
      (error: unknown) => {
        this.#pump = undefined;
        this.#failure ??=
          error instanceof NRPError
            ? error
            : new NRPError(
                `Hashing the file failed: ${error instanceof Error ? error.message : String(error)}`,
                { code: ErrorCodes.HashFailed, cause: error },
              );
      },
    );
  }

  async #run(): Promise<void> {
    while (this.#hashed < this.#target && this.#closed === undefined) {
      const generation = this.#generation;
      const at = this.#hashed;
      const length = Math.min(this.#buffer.length, this.#target - at);
      const { bytesRead } = await this.#handle.read(this.#buffer, 0, length, at);
      if (generation !== this.#generation) continue;
      if (bytesRead === 0) {
        throw new NRPError(`The file ended at byte ${at}, before byte ${this.#target}.`, {
          code: ErrorCodes.HashShort,
        });
      }
      this.#hash.update(this.#buffer.subarray(0, bytesRead));
      this.#hashed += bytesRead;
    }
  }

  async digest(signal?: AbortSignal): Promise<string> {
    for (;;) {
      if (this.#failure) throw this.#failure;
      if (this.#closed) throw new NRPError("The hasher is closed.");
      if (signal?.aborted) {
        throw new APIUserAbortError("Hashing was aborted.", { cause: signal.reason });
      }
      if (this.#pump === undefined && this.#hashed >= this.#target) break;
      this.#start();
      await this.#pump;
    }
    const hex = this.#hash.digest("hex");
    this.reset();
    return hex;
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      // The descriptor is closed only once no read is in flight on it.
      await this.#pump;
      await this.#handle.close();
    })();
    return this.#closed;
  }
}

/**
 * The md5 of a download that arrives in order, fed the very bytes it writes: nothing is read
 * back from the disk and no worker thread is started. Measured on 256 MiB-1 GiB downloads over
 * HTTPS on two cores shared with the server, this costs less CPU (no second read of the file, no
 * messages) and ~12 MiB less peak RSS (no worker isolate) than the worker that follows the file,
 * for the same wall time: the hash overlaps the write, which runs in the thread pool.
 */
export class StreamHasher {
  #hash = createHash("md5");
  #bytes = 0;

  /** Bytes hashed so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Hashes the next bytes. */
  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.byteLength;
  }

  /**
   * Hashes bytes `[bytes, end)` of `handle` (the prefix a resumed download already has on disk).
   * @throws NRPError (`HashShort`) when the file ends before `end`
   */
  async updateFrom(handle: FileHandle, end: number, signal?: AbortSignal): Promise<void> {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK_SIZE, Math.max(1, end - this.#bytes)));
    while (this.#bytes < end) {
      if (signal?.aborted) {
        throw new APIUserAbortError("Hashing was aborted.", { cause: signal.reason });
      }
      const length = Math.min(buffer.length, end - this.#bytes);
      const { bytesRead } = await handle.read(buffer, 0, length, this.#bytes);
      if (bytesRead === 0) {
        throw new NRPError(`The file ended at byte ${this.#bytes}, before byte ${end}.`, {
          code: ErrorCodes.HashShort,
        });
      }
      this.update(buffer.subarray(0, bytesRead));
    }
  }

  /** Forgets everything hashed so far (the file was truncated). */
  reset(): void {
    this.#hash = createHash("md5");
    this.#bytes = 0;
  }

  /** The hex md5 of the bytes hashed so far. */
  digest(): string {
    return this.#hash.copy().digest("hex");
  }
}

/**
 * A hasher for `path` (which must exist). A file expected to reach {@link WORKER_HASH_MIN_SIZE}
 * (or of unknown size) is read back as `extend` moves: on this thread, or with `worker: true` in a
 * worker thread that starts when the bytes to hash reach `workerStartOffset` (64 MiB, or half of a
 * smaller file) or at `digest()`. A smaller file is read whole at `digest()`.
 */
export async function openPrefixHasher(
  path: string,
  expectedSize: number | undefined,
  options: {
    minWorkerSize?: number;
    worker?: boolean;
    workerStartOffset?: number;
    workerUrl?: URL;
  } = {},
): Promise<PrefixHasher> {
  const minWorkerSize = options.minWorkerSize ?? WORKER_HASH_MIN_SIZE;
  if (expectedSize !== undefined && expectedSize < minWorkerSize) return new InlineHasher(path);
  const handle = await open(path, "r");
  try {
    const startAt =
      options.workerStartOffset ??
      Math.min(WORKER_START_OFFSET, Math.floor((expectedSize ?? Infinity) / 2));
    if (options.worker !== true) return new FollowingHasher(handle);
    return new WorkerHasher(handle, startAt, options.workerUrl ?? workerUrl());
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The md5 of a whole file of `size` bytes. */
export async function md5OfFile(path: string, size: number, signal?: AbortSignal): Promise<string> {
  const hasher = await openPrefixHasher(path, size);
  try {
    hasher.extend(size);
    return await hasher.digest(signal);
  } finally {
    await hasher.close();
  }
}

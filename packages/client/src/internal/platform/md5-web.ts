// md5 in a Web Worker for the browser build (Web Crypto has no md5, and hashing gigabytes on the
// page's thread makes it stutter). The worker is started from a Blob URL holding hash-wasm's md5
// (built in by build/browser.mjs); where there is no `Worker`, or it cannot start (e.g. a CSP
// without `worker-src blob:`), hashing stays on the main thread.

import type { UploadSource } from "../../core/uploads.js";
import { APIUserAbortError, ErrorCodes, NRPError } from "../../core/errors.js";
import { md5OfStream, streamByteSource } from "../byte-source.js";
import { inlineMd5 } from "../md5.js";
import type { Md5Sink } from "../md5.js";
import type { ByteSource } from "../upload.js";
import { MD5_WORKER_SOURCE } from "./md5-worker-source.js";

/** From this size on a transfer is hashed in a worker (below it starting one costs more). */
export const WORKER_MD5_MIN_SIZE = 1024 * 1024;

/** Bytes sent to the worker and not yet hashed before `update` waits (memory stays bounded). */
const IN_FLIGHT_MAX = 8 * 1024 * 1024;

/** How long a worker may take to load its md5 before the main thread hashes instead. */
const READY_TIMEOUT_MS = 10_000;

type Reply =
  | { type: "ready" }
  | { type: "hashed"; bytes: number }
  | { type: "digest"; hex: string }
  | { type: "error"; message: string };

/** The part of a DOM `Worker` used here (the library's types do not include the DOM). */
interface WebWorker {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  terminate(): void;
  onmessage: ((event: { data: Reply }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

type WorkerConstructor = new (url: string, options?: { name?: string }) => WebWorker;

let scriptUrl: string | undefined;
/** A worker failed to start once: this page does not allow them, so none is tried again. */
let refused = false;

/** A worker whose md5 is loaded, or `undefined` when this page cannot run one. */
async function startWorker(): Promise<WebWorker | undefined> {
  const Worker = (globalThis as { Worker?: WorkerConstructor }).Worker;
  if (typeof Worker !== "function" || MD5_WORKER_SOURCE === "" || refused) return undefined;
  let worker: WebWorker;
  try {
    scriptUrl ??= URL.createObjectURL(new Blob([MD5_WORKER_SOURCE], { type: "text/javascript" }));
    worker = new Worker(scriptUrl, { name: "nrp-invenio-client md5" });
  } catch {
    refused = true;
    return undefined;
  }
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      resolve(false);
    }, READY_TIMEOUT_MS);
    worker.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data.type === "ready");
    };
    worker.onerror = () => {
      clearTimeout(timer);
      resolve(false);
    };
  });
  if (!ready) {
    worker.terminate();
    refused = true;
    return undefined;
  }
  return worker;
}

function workerFailure(message: string): NRPError {
  return new NRPError(`Hashing in the md5 worker failed: ${message}`, {
    code: ErrorCodes.HashFailed,
  });
}

/** An {@link Md5Sink} in a worker: each chunk is copied over (the caller still hands it on). */
class WorkerMd5 implements Md5Sink {
  readonly #worker: WebWorker;
  #inFlight = 0;
  #failure: Error | undefined;
  #drained: (() => void) | undefined;
  #waiting: { resolve: (hex: string) => void; reject: (error: Error) => void } | undefined;

  constructor(worker: WebWorker) {
    this.#worker = worker;
    worker.onmessage = ({ data }) => {
      if (data.type === "hashed") {
        this.#inFlight -= data.bytes;
        if (this.#inFlight <= IN_FLIGHT_MAX / 2) this.#wake();
      } else if (data.type === "digest") {
        const waiting = this.#waiting;
        this.#waiting = undefined;
        waiting?.resolve(data.hex);
      } else if (data.type === "error") {
        this.#fail(workerFailure(data.message));
      }
    };
    worker.onerror = () => {
      this.#fail(workerFailure("the worker stopped"));
    };
  }

  #wake(): void {
    const drained = this.#drained;
    this.#drained = undefined;
    drained?.();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#wake();
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(error);
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure;
  }

  async update(chunk: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    if (chunk.byteLength === 0) return;
    const copy = chunk.slice();
    this.#inFlight += copy.byteLength;
    this.#worker.postMessage({ type: "update", bytes: copy.buffer }, [copy.buffer]);
    if (this.#inFlight > IN_FLIGHT_MAX) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
      this.#throwIfFailed();
    }
  }

  digest(): Promise<string> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<string>((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#worker.postMessage({ type: "digest" });
    });
  }

  close(): void {
    this.#worker.terminate();
  }
}

/** An md5 for a transfer of `size` bytes: in a worker when large (or unknown) and possible. */
export async function openMd5(size: number | undefined): Promise<Md5Sink> {
  if (size !== undefined && size < WORKER_MD5_MIN_SIZE) return inlineMd5();
  const worker = await startWorker();
  return worker ? new WorkerMd5(worker) : inlineMd5();
}

/** The md5 of `blob` read by a worker (the Blob is passed, not its bytes), or `undefined` without one. */
async function md5OfBlob(blob: Blob, signal: AbortSignal | undefined): Promise<string | undefined> {
  const worker = await startWorker();
  if (worker === undefined) return undefined;
  try {
    return await new Promise<string>((resolve, reject) => {
      const onAbort = (): void => {
        reject(new APIUserAbortError("The upload was aborted.", { cause: signal?.reason }));
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      const settle =
        <T>(then: (value: T) => void) =>
        (value: T) => {
          signal?.removeEventListener("abort", onAbort);
          then(value);
        };
      const done = settle(resolve);
      const failed = settle(reject);
      worker.onmessage = ({ data }) => {
        if (data.type === "digest") done(data.hex);
        else if (data.type === "error") failed(workerFailure(data.message));
      };
      worker.onerror = () => {
        failed(workerFailure("the worker stopped"));
      };
      worker.postMessage({ type: "blob", blob });
    });
  } finally {
    worker.terminate();
  }
}

/**
 * The {@link ByteSource} of an upload in a browser: a large `Blob`/`File` is hashed by a worker
 * reading the Blob itself; anything else (or without a worker) from the source's stream here.
 */
export function byteSource(source: UploadSource): ByteSource {
  const base = streamByteSource(source);
  const blob = source.blob;
  if (blob === undefined || blob.size < WORKER_MD5_MIN_SIZE) return base;
  return {
    ...base,
    md5: async (signal) => (await md5OfBlob(blob, signal)) ?? md5OfStream(source, signal),
  };
}

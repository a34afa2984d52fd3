// The md5 worker thread: hashes a file from its start up to an offset that the main thread moves
// forward as bytes reach the disk, so that verifying a download or an upload costs the event loop
// nothing. It reads the file itself (the page cache still holds what was just written), which
// keeps the main thread free of copies and checks the bytes that actually landed on disk.
//
// Loaded as `md5-worker.js` beside this module in dist; from TypeScript sources (tests) the same
// function runs from a `data:` URL made of its source text, so it must not close over anything.

import { read } from "node:fs";
import { createHash } from "node:crypto";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";

/** A message to the worker: hash up to `end`, start over from byte 0, or report the digest. */
export type HashCommand = { type: "extend"; end: number } | { type: "reset" } | { type: "digest" };

/** A message from the worker: the digest of bytes `[0, bytes)`, or why it could not be made. */
export type HashReply =
  | { type: "digest"; hex: string; bytes: number }
  | { type: "error"; message: string; code: string | undefined };

/** What the worker is started with. */
export interface HashWorkerData {
  /** Marks the worker as this module's, so that importing the module elsewhere runs nothing. */
  nrpMd5Worker: true;
  /** A descriptor opened for reading by the main thread, which also closes it. */
  fd: number;
  /** Bytes per read. */
  chunkSize: number;
}

/**
 * The worker's whole logic, self-contained (dependencies come in as arguments) so that its source
 * text can start a worker on its own.
 *
 * Two buffers alternate: the next read is in flight in the thread pool while the current chunk is
 * hashed. Reads of a superseded generation (after a reset) are dropped.
 */
export function hashWorkerMain(
  port: MessagePort,
  data: HashWorkerData,
  deps: { read: typeof read; createHash: typeof createHash },
): void {
  const buffers: [Buffer, Buffer] = [
    Buffer.allocUnsafe(data.chunkSize),
    Buffer.allocUnsafe(data.chunkSize),
  ];
  let hash = deps.createHash("md5");
  let hashed = 0;
  let requested = 0;
  let target = 0;
  let generation = 0;
  let reading = false;
  let wantDigest = false;
  let next: 0 | 1 = 0;
  let failed = false;
  let pending: { generation: number; buffer: Buffer; length: number } | undefined;

  const fail = (message: string, code: string | undefined): void => {
    failed = true;
    port.postMessage({ type: "error", message, code } satisfies HashReply);
  };
  const step = (): void => {
    if (failed) return;
    if (pending !== undefined) {
      const chunk = pending;
      pending = undefined;
      if (chunk.generation === generation) {
        // Start the next read before hashing this chunk, so disk and hash overlap.
        startRead();
        hash.update(chunk.buffer.subarray(0, chunk.length));
        hashed += chunk.length;
      }
    }
    startRead();
    if (wantDigest && !reading && hashed >= target) {
      wantDigest = false;
      port.postMessage({
        type: "digest",
        hex: hash.digest("hex"),
        bytes: hashed,
      } satisfies HashReply);
      hash = deps.createHash("md5");
      hashed = 0;
      requested = 0;
      target = 0;
    }
  };
  function startRead(): void {
    if (reading || failed || requested >= target) return;
    const buffer = buffers[next];
    next = next === 0 ? 1 : 0;
    const length = Math.min(buffer.length, target - requested);
    const at = requested;
    const gen = generation;
    reading = true;
    requested += length;
    deps.read(data.fd, buffer, 0, length, at, (error, n) => {
      reading = false;
      if (gen !== generation) {
        step();
        return;
      }
      if (error) {
        fail(error.message, error.code);
        return;
      }
      if (n < length) {
        fail(`The file ended at byte ${at + n}, before byte ${at + length}.`, "NRP_HASH_SHORT");
        return;
      }
      pending = { generation: gen, buffer, length: n };
      step();
    });
  }

  port.on("message", (command: HashCommand) => {
    if (command.type === "extend") {
      target = Math.max(target, command.end);
    } else if (command.type === "reset") {
      generation++;
      pending = undefined;
      hash = deps.createHash("md5");
      hashed = 0;
      requested = 0;
      target = 0;
    } else {
      wantDigest = true;
    }
    step();
  });
}

if (!isMainThread && parentPort && (workerData as Partial<HashWorkerData>).nrpMd5Worker) {
  hashWorkerMain(parentPort, workerData as HashWorkerData, { read, createHash });
}

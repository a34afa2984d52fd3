// The small shared parts of uploads and downloads: Content-MD5, hashing/counting streams and
// throttled progress. Table-tested in test/unit/transfer.test.ts. Part planning and the transfer
// choice are public rules and live in core/transfers.ts.

import { createHash } from "node:crypto";
import type { Hash } from "node:crypto";
import type { TransferProgress } from "../core/transfers.js";

/** `Content-MD5` (RFC 1864): the base64 of the raw digest. */
export function contentMd5(hexDigest: string): string {
  let bytes = "";
  for (let i = 0; i + 1 < hexDigest.length; i += 2) {
    bytes += String.fromCharCode(parseInt(hexDigest.slice(i, i + 2), 16));
  }
  return btoa(bytes);
}

/** The `md5:<hex>` form Invenio stores, or `undefined` for other algorithms. */
export function md5OfChecksum(checksum: string | undefined): string | undefined {
  const match = /^md5:([0-9a-f]{32})$/i.exec(checksum ?? "");
  return match?.[1]?.toLowerCase();
}

/** Something that sees each chunk passing through {@link through}. */
export interface ChunkTap {
  chunk(chunk: Uint8Array): void;
}

/**
 * `source`'s chunks, each shown to `tap` as it is read; nothing is copied or read ahead. Ending
 * the iteration early (a failed or cancelled request) ends `source`'s too, and destroys a Node
 * stream that was never read (no leaked file handles).
 */
export function through(
  source: AsyncIterable<Uint8Array>,
  tap: ChunkTap,
): AsyncIterable<Uint8Array> {
  let iterator: AsyncIterator<Uint8Array> | undefined;
  return {
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<Uint8Array>> {
        iterator ??= source[Symbol.asyncIterator]();
        const step = await iterator.next();
        if (step.done !== true) tap.chunk(step.value);
        return step;
      },
      async return(): Promise<IteratorResult<Uint8Array>> {
        (source as { destroy?: () => void }).destroy?.();
        await iterator?.return?.();
        return { done: true, value: undefined };
      },
    }),
  };
}

/** A tap that feeds a hash and counts bytes. */
export class HashingTap implements ChunkTap {
  readonly #hash: Hash;
  readonly #onBytes: ((n: number) => void) | undefined;

  constructor(hash: Hash = createHash("md5"), onBytes?: (n: number) => void) {
    this.#hash = hash;
    this.#onBytes = onBytes;
  }

  chunk(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.#onBytes?.(chunk.length);
  }
}

/** A tap that reports each chunk's size. */
export class CountingTap implements ChunkTap {
  readonly #onBytes: (n: number) => void;

  constructor(onBytes: (n: number) => void) {
    this.#onBytes = onBytes;
  }

  chunk(chunk: Uint8Array): void {
    this.#onBytes(chunk.length);
  }
}

/**
 * Aggregates byte counts of parallel parts into one throttled progress callback.
 *
 * A retried part first takes back the bytes its failed attempt counted, so the total never runs
 * past the size. Reports at most every `intervalMs`, and always on `finish()`.
 */
export class ProgressTracker {
  readonly #callback: ((p: TransferProgress) => void) | undefined;
  readonly #onBytes: ((bytes: number) => void) | undefined;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #total: number | undefined;
  readonly #partsTotal: number | undefined;
  readonly #perPart = new Map<number, number>();
  #bytes = 0;
  #partsDone = 0;
  #last = Number.NEGATIVE_INFINITY;
  #lastBytes = -1;
  #lastParts = -1;

  constructor(options: {
    onProgress?: ((p: TransferProgress) => void) | undefined;
    onBytes?: ((bytes: number) => void) | undefined;
    totalBytes: number | undefined;
    partsTotal?: number | undefined;
    initialBytes?: number | undefined;
    initialParts?: number | undefined;
    intervalMs?: number | undefined;
    now?: (() => number) | undefined;
  }) {
    this.#callback = options.onProgress;
    this.#onBytes = options.onBytes;
    this.#total = options.totalBytes;
    this.#partsTotal = options.partsTotal;
    this.#bytes = options.initialBytes ?? 0;
    this.#partsDone = options.initialParts ?? 0;
    this.#intervalMs = options.intervalMs ?? 100;
    this.#now = options.now ?? Date.now;
  }

  /** Bytes counted so far. */
  get transferredBytes(): number {
    return this.#bytes;
  }

  /** Counts `n` more bytes of `part` (0 for a single stream). */
  add(part: number, n: number): void {
    this.#perPart.set(part, (this.#perPart.get(part) ?? 0) + n);
    this.#bytes += n;
    this.#onBytes?.(n);
    this.#emit(false);
  }

  /** Takes back what a failed attempt of `part` counted, before the part is sent again. */
  restart(part: number): void {
    this.#bytes -= this.#perPart.get(part) ?? 0;
    this.#perPart.delete(part);
  }

  /** Marks `part` as acknowledged. */
  partDone(_part: number): void {
    this.#partsDone++;
    this.#emit(false);
  }

  /** Reports the final state, bypassing the throttle, unless it was the last one reported. */
  finish(): void {
    this.#emit(true);
  }

  #emit(force: boolean): void {
    if (!this.#callback) return;
    const now = this.#now();
    if (!force && now - this.#last < this.#intervalMs) return;
    const same = this.#bytes === this.#lastBytes && this.#partsDone === this.#lastParts;
    if (force && same) return;
    this.#last = now;
    this.#lastBytes = this.#bytes;
    this.#lastParts = this.#partsDone;
    const progress: TransferProgress = {
      transferredBytes: this.#bytes,
      totalBytes: this.#total,
    };
    if (this.#partsTotal !== undefined) {
      progress.partsDone = this.#partsDone;
      progress.partsTotal = this.#partsTotal;
    }
    this.#callback(progress);
  }
}

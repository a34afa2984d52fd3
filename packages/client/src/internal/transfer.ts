// The pure parts of transfers: part planning, transfer choice, Content-MD5, hashing streams and
// throttled progress. Table-tested in test/unit/transfer.test.ts.

import { createHash } from "node:crypto";
import type { Hash } from "node:crypto";
import { Transform } from "node:stream";
import type { TransformCallback } from "node:stream";
import { ErrorCodes, NRPError } from "../core/errors.js";
import type { UploadPart } from "../core/errors.js";

/** At most this many parts (S3's limit, also nrp-cmd's `aws_limits.py`). */
export const MAX_PARTS = 10_000;

/** The part layout of a multipart upload. */
export interface PartPlan {
  size: number;
  partSize: number;
  parts: number;
}

/**
 * Lays out `size` bytes in parts of `partSize` (raised so that there are at most
 * {@link MAX_PARTS}); every part but the last is exactly `partSize`, as the server checks (§4.7).
 */
export function planParts(size: number, partSize: number): PartPlan {
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new NRPError(
      `A multipart upload needs a known, non-zero size (got ${String(size)}); send empty files as a single request (transfer "L").`,
      { code: ErrorCodes.InvalidInput },
    );
  }
  if (!Number.isSafeInteger(partSize) || partSize < 1) {
    throw new NRPError(`partSize must be a positive integer, got ${String(partSize)}.`, {
      code: ErrorCodes.InvalidInput,
    });
  }
  const effective = Math.max(partSize, Math.ceil(size / MAX_PARTS));
  return { size, partSize: effective, parts: Math.ceil(size / effective) };
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

/** How a file goes up: one request (`L`) or parts (`M`). */
export type TransferType = "L" | "M";

/** Inputs of {@link chooseTransfer}. */
export interface TransferChoice {
  requested: "auto" | "L" | "M" | undefined;
  size: number | undefined;
  /** What the repository advertises (`info.transfers`). */
  offered: readonly string[];
  threshold: number;
}

/**
 * Picks the transfer: an explicit choice wins (M needs a known non-zero size); `auto` takes M when
 * the repository offers it and the file is at least `threshold` bytes, L otherwise.
 */
export function chooseTransfer(choice: TransferChoice): TransferType {
  const { requested, size } = choice;
  if (requested === "L") return "L";
  if (requested === "M") {
    if (size === undefined || size < 1) {
      throw new NRPError(
        size === undefined
          ? 'Multipart upload needs the size of the stream: pass { size } or use transfer "L".'
          : 'An empty file cannot be uploaded in parts: use transfer "L".',
        { code: ErrorCodes.InvalidInput },
      );
    }
    return "M";
  }
  // JavaScript callers can pass anything.
  if (requested !== undefined && (requested as string) !== "auto") {
    throw new NRPError(`transfer must be "auto", "L" or "M", got ${JSON.stringify(requested)}.`, {
      code: ErrorCodes.InvalidInput,
    });
  }
  return choice.offered.includes("M") && size !== undefined && size >= choice.threshold ? "M" : "L";
}

/** `Content-MD5` (RFC 1864): the base64 of the raw digest. */
export function contentMd5(hexDigest: string): string {
  return Buffer.from(hexDigest, "hex").toString("base64");
}

/** The `md5:<hex>` form Invenio stores, or `undefined` for other algorithms. */
export function md5OfChecksum(checksum: string | undefined): string | undefined {
  const match = /^md5:([0-9a-f]{32})$/i.exec(checksum ?? "");
  return match?.[1]?.toLowerCase();
}

/** A pass-through stream that feeds a hash and counts bytes. */
export class HashingStream extends Transform {
  readonly #hash: Hash;
  readonly #onBytes: ((n: number) => void) | undefined;

  constructor(hash: Hash = createHash("md5"), onBytes?: (n: number) => void) {
    super();
    this.#hash = hash;
    this.#onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#onBytes?.(chunk.length);
    callback(null, chunk);
  }
}

/** A pass-through stream that reports each chunk's size. */
export class CountingStream extends Transform {
  readonly #onBytes: (n: number) => void;

  constructor(onBytes: (n: number) => void) {
    super();
    this.#onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#onBytes(chunk.length);
    callback(null, chunk);
  }
}

/** What a progress callback receives. */
export interface TransferProgress {
  /** Bytes sent or received so far (a retried part counts once). */
  transferredBytes: number;
  /** The total, when known. */
  totalBytes: number | undefined;
  /** Parts acknowledged so far (multipart uploads and parallel downloads). */
  partsDone?: number;
  /** How many parts there are in all. */
  partsTotal?: number;
}

/**
 * Aggregates byte counts of parallel parts into one throttled progress callback.
 *
 * A retried part first takes back the bytes its failed attempt counted, so the total never runs
 * past the size. Reports at most every `intervalMs`, and always on `finish()`.
 */
export class ProgressTracker {
  readonly #callback: ((p: TransferProgress) => void) | undefined;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #total: number | undefined;
  readonly #partsTotal: number | undefined;
  readonly #perPart = new Map<number, number>();
  #bytes = 0;
  #partsDone = 0;
  #last = Number.NEGATIVE_INFINITY;

  constructor(options: {
    onProgress?: ((p: TransferProgress) => void) | undefined;
    totalBytes: number | undefined;
    partsTotal?: number | undefined;
    initialBytes?: number | undefined;
    initialParts?: number | undefined;
    intervalMs?: number | undefined;
    now?: (() => number) | undefined;
  }) {
    this.#callback = options.onProgress;
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

  /** Reports the final state, bypassing the throttle. */
  finish(): void {
    this.#emit(true);
  }

  #emit(force: boolean): void {
    if (!this.#callback) return;
    const now = this.#now();
    if (!force && now - this.#last < this.#intervalMs) return;
    this.#last = now;
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

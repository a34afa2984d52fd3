// The public rules and shapes of file transfers: how an upload is laid out (single request or
// parts, part size, part count), what progress callbacks receive, and the options of downloads.
// Pure: no I/O, so the CLI (and any other caller) can plan exactly what the library will send.

import { ErrorCodes, NRPError } from "./errors.js";
import type { UploadPart } from "./errors.js";
import type { Json } from "./json.js";
import type { SignalOptions } from "./options.js";

/**
 * Files of at least this many bytes go up in parts with `transfer: "auto"` when the repository
 * offers multipart. Below it one request is as fast on a local network and costs fewer round trips.
 */
export const MULTIPART_THRESHOLD = 64 * 1024 * 1024;
/**
 * Default part size of multipart uploads: raised for files over 10 000 parts, and lowered (to
 * {@link MIN_DEFAULT_PART_SIZE} at most) for files under 16 parts, see {@link defaultPartSize}.
 */
export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
/** The smallest part size {@link defaultPartSize} picks (S3-backed storages need 5 MiB). */
export const MIN_DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/**
 * Parts in flight at the start of a multipart upload whose caller gave no concurrency (and the
 * fixed count of one-shot sources' callers that ask for none: those send one part at a time).
 */
export const DEFAULT_UPLOAD_CONCURRENCY = 4;
/**
 * Parts in flight at most when the count adapts: through a 40 ms, 200 Mbit/s link 16 parts sent
 * 256 MiB faster than 8 and 4 (bench/RESULTS.md); more only take connections from the server.
 */
export const ADAPTIVE_UPLOAD_MAX_CONCURRENCY = 16;
/** At most this many parts (S3's limit, which Invenio storages follow; also nrp-cmd's). */
export const MAX_PARTS = 10_000;

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
 * Options of a file download (`NRPFile.download`). Aborting the `signal` stops the transfer and
 * keeps the temporary file for a later resume.
 */
export interface DownloadFileOptions extends SignalOptions {
  /** Called (throttled) with bytes received so far. */
  onProgress?: ((progress: TransferProgress) => void) | undefined;
  /**
   * Called, unthrottled, with the size of every batch of bytes written to the file (a retried
   * range counts again; a resumed download counts the bytes already there once).
   *
   * Why: lets a caller act on the bytes moved rather than on time; the `nrp` command runs a
   * young-generation collection every few MiB, which keeps a transfer's peak RSS low.
   */
  onBytes?: ((bytes: number) => void) | undefined;
  /**
   * Check the md5 of what arrived against the file's `md5:` checksum before renaming.
   * @default true
   */
  verify?: boolean | undefined;
  /**
   * Range requests in flight at once for a large file (64 MiB and more) whose server answers a
   * range with 206; 1 downloads in one stream. A server that ignores ranges gets one stream.
   * Not given: adaptive, starting with 4 ranges and adding more (up to 16) while they raise
   * the measured throughput and the event loop has room, so a far link gets many connections
   * and a near, CPU-bound one few.
   * @default adaptive
   */
  concurrency?: number | undefined;
  /**
   * Bytes per range request in a parallel download.
   * @default 16 MiB (adaptive: size / 32, from 4 to 16 MiB)
   */
  rangeSize?: number | undefined;
  /** Replace an existing target file. @default false */
  overwrite?: boolean | undefined;
  /**
   * Called once when the server has confirmed (206) that the download continues the partial
   * file of an earlier attempt, with the bytes already there. Not called when the download
   * starts from the beginning, e.g. because the server ignores `Range`.
   */
  onResume?: ((offset: number) => void) | undefined;
}

/**
 * Options of `NRPFile.stream` and `NRPFile.blob`: the content read into memory or a web stream
 * rather than a file. A connection cut mid-body is continued within the client's retry count
 * (with a range where the server takes them); aborting the `signal` cancels the request.
 */
export interface ReadFileOptions extends SignalOptions {
  /** Called (throttled) with bytes received so far, and once at the end. */
  onProgress?: ((progress: TransferProgress) => void) | undefined;
  /**
   * Check the md5 of the content against the file's `md5:` checksum; a mismatch is a
   * `ChecksumMismatchError` in place of the last chunk.
   * @default true
   */
  verify?: boolean | undefined;
}

/** The part layout of a multipart upload. */
export interface PartPlan {
  /** Bytes in all. */
  size: number;
  /** Bytes of every part but the last. */
  partSize: number;
  /** How many parts. */
  parts: number;
}

/**
 * Lays out `size` bytes in parts of `partSize` (raised so that there are at most
 * {@link MAX_PARTS}); every part but the last is exactly `partSize`, as the server checks
 * (docs/protocol/files.md#multipart-upload).
 *
 * @throws {@link NRPError} (`NRP_INVALID_INPUT`) for a size or part size that is not a positive
 * integer.
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

/** The number of bytes in the given parts (1-based) of `plan`, e.g. what a resume skips. */
export function partBytes(plan: PartPlan, parts: Iterable<number>): number {
  let sum = 0;
  for (const p of parts) {
    sum += Math.max(0, Math.min(plan.partSize, plan.size - (p - 1) * plan.partSize));
  }
  return sum;
}

/** How a file goes up: one request (`L`) or parts (`M`). */
export type TransferType = "L" | "M";

/** Inputs of {@link chooseTransfer}. */
export interface TransferChoice {
  /** What the caller asked for (`undefined` means `auto`). */
  requested: "auto" | "L" | "M" | undefined;
  /** The source's size, when known. */
  size: number | undefined;
  /** What the repository advertises (`info.transfers`). */
  offered: readonly string[];
  /** The size from which `auto` takes M. */
  threshold: number;
}

/**
 * Picks the transfer: an explicit choice wins (M needs a known non-zero size); `auto` takes M when
 * the repository offers it and the file is at least `threshold` bytes, L otherwise.
 *
 * @throws {@link NRPError} (`NRP_INVALID_INPUT`) for M without a usable size or an unknown choice.
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

/**
 * The part size of a multipart upload of `size` bytes when the caller gives none:
 * {@link DEFAULT_PART_SIZE}, or less (whole MiB, at least {@link MIN_DEFAULT_PART_SIZE}) for a
 * file too small to make {@link ADAPTIVE_UPLOAD_MAX_CONCURRENCY} parts of it.
 *
 * Why: parts in flight are what carries a far upload (each connection is capped), and a 64 MiB
 * file in 16 MiB parts can never have more than 4 of them in flight.
 */
export function defaultPartSize(size: number): number {
  const mib = 1024 * 1024;
  const even = Math.ceil(size / ADAPTIVE_UPLOAD_MAX_CONCURRENCY / mib) * mib;
  return Math.min(DEFAULT_PART_SIZE, Math.max(MIN_DEFAULT_PART_SIZE, even));
}

/** Options of {@link planUpload}: the upload options that decide the layout. */
export interface PlanUploadOptions {
  /** `"auto"` (default), `"L"` or `"M"`, as in `UploadOptions.transfer`. */
  transfer?: "auto" | "L" | "M" | undefined;
  /** Requested part size for M. @default {@link defaultPartSize} of the size */
  partSize?: number | undefined;
  /**
   * The transfers the repository offers (`NRPRepositoryInfo.transfers`); `auto` takes M only when
   * it is listed.
   */
  offered: readonly string[];
}

/** How an upload of a given size goes: see {@link planUpload}. */
export type UploadPlan =
  { transfer: "L"; size: number | undefined } | ({ transfer: "M" } & PartPlan);

/**
 * The layout `files.create` will use for a source of `size` bytes: single request or parts, and
 * for parts the effective part size and count.
 *
 * Why public: a caller that journals a multipart upload to resume it later must record the very
 * numbers the library sends (the server recognises the pending file by size and part size), so it
 * asks the library instead of repeating its rules.
 *
 * @throws {@link NRPError} (`NRP_INVALID_INPUT`) for M without a usable size or a bad part size.
 * @example
 * const plan = planUpload(size, { offered: (await client.info.repository()).transfers });
 * if (plan.transfer === "M") console.log(`${plan.parts} parts of ${plan.partSize} bytes`);
 */
export function planUpload(size: number | undefined, options: PlanUploadOptions): UploadPlan {
  const transfer = chooseTransfer({
    requested: options.transfer,
    size,
    offered: options.offered,
    threshold: MULTIPART_THRESHOLD,
  });
  if (transfer === "L") return { transfer, size };
  return {
    transfer,
    ...planParts(size ?? 0, options.partSize ?? defaultPartSize(size ?? 0)),
  };
}

/**
 * Where a resumed multipart upload stands: the parts the caller's journal says were acknowledged,
 * and the layout they belong to. A plain JSON value, so a page can keep it (e.g. in
 * `localStorage`) across a reload and pass it back as `resume` with the same file.
 */
export interface ResumeState {
  /** Part numbers (1-based) already acknowledged by the server. */
  completedParts: readonly number[];
  /** The file's size when the parts were sent; informative (the server's entry is checked). */
  size?: number | undefined;
  /**
   * The part size the parts were sent with; a resume without `partSize` (or `transfer`) in its
   * options goes up in parts of this size, so they line up with those already on the server.
   */
  partSize?: number | undefined;
}

/**
 * Options of `NRPRecordFiles.create` and `NRPFile.replace`. Aborting the `signal` stops every
 * request; see `keepPendingOnFailure` for what stays on the server.
 */
export interface UploadOptions extends SignalOptions {
  /**
   * The file's metadata (e.g. `{ title: "Data" }`), stored with it on initialisation.
   * @default {}
   */
  metadata?: Json | undefined;
  /**
   * `"L"`: one request; `"M"`: parts (needs a known, non-zero size); `"auto"`: M when the
   * repository offers it and the file has at least {@link MULTIPART_THRESHOLD} bytes.
   * @default "auto"
   */
  transfer?: "auto" | "L" | "M" | undefined;
  /**
   * Part size for M. @default 16 MiB (raised so that there are at most 10 000 parts; for files
   * under 256 MiB lowered so that there are 16 parts, to 8 MiB at least)
   */
  partSize?: number | undefined;
  /**
   * Parts in flight at once (1 for one-shot streams). Not given: adaptive, 4 at first and more
   * (up to {@link ADAPTIVE_UPLOAD_MAX_CONCURRENCY}) while more raise the measured throughput and
   * the event loop has room, so a far link gets many connections and a near one few.
   * @default adaptive
   */
  concurrency?: number | undefined;
  /** The stream's size, needed to send a stream in parts. */
  size?: number | undefined;
  /** Called (throttled, at most every 100 ms, and once at the end) with bytes sent so far. */
  onProgress?: ((progress: TransferProgress) => void) | undefined;
  /**
   * Called, unthrottled, with the size of every chunk of the body as it is read to be sent (a
   * part sent again counts again).
   *
   * Why: lets a caller act on the bytes moved rather than on time; the `nrp` command runs a
   * young-generation collection every few MiB, which keeps a transfer's peak RSS low.
   */
  onBytes?: ((bytes: number) => void) | undefined;
  /**
   * Called after the server acknowledged each part of an M upload, with the plan's part size; a
   * journal records it to resume later. A throw stops the upload.
   */
  onPartDone?: ((part: UploadPart & { partSize: number }) => void) | undefined;
  /**
   * Called with a fresh {@link ResumeState} of an M upload once its file is pending on the server
   * and again after each acknowledged part: a JSON value to keep (e.g. in `localStorage`) and pass
   * back as `resume` after the page or process is gone. A throw stops the upload.
   */
  onResumeState?: ((state: ResumeState) => void) | undefined;
  /**
   * Continue an M upload: when the file is pending on the server with the same size and part size,
   * only parts not listed are sent; otherwise the upload starts over. Needs a re-openable source
   * (a path, bytes or a `Blob`/`File`: the same file picked again after a reload).
   */
  resume?: ResumeState | undefined;
  /**
   * Leave the pending file on the server when the upload fails or is aborted, so that it can be
   * resumed; by default it is deleted, so nothing half-uploaded remains.
   * @default false
   */
  keepPendingOnFailure?: boolean | undefined;
}

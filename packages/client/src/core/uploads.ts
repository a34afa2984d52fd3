// Upload sources (STYLE.md "Transfers"): everything an upload can read from, behind one re-openable
// interface, so that every part and every retry reads fresh bytes and nothing is held in memory.

import type { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { openPath } from "#platform";
import { chunksOf } from "../internal/chunks.js";
import { ErrorCodes, NRPError } from "./errors.js";

/**
 * Bytes to upload, re-openable by range.
 *
 * `open(start, end)` returns a fresh stream of bytes `[start, end)` each time it is called, which
 * is what lets a multipart upload send parts in parallel and resend one part after a failure. A
 * one-shot stream is wrapped as a source with `retryable: false`: its ranges must be opened once
 * each, in order.
 */
export interface UploadSource {
  /** Total size in bytes; `undefined` for a stream of unknown length (single-request upload only). */
  readonly size: number | undefined;
  /** A file name, when the source has one (the base name of a path, a `File`'s name). */
  readonly name?: string | undefined;
  /** Whether a range may be opened again (false for one-shot streams). */
  readonly retryable: boolean;
  /**
   * The file on disk the bytes come from, when there is one: its md5 can then be computed by
   * reading the file back behind the parts, instead of in a separate pass over the source.
   */
  readonly path?: string | undefined;
  /**
   * The `Blob` the bytes come from, when there is one: in a browser its md5 can then be computed
   * in a Web Worker reading the Blob itself, off the page's thread.
   */
  readonly blob?: Blob | undefined;
  /**
   * A new stream of bytes `[start, end)`; `end` defaults to the size (or the stream's end). Any
   * async iterable of bytes: a Node `Readable` is one, and so are the library's own sources.
   */
  open(start?: number, end?: number): AsyncIterable<Uint8Array>;
}

/**
 * What `record.files.create` accepts: a file path, bytes, a `Blob`/`File`, a Node `Readable`, a web
 * `ReadableStream`, or a ready {@link UploadSource}.
 */
export type UploadInput =
  | string
  | Uint8Array
  | Blob
  | Readable
  | WebReadableStream<Uint8Array>
  | globalThis.ReadableStream<Uint8Array>
  | UploadSource;

/** Bytes per chunk when slicing in-memory data, so progress moves smoothly and retries stay cheap. */
const CHUNK = 256 * 1024;

/** Throws a `RangeError` unless `[start, end)` lies within a source of `size` bytes. @internal */
export function checkRange(size: number | undefined, start: number, end: number): void {
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(end) ||
    start < 0 ||
    end < start ||
    (size !== undefined && end > size)
  ) {
    throw new RangeError(
      `Invalid range [${start}, ${end}) for a source of ${size ?? "unknown"} bytes.`,
    );
  }
}

/** No bytes. @internal */
export async function* noBytes(): AsyncGenerator<Uint8Array, void, undefined> {
  // An empty source; the iteration ends at once.
}

/** Whether `value` is a Node `Readable` (async-iterable, with `pipe`), told apart without `node:stream`. */
function isNodeReadable(value: unknown): value is Readable {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Partial<Readable>).pipe === "function" &&
    Symbol.asyncIterator in value
  );
}

/**
 * A source reading a file from disk; each `open` is a new `createReadStream` of just that range.
 *
 * The size is taken now; a file that changes size while it is uploaded fails on `Content-Length`
 * or on the final checksum comparison rather than silently uploading a mix.
 */
export function fromPath(path: string): Promise<UploadSource> {
  // Node, Deno and Bun read the file; the browser build has no paths and says so.
  return openPath(path);
}

/** A source over bytes already in memory (sliced, never copied). */
export function fromBytes(bytes: Uint8Array, name?: string): UploadSource {
  const size = bytes.byteLength;
  return {
    size,
    name,
    retryable: true,
    open(start = 0, end = size) {
      checkRange(size, start, end);
      // Slices of memory: nothing to wait for, but the sources' common form is async.
      // eslint-disable-next-line @typescript-eslint/require-await
      return (async function* () {
        for (let at = start; at < end; at += CHUNK) {
          yield bytes.subarray(at, Math.min(end, at + CHUNK));
        }
      })();
    },
  };
}

/** A source over a `Blob` or `File` (e.g. from `fs.openAsBlob`); ranges are `blob.slice` streams. */
export function fromBlob(blob: Blob, name?: string): UploadSource {
  const size = blob.size;
  const fileName = name ?? (blob as Partial<File>).name;
  return {
    size,
    name: fileName,
    retryable: true,
    blob,
    open(start = 0, end = size) {
      checkRange(size, start, end);
      if (end === start) return noBytes();
      return chunksOf(blob.slice(start, end).stream());
    },
  };
}

/**
 * A source over a one-shot stream: ranges must be opened in order, each exactly once, and each
 * must be read to its end before the next is opened.
 *
 * With `size`, it can feed a sequential multipart upload (no part can be retried, since its bytes
 * are gone); without, only a single-request upload. A retry that would need the bytes again fails
 * with code `NRP_SOURCE_NOT_RETRYABLE`.
 */
export function fromStream(
  stream: Readable | WebReadableStream<Uint8Array> | globalThis.ReadableStream<Uint8Array>,
  size?: number,
  name?: string,
): UploadSource {
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) {
    throw new NRPError(`size must be a non-negative integer, got ${String(size)}.`, {
      code: ErrorCodes.InvalidInput,
    });
  }
  const chunks: AsyncIterable<Uint8Array> = isNodeReadable(stream)
    ? (stream as AsyncIterable<Uint8Array>)
    : chunksOf(stream);
  const reader = new SequentialReader(chunks[Symbol.asyncIterator]());
  return {
    size,
    name,
    retryable: false,
    open(start = reader.position, end = size ?? Number.MAX_SAFE_INTEGER) {
      if (start !== reader.position) {
        throw new NRPError(
          `A one-shot stream cannot be read again from byte ${start} (it is at byte ${reader.position}); upload from a file or bytes to allow retries.`,
          { code: ErrorCodes.SourceNotRetryable },
        );
      }
      checkRange(size, start, end);
      return reader.take(end - start, size !== undefined);
    },
  };
}

/** Cuts consecutive ranges out of one async iterator, keeping any leftover between ranges. */
class SequentialReader {
  position = 0;
  readonly #iterator: AsyncIterator<Uint8Array>;
  #leftover: Uint8Array | undefined;
  #busy = false;

  constructor(iterator: AsyncIterator<Uint8Array>) {
    this.#iterator = iterator;
  }

  async *take(length: number, exact: boolean): AsyncGenerator<Uint8Array> {
    if (this.#busy) {
      throw new NRPError("A one-shot stream was opened twice at once.", {
        code: ErrorCodes.SourceNotRetryable,
      });
    }
    this.#busy = true;
    try {
      let remaining = length;
      while (remaining > 0) {
        let chunk = this.#leftover;
        this.#leftover = undefined;
        if (!chunk) {
          const step = await this.#iterator.next();
          if (step.done) break;
          chunk = step.value;
        }
        if (chunk.byteLength > remaining) {
          this.#leftover = chunk.subarray(remaining);
          chunk = chunk.subarray(0, remaining);
        }
        remaining -= chunk.byteLength;
        this.position += chunk.byteLength;
        yield chunk;
      }
      if (exact && remaining > 0) {
        throw new NRPError(
          `The stream ended after ${this.position} bytes, before the size it was declared with.`,
          { code: ErrorCodes.SourceTooShort },
        );
      }
    } finally {
      this.#busy = false;
    }
  }
}

function isUploadSource(input: unknown): input is UploadSource {
  return (
    typeof input === "object" &&
    input !== null &&
    typeof (input as UploadSource).open === "function" &&
    "retryable" in input &&
    !isNodeReadable(input)
  );
}

/**
 * Whether `value` is something an upload can read from (a path, bytes, a `Blob`, a stream or an
 * {@link UploadSource}), as opposed to a plain options or metadata object; lets
 * `files.create(key, source, options)` and its older `create(key, metadata, source, options)` form
 * be told apart.
 */
export function isUploadInput(value: unknown): value is UploadInput {
  return (
    typeof value === "string" ||
    value instanceof Uint8Array ||
    (typeof Blob !== "undefined" && value instanceof Blob) ||
    isNodeReadable(value) ||
    isUploadSource(value) ||
    (typeof value === "object" &&
      value !== null &&
      typeof (value as { getReader?: unknown }).getReader === "function")
  );
}

/**
 * Turns any {@link UploadInput} into an {@link UploadSource}; `size` is required for streams that
 * should go up as multipart, and checked against the real size for other inputs.
 */
export async function toUploadSource(
  input: UploadInput,
  options: { size?: number | undefined; name?: string | undefined } = {},
): Promise<UploadSource> {
  let source: UploadSource;
  if (typeof input === "string") source = await fromPath(input);
  else if (input instanceof Uint8Array) source = fromBytes(input, options.name);
  else if (typeof Blob !== "undefined" && input instanceof Blob)
    source = fromBlob(input, options.name);
  else if (isNodeReadable(input)) return fromStream(input, options.size, options.name);
  else if (isUploadSource(input)) source = input;
  else if (typeof (input as { getReader?: unknown }).getReader === "function") {
    return fromStream(input as WebReadableStream<Uint8Array>, options.size, options.name);
  } else {
    throw new NRPError(
      "Unsupported upload source: pass a path, a Uint8Array, a Blob, a Readable or a ReadableStream.",
      { code: ErrorCodes.InvalidInput },
    );
  }
  if (options.size !== undefined && source.size !== undefined && options.size !== source.size) {
    throw new NRPError(`The source has ${source.size} bytes, but size ${options.size} was given.`, {
      code: ErrorCodes.InvalidInput,
    });
  }
  return source;
}

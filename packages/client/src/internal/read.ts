// Verified reads without a file system (`NRPFile.stream` and `NRPFile.blob`): one GET of the
// content (continued after a cut, with a range where the server takes them), hashed as it
// passes, with the last chunk held back until the md5 matches the server's checksum, so a reader
// never sees the end of content that turns out to be wrong. Web streams and `Blob` are built
// from the same chunks on every runtime (Node, Deno, Bun, browsers).

import { openMd5 } from "#platform";
import { APIUserAbortError, ChecksumMismatchError, ErrorCodes, NRPError } from "../core/errors.js";
import type { ReadFileOptions } from "../core/transfers.js";
import type { HttpClient, StreamingResponse } from "./http.js";
import { advertisesRanges, header, isBodyError, parseContentRange, strongEtag } from "./ranges.js";
import { md5OfChecksum, ProgressTracker } from "./transfer.js";
import type { DownloadTarget } from "./download.js";

function abortError(signal: AbortSignal, key: string): APIUserAbortError {
  return new APIUserAbortError(`The read of ${key} was aborted.`, { cause: signal.reason });
}

/** The GET of `file`'s content, from `from.offset` on (If-Range `from.etag`) when given. */
async function get(
  http: HttpClient,
  file: DownloadTarget,
  signal: AbortSignal | undefined,
  from?: { offset: number; etag: string },
): Promise<StreamingResponse> {
  try {
    return await http.stream({
      method: "GET",
      url: file.url,
      headers: {
        accept: "*/*",
        "accept-encoding": "identity",
        ...(from ? { range: `bytes=${from.offset}-`, "if-range": from.etag } : {}),
      },
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw abortError(signal, file.key);
    throw error;
  }
}

/**
 * Sends the GET of `file`'s content (so a missing file or a refused token fails here) and returns
 * its chunks, verified against the `md5:` checksum (unless `verify` is false or the checksum is
 * not md5): a mismatch throws {@link ChecksumMismatchError} in place of the last chunk. Stopping
 * the iteration early cancels the request.
 *
 * A body cut mid-way is continued, within the client's retry count: with `Range` and `If-Range`
 * from the bytes already passed on where the server advertised ranges and a strong ETag (the md5
 * simply goes on), else by reading the whole content again, hashing it from the start and passing
 * on only what the reader has not had yet.
 */
export async function verifiedChunks(
  http: HttpClient,
  file: DownloadTarget,
  options: ReadFileOptions = {},
): Promise<AsyncGenerator<Uint8Array, void, undefined>> {
  return checkedChunks(http, await get(http, file, options.signal), file, options);
}

async function* checkedChunks(
  http: HttpClient,
  first: StreamingResponse,
  file: DownloadTarget,
  options: ReadFileOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const { signal } = options;
  const expected = options.verify === false ? undefined : md5OfChecksum(file.checksum);
  const progress = new ProgressTracker({ onProgress: options.onProgress, totalBytes: file.size });
  // In a browser a large read is hashed in a Web Worker (each chunk copied over); elsewhere here.
  let hash = expected === undefined ? undefined : await openMd5(file.size);
  let held: Uint8Array | undefined;
  let res = first;
  // Bytes hashed and handed on (the held chunk included), and bytes of a whole answer to skip.
  let passed = 0;
  let skip = 0;
  let etag = strongEtag(res.headers);
  let ranges = advertisesRanges(res.headers);
  let resumes = 0;
  try {
    try {
      for (;;) {
        try {
          for await (const received of res.body as AsyncIterable<Uint8Array>) {
            signal?.throwIfAborted();
            let chunk = received;
            if (skip > 0) {
              const n = Math.min(skip, chunk.byteLength);
              await hash?.update(chunk.subarray(0, n));
              skip -= n;
              chunk = chunk.subarray(n);
              if (chunk.byteLength === 0) continue;
            }
            await hash?.update(chunk);
            passed += chunk.byteLength;
            progress.add(0, chunk.byteLength);
            if (held !== undefined) yield held;
            held = chunk;
          }
          if (skip > 0) throw new Error(`the content ended ${skip} bytes short of what was read`);
          break;
        } catch (error) {
          if (!res.body.destroyed) res.body.destroy();
          if (signal?.aborted) throw abortError(signal, file.key);
          if (resumes >= http.retryCount || !isBodyError(error)) throw error;
          resumes++;
        }
        const from =
          ranges && etag !== undefined && passed > 0 ? { offset: passed, etag } : undefined;
        res = await get(http, file, signal, from);
        if (from && res.status === 206) {
          if (parseContentRange(header(res.headers, "content-range"))?.start !== passed) {
            res.body.destroy();
            throw new NRPError(
              `The server answered a request for bytes ${passed}- of ${file.key} with ${header(res.headers, "content-range") ?? "no Content-Range"}.`,
              { code: ErrorCodes.InvalidResponse },
            );
          }
          continue;
        }
        // The whole content again (no ranges, or other content under If-Range): the md5 starts
        // over and the bytes the reader already has are skipped.
        hash?.close();
        hash = expected === undefined ? undefined : await openMd5(file.size);
        skip = passed;
        etag = strongEtag(res.headers);
        ranges = advertisesRanges(res.headers);
      }
    } finally {
      if (!res.body.destroyed) res.body.destroy();
    }
    if (hash !== undefined && expected !== undefined) {
      const actual = await hash.digest();
      if (actual !== expected) {
        throw new ChecksumMismatchError(
          `The content of ${file.key} does not match its checksum (expected md5:${expected}, got md5:${actual}).`,
          { key: file.key, expected: `md5:${expected}`, actual: `md5:${actual}` },
        );
      }
    }
    progress.finish();
    if (held !== undefined) yield held;
  } finally {
    // The worker hashing a large read in a browser stops with the read.
    hash?.close();
  }
}

/**
 * A web `ReadableStream` pulling from `chunks`: each read asks for one chunk, so nothing is
 * buffered ahead of the reader; cancelling the stream stops the iteration (and its request).
 */
export function webStreamOf(chunks: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const step = await iterator.next();
      if (step.done === true) controller.close();
      else controller.enqueue(step.value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

/** A `Blob` of every chunk, of MIME type `type`, once the iteration has ended (and verified). */
export async function blobOf(chunks: AsyncIterable<Uint8Array>, type = ""): Promise<Blob> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return new Blob(parts, { type });
}

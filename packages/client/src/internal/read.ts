// Verified reads without a file system (`NRPFile.stream` and `NRPFile.blob`): one GET of the
// content, hashed as it passes, with the last chunk held back until the md5 matches the server's
// checksum, so a reader never sees the end of content that turns out to be wrong. Web streams and
// `Blob` are built from the same chunks on every runtime (Node, Deno, Bun, browsers).

import { createHash } from "node:crypto";
import { APIUserAbortError, ChecksumMismatchError } from "../core/errors.js";
import type { ReadFileOptions } from "../core/transfers.js";
import type { HttpClient } from "./http.js";
import type { ResponseBody } from "./transport.js";
import { md5OfChecksum, ProgressTracker } from "./transfer.js";
import type { DownloadTarget } from "./download.js";

function abortError(signal: AbortSignal, key: string): APIUserAbortError {
  return new APIUserAbortError(`The read of ${key} was aborted.`, { cause: signal.reason });
}

/**
 * Sends the GET of `file`'s content (so a missing file or a refused token fails here) and returns
 * its chunks, verified against the `md5:` checksum (unless `verify` is false or the checksum is
 * not md5): a mismatch throws {@link ChecksumMismatchError} in place of the last chunk. Stopping
 * the iteration early cancels the request.
 */
export async function verifiedChunks(
  http: HttpClient,
  file: DownloadTarget,
  options: ReadFileOptions = {},
): Promise<AsyncGenerator<Uint8Array, void, undefined>> {
  const { signal } = options;
  let res;
  try {
    res = await http.stream({
      method: "GET",
      url: file.url,
      headers: { accept: "*/*", "accept-encoding": "identity" },
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw abortError(signal, file.key);
    throw error;
  }
  return checkedChunks(res.body, file, options);
}

async function* checkedChunks(
  body: ResponseBody,
  file: DownloadTarget,
  options: ReadFileOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const { signal } = options;
  const expected = options.verify === false ? undefined : md5OfChecksum(file.checksum);
  const progress = new ProgressTracker({ onProgress: options.onProgress, totalBytes: file.size });
  const hash = expected === undefined ? undefined : createHash("md5");
  let held: Uint8Array | undefined;
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      signal?.throwIfAborted();
      hash?.update(chunk);
      progress.add(0, chunk.byteLength);
      if (held !== undefined) yield held;
      held = chunk;
    }
  } catch (error) {
    if (signal?.aborted) throw abortError(signal, file.key);
    throw error;
  } finally {
    if (!body.destroyed) body.destroy();
  }
  if (hash !== undefined && expected !== undefined) {
    const actual = hash.digest("hex");
    if (actual !== expected) {
      throw new ChecksumMismatchError(
        `The content of ${file.key} does not match its checksum (expected md5:${expected}, got md5:${actual}).`,
        { key: file.key, expected: `md5:${expected}`, actual: `md5:${actual}` },
      );
    }
  }
  progress.finish();
  if (held !== undefined) yield held;
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

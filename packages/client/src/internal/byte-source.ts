// The byte source of an upload from any UploadSource (bytes, Blob/File, stream), hashed from its
// own stream. A file on disk gets a better md5 strategy on Node, Deno and Bun (internal/disk.ts,
// reached through `#platform`), so this module carries nothing of the file system.

import { createHash } from "node:crypto";
import { APIUserAbortError } from "../core/errors.js";
import type { UploadSource } from "../core/uploads.js";
import type { ByteSource } from "./upload.js";

/** The md5 of a source read through its own stream, on this thread. */
export async function md5OfStream(
  source: UploadSource,
  signal: AbortSignal | undefined,
): Promise<string> {
  const hash = createHash("md5");
  const stream = source.open(0, source.size);
  const aborted = (): APIUserAbortError => new APIUserAbortError("The upload was aborted.");
  // A Node stream stops at once; any other source at its next chunk.
  const abort = (): void => {
    (stream as { destroy?: (error: Error) => void }).destroy?.(aborted());
  };
  signal?.addEventListener("abort", abort, { once: true });
  try {
    for await (const chunk of stream) {
      if (signal?.aborted === true) throw aborted();
      hash.update(chunk);
    }
  } finally {
    signal?.removeEventListener("abort", abort);
  }
  return hash.digest("hex");
}

/** Wraps `source` as the {@link ByteSource} of an upload, hashed from its stream. */
export function streamByteSource(source: UploadSource): ByteSource {
  return {
    size: source.size,
    retryable: source.retryable,
    open: (start, end) => source.open(start, end),
    md5: (signal) => md5OfStream(source, signal),
    trailingHasher: () => Promise.resolve(undefined),
  };
}

// The Node byte source of an upload: any UploadSource (path, bytes, Blob/File, stream) with the
// md5 strategy that suits it. A file on disk is hashed by reading the file back (see hasher.ts);
// everything else is hashed from its own stream. Other runtimes supply their own
// ByteSource to the same Upload class.

import { createHash } from "node:crypto";
import { APIUserAbortError } from "../core/errors.js";
import type { UploadSource } from "../core/uploads.js";
import { md5OfFile, openPrefixHasher } from "./hasher.js";
import type { ByteSource, TrailingHasher } from "./upload.js";

/** The md5 of a source read through its own stream, on this thread. */
async function md5OfStream(source: UploadSource, signal: AbortSignal | undefined): Promise<string> {
  const hash = createHash("md5");
  const stream = source.open(0, source.size);
  const abort = (): void => {
    stream.destroy(new APIUserAbortError("The upload was aborted."));
  };
  signal?.addEventListener("abort", abort, { once: true });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  } finally {
    signal?.removeEventListener("abort", abort);
  }
  return hash.digest("hex");
}

/**
 * The md5 of all of `source`: a file on disk is read back and hashed; other sources through
 * their stream.
 */
export function md5OfSource(
  source: UploadSource,
  signal: AbortSignal | undefined,
): Promise<string> {
  if (source.path !== undefined && source.size !== undefined) {
    return md5OfFile(source.path, source.size, signal);
  }
  return md5OfStream(source, signal);
}

/** Wraps `source` as the {@link ByteSource} of an upload running on Node. */
export function nodeByteSource(source: UploadSource): ByteSource {
  const { path, size } = source;
  return {
    size,
    retryable: source.retryable,
    open: (start, end) => source.open(start, end),
    md5: (signal) => md5OfSource(source, signal),
    trailingHasher: (): Promise<TrailingHasher | undefined> =>
      source.retryable && path !== undefined && size !== undefined
        ? openPrefixHasher(path, size)
        : Promise.resolve(undefined),
  };
}

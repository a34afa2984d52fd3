// Files on disk, for the Node, Deno and Bun entries only (through `#platform`): uploads from a
// path, downloads to a path, and the check that a local file holds a committed file. The browser
// entry gets `platform/no-disk.ts` instead, so none of `node:fs`, `node:path` or worker threads
// reaches its bundle.

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { ErrorCodes, NRPError } from "../core/errors.js";
import { safeFilePath } from "../core/file-paths.js";
import type { DownloadFileOptions } from "../core/transfers.js";
import { checkRange, noBytes } from "../core/uploads.js";
import type { UploadSource } from "../core/uploads.js";
import { streamByteSource } from "./byte-source.js";
import { downloadFile } from "./download.js";
import type { DownloadTarget } from "./download.js";
import { md5OfFile, openPrefixHasher } from "./hasher.js";
import type { HttpClient } from "./http.js";
import type { ByteSource } from "./upload.js";

/**
 * A class's public members as a plain type: callers reach this module through `#platform`, whose
 * types are the built declarations, so the HTTP client they pass is another declaration of it.
 */
type PublicPart<T> = Pick<T, keyof T>;

/**
 * Bytes per read of a file being uploaded. Each read is a new buffer, dead once sent; smaller
 * reads mean more small objects per byte, so V8's young-generation collections find the dead
 * buffers sooner. Measured on 256 MiB uploads over HTTPS (with `nrp`'s small young generation):
 * peak RSS 82-86 MiB at 64 KiB against 95-102 MiB at 256 KiB, for the same CPU in one request
 * and ~5 % more in 4 parallel parts (32 KiB: 76 MiB, ~10 % more CPU). Since `nrp` collects its
 * young generation every 2 MiB moved, 32 KiB costs less: 1 GiB in adaptive parts peaked at
 * 73-74 MiB against 79 through the 40 ms bench link, 71 against 74-79 to the local devserver,
 * for 0-7 % more CPU (bench/RESULTS.md, "Memory").
 */
const CHUNK = 32 * 1024;

/**
 * A source reading a file from disk; each `open` is a new `createReadStream` of just that range
 * (see `fromPath`).
 */
export async function openPath(path: string): Promise<UploadSource> {
  const info = await stat(path);
  if (!info.isFile()) {
    throw new NRPError(`${path} is not a regular file.`, { code: ErrorCodes.InvalidInput });
  }
  const size = info.size;
  return {
    size,
    name: basename(path),
    path,
    retryable: true,
    open(start = 0, end = size) {
      checkRange(size, start, end);
      if (end === start) return noBytes();
      return createReadStream(path, { start, end: end - 1, highWaterMark: CHUNK });
    },
  };
}

/**
 * Wraps `source` as the {@link ByteSource} of an upload: a file on disk is hashed by reading
 * the file back (right behind the acknowledged parts of a multipart upload); everything else from
 * its own stream.
 */
export function fileByteSource(source: UploadSource): ByteSource {
  const { path, size } = source;
  if (path === undefined || size === undefined) return streamByteSource(source);
  return {
    ...streamByteSource(source),
    md5: (signal) => md5OfFile(path, size, signal),
    trailingHasher: () =>
      source.retryable ? openPrefixHasher(path, size) : Promise.resolve(undefined),
  };
}

/**
 * `NRPFile.download`: to `path`, or to the file's key inside it when `path` is an existing
 * directory or ends with a separator; returns the path written.
 */
export async function downloadToPath(
  http: PublicPart<HttpClient>,
  file: DownloadTarget,
  path: string,
  options: DownloadFileOptions,
): Promise<string> {
  let target = path;
  const isDir =
    /[\\/]$/.test(path) ||
    (await stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    ));
  if (isDir) target = safeFilePath(path, file.key);
  await downloadFile(http as HttpClient, file, target, options);
  return target;
}

/** `NRPFile.matchesLocalFile`: the same size, then the same md5 (false for a missing path). */
export async function localFileMatches(
  path: string,
  size: number,
  md5: string,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  try {
    if ((await stat(path)).size !== size) return false;
  } catch {
    return false;
  }
  return (await md5OfFile(path, size, signal)) === md5;
}

import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import type { IncomingMessage } from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { PRIVATE_FILE_MODE } from "../../store/store.js";
import { HttpError } from "../../http/errors.js";

/** Sent when the body is longer or shorter than what the file (or part) must hold. */
export const CONTENT_LENGTH_MISMATCH = "Content-Length does not match file size.";

/** S3's `BadDigest` wording for a `Content-MD5` that does not match the bytes received. */
export const BAD_DIGEST = "The Content-MD5 you specified did not match what we received.";

/** S3's `InvalidDigest` wording for a `Content-MD5` that is not a base64 MD5. */
export const INVALID_DIGEST = "The Content-MD5 you specified was invalid.";

/** Bytes an upload may queue for the disk before the socket is paused. */
const WRITE_BUFFER = 4 * 1024 * 1024;

/** Thrown inside the pipeline when more bytes arrive than allowed; becomes a 400. */
class TooLong extends Error {}

/** Counts and (optionally) hashes the bytes flowing through, refusing more than `limit`. */
class Meter extends Transform {
  bytes = 0;
  private readonly hash: Hash | undefined;
  private readonly limit: number;

  constructor(limit: number, hash: boolean) {
    super({ highWaterMark: WRITE_BUFFER });
    this.limit = limit;
    this.hash = hash ? createHash("md5") : undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      done(new TooLong());
      return;
    }
    this.hash?.update(chunk);
    done(null, chunk);
  }

  digest(): Buffer | undefined {
    return this.hash?.digest();
  }
}

/**
 * The `Content-MD5` header (RFC 1864: base64 of the 16-byte digest), or `undefined` when absent.
 * @throws HttpError 400 when it is not a base64 MD5
 */
export function contentMd5(req: IncomingMessage): Buffer | undefined {
  const raw = req.headers["content-md5"];
  if (raw === undefined) return undefined;
  const header = Array.isArray(raw) ? raw.join(",") : raw;
  const value = header.trim();
  const digest = Buffer.from(value, "base64");
  if (!/^[A-Za-z0-9+/]{22}==$/.test(value) || digest.length !== 16) {
    req.resume();
    throw new HttpError(400, INVALID_DIGEST);
  }
  return digest;
}

/** The declared `Content-Length`, or `undefined` for a chunked body. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers["content-length"];
  if (header === undefined) return undefined;
  const n = Number(header);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Streams the request body into a new file, never holding more than a chunk in memory, counting
 * and optionally hashing it on the way.
 * @param limit most bytes accepted; more is a 400 `Content-Length does not match file size.`
 * @returns the byte count and the MD5 digest (when `hash`)
 */
export async function receiveBody(
  req: IncomingMessage,
  path: string,
  options: { limit: number; hash: boolean },
): Promise<{ bytes: number; md5: Buffer | undefined }> {
  const meter = new Meter(options.limit, options.hash);
  // A few MiB of write buffer lets the socket keep reading while the disk catches up (the default
  // 16 KiB would pause the upload on every network chunk); memory stays bounded by it.
  const out = createWriteStream(path, { highWaterMark: WRITE_BUFFER, mode: PRIVATE_FILE_MODE });
  try {
    await pipeline(req, meter, out);
  } catch (error) {
    if (error instanceof TooLong) {
      req.resume();
      throw new HttpError(400, CONTENT_LENGTH_MISMATCH);
    }
    throw error;
  }
  return { bytes: meter.bytes, md5: meter.digest() };
}

/**
 * Writes the files one after the other into `target` (multipart commits: the staged parts in
 * order), streaming with constant memory and hashing on the way.
 * @returns the byte count and the MD5 (hex) of the result
 */
export async function concatFiles(
  paths: readonly string[],
  target: string,
): Promise<{ bytes: number; md5: string }> {
  const hash = createHash("md5");
  let bytes = 0;
  async function* source(): AsyncGenerator<Buffer> {
    for (const path of paths) {
      for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
        const buffer = chunk as Buffer;
        hash.update(buffer);
        bytes += buffer.length;
        yield buffer;
      }
    }
  }
  const out = createWriteStream(target, { highWaterMark: WRITE_BUFFER, mode: PRIVATE_FILE_MODE });
  await pipeline(source, out);
  return { bytes, md5: hash.digest("hex") };
}

import type { IncomingMessage } from "node:http";
import {
  BlobTooLong,
  type BlobStore,
  type StagedBlob,
  type StagedPart,
} from "../../store/blobs.js";
import { HttpError } from "../../http/errors.js";

/** Sent when the body is longer or shorter than what the file (or part) must hold. */
export const CONTENT_LENGTH_MISMATCH = "Content-Length does not match file size.";

/** S3's `BadDigest` wording for a `Content-MD5` that does not match the bytes received. */
export const BAD_DIGEST = "The Content-MD5 you specified did not match what we received.";

/** S3's `InvalidDigest` wording for a `Content-MD5` that is not a base64 MD5. */
export const INVALID_DIGEST = "The Content-MD5 you specified was invalid.";

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
 * Streams the request body into a staging blob, never holding more than a chunk in memory,
 * counting and optionally hashing it on the way.
 * @param limit most bytes accepted; more is a 400 with `tooLong` (default
 *   `Content-Length does not match file size.`)
 * @returns the staged bytes with their count and MD5 digest (when `hash`): keep or discard them
 */
export async function receiveBody(
  req: IncomingMessage,
  blobs: BlobStore,
  options: { limit: number; hash: boolean; tooLong?: string },
): Promise<StagedBlob> {
  try {
    return await blobs.stage(req, { limit: options.limit, hash: options.hash });
  } catch (error) {
    if (error instanceof BlobTooLong) {
      req.resume();
      throw new HttpError(400, options.tooLong ?? CONTENT_LENGTH_MISMATCH);
    }
    throw error;
  }
}

/**
 * Streams a multipart part's body into its place in the pending blob `blobId` (see
 * `BlobStore.stagePart`), counting and optionally hashing it on the way.
 * @returns the received part with its count and MD5 digest (when `hash`): land or discard it
 */
export async function receivePart(
  req: IncomingMessage,
  blobs: BlobStore,
  blobId: string,
  part: number,
  options: { offset: number; limit: number; hash: boolean; replacing: boolean },
): Promise<StagedPart> {
  try {
    return await blobs.stagePart(blobId, part, req, options);
  } catch (error) {
    if (error instanceof BlobTooLong) {
      req.resume();
      throw new HttpError(400, CONTENT_LENGTH_MISMATCH);
    }
    throw error;
  }
}

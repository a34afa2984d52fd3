// What range requests need on every runtime, for downloads to disk (download.ts) and verified
// reads (read.ts): the response headers that say ranges work, the validator an `If-Range` carries,
// the `Content-Range` of a 206, and which failures of a body are worth continuing after.

import type { ResponseHeaders } from "./transport.js";
import { isRetryableError } from "./retry.js";

/** The first value of header `name` (lower-case). */
export function header(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Whether a response advertises byte ranges (`Accept-Ranges: bytes`). */
export function advertisesRanges(headers: ResponseHeaders): boolean {
  return (header(headers, "accept-ranges") ?? "")
    .toLowerCase()
    .split(/\s*,\s*/)
    .includes("bytes");
}

/** A strong ETag only: If-Range must not be sent with a weak one (RFC 9110 §13.1.5). */
export function strongEtag(headers: ResponseHeaders): string | undefined {
  const etag = header(headers, "etag");
  return etag && !etag.startsWith("W/") ? etag : undefined;
}

/** The start offset and total size of a `Content-Range: bytes a-b/total` header. */
export function parseContentRange(
  value: string | undefined,
): { start: number; end: number; total: number | undefined } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? "");
  if (!match) return undefined;
  return {
    start: Number(match[1]),
    end: Number(match[2]),
    total: match[3] === "*" ? undefined : Number(match[3]),
  };
}

/** Whether a failure while reading a body is the connection's (worth continuing), not a refusal. */
export function isBodyError(error: unknown): boolean {
  if (isRetryableError(error)) return true;
  const code = (error as { code?: unknown }).code;
  return (
    error instanceof Error &&
    (typeof code !== "string" || code.startsWith("UND_ERR") || code.startsWith("E"))
  );
}

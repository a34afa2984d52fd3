import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HttpError } from "../../http/errors.js";

/** What a download needs to know about the bytes it serves. */
export interface ContentInfo {
  /** The bytes (all, or an inclusive range of them), streamed from the blob store. */
  body: (range?: ByteRange) => Readable;
  size: number;
  /** `md5:<hex>`, used for the ETag and `Content-MD5` (invenio-files-rest `send_stream`). */
  checksum: string;
  /** ISO timestamp of the last change, for `Last-Modified`. */
  updated: string;
  contentType: string;
  /** The file key: its last segment names the download. */
  key: string;
}

/** A byte range to serve, both ends inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a `Range` header against a representation of `size` bytes (RFC 9110 §14.1.2): one
 * `bytes=a-b`, `a-` or `-n` range. Anything else (several ranges, other units, garbage) is ignored,
 * which the RFC allows, and the whole content is served. An empty file ignores every range, as
 * Werkzeug (from 2.0) does under Invenio: a 200 with no body rather than a 416.
 * @returns the range, `"unsatisfiable"`, or `undefined` to serve everything
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | "unsatisfiable" | undefined {
  if (header === undefined || size === 0) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (match === null) return undefined;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== "" && Number(last) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}

/** `Content-Disposition` naming the key's last segment, ASCII-safe with an RFC 5987 fallback. */
export function contentDisposition(key: string, attachment: boolean): string {
  const name = key.slice(key.lastIndexOf("/") + 1);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${attachment ? "attachment" : "inline"}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** Types invenio-files-rest serves as they are (`MIMETYPE_WHITELIST`). */
const SAFE_TYPES = new Set([
  "audio/mpeg",
  "audio/ogg",
  "audio/wav",
  "audio/webm",
  "image/gif",
  "image/jpeg",
  "image/png",
  "image/tiff",
  "text/plain",
]);

/** Types a browser would render or run, served as plain text (`MIMETYPE_PLAINTEXT`). */
const PLAIN_TEXT_TYPES = new Set([
  "application/javascript",
  "application/json",
  "application/xhtml+xml",
  "application/xml",
  "text/css",
  "text/csv",
  "text/html",
  "image/svg+xml",
]);

/**
 * The type invenio-files-rest's untrusted `send_stream` serves a file as (`sanitize_mimetype`):
 * safe types as they are, renderable ones (and files named `readme`) as `text/plain`, anything
 * else as `application/octet-stream`; Flask adds `charset=utf-8` to text.
 */
export function servedType(key: string, mimetype: string): string {
  const name = key.slice(key.lastIndexOf("/") + 1).toLowerCase();
  let type = "application/octet-stream";
  if (SAFE_TYPES.has(mimetype)) type = mimetype;
  else if (PLAIN_TEXT_TYPES.has(mimetype) || name === "readme") type = "text/plain";
  return type.startsWith("text/") ? `${type}; charset=utf-8` : type;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * invenio-files-rest's `Content-Disposition`: `inline` without a name, or (asked with
 * `?download`, and always for `application/octet-stream`, against type sniffing)
 * `attachment; filename=<name>` as Werkzeug writes the parameter (quoted when not a token; a
 * non-ASCII name as an ASCII fallback plus `filename*`).
 */
export function filesRestDisposition(key: string, attachment: boolean, type: string): string {
  if (!attachment && type !== "application/octet-stream") return "inline";
  const name = key.slice(key.lastIndexOf("/") + 1);
  const quote = (v: string): string =>
    TOKEN.test(v) ? v : `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  const nonAscii = /[\u0080-\u{10ffff}]/gu;
  if (name.search(nonAscii) < 0) return `attachment; filename=${quote(name)}`;
  const simple = name.normalize("NFKD").replace(nonAscii, "");
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename=${quote(simple)}; filename*=UTF-8''${encoded}`;
}

/** How a download answers: the flavour's headers and whether it honours `Range`. */
export interface SendOptions {
  /** `?download`: ask the browser to save the file. */
  attachment?: boolean;
  /** Honour `Range` (206, 416, `Accept-Ranges: bytes`); else every range gets the whole body. */
  ranges?: boolean;
  /** `files-rest`: RDM 13's untrusted `send_stream` headers; `named` (default): see `sendContent`. */
  headers?: "files-rest" | "named";
}

function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === "*") return true;
  return header
    .split(",")
    .map((t) => t.trim().replace(/^W\//, ""))
    .includes(etag);
}

/**
 * Streams a committed file from disk with invenio-files-rest's `send_stream` headers
 * (`Content-Type`, `Content-Length`, `Content-MD5`, `ETag` = the quoted checksum,
 * `Last-Modified`, `Content-Disposition`), made conditional (`If-None-Match`,
 * `If-Modified-Since` → 304) and range-aware (`Accept-Ranges: bytes`, one range → 206,
 * unsatisfiable → 416 with `Content-Range: bytes *\/size`, `If-Range` honoured). HEAD gets the
 * headers only. Nothing is buffered: the body is piped from the blob.
 */
export async function sendContent(
  req: IncomingMessage,
  res: ServerResponse,
  info: ContentInfo,
  options: SendOptions = {},
): Promise<void> {
  const etag = `"${info.checksum}"`;
  const lastModified = httpDate(info.updated);
  const hex = info.checksum.replace(/^md5:/, "");
  const filesRest = options.headers === "files-rest";
  const ranges = options.ranges ?? true;
  const attachment = options.attachment === true;
  const type = filesRest ? servedType(info.key, info.contentType) : info.contentType;
  const headers: Record<string, string> = {
    "Content-Type": type,
    "Content-Disposition": filesRest
      ? filesRestDisposition(info.key, attachment, type)
      : contentDisposition(info.key, attachment),
    ETag: etag,
    "Last-Modified": lastModified,
  };
  if (ranges) headers["Accept-Ranges"] = "bytes";
  // invenio-files-rest sends the md5's hex digits; `named` keeps RFC 1864's base64.
  const md5 = filesRest ? hex : Buffer.from(hex, "hex").toString("base64");
  const ifNoneMatch = req.headers["if-none-match"];
  const ifModifiedSince = req.headers["if-modified-since"];
  const notModified =
    ifNoneMatch !== undefined
      ? etagMatches(ifNoneMatch, etag)
      : ifModifiedSince !== undefined &&
        Math.floor(Date.parse(info.updated) / 1000) <=
          Math.floor(Date.parse(ifModifiedSince) / 1000);
  if (notModified) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  let range = ranges ? parseRange(req.headers.range, info.size) : undefined;
  const ifRange = req.headers["if-range"];
  // A stale If-Range (another ETag, or a date) means: send the whole current content.
  if (range !== undefined && typeof ifRange === "string" && ifRange.trim() !== etag)
    range = undefined;
  if (range === "unsatisfiable") {
    req.resume();
    throw new HttpError(416, "The server cannot provide the requested range.", {
      headers: { "Content-Range": `bytes */${info.size}` },
    });
  }
  const head = req.method === "HEAD";
  if (range === undefined) {
    res.writeHead(200, { ...headers, "Content-MD5": md5, "Content-Length": String(info.size) });
  } else {
    res.writeHead(206, {
      ...headers,
      "Content-Range": `bytes ${range.start}-${range.end}/${info.size}`,
      "Content-Length": String(range.end - range.start + 1),
    });
  }
  if (head || info.size === 0) {
    res.end();
    return;
  }
  await pipeline(info.body(range), res);
}

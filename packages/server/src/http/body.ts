import type { IncomingMessage } from "node:http";
import { HttpError } from "./errors.js";
import { JSON_TYPE, mediaTypeOf } from "./negotiate.js";

/** Largest JSON body accepted; metadata documents are small, so anything bigger is a mistake. */
export const MAX_JSON_BYTES = 10 * 1024 * 1024;

/**
 * Deepest nesting of arrays and objects accepted in a JSON body. Metadata documents nest a handful
 * of levels; the limit is generous, and keeps deeper documents (which recursive code could not
 * walk) out with a clear 400 instead of a crash.
 */
export const MAX_JSON_DEPTH = 100;

/** The answer to a JSON body nested deeper than `MAX_JSON_DEPTH`. */
export const TOO_DEEP = `JSON data in request body is nested deeper than ${String(MAX_JSON_DEPTH)} levels.`;

/** True when arrays and objects in `value` nest deeper than `limit` (checked without recursion). */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, depth] = top;
    if (typeof node !== "object" || node === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Reads the whole request body, refusing more than `maxBytes` with a 413. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw new HttpError(413);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.resume();
      throw new HttpError(413);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a JSON request body the way Invenio's REST layer does: a missing `Content-Type` means JSON,
 * another type is 415, unparsable JSON is 400 (docs/protocol/conventions.md#content-types,
 * docs/protocol/records.md#create-a-draft).
 * @returns the parsed value, or `undefined` for an empty body (the endpoint decides what that means)
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = mediaTypeOf(req.headers["content-type"]);
  if (type !== undefined && type !== JSON_TYPE) {
    req.resume();
    throw new HttpError(415, `Invalid 'Content-Type' header. Expected one of: ${JSON_TYPE}`);
  }
  const raw = await readBody(req, MAX_JSON_BYTES);
  const text = raw.toString("utf8");
  if (text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, "Unable to decode JSON data in request body.");
  }
  if (nestedDeeperThan(value, MAX_JSON_DEPTH)) throw new HttpError(400, TOO_DEEP);
  return value;
}

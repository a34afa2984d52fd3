import { HttpError } from "./errors.js";

/** The JSON media type every API endpoint speaks. */
export const JSON_TYPE = "application/json";

/**
 * The UI serialization InvenioRDM and oarepo also serve for records and searches
 * (docs/protocol/conventions.md#content-types).
 */
export const UI_JSON_TYPE = "application/vnd.inveniordm.v1+json";

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(",")) {
    const [range = "", ...params] = part.split(";").map((s) => s.trim());
    const [type, subtype] = range.toLowerCase().split("/");
    if (type === undefined || type === "" || subtype === undefined || subtype === "") continue;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split("=").map((s) => s.trim());
      if (name?.toLowerCase() === "q" && value !== undefined) {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0;
      }
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

/** How specifically `range` matches `mediaType` (higher wins), or -1 when it doesn't. */
function specificity(range: MediaRange, mediaType: string): number {
  const [type, subtype] = mediaType.split("/");
  if (range.type === "*" && range.subtype === "*") return 0;
  if (range.type !== type) return -1;
  if (range.subtype === "*") return 1;
  return range.subtype === subtype ? 2 : -1;
}

/**
 * Picks the response media type from the `Accept` header among `offered` (server preference first).
 * A missing header means the first offer; nothing acceptable is Invenio's 406
 * (docs/protocol/conventions.md#content-types).
 */
export function negotiate(
  accept: string | undefined,
  offered: readonly [string, ...string[]],
): string {
  if (accept === undefined || accept.trim() === "") return offered[0];
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return offered[0];
  let best: string | undefined;
  let bestQ = 0;
  for (const mediaType of offered) {
    let q = 0;
    let spec = -1;
    for (const range of ranges) {
      const s = specificity(range, mediaType);
      if (s > spec) {
        spec = s;
        q = range.q;
      }
    }
    if (spec >= 0 && q > bestQ) {
      best = mediaType;
      bestQ = q;
    }
  }
  if (best === undefined) {
    throw new HttpError(406, `Invalid 'Accept' header. Expected one of: ${offered.join(", ")}`);
  }
  return best;
}

/** The bare, lower-cased media type of a `Content-Type` header (parameters dropped). */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const bare = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return bare === "" ? undefined : bare;
}

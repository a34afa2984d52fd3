// Planning a complete scan past the search window (docs/protocol/search.md#the-10000-window,
// docs/protocol/search.md#scan): split the `created` axis into half-open ranges of whole
// milliseconds until each range's hit count fits the window.
//
// Invenio dumps `created` with microseconds, but OpenSearch indexes it as a `date`, which keeps
// milliseconds: a record created at `…05.971453` is indexed at `…05.971`, and a range bound
// with a sub-millisecond part is truncated to its millisecond before the comparison (`lt
// …05.971454` becomes `< …05.971`, which leaves that record out). Bounds on whole milliseconds
// select the same records whether the server compares microseconds or milliseconds, so the
// ranges always partition the matching records.

import { BadRequestError, ErrorCodes, NRPError, ResponseTooLargeError } from "../core/errors.js";

/** Whole milliseconds since the Unix epoch: the precision OpenSearch indexes `created` at. */
export type Millis = number;

/** A half-open range `[from, to)` of `created` timestamps, in whole milliseconds. */
export interface CreatedRange {
  from: Millis;
  to: Millis;
}

/**
 * Parses an Invenio timestamp (`2025-01-14T10:12:33.123456+00:00`, `…Z`, fewer or no fraction
 * digits) into the millisecond it falls in (digits past the third are dropped, as the search
 * index drops them); `undefined` when it is not one.
 */
export function parseMillis(value: string): Millis | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    value.trim(),
  );
  if (m === null) return undefined;
  const [, base = "", fraction = "", zone = "Z"] = m;
  const seconds = Date.parse(`${base}${zone}`);
  if (Number.isNaN(seconds)) return undefined;
  return seconds + Number((fraction + "000").slice(0, 3));
}

/** Formats milliseconds as the UTC form range bounds use: `2024-05-01T10:00:00.123Z`. */
export function formatMillis(value: Millis): string {
  return new Date(value).toISOString();
}

/** The `q` clause selecting a range: start inclusive, end exclusive. */
export function rangeClause(range: CreatedRange): string {
  return `created:[${formatMillis(range.from)} TO ${formatMillis(range.to)}}`;
}

/** Combines the caller's query string with a range clause, keeping the caller's precedence. */
export function withRange(q: string | undefined, range: CreatedRange, idPrefix?: string): string {
  const clause =
    idPrefix === undefined ? rangeClause(range) : `${rangeClause(range)} AND ${idClause(idPrefix)}`;
  return q === undefined || q.trim() === "" ? clause : `(${q}) AND ${clause}`;
}

/**
 * A range whose hits fit the window and can be paged through; `total` is the count probed.
 * `idPrefix` narrows a range one millisecond wide further to the ids starting with it.
 */
export interface PlannedRange extends CreatedRange {
  total: number;
  idPrefix?: string | undefined;
}

/** Counts the hits of a range (and id prefix); a scan probes the server with `size=1`. */
export type RangeCounter = (range: CreatedRange, idPrefix?: string) => Promise<number>;

/** Characters an Invenio id may start a prefix with (lowercase letters and digits). */
const ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** How long an id prefix may grow before giving up on a cluster. */
const MAX_PREFIX = 5;

/** The `q` clause selecting ids by prefix, e.g. `id:ab*`. */
export function idClause(prefix: string): string {
  return `id:${prefix}*`;
}

/**
 * How full a range is planned to be: a range is split into spans that would each hold this share
 * of the window if its hits were spread evenly, so most spans fit at the first count.
 */
const PLANNED_FILL = 0.75;

/**
 * Splits `[first, last]` into ranges whose hit counts fit `window`, oldest first, probing
 * counts lazily so that a consumer who stops early stops the probing too.
 *
 * `first` and `last` are the milliseconds of the oldest and newest matching `created`; `total`,
 * when known (the scan's first probe counted it), spares counting the whole span again. A range
 * with too many hits is cut into as many equal spans as its count needs at
 * {@link PLANNED_FILL} of the window each (at least two), and each span is counted in turn: with
 * hits spread about evenly that is one count per range read, where halving needed about two. A
 * range one millisecond wide cannot be split by `created` (the search index cannot tell its
 * records apart by time); when it holds more than `window` hits it is split by id prefix
 * (`id:a*`, `id:b*`, …). When the prefixes do not add up to the cluster (ids outside `[0-9a-z]`),
 * or a prefix of {@link MAX_PREFIX} characters still holds too many, it fails loudly rather than
 * skip records.
 */
export async function* planRanges(
  first: Millis,
  last: Millis,
  window: number,
  count: RangeCounter,
  total?: number,
): AsyncGenerator<PlannedRange> {
  // The end is exclusive, so the millisecond after the newest one covers it.
  const stack: (CreatedRange & { total?: number | undefined })[] = [
    { from: first, to: last + 1, total },
  ];
  while (stack.length > 0) {
    const range = stack.pop();
    if (range === undefined) break;
    const hits = range.total ?? (await count(range));
    const span = { from: range.from, to: range.to };
    if (hits === 0) continue;
    if (hits <= window) {
      yield { ...span, total: hits };
      continue;
    }
    const width = range.to - range.from;
    if (width <= 1) {
      yield* planPrefixes(span, "", hits, window, count);
      continue;
    }
    const parts = Math.min(width, Math.max(2, Math.ceil(hits / (window * PLANNED_FILL))));
    const bounds = Array.from(
      { length: parts + 1 },
      (_, i) => range.from + Math.floor((width * i) / parts),
    );
    // Newest first onto the stack, so that the oldest span is popped next.
    for (let i = parts - 1; i >= 0; i--) {
      stack.push({ from: bounds[i] ?? range.from, to: bounds[i + 1] ?? range.to });
    }
  }
}

async function* planPrefixes(
  range: CreatedRange,
  prefix: string,
  total: number,
  window: number,
  count: RangeCounter,
): AsyncGenerator<PlannedRange> {
  const tooMany = (): NRPError =>
    new NRPError(
      `${total} records${
        prefix === "" ? "" : ` with ids starting "${prefix}"`
      } were created in the same millisecond (${formatMillis(range.from)}), more than the search window of ${window}, and splitting them by id prefix does not cover them all; they cannot all be read by paging.`,
      { code: ErrorCodes.ScanClusterTooLarge },
    );
  if (prefix.length >= MAX_PREFIX) throw tooMany();
  const children: { prefix: string; total: number }[] = [];
  for (const c of ID_ALPHABET) {
    const n = await count(range, prefix + c);
    if (n > 0) children.push({ prefix: prefix + c, total: n });
  }
  // Every record must fall under exactly one prefix, or some would be skipped silently.
  if (children.reduce((sum, c) => sum + c.total, 0) !== total) throw tooMany();
  for (const child of children) {
    if (child.total <= window) yield { ...range, total: child.total, idPrefix: child.prefix };
    else yield* planPrefixes(range, child.prefix, child.total, window, count);
  }
}

/**
 * The page size to ask again with after `error`, or `undefined` when the error is not about the
 * page size. A 400 on `size` (a server's page size limit) is taken at the start of a range, where
 * any size keeps the paging aligned: the limit its message names (`cannot be greater than 25`),
 * or else 100, then 25. A page larger than `maxJsonSize` is asked for again at half the size (a
 * divisor of `offset`, so the next page starts where the refused one did).
 */
export function smallerScanPage(error: unknown, size: number, offset: number): number | undefined {
  if (error instanceof BadRequestError && offset === 0) {
    const messages = error.errors.filter((e) => e.field === "size").flatMap((e) => e.messages);
    if (messages.length === 0) return undefined;
    const named = /greater than (\d+)/.exec(messages.join(" "))?.[1];
    const limit = named === undefined ? undefined : Number(named);
    if (limit !== undefined && limit >= 1 && limit < size) return limit;
    return size > 100 ? 100 : size > 25 ? 25 : undefined;
  }
  if (error instanceof ResponseTooLargeError && size > 1) {
    // The largest size up to half that divides `offset` (offsets stay below the window).
    let half = Math.floor(size / 2);
    while (half > 1 && offset % half !== 0) half--;
    return half;
  }
  return undefined;
}

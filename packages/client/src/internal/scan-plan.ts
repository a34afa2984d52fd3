// Planning a complete scan past the search window (protocol §5.4, §5.5): split the `created`
// axis into half-open ranges until each range's hit count fits the window.

import { NRPError } from "../core/errors.js";

/** Microseconds since the Unix epoch: `created` has microsecond precision, a `Date` only ms. */
export type Micros = bigint;

/** A half-open range `[from, to)` of `created` timestamps, in microseconds. */
export interface CreatedRange {
  from: Micros;
  to: Micros;
}

/**
 * Parses an Invenio timestamp (`2025-01-14T10:12:33.123456+00:00`, `…Z`, fewer or no fraction
 * digits) into microseconds since the epoch; `undefined` when it is not one.
 */
export function parseMicros(value: string): Micros | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    value.trim(),
  );
  if (m === null) return undefined;
  const [, base = "", fraction = "", zone = "Z"] = m;
  const seconds = Date.parse(`${base}${zone === "Z" ? "Z" : zone}`);
  if (Number.isNaN(seconds)) return undefined;
  const micros = BigInt((fraction + "000000").slice(0, 6));
  return BigInt(seconds) * 1000n + micros;
}

/** Formats microseconds as the UTC form range queries use: `2024-05-01T10:00:00.000000Z`. */
export function formatMicros(value: Micros): string {
  const ms = value / 1000n - (value % 1000n < 0n ? 1n : 0n);
  const iso = new Date(Number(ms)).toISOString(); // 2024-05-01T10:00:00.123Z
  const micros = ((value % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return `${iso.slice(0, 19)}.${micros.toString().padStart(6, "0")}Z`;
}

/** The `q` clause selecting a range: start inclusive, end exclusive. */
export function rangeClause(range: CreatedRange): string {
  return `created:[${formatMicros(range.from)} TO ${formatMicros(range.to)}}`;
}

/** Combines the caller's query string with a range clause, keeping the caller's precedence. */
export function withRange(q: string | undefined, range: CreatedRange, idPrefix?: string): string {
  const clause =
    idPrefix === undefined ? rangeClause(range) : `${rangeClause(range)} AND ${idClause(idPrefix)}`;
  return q === undefined || q.trim() === "" ? clause : `(${q}) AND ${clause}`;
}

/**
 * A range whose hits fit the window and can be paged through; `total` is the count probed.
 * `idPrefix` narrows a range of one timestamp further to the ids starting with it.
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
 * Splits `[first, last]` into ranges whose hit counts fit `window`, oldest first, probing
 * counts lazily so that a consumer who stops early stops the probing too.
 *
 * A range one microsecond wide (every hit on one timestamp) cannot be split by `created`; when
 * it holds more than `window` hits it is split by id prefix (`id:a*`, `id:b*`, …). When the
 * prefixes do not add up to the cluster (ids outside `[0-9a-z]`), or a prefix of
 * {@link MAX_PREFIX} characters still holds too many, it fails loudly rather than skip records.
 */
export async function* planRanges(
  first: Micros,
  last: Micros,
  window: number,
  count: RangeCounter,
): AsyncGenerator<PlannedRange> {
  // The end is exclusive, so it lies past the newest timestamp: on the next whole millisecond,
  // since OpenSearch's `date` fields (InvenioRDM's `created`) compare at millisecond precision
  // and would read one microsecond past it as the newest record's own millisecond, excluding it.
  const stack: CreatedRange[] = [{ from: first, to: (last / 1000n + 1n) * 1000n }];
  while (stack.length > 0) {
    const range = stack.pop();
    if (range === undefined) break;
    const total = await count(range);
    if (total === 0) continue;
    if (total <= window) {
      yield { ...range, total };
      continue;
    }
    if (range.to - range.from <= 1n) {
      yield* planPrefixes(range, "", total, window, count);
      continue;
    }
    const mid = range.from + (range.to - range.from) / 2n;
    // Upper half first: the stack pops the lower (older) half next.
    stack.push({ from: mid, to: range.to }, { from: range.from, to: mid });
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
      `${total} records share the timestamp ${formatMicros(range.from)}${
        prefix === "" ? "" : ` and the id prefix "${prefix}"`
      }, more than the search window of ${window}, and splitting them by id prefix does not cover them all; they cannot all be read by paging.`,
      { code: "NRP_SCAN_CLUSTER_TOO_LARGE" },
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

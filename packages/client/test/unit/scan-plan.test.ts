import { describe, expect, it } from "vitest";
import { APIError, NRPError, ResponseTooLargeError } from "nrp-invenio-client";
import {
  formatMillis,
  parseMillis,
  planRanges,
  rangeClause,
  smallerScanPage,
  withRange,
} from "../../src/internal/scan-plan.js";
import type { CreatedRange, PlannedRange } from "../../src/internal/scan-plan.js";

/** A fake index: the `created` millisecond of each record. */
function counter(times: number[]): {
  count: (r: CreatedRange) => Promise<number>;
  calls: CreatedRange[];
} {
  const calls: CreatedRange[] = [];
  return {
    calls,
    count: (r) => {
      calls.push(r);
      return Promise.resolve(times.filter((t) => t >= r.from && t < r.to).length);
    },
  };
}

async function collect(it: AsyncIterable<PlannedRange>): Promise<PlannedRange[]> {
  const out: PlannedRange[] = [];
  for await (const r of it) out.push(r);
  return out;
}

/** Microseconds since the epoch of a `…Z` timestamp with up to six fraction digits. */
function micros(value: string): bigint {
  const m = /^(.{19})(?:\.(\d{1,6}))?Z$/.exec(value);
  if (m === null) throw new Error(`not a bound: ${value}`);
  return BigInt(Date.parse(`${m[1] ?? ""}Z`)) * 1000n + BigInt((m[2] ?? "").padEnd(6, "0"));
}

/**
 * Counts the records (`created` in microseconds) a `created:[a TO b}` clause selects on a server
 * that keeps `precision` microseconds: 1 for SQLite's full timestamps, 1000 for OpenSearch, which
 * indexes a `date` at its millisecond and truncates each bound to its millisecond too.
 */
function server(
  records: { t: bigint; id: string }[],
  precision: bigint,
): (r: CreatedRange, prefix?: string) => Promise<number> {
  const floor = (t: bigint): bigint => t - (t % precision);
  return (r, prefix) => {
    const m = /^created:\[(\S+) TO (\S+)\}$/.exec(rangeClause(r));
    if (m === null) throw new Error(`not a range: ${rangeClause(r)}`);
    const from = floor(micros(m[1] ?? ""));
    const to = floor(micros(m[2] ?? ""));
    return Promise.resolve(
      records.filter(
        (x) =>
          floor(x.t) >= from &&
          floor(x.t) < to &&
          (prefix === undefined || x.id.startsWith(prefix)),
      ).length,
    );
  };
}

/** `n` records a few microseconds apart around millisecond boundaries, with distinct ids. */
function nearBoundaries(n: number): { t: bigint; id: string; created: string }[] {
  const base = 1764911645000n; // 2025-12-05T05:14:05.000Z
  return Array.from({ length: n }, (_, i) => {
    // Three records a millisecond, at .xxx000, .xxx001 and .xxx999, on every other millisecond.
    const t = (base + BigInt(Math.floor(i / 3) * 2)) * 1000n + BigInt([0, 1, 999][i % 3] ?? 0);
    const ms = new Date(Number(t / 1000n)).toISOString().slice(0, 23);
    const id = `${(i * 7919).toString(36).padStart(5, "0").slice(-5)}-${String(i).padStart(5, "0")}`;
    return { t, id, created: `${ms}${String(t % 1000n).padStart(3, "0")}+00:00` };
  });
}

describe("timestamps", () => {
  it("parses Invenio timestamps to their millisecond and formats them as UTC range bounds", () => {
    const t = parseMillis("2025-01-14T10:12:33.123456+00:00");
    expect(t).toBe(1736849553123);
    expect(parseMillis("2025-01-14T11:12:33.123999+01:00")).toBe(t);
    expect(parseMillis("2025-01-14T10:12:33.123Z")).toBe(t);
    expect(parseMillis("2025-01-14T10:12:33Z")).toBe(1736849553000);
    expect(parseMillis("2025-01-14T10:12:33.5Z")).toBe(1736849553500);
    expect(parseMillis("yesterday")).toBeUndefined();
    expect(formatMillis(1736849553123)).toBe("2025-01-14T10:12:33.123Z");
    expect(formatMillis(1736849553001)).toBe("2025-01-14T10:12:33.001Z");
  });

  it("combines the caller's query with a half-open range of whole milliseconds", () => {
    const range = { from: 1736849553000, to: 1736849554000 };
    expect(withRange(undefined, range)).toBe(
      "created:[2025-01-14T10:12:33.000Z TO 2025-01-14T10:12:34.000Z}",
    );
    expect(withRange("a OR b", range)).toBe(
      "(a OR b) AND created:[2025-01-14T10:12:33.000Z TO 2025-01-14T10:12:34.000Z}",
    );
  });
});

describe("range planner", () => {
  it("splits until every range fits the window, oldest first, covering each record once", async () => {
    const times = Array.from({ length: 1000 }, (_, i) => 1000 + i * 7 + (i % 13) * 3);
    const { count } = counter(times);
    const ranges = await collect(planRanges(times[0] ?? 0, times.at(-1) ?? 0, 50, count));
    expect(ranges.every((r) => r.total <= 50 && r.total > 0)).toBe(true);
    expect(ranges.reduce((n, r) => n + r.total, 0)).toBe(1000);
    for (let i = 1; i < ranges.length; i++) {
      expect(ranges[i]?.from).toBe(ranges[i - 1]?.to ?? -1);
    }
    for (const t of times) expect(ranges.filter((r) => t >= r.from && t < r.to)).toHaveLength(1);
  });

  it("keeps a one-millisecond cluster that fits the window as one range", async () => {
    const times = [...Array.from({ length: 40 }, () => 5000), 1, 9999];
    const ranges = await collect(planRanges(1, 9999, 40, counter(times).count));
    expect(ranges.reduce((n, r) => n + r.total, 0)).toBe(42);
    const cluster = ranges.find((r) => r.total === 40);
    expect(cluster !== undefined && cluster.from <= 5000 && cluster.to > 5000).toBe(true);
  });

  it("splits a one-millisecond cluster larger than the window by id prefix", async () => {
    // 60 records in one millisecond, ids spread over several first characters.
    const records = Array.from({ length: 60 }, (_, i) => ({
      t: 5000,
      id: `${"abc"[i % 3] ?? "a"}${(i * 7) % 36 < 10 ? "0" : "x"}${String(i).padStart(3, "0")}-00000`,
    }));
    records.push({ t: 1, id: "zzzzz-00000" });
    const count = (r: CreatedRange, prefix?: string): Promise<number> =>
      Promise.resolve(
        records.filter(
          (x) => x.t >= r.from && x.t < r.to && (prefix === undefined || x.id.startsWith(prefix)),
        ).length,
      );
    const ranges = await collect(planRanges(1, 5000, 15, count));
    expect(ranges.every((r) => r.total <= 15)).toBe(true);
    expect(ranges.reduce((n, r) => n + r.total, 0)).toBe(61);
    const prefixed = ranges.filter((r) => r.idPrefix !== undefined);
    for (const x of records.filter((x) => x.t === 5000)) {
      expect(prefixed.filter((r) => x.id.startsWith(r.idPrefix ?? "?"))).toHaveLength(1);
    }
    expect(withRange("q", { from: 5000, to: 5001 }, "ab")).toBe(
      "(q) AND created:[1970-01-01T00:00:05.000Z TO 1970-01-01T00:00:05.001Z} AND id:ab*",
    );
  });

  it("fails loudly when id prefixes cannot cover a cluster larger than the window", async () => {
    // Ids outside [0-9a-z]: no prefix finds them, so splitting would skip records.
    const times = [...Array.from({ length: 60 }, () => 5000), 1];
    const count = (r: CreatedRange, prefix?: string): Promise<number> =>
      Promise.resolve(
        prefix === undefined ? times.filter((t) => t >= r.from && t < r.to).length : 0,
      );
    const error = await collect(planRanges(1, 5000, 50, count)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NRPError);
    expect((error as NRPError).code).toBe("NRP_SCAN_CLUSTER_TOO_LARGE");
    expect((error as NRPError).message).toContain(
      "60 records were created in the same millisecond (1970-01-01T00:00:05.000Z)",
    );
  });

  it("fails loudly when one id prefix keeps more records than the window", async () => {
    const times = [...Array.from({ length: 60 }, () => 5000), 1];
    // Every record answers every prefix starting with "a": no split ever narrows it.
    const count = (r: CreatedRange, prefix?: string): Promise<number> => {
      const n = times.filter((t) => t >= r.from && t < r.to).length;
      return Promise.resolve(prefix === undefined || /^a*$/.test(prefix) ? n : 0);
    };
    const error = await collect(planRanges(1, 5000, 50, count)).catch((e: unknown) => e);
    expect((error as NRPError).code).toBe("NRP_SCAN_CLUSTER_TOO_LARGE");
    expect((error as NRPError).message).toContain('with ids starting "aaaaa"');
  });

  it("probes lazily: stopping after the first range stops the counting", async () => {
    const times = Array.from({ length: 500 }, (_, i) => i);
    const { count, calls } = counter(times);
    for await (const r of planRanges(0, 499, 50, count)) {
      expect(r.total).toBeLessThanOrEqual(50);
      break;
    }
    expect(calls.length).toBeLessThan(10);
  });

  it("skips empty ranges and plans nothing for an empty span", async () => {
    const times = [0, 1_000_000];
    const ranges = await collect(planRanges(0, 1_000_000, 1, counter(times).count));
    expect(ranges.map((r) => r.total)).toEqual([1, 1]);
  });

  it("plans bounds on whole milliseconds that partition records at either precision", async () => {
    // The server may keep microseconds (SQLite) or index milliseconds and truncate each bound to
    // its millisecond (OpenSearch): records microseconds apart across a boundary must fall into
    // exactly one range either way, and the counts must add up to all of them.
    const records = nearBoundaries(300);
    const first = parseMillis(records[0]?.created ?? "") ?? NaN;
    const last = parseMillis(records.at(-1)?.created ?? "") ?? NaN;
    for (const precision of [1n, 1000n]) {
      const count = server(records, precision);
      const ranges = await collect(planRanges(first, last, 10, count));
      expect(ranges.reduce((n, r) => n + r.total, 0)).toBe(300);
      for (const r of ranges) {
        expect(rangeClause(r)).toMatch(/^created:\[\S+\.\d{3}Z TO \S+\.\d{3}Z\}$/);
        expect(await count(r)).toBe(r.total);
      }
      for (const x of records) {
        const ms = Number(x.t / 1000n);
        expect(ranges.filter((r) => ms >= r.from && ms < r.to)).toHaveLength(1);
      }
    }
  });

  it("never splits a millisecond: records in one are split by id prefix instead", async () => {
    // Six records in one millisecond, microseconds apart, and a window of two.
    const records = nearBoundaries(6).map((x, i) => ({
      ...x,
      t: 1764911645000000n + BigInt(i * 150),
    }));
    for (const precision of [1n, 1000n]) {
      const count = server(records, precision);
      const probed: CreatedRange[] = [];
      const ranges = await collect(
        planRanges(1764911645000, 1764911645000, 2, (r, prefix) => {
          probed.push(r);
          return count(r, prefix);
        }),
      );
      expect(probed.every((r) => Number.isInteger(r.from) && r.to - r.from >= 1)).toBe(true);
      expect(ranges.every((r) => r.idPrefix !== undefined && r.to - r.from === 1)).toBe(true);
      expect(ranges.reduce((n, r) => n + r.total, 0)).toBe(6);
      for (const x of records) {
        expect(ranges.filter((r) => x.id.startsWith(r.idPrefix ?? "?"))).toHaveLength(1);
      }
    }
  });
});

describe("range planner counts", () => {
  it("cuts an evenly spread span into ranges of about 3/4 of the window with one count each", async () => {
    // 10 000 records one millisecond apart, a window of 1000: 14 ranges of ~714, each counted once.
    const times = Array.from({ length: 10_000 }, (_, i) => 50_000 + i);
    const { count, calls } = counter(times);
    const ranges = await collect(planRanges(50_000, 59_999, 1000, count, 10_000));
    expect(ranges.reduce((n, r) => n + r.total, 0)).toBe(10_000);
    expect(ranges.every((r) => r.total <= 1000)).toBe(true);
    expect(ranges).toHaveLength(14);
    // The total given is not counted again; halving would have counted 31 ranges.
    expect(calls).toHaveLength(14);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]?.from).toBe(ranges[i - 1]?.to);
  });

  it("cuts a range again when its hits are not spread evenly", async () => {
    // Most records in the last tenth of the span: its ranges are cut further.
    const times = [
      ...Array.from({ length: 100 }, (_, i) => i * 90),
      ...Array.from({ length: 3000 }, (_, i) => 9000 + (i % 1000)),
    ];
    const { count } = counter(times);
    const ranges = await collect(planRanges(0, 9999, 1000, count));
    expect(ranges.every((r) => r.total <= 1000)).toBe(true);
    expect(ranges.reduce((n, r) => n + r.total, 0)).toBe(3100);
    for (const t of new Set(times)) {
      expect(ranges.filter((r) => t >= r.from && t < r.to)).toHaveLength(1);
    }
  });
});

describe("scan page size", () => {
  const refused = (message: string): APIError =>
    APIError.fromResponse({
      status: 400,
      method: "GET",
      url: "https://zenodo.example/api/records?size=1000",
      body: {
        status: 400,
        message: "A validation error occurred.",
        errors: [{ field: "size", messages: [message] }],
      },
    });

  it("takes the limit a server names for `size`, else 100, then 25", () => {
    const zenodo = refused(
      "Page size cannot be greater than 25. Please use authenticated requests to increase the limit to 100.",
    );
    expect(smallerScanPage(zenodo, 1000, 0)).toBe(25);
    expect(smallerScanPage(refused("Too large."), 1000, 0)).toBe(100);
    expect(smallerScanPage(refused("Too large."), 100, 0)).toBe(25);
    expect(smallerScanPage(refused("Too large."), 25, 0)).toBeUndefined();
    // Only where a range starts: another size there would misalign the pages already read.
    expect(smallerScanPage(zenodo, 1000, 2000)).toBeUndefined();
  });

  it("leaves other errors alone", () => {
    const other = APIError.fromResponse({
      status: 400,
      method: "GET",
      url: "https://x.example/api/records",
      body: { status: 400, message: "Invalid querystring parameters." },
    });
    expect(smallerScanPage(other, 1000, 0)).toBeUndefined();
    expect(smallerScanPage(new NRPError("no"), 1000, 0)).toBeUndefined();
  });

  it("halves a page larger than maxJsonSize, keeping the next page where the refused one starts", () => {
    const big = new ResponseTooLargeError("too large", {
      method: "GET",
      url: "https://x.example/api/records",
      limit: 10,
    });
    expect(smallerScanPage(big, 1000, 0)).toBe(500);
    expect(smallerScanPage(big, 1000, 3000)).toBe(500);
    // Half of 125 (62) does not divide 375: the largest size up to it that does is taken.
    expect(smallerScanPage(big, 125, 375)).toBe(25);
    expect(smallerScanPage(big, 1, 0)).toBeUndefined();
  });
});

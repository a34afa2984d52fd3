import { describe, expect, it } from "vitest";
import { NRPError } from "nrp-invenio-client";
import { formatMicros, parseMicros, planRanges, withRange } from "../../src/internal/scan-plan.js";
import type { CreatedRange, PlannedRange } from "../../src/internal/scan-plan.js";

/** A fake index: the `created` microsecond of each record. */
function counter(times: bigint[]): {
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

describe("timestamps", () => {
  it("parses Invenio timestamps to microseconds and formats them as UTC range bounds", () => {
    const t = parseMicros("2025-01-14T10:12:33.123456+00:00");
    expect(t).toBe(1736849553123456n);
    expect(parseMicros("2025-01-14T11:12:33.123456+01:00")).toBe(t);
    expect(parseMicros("2025-01-14T10:12:33Z")).toBe(1736849553000000n);
    expect(parseMicros("2025-01-14T10:12:33.5Z")).toBe(1736849553500000n);
    expect(parseMicros("yesterday")).toBeUndefined();
    expect(formatMicros(1736849553123456n)).toBe("2025-01-14T10:12:33.123456Z");
    expect(formatMicros(1736849553000001n)).toBe("2025-01-14T10:12:33.000001Z");
  });

  it("combines the caller's query with a half-open range, keeping its precedence", () => {
    const range = { from: 1736849553000000n, to: 1736849554000000n };
    expect(withRange(undefined, range)).toBe(
      "created:[2025-01-14T10:12:33.000000Z TO 2025-01-14T10:12:34.000000Z}",
    );
    expect(withRange("a OR b", range)).toBe(
      "(a OR b) AND created:[2025-01-14T10:12:33.000000Z TO 2025-01-14T10:12:34.000000Z}",
    );
  });
});

describe("range planner", () => {
  it("splits until every range fits the window, oldest first, covering each record once", async () => {
    const times = Array.from({ length: 1000 }, (_, i) => BigInt(1000 + i * 7 + (i % 13) * 3));
    const { count } = counter(times);
    const ranges = await collect(planRanges(times[0] ?? 0n, times.at(-1) ?? 0n, 50, count));
    expect(ranges.every((r) => r.total <= 50 && r.total > 0)).toBe(true);
    expect(ranges.reduce((n, r) => n + r.total, 0)).toBe(1000);
    for (let i = 1; i < ranges.length; i++) {
      expect(ranges[i]?.from).toBe(ranges[i - 1]?.to ?? -1n);
    }
    for (const t of times) expect(ranges.filter((r) => t >= r.from && t < r.to)).toHaveLength(1);
  });

  it("keeps a single-timestamp cluster that fits the window as one range", async () => {
    const times = [...Array.from({ length: 40 }, () => 5000n), 1n, 9999n];
    const ranges = await collect(planRanges(1n, 9999n, 40, counter(times).count));
    expect(ranges.reduce((n, r) => n + r.total, 0)).toBe(42);
    const cluster = ranges.find((r) => r.total === 40);
    expect(cluster !== undefined && cluster.from <= 5000n && cluster.to > 5000n).toBe(true);
  });

  it("splits a single-timestamp cluster larger than the window by id prefix", async () => {
    // 60 records on one microsecond, ids spread over several first characters.
    const records = Array.from({ length: 60 }, (_, i) => ({
      t: 5000n,
      id: `${"abc"[i % 3] ?? "a"}${(i * 7) % 36 < 10 ? "0" : "x"}${String(i).padStart(3, "0")}-00000`,
    }));
    records.push({ t: 1n, id: "zzzzz-00000" });
    const count = (r: CreatedRange, prefix?: string): Promise<number> =>
      Promise.resolve(
        records.filter(
          (x) => x.t >= r.from && x.t < r.to && (prefix === undefined || x.id.startsWith(prefix)),
        ).length,
      );
    const ranges = await collect(planRanges(1n, 5000n, 15, count));
    expect(ranges.every((r) => r.total <= 15)).toBe(true);
    expect(ranges.reduce((n, r) => n + r.total, 0)).toBe(61);
    const prefixed = ranges.filter((r) => r.idPrefix !== undefined);
    for (const x of records.filter((x) => x.t === 5000n)) {
      expect(prefixed.filter((r) => x.id.startsWith(r.idPrefix ?? "?"))).toHaveLength(1);
    }
    expect(withRange("q", { from: 5000n, to: 5001n }, "ab")).toBe(
      "(q) AND created:[1970-01-01T00:00:00.005000Z TO 1970-01-01T00:00:00.005001Z} AND id:ab*",
    );
  });

  it("fails loudly when id prefixes cannot cover a cluster larger than the window", async () => {
    // Ids outside [0-9a-z]: no prefix finds them, so splitting would skip records.
    const times = [...Array.from({ length: 60 }, () => 5000n), 1n];
    const count = (r: CreatedRange, prefix?: string): Promise<number> =>
      Promise.resolve(
        prefix === undefined ? times.filter((t) => t >= r.from && t < r.to).length : 0,
      );
    const error = await collect(planRanges(1n, 5000n, 50, count)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NRPError);
    expect((error as NRPError).code).toBe("NRP_SCAN_CLUSTER_TOO_LARGE");
    expect((error as NRPError).message).toContain("60 records share the timestamp");
  });

  it("fails loudly when one id prefix keeps more records than the window", async () => {
    const times = [...Array.from({ length: 60 }, () => 5000n), 1n];
    // Every record answers every prefix starting with "a": no split ever narrows it.
    const count = (r: CreatedRange, prefix?: string): Promise<number> => {
      const n = times.filter((t) => t >= r.from && t < r.to).length;
      return Promise.resolve(prefix === undefined || /^a*$/.test(prefix) ? n : 0);
    };
    const error = await collect(planRanges(1n, 5000n, 50, count)).catch((e: unknown) => e);
    expect((error as NRPError).code).toBe("NRP_SCAN_CLUSTER_TOO_LARGE");
    expect((error as NRPError).message).toContain('id prefix "aaaaa"');
  });

  it("probes lazily: stopping after the first range stops the counting", async () => {
    const times = Array.from({ length: 500 }, (_, i) => BigInt(i));
    const { count, calls } = counter(times);
    for await (const r of planRanges(0n, 499n, 50, count)) {
      expect(r.total).toBeLessThanOrEqual(50);
      break;
    }
    expect(calls.length).toBeLessThan(10);
  });

  it("covers every record of an index that compares dates at millisecond precision", async () => {
    // OpenSearch `date` fields (InvenioRDM's `created`) keep milliseconds: a bound is truncated,
    // so one microsecond past the newest record reads as its own millisecond and excluded it.
    const ms = (t: bigint): bigint => t / 1000n;
    const times = [1736849553123456n, 1736849554222333n, 1736849555351971n];
    const count = (r: CreatedRange): Promise<number> =>
      Promise.resolve(times.filter((t) => ms(t) >= ms(r.from) && ms(t) < ms(r.to)).length);
    const ranges = await collect(planRanges(times[0] ?? 0n, times.at(-1) ?? 0n, 2, count));
    expect(ranges.reduce((n, r) => n + r.total, 0)).toBe(times.length);
    const first = await collect(planRanges(times[0] ?? 0n, times.at(-1) ?? 0n, 5, count));
    expect(first).toEqual([{ from: times[0], to: 1736849555352000n, total: 3 }]);
  });

  it("skips empty ranges and plans nothing for an empty span", async () => {
    const times = [0n, 1_000_000n];
    const ranges = await collect(planRanges(0n, 1_000_000n, 1, counter(times).count));
    expect(ranges.map((r) => r.total)).toEqual([1, 1]);
  });
});

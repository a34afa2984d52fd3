import { describe, expect, it } from "vitest";
import { runPool } from "../../src/internal/pool.js";

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("runPool", () => {
  it("keeps input order, bounds concurrency and never loses a failing item", async () => {
    let running = 0;
    let peak = 0;
    const progress: [number, number][] = [];
    const results = await runPool(
      [5, 1, 4, 2, 3, 0, 6],
      async (n, index) => {
        running++;
        peak = Math.max(peak, running);
        await tick(n * 3);
        running--;
        if (index === 2 || index === 5) throw new Error(`bad ${index}`);
        return n * 10;
      },
      { concurrency: 3, onSettled: (d, f) => progress.push([d, f]) },
    );
    expect(peak).toBe(3);
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(results.map((r) => (r.ok ? r.value : (r.error as Error).message))).toEqual([
      50,
      10,
      "bad 2",
      20,
      30,
      "bad 5",
      60,
    ]);
    expect(progress).toHaveLength(7);
    expect(progress.at(-1)).toEqual([7, 2]);
  });

  it("pulls lazily from an async iterable", async () => {
    const pulled: number[] = [];
    async function* source(): AsyncGenerator<number> {
      for (let i = 0; i < 6; i++) {
        await tick(1);
        pulled.push(i);
        yield i;
      }
    }
    let started = 0;
    const seenPulls: number[] = [];
    const results = await runPool(
      source(),
      async (n) => {
        started++;
        seenPulls.push(pulled.length - started);
        await tick(5);
        return n;
      },
      { concurrency: 2 },
    );
    expect(results.map((r) => r.ok && r.value)).toEqual([0, 1, 2, 3, 4, 5]);
    // Never more than one item pulled ahead of the workers.
    expect(Math.max(...seenPulls)).toBeLessThanOrEqual(1);
  });

  it("abort stops scheduling; started items are reported, the source is closed", async () => {
    const controller = new AbortController();
    let closed = false;
    function* source(): Generator<number> {
      try {
        for (let i = 0; i < 100; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const results = await runPool(
      source(),
      async (n) => {
        if (n === 3) controller.abort();
        await tick(5);
        return n;
      },
      { concurrency: 2, signal: controller.signal },
    );
    expect(results.length).toBeLessThanOrEqual(5);
    expect(results.map((r) => r.index)).toEqual([...results.keys()]);
    expect(closed).toBe(true);
  });

  it("empty input and an already aborted signal give no results", async () => {
    expect(await runPool([], () => Promise.resolve(1), { concurrency: 4 })).toEqual([]);
    const aborted = AbortSignal.abort();
    let calls = 0;
    expect(
      await runPool([1, 2], () => Promise.resolve(calls++), { concurrency: 4, signal: aborted }),
    ).toEqual([]);
    expect(calls).toBe(0);
  });

  it("an iterator error is rethrown after started items settle", async () => {
    function* source(): Generator<number> {
      yield 1;
      throw new Error("source broke");
    }
    let finished = 0;
    await expect(
      runPool(
        source(),
        async () => {
          await tick(5);
          finished++;
        },
        { concurrency: 2 },
      ),
    ).rejects.toThrow("source broke");
    expect(finished).toBe(1);
  });
});

describe("runPool robustness", () => {
  it("a throwing progress callback does not strand items; its error comes at the end", async () => {
    let ran = 0;
    await expect(
      runPool(
        [1, 2, 3, 4],
        async () => {
          await tick(1);
          ran++;
        },
        {
          concurrency: 2,
          onSettled: () => {
            throw new Error("callback broke");
          },
        },
      ),
    ).rejects.toThrow("callback broke");
    expect(ran).toBe(4);
  });

  it.each([0, -3, Number.NaN, 2.7])("concurrency %s still runs every item", async (c) => {
    const results = await runPool([1, 2, 3], (n) => Promise.resolve(n), { concurrency: c });
    expect(results.map((r) => r.ok && r.value)).toEqual([1, 2, 3]);
  });
});

describe("runPool with a changing concurrency", () => {
  it("starts workers when the limit rises, stops some when it falls, and runs every item once", async () => {
    let limit = 1;
    const listeners: (() => void)[] = [];
    const dynamic = {
      get limit(): number {
        return limit;
      },
      onChange(listener: () => void): void {
        listeners.push(listener);
      },
    };
    const setLimit = (n: number): void => {
      limit = n;
      for (const l of listeners) l();
    };
    let running = 0;
    const peaks: number[] = [];
    const seen: number[] = [];
    function* items(): Generator<number> {
      for (let i = 0; i < 40; i++) yield i;
    }
    const results = await runPool(
      items(),
      async (i) => {
        running++;
        peaks[i] = running;
        if (i === 2) setLimit(4);
        if (i === 20) setLimit(2);
        await tick(3);
        running--;
        seen.push(i);
        return i;
      },
      { concurrency: dynamic },
    );
    // Every item ran once, and the pool waited for the workers started on the way.
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(40).keys()]);
    expect(results.map((r) => r.index)).toEqual([...Array(40).keys()]);
    expect(Math.max(...peaks.slice(0, 2))).toBe(1);
    expect(Math.max(...peaks.slice(3, 20))).toBe(4);
    expect(Math.max(...peaks.slice(30))).toBeLessThanOrEqual(2);
  });
});

import { describe, expect, it } from "vitest";
import { ConcurrencyTuner, eventLoopBusy } from "../../src/internal/adapt.js";

/**
 * Drives a tuner through a fake link: each step of `ms` delivers what `rate(limit)` bytes/ms
 * says, with the event loop as busy as `busy(limit)`. Returns the limits seen after each window.
 */
function simulate(
  options: { initial: number; max: number },
  rate: (limit: number, now: number) => number,
  busy: (limit: number) => number | undefined,
  steps = 200,
): { tuner: ConcurrencyTuner; limits: number[]; changes: number; perStep: number[] } {
  let now = 0;
  const tuner: ConcurrencyTuner = new ConcurrencyTuner({
    ...options,
    windowMs: 100,
    now: () => now,
    busy: (): number | undefined => busy(tuner.limit),
  });
  let changes = 0;
  tuner.onChange(() => changes++);
  const limits: number[] = [];
  const perStep: number[] = [];
  for (let i = 0; i < steps; i++) {
    now += 10;
    tuner.add(rate(tuner.limit, now) * 10);
    perStep.push(tuner.limit);
    if (limits.at(-1) !== tuner.limit) limits.push(tuner.limit);
  }
  return { tuner, limits, changes, perStep };
}

describe("ConcurrencyTuner", () => {
  it("adds connections while each one is capped and the event loop is idle", () => {
    // A far link: 25 bytes/ms per connection, a little event-loop time per connection.
    const { tuner, limits } = simulate(
      { initial: 1, max: 16 },
      (n) => 25 * n,
      (n) => 0.02 * n,
    );
    // Straight to what the idle loop can carry, then to the cap.
    expect(limits[0]).toBe(1);
    expect(limits.at(-1)).toBe(16);
    expect(limits.length).toBeLessThanOrEqual(4);
    expect(tuner.settled).toBe(true);
  });

  it("does not raise when the idle share of the event loop could carry no more requests", () => {
    // 4 requests keep the loop 70% busy: a fifth would not fit.
    const { limits } = simulate(
      { initial: 4, max: 16 },
      () => 100,
      () => 0.7,
    );
    expect(limits).toEqual([4]);
  });

  it("stays at one connection when the event loop is already busy", () => {
    const { limits, changes } = simulate(
      { initial: 1, max: 16 },
      () => 250,
      () => 0.9,
    );
    expect(limits).toEqual([1]);
    expect(changes).toBe(0);
  });

  it("takes back a raise that brought nothing, waits, and tries again", () => {
    // The server or the machine is the limit: more connections carry the same.
    const { limits, perStep } = simulate(
      { initial: 4, max: 16 },
      () => 40,
      () => 0.3,
      400,
    );
    // 4 × (0.8 − 0.1) / 0.3: what the idle loop would carry; three windows without a gain; back.
    expect(limits.slice(0, 3)).toEqual([4, 9, 4]);
    const back = perStep.indexOf(4, perStep.indexOf(9));
    // Ten windows (of 100 ms, 10 steps each) at 4 before the next try.
    expect(perStep.slice(back, back + 100).every((n) => n === 4)).toBe(true);
    expect(limits.slice(3, 5)).toEqual([9, 4]);
  });

  it("does not keep a raise for one lucky window of noise", () => {
    // ±15% from window to window whatever the count: the mean shows no gain.
    let window = 0;
    const { limits } = simulate(
      { initial: 4, max: 16 },
      (n, now) => {
        window = Math.floor(now / 100);
        return n === 4 ? 40 : 40 * [1.15, 0.85, 1][window % 3]!;
      },
      () => 0.35,
      120,
    );
    expect(limits).toEqual([4, 8, 4]);
  });

  it("keeps a raise whose gain shows only after a few windows (slow new connections)", () => {
    let raisedAt: number | undefined;
    const { limits, tuner } = simulate(
      { initial: 1, max: 4 },
      (n, now) => {
        if (n === 1) return 25;
        raisedAt ??= now;
        // The new connections carry nothing for their first 250 ms.
        return now - raisedAt < 250 ? 25 : 25 * n;
      },
      () => 0.3,
    );
    expect(limits).toEqual([1, 2, 4]);
    expect(tuner.settled).toBe(true);
  });

  it("climbs by doubling where the runtime cannot tell how busy it is", () => {
    const { limits } = simulate(
      { initial: 1, max: 8 },
      (n) => 10 * Math.min(n, 6),
      () => undefined,
    );
    // 8 carries no more than 6 would, but more than 4: it stays.
    expect(limits).toEqual([1, 2, 4, 8]);
  });

  it("does not count the first window after a change (handshakes)", () => {
    let now = 0;
    const tuner = new ConcurrencyTuner({
      initial: 1,
      max: 4,
      windowMs: 100,
      now: () => now,
      busy: () => 0.1,
    });
    // Bytes before the settling time has passed are ignored, however many.
    now = 50;
    tuner.add(1e9);
    expect(tuner.limit).toBe(1);
    now = 120;
    tuner.add(1);
    now = 230;
    tuner.add(100);
    expect(tuner.limit).toBe(4);
  });

  it("never starts above its cap", () => {
    const tuner = new ConcurrencyTuner({ initial: 32, max: 16 });
    expect(tuner.limit).toBe(16);
    expect(tuner.settled).toBe(true);
  });

  it("samples Node's event-loop utilisation", () => {
    const busy = eventLoopBusy();
    const sample = busy();
    expect(sample).toBeGreaterThanOrEqual(0);
    expect(sample).toBeLessThanOrEqual(1);
  });
});

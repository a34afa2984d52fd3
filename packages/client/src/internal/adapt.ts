// How many requests a transfer keeps in flight when the caller did not say: measured, not guessed
// from the host name. A far link caps each connection (latency, per-connection bandwidth) while
// the machine is idle, so more connections carry more; a near one is limited by the CPU, where
// more connections only add overhead. The tuner watches the bytes that arrive and how busy the
// event loop is, and raises the count while that raises the throughput.

/** The event loop's busy fraction since the previous call, where the runtime can tell (Node). */
export type BusySampler = () => number | undefined;

interface EventLoopUtilization {
  idle: number;
  active: number;
  utilization: number;
}
type EluFn = (a?: EventLoopUtilization, b?: EventLoopUtilization) => EventLoopUtilization;

/**
 * A {@link BusySampler} over Node's `performance.eventLoopUtilization()`; on runtimes without it
 * (browsers, Deno) every sample is `undefined` and only throughput decides.
 */
export function eventLoopBusy(): BusySampler {
  const elu = (globalThis.performance as { eventLoopUtilization?: EluFn } | undefined)
    ?.eventLoopUtilization;
  if (typeof elu !== "function") return () => undefined;
  const measure = elu.bind(globalThis.performance);
  let last = measure();
  return () => {
    const now = measure();
    const busy = measure(now, last).utilization;
    last = now;
    return busy;
  };
}

/** Options of {@link ConcurrencyTuner}. */
export interface TunerOptions {
  /** Requests in flight at the start. */
  initial: number;
  /** Never more than this. */
  max: number;
  /**
   * Length of one measurement, and the time new connections get to start (handshakes, the first
   * round trip) before theirs begins. @default 300
   */
  windowMs?: number | undefined;
  /** The clock (tests pass a fake one). */
  now?: (() => number) | undefined;
  /** How busy the event loop was since the last sample (tests pass a fake one). */
  busy?: BusySampler | undefined;
}

/**
 * Above this event-loop utilisation the transfer is limited by this process's CPU: more
 * connections would only share it.
 */
const BUSY = 0.8;
/** A step that raised throughput by less than this fraction is taken back. */
const NO_GAIN = 0.1;

/**
 * Chooses the number of requests in flight by hill climbing on measured throughput: after each
 * window it raises the count (doubling, or straight to what the idle share of the event loop
 * suggests) as long as the previous raise paid off and the event loop has room; a raise that
 * brought (almost) nothing is taken back and the count stays there.
 *
 * Why: a fixed count is wrong somewhere. One connection through a 40 ms, 200 Mbit/s link carried
 * 25 MB/s and 8 about 4× that, while on loopback one stream was as fast as four.
 */
export class ConcurrencyTuner {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #busy: BusySampler;
  readonly #listeners: (() => void)[] = [];
  #limit: number;
  /** The count before the last raise, to return to when it brought nothing. */
  #previous: number | undefined;
  /** Throughput (bytes/ms) measured at the count before the last raise. */
  #baseline: number | undefined;
  #settled = false;
  /** Where the current window starts (after the settling time) and the bytes counted in it. */
  #windowStart: number | undefined;
  #bytes = 0;
  #changedAt: number;

  constructor(options: TunerOptions) {
    this.#max = Math.max(1, Math.floor(options.max));
    this.#limit = Math.min(this.#max, Math.max(1, Math.floor(options.initial)));
    this.#windowMs = options.windowMs ?? 300;
    this.#now = options.now ?? (() => performance.now());
    this.#busy = options.busy ?? eventLoopBusy();
    this.#changedAt = this.#now();
    if (this.#limit >= this.#max) this.#settled = true;
  }

  /** The number of requests to keep in flight now. */
  get limit(): number {
    return this.#limit;
  }

  /** Whether the tuner has stopped changing the count. */
  get settled(): boolean {
    return this.#settled;
  }

  /** Calls `listener` whenever {@link limit} changes. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Counts `n` bytes that arrived (or left); may change {@link limit}. */
  add(n: number): void {
    if (this.#settled) return;
    const now = this.#now();
    if (this.#windowStart === undefined) {
      // New connections first pay their handshakes and a round trip: not counted.
      if (now - this.#changedAt < this.#windowMs) return;
      this.#windowStart = now;
      this.#bytes = 0;
      this.#busy();
      return;
    }
    this.#bytes += n;
    const elapsed = now - this.#windowStart;
    if (elapsed < this.#windowMs) return;
    this.#decide(this.#bytes / elapsed, this.#busy(), now);
  }

  #decide(rate: number, busy: number | undefined, now: number): void {
    const baseline = this.#baseline;
    const previous = this.#previous;
    if (baseline !== undefined && previous !== undefined && rate < baseline * (1 + NO_GAIN)) {
      // The last raise brought nothing: back to where it came from, for good.
      this.#set(previous, now);
      this.#settled = true;
      return;
    }
    if (this.#limit >= this.#max || (busy !== undefined && busy >= BUSY)) {
      this.#settled = true;
      return;
    }
    // Straight to the count the idle event loop could carry at this rate per request, at least
    // double (busy is unknown in browsers, where doubling alone climbs).
    const room =
      busy !== undefined && busy > 0 ? Math.floor((this.#limit * (BUSY - 0.1)) / busy) : 0;
    const next = Math.min(this.#max, Math.max(this.#limit * 2, room));
    this.#baseline = rate;
    this.#previous = this.#limit;
    this.#set(next, now);
  }

  #set(limit: number, now: number): void {
    this.#windowStart = undefined;
    this.#changedAt = now;
    if (limit === this.#limit) return;
    this.#limit = limit;
    for (const listener of this.#listeners) listener();
  }
}

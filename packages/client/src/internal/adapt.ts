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
/**
 * A raise is kept when the windows after it carry this much more throughput on average than
 * before it, or at once when one window carries {@link CLEAR_GAIN} more: a far link's raises
 * doubled it, while a near transfer's windows vary by ±20% at any count.
 */
const GAIN = 0.1;
/** A gain no window of noise shows: the raise is kept without waiting for more windows. */
const CLEAR_GAIN = 0.3;
/**
 * Windows a raise gets to show its gain: new connections on a loaded machine or a far link take a
 * while to reach their speed, and one window of noise must not undo a good raise.
 */
const VERIFY_WINDOWS = 3;
/** Windows to wait after a raise was taken back (or the loop was busy) before trying again. */
const COOLDOWN_WINDOWS = 10;

/**
 * Chooses the number of requests in flight by hill climbing on measured throughput: after a
 * window at the current count it raises the count to what the idle share of the event loop could
 * carry (doubling where the runtime cannot tell) unless that is no more than now; the raise is kept as soon as a
 * window shows clearly more throughput or the next few do on average, and taken back otherwise. After a step back
 * (or a busy loop) it waits a while and tries again, so a link that changes is followed.
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
  /** The count before the last raise, to return to when it brings nothing. */
  #previous: number | undefined;
  /** Throughput (bytes/ms) at the count before the last raise. */
  #baseline: number | undefined;
  /** Rates of the windows measured since the last raise. */
  #verified: number[] = [];
  /** No measuring before this time (settling after a change, or a cooldown). */
  #quietUntil: number;
  /** Where the current window started and the bytes counted in it. */
  #windowStart: number | undefined;
  #bytes = 0;

  constructor(options: TunerOptions) {
    this.#max = Math.max(1, Math.floor(options.max));
    this.#limit = Math.min(this.#max, Math.max(1, Math.floor(options.initial)));
    this.#windowMs = options.windowMs ?? 300;
    this.#now = options.now ?? (() => performance.now());
    this.#busy = options.busy ?? eventLoopBusy();
    this.#quietUntil = this.#now() + this.#windowMs;
  }

  /** The number of requests to keep in flight now. */
  get limit(): number {
    return this.#limit;
  }

  /** Whether the count can change no more (it is at the cap). */
  get settled(): boolean {
    return this.#limit >= this.#max && this.#previous === undefined;
  }

  /** Calls `listener` whenever {@link limit} changes. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Counts `n` bytes that arrived (or left); may change {@link limit}. */
  add(n: number): void {
    if (this.settled) return;
    const now = this.#now();
    if (now < this.#quietUntil) return;
    if (this.#windowStart === undefined) {
      // Bytes before the window starts belong to the settling time, not to it.
      this.#windowStart = now;
      this.#bytes = 0;
      this.#busy();
      return;
    }
    this.#bytes += n;
    const elapsed = now - this.#windowStart;
    if (elapsed < this.#windowMs) return;
    this.#windowStart = undefined;
    this.#decide(this.#bytes / elapsed, this.#busy(), now);
  }

  #decide(rate: number, busy: number | undefined, now: number): void {
    const previous = this.#previous;
    if (previous !== undefined) {
      // Verifying the last raise.
      const baseline = this.#baseline ?? 0;
      this.#verified.push(rate);
      const mean = this.#verified.reduce((sum, r) => sum + r, 0) / this.#verified.length;
      const clear = rate >= baseline * (1 + CLEAR_GAIN);
      if (!clear && this.#verified.length < VERIFY_WINDOWS) {
        this.#windowStart = now;
        this.#bytes = 0;
        return;
      }
      if (!clear && mean < baseline * (1 + GAIN)) {
        // It brought nothing: back, and try again after a while.
        this.#previous = undefined;
        this.#set(previous, now + COOLDOWN_WINDOWS * this.#windowMs);
        return;
      }
      this.#previous = undefined;
      rate = Math.max(rate, mean);
    }
    if (this.#limit >= this.#max) return;
    // Where the runtime tells how busy the event loop is: up to the count its idle share could
    // carry at this rate per request, and no raise when that is no more than now (the process
    // is the limit). Elsewhere (browsers) doubling alone climbs.
    let next = this.#limit * 2;
    if (busy !== undefined) {
      next = busy > 0 ? Math.floor((this.#limit * (BUSY - 0.1)) / busy) : this.#max;
      if (busy >= BUSY || next <= this.#limit) {
        this.#quietUntil = now + COOLDOWN_WINDOWS * this.#windowMs;
        return;
      }
    }
    this.#baseline = rate;
    this.#previous = this.#limit;
    this.#verified = [];
    this.#set(Math.min(this.#max, next), now + this.#windowMs);
  }

  #set(limit: number, quietUntil: number): void {
    this.#quietUntil = quietUntil;
    this.#windowStart = undefined;
    if (limit === this.#limit) return;
    this.#limit = limit;
    for (const listener of this.#listeners) listener();
  }
}

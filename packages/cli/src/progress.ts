import type cliProgress from "cli-progress";

import type { CliStream } from "./io.js";
import { progressBars } from "./lazy-require.js";
import { printable } from "./output.js";
import { formatDuration, formatSize } from "./sizes.js";

/** What one progress line shows: a transfer's label, position and timing. */
export interface ProgressState {
  /** Usually the file key. */
  label: string;
  /** Bytes transferred so far, including bytes that were already there when resuming. */
  value: number;
  /** Total bytes, when known (not for standard input). */
  total: number | undefined;
  /** Bytes already transferred when the bar started (a resumed transfer); excluded from the rate. */
  startValue: number;
  /** Milliseconds since the bar started. */
  elapsedMs: number;
}

const LABEL_WIDTH = 24;

function fitLabel(label: string): string {
  if (label.length <= LABEL_WIDTH) return label.padEnd(LABEL_WIDTH);
  return `…${label.slice(label.length - LABEL_WIDTH + 1)}`;
}

/**
 * Renders one progress line: label, bar, percentage, bytes, rate and ETA, fitted to `width`.
 *
 * A pure function of the state so the layout is unit-tested without a terminal. The rate counts
 * only bytes moved since the bar started: a resumed transfer must not look faster than it is.
 */
export function progressLine(state: ProgressState, width = 80): string {
  const seconds = state.elapsedMs / 1000;
  const moved = Math.max(0, state.value - state.startValue);
  const rate = seconds > 0.2 ? moved / seconds : undefined;
  const rateText = rate === undefined ? "--/s" : `${formatSize(rate)}/s`;
  const label = fitLabel(state.label);
  if (state.total === undefined) {
    return `${label} ${formatSize(state.value)} | ${rateText}`;
  }
  const total = state.total;
  const fraction = total === 0 ? 1 : Math.min(1, state.value / total);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const remaining = Math.max(0, total - state.value);
  const eta =
    remaining === 0
      ? "0s"
      : rate !== undefined && rate > 0
        ? formatDuration(remaining / rate)
        : "--";
  const tail = ` ${percent} | ${formatSize(state.value)}/${formatSize(total)} | ${rateText} | ETA ${eta}`;
  // Label, a space and the bar's brackets come before the tail; the bar takes what is left.
  const barWidth = Math.max(10, Math.min(40, width - label.length - tail.length - 4));
  const done = Math.round(fraction * barWidth);
  const bar = `[${"=".repeat(done)}${"-".repeat(barWidth - done)}]`;
  return `${label} ${bar}${tail}`;
}

/** One transfer's bar. Calls are cheap; the display redraws at a fixed rate. */
export interface ProgressBar {
  /** Moves the bar; `total` updates the size when it becomes known. */
  update(value: number, total?: number): void;
  /** Takes the bar off the display (the caller prints the result line). */
  done(): void;
}

/** Options for {@link Progress.create}. */
export interface ProgressOptions {
  /** Draw bars at all; false for `--quiet`, `--no-progress`, or stderr not being a terminal. */
  enabled: boolean;
  /** The clock, for tests. */
  now?: () => number;
}

const NO_BAR: ProgressBar = {
  update() {
    /* no display */
  },
  done() {
    /* no display */
  },
};

/** What each bar carries to the formatter. */
interface Payload {
  label: string;
  known: boolean;
  started: number;
  startValue: number;
}

/**
 * Progress bars for transfers on stderr, drawn with cli-progress, one line per running transfer.
 *
 * Only on a terminal: in a pipe or a log file, redrawn lines are noise, so a disabled display does
 * nothing at all and messages go straight to stderr. While bars are shown, messages go through
 * {@link Progress.log} so they appear above the bars instead of breaking them.
 */
export class Progress {
  /** Whether bars are drawn. */
  readonly enabled: boolean;
  readonly #stream: CliStream;
  readonly #now: () => number;
  #multi: cliProgress.MultiBar | undefined;
  readonly #live = new Set<cliProgress.SingleBar>();
  /** The bar summing all transfers, once {@link Progress.total} made one. */
  #sum: { bar: ProgressBar; value: number } | undefined;

  constructor(stream: CliStream, options: ProgressOptions) {
    this.#stream = stream;
    this.enabled = options.enabled && stream.isTTY === true;
    this.#now = options.now ?? Date.now;
  }

  /** Starts a bar for one transfer; `value` is where a resumed transfer starts. */
  bar(label: string, total: number | undefined, value = 0): ProgressBar {
    return this.#bar(label, total, value, true);
  }

  #bar(label: string, total: number | undefined, value: number, counted: boolean): ProgressBar {
    if (!this.enabled) return NO_BAR;
    const multi = this.#display();
    const payload: Payload = {
      label,
      known: total !== undefined,
      started: this.#now(),
      startValue: value,
    };
    const bar = multi.create(total ?? 0, value, payload);
    this.#live.add(bar);
    // cli-progress draws a multi-bar on its timer only; a short transfer would never show.
    multi.update();
    let size = total;
    let last = value;
    if (counted) this.addToTotal(value);
    return {
      update: (v, t) => {
        if (counted) this.addToTotal(v - last);
        last = v;
        if (t !== undefined && t !== size) {
          size = t;
          bar.setTotal(t);
          bar.update(v, { ...payload, known: true });
        } else {
          bar.update(v);
        }
      },
      done: () => {
        if (!this.#live.delete(bar)) return;
        // The final state is drawn once before the bar goes.
        multi.update();
        multi.remove(bar);
        // A total bar, when there is one, stays until the command ends.
        if (this.#live.size === 0) this.stop();
      },
    };
  }

  /**
   * Adds a bar that sums every transfer's bytes, for commands that move several files: the
   * per-file bars come and go, this one shows how far the whole command is. It stays until
   * {@link Progress.stop}.
   */
  total(files: number, bytes: number): void {
    if (!this.enabled || this.#sum !== undefined) return;
    this.#sum = { bar: this.#bar(`all ${String(files)} files`, bytes, 0, false), value: 0 };
  }

  /** Counts bytes towards the total bar, e.g. of a file skipped as already there. */
  addToTotal(bytes: number): void {
    const sum = this.#sum;
    if (sum === undefined || bytes === 0) return;
    sum.value += bytes;
    sum.bar.update(sum.value);
  }

  /** Prints a message on stderr, above the bars while they are shown. */
  log(message: string): void {
    const line = printable(message);
    if (this.#multi === undefined) {
      this.#stream.write(line + "\n");
      return;
    }
    this.#multi.log(line + "\n");
    this.#multi.update();
  }

  /** Removes every bar and restores the terminal; call when the command ends, also on failure. */
  stop(): void {
    const multi = this.#multi;
    if (multi === undefined) return;
    this.#multi = undefined;
    this.#sum = undefined;
    for (const bar of this.#live) multi.remove(bar);
    this.#live.clear();
    multi.stop();
  }

  #display(): cliProgress.MultiBar {
    if (this.#multi !== undefined) return this.#multi;
    const stream = this.#stream;
    const format = (
      _options: cliProgress.Options,
      params: cliProgress.Params,
      payload: Payload,
    ): string => {
      return progressLine(
        {
          label: payload.label,
          value: params.value,
          total: payload.known ? params.total : undefined,
          startValue: payload.startValue,
          elapsedMs: this.#now() - payload.started,
        },
        stream.columns ?? 80,
      );
    };
    const { MultiBar } = progressBars();
    this.#multi = new MultiBar({
      // cli-progress writes through `write`, `isTTY` and `columns` only (and readline's escape helpers).
      stream: stream as unknown as NodeJS.WritableStream,
      format,
      fps: 5,
      hideCursor: true,
      clearOnComplete: true,
      // nrp handles SIGINT itself (abort, then a resumable state and a hint).
      gracefulExit: false,
      autopadding: false,
    });
    return this.#multi;
  }
}

// A bounded worker pool over a (possibly lazy, possibly async) sequence: N workers pull the next
// item only when they are free, so memory and open requests stay bounded whatever the input size.

/** One item's outcome, at its position in the input. */
export type PoolResult<R> =
  { index: number; ok: true; value: R } | { index: number; ok: false; error: unknown };

/** A number of workers that may change while the pool runs (e.g. a `ConcurrencyTuner`). */
export interface DynamicConcurrency {
  /** Workers wanted now. */
  readonly limit: number;
  /** Calls `listener` when {@link DynamicConcurrency.limit} changes. */
  onChange(listener: () => void): void;
}

/** Options of {@link runPool}. */
export interface PoolOptions {
  /**
   * Items in flight at once: a number, or a {@link DynamicConcurrency} whose limit the pool
   * follows (more workers start when it rises; workers above it stop after their item).
   */
  concurrency: number | DynamicConcurrency;
  /** Once aborted, no further item is pulled or started; running items finish (or fail) on their own. */
  signal?: AbortSignal | undefined;
  /** Called after every finished item with the totals so far. */
  onSettled?: ((done: number, failed: number) => void) | undefined;
}

/**
 * Runs `worker` over `items` with at most `concurrency` in flight and returns every started item's
 * result in input order. A failing item never stops the others; an error thrown by the iterator
 * itself (or by `onSettled`) is rethrown once the started items have settled.
 */
export async function runPool<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  worker: (item: T, index: number) => Promise<R>,
  options: PoolOptions,
): Promise<PoolResult<R>[]> {
  const dynamic = typeof options.concurrency === "number" ? undefined : options.concurrency;
  const wanted = (): number => {
    const n = dynamic ? dynamic.limit : (options.concurrency as number);
    return Number.isFinite(n) ? Math.max(1, Math.floor(n)) : 1;
  };
  const iterator: Iterator<T> | AsyncIterator<T> =
    Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  const results: PoolResult<R>[] = [];
  let next = 0;
  let done = 0;
  let failed = 0;
  const state = { exhausted: false };
  let iteratorError: { error: unknown } | undefined;
  let callbackError: { error: unknown } | undefined;
  // Pulls are serialised: two workers must never call next() on the same iterator concurrently.
  let pulling: Promise<unknown> = Promise.resolve();

  const pull = (): Promise<{ item: T; index: number } | undefined> => {
    const result = pulling.then(async () => {
      if (state.exhausted || options.signal?.aborted) return undefined;
      try {
        const step = await iterator.next();
        if (step.done) {
          state.exhausted = true;
          return undefined;
        }
        return { item: step.value, index: next++ };
      } catch (error) {
        state.exhausted = true;
        iteratorError ??= { error };
        return undefined;
      }
    });
    pulling = result;
    return result;
  };

  let workers = 0;
  const run = async (): Promise<void> => {
    for (;;) {
      // Above a lowered limit, this worker stops (never the last one).
      if (workers > 1 && workers > wanted()) {
        workers--;
        return;
      }
      const got = await pull();
      if (!got) {
        workers--;
        return;
      }
      let outcome: PoolResult<R>;
      try {
        outcome = { index: got.index, ok: true, value: await worker(got.item, got.index) };
      } catch (error) {
        outcome = { index: got.index, ok: false, error };
        failed++;
      }
      results.push(outcome);
      done++;
      try {
        options.onSettled?.(done, failed);
      } catch (error) {
        // A broken progress callback must not strand the other items; it is reported at the end.
        callbackError ??= { error };
      }
    }
  };

  const running: Promise<void>[] = [];
  const spawn = (): void => {
    while (workers < wanted() && !state.exhausted && !options.signal?.aborted) {
      workers++;
      running.push(run());
    }
  };
  dynamic?.onChange(spawn);
  spawn();
  // Workers started while waiting join the list, so wait until it stops growing.
  let seen = 0;
  while (seen < running.length) {
    const batch = running.slice(seen);
    seen = running.length;
    await Promise.all(batch);
  }
  if (options.signal?.aborted && !state.exhausted) {
    // Release the source (closes generators, file handles behind async iterables).
    const close = (iterator as { return?: () => unknown }).return?.bind(iterator);
    await Promise.resolve(close?.()).catch(() => undefined);
  }
  if (iteratorError) throw iteratorError.error;
  if (callbackError) throw callbackError.error;
  return results.sort((a, b) => a.index - b.index);
}

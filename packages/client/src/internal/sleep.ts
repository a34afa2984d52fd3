import { setTimeout as delay } from "node:timers/promises";

/**
 * Waits `ms` milliseconds, rejecting as soon as `signal` aborts.
 *
 * Retry waits can be minutes long (Retry-After); a caller cancelling must not sit them out.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  if (ms <= 0) return;
  await delay(ms, undefined, signal ? { signal } : {});
}

/**
 * Waits `ms` milliseconds, rejecting with the signal's reason as soon as `signal` aborts.
 *
 * Retry waits can be minutes long (Retry-After); a caller cancelling must not sit them out. Plain
 * timers, so every runtime (and the browser bundle) runs the same code.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  if (ms <= 0) return;
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Loopback host names as `URL.hostname` spells them. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Range requests at once for a large download when `--concurrency` is not given: 1 from a server
 * on this machine, 4 from any other.
 *
 * Why: a remote server's connections are each limited by latency and per-connection bandwidth,
 * and 4 parallel ranges downloaded 256 MiB 2.2× faster than one stream through a 40 ms, 200 Mbit/s
 * link; on loopback the disk and the CPU are the limit and one stream was as fast or faster
 * (bench/RESULTS.md). The library still uses ranges only for large files on servers that serve
 * them.
 */
export function defaultDownloadConcurrency(url: string | undefined): number {
  if (url === undefined) return 1;
  try {
    return LOOPBACK.test(new URL(url).hostname) ? 1 : 4;
  } catch {
    return 1;
  }
}

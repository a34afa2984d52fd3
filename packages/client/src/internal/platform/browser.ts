// The browser platform: `fetch` as the page has it. The browser follows redirects itself (and
// drops the token on a cross-origin one), sends streamed bodies only over HTTP/2, verifies TLS
// and sets `User-Agent`. Selected by the `browser` condition of the package's `#platform` import.

import { CORS_REFUSED } from "../transport.js";
import type { Transport, TransportSettings } from "../transport.js";
import { createFetchTransport } from "./web.js";

/** The runtime named in the default `User-Agent` (browsers send their own instead). */
export const RUNTIME = "browser";

/** How long each probe of {@link diagnoseCors} may take. */
const PROBE_TIMEOUT_MS = 5000;

/**
 * Tells a CORS refusal from a network failure, which fetch reports alike (a bare `TypeError`):
 * a plain `HEAD` to the same URL (no token, so no preflight) that fails in `cors` mode but is
 * answered in `no-cors` mode means the server is there and refuses the page's origin. A `cors`
 * probe that is answered means the origin is allowed: the failure was the network's, and retried.
 */
async function diagnoseCors(url: URL, signal: AbortSignal): Promise<Error | undefined> {
  const probe = (mode: "cors" | "no-cors"): Promise<boolean> =>
    fetch(url, {
      method: "HEAD",
      mode,
      credentials: "omit",
      signal: AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]),
    }).then(
      () => true,
      () => false,
    );
  if ((await probe("cors")) || !(await probe("no-cors"))) return undefined;
  const page = (globalThis as { location?: { origin?: string } }).location?.origin;
  return Object.assign(
    new Error(
      `the repository at ${url.origin} answered, but does not allow requests from this page's origin${page === undefined ? "" : ` ${page}`} (CORS). The repository must allow that origin in its CORS configuration.`,
    ),
    { code: CORS_REFUSED },
  );
}

/** Creates the fetch transport; TLS options other than `verify: true` are refused. */
export function createTransport(settings: TransportSettings): Transport {
  return createFetchTransport(settings, {
    followRedirects: true,
    bufferBodies: true,
    runtime: "a browser",
    diagnose: diagnoseCors,
  });
}

// The browser platform: `fetch` as the page has it. The browser follows redirects itself (and
// drops the token on a cross-origin one), sends streamed bodies only over HTTP/2, verifies TLS
// and sets `User-Agent`. Selected by the `browser` condition of the package's `#platform` import.

import type { Transport, TransportSettings } from "../transport.js";
import { createFetchTransport } from "./web.js";

export * from "./no-disk.js";

/** The runtime named in the default `User-Agent` (browsers send their own instead). */
export const RUNTIME = "browser";

/** Creates the fetch transport; TLS options other than `verify: true` are refused. */
export function createTransport(settings: TransportSettings): Transport {
  return createFetchTransport(settings, {
    followRedirects: true,
    bufferBodies: true,
    runtime: "a browser",
  });
}

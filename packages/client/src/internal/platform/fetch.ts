// The transport Deno and Bun share: the runtime's own `fetch` with streamed request bodies and
// redirects handed to the HTTP core, as undici does on Node. Both runtimes provide Node's
// built-in modules, so everything else in the library runs unchanged there.

import type { Transport, TransportSettings } from "../transport.js";
import { createFetchTransport } from "./web.js";

/** Creates the fetch transport for `runtime`; TLS options other than `verify: true` are refused. */
export function fetchTransport(settings: TransportSettings, runtime: string): Transport {
  return createFetchTransport(settings, { followRedirects: false, bufferBodies: false, runtime });
}

// The transport Deno and Bun share: the runtime's own `fetch` with streamed request bodies and
// redirects handed to the HTTP core, as undici does on Node. Both runtimes provide Node's
// built-in modules, so everything else in the library runs unchanged there.

import { Readable } from "node:stream";
import type { ResponseBody, Transport, TransportSettings } from "../transport.js";
import { createFetchTransport } from "./web.js";

/**
 * A fetch body as a Node `Readable` (both runtimes have `Readable.fromWeb`), the form the file
 * downloads drain, as on Node.
 */
function readableBody(stream: ReadableStream<Uint8Array> | null): ResponseBody {
  const readable =
    stream === null ? Readable.from([], { objectMode: false }) : Readable.fromWeb(stream);
  return Object.assign(readable, {
    dump: (): Promise<void> => {
      readable.destroy();
      return Promise.resolve();
    },
  });
}

/** Creates the fetch transport for `runtime`; TLS options other than `verify: true` are refused. */
export function fetchTransport(settings: TransportSettings, runtime: string): Transport {
  return createFetchTransport(settings, {
    followRedirects: false,
    bufferBodies: false,
    runtime,
    body: readableBody,
  });
}

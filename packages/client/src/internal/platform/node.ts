// The Node platform: undici's keep-alive pool, CA bundle files, socket tuning. Selected by the
// `node` condition of the package's `#platform` import; Deno, Bun and browsers get `fetch.ts` or
// `browser.ts` instead, so nothing here has to run anywhere but Node.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import { setImmediate as nextTurn } from "node:timers/promises";
import type * as Undici from "undici";
import type { Agent, Dispatcher } from "undici";
import type {
  Transport,
  TransportBody,
  TransportRequest,
  TransportResponse,
  TransportSettings,
} from "../transport.js";

export * from "./disk.js";

/** The runtime named in the default `User-Agent`. */
export const RUNTIME = `node/${process.version}`;

/** What the transport takes from undici: its connection pool and the request call on it. */
interface UndiciParts {
  Agent: typeof Undici.Agent;
  request: (this: Agent, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
}

let undici: UndiciParts | undefined;

/**
 * Loads undici's `Agent` and its `request` once, on the first request of any client.
 *
 * undici is most of the library's import cost; commands and scripts that never send a request
 * (configuration, help, usage errors) should not pay for it. Its package entry also loads its
 * fetch, WebSocket and cookie code, whose first touch of `globalThis.Headers` loads Node's own
 * bundled copy of undici: two HTTP stacks for a client that uses neither fetch nor WebSocket.
 * So only the two modules the transport uses are loaded (undici has no `exports` map: these
 * paths are among its published files).
 */
function loadUndici(): UndiciParts {
  const require = createRequire(import.meta.url);
  undici ??= {
    Agent: require("undici/lib/dispatcher/agent.js") as typeof Undici.Agent,
    request: require("undici/lib/api/api-request.js") as UndiciParts["request"],
  };
  return undici;
}

/**
 * Bytes a socket may buffer before it stops reading. 1 MiB once made a 1 GiB download over
 * loopback faster with plain undici (bench/RESULTS.md), but what waits there is TLS records, one
 * buffer each: while the disk or a busy event loop holds a body back, they outlive
 * young-generation collections and are freed only by a full one. With 16 ranges in flight 1 MiB
 * peaked at 130-150 MiB of RSS, 64 KiB at 96-103, 32 KiB (with {@link BODY_BUFFER}) at 86-93;
 * one stream went from 78-84 to 74-76, for the same CPU (bench/RESULTS.md, "Memory").
 */
const SOCKET_READ_BUFFER = 32 * 1024;

/**
 * Bytes a response body buffers before undici stops reading its socket (undici's default is
 * 64 KiB): smaller for the same reason as {@link SOCKET_READ_BUFFER}; a body that is read as it
 * arrives, as every download is, never fills it.
 */
const BODY_BUFFER = 16 * 1024;

function toDispatchBody(body: TransportBody): string | Uint8Array | Readable {
  if (typeof body === "string" || body instanceof Uint8Array || body instanceof Readable) {
    return body;
  }
  // Bytes, not objects: one chunk read ahead, as the fs stream it usually wraps does.
  return Readable.from(body, { objectMode: false });
}

/**
 * Creates the undici transport. A `verify` string is a CA bundle path, read here so that a bad
 * path fails when the client is made; the error thrown then is a plain `Error` the HTTP core
 * reports as a configuration mistake.
 */
export function createTransport(settings: TransportSettings): Transport {
  const connect: { ca?: string; rejectUnauthorized: boolean } =
    typeof settings.verify === "string"
      ? { ca: readFileSync(settings.verify, "utf8"), rejectUnauthorized: true }
      : { rejectUnauthorized: settings.verify };
  let agent: Agent | undefined;
  const pool = (): Agent => {
    agent ??= new (loadUndici().Agent)({
      // undici hands these options to net.connect / tls.connect, whose sockets take the
      // stream option highWaterMark; undici's own type does not list it.
      connect: {
        ...connect,
        highWaterMark: SOCKET_READ_BUFFER,
      } as Undici.buildConnector.BuildOptions,
      keepAliveTimeout: 10_000,
      connections: 32,
    });
    return agent;
  };
  return {
    async request(req: TransportRequest): Promise<TransportResponse> {
      const body = req.body === undefined ? undefined : toDispatchBody(req.body);
      try {
        // undici frees a connection for the next request only in a callback that runs after the
        // previous response's body has ended: a request sent as soon as that body was read would
        // find the connection still marked busy and open another (a second TLS handshake, ~6 ms
        // of CPU and a round trip, for `nrp describe repository`'s two requests). One turn of the
        // event loop lets that callback run first.
        if (agent !== undefined) await nextTurn();
        // A pool created after the client closed would never be destroyed; no request may use it.
        req.signal.throwIfAborted();
        const res = await loadUndici().request.call(pool(), {
          origin: req.url.origin,
          path: `${req.url.pathname}${req.url.search}`,
          method: req.method,
          headers: { ...req.headers },
          body: body ?? null,
          signal: req.signal,
          headersTimeout: req.timeoutMs,
          bodyTimeout: req.timeoutMs,
          highWaterMark: BODY_BUFFER,
        });
        return { statusCode: res.statusCode, headers: res.headers, body: res.body };
      } catch (error) {
        if (body instanceof Readable && !body.destroyed) body.destroy();
        throw error;
      }
    },
    async close(): Promise<void> {
      // A client that never sent a request has no pool to close.
      if (agent) await agent.destroy();
    },
  };
}

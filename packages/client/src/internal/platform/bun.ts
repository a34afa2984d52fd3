// The Bun platform, selected by the `bun` condition of the package's `#platform` import.

import type { Transport, TransportSettings } from "../transport.js";
import { fetchTransport } from "./fetch.js";

const bun = (globalThis as { Bun?: { version?: string } }).Bun;

export * from "./disk.js";

/** The runtime named in the default `User-Agent`. */
export const RUNTIME = `bun/${bun?.version ?? "unknown"}`;

/** Creates the fetch transport; TLS options other than `verify: true` are refused. */
export function createTransport(settings: TransportSettings): Transport {
  return fetchTransport(settings, "Bun");
}

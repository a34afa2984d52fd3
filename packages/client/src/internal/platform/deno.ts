// The Deno platform, selected by the `deno` condition of the package's `#platform` import.

import type { Transport, TransportSettings } from "../transport.js";
import { fetchTransport } from "./fetch.js";

const deno = (globalThis as { Deno?: { version?: { deno?: string } } }).Deno;

export * from "./disk.js";

/** The runtime named in the default `User-Agent`. */
export const RUNTIME = `deno/${deno?.version?.deno ?? "unknown"}`;

/** Creates the fetch transport; TLS options other than `verify: true` are refused. */
export function createTransport(settings: TransportSettings): Transport {
  return fetchTransport(settings, "Deno");
}

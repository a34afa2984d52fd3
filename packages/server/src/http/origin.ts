import type { IncomingMessage } from "node:http";

/** Where the server listens, as far as link building is concerned. */
export interface Listening {
  scheme: "http" | "https";
  /** Host name or IP the socket is bound to. */
  host: string;
  port: number;
  /** Canonical origin printed and returned by `startDevServer`. */
  url: string;
}

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

function bracketed(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/**
 * The origin for links in a response: the `Host` the client used when it names this server
 * (e.g. `localhost` vs `127.0.0.1`, which matters for TLS names), otherwise the listening URL,
 * so a forged `Host` header can't point links elsewhere.
 */
export function requestOrigin(req: IncomingMessage, listening: Listening): string {
  const host = req.headers.host?.toLowerCase();
  if (host === undefined) return listening.url;
  const names = new Set([...LOOPBACK_NAMES, bracketed(listening.host.toLowerCase())]);
  for (const name of names) {
    if (host === `${name}:${listening.port}`) return `${listening.scheme}://${host}`;
  }
  return listening.url;
}

/** The canonical origin for a bound address: wildcard binds are reached through loopback. */
export function listeningUrl(scheme: "http" | "https", host: string, port: number): string {
  let name = host;
  if (host === "0.0.0.0" || host === "") name = "127.0.0.1";
  else if (host === "::" || host === "[::]") name = "::1";
  return `${scheme}://${bracketed(name)}:${port}`;
}

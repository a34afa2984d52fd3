import type { IncomingMessage } from "node:http";

/**
 * One request as the devserver saw it, so tests can count attempts and check what a client sent.
 * Credentials are never recorded: not the `Authorization` header, nor an `access_token` in the
 * query, nor cookies or proxy credentials.
 */
export interface RequestLogEntry {
  /** Position in the log since start-up, from 1. */
  seq: number;
  /** When the request arrived (ISO 8601). */
  time: string;
  method: string;
  /** Path and query string as sent, with the value of any `access_token` parameter redacted. */
  path: string;
  /** Header names in the order the client sent them, as it spelled them (Authorization included). */
  headerNames: string[];
  /**
   * Header values by lower-case name, without `authorization`; `cookie` and `proxy-authorization`
   * are present (so a test can see they were sent) with the value `REDACTED`.
   */
  headers: Record<string, string>;
  userAgent: string | null;
  /** An `Authorization` header was sent. */
  authorization: boolean;
  /** It carried a valid token. */
  authorized: boolean;
  /** Username of the token's owner, `null` for anonymous requests. */
  user: string | null;
  /** Response status; `null` while in flight, 0 when the connection was dropped before any response. */
  status: number | null;
  /** Id of the fault rule applied to this request, if any. */
  fault: string | null;
  /** The connection was cut by a fault (`dropAfterBytes`). */
  dropped: boolean;
  /** Time until the response finished or the connection closed. */
  durationMs: number | null;
}

/** What the log shows in place of a credential. */
export const REDACTED = "REDACTED";

/** Headers whose values are credentials, logged as `REDACTED`. */
const SECRET_HEADERS = new Set(["cookie", "proxy-authorization"]);

/** Query parameters whose values are credentials (compared after decoding, ignoring case). */
const SECRET_PARAMS = new Set(["access_token"]);

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " ")).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/**
 * The request target with the values of credential parameters replaced by `REDACTED`; the rest,
 * including the order and spelling of the parameters, stays as sent.
 */
export function redactTarget(target: string): string {
  const q = target.indexOf("?");
  if (q < 0) return target;
  const hash = target.indexOf("#", q);
  const end = hash < 0 ? target.length : hash;
  const parts = target.slice(q + 1, end).split("&");
  const redacted = parts.map((part) => {
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    if (!SECRET_PARAMS.has(decodedName(name))) return part;
    return `${name}=${REDACTED}`;
  });
  return `${target.slice(0, q + 1)}${redacted.join("&")}${target.slice(end)}`;
}

/** Oldest entries are dropped past this many, so a long-running server's memory stays bounded. */
export const MAX_LOG_ENTRIES = 10_000;

/** Builds the log entry for a request that has just arrived. */
export function logEntry(
  req: IncomingMessage,
  seq: number,
  auth: { sent: boolean; user: string | null },
): RequestLogEntry {
  const headerNames: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    if (name !== undefined) headerNames.push(name);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === "authorization" || value === undefined) continue;
    headers[name] = SECRET_HEADERS.has(name)
      ? REDACTED
      : Array.isArray(value)
        ? value.join(", ")
        : value;
  }
  return {
    seq,
    time: new Date().toISOString(),
    method: req.method ?? "GET",
    path: redactTarget(req.url ?? "/"),
    headerNames,
    headers,
    userAgent: req.headers["user-agent"] ?? null,
    authorization: auth.sent,
    authorized: auth.user !== null,
    user: auth.user,
    status: null,
    fault: null,
    dropped: false,
    durationMs: null,
  };
}

/** Appends to the log, trimming it to `MAX_LOG_ENTRIES`. */
export function appendLog(log: RequestLogEntry[], entry: RequestLogEntry): void {
  log.push(entry);
  if (log.length > MAX_LOG_ENTRIES) log.splice(0, log.length - MAX_LOG_ENTRIES);
}

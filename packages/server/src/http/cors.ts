import type { IncomingMessage, ServerResponse } from "node:http";

/** Cross-origin settings, resolved from the config's `cors` key. */
export interface CorsPolicy {
  /** Origins (`scheme://host[:port]`) whose pages may call the API; `*` allows any origin. */
  readonly origins: readonly string[];
  /** Seconds a browser may cache a preflight answer. */
  readonly maxAge: number;
}

/** Request headers allowed when a preflight names none; otherwise the named ones are echoed. */
const ALLOWED_HEADERS = [
  "Authorization",
  "Content-Type",
  "Content-MD5",
  "Content-Range",
  "Content-Length",
  "If-Match",
  "If-None-Match",
  "Range",
  "Accept",
  "Prefer",
];

/** Response headers a page may read besides the CORS-safelisted ones. */
const EXPOSED_HEADERS = [
  "ETag",
  "Content-Range",
  "Content-Length",
  "Content-MD5",
  "Accept-Ranges",
  "Link",
  "Location",
  "Retry-After",
  "X-RateLimit-Limit",
  "X-RateLimit-Remaining",
  "X-RateLimit-Reset",
];

const METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/**
 * Adds the CORS headers a request from an allowed origin gets, as Flask-CORS does for an Invenio
 * configured with `CORS_ORIGINS`: the origin is echoed (never `*`, since requests carry a token),
 * `Vary: Origin` always. Returns true when the request is a preflight, which the caller answers
 * with an empty 200 without routing it.
 */
export function applyCors(
  policy: CorsPolicy | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  if (policy === undefined || policy.origins.length === 0) return false;
  res.setHeader("Vary", "Origin");
  const origin = req.headers.origin;
  if (typeof origin !== "string" || !allowed(policy, origin)) return false;
  res.setHeader("Access-Control-Allow-Origin", origin);
  res.setHeader("Access-Control-Allow-Credentials", "true");
  const preflight =
    req.method?.toUpperCase() === "OPTIONS" &&
    typeof req.headers["access-control-request-method"] === "string";
  if (!preflight) {
    res.setHeader("Access-Control-Expose-Headers", EXPOSED_HEADERS.join(", "));
    return false;
  }
  res.setHeader("Access-Control-Allow-Methods", METHODS);
  // Flask-CORS's default (`allow_headers="*"`) echoes what the browser asks for.
  const asked = req.headers["access-control-request-headers"];
  res.setHeader(
    "Access-Control-Allow-Headers",
    typeof asked === "string" && asked.trim() !== "" ? asked : ALLOWED_HEADERS.join(", "),
  );
  res.setHeader("Access-Control-Max-Age", String(policy.maxAge));
  return true;
}

function allowed(policy: CorsPolicy, origin: string): boolean {
  return policy.origins.includes("*") || policy.origins.includes(origin);
}

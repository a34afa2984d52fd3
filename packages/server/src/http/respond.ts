import type { ServerResponse } from "node:http";
import { errorBody, type FieldError } from "./errors.js";
import { JSON_TYPE } from "./negotiate.js";

/** Extra response headers. */
export type Headers = Readonly<Record<string, string>>;

/** Sends `body` as JSON with an exact `Content-Length`, so keep-alive clients can reuse the socket. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Headers = {},
  contentType: string = JSON_TYPE,
): void {
  const payload = Buffer.from(JSON.stringify(body), "utf8");
  res.writeHead(status, {
    ...headers,
    "Content-Type": contentType,
    "Content-Length": String(payload.length),
  });
  res.end(payload);
}

/** Sends Invenio's JSON error body (docs/protocol/conventions.md#error-bodies). */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  errors: FieldError[] = [],
  headers: Headers = {},
): void {
  sendJson(res, status, errorBody(status, message, errors), headers);
}

/** Sends an HTML page. */
export function sendHtml(res: ServerResponse, status: number, html: string): void {
  const payload = Buffer.from(html, "utf8");
  res.writeHead(status, {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": String(payload.length),
  });
  res.end(payload);
}

/** Sends a response without a body (204, OPTIONS). */
export function sendEmpty(res: ServerResponse, status: number, headers: Headers = {}): void {
  res.writeHead(status, { ...headers, "Content-Length": "0" });
  res.end();
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/**
 * Sends a redirect with Werkzeug's small HTML body, as Flask does for `strict_slashes`
 * (docs/protocol/conventions.md#url-layout).
 */
export function sendRedirect(res: ServerResponse, status: number, location: string): void {
  const href = escapeHtml(location);
  const payload = Buffer.from(
    `<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n` +
      `<p>You should be redirected automatically to the target URL: <a href="${href}">${href}</a>. ` +
      `If not, click the link.\n`,
    "utf8",
  );
  res.writeHead(status, {
    Location: location,
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": String(payload.length),
  });
  res.end(payload);
}

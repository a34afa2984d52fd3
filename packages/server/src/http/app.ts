import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import {
  corruptResponse,
  sendFaultResponse,
  throttleRequest,
  truncateRequest,
  truncateResponse,
  type Faults,
} from "../faults.js";
import type { User } from "../store/users.js";
import { authenticate } from "./auth.js";
import { applyCors, type CorsPolicy } from "./cors.js";
import type { RequestContext } from "./context.js";
import { HttpError, METHOD_NOT_ALLOWED_MESSAGE, NOT_FOUND_MESSAGE } from "./errors.js";
import { requestOrigin, type Listening } from "./origin.js";
import { appendLog, logEntry, type RequestLogEntry } from "./request-log.js";
import { sendEmpty, sendError, sendHtml, sendJson, sendRedirect } from "./respond.js";
import type { Router } from "./router.js";

/** Paths of the devserver's own admin API: never faulted, never logged. */
export const ADMIN_PREFIX = "/_devserver/";

/** What the request pipeline needs from the server around it. */
export interface AppDeps {
  router: Router;
  /** Where the server listens (known only once it is bound). */
  listening: () => Listening;
  userByToken: (token: string) => User | undefined;
  faults: Faults;
  requestLog: RequestLogEntry[];
  log: ((line: string) => void) | undefined;
  /** Aborted when the server closes, so delayed requests don't outlive it. */
  closing: AbortSignal;
  /** Numbers log entries; listeners sharing one request log share it. Default: a counter of their own. */
  nextSeq?: () => number;
  /**
   * Answer unrouted paths outside `/api/` with an HTML page (a Flask UI's 404) instead of
   * Invenio's JSON error body.
   */
  htmlNotFound?: boolean;
  /** Origins whose pages may call this server; without it no CORS headers are sent. */
  cors?: CorsPolicy | undefined;
}

/** The page a Flask UI answers an unknown path with. */
const NOT_FOUND_PAGE = `<!DOCTYPE html>
<html lang="en">
  <head><meta charset="utf-8"/><title>Page not found</title></head>
  <body><h1>Page not found</h1><p>${NOT_FOUND_MESSAGE}</p></body>
</html>
`;

/** Waits `ms`, giving up (false) when the server closes or the client goes away first. */
async function delay(ms: number, req: IncomingMessage, closing: AbortSignal): Promise<boolean> {
  const gone = new AbortController();
  const onClose = (): void => {
    gone.abort();
  };
  req.socket.once("close", onClose);
  try {
    await sleep(ms, undefined, { signal: AbortSignal.any([closing, gone.signal]) });
    return true;
  } catch {
    return false;
  } finally {
    req.socket.off("close", onClose);
  }
}

/** Waits until the hold rule `id` lets the request go; false when the client or server goes first. */
async function held(
  faults: Faults,
  id: string,
  req: IncomingMessage,
  closing: AbortSignal,
): Promise<boolean> {
  const gone = new AbortController();
  const onClose = (): void => {
    gone.abort();
  };
  req.socket.once("close", onClose);
  try {
    return await faults.hold(id, AbortSignal.any([closing, gone.signal]));
  } finally {
    req.socket.off("close", onClose);
  }
}

function splitUrl(url: string): { path: string; search: string } {
  let target = url;
  if (!target.startsWith("/")) {
    // Absolute-form request targets (sent to proxies) still name a path on this server.
    try {
      const parsed = new URL(target);
      target = parsed.pathname + parsed.search;
    } catch {
      target = "/";
    }
  }
  const q = target.indexOf("?");
  return q < 0
    ? { path: target, search: "" }
    : { path: target.slice(0, q), search: target.slice(q) };
}

async function dispatch(
  ctx: RequestContext,
  router: Router,
  search: string,
  htmlNotFound: boolean,
): Promise<void> {
  let match;
  try {
    match = router.match(ctx.method, ctx.path);
  } catch {
    // Malformed percent-encoding cannot name any route.
    match = { kind: "not-found" as const };
  }
  switch (match.kind) {
    case "handler":
      await match.handler({ ...ctx, params: match.params });
      return;
    case "options":
      sendEmpty(ctx.res, 200, { Allow: match.allow });
      return;
    case "redirect":
      sendRedirect(ctx.res, 308, `${ctx.origin}${match.path}${search}`);
      return;
    case "method-not-allowed":
      throw new HttpError(405, METHOD_NOT_ALLOWED_MESSAGE, { headers: { Allow: match.allow } });
    case "not-found":
      if (htmlNotFound && !ctx.path.startsWith("/api/")) {
        sendHtml(ctx.res, 404, NOT_FOUND_PAGE);
        return;
      }
      throw new HttpError(404, NOT_FOUND_MESSAGE);
  }
}

/**
 * The request pipeline: authenticate, log, apply a fault if one matches, route, and turn any error
 * into Invenio's JSON error body.
 */
export function createRequestListener(
  deps: AppDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  let seq = 0;
  const nextSeq = deps.nextSeq ?? ((): number => ++seq);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    // A preflight is the browser's question, not the page's request: answered before logging and
    // faults, so the request log (and every fault rule) sees the same requests from any runtime.
    if (applyCors(deps.cors, req, res)) {
      sendEmpty(res, 200);
      return;
    }
    const method = (req.method ?? "GET").toUpperCase();
    const { path, search } = splitUrl(req.url ?? "/");
    const auth = authenticate(req, deps.userByToken);
    const origin = requestOrigin(req, deps.listening());
    const ctx: RequestContext = {
      req,
      res,
      method,
      path,
      query: new URLSearchParams(search),
      params: {},
      origin,
      apiUrl: `${origin}/api`,
      user: auth.user,
    };
    const admin = path.startsWith(ADMIN_PREFIX);
    let entry: RequestLogEntry | undefined;
    if (!admin) {
      entry = logEntry(req, nextSeq(), { sent: auth.sent, user: auth.user?.username ?? null });
      appendLog(deps.requestLog, entry);
      const logged = entry;
      res.on("close", () => {
        logged.status = logged.dropped && !res.headersSent ? 0 : res.statusCode;
        logged.durationMs = Math.round(performance.now() - started);
        deps.log?.(
          `${method} ${logged.path} ${logged.dropped ? "dropped" : String(logged.status)} ${logged.durationMs}ms`,
        );
      });
    }

    const fault = admin ? undefined : deps.faults.draw(method, path);
    if (fault !== undefined && entry !== undefined) {
      const { rule } = fault;
      const logged = entry;
      logged.fault = fault.id;
      if (rule.delayMs !== undefined && rule.delayMs > 0) {
        if (!(await delay(rule.delayMs, req, deps.closing))) return;
      }
      if (rule.hold === true && !(await held(deps.faults, fault.id, req, deps.closing))) return;
      if (rule.dropAfterBytes !== undefined) {
        if (rule.dropAfterBytes === 0 && rule.status === undefined) {
          logged.dropped = true;
          req.socket.destroy();
          return;
        }
        truncateResponse(res, rule.dropAfterBytes, () => {
          logged.dropped = true;
        });
      }
      if (rule.corruptByteAt !== undefined) corruptResponse(res, rule.corruptByteAt);
      if (rule.dropAfterRequestBytes !== undefined) {
        truncateRequest(req, rule.dropAfterRequestBytes, () => {
          logged.dropped = true;
        });
        if (rule.dropAfterRequestBytes === 0) return;
      }
      if (rule.requestBytesPerSecond !== undefined) {
        throttleRequest(req, rule.requestBytesPerSecond);
      }
      if (rule.status !== undefined) {
        sendFaultResponse(res, { ...rule, status: rule.status });
        return;
      }
    }

    try {
      await dispatch(ctx, deps.router, search, deps.htmlNotFound === true);
    } catch (error) {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        sendJson(res, error.status, error.toBody(), error.headers);
        return;
      }
      deps.log?.(
        `error handling ${method} ${path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      sendError(res, 500, "Internal server error.");
    }
  };
  return (req, res) => {
    void handle(req, res);
  };
}

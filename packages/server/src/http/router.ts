import FindMyWay from "find-my-way";
import type { RequestContext } from "./context.js";

/** HTTP methods the devserver routes. HEAD and OPTIONS are derived, as Werkzeug does. */
export type Method = "GET" | "POST" | "PUT" | "DELETE" | "PATCH";

const ROUTED: readonly Method[] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

/** A route handler: reads the request from the context and writes the response (or throws `HttpError`). */
export type Handler = (ctx: RequestContext) => void | Promise<void>;

/** What a path resolves to: a handler, a slash redirect, a wrong method, or nothing. */
export type RouteMatch =
  | { kind: "handler"; handler: Handler; params: Readonly<Record<string, string>> }
  | { kind: "options"; allow: string }
  | { kind: "redirect"; path: string }
  | { kind: "method-not-allowed"; allow: string }
  | { kind: "not-found" };

// find-my-way wants a handler of its own shape; ours travels in the route's store instead.
function unusedHandler(): void {
  return undefined;
}

/**
 * Routes by method and path, with Werkzeug's rules on top of find-my-way: HEAD falls back to GET,
 * OPTIONS and 405 report `Allow`, and a collection registered with a trailing slash answers its
 * slash-less form with a 308 (docs/protocol/conventions.md#url-layout).
 */
export class Router {
  private readonly tree = FindMyWay({ ignoreTrailingSlash: false, caseSensitive: true });

  /**
   * Registers `handler` for `method` on `path` (`:name` captures one segment, a final `*` the rest).
   */
  on(method: Method | readonly Method[], path: string, handler: Handler): void {
    const methods: readonly Method[] = typeof method === "string" ? [method] : method;
    for (const m of methods) this.tree.on(m, path, unusedHandler, handler);
  }

  /** Resolves `method` on the (still percent-encoded) `path`. */
  match(method: string, path: string): RouteMatch {
    const upper = method.toUpperCase();
    const direct = this.find(upper === "HEAD" ? "GET" : upper, path);
    if (direct !== undefined) return { kind: "handler", ...direct };
    const allowed = this.allowed(path);
    if (allowed.length > 0) {
      const allow = allowHeader(allowed);
      return upper === "OPTIONS"
        ? { kind: "options", allow }
        : { kind: "method-not-allowed", allow };
    }
    if (!path.endsWith("/") && this.allowed(`${path}/`).length > 0) {
      return { kind: "redirect", path: `${path}/` };
    }
    return { kind: "not-found" };
  }

  private find(
    method: string,
    path: string,
  ): { handler: Handler; params: Readonly<Record<string, string>> } | undefined {
    if (!(ROUTED as readonly string[]).includes(method)) return undefined;
    const found = this.tree.find(method as Method, path);
    if (found === null) return undefined;
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(found.params)) {
      if (value !== undefined) params[key] = value;
    }
    return { handler: found.store as Handler, params };
  }

  private allowed(path: string): Method[] {
    return ROUTED.filter((m) => this.tree.find(m, path) !== null);
  }
}

function allowHeader(methods: readonly Method[]): string {
  const all = new Set<string>(methods);
  if (all.has("GET")) all.add("HEAD");
  all.add("OPTIONS");
  return [...all].sort().join(", ");
}

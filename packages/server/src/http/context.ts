import type { IncomingMessage, ServerResponse } from "node:http";
import type { User } from "../store/users.js";
import { HttpError, PERMISSION_DENIED_MESSAGE } from "./errors.js";

/** Everything a handler needs about one request; handlers never parse the raw request themselves. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Upper-case request method. */
  readonly method: string;
  /** URL path exactly as sent (still percent-encoded). */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Decoded route parameters. */
  readonly params: Readonly<Record<string, string>>;
  /** Origin the client used to reach us, e.g. `http://127.0.0.1:5000`; every link starts here. */
  readonly origin: string;
  /** `${origin}/api`. */
  readonly apiUrl: string;
  /** The authenticated user; `undefined` for anonymous callers. */
  readonly user: User | undefined;
}

/**
 * The authenticated user, or Invenio's 403 for anonymous callers (never 401,
 * docs/protocol/conventions.md#authentication).
 */
export function requireUser(ctx: RequestContext): User {
  if (ctx.user === undefined) throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
  return ctx.user;
}

/** The value of route parameter `name`; a missing one is a routing bug, hence a 500. */
export function param(ctx: RequestContext, name: string): string {
  const value = ctx.params[name];
  if (value === undefined) throw new HttpError(500, `Route parameter '${name}' is missing.`);
  return value;
}

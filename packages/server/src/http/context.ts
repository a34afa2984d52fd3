import type { IncomingMessage, ServerResponse } from "node:http";
import type { User } from "../store/users.js";
import { HttpError, PERMISSION_DENIED_MESSAGE, validationError } from "./errors.js";

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

/** The authenticated user, or Invenio's 403 for anonymous callers (never 401, protocol §1.4). */
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

/**
 * The strings marshmallow's `fields.Boolean` reads as true and false: Invenio declares every
 * boolean query argument (`expand`, `is_open`, `mine`, …) with it, so any of these works there.
 */
const TRUTHY: ReadonlySet<string> = new Set(
  ["t", "true", "on", "y", "yes", "1"].flatMap((s) => [s, s.toUpperCase(), cap(s)]),
);
const FALSY: ReadonlySet<string> = new Set(
  ["f", "false", "off", "n", "no", "0"].flatMap((s) => [s, s.toUpperCase(), cap(s)]),
);

function cap(s: string): string {
  return `${s.charAt(0).toUpperCase()}${s.slice(1)}`;
}

/**
 * A boolean query argument as marshmallow's `Boolean` loads it (`1`/`true`/`yes`/`on`/`t`/`y` in
 * lower, upper or capitalised case, and their false forms): `undefined` when absent, Invenio's
 * 400 `Not a valid boolean.` for anything else, so a client learns of its typo.
 */
export function booleanArg(query: URLSearchParams, name: string): boolean | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (TRUTHY.has(raw)) return true;
  if (FALSY.has(raw)) return false;
  throw validationError([{ field: name, messages: ["Not a valid boolean."] }]);
}

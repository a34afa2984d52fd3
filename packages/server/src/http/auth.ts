import type { IncomingMessage } from "node:http";

/** What the request's `Authorization` header amounted to. */
export interface AuthState<U> {
  /** An `Authorization` header was sent at all. */
  sent: boolean;
  /**
   * The user the bearer token belongs to; `undefined` means anonymous
   * (docs/protocol/conventions.md#authentication).
   */
  user: U | undefined;
}

/** The bearer token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Resolves the caller like invenio-oauth2server: a valid token selects its user, a missing or
 * invalid one leaves the request anonymous instead of failing it with 401
 * (docs/protocol/conventions.md#authentication).
 */
export function authenticate<U>(
  req: IncomingMessage,
  lookup: (token: string) => U | undefined,
): AuthState<U> {
  const sent = req.headers.authorization !== undefined;
  const token = bearerToken(req);
  return { sent, user: token === undefined ? undefined : lookup(token) };
}

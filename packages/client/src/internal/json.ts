// Narrowing of server bodies, which arrive as `unknown`.

import type { Json } from "../core/json.js";

/**
 * Tells a JSON object apart from arrays, null and scalars.
 *
 * Server bodies are `unknown` until checked; this is the one check every resource narrows with.
 */
export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

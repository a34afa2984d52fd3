// File keys as paths on disk (Node, Deno and Bun only: the browser entry has no paths).

import { join, resolve, sep } from "node:path";
import { UnsafeFileKeyError } from "./errors.js";
import { checkFileKey } from "./file-keys.js";

/**
 * The path of `key` inside `dir`, after {@link checkFileKey}; the result is checked once more to
 * lie inside `dir`.
 */
export function safeFilePath(dir: string, key: string): string {
  checkFileKey(key);
  const base = resolve(dir);
  const target = resolve(join(base, ...key.split("/")));
  if (!target.startsWith(base.endsWith(sep) ? base : base + sep)) {
    throw new UnsafeFileKeyError(key, "it resolves outside the target directory");
  }
  return target;
}

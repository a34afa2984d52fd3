// File keys as local paths: a key comes from the server, so it must never choose a path outside
// the directory a download was asked to write to.

import { UnsafeFileKeyError } from "./errors.js";

const WINDOWS_DRIVE = /^[A-Za-z]:/;
// C0 control characters (NUL included) and DEL never belong in a file name.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Why `key` is unsafe as a relative path, or `undefined` when it is safe.
 *
 * Keys may contain `/` (Invenio's key is a path converter, docs/protocol/files.md#routes) and
 * become sub-directories; any form that could climb out of the target, be absolute, or mean
 * something else on Windows is refused rather than rewritten, so a download never lands somewhere
 * the user did not expect.
 */
export function unsafeKeyReason(key: string): string | undefined {
  if (typeof key !== "string" || key === "") return "it is empty";
  if (CONTROL.test(key)) return "it contains a control character (NUL, newline, …)";
  if (key.includes("\\")) return "it contains a backslash, a path separator on Windows";
  // With backslashes and drive letters refused, a leading "/" is the one absolute form left.
  if (key.startsWith("/")) return "it is an absolute path";
  if (WINDOWS_DRIVE.test(key)) return "it starts with a drive letter";
  for (const segment of key.split("/")) {
    if (segment === "") return "it has an empty path segment (// or a trailing /)";
    if (segment === "." || segment === "..") return `it has a "${segment}" path segment`;
  }
  return undefined;
}

/** Throws {@link UnsafeFileKeyError} unless `key` is a safe relative path. */
export function checkFileKey(key: string): void {
  const reason = unsafeKeyReason(key);
  if (reason !== undefined) throw new UnsafeFileKeyError(key, reason);
}

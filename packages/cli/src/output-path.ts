import { stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";

import { CliError, ExitCode, UsageError } from "./errors.js";

/**
 * Why a file key cannot be used as a path below the output directory, or `undefined` when it can.
 *
 * Keys come from the server; a hostile or broken one (`../../.bashrc`, `/etc/passwd`, `C:\x`, a NUL)
 * must never make nrp write outside the directory the user named. Backslashes are refused on every
 * platform so a key means the same file everywhere.
 */
export function unsafeKeyReason(key: string): string | undefined {
  if (key === "") return "it is empty";
  if (key.includes("\u0000")) return "it contains a NUL character";
  if (key.includes("\\")) return "it contains a backslash";
  if (key.startsWith("/") || /^[A-Za-z]:/.test(key)) return "it is an absolute path";
  const segments = key.split("/");
  if (segments.some((s) => s === "..")) return 'it contains a ".." segment';
  if (segments.some((s) => s === "" || s === ".")) return "it contains an empty or '.' segment";
  return undefined;
}

/**
 * The path a key is written to below `dir`; refuses keys that would land anywhere else.
 *
 * Checked twice: by the key's shape ({@link unsafeKeyReason}) and by where the joined path resolves,
 * so a rule missed in one is caught by the other.
 */
export function safeJoin(dir: string, key: string): string {
  const reason = unsafeKeyReason(key);
  const base = resolve(dir);
  const target = resolve(base, key);
  const rel = relative(base, target);
  const escapes = rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel);
  if (reason !== undefined || escapes) {
    throw new CliError(
      // Quoted as JSON: a hostile key's control characters must not reach the terminal raw.
      `Refusing to write the file ${JSON.stringify(key)}: ${reason ?? "it would land outside the output directory"}.`,
      {
        exitCode: ExitCode.conflict,
        code: "unsafe_key",
        hint: `Nothing is written outside ${base}. Download it alone with -o FILE to choose its name.`,
      },
    );
  }
  return join(base, key);
}

/** Where the downloaded files go: standard output, or one path per key. */
export type DownloadPlan =
  | { kind: "stdout"; key: string }
  | { kind: "files"; dir: string | undefined; targets: { key: string; path: string }[] };

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Decides where each selected key is written for `-o`.
 *
 * - `-o -`: standard output; exactly one file.
 * - no `-o`: the current directory, each file under its key.
 * - `-o DIR` (an existing directory, a path ending in `/`, or whenever the arguments can name
 *   several files: more than one argument, a pattern or `*`): each file under its key in DIR.
 * - `-o FILE`: one file, written under that name.
 *
 * Keys are joined with {@link safeJoin}, so no key escapes the directory; `-o FILE` is the user's
 * own choice of name and is taken as given.
 */
export async function planDownload(
  keys: readonly string[],
  output: string | undefined,
  options: { cwd: string; several: boolean },
): Promise<DownloadPlan> {
  if (output === "-") {
    const [key, ...rest] = keys;
    if (key === undefined || rest.length > 0 || options.several) {
      throw new UsageError(
        `-o - writes one file to standard output, but ${keys.length} files were selected.`,
        "Name a single key, or use -o DIR.",
      );
    }
    return { kind: "stdout", key };
  }
  const path = output === undefined ? options.cwd : resolve(options.cwd, output);
  const dirMode =
    output === undefined ||
    options.several ||
    keys.length !== 1 ||
    output.endsWith("/") ||
    output.endsWith(sep) ||
    (await isDirectory(path));
  if (dirMode) {
    return {
      kind: "files",
      dir: path,
      targets: keys.map((key) => ({ key, path: safeJoin(path, key) })),
    };
  }
  return { kind: "files", dir: undefined, targets: keys.map((key) => ({ key, path })) };
}

import { stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";

import { loadClient } from "./client-module.js";
import { CliError, ExitCode, UsageError } from "./errors.js";

/**
 * The path a key is written to below `dir`; refuses keys that would land anywhere else.
 *
 * Checked twice: by the key's shape (`unsafeKeyReason`, the library's rules: no climbing out, no
 * absolute or Windows paths, no control characters) and by where the joined path resolves, so a
 * rule missed in one is caught by the other.
 */
export function safeJoin(
  dir: string,
  key: string,
  unsafeKeyReason: (key: string) => string | undefined,
): string {
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
    const { unsafeKeyReason } = await loadClient();
    return {
      kind: "files",
      dir: path,
      targets: keys.map((key) => ({ key, path: safeJoin(path, key, unsafeKeyReason) })),
    };
  }
  return { kind: "files", dir: undefined, targets: keys.map((key) => ({ key, path })) };
}

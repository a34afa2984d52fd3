import { CliError, ExitCode } from "./errors.js";

/** Whether an argument is a pattern (`*`, `?`, `[…]`) rather than a literal key. */
export function isPattern(arg: string): boolean {
  return /[*?[]/.test(arg);
}

/**
 * Compiles a shell-style pattern to a regular expression over whole keys.
 *
 * `*` and `?` stay within one `/`-separated segment and `**` crosses segments, as in shells with
 * globstar; `[abc]`, `[a-z]` and `[!x]` are character classes. A lone `*` is special-cased by
 * {@link selectKeys} to mean every file, and so is a lone `**`.
 */
export function globToRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] ?? "";
    if (ch === "*") {
      if (pattern[i + 1] === "*") {
        re += ".*";
        i++;
      } else {
        re += "[^/]*";
      }
    } else if (ch === "?") {
      re += "[^/]";
    } else if (ch === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end === -1) {
        re += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith("!") || body.startsWith("^");
      if (negate) body = body.slice(1);
      re += `[${negate ? "^" : ""}${body.replace(/[\\\]]/g, "\\$&")}]`;
      i = end;
    } else {
      re += ch.replace(/[.+^${}()|\\/]/g, "\\$&");
    }
  }
  return new RegExp(`^${re}$`, "s");
}

/**
 * Picks the keys named by the command line: literal keys, patterns, or `*` for all, in the record's
 * order, each once.
 *
 * A literal key that does not exist, or a pattern that matches nothing, is an error naming what is
 * there: downloading "whatever matched" silently is how a typo turns into a missing input file.
 */
export function selectKeys(args: readonly string[], available: readonly string[]): string[] {
  const chosen = new Set<string>();
  const missing: string[] = [];
  for (const arg of args) {
    if (arg === "*" || arg === "**") {
      for (const key of available) chosen.add(key);
      continue;
    }
    if (available.includes(arg)) {
      chosen.add(arg);
      continue;
    }
    if (isPattern(arg)) {
      const re = globToRegExp(arg);
      const hits = available.filter((k) => re.test(k));
      if (hits.length === 0) missing.push(arg);
      for (const k of hits) chosen.add(k);
      continue;
    }
    missing.push(arg);
  }
  if (missing.length > 0) {
    const list =
      available.length === 0 ? "The record has no files." : `Files: ${available.join(", ")}.`;
    throw new CliError(
      missing.length === 1
        ? `No file matches "${missing[0] ?? ""}".`
        : `No file matches ${missing.map((m) => `"${m}"`).join(", ")}.`,
      { exitCode: ExitCode.notFound, code: "file_not_found", hint: list },
    );
  }
  return available.filter((k) => chosen.has(k));
}

import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";

import { UsageError } from "./errors.js";
import type { CliIO } from "./io.js";
import { isPlainObject } from "./variables.js";

/** Where a JSON argument came from, for error messages. */
export type JsonSource =
  | { kind: "inline" }
  | { kind: "stdin" }
  | { kind: "file"; path: string }
  | { kind: "line"; line: number; of: JsonSource };

/** A parsed JSON argument and where it came from. */
export interface JsonInput {
  /** The parsed value. */
  value: unknown;
  /** Its source. */
  source: JsonSource;
}

function describeSource(source: JsonSource): string {
  switch (source.kind) {
    case "inline":
      return "the JSON argument";
    case "stdin":
      return "standard input";
    case "file":
      return source.path;
    case "line":
      return `line ${source.line} of ${describeSource(source.of)}`;
  }
}

/** A 1-based line and column of a 0-based offset in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split("\n");
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

/**
 * The offset V8 names in a `JSON.parse` error, or the end of the text when the input ended early.
 *
 * V8 reports "... in JSON at position N" (Node 20+), sometimes with "(line L column C)"; an
 * unterminated document says "Unexpected end of JSON input" without a position.
 */
function errorOffset(message: string, text: string): number | undefined {
  const m = /at position (\d+)/.exec(message);
  if (m?.[1] !== undefined) return Number(m[1]);
  // Point just past the last character, not at the trailing newline's empty line.
  if (/end of (JSON )?(data|input)/i.test(message)) return text.trimEnd().length;
  return undefined;
}

/**
 * The offset of the first syntax error in `text`, found by a small JSON scanner; `undefined` when
 * the text is valid.
 *
 * Some V8 messages ("Unexpected token ','") carry no position; this fills the gap so every
 * error names a line and column.
 */
export function locateJsonError(text: string): number | undefined {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text.charAt(i))) i++;
  };
  class Stop extends Error {}
  const fail = (): never => {
    throw new Stop();
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = (): void => {
    i++;
    while (i < text.length) {
      const c = text.charAt(i);
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") {
        const e = text.charAt(i + 1);
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i += 2;
            fail();
          }
          i += 6;
        } else if ('"\\/bfnrt'.includes(e) && e !== "") i += 2;
        else {
          i += 1;
          fail();
        }
      } else if (c < " ") fail();
      else i++;
    }
    fail();
  };
  const number = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || m[0] === "" || m[0] === "-") fail();
    i += m?.[0].length ?? 0;
  };
  const value = (): void => {
    ws();
    const c = text.charAt(i);
    if (c === "{") {
      i++;
      ws();
      if (text.charAt(i) === "}") {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text.charAt(i) !== '"') fail();
        string();
        ws();
        if (text.charAt(i) !== ":") fail();
        i++;
        value();
        ws();
        if (text.charAt(i) === ",") i++;
        else if (text.charAt(i) === "}") {
          i++;
          return;
        } else fail();
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text.charAt(i) === "]") {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text.charAt(i) === ",") i++;
        else if (text.charAt(i) === "]") {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') string();
    else if (c === "t") literal("true");
    else if (c === "f") literal("false");
    else if (c === "n") literal("null");
    else if (c === "-" || (c >= "0" && c <= "9")) number();
    else fail();
  };
  try {
    value();
    ws();
    return i < text.length ? i : undefined;
  } catch (err) {
    if (err instanceof Stop) return Math.min(i, text.length);
    throw err;
  }
}

/** The V8 message without its trailing position, which is reported as line and column instead. */
function reason(message: string): string {
  return message
    .replace(/, (\.\.\.)?".*" is not valid JSON$/s, "")
    .replace(/ at position \d+.*$/s, "")
    .replace(/ in JSON$/, "")
    .replace(/^JSON\.parse: /, "")
    .trim();
}

/** The line holding `offset`, with a caret under the column, trimmed to `width` characters. */
function excerpt(text: string, offset: number, width = 72): string {
  const { line, column } = lineColumn(text, offset);
  const source = text.split("\n")[line - 1] ?? "";
  const start = Math.max(0, column - 1 - Math.floor(width / 2));
  const shown = source.slice(start, start + width);
  const prefix = start > 0 ? "…" : "";
  return `  ${prefix}${shown}\n  ${" ".repeat(prefix.length + column - 1 - start)}^`;
}

/**
 * Parses JSON text, turning a syntax error into a usage error that names the source, line and
 * column and shows the offending line.
 */
export function parseJson(text: string, source: JsonSource): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const offset = errorOffset(message, text) ?? locateJsonError(text);
    const where =
      offset === undefined
        ? ""
        : (() => {
            const { line, column } = lineColumn(text, offset);
            // A JSON Lines record is one line: its column is all there is to say.
            return source.kind === "line"
              ? ` at column ${column}`
              : ` at line ${line}, column ${column} (position ${offset})`;
          })();
    const hint =
      offset === undefined
        ? "Check the JSON syntax."
        : `${excerpt(text, offset)}\nCheck the JSON syntax` +
          (source.kind === "inline" ? "; quote the argument for the shell ('{...}')." : ".");
    throw new UsageError(
      `Invalid JSON in ${describeSource(source)}${where}: ${reason(message)}.`,
      hint,
    );
  }
}

async function readStream(stream: NodeJS.ReadableStream, signal?: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    signal?.throwIfAborted();
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** True when an argument is meant as inline JSON rather than a file name. */
function looksInline(arg: string): boolean {
  return /^\s*[{["]/.test(arg) || /^\s*(true|false|null|-?\d)/.test(arg);
}

/**
 * Reads a `<json|file|->` argument: `-` is standard input, text starting with `{` or `[` is inline
 * JSON, anything else is a file path.
 *
 * Deciding by the first character (not by trying the file first) means a typo in a file name is
 * reported as a missing file, and JSON never gets mistaken for a path.
 */
export async function readJsonArgument(
  arg: string,
  io: Pick<CliIO, "stdin">,
  signal?: AbortSignal,
): Promise<JsonInput> {
  if (arg === "-") {
    if (!io.stdin) throw new UsageError("'-' reads JSON from standard input, but there is none.");
    const source: JsonSource = { kind: "stdin" };
    const text = await readStream(io.stdin, signal);
    if (text.trim() === "") throw new UsageError("Standard input is empty; expected JSON.");
    return { value: parseJson(text, source), source };
  }
  if (looksInline(arg)) {
    const source: JsonSource = { kind: "inline" };
    return { value: parseJson(arg, source), source };
  }
  const source: JsonSource = { kind: "file", path: arg };
  let text: string;
  try {
    text = await readFile(arg, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new UsageError(
        `"${arg}" is neither JSON nor an existing file.`,
        'Pass inline JSON (\'{"title": "..."}\'), a path to a .json file, or - for standard input.',
      );
    }
    throw new UsageError(`Cannot read ${arg}: ${code ?? String(err)}.`);
  }
  return { value: parseJson(text, source), source };
}

/** Reads a `<json|file|->` argument that must be a JSON object. */
export async function readJsonObject(
  arg: string,
  io: Pick<CliIO, "stdin">,
  signal?: AbortSignal,
): Promise<{ value: Record<string, unknown>; source: JsonSource }> {
  const input = await readJsonArgument(arg, io, signal);
  if (!isPlainObject(input.value)) {
    const got = Array.isArray(input.value) ? "an array" : JSON.stringify(input.value);
    throw new UsageError(`Expected a JSON object in ${describeSource(input.source)}, got ${got}.`);
  }
  return { value: input.value, source: input.source };
}

/** Where a JSON Lines stream stopped early: the first line that is not a JSON object. */
export interface JsonLinesState {
  /** The error for that line; the lines after it were not read. */
  error?: UsageError;
  /** The 1-based number of that line. */
  line?: number;
}

/** True for a `.jsonl` / `.ndjson` file name. */
export function isJsonLinesPath(path: string): boolean {
  return /\.(jsonl|ndjson)$/i.test(path);
}

/**
 * Streams the JSON objects of a JSON Lines file (or `-` for standard input), one per non-blank
 * line, without holding the input in memory.
 *
 * Stops at the first line that is not a JSON object and leaves its error in `state` instead of
 * throwing: the records created from the lines before it must still be reported.
 */
export async function* readJsonLines(
  arg: string,
  io: Pick<CliIO, "stdin">,
  state: JsonLinesState,
): AsyncGenerator<Record<string, unknown>> {
  let of: JsonSource;
  let stream: NodeJS.ReadableStream;
  if (arg === "-") {
    if (!io.stdin) {
      throw new UsageError("'-' reads JSON Lines from standard input, but there is none.");
    }
    of = { kind: "stdin" };
    stream = io.stdin;
  } else {
    of = { kind: "file", path: arg };
    stream = createReadStream(arg, { encoding: "utf8" });
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (line.trim() === "") continue;
      const source: JsonSource = { kind: "line", line: n, of };
      let value: unknown;
      try {
        value = parseJson(line, source);
      } catch (err) {
        if (err instanceof UsageError) {
          state.error = err;
          state.line = n;
          return;
        }
        throw err;
      }
      if (!isPlainObject(value)) {
        state.error = new UsageError(`Expected a JSON object on ${describeSource(source)}.`);
        state.line = n;
        return;
      }
      yield value;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`${arg} does not exist.`);
    throw err;
  } finally {
    lines.close();
  }
}

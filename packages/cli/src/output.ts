import type { ErrorReport } from "./errors.js";
import type { CliIO } from "./io.js";
import { tableClass, yaml } from "./lazy-require.js";

/** The output formats `--format` accepts. */
export const FORMATS = ["table", "json", "jsonl", "yaml"] as const;

/** One of {@link FORMATS}. */
export type Format = (typeof FORMATS)[number];

const BUG_HINT = "This is a bug in nrp; please report it.";

/** A column of a list table: which key of a row to show, under which heading. */
export interface Column {
  /** The row key. */
  key: string;
  /** The heading; defaults to the key. */
  header?: string;
}

/** How {@link Output} renders: chosen once per command from flags, env and the terminal. */
export interface OutputOptions {
  /** The data format. */
  format: Format;
  /** Whether tables may use colour. */
  color: boolean;
  /** Suppress informational messages (warnings and errors still print). */
  quiet: boolean;
  /** Print verbose diagnostics (retries). */
  verbose: boolean;
  /**
   * Print errors as JSON on stderr. Only when JSON was asked for with `--format`: a person reading a
   * piped command's stderr should still get a one-line message.
   */
  jsonErrors?: boolean;
}

/**
 * Picks the default format: a table for a person at a terminal, JSON for a pipe or a script.
 *
 * Scripts that capture stdout get a stable, parseable format without having to ask for it.
 */
export function defaultFormat(io: Pick<CliIO, "stdout">): Format {
  return io.stdout.isTTY === true ? "table" : "json";
}

/** cli-table3 styles switched off; see {@link Output} `#paint`. */
const NO_STYLE = { head: [] as string[], border: [] as string[] };

/**
 * Whether colour is allowed: only on a terminal, and never with `--no-color` or `NO_COLOR`.
 *
 * `NO_COLOR` follows https://no-color.org: any non-empty value disables colour.
 */
export function colorEnabled(io: Pick<CliIO, "stdout" | "env">, flag: boolean): boolean {
  const noColor = io.env["NO_COLOR"];
  return flag && io.stdout.isTTY === true && (noColor === undefined || noColor === "");
}

// C0 control characters but tab and newline, and DEL.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/**
 * `text` with control characters other than tab and newline written as `\u001b`-style escapes.
 *
 * Keys, titles and messages come from the server: an escape sequence or carriage return in them
 * must not move the cursor, recolour or rewrite what the terminal shows.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Renders a cell value for a table: lists joined, booleans as yes/no, objects as compact JSON. */
export function cell(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return printable(value);
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number" || typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(cell).join(", ");
  return JSON.stringify(value);
}

// No rule between rows: a key/value listing reads like a document, not a spreadsheet.
const COMPACT = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };

function longestLine(text: string): number {
  return Math.max(...text.split("\n").map((l) => l.length));
}

/**
 * Content widths for table columns so the table fits `total` terminal columns: the widest column
 * gives way first, down to 10 characters.
 */
export function fitColumns(natural: readonly number[], total: number | undefined): number[] {
  const widths = [...natural];
  if (total === undefined) return widths;
  // Each column adds two spaces of padding and one border; the table adds one more border.
  const frame = widths.length * 3 + 1;
  for (;;) {
    const used = widths.reduce((a, b) => a + b, 0) + frame;
    if (used <= total) return widths;
    let widest = 0;
    widths.forEach((w, i) => {
      if (w > (widths[widest] ?? 0)) widest = i;
    });
    const current = widths[widest] ?? 0;
    if (current <= 10) return widths;
    // Shrink the widest only down to the next widest, so wide columns give way evenly.
    const next = Math.max(0, ...widths.filter((_, i) => i !== widest));
    widths[widest] = Math.max(10, current - (used - total), Math.min(next, current - 1));
  }
}

/**
 * Wraps text to `width` columns at spaces, breaking words longer than a line (URLs) so that no
 * character is lost to truncation.
 */
export function wrapText(text: string, width: number): string {
  if (!Number.isFinite(width) || width < 1) return text;
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(" ")) {
      const candidate = line === "" ? word : `${line} ${word}`;
      if (candidate.length <= width) {
        line = candidate;
        continue;
      }
      if (line !== "") lines.push(line);
      let rest = word;
      while (rest.length > width) {
        lines.push(rest.slice(0, width));
        rest = rest.slice(width);
      }
      line = rest;
    }
    lines.push(line);
  }
  return lines.join("\n");
}

/**
 * Writes a command's results and messages: data to stdout, everything else to stderr.
 *
 * Keeping data alone on stdout means `nrp ... --format json | jq` never sees a progress line.
 */
export class Output {
  /** The resolved rendering options. */
  readonly options: Readonly<OutputOptions>;
  readonly #io: CliIO;

  constructor(io: CliIO, options: OutputOptions) {
    this.#io = io;
    this.options = options;
  }

  /** The data format in use. */
  get format(): Format {
    return this.options.format;
  }

  /**
   * Prints a list: a table with `columns` of `rows`, or `data` (default: the rows) as JSON/JSONL/YAML.
   *
   * Tables show a curated view; machine formats carry the full objects.
   */
  list(
    rows: readonly Record<string, unknown>[],
    columns: readonly Column[],
    data: readonly unknown[] = rows,
  ): void {
    switch (this.options.format) {
      case "table": {
        const head = columns.map((c) => c.header ?? c.key);
        const cells = rows.map((row) => columns.map((c) => cell(row[c.key])));
        const widths = fitColumns(
          head.map((h, i) => Math.max(h.length, ...cells.map((r) => longestLine(r[i] ?? "")))),
          this.#io.stdout.columns,
        );
        const wrapped = cells.map((r) => r.map((c, i) => wrapText(c, widths[i] ?? Infinity)));
        // Rules between rows only when a wrapped cell would otherwise run into the next row.
        const multiline = wrapped.some((r) => r.some((c) => c.includes("\n")));
        const Table = tableClass();
        const table = new Table({
          head: head.map((h) => this.#paint(h)),
          style: NO_STYLE,
          ...(multiline ? {} : { chars: COMPACT }),
        });
        for (const r of wrapped) table.push(r);
        this.#out(table.toString() + "\n");
        return;
      }
      case "jsonl":
        for (const item of data) this.#out(JSON.stringify(item) + "\n");
        return;
      default:
        this.#document(data);
    }
  }

  /**
   * Prints one object: a two-column key/value table of `fields`, or `data` in a machine format.
   */
  record(fields: readonly (readonly [string, unknown])[], data: unknown): void {
    switch (this.options.format) {
      case "table": {
        const Table = tableClass();
        const table = new Table({ style: NO_STYLE, chars: COMPACT });
        const shown = fields.filter(([, value]) => value !== undefined);
        const width = this.#valueWidth(shown);
        for (const [key, value] of shown) {
          table.push({ [this.#paint(key)]: wrapText(cell(value), width) });
        }
        this.#out(table.toString() + "\n");
        return;
      }
      case "jsonl":
        this.#out(JSON.stringify(data) + "\n");
        return;
      default:
        this.#document(data);
    }
  }

  /** Prints `data` only in machine formats: for commands whose table-mode result is a message. */
  result(data: unknown): void {
    if (this.options.format === "table") return;
    if (this.options.format === "jsonl") this.#out(JSON.stringify(data) + "\n");
    else this.#document(data);
  }

  /** An informational message on stderr; silenced by `--quiet`. */
  info(message: string): void {
    if (!this.options.quiet) this.#err(printable(message) + "\n");
  }

  /** A progress note on stderr that is always shown (even with `--quiet`), without a prefix. */
  note(message: string): void {
    this.#err(printable(message) + "\n");
  }

  /** A warning on stderr; always shown. */
  warn(message: string): void {
    this.#err(`Warning: ${printable(message)}\n`);
  }

  /** A diagnostic on stderr, shown with `--verbose` only. */
  verbose(message: string): void {
    if (this.options.verbose) this.#err(printable(message) + "\n");
  }

  /**
   * Prints an error on stderr: `Error: ...` with indented field messages, or a JSON document after
   * an explicit `--format json`/`jsonl` so machine consumers can parse failures too.
   */
  error(report: ErrorReport): void {
    if (this.options.jsonErrors === true) {
      const body: Record<string, unknown> = {
        code: report.code,
        message: report.message,
        exit_code: report.exitCode,
      };
      if (report.status !== undefined) body["status"] = report.status;
      if (report.fields.length > 0) body["errors"] = report.fields;
      if (report.hint !== undefined) body["hint"] = report.hint;
      if (report.bug) {
        body["hint"] = BUG_HINT;
        if (report.stack !== undefined) body["stack"] = report.stack;
      }
      const pretty = this.options.format === "json";
      this.#err(JSON.stringify({ error: body }, null, pretty ? 2 : undefined) + "\n");
      return;
    }
    if (report.bug) {
      this.#err(`${report.stack ?? report.message}\n\n${BUG_HINT}\n`);
      return;
    }
    let text = `Error: ${report.message}\n`;
    // An entry without messages says nothing (DataCite-style error lists parse that way).
    for (const f of report.fields.filter((x) => x.messages.length > 0))
      text += `  ${f.field || "(request)"}: ${f.messages.join("; ")}\n`;
    if (report.hint !== undefined) text += `${report.hint}\n`;
    // Messages quote the server (its error texts, file keys): nothing in them reaches the terminal raw.
    this.#err(printable(text));
  }

  #document(data: unknown): void {
    if (this.options.format === "yaml") this.#out(yaml().stringify(data, { lineWidth: 0 }));
    else this.#out(JSON.stringify(data, null, 2) + "\n");
  }

  /** The widest a value may be so the key/value table fits the terminal (Infinity when unknown). */
  #valueWidth(fields: readonly (readonly [string, unknown])[]): number {
    const width = this.#io.stdout.columns;
    if (width === undefined) return Infinity;
    const keyWidth = Math.max(0, ...fields.map(([k]) => k.length));
    // Borders and padding: "│ key │ value │" adds 7 characters.
    return Math.max(20, width - keyWidth - 7);
  }

  /**
   * Colours a header cell ourselves: cli-table3's own styling asks the colour library, which
   * inspects the real process streams rather than the output this command was given.
   */
  #paint(text: string): string {
    return this.options.color ? `\u001b[36m${text}\u001b[39m` : text;
  }

  #out(s: string): void {
    this.#io.stdout.write(s);
  }

  #err(s: string): void {
    this.#io.stderr.write(s);
  }
}

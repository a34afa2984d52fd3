import type { Command } from "commander";
import type { NRPRecord, NRPSearchRequest } from "nrp-invenio-client";

import type { CommandContext } from "./context.js";
import { optionalString } from "./define.js";
import { UsageError, withHint } from "./errors.js";
import { readJsonObject } from "./json-input.js";
import { yaml } from "./lazy-require.js";
import type { Column } from "./output.js";
import { recordData, recordState, recordTitle, shortTime } from "./record-view.js";
import { isPlainObject } from "./variables.js";

/** Invenio's search window: `page * size` past it is refused with a 400. */
const SEARCH_WINDOW = 10_000;

/** The common inputs of `search records` and `scan records`. */
export interface SearchInput {
  query: string | undefined;
  /** `--json-query`: inline JSON, a file path or `-`, read when the command runs. */
  jsonQuery: string | undefined;
  /** `--community`: a slug or UUID. */
  community: string | undefined;
  models: string[];
  drafts: boolean;
  fields: string[] | undefined;
}

/**
 * Adds the query options that `search`, `list` and `scan records` share: `--json-query` and
 * `--community`.
 */
export function queryOptions(cmd: Command): void {
  cmd
    .option(
      "--json-query <json|file|->",
      "an OpenSearch query object instead of [query], sent as a query string: inline JSON, a .json file, or - for stdin",
    )
    .option("--community <slug|uuid>", "only records of this community");
}

/** Reads the shared query inputs; a query string and `--json-query` together are a usage error. */
export function parseQueryInput(
  args: readonly unknown[],
  opts: Readonly<Record<string, unknown>>,
): Pick<SearchInput, "query" | "jsonQuery" | "community"> {
  const query = optionalString(args[0], "[query]");
  const jsonQuery = optionalString(opts["jsonQuery"], "--json-query");
  if (query !== undefined && query.trim() !== "" && jsonQuery !== undefined) {
    throw new UsageError(
      "Give either a [query] string or --json-query, not both.",
      'Put the query string inside the JSON: {"bool": {"must": [{"query_string": {"query": "..."}}]}}.',
    );
  }
  const community = optionalString(opts["community"], "--community");
  if (community?.trim() === "") throw new UsageError("--community takes a slug or UUID.");
  return { query, jsonQuery, community };
}

/**
 * Builds the client's search request for `input`: models, published or drafts, the query string
 * or the structured query (read from its file or stdin now), and the community.
 */
export async function searchBuilder(
  ctx: CommandContext,
  input: SearchInput,
): Promise<NRPSearchRequest> {
  const structured =
    input.jsonQuery === undefined
      ? undefined
      : (await readJsonObject(input.jsonQuery, ctx.io, ctx.signal)).value;
  let builder = (await ctx.client()).searchRequest(input.models);
  builder = input.drafts ? builder.drafts() : builder.published();
  if (structured !== undefined) builder = builder.query(structured);
  else if (input.query !== undefined && input.query.trim() !== "") {
    builder = builder.query(input.query);
  }
  if (input.community !== undefined) builder = builder.community(input.community);
  return builder;
}

/** Parses repeated `--facet name=value` options. */
export function parseFacets(values: readonly string[]): [string, string][] {
  return values.map((raw) => {
    const eq = raw.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(
        `--facet "${raw}" is not name=value.`,
        "E.g. --facet keywords=oak (several --facet options combine).",
      );
    }
    return [raw.slice(0, eq), raw.slice(eq + 1)];
  });
}

/** Reads a repeatable option (commander collects them into an array). */
export function stringList(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  return list.flatMap((v) => {
    if (typeof v !== "string") throw new UsageError(`${name} takes a value.`);
    // `--fields a,b` and `--fields a --fields b` both work.
    return v
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  });
}

/** Collects repeated values of an option, for commander. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Reads a positive integer option. */
export function positiveInt(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${name} must be a positive whole number, not "${text(value)}".`);
  }
  return n;
}

function getPath(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/**
 * Keeps only `fields` (dotted paths) of a record's JSON, nested as in the original.
 *
 * Missing paths are left out rather than written as null, so the output says what the record has.
 */
export function project(
  data: Record<string, unknown>,
  fields: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const path = field.split(".");
    const value = getPath(data, path);
    if (value === undefined) continue;
    let cur = out;
    path.forEach((key, i) => {
      if (i === path.length - 1) {
        cur[key] = value;
        return;
      }
      const next = cur[key];
      if (isPlainObject(next)) cur = next;
      else {
        const fresh: Record<string, unknown> = {};
        cur[key] = fresh;
        cur = fresh;
      }
    });
  }
  return out;
}

/** The columns of a search result table. */
export const SEARCH_COLUMNS: readonly Column[] = [
  { key: "id" },
  { key: "model" },
  { key: "title" },
  { key: "created" },
  { key: "state" },
];

/** The table row of one hit. */
export function searchRow(record: NRPRecord): Record<string, unknown> {
  return {
    id: record.id,
    model: record.model,
    title: recordTitle(record),
    created: shortTime(record.data["created"]),
    state: recordState(record),
  };
}

/** The columns when `--fields` picks them. */
export function fieldColumns(fields: readonly string[]): Column[] {
  return fields.map((f) => ({ key: f }));
}

/** The table row of one hit restricted to `fields`. */
export function fieldRow(record: NRPRecord, fields: readonly string[]): Record<string, unknown> {
  const data = recordData(record);
  return Object.fromEntries(fields.map((f) => [f, getPath(data, f.split("."))]));
}

/**
 * The machine-format value of one hit: the full record, or its projection. Only for output: a
 * hit without included files or requests is its record's own JSON, not a copy (a scan writes
 * every record once, and copying each cost more than writing it).
 */
export function hitData(record: NRPRecord, fields: readonly string[] | undefined): unknown {
  const data =
    record.files === undefined && record.requests === undefined ? record.data : recordData(record);
  return fields === undefined ? data : project(data, fields);
}

/** One bucket of a facet, flattened for a table or a script. */
export interface FacetCount {
  /** The facet's name, e.g. `keywords`. */
  facet: string;
  /** The bucket's value. */
  value: string;
  /** The human label the server gave the bucket, when it differs from the value. */
  label: string | undefined;
  /** How many matching records have that value. */
  count: number;
}

/** The columns of the facet table. */
export const FACET_COLUMNS: readonly Column[] = [
  { key: "facet" },
  { key: "value" },
  { key: "label" },
  { key: "count" },
];

/**
 * Flattens Invenio's `aggregations` (`{name: {buckets: [{key, doc_count, label}], label}}`,
 * docs/protocol/search.md#response) into one row per bucket; nested `inner` buckets get
 * `parent/child` values.
 */
export function facetCounts(aggregations: Readonly<Record<string, unknown>>): FacetCount[] {
  const out: FacetCount[] = [];
  const walk = (facet: string, node: unknown, prefix: string): void => {
    const buckets = isPlainObject(node) ? node["buckets"] : undefined;
    if (!Array.isArray(buckets)) return;
    for (const bucket of buckets as unknown[]) {
      if (!isPlainObject(bucket)) continue;
      const key = text(bucket["key"]);
      const value = prefix === "" ? key : `${prefix}/${key}`;
      const label = typeof bucket["label"] === "string" ? bucket["label"] : undefined;
      const count = typeof bucket["doc_count"] === "number" ? bucket["doc_count"] : 0;
      out.push({ facet, value, label: label === key ? undefined : label, count });
      walk(facet, bucket["inner"], value);
    }
  };
  for (const [facet, node] of Object.entries(aggregations)) walk(facet, node, "");
  return out;
}

/**
 * What is wrong with a query string's syntax, in words, e.g. `an unclosed double quote (")`;
 * undefined when nothing obvious is.
 *
 * The server says only "Invalid query string syntax" (or, on InvenioRDM, finds nothing).
 */
export function queryProblem(query: string): string | undefined {
  const q = query.replace(/\\./g, "__");
  const quotes = (q.match(/"/g) ?? []).length;
  if (quotes % 2 === 1) return 'an unclosed double quote (")';
  const bare = q.replace(/"[^"]*"/g, '""');
  let depth = 0;
  for (const c of bare) {
    if (c === "(") depth++;
    if (c === ")" && --depth < 0) return "a closing parenthesis without an opening one";
  }
  if (depth > 0) return "an opening parenthesis that is never closed";
  const opens = (bare.match(/[[{]/g) ?? []).length;
  const closes = (bare.match(/[\]}]/g) ?? []).length;
  if (opens !== closes) return "a range ([a TO b] or {a TO b}) that is not closed";
  if (/(^|\s)(AND|OR|NOT|&&|\|\|)\s*$/.test(bare))
    return "an operator (AND, OR, NOT) with nothing after it";
  if (/^\s*(AND|OR|&&|\|\|)(\s|$)/.test(bare))
    return "an operator (AND, OR) with nothing before it";
  if (/[^\s:]+:\s*$/.test(bare) || /:\s+(AND|OR)\b/.test(bare))
    return "a field name with no value after the colon";
  if (/\//.test(bare)) {
    return 'a "/", which starts a regular expression there; escape it as \\/ or quote the phrase';
  }
  return undefined;
}

/**
 * Adds the right hint to a search failure: a page past the window points to `nrp scan records`.
 */
export function searchFailure(err: unknown, page: number, size: number, query?: string): unknown {
  const status = (err as { status?: unknown } | null)?.status;
  if (status !== 400) return err;
  const message = err instanceof Error ? err.message : "";
  const problem = query === undefined ? undefined : queryProblem(query);
  if (/query/i.test(message) && !/querystring parameters/i.test(message)) {
    return withHint(
      err,
      problem === undefined
        ? "Check the query's syntax (OpenSearch query_string): quote phrases, balance parentheses, " +
            'escape reserved characters such as / and : with a backslash, e.g. "a\\/b".'
        : `The query has ${problem}.`,
    );
  }
  if (page * size > SEARCH_WINDOW || /querystring parameters/i.test(message)) {
    return withHint(
      err,
      `Search results stop at ${SEARCH_WINDOW} records (page × size); ` +
        'use "nrp scan records" with the same query to get all of them.',
    );
  }
  return err;
}

/**
 * Writes scanned records to stdout one by one, in the chosen format, so nothing waits for the end.
 *
 * JSON is a streamed array (closed by {@link StreamWriter.end} even after an interruption, so what
 * was printed stays valid), YAML a streamed sequence, JSONL one line per record, and the table
 * fixed-width lines under one header.
 */
export class StreamWriter {
  readonly #write: (s: string) => void;
  readonly #format: string;
  readonly #fields: readonly string[] | undefined;
  #count = 0;
  #ended = false;

  constructor(write: (s: string) => void, format: string, fields: readonly string[] | undefined) {
    this.#write = write;
    this.#format = format;
    this.#fields = fields;
  }

  /** How many records were written. */
  get count(): number {
    return this.#count;
  }

  /** Writes one record. */
  push(record: NRPRecord): void {
    const data = hitData(record, this.#fields);
    switch (this.#format) {
      case "jsonl":
        this.#write(JSON.stringify(data) + "\n");
        break;
      case "json":
        this.#write((this.#count === 0 ? "[\n" : ",\n") + indent(JSON.stringify(data, null, 2)));
        break;
      case "yaml":
        this.#write(yaml().stringify([data]));
        break;
      default:
        this.#tableLine(record);
    }
    this.#count++;
  }

  /** Finishes the document (the closing bracket of a JSON array). */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#format === "json") this.#write(this.#count === 0 ? "[]\n" : "\n]\n");
    else if (this.#format === "yaml" && this.#count === 0) this.#write("[]\n");
  }

  #tableLine(record: NRPRecord): void {
    const fields = this.#fields;
    const row = fields === undefined ? searchRow(record) : fieldRow(record, fields);
    const keys = fields ?? SEARCH_COLUMNS.map((c) => c.key);
    const widths = fields === undefined ? [24, 12, 40, 19, 9] : keys.map(() => 24);
    const line = (cells: readonly string[]): string =>
      cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i] ?? 24))).join("  ");
    if (this.#count === 0) this.#write(line(keys) + "\n");
    this.#write(line(keys.map((k) => text(row[k]))) + "\n");
  }
}

function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => "  " + l)
    .join("\n");
}

function text(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function pad(s: string, width: number): string {
  return s.length > width ? s.slice(0, width - 1) + "…" : s.padEnd(width);
}

/**
 * A one-line "scanned N of ~M records" display on a terminal's stderr.
 *
 * Redrawn at most every 100 ms; cleared before data lines so a terminal showing both streams
 * never mixes them.
 */
export class ScanProgress {
  readonly #ctx: CommandContext;
  readonly #enabled: boolean;
  #shown = false;
  #last = 0;
  #seen = 0;
  #total: number | undefined;

  constructor(ctx: CommandContext) {
    this.#ctx = ctx;
    this.#enabled = ctx.io.stderr.isTTY === true && !ctx.output.options.quiet;
  }

  /** Records the client's latest count. */
  update(seen: number, total: number | undefined): void {
    this.#seen = Math.max(this.#seen, seen);
    if (total !== undefined) this.#total = total;
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#last < 100) return;
    this.#last = now;
    const of = this.#total === undefined ? "" : ` of ~${this.#total}`;
    this.#ctx.io.stderr.write(`\r\x1b[2KScanned ${this.#seen}${of} records`);
    this.#shown = true;
  }

  /** Takes the line off the screen. */
  clear(): void {
    if (!this.#shown) return;
    this.#ctx.io.stderr.write("\r\x1b[2K");
    this.#shown = false;
  }
}

import { createRequire } from "node:module";
import { indexField } from "./field-index.js";

/** A piece of SQL and its bound parameters. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
  /** Set by `or`/`and`: the operands, so that nested ORs (ANDs) flatten into one level. */
  orOf?: SqlFragment[];
  andOf?: SqlFragment[];
}

/** A compiled query: its condition and the FTS5 expressions of its free text, for ranking. */
export interface CompiledQuery extends SqlFragment {
  fullText: string[];
}

/** Which rows a compiled query runs over. */
export interface CompileOptions {
  /**
   * Whether `items` may hold drafts as well as records (the personal collections). Without drafts
   * every condition names the records' indexes directly, which lets SQLite drive the scan by them.
   */
  drafts: boolean;
  /**
   * Whether field conditions look up each row in the field index (cheap when a page needs few
   * rows) instead of collecting the set of matching rows first (cheap when every row is looked
   * at, as counts and facets do).
   * @default false
   */
  perRow?: boolean;
  /**
   * The models' JSON schema ids (`$schema` of their records) to model names, so that a `$schema`
   * filter (oarepo-global-search's way of telling models apart) picks rows by model.
   */
  schemas?: ReadonlyMap<string, string>;
}

// The free-text expressions met while compiling one query, and the rows it runs over
// (compilation is synchronous).
let fullTextSeen: string[] = [];
/** Leaf clauses (terms, ranges) compiled so far by the current `collect`. */
let clauses = 0;

/**
 * Most leaf clauses one query may have: OpenSearch's `indices.query.bool.max_clause_count`
 * default, beyond which it refuses the search and Invenio answers 400.
 */
export const MAX_CLAUSES = 1024;

/** The answer to a query with more than `MAX_CLAUSES` clauses. */
export const TOO_MANY_CLAUSES = `The query is too complex: it has more than ${String(MAX_CLAUSES)} clauses (maxClauseCount is set to ${String(MAX_CLAUSES)}).`;
let scope: CompileOptions = { drafts: true };

interface LuceneTerm {
  field: string;
  term: string;
  quoted: boolean;
  prefix: string | null;
}

interface LuceneRange {
  field: string;
  term_min: string;
  term_max: string;
  inclusive: "both" | "left" | "right" | "none";
}

interface LuceneNode {
  left?: LuceneAst;
  right?: LuceneAst;
  operator?: string;
  start?: string;
  field?: string;
  parenthesized?: boolean;
}

type LuceneAst = LuceneNode | LuceneTerm | LuceneRange;

// The parser ships CommonJS without type declarations; its AST is described by the interfaces above.
const lucene = createRequire(import.meta.url)("@hyperdx/lucene") as {
  parse(q: string): LuceneAst;
};

/** The message Invenio answers an unparseable `q` with (protocol §7.1). */
export const INVALID_QUERY = "Invalid query string syntax.";

/**
 * A query the search cannot run: unparseable (`INVALID_QUERY`) or too complex
 * (`TOO_MANY_CLAUSES`). The message is what Invenio answers with a 400.
 */
export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueryError";
  }
}

const COLUMNS = new Set(["id", "created", "updated"]);

const TRUE: SqlFragment = { sql: "1", params: [] };

// Operands of the same operator are flattened and joined as a balanced tree: SQLite nests
// `a OR b OR c …` one level per operator, and its expression depth (1000) would be exceeded long
// before the clause limit.
function balanced(parts: readonly SqlFragment[], op: "AND" | "OR"): string {
  if (parts.length === 1) return `(${parts[0]?.sql ?? ""})`;
  const half = Math.ceil(parts.length / 2);
  return `(${balanced(parts.slice(0, half), op)} ${op} ${balanced(parts.slice(half), op)})`;
}

function and(parts: SqlFragment[]): SqlFragment {
  if (parts.length === 0) return TRUE;
  const flat = parts.flatMap((p) => p.andOf ?? [p]);
  return {
    sql: balanced(flat, "AND"),
    params: flat.flatMap((p) => p.params),
    andOf: flat,
  };
}

function or(parts: SqlFragment[]): SqlFragment {
  if (parts.length === 0) return { sql: "0", params: [] };
  const flat = parts.flatMap((p) => p.orOf ?? [p]);
  return {
    sql: balanced(flat, "OR"),
    params: flat.flatMap((p) => p.params),
    orOf: flat,
  };
}

function not(part: SqlFragment): SqlFragment {
  return { sql: `NOT (${part.sql})`, params: part.params };
}

/** Both item kinds, or records only, each with its own index entries. */
function perKind(build: (kind: "record" | "draft") => SqlFragment): SqlFragment {
  const record = build("record");
  if (!scope.drafts) return record;
  const draft = build("draft");
  return {
    sql: `CASE items.kind WHEN 'draft' THEN ${draft.sql} ELSE ${record.sql} END`,
    params: [...draft.params, ...record.params],
  };
}

/** Where a query field's values are indexed: the parent's entries for `parent.*`, else the row's. */
interface Target {
  parent: boolean;
  /** The field's name in the index. */
  name: string;
}

function target(field: string): Target {
  if (field === "parent" || field.startsWith("parent.")) {
    return { parent: true, name: field.slice("parent.".length) };
  }
  return { parent: false, name: indexField(field) };
}

/**
 * `items` rows whose parent has an entry meeting any of `arms`: records and drafts alike reach
 * their parent by `parent_id` (the parents' key), and the parent's entries by its rowid.
 */
function parentsIn(table: "field_values" | "field_tokens", arms: SqlFragment[]): SqlFragment {
  if (scope.perRow === true) {
    const any = or(arms);
    return {
      sql: `EXISTS (SELECT 1 FROM ${table} WHERE kind = 'parent'
              AND rid = (SELECT rowid FROM parents WHERE id = items.parent_id) AND (${any.sql}))`,
      params: any.params,
    };
  }
  // As a set of rowids, like the rows' own conditions: the matching parents' records (or drafts)
  // through their parent_id index, so the scan compares integers instead of reading parent_id.
  return perKind((kind) => ({
    sql: `items.rid IN (${arms
      .map(
        (a) => `SELECT t.rowid FROM ${table} JOIN parents p ON p.rowid = rid
                JOIN ${kind === "draft" ? "drafts" : "records"} t ON t.parent_id = p.id
                WHERE kind = 'parent' AND ${a.sql}`,
      )
      .join(" UNION ALL ")})`,
    params: arms.flatMap((a) => a.params),
  }));
}

/**
 * `items` rows with an entry in a field index table meeting any of `arms` (conditions on the
 * table's columns besides `kind` and `rid`); with `parent`, entries of the row's parent.
 */
function itemsIn(
  table: "field_values" | "field_tokens",
  arms: SqlFragment[],
  parent = false,
): SqlFragment {
  if (parent) return parentsIn(table, arms);
  return perKind((kind) => {
    if (scope.perRow === true) {
      const any = or(arms);
      return {
        sql: `EXISTS (SELECT 1 FROM ${table} WHERE kind = '${kind}' AND rid = items.rid
                AND (${any.sql}))`,
        params: any.params,
      };
    }
    return {
      sql: `items.rid IN (${arms
        .map((a) => `SELECT rid FROM ${table} WHERE kind = '${kind}' AND ${a.sql}`)
        .join(" UNION ALL ")})`,
      params: arms.flatMap((a) => a.params),
    };
  });
}

/**
 * Items with a value of `field` (array elements count) meeting `cond` over the index column
 * `value`; presence markers (objects, arrays, JSON nulls) are never values.
 */
function valueMatch(field: string, cond: SqlFragment): SqlFragment {
  const { parent, name } = target(field);
  return itemsIn(
    "field_values",
    [
      {
        sql: `field = ? AND typeof(value) <> 'blob' AND (${cond.sql})`,
        params: [name, ...cond.params],
      },
    ],
    parent,
  );
}

/**
 * `$schema` equal to one of `values`: the rows of the models with those schema ids (records keep
 * their model, not the id, so the id is mapped back through the configured models).
 */
function schemaMatch(values: string[]): SqlFragment {
  const models = values.flatMap((v) => {
    const model = scope.schemas?.get(v);
    return model === undefined ? [] : [model];
  });
  if (models.length === 0) return { sql: "0", params: [] };
  return { sql: `items.model IN (${models.map(() => "?").join(", ")})`, params: models };
}

/**
 * The millisecond a date bound of a query stands for, the way OpenSearch reads a bound on a
 * `date` field (which it indexes at millisecond precision): digits past the millisecond are
 * dropped, and missing parts are filled with their lowest value, or with `roundUp` (for `gt`,
 * `lte` and the upper end of a term) as OpenSearch fills them: hour 23, minute 59, second 59,
 * millisecond 999 (a missing month or day stays 01). Digits alone are epoch milliseconds.
 * `undefined` when it is no date, which OpenSearch's lenient query parsing turns into no match.
 */
export function dateBound(value: string, roundUp: boolean): number | undefined {
  const m =
    /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      value.trim(),
    );
  if (m === null) {
    // Epoch milliseconds, within the dates a timestamp can hold.
    const ms = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
    return Math.abs(ms) <= 8.64e15 ? ms : undefined;
  }
  const [, year, month, day, hour, minute, second, fraction, zone] = m;
  const part = (v: string | undefined, low: number, high: number): number =>
    v === undefined ? (roundUp ? high : low) : Number(v);
  const fields = [
    Number(year),
    part(month, 1, 1) - 1,
    part(day, 1, 1),
    part(hour, 0, 23),
    part(minute, 0, 59),
    part(second, 0, 59),
    fraction === undefined ? (roundUp ? 999 : 0) : Number(fraction.padEnd(3, "0").slice(0, 3)),
  ] as const;
  const time = new Date(0);
  time.setUTCFullYear(fields[0], fields[1], fields[2]);
  time.setUTCHours(fields[3], fields[4], fields[5], fields[6]);
  // Out-of-range parts (month 13, 31 April, minute 60) would roll over: no such date.
  const read = [
    time.getUTCFullYear(),
    time.getUTCMonth(),
    time.getUTCDate(),
    time.getUTCHours(),
    time.getUTCMinutes(),
    time.getUTCSeconds(),
    time.getUTCMilliseconds(),
  ];
  if (read.some((v, i) => v !== fields[i])) return undefined;
  let offset = 0;
  if (zone !== undefined && zone !== "Z") {
    const digits = zone.slice(1).replace(":", "");
    const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
    offset = (zone.startsWith("-") ? -1 : 1) * minutes * 60_000;
  }
  return time.getTime() - offset;
}

/** The first and one past the last millisecond of the four-digit years stored timestamps have. */
const YEAR_0 = Date.parse("0000-01-01T00:00:00Z");
const YEAR_10000 = Date.parse("9999-12-31T23:59:59.999Z") + 1;

/**
 * A millisecond since the epoch in the stored form, `2025-01-14T10:12:33.123000+00:00`, which
 * compares with stored timestamps as text; past the four-digit years, a text below or above all.
 */
function storedForm(ms: number): string {
  if (ms < YEAR_0) return "";
  if (ms >= YEAR_10000) return "~";
  return `${new Date(ms).toISOString().slice(0, 23)}000+00:00`;
}

/**
 * A range on a timestamp column (`created`, `updated`), compared as OpenSearch compares a `date`
 * field: each row at the millisecond its stored microseconds fall in, against bounds read by
 * {@link dateBound} (`gte` and `lt` round missing parts down, `gt` and `lte` up; an exclusive
 * bound then excludes its whole millisecond). So `[a TO b}` selects the records whose millisecond
 * is in `[ms(a), ms(b))`, and a record at `…05.971453` is outside `[… TO …05.971454}`, as on a
 * real Invenio. The bounds become stored-form strings, so the column's index still serves.
 */
function timeRange(
  column: string,
  min: string | undefined,
  max: string | undefined,
  minInclusive: boolean,
  maxInclusive: boolean,
): SqlFragment {
  const parts: SqlFragment[] = [];
  if (min !== undefined) {
    const low = dateBound(min, !minInclusive);
    if (low === undefined) return { sql: "0", params: [] };
    // The first millisecond selected.
    parts.push({ sql: `${column} >= ?`, params: [storedForm(minInclusive ? low : low + 1)] });
  }
  if (max !== undefined) {
    const high = dateBound(max, maxInclusive);
    if (high === undefined) return { sql: "0", params: [] };
    // The first millisecond past the range.
    parts.push({ sql: `${column} < ?`, params: [storedForm(maxInclusive ? high + 1 : high)] });
  }
  return and(parts);
}

function globPattern(term: string): string {
  return term.toLowerCase().replace(/[[\]]/g, (c) => `[${c}]`);
}

function ftsPhrase(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/** Full-text match of the record's text against an FTS5 expression. */
function fullText(match: string): SqlFragment {
  fullTextSeen.push(match);
  // Always as a set: FTS5 would parse the expression again for every row.
  return perKind((kind) => {
    const table = kind === "draft" ? "drafts_fts" : "records_fts";
    return {
      sql: `items.rid IN (SELECT rowid FROM ${table} WHERE ${table} MATCH ?)`,
      params: [match],
    };
  });
}

/** Free text without a field: token or phrase match over all the record's text. */
function freeText(term: string, quoted: boolean): SqlFragment {
  clauses++;
  if (quoted) {
    return term.trim() === "" ? TRUE : fullText(ftsPhrase(term));
  }
  if (term === "*") return TRUE;
  const prefix = /^([^*?]+)\*$/.exec(term);
  if (prefix?.[1] !== undefined) return fullText(`${ftsPhrase(prefix[1])} *`);
  if (/[*?]/.test(term)) {
    // A wildcard inside a word: FTS5 only knows prefixes, so look at every text value.
    return itemsIn("field_values", [
      { sql: "typeof(value) = 'text' AND lower(value) GLOB ?", params: [`*${globPattern(term)}*`] },
    ]);
  }
  return fullText(ftsPhrase(term));
}

/** `field:value` on one field: exact value, a token of it, a phrase in it, or a wildcard. */
export function fieldMatch(field: string, term: string, quoted: boolean): SqlFragment {
  clauses++;
  if (field === "_exists_") return exists(term);
  if (field === "is_published") {
    return { sql: "items.kind = ?", params: [term === "true" ? "record" : "draft"] };
  }
  if (field === "$schema") return schemaMatch([term]);
  const wildcard = !quoted && /[*?]/.test(term);
  if (COLUMNS.has(field)) {
    const column = `items.${field}`;
    if (wildcard) return { sql: `lower(${column}) GLOB ?`, params: [globPattern(term)] };
    if (field === "id") return { sql: `${column} = ?`, params: [term] };
    // A term on a date is the range of all it leaves open, as in OpenSearch: a day, a millisecond.
    return timeRange(column, term, term, true, true);
  }
  if (wildcard) {
    return valueMatch(field, {
      sql: "lower(CAST(value AS TEXT)) GLOB ?",
      params: [globPattern(term)],
    });
  }
  if (quoted) {
    return valueMatch(field, {
      sql: "instr(lower(CAST(value AS TEXT)), ?) > 0",
      params: [term.toLowerCase()],
    });
  }
  // A token: the whole value, or a word of it delimited by spaces and `,.:;-`, as the index
  // keeps them (field-index.ts). A term with a space could span two words: look at the values.
  const token = term.toLowerCase();
  if (token.includes(" ")) {
    const words = `' ' || lower(CAST(value AS TEXT)) || ' '`;
    return valueMatch(field, {
      sql: `lower(CAST(value AS TEXT)) = ? OR
            (' ' || replace(replace(replace(replace(replace(${words}, ',', ' '), '.', ' '),
              ':', ' '), ';', ' '), '-', ' ') || ' ') LIKE ? ESCAPE '\\'`,
      params: [token, `% ${token.replace(/[\\%_]/g, (c) => `\\${c}`)} %`],
    });
  }
  const { parent, name } = target(field);
  return itemsIn(
    "field_tokens",
    [{ sql: "field = ? AND token = ?", params: [name, token] }],
    parent,
  );
}

/** `_exists_:field`. */
export function exists(field: string): SqlFragment {
  if (COLUMNS.has(field) || field === "is_published" || field === "$schema") return TRUE;
  const { parent, name } = target(field);
  if (name === "") return TRUE;
  return itemsIn("field_values", [{ sql: "field = ?", params: [name] }], parent);
}

/** A range on a field; `undefined` bounds are open. Numbers compare as numbers, the rest as text. */
export function rangeMatch(
  field: string,
  min: string | undefined,
  max: string | undefined,
  minInclusive: boolean,
  maxInclusive: boolean,
): SqlFragment {
  clauses++;
  const numeric = [min, max].every((v) => v === undefined || /^-?\d+(\.\d+)?$/.test(v));
  if (COLUMNS.has(field)) {
    if (field !== "id") return timeRange(`items.${field}`, min, max, minInclusive, maxInclusive);
    return and(bounds(`items.${field}`, min, max, minInclusive, maxInclusive, (v) => v));
  }
  const { parent, name } = target(field);
  if (!numeric) {
    // Text bounds compare as SQLite compares mixed values (numbers before text), as before;
    // presence markers are blobs, which sort after all text.
    const cond = and([
      ...bounds("value", min, max, minInclusive, maxInclusive, (v) => v),
      { sql: "value < x''", params: [] },
    ]);
    return itemsIn(
      "field_values",
      [{ sql: `field = ? AND ${cond.sql}`, params: [name, ...cond.params] }],
      parent,
    );
  }
  // Numbers compare as numbers: numeric values through the index (all numbers sort before
  // text), and text values by their numeric prefix, as `CAST(value AS REAL)` always read them.
  const asNumber = (v: string): unknown => Number(v);
  const numbers = and([
    ...bounds("value", min, max, minInclusive, maxInclusive, asNumber),
    { sql: "value < ''", params: [] },
  ]);
  const texts = and([
    { sql: "value >= '' AND value < x''", params: [] },
    ...bounds("CAST(value AS REAL)", min, max, minInclusive, maxInclusive, asNumber),
  ]);
  return itemsIn(
    "field_values",
    [
      { sql: `field = ? AND ${numbers.sql}`, params: [name, ...numbers.params] },
      { sql: `field = ? AND ${texts.sql}`, params: [name, ...texts.params] },
    ],
    parent,
  );
}

function bounds(
  expr: string,
  min: string | undefined,
  max: string | undefined,
  minInclusive: boolean,
  maxInclusive: boolean,
  bound: (v: string) => unknown,
): SqlFragment[] {
  const parts: SqlFragment[] = [];
  if (min !== undefined) {
    parts.push({ sql: `${expr} ${minInclusive ? ">=" : ">"} ?`, params: [bound(min)] });
  }
  if (max !== undefined) {
    parts.push({ sql: `${expr} ${maxInclusive ? "<=" : "<"} ?`, params: [bound(max)] });
  }
  return parts;
}

function isTerm(node: LuceneAst): node is LuceneTerm {
  return "term" in node;
}

function isRange(node: LuceneAst): node is LuceneRange {
  return "term_min" in node;
}

function translate(node: LuceneAst, defaultField: string | undefined): SqlFragment {
  if (isRange(node)) {
    const field = node.field === "<implicit>" ? defaultField : node.field;
    if (field === undefined) throw new QueryError(INVALID_QUERY);
    const open = (v: string): string | undefined => (v === "*" ? undefined : v);
    return rangeMatch(
      field,
      open(node.term_min),
      open(node.term_max),
      node.inclusive === "both" || node.inclusive === "left",
      node.inclusive === "both" || node.inclusive === "right",
    );
  }
  if (isTerm(node)) {
    const field = node.field === "<implicit>" ? defaultField : node.field;
    const match =
      field === undefined
        ? freeText(node.term, node.quoted)
        : fieldMatch(field, node.term, node.quoted);
    return node.prefix === "-" || node.prefix === "!" ? not(match) : match;
  }
  const field = node.field !== undefined && node.field !== "<implicit>" ? node.field : defaultField;
  if (node.left === undefined) return TRUE;
  let left = translate(node.left, field);
  if (node.start === "NOT" || node.start === "!") left = not(left);
  if (node.right === undefined || node.operator === undefined) return left;
  const right = translate(node.right, field);
  switch (node.operator) {
    case "AND":
    case "&&":
      return and([left, right]);
    case "AND NOT":
    case "NOT":
      return and([left, not(right)]);
    case "OR NOT":
      return or([left, not(right)]);
    default:
      // `OR`, `||` and juxtaposition: query_string's default operator is OR.
      return or([left, right]);
  }
}

/**
 * Translates an OpenSearch `query_string` into an SQL condition over an `items` row (columns
 * `kind`, `rid`, `id`, `data`, `created`, `updated`); a query the parser rejects is a 400.
 */
export function compileQueryString(
  q: string,
  options: CompileOptions = { drafts: true },
): CompiledQuery {
  let ast: LuceneAst;
  try {
    ast = lucene.parse(q);
  } catch {
    throw new QueryError(INVALID_QUERY);
  }
  return collect(options, () => translate(ast, undefined));
}

/**
 * What invenio-records-resources' `QueryParser` searches when it cannot parse `q` (InvenioRDM
 * 13): a `multi_match` of the text over every field, so any of its words (runs of letters and
 * digits, as the standard analyzer splits them) anywhere in the record; no word matches nothing.
 */
export function compilePlainText(
  q: string,
  options: CompileOptions = { drafts: true },
): CompiledQuery {
  const words = [...new Set(q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
  return collect(options, () => or(words.map((word) => freeText(word, false))));
}

function collect(options: CompileOptions, compile: () => SqlFragment): CompiledQuery {
  fullTextSeen = [];
  clauses = 0;
  scope = options;
  try {
    const fragment = compile();
    if (clauses > MAX_CLAUSES) throw new QueryError(TOO_MANY_CLAUSES);
    return { sql: fragment.sql, params: fragment.params, fullText: fullTextSeen };
  } finally {
    fullTextSeen = [];
    scope = { drafts: true };
  }
}

function asString(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new QueryError(INVALID_QUERY);
}

function list(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function single(body: unknown): [string, unknown] {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new QueryError(INVALID_QUERY);
  }
  const entries = Object.entries(body);
  const first = entries[0];
  if (entries.length !== 1 || first === undefined) throw new QueryError(INVALID_QUERY);
  return first;
}

/** `{field: value}` or `{field: {value|query: v}}` as term and match take them. */
function fieldValue(spec: unknown, key: string): [string, unknown] {
  const [field, value] = single(spec);
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return [field, (value as Record<string, unknown>)[key]];
  }
  return [field, value];
}

/**
 * Translates the structured query subset that the global search endpoints accept as a JSON body:
 * `bool` (`must`, `should`, `must_not`, `filter`), `term`, `terms`, `match`, `range`,
 * `query_string` and `match_all`.
 */
export function compileStructured(
  query: unknown,
  options: CompileOptions = { drafts: true },
): CompiledQuery {
  return collect(options, () => structured(query));
}

function structured(query: unknown): SqlFragment {
  const [kind, spec] = single(query);
  switch (kind) {
    case "match_all":
      return TRUE;
    case "bool": {
      const b = (spec ?? {}) as Record<string, unknown>;
      const must = [...list(b.must), ...list(b.filter)].map(structured);
      const should = list(b.should).map(structured);
      const mustNot = list(b.must_not).map(structured);
      const parts = [...must, ...mustNot.map(not)];
      if (should.length > 0) parts.push(or(should));
      return and(parts);
    }
    case "term": {
      const [field, value] = fieldValue(spec, "value");
      return exactValue(field, asString(value));
    }
    case "terms": {
      const [field, values] = single(spec);
      if (field === "$schema") return schemaMatch(list(values).map(asString));
      return or(list(values).map((v) => exactValue(field, asString(v))));
    }
    case "match": {
      const [field, value] = fieldValue(spec, "query");
      const words = asString(value)
        .split(/\s+/)
        .filter((w) => w !== "");
      const match = (w: string): SqlFragment =>
        field === "_all" || field === "*" ? freeText(w, false) : fieldMatch(field, w, false);
      return or(words.map(match));
    }
    case "range": {
      const [field, bounds] = single(spec);
      const r = (bounds ?? {}) as Record<string, unknown>;
      const lower = r.gte ?? r.gt;
      const upper = r.lte ?? r.lt;
      return rangeMatch(
        field,
        lower === undefined ? undefined : asString(lower),
        upper === undefined ? undefined : asString(upper),
        r.gte !== undefined,
        r.lte !== undefined,
      );
    }
    case "query_string": {
      const s = spec as Record<string, unknown> | undefined;
      let ast: LuceneAst;
      try {
        ast = lucene.parse(asString(s?.query));
      } catch {
        throw new QueryError(INVALID_QUERY);
      }
      return translate(ast, undefined);
    }
    default:
      throw new QueryError(INVALID_QUERY);
  }
}

/** A keyword `term`: the value itself, not a token of it. */
function exactValue(field: string, value: string): SqlFragment {
  if (COLUMNS.has(field)) {
    if (field === "id") return { sql: "items.id = ?", params: [value] };
    return timeRange(`items.${field}`, value, value, true, true);
  }
  if (field === "is_published") return fieldMatch(field, value, false);
  if (field === "$schema") return schemaMatch([value]);
  return exactValuesIn(field, [value]);
}

/**
 * Items whose `field` has one of `values` as its text (`CAST(value AS TEXT)`, so `5` matches the
 * number 5): looked up in the index as text and as numbers, then checked as text.
 */
export function exactValues(
  field: string,
  values: string[],
  options: CompileOptions = { drafts: true },
): CompiledQuery {
  return collect(options, () => exactValuesIn(field, values));
}

function exactValuesIn(field: string, values: string[]): SqlFragment {
  const keys: unknown[] = [...values];
  for (const v of values) {
    if (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v)) keys.push(Number(v));
  }
  const marks = (list: unknown[]): string => list.map(() => "?").join(", ");
  return valueMatch(field, {
    sql: `value IN (${marks(keys)}) AND CAST(value AS TEXT) IN (${marks(values)})`,
    params: [...keys, ...values],
  });
}

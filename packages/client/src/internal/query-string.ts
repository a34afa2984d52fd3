// Structured (OpenSearch JSON) queries rewritten as query strings (`q`), the one form of search
// every repository honours: plain InvenioRDM has no search that takes a body, and NRP servers on
// oarepo 12/13 ignore the body of `POST /api/search/` (every record comes back). What has no
// query-string form is refused before any request is sent, on every repository.

import { UnsupportedQueryError } from "../core/errors.js";
import { isObject } from "./json.js";

/** The query-string form of a (part of a) query: everything, nothing, or a `q` expression. */
type Clause =
  | { readonly kind: "all" }
  | { readonly kind: "none" }
  | { readonly kind: "q"; readonly q: string; readonly atomic: boolean };

const ALL: Clause = { kind: "all" };
const NONE: Clause = { kind: "none" };

/** Keys that only affect scoring or naming, never which documents match. */
const SCORING_ONLY = new Set(["boost", "_name"]);

/**
 * Characters with a meaning in `query_string` syntax outside quotes (Lucene's classic parser plus
 * OpenSearch's `/` for regular expressions), whitespace, and `'`, which Invenio's own parser
 * (luqum) does not take at a word's start; each is escaped with a backslash.
 */
const SPECIAL = /[+\-=&|><!(){}[\]^"'~*?:\\/\s]/g;

/** Escapes a bare word so that every character is taken literally. */
export function escapeTerm(text: string): string {
  return text.replace(SPECIAL, (c) => `\\${c}`);
}

/** A quoted phrase: inside quotes only `"` and `\` need escaping. */
export function quotePhrase(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** A field name as `query_string` reads it; `*` stays a field wildcard (`metadata.*`). */
function fieldName(name: string, path: string): string {
  if (name === "") refuse(path, "an empty field name");
  return name.replace(/[+\-=&|><!(){}[\]^"~?:\\/\s]/g, (c) => `\\${c}`);
}

/** A value as JSON, for messages (`undefined` included). */
function show(value: unknown): string {
  return value === undefined ? "undefined" : JSON.stringify(value);
}

function refuse(path: string, what: string): never {
  throw new UnsupportedQueryError(
    `A structured query is sent as a query string, and ${what} at ${path} has no query-string form; the query was not sent. Rewrite that part (or the whole query) as a query string.`,
    path,
  );
}

function q(text: string, atomic: boolean): Clause {
  return { kind: "q", q: text, atomic };
}

function group(clause: Clause & { kind: "q" }): string {
  return clause.atomic ? clause.q : `(${clause.q})`;
}

/** Every clause must match; `negated` ones must not. */
function and(clauses: readonly Clause[], negated: readonly Clause[] = []): Clause {
  const positive: (Clause & { kind: "q" })[] = [];
  const negative: (Clause & { kind: "q" })[] = [];
  for (const c of clauses) {
    if (c.kind === "none") return NONE;
    if (c.kind === "q") positive.push(c);
  }
  for (const c of negated) {
    if (c.kind === "all") return NONE;
    if (c.kind === "q") negative.push(c);
  }
  if (negative.length === 0) {
    if (positive.length === 0) return ALL;
    if (positive.length === 1 && positive[0] !== undefined) return positive[0];
  }
  // A group of negations alone matches nothing in Lucene; anchor it to every record.
  const parts = positive.length === 0 ? ["_exists_:id"] : positive.map(group);
  for (const n of negative) parts.push(`NOT ${group(n)}`);
  return q(parts.join(" AND "), false);
}

/** At least one clause must match. */
function or(clauses: readonly Clause[]): Clause {
  const parts: (Clause & { kind: "q" })[] = [];
  for (const c of clauses) {
    if (c.kind === "all") return ALL;
    if (c.kind === "q") parts.push(c);
  }
  if (parts.length === 0) return NONE;
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  return q(parts.map(group).join(" OR "), false);
}

/** The one `{name: spec}` entry of a query object. */
function single(value: unknown, path: string): [string, unknown] {
  if (!isObject(value)) refuse(path, `${show(value)} (not a query object)`);
  const entries = Object.entries(value).filter(([k]) => !SCORING_ONLY.has(k));
  const first = entries[0];
  if (entries.length !== 1 || first === undefined) {
    refuse(path, `an object with ${entries.length === 0 ? "no" : "several"} query types`);
  }
  return first;
}

/** Checks that `spec` holds only `allowed` keys (and scoring-only ones). */
function only(spec: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(spec)) {
    if (!allowed.includes(key) && !SCORING_ONLY.has(key)) refuse(`${path}.${key}`, `"${key}"`);
  }
}

/** `{field: value}` or `{field: {<key>: value, …}}` as term, match and prefix take them. */
function fieldAndValue(
  spec: unknown,
  key: string,
  allowed: readonly string[],
  path: string,
): { field: string; value: unknown; options: Record<string, unknown> } {
  const [field, raw] = single(spec, path);
  if (isObject(raw)) {
    only(raw, [key, ...allowed], `${path}.${field}`);
    return { field, value: raw[key], options: raw };
  }
  return { field, value: raw, options: {} };
}

/** A scalar value as one term: numbers and booleans bare, strings quoted. */
function literal(value: unknown, path: string): string {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return String(value);
  if (typeof value === "string") return quotePhrase(value);
  return refuse(path, `the value ${show(value)}`);
}

/** A date, or a UTC date-time, as Invenio's own query parser (luqum) reads it unquoted. */
const BARE_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?)?$/;

/**
 * A range bound: bare when every parser on the way reads it so, quoted otherwise. InvenioRDM
 * parses `q` with luqum before OpenSearch sees it, and a query luqum cannot parse silently becomes
 * a plain-text search; luqum takes a colon inside a bound only in a time, so a UTC offset
 * (`+00:00`, as Invenio writes timestamps) is written as `Z`, and any other bound is quoted.
 */
function bound(value: unknown, path: string): string {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "string" && value !== "") {
    const utc = value.replace(/^(\d{4}-\d{2}-\d{2}T[\d:.]+)(?:[+-]00:?00)$/, "$1Z");
    if (/^[A-Za-z0-9_.]+$/.test(utc) && utc !== "TO") return utc;
    return BARE_DATE.test(utc) ? utc : quotePhrase(value);
  }
  return refuse(path, `the bound ${show(value)}`);
}

/** The words that are operators in a query string (upper case only), which a word must not be. */
const OPERATORS = new Set(["AND", "OR", "NOT", "TO"]);

/** A word of a `match`: escaped, or quoted where escaping cannot make it literal. */
function matchWord(word: string): string {
  // `<` and `>` open a range at a word's start even when escaped; quoted they are text.
  return /^[<>]/.test(word) || OPERATORS.has(word) ? quotePhrase(word) : escapeTerm(word);
}

function strings(value: unknown, path: string): string[] {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  return list.map((v, i) => {
    if (typeof v !== "string") refuse(`${path}[${i}]`, `the value ${show(v)}`);
    return v;
  });
}

/** The `minimum_should_match` of a bool as a count (0, 1); other forms are refused. */
function minimumShouldMatch(value: unknown, fallback: number, path: string): number {
  if (value === undefined) return fallback;
  const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (n === 0 || n === 1) return n;
  return refuse(path, `minimum_should_match ${show(value)}`);
}

function list(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as unknown[]) : [value];
}

function translate(query: unknown, path: string): Clause {
  const [kind, spec] = single(query, path);
  const at = path === "" ? kind : `${path}.${kind}`;
  switch (kind) {
    case "match_all":
      return ALL;
    case "match_none":
      return NONE;
    case "bool": {
      if (!isObject(spec)) return refuse(at, "a bool that is not an object");
      only(spec, ["must", "filter", "should", "must_not", "minimum_should_match"], at);
      const clauses = (key: string): Clause[] =>
        list(spec[key]).map((c, i) => translate(c, `${at}.${key}[${i}]`));
      const required = [...clauses("must"), ...clauses("filter")];
      const excluded = clauses("must_not");
      const should = clauses("should");
      // OpenSearch: without must or filter, one should clause must match; with them, none need to.
      const atLeast = minimumShouldMatch(
        spec.minimum_should_match,
        required.length === 0 ? 1 : 0,
        `${at}.minimum_should_match`,
      );
      if (should.length > 0 && atLeast === 1) required.push(or(should));
      return and(required, excluded);
    }
    case "term": {
      const { field, value } = fieldAndValue(spec, "value", [], at);
      return q(`${fieldName(field, at)}:${literal(value, `${at}.${field}`)}`, true);
    }
    case "terms": {
      if (!isObject(spec)) return refuse(at, "terms that are not an object");
      const [field, values] = single(spec, at);
      if (!Array.isArray(values)) return refuse(`${at}.${field}`, "a terms lookup");
      const terms = (values as unknown[]).map((v, i) => literal(v, `${at}.${field}[${i}]`));
      if (terms.length === 0) return NONE;
      return q(`${fieldName(field, at)}:(${terms.join(" OR ")})`, true);
    }
    case "ids": {
      if (!isObject(spec)) return refuse(at, "ids that are not an object");
      only(spec, ["values"], at);
      const ids = strings(spec.values, `${at}.values`).map(quotePhrase);
      if (ids.length === 0) return NONE;
      return q(`id:(${ids.join(" OR ")})`, true);
    }
    case "range": {
      const [field, bounds] = single(spec, at);
      const where = `${at}.${field}`;
      if (!isObject(bounds)) return refuse(where, "a range that is not an object");
      only(bounds, ["gt", "gte", "lt", "lte"], where);
      if (bounds.gt !== undefined && bounds.gte !== undefined) refuse(where, "both gt and gte");
      if (bounds.lt !== undefined && bounds.lte !== undefined) refuse(where, "both lt and lte");
      const lower = bounds.gte ?? bounds.gt;
      const upper = bounds.lte ?? bounds.lt;
      const from = lower === undefined ? "*" : bound(lower, where);
      const to = upper === undefined ? "*" : bound(upper, where);
      const open = bounds.gt !== undefined ? "{" : "[";
      const close = bounds.lt !== undefined ? "}" : "]";
      return q(`${fieldName(field, at)}:${open}${from} TO ${to}${close}`, true);
    }
    case "exists": {
      if (!isObject(spec)) return refuse(at, "exists that is not an object");
      only(spec, ["field"], at);
      if (typeof spec.field !== "string") return refuse(`${at}.field`, "a missing field name");
      return q(`_exists_:${fieldName(spec.field, at)}`, true);
    }
    case "match": {
      const { field, value, options } = fieldAndValue(spec, "query", ["operator"], at);
      const where = `${at}.${field}`;
      if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
        return refuse(where, `the value ${show(value)}`);
      }
      const given = options.operator ?? "or";
      const operator = typeof given === "string" ? given.toUpperCase() : "";
      if (operator !== "OR" && operator !== "AND") refuse(`${where}.operator`, show(given));
      const words = String(value)
        .split(/\s+/)
        .filter((w) => w !== "")
        .map(matchWord);
      if (words.length === 0) return NONE;
      const name = fieldName(field, at);
      return words.length === 1
        ? q(`${name}:${words[0] ?? ""}`, true)
        : q(`${name}:(${words.join(` ${operator} `)})`, true);
    }
    case "match_phrase": {
      const { field, value } = fieldAndValue(spec, "query", [], at);
      if (typeof value !== "string") return refuse(`${at}.${field}`, "a phrase that is not text");
      return q(`${fieldName(field, at)}:${quotePhrase(value)}`, true);
    }
    case "prefix": {
      const { field, value } = fieldAndValue(spec, "value", [], at);
      if (typeof value !== "string" || value === "") {
        return refuse(`${at}.${field}`, "a prefix that is not text");
      }
      return q(`${fieldName(field, at)}:${escapeTerm(value)}*`, true);
    }
    case "wildcard": {
      const { field, value } = fieldAndValue(spec, "value", [], at);
      if (typeof value !== "string" || value === "") {
        return refuse(`${at}.${field}`, "a pattern that is not text");
      }
      const pattern = value.replace(/[+\-=&|><!(){}[\]^"~:\\/\s]/g, (c) => `\\${c}`);
      // A pattern that is an operator word would be read as the operator.
      if (OPERATORS.has(pattern)) return q(`${fieldName(field, at)}:${quotePhrase(value)}`, true);
      return q(`${fieldName(field, at)}:${pattern}`, true);
    }
    case "query_string": {
      if (!isObject(spec)) return refuse(at, "a query_string that is not an object");
      only(spec, ["query"], at);
      if (typeof spec.query !== "string") return refuse(`${at}.query`, "a missing query");
      return spec.query.trim() === "" ? ALL : q(spec.query, false);
    }
    default:
      return refuse(at, `the query type "${kind}"`);
  }
}

/**
 * Rewrites a structured query as a query string with the same matches: `bool` (`must`, `filter`,
 * `should`, `must_not`, `minimum_should_match` 0 or 1), `term`, `terms`, `ids`, `range`,
 * `exists`, `match` (`operator` and/or), `match_phrase`, `prefix`, `wildcard`, `query_string`
 * (`query` only), `match_all` and `match_none`. Values are quoted or escaped so that every
 * character is taken literally. `undefined` means "every record" (no `q`).
 *
 * @throws {@link UnsupportedQueryError} for anything else (other query types, options that change
 * matching such as `fuzziness` or `default_field`), naming where it is.
 */
export function toQueryString(query: unknown): string | undefined {
  const clause = translate(query, "");
  if (clause.kind === "all") return undefined;
  if (clause.kind === "none") return "NOT _exists_:id";
  return clause.q;
}

import type { Database } from "better-sqlite3";
import {
  compilePlainText,
  compileQueryString,
  compileStructured,
  exactValues,
  INVALID_QUERY,
  QueryError,
  type CompileOptions,
  type CompiledQuery,
  type SqlFragment,
} from "./query.js";
import {
  itemWithParent,
  itemWithParentColumns,
  type ItemKind,
  type ItemRow,
  type ParentRow,
} from "./records.js";

/**
 * The search engine's result window: no hit past it can be paged to
 * (docs/protocol/search.md#the-10000-window).
 */
export const MAX_RESULT_WINDOW = 10_000;

/** Which rows a search runs over. */
export interface SearchScope {
  /** One model's records, or every model's (`/api/search/`, `/api/user/search/`). */
  model: string | undefined;
  /** The caller's own drafts and records instead of everyone's published records. */
  personal: boolean;
}

/**
 * Where a facet's values come from: a field of the field index, whether a row is published,
 * whether its files are on (RDM's access status) or its files' extensions (RDM's file type).
 */
export interface FacetSource {
  /** The facet's query parameter. */
  name: string;
  source: "field" | "is_published" | "access_status" | "file_type";
  /** The field index path, for `field` facets. */
  field: string;
}

/** One search of the records, as the search collections run it. */
export interface SearchRequest extends SearchScope {
  /** The caller, whose drafts and records a personal search lists. */
  userId: number | undefined;
  /** A `query_string` query. */
  q: string | undefined;
  /** A structured query (the JSON body of a POST to the global endpoints); `undefined` for none. */
  structured: unknown;
  /** Search the words of an unparseable `q` as plain text instead of refusing it (RDM 13). */
  plainTextFallback: boolean;
  /** The models' JSON schema ids to model names, for `$schema` filters. */
  schemas: ReadonlyMap<string, string>;
  /** The facets offered, in order, each with the values selected (empty: no filter). */
  facets: { source: FacetSource; selected: string[] }[];
  page: number;
  size: number;
  /** A sort option (`newest`, `bestmatch`, …); unknown ones sort as `newest`. */
  sort: string;
}

/** One page of rows, the total they were cut from and the facets computed before facet filters. */
export interface SearchResult {
  /** The page's rows, each with its parent (read in the same query). */
  rows: { kind: ItemKind; item: ItemRow; parent: ParentRow | undefined }[];
  total: number;
  /** Each offered facet's buckets, by facet name. */
  buckets: Map<string, Buckets>;
}

const ORDER: Record<string, string> = {
  newest: "items.created DESC, items.id DESC",
  oldest: "items.created ASC, items.id ASC",
  "updated-desc": "items.updated DESC, items.id DESC",
  "updated-asc": "items.updated ASC, items.id ASC",
  version: "items.version_index DESC, items.created DESC, items.id DESC",
};

/** The file extension RDM's file type facet files a key under (`csv` for `data.CSV`). */
function extensionOf(key: string): string | undefined {
  const name = key.slice(key.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : undefined;
}

/**
 * The rows a collection lists, as `items`: only what conditions and sort orders look at (kind,
 * rowid, id, model, version and times), so counting, faceting and ordering never read the JSON;
 * a page's rows are read by rowid afterwards.
 */
function base(query: SearchScope, userId: number | undefined): SqlFragment {
  const cols = "rowid AS rid, id, parent_id, model, version_index, created, updated";
  if (query.personal) {
    const filter = query.model === undefined ? "" : "AND p.model = ?";
    const m = query.model === undefined ? [] : [query.model];
    return {
      sql: `SELECT 'draft' AS kind, d.${cols.replaceAll(", ", ", d.")} FROM drafts d
              JOIN parents p ON p.id = d.parent_id WHERE p.owner_id = ? ${filter}
            UNION ALL
            SELECT 'record' AS kind, r.${cols.replaceAll(", ", ", r.")}
              FROM records r JOIN parents p ON p.id = r.parent_id
              WHERE p.owner_id = ? ${filter} AND r.id NOT IN (SELECT id FROM drafts)`,
      params: [userId ?? -1, ...m, userId ?? -1, ...m],
    };
  }
  return {
    sql: `SELECT 'record' AS kind, ${cols} FROM records
          ${query.model === undefined ? "" : "WHERE model = ?"}`,
    params: query.model === undefined ? [] : [query.model],
  };
}

function facetFilter(spec: FacetSource, values: string[], options: CompileOptions): SqlFragment {
  const marks = values.map(() => "?").join(", ");
  switch (spec.source) {
    case "is_published":
      return {
        sql: `items.kind IN (${marks})`,
        params: values.map((v) => (v === "true" ? "record" : "draft")),
      };
    case "access_status": {
      const enabled = values.flatMap((v) =>
        v === "open" ? [1] : v === "metadata-only" ? [0] : [],
      );
      if (enabled.length === 0) return { sql: "0", params: [] };
      const set = enabled.map(() => "?").join(", ");
      return {
        sql: `((items.kind = 'record' AND items.rid IN
                 (SELECT rowid FROM records WHERE files_enabled IN (${set})))
               OR (items.kind = 'draft' AND items.rid IN
                 (SELECT rowid FROM drafts WHERE files_enabled IN (${set}))))`,
        params: [...enabled, ...enabled],
      };
    }
    case "file_type":
      return {
        sql: `EXISTS (SELECT 1 FROM files f WHERE f.owner_kind = items.kind
                AND f.owner_id = items.id AND (${values.map(() => "lower(f.key) LIKE ?").join(" OR ")}))`,
        params: values.map((v) => `%.${v.toLowerCase().replace(/[%_]/g, "")}`),
      };
    case "field": {
      const { sql, params } = exactValues(spec.field, values, options);
      return { sql, params };
    }
  }
}

/** A facet's buckets, most frequent first: the value as the bucket shows it and its count. */
export type Buckets = { bucket: string; n: number }[];

/**
 * Buckets of the keyword facets from the field index, in one pass: the values of each facet's
 * field over the matching rows (the kept counts when nothing narrows a public collection),
 * grouped by their text as the buckets show it. `many` says that a good part of the rows match.
 */
function keywordFacets(
  db: Database,
  query: SearchScope,
  names: string[],
  from: SqlFragment,
  pre: SqlFragment,
  many: boolean,
): Map<string, Buckets> {
  const fields = names.map(() => "?").join(", ");
  const kinds: ItemKind[] = query.personal ? ["draft", "record"] : ["record"];
  const parts = kinds.map((kind): SqlFragment => {
    if (!query.personal && pre.sql === "1") {
      const model = query.model === undefined ? "" : "AND model = ?";
      return {
        sql: `SELECT field, value, sum(n) AS n FROM field_counts
              WHERE kind = 'record' AND field IN (${fields}) AND n > 0 ${model}
              GROUP BY field, value`,
        params: [...names, ...(query.model === undefined ? [] : [query.model])],
      };
    }
    if (many) {
      // Most rows match: read the fields' entries in value order (grouping as it goes) and
      // check each against the collected matching set.
      return {
        sql: `SELECT field, value, count(*) AS n FROM field_values
              WHERE kind = '${kind}' AND field IN (${fields}) AND typeof(value) <> 'blob'
                AND rid IN (SELECT items.rid FROM (${from.sql}) items
                            WHERE items.kind = '${kind}' AND ${pre.sql})
              GROUP BY field, value`,
        params: [...names, ...from.params, ...pre.params],
      };
    }
    // Few rows match: go from them to their entries (CROSS JOIN keeps that order), which sit
    // together under the table's key.
    return {
      sql: `SELECT v.field, v.value, count(*) AS n
            FROM (SELECT items.rid FROM (${from.sql}) items
                  WHERE items.kind = '${kind}' AND ${pre.sql}) m
            CROSS JOIN field_values v
            WHERE v.kind = '${kind}' AND v.rid = m.rid AND v.field IN (${fields})
              AND typeof(v.value) <> 'blob'
            GROUP BY v.field, v.value`,
      params: [...from.params, ...pre.params, ...names],
    };
  });
  const rows = db
    .prepare(
      `SELECT field, CAST(value AS TEXT) AS bucket, sum(n) AS n
       FROM (${parts.map((p) => p.sql).join(" UNION ALL ")})
       GROUP BY field, bucket ORDER BY field, n DESC, bucket`,
    )
    .all(...parts.flatMap((p) => p.params)) as { field: string; bucket: string; n: number }[];
  const facets = new Map<string, Buckets>(names.map((n) => [n, []]));
  for (const { field, bucket, n } of rows) {
    const list = facets.get(field);
    if (list !== undefined && list.length < 10) list.push({ bucket, n });
  }
  return facets;
}

/**
 * Results computed from the database, remembered until the database changes: paging through a
 * large result set asks for the same total and aggregations on every page, and over hundreds of
 * thousands of records they cost far more than the page itself.
 */
class ResultCache {
  /** Rows written to the ranking scratch tables, which change no record and keep the cache valid. */
  scratchChanges = 0;
  private changes = -1;
  private entries = new Map<string, unknown>();
  private readonly db: Database;

  constructor(db: Database) {
    this.db = db;
  }

  get<T>(key: string, compute: () => T): T {
    const changes = totalChanges(this.db) - this.scratchChanges;
    if (this.changes !== changes) {
      this.changes = changes;
      this.entries = new Map();
    }
    if (this.entries.has(key)) return this.entries.get(key) as T;
    const value = compute();
    if (this.entries.size >= 400) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }
}

function totalChanges(db: Database): number {
  return (db.prepare("SELECT total_changes() AS n").get() as { n: number }).n;
}

const TRUE_WHERE: SqlFragment = { sql: "1", params: [] };

/** A listed row: which table, which rowid. */
interface Key {
  kind: ItemKind;
  rid: number;
}

/** Keys in a compact form for the cache: a draft's rowid negated. */
function encodeKeys(keys: Key[]): Float64Array {
  return Float64Array.from(keys, (k) => (k.kind === "draft" ? -k.rid : k.rid));
}

function decodeKeys(codes: Float64Array): Key[] {
  return Array.from(codes, (c) =>
    c < 0 ? { kind: "draft", rid: -c } : { kind: "record", rid: c },
  );
}

/**
 * The hits of a `bestmatch` search in order, up to the result window: bm25 over the free text of
 * the query (lower is better), then the sort's order among equals.
 */
function ranking(
  db: Database,
  cache: ResultCache,
  query: SearchScope,
  ranked: string[],
  from: SqlFragment,
  full: SqlFragment,
  order: string,
): Key[] {
  const match = ranked.map((m) => `(${m})`).join(" OR ");
  // Scores go to keyed temporary tables first: joining the FTS subqueries directly leaves
  // SQLite without an index and turns the join quadratic.
  const before = totalChanges(db);
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS rank_records (r INTEGER PRIMARY KEY, score REAL);
           CREATE TEMP TABLE IF NOT EXISTS rank_drafts (r INTEGER PRIMARY KEY, score REAL);
           DELETE FROM rank_records; DELETE FROM rank_drafts;`);
  db.prepare(
    `INSERT INTO rank_records SELECT rowid, bm25(records_fts) FROM records_fts
     WHERE records_fts MATCH ?`,
  ).run(match);
  if (query.personal) {
    db.prepare(
      `INSERT INTO rank_drafts SELECT rowid, bm25(drafts_fts) FROM drafts_fts
       WHERE drafts_fts MATCH ?`,
    ).run(match);
  }
  cache.scratchChanges += totalChanges(db) - before;
  return db
    .prepare(
      `SELECT items.kind, items.rid FROM (${from.sql}) items
       LEFT JOIN temp.rank_records rr ON items.kind = 'record' AND rr.r = items.rid
       LEFT JOIN temp.rank_drafts dr ON items.kind = 'draft' AND dr.r = items.rid
       WHERE ${full.sql} ORDER BY coalesce(rr.score, dr.score, 0) ASC, ${order} LIMIT ?`,
    )
    .all(...from.params, ...full.params, MAX_RESULT_WINDOW) as Key[];
}

/**
 * Searches the records in SQLite for the search collections: published records (anyone) or the
 * caller's drafts and records, filtered by `q` (query_string syntax) or a structured query, with
 * facet filters applied after the aggregations, sorted and paged within the result window.
 */
export class RecordSearch {
  private readonly db: Database;
  private readonly cache: ResultCache;

  constructor(db: Database) {
    this.db = db;
    this.cache = new ResultCache(db);
  }

  /**
   * Runs one search.
   * @throws QueryError for a query that cannot run (unparseable, too complex)
   */
  search(query: SearchRequest): SearchResult {
    const { db, cache } = this;
    const cached = <T>(key: string, compute: () => T): T => cache.get(key, compute);
    const from = base(query, query.userId);
    // Counts and facets look at every row: conditions collect their matching sets once. The page
    // needs only its rows: conditions look each candidate up in the field index.
    const { schemas } = query;
    const setWise = { drafts: query.personal, schemas };
    const rowWise = { drafts: query.personal, perRow: true, schemas };
    const ranked: string[] = [];
    // RDM 13 searches the words of a `q` its parser cannot read as plain text instead of a 400.
    const queryString = (q: string, options: CompileOptions): CompiledQuery => {
      try {
        return compileQueryString(q, options);
      } catch (error) {
        const unreadable = error instanceof QueryError && error.message === INVALID_QUERY;
        if (!unreadable || !query.plainTextFallback) throw error;
        return compilePlainText(q, options);
      }
    };
    const compile = (options: CompileOptions): SqlFragment[] =>
      [
        ...(query.q === undefined ? [] : [queryString(query.q, options)]),
        ...(query.structured === undefined ? [] : [compileStructured(query.structured, options)]),
      ].map((c) => {
        if (options.perRow !== true) ranked.push(...c.fullText);
        return { sql: c.sql, params: c.params };
      });
    const filters = compile(setWise);
    const rowFilters = compile(rowWise);
    const where = (all: SqlFragment[]): SqlFragment => ({
      sql: all.length === 0 ? "1" : all.map((f) => `(${f.sql})`).join(" AND "),
      params: all.flatMap((f) => f.params),
    });
    const specs = query.facets.map((f) => f.source);
    const postFilters: SqlFragment[] = [];
    const rowPostFilters: SqlFragment[] = [];
    for (const { source, selected } of query.facets) {
      if (selected.length === 0) continue;
      postFilters.push(facetFilter(source, selected, setWise));
      rowPostFilters.push(facetFilter(source, selected, rowWise));
    }
    const count = (where: SqlFragment): number =>
      cached(
        `total\n${from.sql}\n${where.sql}\n${JSON.stringify([...from.params, ...where.params])}`,
        () =>
          (
            db
              .prepare(`SELECT count(*) AS n FROM (${from.sql}) items WHERE ${where.sql}`)
              .get(...from.params, ...where.params) as { n: number }
          ).n,
      );
    const pre = where(filters);
    const preKey = `${from.sql}\n${pre.sql}\n${JSON.stringify([...from.params, ...pre.params])}`;
    // No matching row, no bucket: nothing to aggregate.
    const none = count(pre) === 0;
    const keywords = specs.filter((f) => f.source === "field").map((f) => f.field);
    const facets = cached(`facets\n${keywords.join(",")}\n${preKey}`, () =>
      none || keywords.length === 0
        ? new Map<string, Buckets>()
        : keywordFacets(db, query, keywords, from, pre, count(pre) * 8 > count(TRUE_WHERE)),
    );
    const grouped = (name: string, sql: string): Buckets =>
      cached(`${name}\n${preKey}`, () =>
        none ? [] : (db.prepare(sql).all(...from.params, ...pre.params) as Buckets),
      );
    const buckets = new Map<string, Buckets>();
    for (const spec of specs) {
      let rows: Buckets;
      switch (spec.source) {
        case "field":
          rows = facets.get(spec.field) ?? [];
          break;
        case "is_published":
          rows = grouped(
            spec.name,
            `SELECT CASE items.kind WHEN 'record' THEN 'true' ELSE 'false' END AS bucket,
               count(*) AS n FROM (${from.sql}) items WHERE ${pre.sql} GROUP BY bucket
             ORDER BY n DESC, bucket`,
          );
          break;
        case "access_status":
          rows = grouped(
            spec.name,
            `SELECT CASE coalesce(r.files_enabled, d.files_enabled) WHEN 1 THEN 'open'
                 ELSE 'metadata-only' END AS bucket, count(*) AS n
               FROM (${from.sql}) items
               LEFT JOIN records r ON items.kind = 'record' AND r.rowid = items.rid
               LEFT JOIN drafts d ON items.kind = 'draft' AND d.rowid = items.rid
             WHERE ${pre.sql} GROUP BY bucket ORDER BY n DESC, bucket`,
          );
          break;
        case "file_type":
          rows = cached(`${spec.name}\n${preKey}`, () => {
            if (none) return [];
            const files = db
              .prepare(
                `SELECT items.kind || ':' || items.id AS owner, f.key AS key
                   FROM (${from.sql}) items
                   JOIN files f ON f.owner_kind = items.kind AND f.owner_id = items.id
                 WHERE ${pre.sql}`,
              )
              .all(...from.params, ...pre.params) as { owner: string; key: string }[];
            const owners = new Map<string, Set<string>>();
            for (const { owner, key } of files) {
              const ext = extensionOf(key);
              if (ext === undefined) continue;
              const set = owners.get(ext) ?? new Set<string>();
              set.add(owner);
              owners.set(ext, set);
            }
            return [...owners]
              .map(([bucket, set]) => ({ bucket, n: set.size }))
              .sort((a, b) => b.n - a.n || a.bucket.localeCompare(b.bucket))
              .slice(0, 10);
          });
          break;
      }
      buckets.set(spec.name, rows);
    }
    const full = where([...filters, ...postFilters]);
    const { page, size } = query;
    const offset = (page - 1) * size;
    const limit = Math.max(0, Math.min(page * size, MAX_RESULT_WINDOW) - offset);
    const total = count(full);
    let keys: Key[];
    const order = ORDER[query.sort] ?? ORDER.newest ?? "";
    const fullKey = `${from.sql}\n${full.sql}\n${JSON.stringify([...from.params, ...full.params])}`;
    if (total === 0 || offset >= total) {
      keys = [];
    } else if (query.sort === "bestmatch" && ranked.length > 0) {
      // The whole ranking is computed once per query and database state, then paged from memory.
      keys = decodeKeys(
        cached(`ranking\n${fullKey}`, () =>
          encodeKeys(ranking(db, cache, query, ranked, from, full, order)),
        ).subarray(offset, offset + limit),
      );
    } else if (offset === 0) {
      // The first page walks the sort order, checking each row against the field index when
      // matches are common enough to fill the page early, else collecting the matching sets first.
      const rows = count(TRUE_WHERE);
      const perRow = (limit * rows) / total <= total + rows / 10;
      const cond = perRow ? where([...rowFilters, ...rowPostFilters]) : full;
      keys = db
        .prepare(
          `SELECT items.kind, items.rid FROM (${from.sql}) items WHERE ${cond.sql}
           ORDER BY ${order} LIMIT ?`,
        )
        .all(...from.params, ...cond.params, limit) as { kind: ItemKind; rid: number }[];
    } else {
      // Later pages come from the order of the whole result window, computed once per query and
      // database state: paging (and scans, which page through every range) then costs one page
      // per request instead of walking past all the earlier ones again.
      keys = decodeKeys(
        cached(`order\n${order}\n${fullKey}`, () =>
          encodeKeys(
            db
              .prepare(
                `SELECT items.kind, items.rid FROM (${from.sql}) items WHERE ${full.sql}
                 ORDER BY ${order} LIMIT ?`,
              )
              .all(...from.params, ...full.params, MAX_RESULT_WINDOW) as Key[],
          ),
        ).subarray(offset, offset + limit),
      );
    }
    // The page's rows with their parents in one query per table (a page may hold a thousand),
    // then in page order.
    type Found = ReturnType<typeof itemWithParent>;
    const found: Record<ItemKind, Map<number, Found>> = { record: new Map(), draft: new Map() };
    for (const kind of ["record", "draft"] as const) {
      const rids = keys.filter((k) => k.kind === kind).map((k) => k.rid);
      if (rids.length === 0) continue;
      const rows = db
        .prepare(
          `SELECT ${itemWithParentColumns(kind)}
           FROM ${kind === "draft" ? "drafts" : "records"} i
           LEFT JOIN parents p ON p.id = i.parent_id
           WHERE i.rowid IN (SELECT value FROM json_each(?))`,
        )
        .raw(true)
        .all(JSON.stringify(rids)) as unknown[][];
      for (const row of rows) {
        const hit = itemWithParent(row);
        found[kind].set(hit.rid, hit);
      }
    }
    const rows = keys.flatMap(({ kind, rid }) => {
      const hit = found[kind].get(rid);
      return hit === undefined ? [] : [{ kind, item: hit.item, parent: hit.parent }];
    });
    return { rows, total, buckets };
  }
}

import type { RequestContext } from "../http/context.js";
import { toItem, type ItemKind, type ItemSql } from "../store/records.js";
import { compileQueryString, compileStructured, exactValues, type SqlFragment } from "./query.js";
import { dumpRecord, recordModels } from "./records/serialize.js";
import { MAX_RESULT_WINDOW, type SearchParams } from "./search.js";
import type { ServiceContext } from "./service.js";

/** Which records a search collection lists. */
export interface ListingQuery {
  /** One model's records, or every model's (`/api/search/`, `/api/user/search/`). */
  model: string | undefined;
  /** The caller's own drafts and records instead of everyone's published records. */
  personal: boolean;
  params: SearchParams;
  /** A structured query (the JSON body of a POST to the global endpoints). */
  structured?: unknown;
}

/** One facet's buckets in Invenio's shape (protocol §5.3). */
export interface Facet {
  buckets: { key: string; doc_count: number; label: string; is_selected: boolean }[];
  label: string;
}

/** One page of hits, the total they were cut from and the facets computed before facet filters. */
export interface Listing {
  hits: Record<string, unknown>[];
  total: number;
  aggregations: Record<string, Facet>;
  /** The selected facet values, for the pagination links. */
  facets: [string, string][];
}

/** Keyword fields offered as facets when a model's metadata schema has them. */
const KEYWORD_FACETS = ["resource_type", "keywords", "language"] as const;

const ORDER: Record<string, string> = {
  newest: "items.created DESC, items.id DESC",
  oldest: "items.created ASC, items.id ASC",
  "updated-desc": "items.updated DESC, items.id DESC",
  "updated-asc": "items.updated ASC, items.id ASC",
  version: "items.version_index DESC, items.created DESC, items.id DESC",
};

/** The facets a collection offers: the models' keyword fields, and `is_published` on drafts. */
export function facetNames(app: ServiceContext, model: string | undefined, personal: boolean) {
  const names: string[] = [];
  for (const m of app.config.models) {
    if (model !== undefined && m.type !== model) continue;
    for (const f of KEYWORD_FACETS) {
      if (m.schema.properties?.[f] !== undefined && !names.includes(f)) names.push(f);
    }
  }
  if (personal) names.push("is_published");
  return names;
}

/**
 * The rows a collection lists, as `items`. Narrow rows carry only what conditions look at (kind,
 * rowid, id, model and times), so counting and faceting never read the JSON.
 */
function base(query: ListingQuery, userId: number | undefined, wide: boolean): SqlFragment {
  const cols = wide
    ? "rowid AS rid, id, parent_id, model, version_index, data, files_enabled, pids, revision_id, created, updated"
    : "rowid AS rid, id, model, created, updated";
  if (query.personal) {
    const filter = query.model === undefined ? "" : "AND p.model = ?";
    const m = query.model === undefined ? [] : [query.model];
    const expires = wide ? ", d.expires_at" : "";
    return {
      sql: `SELECT 'draft' AS kind, d.${cols.replaceAll(", ", ", d.")}${expires} FROM drafts d
              JOIN parents p ON p.id = d.parent_id WHERE p.owner_id = ? ${filter}
            UNION ALL
            SELECT 'record' AS kind, r.${cols.replaceAll(", ", ", r.")}${wide ? ", NULL AS expires_at" : ""}
              FROM records r JOIN parents p ON p.id = r.parent_id
              WHERE p.owner_id = ? ${filter} AND r.id NOT IN (SELECT id FROM drafts)`,
      params: [userId ?? -1, ...m, userId ?? -1, ...m],
    };
  }
  return {
    sql: `SELECT 'record' AS kind, ${cols}${wide ? ", NULL AS expires_at" : ""} FROM records
          ${query.model === undefined ? "" : "WHERE model = ?"}`,
    params: query.model === undefined ? [] : [query.model],
  };
}

function facetFilter(name: string, values: string[]): SqlFragment {
  if (name === "is_published") {
    return {
      sql: `items.kind IN (${values.map(() => "?").join(", ")})`,
      params: values.map((v) => (v === "true" ? "record" : "draft")),
    };
  }
  return exactValues(name, values);
}

/**
 * Buckets of a keyword facet from the field index: the values of `name` over the matching rows
 * (all of a model's records straight from the index when nothing narrows them), grouped by their
 * text as the buckets show it.
 */
function keywordBuckets(
  app: ServiceContext,
  query: ListingQuery,
  name: string,
  from: SqlFragment,
  pre: SqlFragment,
): { bucket: string; n: number }[] {
  const kinds: ItemKind[] = query.personal ? ["draft", "record"] : ["record"];
  const parts = kinds.map((kind): SqlFragment => {
    if (!query.personal && pre.sql === "1") {
      const model = query.model === undefined ? "" : "AND model = ?";
      return {
        sql: `SELECT value, count(*) AS n FROM field_values
              WHERE kind = 'record' AND field = ? AND typeof(value) <> 'blob' ${model}
              GROUP BY value`,
        params: [name, ...(query.model === undefined ? [] : [query.model])],
      };
    }
    return {
      sql: `SELECT value, count(*) AS n FROM field_values
            WHERE kind = '${kind}' AND field = ? AND typeof(value) <> 'blob' AND rid IN (
              SELECT items.rid FROM (${from.sql}) items WHERE items.kind = '${kind}' AND ${pre.sql})
            GROUP BY value`,
      params: [name, ...from.params, ...pre.params],
    };
  });
  return app.records.db
    .prepare(
      `SELECT CAST(value AS TEXT) AS bucket, sum(n) AS n
       FROM (${parts.map((p) => p.sql).join(" UNION ALL ")})
       GROUP BY bucket ORDER BY n DESC, bucket LIMIT 10`,
    )
    .all(...parts.flatMap((p) => p.params)) as { bucket: string; n: number }[];
}

function facetLabel(name: string): string {
  if (name === "is_published") return "Status";
  const words = name.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// Rows written to the ranking scratch tables, which change no record and so keep the cache valid.
const scratchChanges = new WeakMap<ServiceContext, number>();

function totalChanges(app: ServiceContext): number {
  return (app.records.db.prepare("SELECT total_changes() AS n").get() as { n: number }).n;
}

const bucketCache = new WeakMap<
  ServiceContext,
  { changes: number; entries: Map<string, { bucket: string; n: number }[]> }
>();

/**
 * Buckets of one facet for one query, remembered until the database changes: paging through a
 * large result set asks for the same aggregations on every page, and over hundreds of thousands
 * of records they cost far more than the page itself.
 */
function cachedBuckets(
  app: ServiceContext,
  key: string,
  compute: () => { bucket: string; n: number }[],
): { bucket: string; n: number }[] {
  const changes = totalChanges(app) - (scratchChanges.get(app) ?? 0);
  let cache = bucketCache.get(app);
  if (cache?.changes !== changes) {
    cache = { changes, entries: new Map() };
    bucketCache.set(app, cache);
  }
  const hit = cache.entries.get(key);
  if (hit !== undefined) return hit;
  const rows = compute();
  if (cache.entries.size >= 200) cache.entries.clear();
  cache.entries.set(key, rows);
  return rows;
}

/**
 * Searches the records in SQLite for the search collections: published records (anyone) or the
 * caller's drafts and records (`/api/user/...`), filtered by `q` (query_string syntax) or a
 * structured query, with facet filters applied after the aggregations, sorted and paged within
 * the result window.
 */
export function listRecords(
  app: ServiceContext,
  ctx: RequestContext,
  query: ListingQuery,
): Listing {
  const db = app.records.db;
  const from = base(query, ctx.user?.id, false);
  const options = { drafts: query.personal };
  const compiled = [
    ...(query.params.q === undefined ? [] : [compileQueryString(query.params.q, options)]),
    ...(query.structured === undefined ? [] : [compileStructured(query.structured, options)]),
  ];
  const filters: SqlFragment[] = compiled.map(({ sql, params }) => ({ sql, params }));
  const ranked = compiled.flatMap((c) => c.fullText);
  const where = (extra: SqlFragment[]): SqlFragment => {
    const all = [...filters, ...extra];
    return {
      sql: all.length === 0 ? "1" : all.map((f) => `(${f.sql})`).join(" AND "),
      params: all.flatMap((f) => f.params),
    };
  };
  const names = facetNames(app, query.model, query.personal);
  const selected: [string, string][] = [];
  const postFilters: SqlFragment[] = [];
  for (const name of names) {
    const values = ctx.query.getAll(name).filter((v) => v !== "");
    if (values.length === 0) continue;
    for (const v of values) selected.push([name, v]);
    postFilters.push(facetFilter(name, values));
  }
  const aggregations: Record<string, Facet> = {};
  const pre = where([]);
  for (const name of names) {
    const chosen = new Set(selected.filter(([n]) => n === name).map(([, v]) => v));
    const key = `${name}\n${from.sql}\n${pre.sql}\n${JSON.stringify([...from.params, ...pre.params])}`;
    const rows = cachedBuckets(app, key, () =>
      name === "is_published"
        ? (db
            .prepare(
              `SELECT CASE items.kind WHEN 'record' THEN 'true' ELSE 'false' END AS bucket,
                 count(*) AS n FROM (${from.sql}) items WHERE ${pre.sql} GROUP BY bucket
               ORDER BY n DESC, bucket`,
            )
            .all(...from.params, ...pre.params) as { bucket: string; n: number }[])
        : keywordBuckets(app, query, name, from, pre),
    );
    aggregations[name] = {
      buckets: rows.map((r) => ({
        key: r.bucket,
        doc_count: r.n,
        label:
          name === "is_published" ? (r.bucket === "true" ? "Published" : "Unpublished") : r.bucket,
        is_selected: chosen.has(r.bucket),
      })),
      label: facetLabel(name),
    };
  }
  const full = where(postFilters);
  const total = (
    db
      .prepare(`SELECT count(*) AS n FROM (${from.sql}) items WHERE ${full.sql}`)
      .get(...from.params, ...full.params) as { n: number }
  ).n;
  const { page, size } = query.params;
  const offset = (page - 1) * size;
  const limit = Math.max(0, Math.min(page * size, MAX_RESULT_WINDOW) - offset);
  let order = ORDER[query.params.sort] ?? ORDER.newest ?? "";
  let rank: SqlFragment = { sql: "", params: [] };
  if (query.params.sort === "bestmatch" && ranked.length > 0) {
    // bm25 over the free text of the query (lower is better), newest first among equals.
    const match = ranked.map((m) => `(${m})`).join(" OR ");
    // Scores go to keyed temporary tables first: joining the FTS subqueries directly leaves
    // SQLite without an index and turns the join quadratic.
    const before = totalChanges(app);
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
    scratchChanges.set(app, (scratchChanges.get(app) ?? 0) + totalChanges(app) - before);
    rank = {
      sql: `LEFT JOIN temp.rank_records rr ON items.kind = 'record' AND rr.r = items.rid
            LEFT JOIN temp.rank_drafts dr ON items.kind = 'draft' AND dr.r = items.rid`,
      params: [],
    };
    order = `coalesce(rr.score, dr.score, 0) ASC, ${order}`;
  }
  const wide = base(query, ctx.user?.id, true);
  const rows = db
    .prepare(
      `SELECT items.* FROM (${wide.sql}) items ${rank.sql} WHERE ${full.sql}
       ORDER BY ${order} LIMIT ? OFFSET ?`,
    )
    .all(...wide.params, ...rank.params, ...full.params, limit, offset) as (ItemSql & {
    kind: ItemKind;
  })[];
  const models = recordModels(app);
  const hits: Record<string, unknown>[] = [];
  for (const row of rows) {
    const item = toItem(row);
    const model = models.find((m) => m.type === item.model);
    const parent = app.records.parent(item.parentId);
    if (model === undefined || parent === undefined) continue;
    hits.push(
      dumpRecord(
        { app, model, origin: ctx.origin, user: ctx.user },
        { kind: row.kind, item, parent },
        { hit: true },
      ),
    );
  }
  return { hits, total, aggregations, facets: selected };
}

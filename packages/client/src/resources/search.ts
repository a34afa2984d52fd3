// Record search (docs/protocol/search.md): a request builder, one page as NRPSearchResponse, paging
// through `links.next`, and a complete scan past the 10 000 window by splitting `created` ranges
// (docs/protocol/search.md#scan).

import type { SignalOptions } from "../core/options.js";
import { ErrorCodes, NRPError, NotFoundError } from "../core/errors.js";
import type { Json } from "../core/json.js";
import type { QueryValue } from "../core/query.js";
import { isObject } from "../internal/json.js";
import { flavourOf } from "../internal/flavour.js";
import { toQueryString } from "../internal/query-string.js";
import { parseMillis, planRanges, smallerScanPage, withRange } from "../internal/scan-plan.js";
import type { CreatedRange, Millis, PlannedRange } from "../internal/scan-plan.js";
import { NRPRecord } from "./records/record.js";
import { modelOf } from "./records/shared.js";
import type { RecordContext } from "./records/shared.js";
import { Page, hitsOf, totalOf } from "./page.js";

/**
 * Invenio's default result window: `(page - 1) * size` must stay below it
 * (docs/protocol/search.md#the-10000-window).
 */
export const SEARCH_WINDOW = 10_000;

/**
 * The page size scans ask for unless told otherwise: large pages mean few requests, and a server
 * that allows less says so (see {@link NRPSearchRequest.scan}).
 */
export const SCAN_PAGE_SIZE = 1000;

/**
 * Pages of one range a scan asks for before it has used the one before: one server request at a
 * time left the server idle while the client parsed each page and the client idle while the
 * server built the next.
 */
const SCAN_PAGES_IN_FLIGHT = 2;

/**
 * Maps an `orderBy` key to the server's sort option. Invenio sorts by named options, not
 * fields, so the signed forms of `created` and `updated` become `oldest`/`newest` and
 * `updated-asc`/`updated-desc`, and relevance becomes `bestmatch`. Any other key is sent as
 * given without a leading `+` (`+title` → `title`, `-title` → `-title`, `version` → `version`):
 * a server that knows such an option honours it, one that does not answers 400.
 */
export function sortOption(key: string): string {
  const k = key.trim();
  switch (k) {
    case "created":
    case "+created":
      return "oldest";
    case "-created":
      return "newest";
    case "updated":
    case "+updated":
      return "updated-asc";
    case "-updated":
      return "updated-desc";
    case "relevance":
    case "-relevance":
    case "_score":
    case "-_score":
      return "bestmatch";
    default:
      return k.startsWith("+") ? k.slice(1) : k;
  }
}

/**
 * Keeps only the given dotted paths of a record (plus `id`, `links` and `$schema`, which keep
 * the record identifiable and its model known).
 */
export function projectFields(data: Json, fields: readonly string[]): Json {
  const out: Json = {};
  const keep = ["id", "links", "$schema", ...fields];
  for (const path of keep) {
    const parts = path.split(".");
    let src: unknown = data;
    for (const part of parts) src = isObject(src) ? src[part] : undefined;
    if (src === undefined) continue;
    let dst = out;
    for (const part of parts.slice(0, -1)) {
      const next = dst[part];
      if (!isObject(next)) dst[part] = {};
      dst = dst[part] as Json;
    }
    const last = parts[parts.length - 1] ?? path;
    dst[last] = structuredClone(src);
  }
  return out;
}

/**
 * Which collection a search reads: published records, or the caller's drafts
 * (docs/protocol/search.md#endpoints).
 */
export type SearchStatus = "published" | "drafts";

/**
 * A structured query: an OpenSearch query object, rewritten as a query string (`q`) with the same
 * matches when the search runs (see {@link NRPSearchRequest.query}).
 */
export type StructuredQuery = Record<string, unknown>;

/** Everything a search request holds; {@link NRPSearchRequest} methods return changed copies. */
export interface SearchRequestState {
  /** Models searched; empty means all (the global endpoint). */
  models: readonly string[];
  /** Published records or the caller's drafts. */
  status: SearchStatus;
  /** The query string, unless a structured query is set. */
  q: string | undefined;
  /** The structured query as given; it is sent as its query string (`q`), never as a body. */
  body: StructuredQuery | undefined;
  /** Page number, when set. */
  page: number | undefined;
  /** Page size, when set. */
  size: number | undefined;
  /** Server sort options, already mapped from `orderBy` keys. */
  sort: readonly string[];
  /** Dotted paths kept in returned records; empty keeps everything. */
  fields: readonly string[];
  /** Facet filters as name/value pairs. */
  facets: readonly (readonly [string, string])[];
  /** Only records of this community: its slug or UUID, as given. */
  community: string | undefined;
}

/** Options of {@link NRPSearchRequest.execute} and {@link NRPSearchResponse.nextPage}: the `signal`. */
export type SearchExecuteOptions = SignalOptions;

/** Progress of a scan, reported after each page. */
export interface ScanProgress {
  /** Distinct records yielded so far. */
  seen: number;
  /** The matching total probed at the start; records created meanwhile may change it. */
  total: number;
}

/** Options of {@link NRPSearchRequest.scan}; aborting the `signal` stops the scan. */
export interface ScanOptions extends SignalOptions {
  /** Called after each page with the records yielded so far and the estimated total. */
  onProgress?: ((progress: ScanProgress) => void) | undefined;
  /**
   * The server's result window: a range with more hits than this is split.
   * @default 10000
   */
  window?: number | undefined;
  /**
   * Page size while paging through one range; lowered when the server refuses it or a page is
   * larger than `maxJsonSize` (see {@link NRPSearchRequest.scan}). @default 1000
   */
  pageSize?: number | undefined;
}

/** Options of {@link NRPInvenioClient.search}. */
export interface SearchOptions extends SearchExecuteOptions {
  /** A query string (`q`) or a structured query object. */
  query?: string | StructuredQuery | undefined;
  /** Search the caller's drafts instead of published records. */
  drafts?: boolean | undefined;
  page?: number | undefined;
  size?: number | undefined;
  /** Sort keys as for {@link NRPSearchRequest.orderBy}. */
  orderBy?: string | readonly string[] | undefined;
  /** Fields to keep, as for {@link NRPSearchRequest.fields}. */
  fields?: readonly string[] | undefined;
  /** Facet filters: each value, or each element of an array value, selects a bucket. */
  facets?: Readonly<Record<string, string | readonly string[]>> | undefined;
}

/** Where one search goes and with which parameters. */
interface ResolvedSearch {
  url: string;
  /** When set, hits of other models are dropped (several models through a global endpoint). */
  onlyModels: readonly string[] | undefined;
  /**
   * The JSON schema ids (`$schema`) of the models searched through a global endpoint: `q` is
   * narrowed to them, as oarepo-global-search itself tells models apart, so `total` counts only
   * their hits.
   */
  schemas: readonly string[] | undefined;
  /** The model of every hit, when the endpoint is one model's. */
  model: string | undefined;
  /** The UUID of the community the hits must belong to, when one is set. */
  communityId: string | undefined;
}

/**
 * One page of search results: an `Iterable` of {@link NRPRecord}s mapped to their models, with
 * the total, the links and the aggregations the server sent.
 */
export class NRPSearchResponse extends Page<NRPRecord> {
  readonly #request: NRPSearchRequest;
  readonly #body: Json;

  /**
   * Wraps a search response; use {@link NRPSearchRequest.execute}.
   *
   * @internal
   */
  constructor(request: NRPSearchRequest, body: Json, records: NRPRecord[]) {
    super(body, records);
    this.#request = request;
    this.#body = body;
  }

  /** The records on this page (the same as {@link Page.items}). */
  get records(): readonly NRPRecord[] {
    return this.items;
  }
  /**
   * How many records match across all pages (`hits.total`). Through a global endpoint searched
   * for some models, the query is narrowed to their `$schema`, so only their hits count.
   */
  override get total(): number {
    return super.total;
  }
  /** Facets as the server computed them (before facet filters): `{name: {buckets, label}}`. */
  get aggregations(): Readonly<Record<string, unknown>> {
    return isObject(this.#body.aggregations) ? this.#body.aggregations : {};
  }
  /** The sort option the server applied. */
  get sortBy(): string | undefined {
    return typeof this.#body.sortBy === "string" ? this.#body.sortBy : undefined;
  }
  /** The page number this response is. */
  get page(): number {
    return this.#request.state.page ?? 1;
  }
  /**
   * Whether {@link NRPSearchResponse.nextPage} can fetch a page: the server sent `links.next`
   * and that page starts inside the search window (past it the server answers 400; use
   * `scan()` instead).
   */
  get hasNextPage(): boolean {
    if (this.links.next === undefined) return false;
    const size = this.#request.state.size ?? this.#sizeFromLinks();
    return size === undefined || this.page * size < SEARCH_WINDOW;
  }
  #sizeFromLinks(): number | undefined {
    const self = this.links.self;
    if (self === undefined) return undefined;
    const size = Number(new URL(self).searchParams.get("size"));
    return Number.isInteger(size) && size > 0 ? size : undefined;
  }
  /** The next page with the same query, or `undefined` after the last one (or at the window). */
  async nextPage(options: SearchExecuteOptions = {}): Promise<NRPSearchResponse | undefined> {
    if (!this.hasNextPage) return undefined;
    return this.#request.page(this.page + 1).execute(options);
  }
}

/**
 * A record search being put together: each method returns a changed copy, so a request can be
 * reused as a template. Run it with {@link NRPSearchRequest.execute} (one page),
 * {@link NRPSearchRequest.pages} (page after page) or {@link NRPSearchRequest.scan} (every
 * matching record, past the 10 000 window).
 *
 * One model searches that model's endpoint (`links.records`, or `links.drafts` for drafts);
 * several or none search the repository's global endpoint (`/api/search/`, `/api/user/search/`).
 *
 * @example
 * const page = await client.searchRequest("documents").query("metadata.title:trees").size(50).execute();
 * for (const record of page) console.log(record.id, record.metadata.title);
 */
export class NRPSearchRequest {
  readonly #ctx: RecordContext;
  /** The request's parameters; read-only. */
  readonly state: Readonly<SearchRequestState>;

  /**
   * Built by {@link NRPInvenioClient.searchRequest}.
   *
   * @internal
   */
  constructor(ctx: RecordContext, models: readonly string[], state?: Partial<SearchRequestState>) {
    this.#ctx = ctx;
    this.state = {
      models,
      status: "published",
      q: undefined,
      body: undefined,
      page: undefined,
      size: undefined,
      sort: [],
      fields: [],
      facets: [],
      community: undefined,
      ...state,
    };
  }

  #with(change: Partial<SearchRequestState>): NRPSearchRequest {
    return new NRPSearchRequest(this.#ctx, this.state.models, { ...this.state, ...change });
  }

  /** The page to fetch, from 1. */
  page(n: number): NRPSearchRequest {
    positiveInteger("page", n);
    return this.#with({ page: n });
  }
  /** Records per page (the server's default is 25 when not set). */
  size(n: number): NRPSearchRequest {
    positiveInteger("size", n);
    return this.#with({ size: n });
  }
  /**
   * Sort keys, most significant first: `-created` (newest), `+created` (oldest), `-updated`,
   * `+updated`, `relevance`, a named option such as `bestmatch` or `version`, or another field
   * (`+title`, passed through; see {@link sortOption}). Invenio applies one sort option, so
   * put the one that matters first; each is sent as its own `sort` parameter.
   */
  orderBy(...keys: string[]): NRPSearchRequest {
    return this.#with({ sort: keys.map(sortOption) });
  }
  /**
   * Only these dotted paths (e.g. `metadata.title`) are kept in the returned records, plus
   * `id`, `links` and `$schema`. The projection is done here, since Invenio returns whole
   * records; do not `save()` a projected record.
   */
  fields(...paths: string[]): NRPSearchRequest {
    return this.#with({ fields: paths });
  }
  /**
   * A query string (`q`, OpenSearch `query_string` syntax), or a structured query object (an
   * OpenSearch query such as `{bool: {must: [...]}}`). An empty string clears the query.
   *
   * A structured query is rewritten as a query string with the same matches and sent as `q` on
   * a GET, like any other search, on NRP and InvenioRDM alike: `bool`, `term`, `terms`, `ids`,
   * `range`, `exists`, `match`, `match_phrase`, `prefix`, `wildcard`, `query_string`,
   * `match_all`, `match_none`. Any other part (`nested`, `geo_distance`, a `match` with
   * `fuzziness`, …) fails with an `UnsupportedQueryError` before a request is sent, on both
   * flavours. It is not sent as a search body instead: plain InvenioRDM has no search that takes
   * one (`POST /api/records` creates a draft), and NRP servers on oarepo 12/13 accept
   * `POST /api/search/` but ignore its body, answering with every record, unfiltered. No
   * repository advertises a search that honours a body.
   *
   * A malformed query string is a 400 on NRP, but InvenioRDM answers 200, searching its words as
   * plain text, which usually finds nothing: there an empty result may also mean a typo.
   */
  query(query: string | StructuredQuery): NRPSearchRequest {
    if (typeof query === "string") {
      return this.#with({ q: query.trim() === "" ? undefined : query, body: undefined });
    }
    // `{query: {...}}` (an OpenSearch request body) and the bare query mean the same.
    const keys = Object.keys(query);
    const inner = keys.length === 1 && keys[0] === "query" ? query.query : query;
    return this.#with({ q: undefined, body: isObject(inner) ? inner : query });
  }
  /** Search published records (the default). */
  published(): NRPSearchRequest {
    return this.#with({ status: "published" });
  }
  /**
   * Search the caller's drafts (`/api/user/...`). Unpublished drafts only (`is_published=false`,
   * as nrp-cmd does), unless an `is_published` facet is set explicitly. oarepo (NRP 12/13) has no
   * `is_published` facet: there `record_status=draft` is added too (unless a `record_status`
   * facet is set), which keeps every draft, edits of published records included.
   */
  drafts(): NRPSearchRequest {
    return this.#with({ status: "drafts" });
  }
  /**
   * Only records that belong to a community, given by its slug (`physics`) or UUID; an empty string
   * clears it.
   *
   * Works the same on NRP and InvenioRDM: a slug is resolved to the community's UUID with
   * `GET /api/communities/<slug>`, and the search adds `parent.communities.ids:"<uuid>"` to the
   * query string (a structured query is rewritten as one first), which both index. A slug the
   * repository does not know fails with code `NRP_UNKNOWN_COMMUNITY`.
   *
   * @example
   * const page = await client.searchRequest("datasets").community("physics").execute();
   */
  community(slugOrId: string): NRPSearchRequest {
    const value = slugOrId.trim();
    return this.#with({ community: value === "" ? undefined : value });
  }
  /** Adds a facet filter (`name=value`); several values of one name select any of them. */
  facet(name: string, value: string): NRPSearchRequest {
    return this.#with({ facets: [...this.state.facets, [name, value]] });
  }

  /** The query parameters of this request (without `q` overrides used by scans). */
  params(
    overrides: { q?: string | undefined; page?: number; size?: number; sort?: string } = {},
  ): Record<string, QueryValue> {
    const query: Record<string, QueryValue> = {};
    const q = "q" in overrides ? overrides.q : this.state.q;
    if (q !== undefined) query.q = q;
    const sort = overrides.sort === undefined ? this.state.sort : [overrides.sort];
    if (sort.length > 0) query.sort = sort;
    const page = overrides.page ?? this.state.page;
    if (page !== undefined) query.page = page;
    const size = overrides.size ?? this.state.size;
    if (size !== undefined) query.size = size;
    const facets = new Map<string, string[]>();
    for (const [name, value] of this.state.facets)
      facets.set(name, [...(facets.get(name) ?? []), value]);
    if (this.state.status === "drafts" && !facets.has("is_published")) {
      facets.set("is_published", ["false"]);
    }
    for (const [name, values] of facets) query[name] = values;
    return query;
  }

  /** The UUID of the community filter: as given when it is one, else looked up by slug. */
  async #communityId(signal: AbortSignal | undefined): Promise<string | undefined> {
    const wanted = this.state.community;
    if (wanted === undefined) return undefined;
    if (UUID.test(wanted)) return wanted.toLowerCase();
    const repo = await this.#ctx.info.repository({ signal });
    const url = `${repo.apiUrl}/communities/${encodeURIComponent(wanted)}`;
    let body: unknown;
    try {
      body = (await this.#ctx.http.getJSON(url, { signal })).body;
    } catch (err) {
      if (err instanceof NotFoundError) {
        throw new NRPError(`Unknown community "${wanted}": ${url} answered 404.`, {
          code: ErrorCodes.UnknownCommunity,
          cause: err,
        });
      }
      throw err;
    }
    const id = isObject(body) ? body.id : undefined;
    if (typeof id !== "string" || id === "") {
      throw new NRPError(`${url} did not return a community with an id.`, {
        code: ErrorCodes.InvalidResponse,
      });
    }
    return id;
  }

  async #resolve(signal: AbortSignal | undefined): Promise<ResolvedSearch> {
    const communityId = await this.#communityId(signal);
    return { ...(await this.#endpoint(signal)), communityId };
  }

  async #endpoint(signal: AbortSignal | undefined): Promise<Omit<ResolvedSearch, "communityId">> {
    const { models, status } = this.state;
    const drafts = status === "drafts";
    const only = models.length === 1 ? models[0] : undefined;
    if (only !== undefined) {
      const info = await this.#ctx.info.getModel(only, { signal });
      const url = drafts ? info.userUrl : info.url;
      if (url === undefined || url === "") {
        throw new NRPError(`Model ${only} has no ${drafts ? "drafts" : "records"} endpoint.`, {
          code: ErrorCodes.NoSearchEndpoint,
        });
      }
      return { url, onlyModels: undefined, schemas: undefined, model: only };
    }
    // Every model must name its schema, or the filter would drop the hits of one that does not.
    let schemas: string[] | undefined = models.length > 0 ? [] : undefined;
    for (const m of models) {
      const known = (await this.#ctx.info.getModel(m, { signal })).schemas;
      schemas = known.length > 0 ? schemas?.concat(known) : undefined;
    }
    const repo = await this.#ctx.info.repository({ signal });
    const links = repo.links;
    const url = drafts ? (links.drafts ?? `${repo.apiUrl}/user/search/`) : links.records;
    return {
      url: url ?? `${repo.apiUrl}/search/`,
      onlyModels: models.length > 0 ? models : undefined,
      schemas,
      model: undefined,
    };
  }

  /** Sends one search request and returns the raw body. */
  async #fetch(
    resolved: ResolvedSearch,
    query: Record<string, QueryValue>,
    signal: AbortSignal | undefined,
  ): Promise<Json> {
    if (resolved.communityId !== undefined) query = withCommunity(query, resolved.communityId);
    if (resolved.schemas !== undefined) query = withSchemas(query, resolved.schemas);
    const res = await this.#ctx.http.getJSON(resolved.url, { query, signal });
    if (!isObject(res.body)) {
      throw new NRPError(`${resolved.url} did not return a search response.`, {
        code: ErrorCodes.InvalidResponse,
      });
    }
    return res.body;
  }

  async #records(
    resolved: ResolvedSearch,
    body: Json,
    signal: AbortSignal | undefined,
  ): Promise<NRPRecord[]> {
    const out: NRPRecord[] = [];
    // Through a global endpoint every hit's model is read from its links: hits whose links differ
    // only by their id (and with the same `$schema`) belong to the same model, found once a page.
    const models = new Map<string, string>();
    for (const hit of hitsOf(body)) {
      const self = isObject(hit.links) && typeof hit.links.self === "string" ? hit.links.self : "";
      let model = resolved.model;
      if (model === undefined) {
        const id = typeof hit.id === "string" && hit.id !== "" ? hit.id : undefined;
        const shape =
          id === undefined || !self.includes(`/${id}`)
            ? undefined
            : `${self.replace(`/${id}`, "/")}\n${String(hit.$schema)}`;
        model = shape === undefined ? undefined : models.get(shape);
        if (model === undefined) {
          model = await modelOf(this.#ctx, self, hit, signal);
          if (shape !== undefined) models.set(shape, model);
        }
      }
      if (resolved.onlyModels !== undefined && !resolved.onlyModels.includes(model)) continue;
      const data = this.state.fields.length > 0 ? projectFields(hit, this.state.fields) : hit;
      out.push(new NRPRecord(this.#ctx, data, undefined, model));
    }
    return out;
  }

  /**
   * This request as it is sent: a structured query rewritten as its query string (see
   * {@link NRPSearchRequest.query} for why never as a body), and a drafts search with the
   * flavour's drafts facets. Throws `UnsupportedQueryError` before anything is sent (discovery
   * included) when a part of the query has no query-string form.
   */
  async #forRepository(signal: AbortSignal | undefined): Promise<NRPSearchRequest> {
    const rewritten = this.#asQueryString();
    const state = rewritten.state;
    if (state.status !== "drafts" || state.facets.some(([name]) => name === "is_published")) {
      return rewritten;
    }
    const rules = flavourOf(await this.#ctx.info.repository({ signal }));
    const extra = rules.draftsFacets.filter(([name]) => !state.facets.some(([n]) => n === name));
    if (extra.length === 0) return rewritten;
    return new NRPSearchRequest(this.#ctx, state.models, {
      ...state,
      facets: [...state.facets, ...extra],
    });
  }

  /** This request with a structured query rewritten as its query string. */
  #asQueryString(): NRPSearchRequest {
    const body = this.state.body;
    if (body === undefined) return this;
    return new NRPSearchRequest(this.#ctx, this.state.models, {
      ...this.state,
      q: toQueryString(body),
      body: undefined,
    });
  }

  /** Fetches one page (the one set by {@link NRPSearchRequest.page}, else the first). */
  async execute(options: SearchExecuteOptions = {}): Promise<NRPSearchResponse> {
    const target = await this.#forRepository(options.signal);
    const resolved = await target.#resolve(options.signal);
    const body = await target.#fetch(resolved, target.params(), options.signal);
    return new NRPSearchResponse(this, body, await target.#records(resolved, body, options.signal));
  }

  /**
   * This page and each following one, fetched as the loop asks for them; stops after the last
   * page or at the end of the search window (use {@link NRPSearchRequest.scan} to go past it).
   */
  async *pages(options: SearchExecuteOptions = {}): AsyncGenerator<NRPSearchResponse> {
    let page: NRPSearchResponse | undefined = await this.execute(options);
    while (page !== undefined) {
      yield page;
      if (page.length === 0) return;
      page = await page.nextPage(options);
    }
  }

  /**
   * Every matching record exactly once, however many there are.
   *
   * It probes the total (`size=1`). Within the window it pages through the results sorted
   * oldest first. Past it, it finds the oldest and newest `created` and splits that span into
   * half-open `created` ranges of whole milliseconds (the precision the search index keeps),
   * each cut to hold about three quarters of the window when the hits are spread evenly and cut
   * again while its count does not fit, and pages through each range in turn. Records are
   * deduplicated by id, so a record that moves between pages while the scan runs is still yielded
   * once. Leaving the loop early stops all requests. Several models are scanned one model
   * endpoint after another.
   *
   * Pages are large (`pageSize`, 1000 by default) and the next one is requested while the
   * current one is yielded, so the server prepares it meanwhile. A server that limits page sizes
   * answers 400 on `size` (Zenodo allows 25 anonymously and 100 with a token): the scan then
   * continues with the limit the message names, or else 100, then 25. A page larger than the
   * client's `maxJsonSize` is asked for again in halves.
   *
   * More records than the window created in one millisecond are split by id prefix. Fails with
   * code `NRP_SCAN_CLUSTER_TOO_LARGE` when the prefixes cannot cover them, since such a set
   * cannot be read completely by paging.
   *
   * @example
   * for await (const record of client.searchRequest("documents").query("trees").scan()) {
   *   console.log(record.id);
   * }
   */
  async *scan<M extends object = Json>(options: ScanOptions = {}): AsyncGenerator<NRPRecord<M>> {
    const window = options.window ?? SEARCH_WINDOW;
    positiveInteger("window", window);
    positiveInteger("pageSize", options.pageSize ?? SCAN_PAGE_SIZE);
    // Stops the page fetched ahead when the loop is left early.
    const stop = new AbortController();
    const signal =
      options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]);
    const self = await this.#forRepository(signal);
    const targets: NRPSearchRequest[] =
      self.state.models.length > 1
        ? self.state.models.map(
            (m) => new NRPSearchRequest(self.#ctx, [m], { ...self.state, models: [m] }),
          )
        : [self];
    const seen = new Set<string>();
    const progress = { seen: 0, total: 0 };
    const plans: ScanTarget[] = [];
    for (const target of targets) {
      const resolved = await target.#resolve(signal);
      const total = totalOf(await target.#probe(resolved, target.state.q, undefined, signal));
      plans.push({ target, resolved, total });
      progress.total += total;
    }
    const pages = readAhead(
      NRPSearchRequest.#scanPages(plans, window, options.pageSize ?? SCAN_PAGE_SIZE, signal),
    );
    try {
      for await (const records of pages) {
        for (const record of records) {
          const key = `${record.model}/${record.id}`;
          if (seen.has(key)) continue;
          seen.add(key);
          progress.seen++;
          yield record as NRPRecord<M>;
        }
        options.onProgress?.({ ...progress });
      }
    } finally {
      stop.abort(new NRPError("The scan was stopped.", { code: ErrorCodes.Aborted }));
      await pages.return(undefined).catch(() => undefined);
    }
  }

  /** The records of every page of a scan, page after page, range after range. */
  static async *#scanPages(
    plans: readonly ScanTarget[],
    window: number,
    pageSize: number,
    signal: AbortSignal,
  ): AsyncGenerator<NRPRecord[]> {
    let size = Math.min(pageSize, window);
    // `offset` is always a multiple of `size`, so the page number is exact. A page comes with
    // the size it was asked for at.
    const read = async (
      target: NRPSearchRequest,
      resolved: ResolvedSearch,
      q: string | undefined,
      offset: number,
    ): Promise<{ body: Json; size: number }> => {
      for (;;) {
        const asked = size;
        const query = target.params({ q, page: offset / asked + 1, size: asked, sort: "oldest" });
        try {
          return { body: await target.#fetch(resolved, query, signal), size: asked };
        } catch (error) {
          const smaller = smallerScanPage(error, size, offset);
          if (smaller === undefined) throw error;
          size = smaller;
        }
      }
    };
    for (const { target, resolved, total } of plans) {
      const ranges =
        total <= window ? single(total) : await target.#ranges(resolved, window, total, signal);
      const queryOf = (range: PlannedRange | undefined): string | undefined =>
        range === undefined ? target.state.q : withRange(target.state.q, range, range.idPrefix);
      // The next range is planned (its count asked) while this one's pages are read.
      const planned = readAhead(ranges);
      try {
        let step = await planned.next();
        /** The next range's first page, asked for as soon as this range's last one was. */
        let first: Promise<{ body: Json; size: number } | undefined> | undefined;
        while (step.done !== true) {
          const q = queryOf(step.value);
          // The first page alone (it settles the page size a server allows and the range's
          // total), then the later pages SCAN_PAGES_IN_FLIGHT at a time, used in order: the server
          // prepares the next pages while this process parses and hands out the current one.
          const early = first === undefined ? undefined : await first;
          // A first page asked for at a page size given up since is asked for again.
          let raw =
            early !== undefined && early.size === size
              ? early.body
              : (await read(target, resolved, q, 0)).body;
          first = undefined;
          let upcoming: Promise<IteratorResult<PlannedRange | undefined>> | undefined;
          const pending: Promise<{ body: Json }>[] = [];
          let requested = size;
          for (;;) {
            const end = Math.min(window, totalOf(raw));
            const full = hitsOf(raw).length === size;
            while (full && pending.length < SCAN_PAGES_IN_FLIGHT && requested < end) {
              const page = read(target, resolved, q, requested);
              // A page still in flight when the scan stops is aborted; its rejection is not news.
              page.catch(() => undefined);
              pending.push(page);
              requested += size;
            }
            if (upcoming === undefined && (!full || requested >= end)) {
              // Every page of this range is asked for: the next range's first page goes next,
              // so that the server does not wait for this process between ranges.
              upcoming = planned.next();
              first = upcoming.then((next) =>
                next.done === true ? undefined : read(target, resolved, queryOf(next.value), 0),
              );
              first.catch(() => undefined);
            }
            yield await target.#records(resolved, raw, signal);
            const next = hitsOf(raw).length < size ? undefined : pending.shift();
            if (next === undefined) break;
            raw = (await next).body;
          }
          step = await (upcoming ?? planned.next());
        }
      } finally {
        await planned.return(undefined);
      }
    }
  }

  async #probe(
    resolved: ResolvedSearch,
    q: string | undefined,
    sort: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Json> {
    const query = this.params({ q, page: 1, size: 1, ...(sort === undefined ? {} : { sort }) });
    return this.#fetch(resolved, query, signal);
  }

  async #ranges(
    resolved: ResolvedSearch,
    window: number,
    total: number,
    signal: AbortSignal | undefined,
  ): Promise<AsyncGenerator<PlannedRange | undefined>> {
    const edge = async (sort: string): Promise<Millis> => {
      const hit = hitsOf(await this.#probe(resolved, this.state.q, sort, signal))[0];
      const created = typeof hit?.created === "string" ? parseMillis(hit.created) : undefined;
      if (created === undefined) {
        throw new NRPError(`Cannot scan: a hit has no readable "created" timestamp.`, {
          code: ErrorCodes.InvalidResponse,
        });
      }
      return created;
    };
    const first = await edge("oldest");
    const last = await edge("newest");
    const count = async (range: CreatedRange, idPrefix?: string): Promise<number> =>
      totalOf(
        await this.#probe(resolved, withRange(this.state.q, range, idPrefix), "oldest", signal),
      );
    return planRanges(first, last, window, count, total);
  }
}

/** A community UUID, which needs no lookup (RDM and oarepo community ids are UUIDs). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `q` with a clause ANDed to it, or the clause alone when there is no query. */
function andClause(query: Record<string, QueryValue>, clause: string): Record<string, QueryValue> {
  const q =
    typeof query.q === "string" && query.q.trim() !== "" ? `(${query.q}) AND ${clause}` : clause;
  return { ...query, q };
}

/**
 * Narrows a search to one community's records: a `parent.communities.ids` clause ANDed to `q`.
 * RDM's own community search filters on that field.
 */
export function withCommunity(
  query: Record<string, QueryValue>,
  communityId: string,
): Record<string, QueryValue> {
  return andClause(query, `parent.communities.ids:"${communityId}"`);
}

/**
 * Narrows a global search to some models by their JSON schema ids, the way oarepo-global-search
 * combines its models (a `$schema` term per model): a `$schema` clause ANDed to `q`. Without it
 * the global endpoint counts every model's hits.
 */
export function withSchemas(
  query: Record<string, QueryValue>,
  schemas: readonly string[],
): Record<string, QueryValue> {
  const values = schemas.map((s) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`);
  return andClause(query, `$schema:(${values.join(" OR ")})`);
}

/** One search a scan reads: its request, where it goes, and the total probed first. */
interface ScanTarget {
  target: NRPSearchRequest;
  resolved: ResolvedSearch;
  total: number;
}

/**
 * Iterates `source` one step ahead: the next item is asked for as soon as one is handed out, so
 * a page is fetched while the one before is being used. The caller stops the pending step (its
 * signal) before calling `return()`.
 */
async function* readAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let next = source.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done === true) return;
      next = source.next();
      // A step still pending when the loop is left is aborted; its rejection is not news.
      next.catch(() => undefined);
      yield current.value;
    }
  } finally {
    await next.catch(() => undefined);
    await source.return(undefined);
  }
}

/** One pass over the whole query, as the range iterable of a scan that fits the window. */
async function* single(total: number): AsyncGenerator<undefined> {
  if (total > 0) yield undefined;
  await Promise.resolve();
}

function positiveInteger(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new NRPError(`${name} must be a positive integer, got ${String(n)}.`, {
      code: ErrorCodes.InvalidInput,
    });
  }
}

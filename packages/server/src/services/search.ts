import { requireUser, type RequestContext } from "../http/context.js";
import { HttpError, validationError, type FieldError } from "../http/errors.js";
import { readJsonBody } from "../http/body.js";
import { JSON_TYPE, UI_JSON_TYPE, negotiate } from "../http/negotiate.js";
import { sendJson } from "../http/respond.js";
import { listRecords } from "./listing.js";
import type { Service, ServiceContext } from "./service.js";

/**
 * Sort options of the NRP flavour: invenio-records-resources' three (protocol §5.2) plus the
 * `updated` and `version` orders RDM names, which oarepo models configure too.
 */
export const BASE_SORT_OPTIONS = [
  "bestmatch",
  "newest",
  "oldest",
  "updated-desc",
  "updated-asc",
  "version",
] as const;

/** InvenioRDM's additional sort options (protocol §5.2). */
export const RDM_SORT_OPTIONS = [
  ...BASE_SORT_OPTIONS,
  "version",
  "updated-desc",
  "updated-asc",
  "mostviewed",
  "mostdownloaded",
] as const;

/** Results per page when `size` is not given (IRR's `default_results_per_page`). */
export const DEFAULT_PAGE_SIZE = 25;

/** The search engine's result window: no hit past it can be paged to (protocol §5.4). */
export const MAX_RESULT_WINDOW = 10_000;

/** Validated search parameters. */
export interface SearchParams {
  q: string | undefined;
  page: number;
  size: number;
  /** The effective sort option (`bestmatch` only with a query, protocol §5.2). */
  sort: string;
}

function positiveInt(
  query: URLSearchParams,
  name: string,
  fallback: number,
  errors: FieldError[],
): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!/^\s*\d+\s*$/.test(raw)) {
    errors.push({ field: name, messages: ["Not a valid integer."] });
    return fallback;
  }
  const value = Number(raw);
  if (value < 1) errors.push({ field: name, messages: ["Must be greater than or equal to 1."] });
  return value;
}

/**
 * Parses `q`, `page`, `size` and `sort` as invenio-records-resources does, with the same errors;
 * unknown parameters (facets that aren't configured) are ignored, as Invenio ignores them.
 */
export function parseSearchParams(
  query: URLSearchParams,
  sortOptions: readonly string[],
  defaults: { query: string; noQuery: string } = { query: "bestmatch", noQuery: "newest" },
): SearchParams {
  const errors: FieldError[] = [];
  const page = positiveInt(query, "page", 1, errors);
  const size = positiveInt(query, "size", DEFAULT_PAGE_SIZE, errors);
  const q = query.get("q") ?? undefined;
  const requested = query.get("sort") ?? undefined;
  if (requested !== undefined && !sortOptions.includes(requested)) {
    errors.push({ field: "_schema", messages: [`Invalid sort option '${requested}'.`] });
  }
  if (errors.length > 0) throw validationError(errors);
  if ((page - 1) * size >= MAX_RESULT_WINDOW) {
    throw new HttpError(400, "Invalid querystring parameters.");
  }
  const hasQuery = q !== undefined && q.trim() !== "";
  let sort = requested ?? (hasQuery ? defaults.query : defaults.noQuery);
  if (sort === "bestmatch" && !hasQuery) sort = defaults.noQuery;
  return { q: hasQuery ? q : undefined, page, size, sort };
}

function queryString(params: SearchParams, page: number, facets: [string, string][]): string {
  const parts = new URLSearchParams();
  for (const [name, value] of facets) parts.append(name, value);
  parts.set("page", String(page));
  if (params.q !== undefined) parts.set("q", params.q);
  parts.set("size", String(params.size));
  parts.set("sort", params.sort);
  return parts.toString();
}

/**
 * A search response in Invenio's shape (protocol §5.3): `hits`, integer `total`, `sortBy`,
 * `aggregations` and pagination links (`next` computed against `total`, as Invenio does).
 */
export function searchResponse(
  base: string,
  htmlBase: string | undefined,
  params: SearchParams,
  hits: unknown[],
  total: number,
  aggregations: Record<string, unknown> = {},
  facets: [string, string][] = [],
  envelope: "rdm" | "nrp" = "nrp",
): Record<string, unknown> {
  const links: Record<string, string> = {};
  const pages: [string, number][] = [["self", params.page]];
  if (params.page > 1) pages.push(["prev", params.page - 1]);
  if (params.page * params.size < total) pages.push(["next", params.page + 1]);
  for (const [name, page] of pages) {
    const qs = queryString(params, page, facets);
    links[name] = `${base}?${qs}`;
    if (htmlBase !== undefined) links[`${name}_html`] = `${htmlBase}?${qs}`;
  }
  if (envelope === "rdm") {
    return {
      hits: { hits, total },
      ...(Object.keys(aggregations).length === 0 ? {} : { aggregations }),
      sortBy: params.sort,
      page: params.page,
      links,
    };
  }
  return { hits: { hits, total }, aggregations, sortBy: params.sort, links };
}

/** The query of a POST body: `{"query": {...}}`, or the query object itself; `{}` is none. */
function structuredQuery(body: unknown): unknown {
  if (typeof body !== "object" || body === null) return undefined;
  const record = body as Record<string, unknown>;
  if ("query" in record) return record.query;
  return Object.keys(record).length === 0 ? undefined : body;
}

interface Collection {
  /** Route path. */
  path: string;
  /** UI counterpart for `*_html` links (oarepo only). */
  htmlPath: string | undefined;
  /** The caller's own records: anonymous callers get 403. */
  personal: boolean;
  /** Also answers POST with a JSON body (oarepo-global-search's advanced query). */
  post: boolean;
  /** The model whose records it lists; every model's when undefined. */
  model: string | undefined;
}

function collections(app: ServiceContext): Collection[] {
  if (app.flavour === "rdm") {
    return [
      {
        path: "/api/records",
        htmlPath: undefined,
        personal: false,
        post: false,
        model: "records",
      },
      {
        path: "/api/user/records",
        htmlPath: undefined,
        personal: true,
        post: false,
        model: "records",
      },
    ];
  }
  const list: Collection[] = [
    { path: "/api/search/", htmlPath: "/search/", personal: false, post: true, model: undefined },
    {
      path: "/api/user/search/",
      htmlPath: "/user/search/",
      personal: true,
      post: true,
      model: undefined,
    },
  ];
  for (const model of app.config.models) {
    list.push({
      path: `/api/${model.type}/`,
      htmlPath: `/${model.type}/`,
      personal: false,
      post: false,
      model: model.type,
    });
    if (model.features.includes("drafts")) {
      list.push({
        path: `/api/user/${model.type}/`,
        htmlPath: `/user/${model.type}/`,
        personal: true,
        post: false,
        model: model.type,
      });
    }
  }
  return list;
}

/**
 * The search collections that discovery links to; `listRecords` supplies their hits.
 */
export const searchService: Service = (router, app) => {
  const sortOptions = app.flavour === "rdm" ? RDM_SORT_OPTIONS : BASE_SORT_OPTIONS;
  for (const collection of collections(app)) {
    const handler = async (ctx: RequestContext): Promise<void> => {
      const contentType = negotiate(ctx.req.headers.accept, [JSON_TYPE, UI_JSON_TYPE]);
      const body: unknown = ctx.method === "POST" ? await readJsonBody(ctx.req) : undefined;
      if (collection.personal) requireUser(ctx);
      // RDM's user records search lists the last changed first (`sort_default_no_query`).
      const params = parseSearchParams(
        ctx.query,
        sortOptions,
        app.flavour === "rdm" && collection.personal
          ? { query: "bestmatch", noQuery: "updated-desc" }
          : undefined,
      );
      const html =
        collection.htmlPath === undefined ? undefined : `${ctx.origin}${collection.htmlPath}`;
      const { hits, total, aggregations, facets } = listRecords(app, ctx, {
        model: collection.model,
        personal: collection.personal,
        params,
        ...(structuredQuery(body) === undefined ? {} : { structured: structuredQuery(body) }),
      });
      sendJson(
        ctx.res,
        200,
        searchResponse(
          `${ctx.origin}${collection.path}`,
          html,
          params,
          hits,
          total,
          aggregations,
          facets,
          app.traits.searchEnvelope,
        ),
        {},
        contentType,
      );
    };
    router.on(collection.post ? ["GET", "POST"] : "GET", collection.path, handler);
  }
};

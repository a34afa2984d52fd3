import { HttpError, validationError, type FieldError } from "../http/errors.js";
import { MAX_RESULT_WINDOW } from "../store/search.js";

/**
 * Sort options of the NRP flavour: invenio-records-resources' three
 * (docs/protocol/search.md#parameters) plus the `updated` and `version` orders RDM names, which
 * oarepo models configure too.
 */
export const BASE_SORT_OPTIONS = [
  "bestmatch",
  "newest",
  "oldest",
  "updated-desc",
  "updated-asc",
  "version",
] as const;

/** InvenioRDM's additional sort options (docs/protocol/search.md#parameters). */
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

export { MAX_RESULT_WINDOW };

/** Validated search parameters. */
export interface SearchParams {
  q: string | undefined;
  page: number;
  size: number;
  /**
   * The effective sort option (`bestmatch` only with a query, docs/protocol/search.md#parameters).
   */
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
 * Refuses a `size` above `max` as invenio-records-resources' `SearchRequestArgsSchema` does when
 * a repository sets `max_page_size`: 400 on `size`, before the pagination is looked at.
 */
export function checkPageSize(query: URLSearchParams, max: number | undefined): void {
  const raw = query.get("size");
  if (max === undefined || raw === null || !/^\s*\d+\s*$/.test(raw) || Number(raw) <= max) return;
  throw validationError([
    { field: "size", messages: [`Page size cannot be greater than ${String(max)}.`] },
  ]);
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
 * A search response in Invenio's shape (docs/protocol/search.md#response): `hits`, integer `total`,
 * `sortBy`, `aggregations` and pagination links (`next` computed against `total`, as Invenio does).
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

import { requireUser, type RequestContext } from "../http/context.js";
import { readJsonBody } from "../http/body.js";
import { JSON_TYPE, UI_JSON_TYPE, negotiate } from "../http/negotiate.js";
import { sendJson } from "../http/respond.js";
import { listRecords } from "./listing.js";
import {
  BASE_SORT_OPTIONS,
  checkPageSize,
  parseSearchParams,
  RDM_SORT_OPTIONS,
  searchResponse,
} from "./search-params.js";
import type { Service, ServiceContext } from "./service.js";

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
      checkPageSize(ctx.query, app.traits.maxPageSize);
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

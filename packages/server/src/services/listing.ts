import type { RequestContext } from "../http/context.js";
import type { ItemKind, ItemRow } from "../store/records.js";
import { dumpRecord, recordModels } from "./records/serialize.js";
import type { SearchParams } from "./search.js";
import type { ServiceContext } from "./service.js";

/** Which records a search collection lists. */
export interface ListingQuery {
  /** One model's records, or every model's (`/api/search/`, `/api/user/search/`). */
  model: string | undefined;
  /** The caller's own drafts and records instead of everyone's published records. */
  personal: boolean;
  params: SearchParams;
}

/** One page of hits and the total they were cut from. */
export interface Listing {
  hits: Record<string, unknown>[];
  total: number;
}

function matches(item: ItemRow, q: string | undefined): boolean {
  if (q === undefined) return true;
  const idQuery = /^id:"?([^"\s]+)"?$/.exec(q.trim());
  if (idQuery !== null) return item.id === idQuery[1];
  return JSON.stringify(item.data).toLowerCase().includes(q.trim().toLowerCase());
}

/**
 * Lists records for the search collections: published records (anyone) or the caller's drafts
 * and records (`/api/user/...`), filtered by a plain `q` (`id:<id>` or a substring of the
 * metadata) and `is_published`, newest or oldest first, one page at a time. A deliberately
 * small stand-in: a real query language and facets replace this function, not its callers.
 */
export function listRecords(
  app: ServiceContext,
  ctx: RequestContext,
  query: ListingQuery,
): Listing {
  let rows: { kind: ItemKind; item: ItemRow }[];
  if (query.personal) {
    const user = ctx.user;
    rows = user === undefined ? [] : app.records.owned(user.id, query.model);
  } else {
    rows = app.records.published(query.model).map((item) => ({ kind: "record", item }));
  }
  const isPublished = ctx.query.get("is_published");
  if (isPublished === "true" || isPublished === "false") {
    const wanted = isPublished === "true";
    rows = rows.filter((row) => (row.kind === "record") === wanted);
  }
  rows = rows.filter((row) => matches(row.item, query.params.q));
  if (query.params.sort === "oldest") rows.reverse();
  const { page, size } = query.params;
  const models = recordModels(app);
  const hits: Record<string, unknown>[] = [];
  for (const { kind, item } of rows.slice((page - 1) * size, page * size)) {
    const model = models.find((m) => m.type === item.model);
    const parent = app.records.parent(item.parentId);
    if (model === undefined || parent === undefined) continue;
    hits.push(
      dumpRecord(
        { app, model, origin: ctx.origin, user: ctx.user },
        { kind, item, parent },
        { hit: true },
      ),
    );
  }
  return { hits, total: rows.length };
}

import type { ResolvedVocabulary } from "../config/types.js";
import { param, type RequestContext } from "../http/context.js";
import { HttpError } from "../http/errors.js";
import { JSON_TYPE, UI_JSON_TYPE, negotiate } from "../http/negotiate.js";
import { sendJson } from "../http/respond.js";
import { timestamp } from "../store/records.js";
import { parseSearchParams, searchResponse } from "./search-params.js";
import type { Service, ServiceContext } from "./service.js";

/** invenio-vocabularies' sort options (`title` when there is no query). */
const SORT_OPTIONS = ["bestmatch", "title", "newest", "oldest"] as const;

/** The text an entry is found by: every string in it, lower-cased. */
function haystack(value: unknown): string {
  if (typeof value === "string") return value.toLowerCase();
  if (Array.isArray(value)) return value.map(haystack).join(" ");
  if (typeof value === "object" && value !== null) {
    return Object.values(value).map(haystack).join(" ");
  }
  return "";
}

/** What an entry sorts by under `title`: its English title, name or subject, else its id. */
function sortKey(entry: Record<string, unknown>): string {
  const title = entry.title;
  if (typeof title === "object" && title !== null && "en" in title) {
    const en = (title as Record<string, unknown>).en;
    if (typeof en === "string") return en.toLowerCase();
  }
  for (const key of ["name", "subject"]) {
    const v = entry[key];
    if (typeof v === "string") return v.toLowerCase();
  }
  return String(entry.id).toLowerCase();
}

/**
 * One vocabulary's search and read as invenio-vocabularies serves them, at `base` (public, like
 * the real ones): `q` and `suggest` match words anywhere in an entry, `page`/`size`/`sort` page
 * through them, and each hit is the entry with `created`, `updated`, `revision_id` and
 * `links.self` (generic vocabularies also name their `type`).
 */
class Vocabulary {
  private readonly entries: Record<string, unknown>[];

  constructor(
    private readonly vocabulary: ResolvedVocabulary,
    private readonly path: string,
    created: string,
  ) {
    this.entries = vocabulary.entries.map((e) => ({
      ...e,
      ...(vocabulary.special ? {} : { type: vocabulary.type }),
      created,
      updated: created,
      revision_id: 1,
    }));
  }

  private dump(origin: string, entry: Record<string, unknown>): Record<string, unknown> {
    const self = `${origin}${this.path}/${encodeURIComponent(String(entry.id))}`;
    return { ...entry, links: { self } };
  }

  search(ctx: RequestContext): void {
    const params = parseSearchParams(ctx.query, SORT_OPTIONS, {
      query: "bestmatch",
      noQuery: "title",
    });
    const words = `${params.q ?? ""} ${ctx.query.get("suggest") ?? ""}`
      .toLowerCase()
      .split(/\s+/)
      .map((w) => w.replace(/[*"]/g, ""))
      .filter((w) => w !== "");
    let found = this.entries.filter((e) => {
      const text = haystack(e);
      return words.every((w) => text.includes(w));
    });
    if (params.sort === "title" || params.sort === "bestmatch") {
      found = [...found].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
    }
    const hits = found
      .slice((params.page - 1) * params.size, params.page * params.size)
      .map((e) => this.dump(ctx.origin, e));
    const contentType = negotiate(ctx.req.headers.accept, [JSON_TYPE, UI_JSON_TYPE]);
    const body = searchResponse(`${ctx.origin}${this.path}`, undefined, params, hits, found.length);
    sendJson(ctx.res, 200, body, {}, contentType);
  }

  read(ctx: RequestContext): void {
    const id = param(ctx, "id");
    const entry = this.entries.find((e) => e.id === id);
    if (entry === undefined) {
      throw new HttpError(404, "The persistent identifier does not exist.");
    }
    const contentType = negotiate(ctx.req.headers.accept, [JSON_TYPE, UI_JSON_TYPE]);
    sendJson(ctx.res, 200, this.dump(ctx.origin, entry), { ETag: '"1"' }, contentType);
  }

  register(router: Parameters<Service>[0]): void {
    for (const path of [this.path, `${this.path}/`]) {
      router.on("GET", path, (ctx) => {
        this.search(ctx);
      });
    }
    router.on("GET", `${this.path}/:id`, (ctx) => {
      this.read(ctx);
    });
  }
}

/**
 * The configured vocabularies (`nrp` flavour): RDM's own services at `/api/<type>` with their
 * writable `<type>-vocab` forms, generic ones at `/api/vocabularies/<type>`; listed in discovery.
 */
export const vocabulariesService: Service = (router, app: ServiceContext) => {
  const created = app.store.getMeta("created") ?? timestamp();
  for (const v of app.config.vocabularies) {
    const paths = v.special
      ? [`/api/${v.type}`, `/api/vocabularies/${v.type}-vocab`]
      : [`/api/vocabularies/${v.type}`];
    for (const path of paths) new Vocabulary(v, path, created).register(router);
  }
};

import type { ResolvedModel } from "../../config/types.js";
import { param, type RequestContext } from "../../http/context.js";
import { HttpError } from "../../http/errors.js";
import { sendJson } from "../../http/respond.js";
import type { Router } from "../../http/router.js";
import { timestamp } from "../../store/records.js";
import { parseSearchParams, searchResponse } from "../search-params.js";
import type { Service, ServiceContext } from "../service.js";
import { apiPrefix, recordModels } from "./serialize.js";
import { hasFiles, RDM_REMOVAL_REASONS, Records } from "./service.js";

/** The collection paths of a model: where drafts are created. */
function createPath(app: ServiceContext, model: ResolvedModel): string {
  return app.flavour === "rdm" ? apiPrefix(model) : `${apiPrefix(model)}/`;
}

function registerModel(router: Router, app: ServiceContext, model: ResolvedModel): void {
  const r = new Records(app, model);
  const item = `${apiPrefix(model)}/:id`;
  router.on("POST", createPath(app, model), (ctx) => r.create(ctx));
  router.on("GET", item, (ctx) => {
    r.readRecord(ctx);
  });
  // IDR's service raises NotImplementedError("Records should be updated via their draft."),
  // which the REST layer turns into a 500 (protocol §3.1).
  router.on("PUT", item, (ctx) => {
    r.loadRecord(param(ctx, "id"));
    throw new HttpError(500, "Internal server error.");
  });
  router.on("DELETE", item, (ctx) => r.deleteRecordDirectly(ctx));
  if (app.flavour === "rdm") {
    router.on("DELETE", `${item}/delete`, (ctx) => r.deletePublished(ctx));
  }
  router.on("GET", `${item}/draft`, (ctx) => {
    r.readDraft(ctx);
  });
  router.on("PUT", `${item}/draft`, (ctx) => r.updateDraft(ctx));
  router.on("DELETE", `${item}/draft`, (ctx) => r.deleteDraft(ctx));
  router.on("POST", `${item}/draft`, (ctx) => r.edit(ctx));
  router.on("POST", `${item}/draft/actions/publish`, (ctx) => r.publish(ctx));
  router.on("GET", `${item}/versions`, (ctx) => {
    r.listVersions(ctx);
  });
  router.on("POST", `${item}/versions`, (ctx) => r.newVersion(ctx));
  router.on("GET", `${item}/versions/latest`, (ctx) => {
    r.latest(ctx);
  });
  // Models with files get the files service's routes; the others answer an empty, disabled list.
  if (!hasFiles(app, model)) {
    router.on("GET", `${item}/files`, (ctx) => {
      r.files(ctx, false);
    });
    router.on("GET", `${item}/draft/files`, (ctx) => {
      r.files(ctx, true);
    });
  }
  // Models with requests, and InvenioRDM's records, get the requests service's routes.
  if (app.flavour === "nrp" && !model.features.includes("requests")) {
    router.on("GET", `${item}/requests`, (ctx) => {
      r.requests(ctx);
    });
  }
}

/**
 * The draft-aware records API of every model (protocol §3): create, read, update and delete
 * drafts, publish, edit, new versions, versions and latest, with ETags, lenient drafts and strict
 * publishing.
 */
export const recordsService: Service = (router, app) => {
  for (const model of recordModels(app)) registerModel(router, app, model);
  if (app.flavour === "rdm") {
    router.on("GET", "/api/vocabularies/removalreasons", (ctx) => {
      removalReasons(ctx, app);
    });
  }
};

/**
 * `GET /api/vocabularies/removalreasons` (invenio-vocabularies, public): the reasons an
 * administrator may give when deleting a published record, sorted by title.
 */
function removalReasons(ctx: RequestContext, app: ServiceContext): void {
  const params = parseSearchParams(ctx.query, ["title", "bestmatch", "newest", "oldest"]);
  if (!ctx.query.has("sort")) params.sort = "title";
  const created = app.store.getMeta("created") ?? timestamp();
  const base = `${ctx.origin}/api/vocabularies/removalreasons`;
  const all = [...RDM_REMOVAL_REASONS]
    .sort((a, b) => a.title.localeCompare(b.title))
    .map((r) => ({
      id: r.id,
      created,
      updated: created,
      links: { self: `${base}/${r.id}` },
      revision_id: 1,
      title: { en: r.title },
      type: "removalreasons",
    }));
  const hits = all.slice((params.page - 1) * params.size, params.page * params.size);
  const { links } = searchResponse(base, undefined, params, hits, all.length);
  sendJson(ctx.res, 200, {
    hits: { hits, total: all.length },
    sortBy: params.sort,
    page: params.page,
    links,
  });
}

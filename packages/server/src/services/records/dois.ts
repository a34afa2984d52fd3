import { param } from "../../http/context.js";
import { sendJson } from "../../http/respond.js";
import type { Service } from "../service.js";
import { apiPrefix, recordModels } from "./serialize.js";

/** DataCite's JSON:API media type. */
const JSON_API = "application/vnd.api+json; charset=utf-8";

/**
 * A DataCite-compatible DOI lookup (`GET /dois/<doi>`, the REST API's shape:
 * `{data: {id, type: "dois", attributes: {doi, url, …}}}`), so that resolving a minted DOI to its
 * landing page works offline: point the client's DataCite URL at the devserver.
 */
export const doisService: Service = (router, app) => {
  router.on("GET", "/dois/*", (ctx) => {
    const doi = param(ctx, "*");
    const pid = app.records.pid("doi", doi);
    const item = pid === undefined ? undefined : app.records.item("record", pid.objectId);
    const model = recordModels(app).find((m) => m.type === item?.model);
    if (item === undefined || model === undefined) {
      sendJson(
        ctx.res,
        404,
        { errors: [{ status: "404", title: "The resource you are looking for doesn't exist." }] },
        {},
        JSON_API,
      );
      return;
    }
    const identifier = doi.toLowerCase();
    const slash = identifier.indexOf("/");
    const url =
      app.flavour === "rdm"
        ? `${ctx.origin}/records/${item.id}`
        : `${ctx.origin}/${model.type}/${item.id}`;
    const title = typeof item.data.title === "string" ? item.data.title : item.id;
    sendJson(
      ctx.res,
      200,
      {
        data: {
          id: identifier,
          type: "dois",
          attributes: {
            doi: identifier,
            prefix: identifier.slice(0, slash),
            suffix: identifier.slice(slash + 1),
            url,
            state: "findable",
            titles: [{ title }],
            publisher: app.config.repository.name,
            publicationYear: Number(item.created.slice(0, 4)),
            types: { resourceTypeGeneral: model.type === "documents" ? "Text" : "Dataset" },
            created: item.created,
            updated: item.updated,
          },
          relationships: {},
        },
        links: { api: `${ctx.origin}${apiPrefix(model)}/${item.id}` },
      },
      {},
      JSON_API,
    );
  });
};

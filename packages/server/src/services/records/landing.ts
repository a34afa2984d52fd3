import { param, type RequestContext } from "../../http/context.js";
import { HttpError } from "../../http/errors.js";
import { escapeHtml, sendRedirect } from "../../http/respond.js";
import type { ItemRow } from "../../store/records.js";
import type { Service, ServiceContext } from "../service.js";
import { apiPrefix, doiOf, recordModels } from "./serialize.js";
import { PID_DOES_NOT_EXIST } from "./service.js";

/**
 * The signposting header of a landing page: the record's API URL as its linkset, spelled as
 * invenio-app-rdm sends it (`tests/ui/test_signposting.py`: `<…/api/records/<id>> ; rel="linkset" ;
 * type="application/linkset+json"`, FAIR signposting level 2).
 */
export function signpostingLink(apiUrl: string): string {
  return `<${apiUrl}> ; rel="linkset" ; type="application/linkset+json"`;
}

function landingPage(app: ServiceContext, item: ItemRow, apiUrl: string): string {
  const title =
    typeof item.data.title === "string" && item.data.title !== "" ? item.data.title : item.id;
  const doi = doiOf(item);
  const doiLine =
    doi === undefined
      ? ""
      : `\n    <p>DOI: <a href="https://doi.org/${escapeHtml(doi)}">${escapeHtml(doi)}</a></p>`;
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8"/>
    <title>${escapeHtml(title)} | ${escapeHtml(app.config.repository.name)}</title>
    <link rel="linkset" type="application/linkset+json" href="${escapeHtml(apiUrl)}"/>
  </head>
  <body>
    <h1>${escapeHtml(title)}</h1>
    <p>Record <code>${escapeHtml(item.id)}</code>, version ${item.versionIndex}</p>${doiLine}
    <p>API: <a href="${escapeHtml(apiUrl)}">${escapeHtml(apiUrl)}</a></p>
  </body>
</html>
`;
}

/**
 * HTML landing pages of published records (`links.self_html`: `/<model>/<id>` in nrp,
 * `/records/<id>` in rdm) with the signposting `Link` header that lets clients go from a page
 * URL to the API.
 */
export const landingService: Service = (router, app) => {
  for (const model of recordModels(app)) {
    router.on("GET", `/${model.type}/:id`, (ctx: RequestContext) => {
      const id = param(ctx, "id");
      const item = app.records.item("record", id);
      if (item?.model !== model.type) throw new HttpError(404, PID_DOES_NOT_EXIST);
      const apiUrl = `${ctx.origin}${apiPrefix(model)}/${id}`;
      const payload = Buffer.from(landingPage(app, item, apiUrl), "utf8");
      ctx.res.writeHead(200, {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Length": String(payload.length),
        Link: signpostingLink(apiUrl),
      });
      ctx.res.end(payload);
    });
    // The `latest_html` link: InvenioRDM's `record_latest` view redirects (302) to the landing
    // page of the newest published version.
    router.on("GET", `/${model.type}/:id/latest`, (ctx: RequestContext) => {
      const id = param(ctx, "id");
      const item = app.records.item("record", id) ?? app.records.item("draft", id);
      const parent = item?.model === model.type ? app.records.parent(item.parentId) : undefined;
      if (parent?.latestId == null) throw new HttpError(404, PID_DOES_NOT_EXIST);
      sendRedirect(ctx.res, 302, `${ctx.origin}/${model.type}/${parent.latestId}`);
    });
  }
};

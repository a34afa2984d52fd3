import { escapeHtml, sendHtml } from "../http/respond.js";
import type { Service } from "./service.js";

/**
 * InvenioRDM's generator tag, by which clients recognise a plain RDM server
 * (docs/protocol/discovery.md#recognising-a-repository).
 */
export const RDM_GENERATOR = "InvenioRDM 13.0";

/**
 * The HTML homepage. Only the `rdm` flavour carries InvenioRDM's generator meta tag, so discovery
 * falls back to RDM detection exactly when `/.well-known/repository` is missing.
 */
export const homeService: Service = (router, app) => {
  router.on("GET", "/", (ctx) => {
    const name = escapeHtml(app.config.repository.name);
    const description = escapeHtml(app.config.repository.description);
    const generator =
      app.flavour === "rdm" ? `\n    <meta name="generator" content="${RDM_GENERATOR}"/>` : "";
    const api =
      app.flavour === "rdm"
        ? `<a href="${ctx.apiUrl}/records">${ctx.apiUrl}/records</a>`
        : `<a href="${ctx.origin}/.well-known/repository/">${ctx.origin}/.well-known/repository/</a>`;
    sendHtml(
      ctx.res,
      200,
      `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8"/>${generator}
    <title>${name}</title>
  </head>
  <body>
    <h1>${name}</h1>
    <p>${description}</p>
    <p>API: ${api}</p>
  </body>
</html>
`,
    );
  });
};

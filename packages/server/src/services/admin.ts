import { FaultRuleError, parseFaultRule } from "../faults.js";
import { readJsonBody } from "../http/body.js";
import { param, type RequestContext } from "../http/context.js";
import { HttpError, PERMISSION_DENIED_MESSAGE, validationError } from "../http/errors.js";
import { sendEmpty, sendJson } from "../http/respond.js";
import type { Service } from "./service.js";

/** The admin API's own prefix (not part of Invenio's API). */
export const ADMIN_BASE = "/_devserver";

function requireAdmin(ctx: RequestContext): void {
  if (ctx.user?.roles.includes("admin") !== true) {
    throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
  }
}

/**
 * The devserver's admin API: fault rules and the request log, for tests that drive a server in
 * another process. Only the admin token may use it.
 */
export const adminService: Service = (router, app) => {
  router.on("GET", `${ADMIN_BASE}/faults`, (ctx) => {
    requireAdmin(ctx);
    sendJson(ctx.res, 200, app.faults.list());
  });
  router.on("POST", `${ADMIN_BASE}/faults`, async (ctx) => {
    requireAdmin(ctx);
    const body = await readJsonBody(ctx.req);
    try {
      const id = app.faults.add(parseFaultRule(body));
      sendJson(ctx.res, 201, { id });
    } catch (error) {
      if (error instanceof FaultRuleError) throw validationError(error.errors);
      throw error;
    }
  });
  router.on("DELETE", `${ADMIN_BASE}/faults`, (ctx) => {
    requireAdmin(ctx);
    app.faults.clear();
    sendEmpty(ctx.res, 204);
  });
  router.on("DELETE", `${ADMIN_BASE}/faults/:id`, (ctx) => {
    requireAdmin(ctx);
    const id = param(ctx, "id");
    if (!app.faults.has(id)) throw new HttpError(404, "Not found.");
    app.faults.remove(id);
    sendEmpty(ctx.res, 204);
  });
  router.on("GET", `${ADMIN_BASE}/faults/:id/held`, (ctx) => {
    requireAdmin(ctx);
    sendJson(ctx.res, 200, { held: app.faults.held(param(ctx, "id")) });
  });
  router.on("POST", `${ADMIN_BASE}/faults/:id/release`, (ctx) => {
    requireAdmin(ctx);
    app.faults.release(param(ctx, "id"));
    sendEmpty(ctx.res, 204);
  });
  router.on("GET", `${ADMIN_BASE}/requests-log`, (ctx) => {
    requireAdmin(ctx);
    const since = Number(ctx.query.get("since") ?? "0");
    const after = Number.isFinite(since) ? since : 0;
    sendJson(
      ctx.res,
      200,
      app.requestLog.filter((e) => e.seq > after),
    );
  });
  router.on("DELETE", `${ADMIN_BASE}/requests-log`, (ctx) => {
    requireAdmin(ctx);
    app.requestLog.length = 0;
    sendEmpty(ctx.res, 204);
  });
};

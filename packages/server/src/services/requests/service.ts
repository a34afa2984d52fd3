import type { Router } from "../../http/router.js";
import { apiPrefix, recordModels } from "../records/serialize.js";
import { DEFAULT_PAGE_SIZE } from "../search-params.js";
import type { Service, ServiceContext } from "../service.js";
import { RequestCore } from "./core.js";
import { RequestEvents } from "./events.js";
import { RequestActions } from "./lifecycle.js";
import { RequestListing } from "./listing.js";
import { registerReviewRoutes } from "./review.js";

/** The parts of the requests API, sharing one core (permissions, topics, the request JSON). */
interface RequestsApi {
  core: RequestCore;
  events: RequestEvents;
  listing: RequestListing;
  actions: RequestActions;
}

function requestsApi(app: ServiceContext): RequestsApi {
  const core = new RequestCore(app);
  const events = new RequestEvents(core);
  return {
    core,
    events,
    listing: new RequestListing(core),
    actions: new RequestActions(core, events),
  };
}

/**
 * invenio-requests' REST API with oarepo-requests' record routes (protocol §6): applicable types,
 * creating requests on records, the state machine with its effects, search, comments, timeline.
 */
export const requestsService: Service = (router, app) => {
  if (app.flavour === "rdm") {
    registerRdm(router, app);
    return;
  }
  const s = requestsApi(app);
  // oarepo-requests' RequestsComponent: `?expand` on a record or draft embeds the first page of
  // its requests, the same items as `GET …/[draft/]requests` (`[]` when the caller may not read).
  app.expandRequests = (ctx, model, id) =>
    s.listing.topicRequests(ctx, model, id, { sort: "newest", page: 1, size: DEFAULT_PAGE_SIZE })
      .hits;
  for (const model of app.config.models) {
    if (model.review) {
      // InvenioRDM's community-submission review of drafts, served beside oarepo's requests.
      registerReviewRoutes(
        router,
        app,
        {
          records: s.core.modelRecords(model.type),
          sendRequest: (ctx, status, row, extra) => {
            s.core.sendRequest(ctx, status, row, extra, false);
          },
          submit: (ctx, row, comment) => s.actions.submitReview(ctx, row, comment),
        },
        model.type,
      );
    }
    if (!model.features.includes("requests")) continue;
    const item = `${apiPrefix(model)}/:id`;
    for (const draft of [false, true]) {
      const base = `${item}${draft ? "/draft" : ""}/requests`;
      router.on("GET", base, (ctx) => {
        s.listing.recordList(ctx, model, draft);
      });
      router.on("GET", `${base}/applicable`, (ctx) => {
        s.listing.applicableList(ctx, model, draft);
      });
      router.on("POST", `${base}/:type`, (ctx) => s.actions.create(ctx, model, draft));
    }
  }
  router.on("GET", "/api/requests/", (ctx) => {
    s.listing.search(ctx, "/api/requests/");
  });
  router.on("GET", "/api/user/requests", (ctx) => {
    s.listing.search(ctx, "/api/user/requests");
  });
  for (const extended of [false, true]) {
    registerOneRequest(
      router,
      s,
      `/api/requests/${extended ? "extended/" : ""}:requestId`,
      extended,
    );
  }
  router.on("POST", "/api/requests/:requestId/actions/:action", (ctx) => s.actions.action(ctx));
};

/** One request under `one`: read, update, delete, comments and timeline (both flavours). */
function registerOneRequest(router: Router, s: RequestsApi, one: string, extended: boolean): void {
  router.on("GET", one, (ctx) => {
    s.actions.read(ctx, extended);
  });
  router.on("PUT", one, (ctx) => s.actions.update(ctx, extended));
  router.on("DELETE", one, (ctx) => {
    s.actions.remove(ctx);
  });
  router.on("GET", `${one}/comments`, (ctx) => {
    s.events.timeline(ctx, extended, true);
  });
  router.on("POST", `${one}/comments`, (ctx) => s.events.comment(ctx, extended));
  router.on("GET", `${one}/comments/:eventId`, (ctx) => {
    s.events.readComment(ctx, extended);
  });
  router.on("PUT", `${one}/comments/:eventId`, (ctx) => s.events.updateComment(ctx, extended));
  router.on("DELETE", `${one}/comments/:eventId`, (ctx) => {
    s.events.deleteComment(ctx);
  });
  router.on("GET", `${one}/timeline`, (ctx) => {
    s.events.timeline(ctx, extended, false);
  });
}

/**
 * InvenioRDM 13's requests (invenio-requests without oarepo's extensions) and the
 * community-submission review of drafts (invenio-rdm-records): review, submit-review, the
 * requests of a published record, search, one request with its actions, comments and timeline.
 */
function registerRdm(router: Router, app: ServiceContext): void {
  const s = requestsApi(app);
  for (const model of recordModels(app)) {
    router.on("GET", `${apiPrefix(model)}/:id/requests`, (ctx) => {
      s.listing.recordList(ctx, model, false);
    });
  }
  registerReviewRoutes(router, app, {
    records: s.core.modelRecords("records"),
    sendRequest: (ctx, status, row, extra) => {
      s.core.sendRequest(ctx, status, row, extra, false);
    },
    submit: (ctx, row, comment) => s.actions.submitReview(ctx, row, comment),
  });
  router.on("GET", "/api/requests/", (ctx) => {
    s.listing.search(ctx, "/api/requests");
  });
  router.on("GET", "/api/user/requests", (ctx) => {
    s.listing.search(ctx, "/api/user/requests");
  });
  const one = "/api/requests/:requestId";
  registerOneRequest(router, s, one, false);
  router.on("POST", `${one}/actions/:action`, (ctx) => s.actions.action(ctx));
}

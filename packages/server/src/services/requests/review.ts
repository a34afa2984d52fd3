import { randomUUID } from "node:crypto";
import { readJsonBody } from "../../http/body.js";
import { param, requireUser, type RequestContext } from "../../http/context.js";
import { HttpError, PERMISSION_DENIED_MESSAGE, validationError } from "../../http/errors.js";
import type { Router } from "../../http/router.js";
import { sendEmpty } from "../../http/respond.js";
import { timestamp } from "../../store/records.js";
import type { RequestRow } from "../../store/requests.js";
import { PID_DOES_NOT_EXIST, type Records } from "../records/service.js";
import type { Loaded } from "../records/serialize.js";
import type { ServiceContext } from "../service.js";

/** The request type of InvenioRDM's community review (invenio-rdm-records `CommunitySubmission`). */
export const REVIEW_TYPE = "community-submission";

/** The record model whose drafts are reviewed on InvenioRDM (a `review` model on NRP). */
const RDM_MODEL = "records";

/**
 * Payload key that marks a review request as no longer the draft's `parent.review` (RDM unsets it
 * on cancel, accept and review deletion while the request itself stays). The `rdm` flavour never
 * dumps a request payload, so the marker stays internal.
 */
const DETACHED = "review_detached";

/** `ReviewNotFoundError` of invenio-rdm-records. */
export const REVIEW_NOT_FOUND_MESSAGE = "Review for draft not found";

/** `ReviewComponent.publish` (a `ReviewExistsError`, 400). */
export const OPEN_REVIEW_PUBLISH_MESSAGE =
  "You cannot publish a draft with an open review request. Please cancel the review request first.";

/** `ReviewComponent.delete_draft` (a `ReviewStateError`, 400). */
export const OPEN_REVIEW_DELETE_MESSAGE =
  "You cannot delete a draft with an open review. Please cancel the review first.";

/** `ReviewService.create` on a published record or a later version (a `ReviewStateError`). */
const PUBLISHED_REVIEW_MESSAGE = "You cannot create a review for an already published record.";

/** `ReviewService.delete` of a submitted review (a `ReviewStateError`). */
const OPEN_REVIEW_UNSET_MESSAGE = "An open review cannot be deleted.";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The draft's `parent.review`: its latest community-submission request, unless that one was
 * detached (cancelled, accepted, or the review deleted) or deleted.
 */
export function currentReview(
  app: Pick<ServiceContext, "requests">,
  draftId: string,
  model = RDM_MODEL,
): RequestRow | undefined {
  const latest = app.requests.forTopic(model, draftId).find((r) => r.type === REVIEW_TYPE);
  if (latest === undefined || latest.payload[DETACHED] === "true") return undefined;
  return latest;
}

/**
 * The community whose curators review the draft now (RDM's `SubmissionReviewer`): the receiver
 * of its review while that is created or submitted; a declined review no longer grants access.
 */
export function reviewingCommunity(
  app: Pick<ServiceContext, "requests">,
  draftId: string,
  model = RDM_MODEL,
): string | undefined {
  const review = currentReview(app, draftId, model);
  if (review === undefined || (review.status !== "created" && review.status !== "submitted")) {
    return undefined;
  }
  const community = review.receiver?.community;
  return typeof community === "string" ? community : undefined;
}

/** The payload that detaches a review request from its draft (merged into the request's). */
export function detachedPayload(): Record<string, string> {
  return { [DETACHED]: "true" };
}

/** Whether the draft has a review that blocks publishing: one that is not closed yet. */
export function hasOpenReview(app: ServiceContext, draftId: string, model = RDM_MODEL): boolean {
  const review = currentReview(app, draftId, model);
  return review !== undefined && (review.status === "created" || review.status === "submitted");
}

/** What the review routes need from the requests service. */
export interface ReviewHost {
  /** The records service of InvenioRDM's `records`. */
  records: Records;
  /** Sends a request JSON without an ETag (RDM 13's review endpoints send none). */
  sendRequest(
    ctx: RequestContext,
    status: number,
    row: RequestRow,
    extra?: Record<string, unknown>,
  ): void;
  /** Runs IREQ's `submit` on a request (with its effects) and stores a comment from `payload`. */
  submit(
    ctx: RequestContext,
    row: RequestRow,
    comment: Record<string, unknown> | undefined,
  ): Promise<RequestRow>;
}

/**
 * invenio-rdm-records' review endpoints of a draft (`…/draft/review`,
 * `…/draft/actions/submit-review`), after `ReviewService`.
 */
class Reviews {
  private readonly app: ServiceContext;
  private readonly host: ReviewHost;

  constructor(
    app: ServiceContext,
    host: ReviewHost,
    private readonly model: string,
  ) {
    this.app = app;
    this.host = host;
  }

  private draft(ctx: RequestContext): Loaded {
    return this.host.records.loadDraft(param(ctx, "id"));
  }

  private requireManage(ctx: RequestContext, loaded: Loaded): void {
    if (!this.host.records.access.canManage(ctx.user, loaded.parent)) {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
  }

  /** `GET …/draft/review`: the review request, or 404 when the draft has none. */
  read(ctx: RequestContext): void {
    const loaded = this.draft(ctx);
    if (!this.host.records.access.canReadDraft(ctx.user, loaded.parent)) {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
    const review = currentReview(this.app, loaded.item.id, this.model);
    if (review === undefined) throw new HttpError(404, REVIEW_NOT_FOUND_MESSAGE);
    this.host.sendRequest(ctx, 200, review);
  }

  /**
   * `ReviewService.delete`: a submitted review stays; one never submitted is deleted with its
   * request; a closed one (declined, expired) is only unset, so its timeline remains readable.
   */
  private unset(loaded: Loaded): void {
    const review = currentReview(this.app, loaded.item.id, this.model);
    if (review === undefined) throw new HttpError(404, REVIEW_NOT_FOUND_MESSAGE);
    if (this.app.records.item("record", loaded.item.id) !== undefined) {
      throw new HttpError(
        400,
        "You cannot delete a review for a draft that has already been published.",
      );
    }
    if (review.status === "submitted") throw new HttpError(400, OPEN_REVIEW_UNSET_MESSAGE);
    this.app.records.transaction(() => {
      if (review.status === "created") this.app.requests.delete(review.id);
      else {
        this.app.requests.put({
          ...review,
          payload: { ...review.payload, ...detachedPayload() },
        });
      }
    });
  }

  /** `PUT …/draft/review` (`ReviewService.update`): replaces the draft's review with a new one. */
  async update(ctx: RequestContext): Promise<void> {
    const body = (await readJsonBody(ctx.req)) ?? {};
    const loaded = this.draft(ctx);
    this.requireManage(ctx, loaded);
    const user = requireUser(ctx);
    const id = loaded.item.id;
    if (currentReview(this.app, id, this.model) !== undefined) this.unset(loaded);
    if (this.app.records.item("record", id) !== undefined || loaded.item.versionIndex > 1) {
      throw new HttpError(400, PUBLISHED_REVIEW_MESSAGE);
    }
    const data = isObject(body) ? body : {};
    if (data.type !== REVIEW_TYPE) {
      throw validationError([{ field: "type", messages: ["Invalid review type."] }]);
    }
    const receiver = isObject(data.receiver) ? data.receiver : undefined;
    const communityId = receiver?.community;
    if (typeof communityId !== "string" || Object.keys(receiver ?? {}).length !== 1) {
      throw validationError([{ field: "receiver", messages: ["Invalid reference."] }]);
    }
    const community = this.app.records
      .communities()
      .find((c) => c.id === communityId.toLowerCase());
    if (community === undefined) throw new HttpError(404, PID_DOES_NOT_EXIST);
    const now = timestamp();
    const row: RequestRow = {
      id: randomUUID(),
      number: this.app.requests.nextNumber(),
      type: REVIEW_TYPE,
      title: "",
      description: null,
      status: "created",
      createdBy: user.id,
      receiver: { community: community.id },
      topicModel: this.model,
      topicId: id,
      payload: {},
      expiresAt: null,
      // IREQ's create commits the request twice (create action, then the number).
      revisionId: 2,
      created: now,
      updated: now,
    };
    this.app.requests.put(row);
    this.host.sendRequest(ctx, 200, row);
  }

  /** `DELETE …/draft/review` (204). */
  async remove(ctx: RequestContext): Promise<void> {
    await readJsonBody(ctx.req);
    const loaded = this.draft(ctx);
    this.requireManage(ctx, loaded);
    this.unset(loaded);
    sendEmpty(ctx.res, 204);
  }

  /**
   * `POST …/draft/actions/submit-review` (202, `ReviewService.submit`): the `submit` action of the
   * review request, with the body's `payload` as a comment. The devserver's communities review
   * every submission (`review_policy: closed`), so nothing is included directly.
   */
  async submit(ctx: RequestContext): Promise<void> {
    const body = await readJsonBody(ctx.req);
    const loaded = this.draft(ctx);
    const review = currentReview(this.app, loaded.item.id, this.model);
    if (review === undefined) throw new HttpError(404, REVIEW_NOT_FOUND_MESSAGE);
    this.requireManage(ctx, loaded);
    const comment = isObject(body) && isObject(body.payload) ? body.payload : undefined;
    const next = await this.host.submit(ctx, review, comment);
    this.host.sendRequest(ctx, 202, next, {
      next_html: `${ctx.origin}/me/requests/${next.id}`,
    });
  }
}

/** Registers the review routes of InvenioRDM's drafts (of `model`, `records` by default). */
export function registerReviewRoutes(
  router: Router,
  app: ServiceContext,
  host: ReviewHost,
  model = RDM_MODEL,
): void {
  const reviews = new Reviews(app, host, model);
  const draft = `/api/${model}/:id/draft`;
  router.on("GET", `${draft}/review`, (ctx) => {
    reviews.read(ctx);
  });
  router.on("PUT", `${draft}/review`, (ctx) => reviews.update(ctx));
  router.on("DELETE", `${draft}/review`, (ctx) => reviews.remove(ctx));
  router.on("POST", `${draft}/actions/submit-review`, (ctx) => reviews.submit(ctx));
}

import { randomUUID } from "node:crypto";
import { readJsonBody } from "../../http/body.js";
import { param, requireUser, type RequestContext } from "../../http/context.js";
import { HttpError, PERMISSION_DENIED_MESSAGE, validationError } from "../../http/errors.js";
import { sendEmpty } from "../../http/respond.js";
import { timestamp } from "../../store/records.js";
import type { EventRow, RequestRow } from "../../store/requests.js";
import { parseSearchParams, searchResponse } from "../search-params.js";
import type { ServiceContext } from "../service.js";
import { RequestCore, LOG, isObject } from "./core.js";

/** IREQ's event type of a comment (`CommentEventType`); logs are `LOG`. */
const COMMENT = "C";

/** A request's timeline: comments (add, read, edit, delete) and the logged actions. */
export class RequestEvents {
  private readonly app: ServiceContext;
  private readonly core: RequestCore;

  constructor(core: RequestCore) {
    this.app = core.app;
    this.core = core;
  }

  /** A comment event with its `ETag` (IREQ's comments resource sends one on both flavours). */
  private sendEvent(ctx: RequestContext, status: number, event: EventRow, self: string): void {
    this.core.send(ctx, status, this.dumpEvent(ctx, event, self), {
      ETag: `"${String(event.revisionId)}"`,
    });
  }

  /** Adds a comment by user `by` to the request's timeline (a 400 without `content`). */
  addComment(row: RequestRow, by: number, payload: Record<string, unknown>): EventRow {
    const content = payload.content;
    if (typeof content !== "string" || content === "") {
      throw validationError([
        { field: "payload.content", messages: ["Missing data for required field."] },
      ]);
    }
    const now = timestamp();
    const event: EventRow = {
      id: randomUUID(),
      requestId: row.id,
      type: COMMENT,
      createdBy: by,
      payload: { content, format: typeof payload.format === "string" ? payload.format : "html" },
      revisionId: 1,
      created: now,
      updated: now,
    };
    this.app.requests.addEvent(event);
    return event;
  }

  /**
   * `RequestEventSchema` (protocol §6.7); system events are created by `{"user": "system"}`. A
   * comment's `permissions` are its author's, and a superuser's (who passes every permission).
   */
  private dumpEvent(ctx: RequestContext, event: EventRow, self: string): Record<string, unknown> {
    const mine =
      ctx.user !== undefined && (event.createdBy === ctx.user.id || this.core.isAdmin(ctx.user));
    return {
      id: event.id,
      created: event.created,
      updated: event.updated,
      links: { self: `${self}/comments/${event.id}` },
      revision_id: event.revisionId,
      type: event.type,
      created_by: { user: event.createdBy === null ? "system" : String(event.createdBy) },
      payload: event.payload,
      permissions: {
        can_update_comment: mine && event.type === COMMENT,
        can_delete_comment: mine && event.type === COMMENT,
      },
    };
  }

  private selfOf(ctx: RequestContext, row: RequestRow, extended: boolean): string {
    return `${ctx.origin}/api/requests/${extended ? "extended/" : ""}${row.id}`;
  }

  /** `POST …/comments` (201, the comment event). */
  async comment(ctx: RequestContext, extended: boolean): Promise<void> {
    const body = await readJsonBody(ctx.req);
    const row = this.core.load(ctx);
    const user = requireUser(ctx);
    const payload = isObject(body) && isObject(body.payload) ? body.payload : {};
    const event = this.addComment(row, user.id, payload);
    this.sendEvent(ctx, 201, event, this.selfOf(ctx, row, extended));
  }

  /** `GET …/comments/<event>`. */
  readComment(ctx: RequestContext, extended: boolean): void {
    const row = this.core.load(ctx);
    const event = this.app.requests.events(row.id).find((e) => e.id === param(ctx, "eventId"));
    if (event === undefined) throw new HttpError(404, "The persistent identifier does not exist.");
    this.sendEvent(ctx, 200, event, this.selfOf(ctx, row, extended));
  }

  /** A comment of the caller's (or any, for `admin`), for editing or deleting it. */
  private ownComment(ctx: RequestContext, row: RequestRow): EventRow {
    const event = this.app.requests.events(row.id).find((e) => e.id === param(ctx, "eventId"));
    if (event === undefined) throw new HttpError(404, "The persistent identifier does not exist.");
    const user = requireUser(ctx);
    if (event.type !== COMMENT || (event.createdBy !== user.id && !this.core.isAdmin(user))) {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
    return event;
  }

  /** `PUT …/comments/<event>`: the author replaces the content. */
  async updateComment(ctx: RequestContext, extended: boolean): Promise<void> {
    const body = await readJsonBody(ctx.req);
    const row = this.core.load(ctx);
    const event = this.ownComment(ctx, row);
    const payload = isObject(body) && isObject(body.payload) ? body.payload : {};
    const content = payload.content;
    if (typeof content !== "string" || content === "") {
      throw validationError([
        { field: "payload.content", messages: ["Missing data for required field."] },
      ]);
    }
    const next: EventRow = {
      ...event,
      payload: { content, format: typeof payload.format === "string" ? payload.format : "html" },
      revisionId: event.revisionId + 1,
      updated: timestamp(),
    };
    this.app.requests.updateEvent(next);
    this.sendEvent(ctx, 200, next, this.selfOf(ctx, row, extended));
  }

  /**
   * `DELETE …/comments/<event>` (204): IREQ keeps the event in the timeline as a log saying the
   * comment was deleted.
   */
  deleteComment(ctx: RequestContext): void {
    const row = this.core.load(ctx);
    const event = this.ownComment(ctx, row);
    this.app.requests.updateEvent({
      ...event,
      type: LOG,
      payload: { event: "comment_deleted", content: "deleted a comment", format: "html" },
      revisionId: event.revisionId + 1,
      updated: timestamp(),
    });
    sendEmpty(ctx.res, 204);
  }

  /** `GET …/timeline` and `GET …/comments`: the events, oldest first, as a search result. */
  timeline(ctx: RequestContext, extended: boolean, onlyComments: boolean): void {
    const row = this.core.load(ctx);
    const params = parseSearchParams(ctx.query, ["newest", "oldest", "bestmatch"]);
    const events = this.app.requests.events(row.id, onlyComments ? COMMENT : undefined);
    if (ctx.query.get("sort") === "newest") events.reverse();
    const self = this.selfOf(ctx, row, extended);
    const page = events.slice((params.page - 1) * params.size, params.page * params.size);
    const hits = page.map((e) => this.dumpEvent(ctx, e, self));
    const base = `${self}/${onlyComments ? "comments" : "timeline"}`;
    if (this.core.rdm) {
      // IREQ's events search: no aggregations, the page number beside the hits.
      const sort = ctx.query.get("sort") ?? "oldest";
      const { links } = searchResponse(base, undefined, { ...params, sort }, hits, events.length);
      this.core.send(ctx, 200, {
        hits: { hits, total: events.length },
        sortBy: sort,
        page: params.page,
        links,
      });
      return;
    }
    this.core.send(
      ctx,
      200,
      searchResponse(
        base,
        undefined,
        { ...params, sort: ctx.query.get("sort") ?? "oldest" },
        hits,
        events.length,
      ),
    );
  }
}

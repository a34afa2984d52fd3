import { randomUUID } from "node:crypto";
import type { RequestTypeId, ResolvedModel } from "../../config/types.js";
import { readJsonBody } from "../../http/body.js";
import { param, requireUser, type RequestContext } from "../../http/context.js";
import { HttpError, PERMISSION_DENIED_MESSAGE } from "../../http/errors.js";
import { sendEmpty } from "../../http/respond.js";
import { timestamp } from "../../store/records.js";
import type { Reference, RequestRow } from "../../store/requests.js";
import type { Loaded } from "../records/serialize.js";
import type { ServiceContext } from "../service.js";
import { OPEN_STATUSES, mayCreate, openOfType } from "./applicable.js";
import { REVIEW_TYPE, detachedPayload } from "./review.js";
import {
  PAYLOAD_ERRORS_MESSAGE,
  REQUEST_TYPE_INFO,
  loadPayload,
  type RequestTypeInfo,
} from "./types.js";
import { RequestCore, ACTIONS, LOG, isObject, refEntry, type Action } from "./core.js";
import type { RequestEvents } from "./events.js";

/**
 * The log events the actions write (`LogEventType` payload `event`); submit writes none (as
 * InvenioRDM 13's timeline of a community submission shows, too).
 */
const LOGGED: Partial<Record<Action, string>> = {
  accept: "accepted",
  decline: "declined",
  cancel: "cancelled",
  expire: "expired",
};

/** A request's `ETag`: its revision, quoted (oarepo-requests 2.5 sends it with every request). */
function etagOf(row: RequestRow): Record<string, string> {
  return { ETag: `"${String(row.revisionId)}"` };
}

/** The receiver oarepo's `AutoApprove` generator resolves to (resolvers/auto_approve.py). */
const AUTO_APPROVE: Reference = { auto_approve: "true" };

/** A request action error of IREQ (`NoSuchActionError`, `CannotExecuteActionError`). */
function actionError(action: string, reason: string): HttpError {
  return new HttpError(400, `Error for action '${action}': ${reason}`);
}

/**
 * The request lifecycle: creating a request on a record, reading, updating and deleting it, and
 * the actions of its state machine with their effects on the record (publish, edit, new version,
 * delete, review).
 */
export class RequestActions {
  private readonly app: ServiceContext;
  private readonly core: RequestCore;
  private readonly events: RequestEvents;

  constructor(core: RequestCore, events: RequestEvents) {
    this.app = core.app;
    this.core = core;
    this.events = events;
  }

  /**
   * `POST …/[draft/]requests/<type>` (oarepo `OARepoRequestsService.create`, protocol §6.3):
   * unknown type, payload schema, `can_create` (permission, then an open request of the type),
   * then for publish types the open-requests check and `validate_topic`.
   */
  async create(ctx: RequestContext, model: ResolvedModel, draft: boolean): Promise<void> {
    const body = (await readJsonBody(ctx.req)) ?? {};
    const { loaded } = this.core.recordTopic(ctx, model, draft);
    const typeId = param(ctx, "type");
    const info = (REQUEST_TYPE_INFO as Readonly<Record<string, RequestTypeInfo | undefined>>)[
      typeId
    ];
    if (info === undefined) throw new HttpError(400, `Unknown request type ${typeId}.`);
    const data = isObject(body) ? body : {};
    const { payload, errors } = loadPayload(info, data.payload);
    if (errors.length > 0) {
      throw new HttpError(400, PAYLOAD_ERRORS_MESSAGE, {
        extra: { request_payload_errors: errors },
      });
    }
    if (!mayCreate(this.app, ctx.user, model, info.id, loaded)) {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
    const user = requireUser(ctx);
    const topicId = loaded.item.id;
    if (openOfType(this.app, model.type, topicId, info.id)) {
      throw new HttpError(400, `There is already an open request of ${info.name} on ${topicId}.`);
    }
    if (info.publishes) {
      // oarepo publish_base.py: `assert_no_pending_requests`, then `validate_topic`.
      const pending = this.app.requests
        .forTopic(model.type, topicId)
        .some((r) => OPEN_STATUSES.has(r.status));
      if (pending) {
        throw new HttpError(
          400,
          `Cannot ${info.name.toLowerCase()}: All open requests must be closed first.`,
        );
      }
      this.core.recordsOf(model.type).checkPublishable(loaded.item);
    }
    const now = timestamp();
    const community = loaded.parent.communities[0];
    const receiver: Reference = model.requests.autoAccept.includes(info.id)
      ? AUTO_APPROVE
      : community === undefined
        ? this.core.adminReceiver()
        : { community_role: `${community}:${model.requests.receivers[info.id] ?? "curator"}` };
    const row: RequestRow = {
      id: randomUUID(),
      number: this.app.requests.nextNumber(),
      type: info.id,
      title: typeof data.title === "string" ? data.title : "",
      description: typeof data.description === "string" ? data.description : null,
      status: "created",
      createdBy: user.id,
      receiver,
      topicModel: model.type,
      topicId,
      payload,
      expiresAt: null,
      revisionId: 1,
      created: now,
      updated: now,
    };
    this.app.requests.put(row);
    this.core.send(ctx, 201, this.core.dump(ctx, row, true), etagOf(row));
  }

  read(ctx: RequestContext, extended: boolean): void {
    const row = this.core.load(ctx);
    if (this.core.rdm) this.core.sendRequest(ctx, 200, row);
    else this.core.send(ctx, 200, this.core.dump(ctx, row, extended), etagOf(row));
  }

  /** `PUT /api/requests/<id>`: title, description and payload, by the creator while `created`. */
  async update(ctx: RequestContext, extended: boolean): Promise<void> {
    const body = (await readJsonBody(ctx.req)) ?? {};
    const row = this.core.load(ctx);
    if (!this.core.mayAct(ctx.user, row, "delete") || row.status !== "created") {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
    const data = isObject(body) ? body : {};
    const info = (REQUEST_TYPE_INFO as Readonly<Record<string, RequestTypeInfo | undefined>>)[
      row.type
    ];
    let payload = row.payload;
    // InvenioRDM's review requests have no payload schema: only title and description change.
    if ("payload" in data && info !== undefined) {
      const loaded = loadPayload(info, data.payload);
      if (loaded.errors.length > 0) {
        throw new HttpError(400, PAYLOAD_ERRORS_MESSAGE, {
          extra: { request_payload_errors: loaded.errors },
        });
      }
      payload = loaded.payload;
    }
    const next: RequestRow = {
      ...row,
      title: typeof data.title === "string" ? data.title : row.title,
      description: typeof data.description === "string" ? data.description : row.description,
      payload,
      revisionId: row.revisionId + 1,
      updated: timestamp(),
    };
    this.app.requests.put(next);
    if (this.core.rdm) this.core.sendRequest(ctx, 200, next);
    else this.core.send(ctx, 200, this.core.dump(ctx, next, extended), etagOf(next));
  }

  /**
   * `DELETE /api/requests/<id>` (IREQ `delete`): the permission, then the `delete` action, legal
   * only while `created`; the request is gone afterwards.
   */
  remove(ctx: RequestContext): void {
    const row = this.core.load(ctx);
    if (!this.core.mayAct(ctx.user, row, "delete"))
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    if (!this.core.transitions.delete.from.includes(row.status)) {
      throw actionError("delete", "Could not execute the action");
    }
    this.app.records.transaction(() => {
      this.app.requests.delete(row.id);
    });
    sendEmpty(ctx.res, 204);
  }

  /**
   * `POST /api/requests/<id>/actions/<action>` in IREQ `execute_action`'s order: unknown action
   * (400), permission (403), illegal transition (400), then the action's effect and a comment
   * from the body's `payload`.
   */
  async action(ctx: RequestContext): Promise<void> {
    const body = await readJsonBody(ctx.req);
    const row = this.core.load(ctx);
    const name = param(ctx, "action");
    if (!(ACTIONS as readonly string[]).includes(name)) {
      throw actionError(name, "No such action available");
    }
    const action = name as Action;
    if (!this.core.mayAct(ctx.user, row, action))
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    if (!this.core.transitions[action].from.includes(row.status)) {
      throw actionError(action, "Could not execute the action");
    }
    const comment = isObject(body) && isObject(body.payload) ? body.payload : undefined;
    const user = requireUser(ctx);
    if (this.core.rdm) {
      this.core.sendRequest(ctx, 200, await this.act(ctx, row, action, user.id, comment));
      return;
    }
    let next = await this.transition(ctx, row, action, user.id);
    if (comment !== undefined) this.events.addComment(next, user.id, comment);
    // oarepo's auto-approve: a submitted request whose receiver is `auto_approve` is accepted by
    // the system at once, so submit answers `accepted` (protocol §6.5 flow 2).
    if (action === "submit" && refEntry(next.receiver ?? {})[0] === "auto_approve") {
      next = await this.transition(ctx, next, "accept", null);
    }
    this.core.send(ctx, 200, this.core.dump(ctx, next, false), etagOf(next));
  }

  /** Runs an action whose transition and permission were checked, then stores a comment. */
  private async act(
    ctx: RequestContext,
    row: RequestRow,
    action: Action,
    by: number,
    comment: Record<string, unknown> | undefined,
  ): Promise<RequestRow> {
    const next = await this.transition(ctx, row, action, by);
    if (comment !== undefined) this.events.addComment(next, by, comment);
    return next;
  }

  /**
   * IREQ's `submit` of a review request, for `…/draft/actions/submit-review`; the caller checked
   * that the draft is the creator's to manage.
   */
  async submitReview(
    ctx: RequestContext,
    row: RequestRow,
    comment: Record<string, unknown> | undefined,
  ): Promise<RequestRow> {
    if (!this.core.transitions.submit.from.includes(row.status)) {
      throw actionError("submit", "Could not execute the action");
    }
    return this.act(ctx, row, "submit", requireUser(ctx).id, comment);
  }

  /** Runs an action's effect on the topic, then stores the new status and its log event. */
  private async transition(
    ctx: RequestContext,
    row: RequestRow,
    action: Action,
    by: number | null,
  ): Promise<RequestRow> {
    let payload = row.payload;
    let title = row.title;
    if (row.type === REVIEW_TYPE) {
      const effect = await this.reviewEffect(row, action);
      payload = { ...payload, ...effect.payload };
      title = effect.title ?? title;
    } else if (action === "accept") {
      payload = { ...payload, ...(await this.accept(ctx, row, by)) };
    }
    const now = timestamp();
    const next: RequestRow = {
      ...row,
      title,
      status: this.core.transitions[action].to,
      payload,
      revisionId: row.revisionId + 1,
      updated: now,
    };
    const logged = LOGGED[action];
    this.app.records.transaction(() => {
      this.app.requests.put(next);
      if (logged !== undefined) {
        this.app.requests.addEvent({
          id: randomUUID(),
          requestId: row.id,
          type: LOG,
          createdBy: by,
          payload: { event: logged },
          revisionId: 1,
          created: now,
          updated: now,
        });
      }
    });
    return next;
  }

  /**
   * What the actions of InvenioRDM's community submission do to the draft
   * (invenio-rdm-records requests/community_submission.py): submit validates it and takes its
   * title; accept adds the community to the parent (as default) and publishes it; cancel unsets
   * the review; decline and expire keep it, closed. Accept and cancel detach the request.
   */
  private async reviewEffect(
    row: RequestRow,
    action: Action,
  ): Promise<{ payload: Record<string, string>; title?: string }> {
    if (action !== "submit" && action !== "accept" && action !== "cancel") return { payload: {} };
    const r = this.core.recordsOf(row.topicModel);
    const store = this.app.records;
    const item = store.item("draft", row.topicId);
    if (item === undefined) {
      if (action === "cancel") return { payload: detachedPayload() };
      throw actionError(action, "Could not execute the action");
    }
    const loaded = r.loadDraft(row.topicId);
    if (action === "cancel") return { payload: detachedPayload() };
    r.checkPublishable(item);
    if (action === "submit") {
      const title = item.data.title;
      return { payload: {}, title: typeof title === "string" ? title : row.title };
    }
    const [kind, communityId] = refEntry(row.receiver ?? {});
    if (kind !== "community") throw actionError(action, "Could not execute the action");
    const parent = {
      ...loaded.parent,
      communities: [communityId, ...loaded.parent.communities.filter((c) => c !== communityId)],
      updated: timestamp(),
    };
    store.updateParent(parent);
    await r.publishDraft({ ...loaded, parent });
    return { payload: detachedPayload() };
  }

  /**
   * What accepting does to the topic (oarepo-requests actions/*.py) and the payload keys it adds
   * (`AddTopicLinksOnPayloadMixin`: colon keys, protocol §6.2).
   */
  private async accept(
    ctx: RequestContext,
    row: RequestRow,
    by: number | null,
  ): Promise<Record<string, string>> {
    const r = this.core.recordsOf(row.topicModel);
    const topic = this.core.topicState(row.topicModel, row.topicId);
    if (topic === undefined) throw actionError("accept", "Could not execute the action");
    const api = `${ctx.origin}/api/${row.topicModel}`;
    const html = `${ctx.origin}/${row.topicModel}`;
    const info = REQUEST_TYPE_INFO[row.type as RequestTypeId];
    if (info.publishes) {
      if (topic.loaded.kind !== "draft")
        throw actionError("accept", "Could not execute the action");
      const published = await r.publishDraft(topic.loaded);
      return {
        "published_record:links:self": `${api}/${published.item.id}`,
        "published_record:links:self_html": `${html}/${published.item.id}`,
      };
    }
    switch (info.id) {
      case "edit_published_record": {
        const draft = r.openEditDraft(r.loadRecord(row.topicId));
        return {
          "draft_record:links:self": `${api}/${draft.item.id}/draft`,
          "draft_record:links:self_html": `${html}/${draft.item.id}/preview`,
        };
      }
      case "new_version": {
        const record = r.loadRecord(row.topicId);
        const draft = r.openNewVersion(record);
        if (row.payload.keep_files === "yes") this.keepFiles(record, draft);
        return {
          "draft_record:id": draft.item.id,
          "draft_record:links:self": `${api}/${draft.item.id}/draft`,
          "draft_record:links:self_html": `${html}/${draft.item.id}/preview`,
        };
      }
      case "delete_published_record":
        await r.removeRecord(r.loadRecord(row.topicId), {
          reason: row.payload.removal_reason ?? "",
          note: row.payload.note ?? null,
          by,
        });
        return {};
      case "delete_draft":
        await r.removeDraft(r.loadDraft(row.topicId));
        return {};
      default:
        return {};
    }
  }

  /** `keep_files: yes` of oarepo's new_version: the new draft imports the previous files. */
  private keepFiles(record: Loaded, draft: Loaded): void {
    const { files } = this.app;
    if (!record.item.filesEnabled || !draft.item.filesEnabled) return;
    if (files.count("draft", draft.item.id) > 0) return;
    this.app.records.transaction(() => {
      files.replaceAll(
        { kind: "record", id: record.item.id },
        { kind: "draft", id: draft.item.id },
        timestamp(),
      );
    });
  }
}

import type { RequestTypeId, ResolvedModel } from "../../config/types.js";
import type { User } from "../../store/users.js";
import { apiPrefix, type Loaded } from "../records/serialize.js";
import type { ServiceContext } from "../service.js";
import { REQUEST_TYPE_INFO, type TopicState } from "./types.js";

/** oarepo request types override `created` to count as open (types/generic.py). */
export const OPEN_STATUSES: ReadonlySet<string> = new Set(["created", "submitted"]);

/** Which state a loaded record or draft is in, for the request types' `is_applicable_to`. */
export function topicStateOf(app: ServiceContext, loaded: Loaded): TopicState {
  if (loaded.kind === "record") return "published";
  if (app.records.item("record", loaded.item.id) !== undefined) return "edit-draft";
  return loaded.item.versionIndex > 1 ? "new-version-draft" : "initial-draft";
}

/** Whether a request of `type` is open on the record. */
export function openOfType(app: ServiceContext, model: string, id: string, type: string): boolean {
  return app.requests
    .forTopic(model, id)
    .some((r) => r.type === type && OPEN_STATUSES.has(r.status));
}

/**
 * The workflow's creators: the record's owner (or an administrator), for a type the workflow
 * offers and that applies to the record's state.
 */
export function mayCreate(
  app: ServiceContext,
  user: User | undefined,
  model: ResolvedModel,
  type: RequestTypeId,
  loaded: Loaded,
): boolean {
  if (user === undefined) return false;
  if (!model.requests.types.includes(type)) return false;
  if (!REQUEST_TYPE_INFO[type].topics.includes(topicStateOf(app, loaded))) return false;
  // oarepo's IfNoEditDraft: a record being edited gets no edit or new version until the edit
  // draft is published or deleted (oarepo 12/13 crashes with a 500 on such a new_version).
  if (
    (type === "edit_published_record" || type === "new_version") &&
    loaded.kind === "record" &&
    app.records.item("draft", loaded.item.id) !== undefined
  ) {
    return false;
  }
  return user.roles.includes("admin") || loaded.parent.ownerId === user.id;
}

/**
 * The `RequestTypesList` entries (docs/protocol/requests.md#applicable-requests): the types the caller
 * may create on the record now; a type with an open request is not applicable (oarepo
 * `NonDuplicableOARepoRequestType`).
 */
export function applicableTypes(
  app: ServiceContext,
  origin: string,
  user: User | undefined,
  model: ResolvedModel,
  loaded: Loaded,
): { type_id: string; links: { actions: { create: string } } }[] {
  const draft = loaded.kind === "draft";
  const base = `${origin}${apiPrefix(model)}/${loaded.item.id}${draft ? "/draft" : ""}/requests`;
  return model.requests.types
    .filter(
      (type) =>
        mayCreate(app, user, model, type, loaded) &&
        !openOfType(app, model.type, loaded.item.id, type),
    )
    .map((type) => ({ type_id: type, links: { actions: { create: `${base}/${type}` } } }));
}

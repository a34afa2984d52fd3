import type { ResolvedModel } from "../../config/types.js";
import { booleanArg, param, requireUser, type RequestContext } from "../../http/context.js";
import { validationError } from "../../http/errors.js";
import type { Reference, RequestRow } from "../../store/requests.js";
import { apiPrefix } from "../records/serialize.js";
import { parseSearchParams, searchResponse } from "../search-params.js";
import type { ServiceContext } from "../service.js";
import { OPEN_STATUSES, applicableTypes } from "./applicable.js";
import { REVIEW_TYPE } from "./review.js";
import { RequestCore, refEntry } from "./core.js";

/** The facet labels of InvenioRDM's requests search (`type` and `status` aggregations). */
const RDM_FACET_LABELS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  type: { [REVIEW_TYPE]: "Draft review", "community-inclusion": "Community inclusion" },
  status: {
    created: "Created",
    submitted: "Submitted",
    accepted: "Accepted",
    declined: "Declined",
    cancelled: "Cancelled",
    expired: "Expired",
  },
};

/**
 * Lists of requests: the request types applicable to a record, the requests of a record, and the
 * requests searches of both flavours.
 */
export class RequestListing {
  private readonly app: ServiceContext;
  private readonly core: RequestCore;

  constructor(core: RequestCore) {
    this.app = core.app;
    this.core = core;
  }

  /** `GET …/[draft/]requests/applicable` (oarepo `RequestTypesList`, protocol §6.2). */
  applicableList(ctx: RequestContext, model: ResolvedModel, draft: boolean): void {
    const { loaded } = this.core.recordTopic(ctx, model, draft);
    const base = `${ctx.origin}${apiPrefix(model)}/${loaded.item.id}${draft ? "/draft" : ""}/requests`;
    const hits = applicableTypes(this.app, ctx.origin, ctx.user, model, loaded);
    this.core.send(ctx, 200, {
      hits: { hits, total: hits.length },
      links: { self: `${base}/applicable` },
    });
  }

  /** `GET …/[draft/]requests`: the requests whose topic is this record, that the caller sees. */
  recordList(ctx: RequestContext, model: ResolvedModel, draft: boolean): void {
    if (this.core.rdm) {
      this.recordListRdm(ctx, model);
      return;
    }
    const { loaded } = this.core.recordTopic(ctx, model, draft);
    const params = parseSearchParams(ctx.query, ["newest", "oldest", "bestmatch"]);
    const { hits, total } = this.topicRequests(ctx, model, loaded.item.id, params);
    const base = `${ctx.origin}${apiPrefix(model)}/${loaded.item.id}${draft ? "/draft" : ""}/requests`;
    this.core.send(ctx, 200, searchResponse(base, undefined, params, hits, total));
  }

  /** One page of the requests about record `id` that the caller may read, as their JSON. */
  topicRequests(
    ctx: RequestContext,
    model: ResolvedModel,
    id: string,
    params: { sort: string; page: number; size: number },
  ): { hits: Record<string, unknown>[]; total: number } {
    let rows = this.app.requests
      .forTopic(model.type, id)
      .filter((row) => this.core.canRead(ctx.user, row));
    if (params.sort === "oldest") rows = rows.reverse();
    const page = rows.slice((params.page - 1) * params.size, params.page * params.size);
    return { hits: page.map((row) => this.core.dump(ctx, row, true)), total: rows.length };
  }

  /**
   * `GET /api/records/<id>/requests` of InvenioRDM: the requests about a published record (a
   * draft never published is "not registered", 404), newest first. RDM builds the paging links
   * from `/api/requests`.
   */
  private recordListRdm(ctx: RequestContext, model: ResolvedModel): void {
    const id = param(ctx, "id");
    this.core.recordsOf(model.type).loadRecord(id);
    const params = parseSearchParams(ctx.query, ["newest", "oldest", "bestmatch"]);
    let rows = this.app.requests
      .forTopic(model.type, id)
      .filter((row) => row.status !== "deleted" && this.core.canRead(ctx.user, row));
    if (params.sort === "oldest") rows = rows.reverse();
    const page = rows.slice((params.page - 1) * params.size, params.page * params.size);
    const hits = page.map((row) => this.core.dump(ctx, row, false));
    this.core.send(ctx, 200, {
      ...searchResponse(`${ctx.origin}/api/requests`, undefined, params, hits, rows.length),
      aggregations: this.aggregations(rows),
    });
  }

  /** The `type` and `status` facets of InvenioRDM's requests searches. */
  private aggregations(rows: readonly RequestRow[]): Record<string, unknown> {
    const facet = (name: "type" | "status", label: string): Record<string, unknown> => {
      const counts = new Map<string, number>();
      for (const row of rows) counts.set(row[name], (counts.get(row[name]) ?? 0) + 1);
      const labels = RDM_FACET_LABELS[name] ?? {};
      return {
        buckets: [...counts].map(([key, count]) => ({
          key,
          doc_count: count,
          label: labels[key] ?? key,
          is_selected: false,
        })),
        label,
      };
    };
    return { type: facet("type", "Type"), status: facet("status", "Status") };
  }

  /**
   * InvenioRDM's `GET /api/requests/` and `GET /api/user/requests` (invenio-requests 7): what the
   * caller may read, the user search only what they created or what is addressed to them as a
   * user; filtered by the `type` and `status` facets, `is_open`, the references `topic`,
   * `created_by` and `receiver` (`TYPE:ID`) and simple `field:value` terms of `q`. oarepo's
   * `mine` and `assigned` are not parameters there and are ignored.
   */
  private searchRdm(ctx: RequestContext, path: string): void {
    const user = requireUser(ctx);
    const params = parseSearchParams(ctx.query, ["newest", "oldest", "bestmatch"]);
    const q = ctx.query;
    const ref = (name: string) => referenceParam(q, name);
    const filters = (["topic", "created_by", "receiver"] as const).map(
      (name) => [name, ref(name)] as const,
    );
    const statuses = q.getAll("status").filter((s) => s !== "");
    const types = q.getAll("type").filter((s) => s !== "");
    const rawOpen = q.get("is_open");
    const isOpen = rawOpen === null || rawOpen === "" ? undefined : ["true", "1"].includes(rawOpen);
    const mineOnly = path === "/api/user/requests";
    const refOf = (row: RequestRow, name: "topic" | "created_by" | "receiver"): Reference =>
      name === "topic"
        ? { record: row.topicId }
        : name === "created_by"
          ? { user: String(row.createdBy) }
          : (row.receiver ?? {});
    let rows = this.app.requests.all().filter((row) => {
      if (row.status === "deleted" || !this.core.canRead(user, row)) return false;
      if (mineOnly) {
        const [kind, value] = refEntry(row.receiver ?? {});
        const received = kind === "user" && value === String(user.id);
        if (row.createdBy !== user.id && !received) return false;
      }
      if (statuses.length > 0 && !statuses.includes(row.status)) return false;
      if (types.length > 0 && !types.includes(row.type)) return false;
      if (isOpen !== undefined && (row.status === "submitted") !== isOpen) return false;
      for (const [name, wanted] of filters) {
        if (wanted === undefined) continue;
        const [kind, value] = refEntry(refOf(row, name));
        if (kind !== wanted[0] || value !== wanted[1]) return false;
      }
      return rdmQueryMatches(params.q, row);
    });
    if (params.sort === "oldest") rows = rows.reverse();
    const page = rows.slice((params.page - 1) * params.size, params.page * params.size);
    const hits = page.map((row) => this.core.dump(ctx, row, false));
    this.core.send(ctx, 200, {
      ...searchResponse(`${ctx.origin}${path}`, undefined, params, hits, rows.length),
      aggregations: this.aggregations(rows),
    });
  }

  /**
   * `GET /api/requests/` (IREQ search with oarepo's extra filters, protocol §6.6): what the caller
   * may read, filtered by `status`, `type`, `is_open`, `is_closed`, `mine`, `assigned`, `topic`,
   * `created_by` and `receiver` (references as `TYPE:ID`).
   */
  search(ctx: RequestContext, path: string): void {
    if (this.core.rdm) {
      this.searchRdm(ctx, path);
      return;
    }
    const user = requireUser(ctx);
    const params = parseSearchParams(ctx.query, ["newest", "oldest", "bestmatch"]);
    const q = ctx.query;
    const refFilter = (name: string) => referenceParam(q, name);
    const flag = (name: string): boolean | undefined => booleanArg(q, name);
    const topic = refFilter("topic");
    const createdBy = refFilter("created_by");
    const receiver = refFilter("receiver");
    const statuses = q.getAll("status").filter((s) => s !== "");
    const types = q.getAll("type").filter((s) => s !== "");
    const isOpen = flag("is_open");
    const isClosed = flag("is_closed");
    const mine = flag("mine");
    const assigned = flag("assigned");
    const matches = (row: RequestRow): boolean => {
      if (!this.core.canRead(user, row)) return false;
      if (statuses.length > 0 && !statuses.includes(row.status)) return false;
      if (types.length > 0 && !types.includes(row.type)) return false;
      const open = OPEN_STATUSES.has(row.status);
      if (isOpen !== undefined && open !== isOpen) return false;
      if (isClosed !== undefined && open === isClosed) return false;
      if (mine === true && row.createdBy !== user.id) return false;
      if (
        assigned === true &&
        (row.createdBy === user.id || !this.core.isReceiver(user, row.receiver))
      ) {
        return false;
      }
      if (topic !== undefined && (row.topicModel !== topic[0] || row.topicId !== topic[1])) {
        return false;
      }
      if (
        createdBy !== undefined &&
        (createdBy[0] !== "user" || createdBy[1] !== String(row.createdBy))
      ) {
        return false;
      }
      if (receiver !== undefined) {
        const [kind, value] = refEntry(row.receiver ?? {});
        const community = kind === "community_role" ? value.split(":")[0] : undefined;
        const same =
          (kind === receiver[0] && value === receiver[1]) ||
          (receiver[0] === "community" && community === receiver[1]);
        if (!same) return false;
      }
      return true;
    };
    let rows = this.app.requests.all().filter(matches);
    if (params.sort === "oldest") rows = rows.reverse();
    const page = rows.slice((params.page - 1) * params.size, params.page * params.size);
    const hits = page.map((row) => this.core.dump(ctx, row, false));
    this.core.send(
      ctx,
      200,
      searchResponse(`${ctx.origin}${path}`, undefined, params, hits, rows.length),
    );
  }
}

/**
 * `q` terms of InvenioRDM's requests search the devserver understands: `field:value` pairs (AND)
 * on the indexed fields below; anything else matches nothing, as a query on an unknown field
 * does in OpenSearch.
 */
function rdmQueryMatches(q: string | undefined, row: RequestRow): boolean {
  if (q === undefined) return true;
  const open = row.status === "submitted";
  const [receiverKind, receiverId] = refEntry(row.receiver ?? {});
  const fields: Readonly<Record<string, string>> = {
    id: row.id,
    number: String(row.number),
    type: row.type,
    status: row.status,
    title: row.title,
    is_open: String(open),
    is_closed: String(!open && row.status !== "created"),
    "topic.record": row.topicId,
    "created_by.user": String(row.createdBy),
    [`receiver.${receiverKind}`]: receiverId,
  };
  return q
    .split(/\s+AND\s+|\s+/)
    .filter((term) => term !== "" && term !== "*")
    .every((term) => {
      const at = term.indexOf(":");
      if (at <= 0) return false;
      const value = term.slice(at + 1).replace(/^"(.*)"$/, "$1");
      return fields[term.slice(0, at)] === value;
    });
}

/** A `TYPE:ID` reference query argument (`topic`, `created_by`, `receiver`), split; 400 if malformed. */
function referenceParam(query: URLSearchParams, name: string): [string, string] | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  const at = raw.indexOf(":");
  if (at <= 0 || at === raw.length - 1) {
    throw validationError([{ field: name, messages: ["Not a valid reference."] }]);
  }
  return [raw.slice(0, at), raw.slice(at + 1)];
}

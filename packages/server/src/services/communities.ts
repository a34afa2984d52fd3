import { randomUUID } from "node:crypto";
import { readJsonBody } from "../http/body.js";
import { param, requireUser, type RequestContext } from "../http/context.js";
import {
  HttpError,
  PERMISSION_DENIED_MESSAGE,
  validationError,
  type FieldError,
} from "../http/errors.js";
import { MESSAGES } from "./records/validation.js";
import { JSON_TYPE, UI_JSON_TYPE, negotiate } from "../http/negotiate.js";
import { sendJson } from "../http/respond.js";
import { timestamp, type StoredCommunity } from "../store/records.js";
import { listRecords } from "./listing.js";
import {
  BASE_SORT_OPTIONS,
  RDM_SORT_OPTIONS,
  parseSearchParams,
  searchResponse,
} from "./search-params.js";
import { PID_DOES_NOT_EXIST } from "./records/service.js";
import type { Service, ServiceContext } from "./service.js";

/** Sort options of the communities search (invenio-communities: best match, newest, oldest). */
const COMMUNITY_SORT_OPTIONS = ["bestmatch", "newest", "oldest"] as const;

/**
 * A community in invenio-communities' JSON shape (`CommunitySchema` and its links), so clients
 * that resolve a slug or show a community read what a real repository sends. `rdm` is
 * invenio-communities as RDM 13 answers (recorded `community-create`): revision 2 (created, then
 * its owner added), `is_verified`, the `featured` link and the HTML link with its slash.
 */
export function dumpCommunity(
  origin: string,
  c: StoredCommunity,
  rdm = false,
): Record<string, unknown> {
  const api = `${origin}/api/communities/${c.id}`;
  const html = `${origin}/communities/${c.slug}`;
  const links: Record<string, string> = rdm ? { featured: `${api}/featured` } : {};
  Object.assign(links, {
    self: api,
    self_html: rdm ? `${html}/` : html,
    settings_html: `${html}/settings`,
    logo: `${api}/logo`,
    rename: `${api}/rename`,
    members: `${api}/members`,
    public_members: `${api}/members/public`,
    invitations: `${api}/invitations`,
    requests: `${api}/requests`,
    records: `${api}/records`,
    membership_requests: `${api}/membership-requests`,
  });
  return {
    id: c.id,
    slug: c.slug,
    created: c.created,
    updated: c.created,
    revision_id: communityRevision(rdm),
    metadata: {
      title: c.title,
      ...(c.description === null ? {} : { description: c.description }),
    },
    access: {
      visibility: "public",
      members_visibility: "public",
      member_policy: "open",
      record_submission_policy: "open",
      review_policy: "closed",
    },
    custom_fields: {},
    ...(rdm ? { is_verified: false } : {}),
    children: { allow: false },
    deletion_status: { is_deleted: false, status: "P" },
    links,
  };
}

function communityRevision(rdm: boolean): number {
  return rdm ? 2 : 1;
}

/** The communities search's facets as RDM 13 answers them (recorded `communities-search`). */
function communityFacets(all: readonly StoredCommunity[]): Record<string, unknown> {
  return {
    type: { buckets: [], label: "Type" },
    visibility: {
      buckets:
        all.length === 0
          ? []
          : [{ key: "public", doc_count: all.length, label: "Public", is_selected: false }],
      label: "Visibility",
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The body of `POST /api/communities` as invenio-communities loads it: `slug` and
 * `metadata.title` required (marshmallow messages), `metadata.description` kept.
 * @throws HttpError 400 with the fields at fault
 */
function parseCommunity(body: unknown): {
  slug: string;
  title: string;
  description: string | null;
} {
  const errors: FieldError[] = [];
  const data = isObject(body) ? body : {};
  const metadata = isObject(data.metadata) ? data.metadata : {};
  const { slug } = data;
  const { title, description } = metadata;
  if (typeof slug !== "string" || slug === "") {
    errors.push({
      field: "slug",
      messages: [slug === undefined ? MESSAGES.required : MESSAGES.string],
    });
  } else if (!/^[-\w]+$/.test(slug)) {
    errors.push({
      field: "slug",
      messages: ["The identifier should contain only letters, numbers, or dashes."],
    });
  }
  if (typeof title !== "string" || title === "") {
    errors.push({
      field: "metadata.title",
      messages: [title === undefined ? MESSAGES.required : MESSAGES.string],
    });
  }
  if (description !== undefined && typeof description !== "string") {
    errors.push({ field: "metadata.description", messages: [MESSAGES.string] });
  }
  if (errors.length > 0 || typeof slug !== "string" || typeof title !== "string") {
    throw validationError(errors);
  }
  return { slug, title, description: typeof description === "string" ? description : null };
}

/** Whether a community matches a `q`: every word is a word (or prefix, with `*`) of its slug or title. */
function matches(c: StoredCommunity, q: string | undefined): boolean {
  if (q === undefined) return true;
  const words = `${c.slug} ${c.title}`.toLowerCase().split(/[^\p{L}\p{N}_]+/u);
  return q
    .toLowerCase()
    .split(/\s+/)
    .map((w) => w.replace(/^(slug|metadata\.title|title):/, "").replace(/^"|"$/g, ""))
    .filter((w) => w !== "" && w !== "*")
    .every((w) =>
      w.endsWith("*") ? words.some((x) => x.startsWith(w.slice(0, -1))) : words.includes(w),
    );
}

function community(app: ServiceContext, ctx: RequestContext): StoredCommunity {
  const wanted = param(ctx, "id");
  const found = app.records
    .communities()
    .find((c) => c.id === wanted.toLowerCase() || c.slug === wanted);
  if (found === undefined) throw new HttpError(404, PID_DOES_NOT_EXIST);
  return found;
}

/**
 * The communities API of invenio-communities: `GET /api/communities` (search on slug and title),
 * `GET /api/communities/<slug|uuid>` (404 for an unknown one), and RDM's community records
 * search `GET /api/communities/<id>/records`, the published records whose parent names it, and
 * its removal `DELETE /api/communities/<id>/records` (curators and admins).
 */
export const communitiesService: Service = (router, app) => {
  const rdm = app.flavour === "rdm";
  router.on("GET", "/api/communities", (ctx) => {
    const contentType = negotiate(ctx.req.headers.accept, [JSON_TYPE, UI_JSON_TYPE]);
    const params = parseSearchParams(ctx.query, COMMUNITY_SORT_OPTIONS);
    const all = app.records.communities().filter((c) => matches(c, params.q));
    if (params.sort === "newest") all.reverse();
    const offset = (params.page - 1) * params.size;
    const hits = all
      .slice(offset, offset + params.size)
      .map((c) => dumpCommunity(ctx.origin, c, rdm));
    const body = searchResponse(
      `${ctx.apiUrl}/communities`,
      undefined,
      params,
      hits,
      all.length,
      rdm ? communityFacets(all) : {},
      [],
      app.traits.searchEnvelope,
    );
    sendJson(ctx.res, 200, body, {}, contentType);
  });
  router.on("GET", "/api/communities/:id", (ctx) => {
    const contentType = negotiate(ctx.req.headers.accept, [JSON_TYPE, UI_JSON_TYPE]);
    const c = community(app, ctx);
    const etag = `"${String(communityRevision(rdm))}"`;
    sendJson(ctx.res, 200, dumpCommunity(ctx.origin, c, rdm), { ETag: etag }, contentType);
  });
  router.on("POST", "/api/communities", async (ctx) => {
    const contentType = negotiate(ctx.req.headers.accept, [JSON_TYPE, UI_JSON_TYPE]);
    const body = await readJsonBody(ctx.req);
    const user = requireUser(ctx);
    const wanted = parseCommunity(body);
    const created: StoredCommunity = {
      id: randomUUID(),
      slug: wanted.slug,
      title: wanted.title,
      description: wanted.description,
      // The creator owns the community and so curates its submissions.
      curators: [user.username],
      roles: { owner: [user.username] },
      created: timestamp(),
    };
    if (!app.records.insertCommunity(created)) {
      throw validationError([
        { field: "slug", messages: ["A community with this identifier already exists."] },
      ]);
    }
    const etag = `"${String(communityRevision(rdm))}"`;
    sendJson(ctx.res, 201, dumpCommunity(ctx.origin, created, rdm), { ETag: etag }, contentType);
  });
  router.on("GET", "/api/communities/:id/records", (ctx) => {
    const contentType = negotiate(ctx.req.headers.accept, [JSON_TYPE, UI_JSON_TYPE]);
    const c = community(app, ctx);
    const params = parseSearchParams(
      ctx.query,
      app.flavour === "rdm" ? RDM_SORT_OPTIONS : BASE_SORT_OPTIONS,
    );
    const { hits, total, aggregations, facets } = listRecords(app, ctx, {
      model: app.flavour === "rdm" ? "records" : undefined,
      personal: false,
      params,
      structured: { term: { "parent.communities.ids": c.id } },
    });
    const body = searchResponse(
      `${ctx.apiUrl}/communities/${param(ctx, "id")}/records`,
      undefined,
      params,
      hits,
      total,
      aggregations,
      facets,
      app.traits.searchEnvelope,
    );
    sendJson(ctx.res, 200, body, {}, contentType);
  });
  router.on("DELETE", "/api/communities/:id/records", async (ctx) => {
    const body = await readJsonBody(ctx.req);
    const c = community(app, ctx);
    const user = requireUser(ctx);
    if (!user.roles.includes("admin") && !c.curators.includes(user.username)) {
      throw new HttpError(403, PERMISSION_DENIED_MESSAGE);
    }
    sendRemoval(ctx, removeRecords(app, c, body));
  });
};

/**
 * RDM's `CommunityRecordsService.delete`: each listed record's parent leaves the community (the
 * default moves to the next community, if any); records that are not found or not in the
 * community are reported in `errors` and the rest are still removed.
 */
function removeRecords(
  app: ServiceContext,
  c: StoredCommunity,
  body: unknown,
): { record_id: string; message: string }[] {
  const list: unknown =
    typeof body === "object" && body !== null && "records" in body ? body.records : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    throw validationError([{ field: "records", messages: ["Missing data for required field."] }]);
  }
  const errors: { record_id: string; message: string }[] = [];
  app.records.transaction(() => {
    for (const entry of list as unknown[]) {
      const id =
        typeof entry === "object" && entry !== null && "id" in entry && typeof entry.id === "string"
          ? entry.id
          : "";
      const record = app.records.item("record", id);
      const parent = record === undefined ? undefined : app.records.parent(record.parentId);
      if (parent === undefined) {
        errors.push({ record_id: id, message: "Record not found." });
      } else if (!parent.communities.includes(c.id)) {
        errors.push({ record_id: id, message: "Record is not included in this community." });
      } else {
        const communities = parent.communities.filter((x) => x !== c.id);
        app.records.updateParent({ ...parent, communities, updated: timestamp() });
      }
    }
  });
  return errors;
}

function sendRemoval(ctx: RequestContext, errors: { record_id: string; message: string }[]): void {
  if (errors.length === 0) {
    ctx.res.writeHead(204).end();
    return;
  }
  sendJson(ctx.res, 200, { errors });
}

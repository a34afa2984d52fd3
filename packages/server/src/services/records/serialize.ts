import { RDM_RECORDS_MODEL } from "../../config/defaults.js";
import { schemaId } from "../../config/schema.js";
import type { ResolvedModel } from "../../config/types.js";
import type { FieldError } from "../../http/errors.js";
import type { ItemKind, ItemRow, ParentRow } from "../../store/records.js";
import type { User } from "../../store/users.js";
import type { ServiceContext } from "../service.js";
import type { FileRow } from "../../store/files.js";
import { mimetypeOf } from "../files/mimetypes.js";
import { encodeKey } from "../files/serialize.js";
import { Access } from "./access.js";
import { dumpCommunity } from "../communities.js";
import { dereferenceVocabularies } from "./vocabularies.js";
import { currentReview } from "../requests/review.js";

/** The record models the flavour serves: the configured ones (nrp) or InvenioRDM's `records` (rdm). */
export function recordModels(app: ServiceContext): readonly ResolvedModel[] {
  return app.flavour === "rdm" ? [RDM_RECORDS_MODEL] : app.config.models;
}

/** API path of a model's records, without a trailing slash: `/api/<model>` or `/api/records`. */
export function apiPrefix(model: ResolvedModel): string {
  return `/api/${model.type}`;
}

/** What a record dump needs beyond the rows themselves. */
export interface DumpContext {
  app: ServiceContext;
  model: ResolvedModel;
  origin: string;
  user: User | undefined;
}

/** A stored item with the parent it belongs to and which table it came from. */
export interface Loaded {
  kind: ItemKind;
  item: ItemRow;
  parent: ParentRow;
}

/** The DOI of an item's `pids`, if one was minted. */
export function doiOf(item: ItemRow): string | undefined {
  const doi = item.pids.doi;
  if (typeof doi !== "object" || doi === null) return undefined;
  const identifier = (doi as { identifier?: unknown }).identifier;
  return typeof identifier === "string" ? identifier : undefined;
}

function nrpLinks(d: DumpContext, loaded: Loaded, access: Access): Record<string, string> {
  const { kind, item, parent } = loaded;
  const { app, model, origin, user } = d;
  const api = `${origin}${apiPrefix(model)}/${item.id}`;
  const html = `${origin}/${model.type}/${item.id}`;
  const requests = model.features.includes("requests");
  const links: Record<string, string> = {};
  // Link templates and conditions of an oarepo 12 model's service config (nrp-cmd
  // tests/test-repository/.../services/records/config.py; oarepo-runtime
  // services/config/link_conditions.py): `draft` needs `has_draft` (a draft, or a published record
  // with an open draft), `record` needs `has_published_record`, `publish` the publish permission.
  if (kind === "draft") {
    if (requests) links["applicable-requests"] = `${api}/draft/requests/applicable`;
    links.draft = `${api}/draft`;
    if (access.canManage(user, parent)) links.edit_html = `${html}/edit`;
    links.files = `${api}/draft/files`;
    links.latest = `${api}/versions/latest`;
    links.latest_html = `${html}/latest`;
    if (access.canPublish(user, parent, model)) links.publish = `${api}/draft/actions/publish`;
    if (app.records.item("record", item.id) !== undefined) links.record = api;
    if (requests) links.requests = `${api}/draft/requests`;
    if (
      model.review &&
      item.versionIndex === 1 &&
      app.records.item("record", item.id) === undefined
    ) {
      // InvenioRDM's review beside oarepo's requests (RDM 13-based NRP repositories).
      links.review = `${api}/draft/review`;
      if (currentReview(app, item.id, model.type) !== undefined) {
        links["submit-review"] = `${api}/draft/actions/submit-review`;
      }
    }
    links.self = `${api}/draft`;
    links.self_html = `${html}/preview`;
    links.versions = `${api}/versions`;
  } else {
    if (requests) links["applicable-requests"] = `${api}/requests/applicable`;
    const draft = app.records.item("draft", item.id) !== undefined;
    if (draft && access.canReadDraft(user, parent)) links.draft = `${api}/draft`;
    const doi = doiOf(item);
    if (doi !== undefined) links.doi = `https://doi.org/${doi}`;
    if (draft && access.canManage(user, parent)) links.edit_html = `${html}/edit`;
    links.files = `${api}/files`;
    links.latest = `${api}/versions/latest`;
    links.latest_html = `${html}/latest`;
    // A published record has a published record (recorded oarepo 12/13 `record-get`).
    links.record = api;
    if (requests) links.requests = `${api}/requests`;
    links.self = api;
    links.self_html = html;
    links.versions = `${api}/versions`;
  }
  return links;
}

/** The links of an NRP search hit: `self` and `self_html`, as {@link nrpLinks} builds them. */
function nrpHitLinks(d: DumpContext, loaded: Loaded): Record<string, string> {
  const { origin, model } = d;
  const api = `${origin}${apiPrefix(model)}/${loaded.item.id}`;
  const html = `${origin}/${model.type}/${loaded.item.id}`;
  return loaded.kind === "draft"
    ? { self: `${api}/draft`, self_html: `${html}/preview` }
    : { self: api, self_html: html };
}

function rdmLinks(d: DumpContext, loaded: Loaded, access: Access): Record<string, string> {
  const { kind, item, parent } = loaded;
  const { origin, user } = d;
  const api = `${origin}/api/records/${item.id}`;
  const html = `${origin}/records/${item.id}`;
  const draft = kind === "draft";
  const files = draft ? `${api}/draft` : api;
  const iiif = `${origin}/api/iiif/${draft ? "draft" : "record"}:${item.id}`;
  const links: Record<string, string> = {};
  // Key set of invenio-rdm-records v19 `RDMRecordServiceConfig.links_item` as RDM 13 answers
  // (recorded `draft-create`, `publish`): `record*`, `publish` and `review` only on drafts,
  // `latest*`, `parent*` and `draft` only on records, `doi` links with a DOI.
  links.self = draft ? `${api}/draft` : api;
  links.self_html = draft ? `${origin}/uploads/${item.id}` : html;
  links.preview_html = `${html}?preview=1`;
  links.reserve_doi = `${api}/draft/pids/doi`;
  if (!draft) {
    const doi = doiOf(item);
    if (doi !== undefined) {
      links.doi = `https://doi.org/${doi}`;
      links.self_doi = `https://doi.org/${doi}`;
      links.self_doi_html = `${origin}/doi/${doi}`;
    }
    links.parent = `${origin}/api/records/${parent.id}`;
    links.parent_html = `${origin}/records/${parent.id}`;
  }
  links.self_iiif_manifest = `${iiif}/manifest`;
  links.self_iiif_sequence = `${iiif}/sequence/default`;
  links.files = `${files}/files`;
  links.media_files = `${files}/media-files`;
  links.archive = `${files}/files-archive`;
  links.archive_media = `${files}/media-files-archive`;
  if (!draft) {
    links.latest = `${api}/versions/latest`;
    links.latest_html = `${html}/latest`;
  }
  links.versions = `${api}/versions`;
  if (draft) {
    links.record = api;
    links.record_html = html;
    if (access.canPublish(user, parent, d.model)) links.publish = `${api}/draft/actions/publish`;
    links.review = `${api}/draft/review`;
    // `is_draft_and_has_review` of RDMRecordServiceConfig.
    if (currentReview(d.app, item.id) !== undefined) {
      links["submit-review"] = `${api}/draft/actions/submit-review`;
    }
  } else {
    links.draft = `${api}/draft`;
  }
  links.access_links = `${api}/access/links`;
  links.access_grants = `${api}/access/grants`;
  links.access_users = `${api}/access/users`;
  links.access_groups = `${api}/access/groups`;
  links.access_request = `${api}/access/request`;
  links.access = `${api}/access`;
  links.communities = `${api}/communities`;
  links["communities-suggestions"] = `${api}/communities-suggestions`;
  links.requests = `${api}/requests`;
  return links;
}

/**
 * The full `links` of a record or draft (docs/protocol/records.md#record-json), absolute and
 * conditional on the caller.
 */
export function recordLinks(d: DumpContext, loaded: Loaded): Record<string, string> {
  const access = new Access(d.app.records, d.app.flavour === "rdm" ? d.app.requests : undefined);
  return d.app.flavour === "rdm" ? rdmLinks(d, loaded, access) : nrpLinks(d, loaded, access);
}

function communitiesOf(parent: ParentRow): Record<string, unknown> {
  const [first] = parent.communities;
  // RDM's CommunitiesSchema drops empty values, so a record without communities has `{}`.
  return first === undefined ? {} : { default: first, ids: [...parent.communities] };
}

/** RDM's `parent.communities`: ids, default and the communities themselves (`entries`). */
function rdmCommunitiesOf(d: DumpContext, parent: ParentRow): Record<string, unknown> {
  const base = communitiesOf(parent);
  if (parent.communities.length === 0) return base;
  const all = d.app.records.communities();
  const entries = parent.communities.flatMap((id) => {
    const c = all.find((x) => x.id === id);
    if (c === undefined) return [];
    // As the community itself is served, with the links and revision of the copy indexed
    // with the record (recorded `record-after-accept`).
    return [{ ...dumpCommunity(d.origin, c, true), links: {}, revision_id: 1 }];
  });
  return { ...base, entries };
}

/**
 * RDM's `parent.review`: the draft's review request in short (id, type, title, status,
 * receiver, empty links, as InvenioRDM 13 serves it), dumped only for those who may manage or
 * review the draft (`field_dump_permissions`). Its title stays empty even once the request took the
 * record's title on submit: RDM keeps the request as it was set on the parent.
 */
function rdmReviewOf(d: DumpContext, loaded: Loaded): Record<string, unknown> | undefined {
  if (loaded.kind !== "draft") return undefined;
  const access = new Access(d.app.records, d.app.requests);
  if (!access.canManage(d.user, loaded.parent) && !access.isReviewer(d.user, loaded.parent)) {
    return undefined;
  }
  const row = currentReview(d.app, loaded.item.id);
  if (row === undefined) return undefined;
  return {
    id: row.id,
    links: {},
    type: row.type,
    title: "",
    status: row.status,
    receiver: row.receiver,
  };
}

/** `str(datetime)` of Python for the `expires_at` of drafts: no `T`, no offset. */
function pythonDatetime(iso: string): string {
  return iso.replace("T", " ").replace(/\+00:00$/, "");
}

/** How a dump is used; RDM 13 shows file entries differently in each. */
export interface DumpOptions {
  /** Lenient validation's complaints, shown as `errors` when there are some. */
  errors?: FieldError[];
  /**
   * A search hit: oarepo hits carry only `self` and `self_html` links
   * (docs/protocol/records.md#nrp-record-json).
   */
  hit?: boolean;
  /** The answer to the draft's creation (RDM 13 computes `access.status` before files exist). */
  created?: boolean;
  /** A read of a published record: RDM 13 gives its file entries their links. */
  read?: boolean;
}

const ZERO_STATS = {
  views: 0,
  unique_views: 0,
  downloads: 0,
  unique_downloads: 0,
  data_volume: 0.0,
};

/**
 * A file of `files.entries` in an RDM record (RDM 13's `FileSchema` of the record schema): the
 * file's id, checksum, extension, size, type, storage class (not in search hits), key, metadata
 * and access, and on a record read its links.
 */
function rdmEntry(filesUrl: string, row: FileRow, options: DumpOptions): Record<string, unknown> {
  const completed = row.status === "completed";
  const dot = row.key.lastIndexOf(".");
  const out: Record<string, unknown> = { id: row.fileId };
  if (completed) {
    out.checksum = row.checksum;
    out.ext = dot > 0 ? row.key.slice(dot + 1).toLowerCase() : null;
    out.size = row.size;
    out.mimetype = mimetypeOf(row.key);
    if (options.hit !== true) out.storage_class = "L";
  }
  out.key = row.key;
  out.metadata = row.metadata ?? {};
  out.access = { hidden: false };
  if (options.read === true) {
    const self = `${filesUrl}/${encodeKey(row.key)}`;
    out.links = { self, content: `${self}/content` };
  }
  return out;
}

/**
 * InvenioRDM 13's record and draft body (docs/protocol/records.md#rdm-record-json; recorded
 * `draft-create`, `publish`).
 */
function rdmBody(
  d: DumpContext,
  loaded: Loaded,
  options: DumpOptions,
  out: Record<string, unknown>,
): void {
  const { kind, item, parent } = loaded;
  const { app, model } = d;
  const isDraft = kind === "draft";
  const published = isDraft ? app.records.item("record", item.id) !== undefined : true;
  const review = rdmReviewOf(d, loaded);
  out.parent = {
    id: parent.id,
    ...(review === undefined ? {} : { review }),
    access: {
      grants: [],
      owned_by: { user: String(parent.ownerId) },
      links: [],
      settings: {
        allow_user_requests: false,
        allow_guest_requests: false,
        accept_conditions_text: null,
        secret_link_expiration: 0,
      },
    },
    communities: rdmCommunitiesOf(d, parent),
    pids: {},
    is_verified: false,
  };
  out.versions = versionsOf(loaded);
  out.is_published = published;
  out.is_draft = isDraft;
  if (isDraft) out.expires_at = pythonDatetime(item.expiresAt ?? item.created);
  // Published records (and their edit drafts) have an OAI-PMH identifier from RDM's oai provider.
  const oai = { identifier: `oai:${new URL(d.origin).hostname}:${item.id}`, provider: "oai" };
  out.pids = published ? { ...item.pids, oai } : item.pids;
  out.metadata = dereferenceVocabularies(item.data);
  out.custom_fields = {};
  out.access = {
    record: "public",
    files: "public",
    embargo: { active: false, reason: null },
    // RDM's access field knows whether files are enabled only once the record is read back, so
    // the create answer says metadata-only whatever `files.enabled` is.
    status: item.filesEnabled && options.created !== true ? "open" : "metadata-only",
  };
  // RDM's FilesSchema: `entries` keyed by file name (docs/protocol/files.md#file-list), with count
  // and total.
  const rows = app.files.list(kind, item.id);
  const filesUrl = `${d.origin}${apiPrefix(model)}/${item.id}${isDraft ? "/draft" : ""}/files`;
  out.files = {
    enabled: item.filesEnabled,
    order: [],
    count: rows.length,
    total_bytes: rows.reduce((sum, r) => sum + (r.size ?? 0), 0),
    entries: Object.fromEntries(rows.map((r) => [r.key, rdmEntry(filesUrl, r, options)])),
  };
  out.media_files = { enabled: false, order: [], count: 0, total_bytes: 0, entries: {} };
  // invenio-rdm-records' DraftStatus: an unpublished first version is a "draft", a later one a
  // "new_version_draft"; an edit draft of a published record reports "published".
  out.status =
    !isDraft || published ? "published" : item.versionIndex > 1 ? "new_version_draft" : "draft";
  if (!isDraft) out.deletion_status = { is_deleted: false, status: "P" };
  out.internal_notes = [];
  if (!isDraft) out.stats = { this_version: ZERO_STATS, all_versions: ZERO_STATS };
}

function versionsOf(loaded: Loaded): Record<string, unknown> {
  const { item, parent } = loaded;
  return {
    index: item.versionIndex,
    is_latest: parent.latestId === item.id,
    is_latest_draft:
      parent.nextDraftId === null ? parent.latestId === item.id : parent.nextDraftId === item.id,
  };
}

/**
 * A record or draft as the API returns it: oarepo 12's shape
 * (docs/protocol/records.md#nrp-record-json) or InvenioRDM 13's
 * (docs/protocol/records.md#rdm-record-json), with `errors` only when lenient validation had
 * something to say.
 */
export function dumpRecord(
  d: DumpContext,
  loaded: Loaded,
  options: DumpOptions = {},
): Record<string, unknown> {
  const { kind, item, parent } = loaded;
  const { app, model } = d;
  const isDraft = kind === "draft";
  const published = isDraft ? app.records.item("record", item.id) !== undefined : true;
  // NRP hits carry only `self` and `self_html` (docs/protocol/search.md#endpoints): built alone,
  // without the lookups the other links need, since a scan dumps every record this way.
  const links =
    options.hit === true && app.flavour === "nrp" ? nrpHitLinks(d, loaded) : recordLinks(d, loaded);
  const out: Record<string, unknown> = {
    id: item.id,
    created: item.created,
    updated: item.updated,
    links,
    revision_id: item.revisionId,
  };
  if (app.flavour === "rdm") {
    rdmBody(d, loaded, options, out);
  } else {
    out.$schema = schemaId(model);
    if (model.metadata) out.metadata = item.data;
    else Object.assign(out, item.data);
    if (Object.keys(item.pids).length > 0) out.pids = item.pids;
    out.files = { enabled: item.filesEnabled };
    out.parent = {
      id: parent.id,
      communities: communitiesOf(parent),
      ...(parent.workflow === null ? {} : { workflow: parent.workflow }),
    };
    out.versions = versionsOf(loaded);
    out.is_draft = isDraft;
    out.is_published = published;
    if (isDraft) out.expires_at = pythonDatetime(item.expiresAt ?? item.created);
    out.state = isDraft ? "draft" : "published";
    out.state_timestamp = item.updated.replace(/\+00:00$/, "");
  }
  if (options.errors !== undefined && options.errors.length > 0) out.errors = options.errors;
  return out;
}

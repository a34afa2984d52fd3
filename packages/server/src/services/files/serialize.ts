import { bucketId, type FileRow } from "../../store/files.js";
import { mimetypeOf } from "./mimetypes.js";

/** Multipart part URLs stay valid this long (IRR `MultipartStorageExt.multipart_links`: 14 days). */
const PART_LINK_LIFETIME_MS = 14 * 24 * 3600 * 1000;

/**
 * Most parts a multipart upload may declare (S3's limit, which clients already respect): the part
 * links are listed in every answer about a pending file, so an unbounded count would let one
 * request build an answer too large to send.
 */
export const MAX_PARTS = 10_000;

/** A file key as one URL path segment, as a URI template's `{key}` expands it. */
export function encodeKey(key: string): string {
  return encodeURIComponent(key);
}

/**
 * The links of a file item (IRR `FileItem.links` with the multipart transfer's `expand_links`):
 * `self`, `content` (not while a multipart upload is pending: its transfer link is `None`),
 * `commit` on drafts, and `parts` for a pending multipart upload.
 */
export function fileLinks(filesUrl: string, row: FileRow, draft: boolean): Record<string, unknown> {
  const self = `${filesUrl}/${encodeKey(row.key)}`;
  const links: Record<string, unknown> = { self };
  const multipartPending = row.transfer.type === "M" && row.status === "pending";
  if (!multipartPending) links.content = `${self}/content`;
  if (draft) links.commit = `${self}/commit`;
  if (multipartPending) {
    // Naive UTC ISO timestamp, as Python's datetime.isoformat() of the upstream code prints it.
    const expiration = new Date(Date.now() + PART_LINK_LIFETIME_MS)
      .toISOString()
      .replace("Z", "000");
    // Bounded even for a row written before init enforced MAX_PARTS, so it can still be listed.
    const parts = Math.min(row.transfer.parts ?? 0, MAX_PARTS);
    links.parts = Array.from({ length: parts }, (_, i) => ({
      part: i + 1,
      url: `${self}/content/${i + 1}`,
      expiration,
    }));
  }
  return links;
}

/**
 * A file item as IRR v8's `FileSchema` dumps it (protocol §4.2): `size` and `checksum` echo the
 * values declared at init until content is committed; `mimetype`, `storage_class`, `file_id` and
 * `version_id` appear once a file object exists.
 *
 * With `rdm` (RDM 13, recorded `files-init`, `file-entry-pending`, `file-commit`) the file
 * object exists once committed or, for a multipart upload, from its init (with `checksum: null`
 * and no per-part progress); a pending L file has no `bucket_id`, and `metadata` is as stored
 * (`null` until set). With `preview` the item also links its preview page (oarepo-runtime's
 * `links.preview`, recorded `files-init`, `file-entry` of the NRP repository).
 */
export function dumpFile(
  filesUrl: string,
  row: FileRow,
  draft: boolean,
  rdm = false,
  preview = !rdm,
): Record<string, unknown> {
  const completed = row.status === "completed";
  const multipart = row.transfer.type === "M";
  const fileObject = completed || (rdm && multipart);
  const out: Record<string, unknown> = {
    key: row.key,
    created: row.created,
    updated: row.updated,
    metadata: rdm ? row.metadata : (row.metadata ?? {}),
    status: row.status,
  };
  if (!rdm || fileObject) out.bucket_id = bucketId(row.ownerKind, row.ownerId);
  // IRR's FileSchema dumps `access` on every item (`hidden` defaults to false), on both servers.
  out.access = { hidden: false };
  if (fileObject) {
    out.mimetype = mimetypeOf(row.key);
    out.version_id = row.versionId;
    out.file_id = row.fileId;
    out.storage_class = "L";
  }
  const size = completed ? row.size : row.declaredSize;
  if (size !== null) out.size = size;
  const checksum = completed ? row.checksum : row.declaredChecksum;
  if (checksum !== null) out.checksum = checksum;
  else if (rdm && fileObject) out.checksum = null;
  out.transfer = multipart
    ? { type: "M", parts: row.transfer.parts, part_size: row.transfer.part_size }
    : { type: "L" };
  out.links = fileLinks(filesUrl, row, draft);
  if (preview)
    (out.links as Record<string, unknown>).preview = previewLink(filesUrl, row.key, draft);
  return out;
}

/**
 * The UI preview page of a file, as oarepo-runtime links it: `<origin>/<model>/<id>/files/<key>/
 * preview` for a record, `…/<id>/preview/files/<key>/preview` for a draft.
 */
function previewLink(filesUrl: string, key: string, draft: boolean): string {
  const api = filesUrl.replace(/\/draft\/files$|\/files$/, "");
  const ui = api.replace(/\/api\//, "/");
  return `${ui}${draft ? "/preview" : ""}/files/${encodeKey(key)}/preview`;
}

/**
 * The file list (protocol §4.3, IRR `FileList.to_dict`): with files disabled only `enabled` and
 * `links`, no `entries`. RDM 13 also links the files' zip archive.
 */
export function dumpFileList(
  filesUrl: string,
  enabled: boolean,
  rows: readonly FileRow[],
  draft: boolean,
  rdm = false,
  preview = !rdm,
  archive = rdm,
): Record<string, unknown> {
  const links: Record<string, string> = { self: filesUrl };
  if (archive) links.archive = `${filesUrl.slice(0, -"/files".length)}/files-archive`;
  if (!enabled) return { enabled: false, links };
  return {
    enabled: true,
    links,
    entries: rows.map((r) => dumpFile(filesUrl, r, draft, rdm, preview)),
    default_preview: null,
    order: [],
  };
}

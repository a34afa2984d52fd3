import type { Flavour } from "./service.js";

/** InvenioRDM 13's `files.enabled` message when files are enabled but none were uploaded. */
export const MISSING_FILES_MESSAGE =
  "Missing uploaded files. To disable files for this record please mark it as metadata-only.";

/**
 * How the real server a flavour imitates behaves where the two flavours differ. Services read
 * these instead of testing the flavour's name, so each difference is stated once, here, with
 * the evidence for it.
 */
export interface FlavourTraits {
  /**
   * `revision_id` of a new draft (a first version or a new version), by whether its files are
   * enabled. InvenioRDM 13 commits a new draft several times (pids, files, access) before
   * answering: 5 with files enabled, 4 without (recorded `draft-create`, `new-version-create`,
   * `draft-create-invalid`).
   */
  newDraftRevision: { filesEnabled: number; filesDisabled: number };
  /**
   * The `files.enabled` message of a draft with files enabled but none uploaded:
   * invenio-drafts-resources' wording with its hint (`DraftFilesComponent`; the rdm flavour keeps
   * it, no RDM recording shows it), or oarepo 12/13's `Missing uploaded files.` (recorded
   * `oarepo-nrp/draft-update`, `request-create-publish-new-version-no-files-400`).
   */
  missingFilesMessage: string;
  /** How much a draft update raises `revision_id` (RDM 13: 2, recorded `draft-update`). */
  updateRevisionStep: number;
  /** How much deleting one of a draft's files raises the draft's `revision_id` (RDM 13: 2). */
  fileDeleteRevisionStep: number;
  /**
   * Whether content downloads honour `Range` (206, `Accept-Ranges: bytes`). invenio-files-rest
   * does only with `FILES_REST_ALLOW_RANGE_REQUESTS`, which InvenioRDM 13 leaves off (recorded
   * `record-file-content-range`: 200, the whole body); the `rangeRequests` option overrides it.
   */
  rangeRequests: boolean;
  /**
   * The headers of a content download: `files-rest` is invenio-files-rest 3's untrusted
   * `send_stream` as RDM 13 serves it (hex `Content-MD5`, HTML-like types as `text/plain`,
   * `Content-Disposition: inline` without a name unless an attachment); `named` keeps the
   * filename in every disposition and a base64 `Content-MD5`.
   */
  downloadHeaders: "files-rest" | "named";
  /**
   * The largest `size` a record search accepts, as a repository that sets
   * `SearchRequestArgsSchema.max_page_size` does (Zenodo: 25 anonymous, 100 with a token); a
   * larger one is 400 on `size`. Neither InvenioRDM 13 nor NRP sets one; the `maxPageSize` option
   * does.
   */
  maxPageSize: number | undefined;
  /**
   * File items of RDM 13 (recorded `files-init`, `file-commit`, `file-entry-pending`):
   * `metadata` is `null` until the file is read back after its commit, `access` is shown, a
   * pending L file has no file object yet (no `bucket_id`), a pending multipart one has (with
   * `checksum: null`).
   */
  rdmFileItems: boolean;
  /**
   * Whether file items link their UI preview page (`links.preview`): oarepo-runtime adds it
   * (recorded NRP `files-init`, `file-entry`), InvenioRDM 13's API does not.
   */
  filePreviewLinks: boolean;
  /**
   * A `q` the query parser cannot read: `400` (`Invalid query string syntax.`) or `plain-text`
   * (RDM 13 searches its words as plain text, any of them anywhere, and answers 200; recorded
   * `search-invalid-query-200-empty`, whose words match nothing).
   */
  unparseableQuery: "400" | "plain-text";
  /**
   * Whether `metadata.resource_type.id` must name a term of RDM's resource types vocabulary
   * (a hard 400 `Invalid value <id>.` on any load, recorded `draft-create-bad-vocabulary-400`).
   */
  vocabularies: boolean;
  /**
   * Whether `GET <record>` on the API carries the signposting `Link` to its linkset, as RDM 13
   * sends it on every record read (recorded `record-get`); landing pages send it in both.
   */
  apiSignposting: boolean;
  /**
   * The search envelope: RDM 13's invenio-records-resources adds `page` and leaves
   * `aggregations` out of searches without facets (recorded `search-records`, `versions-list`).
   */
  searchEnvelope: "rdm" | "nrp";
  /**
   * Whether an unknown path outside `/api/` is the UI's HTML 404 page (RDM 13, recorded
   * `well-known-repository-404`) rather than Invenio's JSON error body.
   */
  htmlNotFound: boolean;
  /**
   * Metadata a new version does not carry over from the version it starts from (RDM 13 drops
   * `publication_date`, recorded `new-version-create`).
   */
  newVersionDrops: readonly string[];
}

/** The traits of each flavour. */
export const FLAVOUR_TRAITS: Readonly<Record<Flavour, FlavourTraits>> = {
  nrp: {
    newDraftRevision: { filesEnabled: 1, filesDisabled: 1 },
    missingFilesMessage: "Missing uploaded files.",
    updateRevisionStep: 1,
    fileDeleteRevisionStep: 0,
    rangeRequests: true,
    maxPageSize: undefined,
    downloadHeaders: "named",
    rdmFileItems: true,
    filePreviewLinks: true,
    unparseableQuery: "400",
    vocabularies: false,
    apiSignposting: false,
    searchEnvelope: "nrp",
    htmlNotFound: false,
    newVersionDrops: [],
  },
  rdm: {
    newDraftRevision: { filesEnabled: 5, filesDisabled: 4 },
    missingFilesMessage: MISSING_FILES_MESSAGE,
    updateRevisionStep: 2,
    fileDeleteRevisionStep: 2,
    rangeRequests: false,
    maxPageSize: undefined,
    downloadHeaders: "files-rest",
    rdmFileItems: true,
    filePreviewLinks: false,
    unparseableQuery: "plain-text",
    vocabularies: true,
    apiSignposting: true,
    searchEnvelope: "rdm",
    htmlNotFound: true,
    newVersionDrops: ["publication_date"],
  },
};

// The options and results of record calls (reads, creates, the draft/publish workflow).

import type { NRPError } from "../../core/errors.js";
import type { SignalOptions } from "../../core/options.js";
import type { NRPRecord } from "./record.js";

/**
 * A record identifier within one repository: `"datasets/abcde-12345"`,
 * `"draft/datasets/abcde-12345"`, `["datasets","abcde-12345"]`, `["draft","datasets","abcde-12345"]`,
 * or a bare id (`"abcde-12345"`) when the repository has a default model.
 */
export type RecordId = string | readonly string[];

/** Options of every record read. */
export interface RecordReadOptions extends SignalOptions {
  /** Also fetch `links.files` into {@link NRPRecord.files} (one more request). */
  includeFiles?: boolean | undefined;
  /** Also fetch the applicable request types and the record's requests (two more requests). */
  includeRequests?: boolean | undefined;
  /** Ask the server to resolve references (`?expand=true`, protocol §3.3.3). */
  expand?: boolean | undefined;
}

/** Options of {@link Records.getById}. */
export interface GetByIdOptions extends RecordReadOptions {
  /** Read the draft (`…/<id>/draft`) instead of the published record. */
  draft?: boolean | undefined;
}

/** Options of {@link Records.create}. */
export interface CreateRecordOptions extends SignalOptions {
  /**
   * Community slug or UUID the draft is meant for. On NRP it goes into
   * `parent.communities.default` (protocol §8.1); on InvenioRDM the draft gets a
   * community-submission review addressed to the community (`PUT …/draft/review`), which
   * {@link NRPRecord.publish} submits to its curators. An unknown community fails with code
   * `NRP_UNKNOWN_COMMUNITY` before anything is created.
   */
  community?: string | undefined;
  /** Workflow code for `parent.workflow`; the community's default when absent. */
  workflow?: string | undefined;
  /**
   * Whether the draft accepts files (`files.enabled`); a draft with files enabled but none uploaded
   * cannot be published.
   * @default true
   */
  filesEnabled?: boolean | undefined;
}

/**
 * Options of {@link Records.createMany}. Aborting the `signal` stops starting new items; running
 * creates are aborted too.
 */
export interface CreateManyOptions extends SignalOptions {
  /**
   * How many creates run at once.
   * @default 4
   */
  concurrency?: number | undefined;
  /** Community for every item, as in {@link CreateRecordOptions.community}. */
  community?: string | undefined;
  /** Workflow for every item. */
  workflow?: string | undefined;
  /** `files.enabled` for every item. @default true */
  filesEnabled?: boolean | undefined;
  /** Called after each item with the number finished so far and how many of them failed. */
  onProgress?: ((done: number, failed: number) => void) | undefined;
}

/** One item's outcome in {@link Records.createMany}: `index` is its position in the input. */
export type CreateManyResult =
  { index: number; ok: true; record: NRPRecord } | { index: number; ok: false; error: NRPError };

/** Options of the calls that change a record: just the `signal`. */
export type RecordActionOptions = SignalOptions;

/** Options of {@link NRPRecord.publish}. */
export interface PublishOptions extends RecordActionOptions {
  /** Stored as `metadata.version` (saved first) before publishing. */
  version?: string | undefined;
}

/** Options of {@link NRPRecord.newVersion}. */
export interface NewVersionOptions extends RecordActionOptions {
  /**
   * Carry the files of this version over to the new one: the new draft imports them
   * (`POST …/draft/actions/files-import`), on NRP and InvenioRDM alike, since neither server
   * copies them into a new version and a draft with files enabled but none cannot be published.
   * On NRP the `new_version` request also carries `keep_files: "yes"`, for a curator's accept.
   */
  keepFiles?: boolean | undefined;
}

/** Options of {@link NRPRecord.delete}. */
export interface DeleteRecordOptions extends RecordActionOptions {
  /**
   * Why a published record is removed; required for published records, ignored for drafts. On
   * NRP the `removal_reason` of the `delete_published_record` request (free text); on
   * InvenioRDM the id of a `removalreasons` vocabulary entry (`duplicate`, `retracted`,
   * `replaced`, `spam`, `test-record`, `copyright`, `personal-data`, `take-down-request`,
   * `disputed-authorship`, `misconduct`, `fraud`, `out-of-scope` by default).
   */
  removalReason?: string | undefined;
  /** An optional note: for the curator (NRP), or kept in the tombstone (InvenioRDM). */
  note?: string | undefined;
}

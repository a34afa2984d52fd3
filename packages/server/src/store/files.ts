import { createHash } from "node:crypto";
import type { Database, Statement } from "better-sqlite3";
import type { BlobStore } from "./blobs.js";
import type { ItemKind } from "./records.js";
import { statementCache } from "./statements.js";

/**
 * How a file's content arrives: `L` in one PUT, `M` in parts (docs/protocol/files.md#local-upload,
 * docs/protocol/files.md#multipart-upload).
 */
export interface TransferInfo {
  type: "L" | "M";
  /** Multipart only: the number of parts declared at init. */
  parts?: number;
  /** Multipart only: the size of every part but the last. */
  part_size?: number;
}

/** `pending` until committed, then `completed` (IRR `TransferStatus`). */
export type FileStatus = "pending" | "completed";

/** A file of a draft or a published record, as stored. */
export interface FileRow {
  ownerKind: ItemKind;
  ownerId: string;
  key: string;
  /** Keeps the list in the order files were initialised. */
  position: number;
  fileId: string;
  versionId: string;
  /** `null` until set (RDM 13 shows it so until the file is read back after its commit). */
  metadata: Record<string, unknown> | null;
  transfer: TransferInfo;
  status: FileStatus;
  /** `size` given at init, echoed until content exists. */
  declaredSize: number | null;
  /** `checksum` given at init, echoed until content exists. */
  declaredChecksum: string | null;
  /** Name of the content file under the blob directory; `null` before any content arrived. */
  blobId: string | null;
  /** Size of the committed content. */
  size: number | null;
  /** `md5:<hex>` of the committed content. */
  checksum: string | null;
  /** MD5 (hex) of the content uploaded with a single PUT, computed while it streamed in. */
  uploadMd5: string | null;
  /** Multipart: part numbers received completely. */
  partsDone: number[];
  created: string;
  updated: string;
}

interface FileSql {
  owner_kind: ItemKind;
  owner_id: string;
  key: string;
  position: number;
  file_id: string;
  version_id: string;
  metadata: string;
  transfer: string;
  status: FileStatus;
  declared_size: number | null;
  declared_checksum: string | null;
  blob_id: string | null;
  size: number | null;
  checksum: string | null;
  upload_md5: string | null;
  parts_done: string;
  created: string;
  updated: string;
}

function toRow(sql: FileSql): FileRow {
  return {
    ownerKind: sql.owner_kind,
    ownerId: sql.owner_id,
    key: sql.key,
    position: sql.position,
    fileId: sql.file_id,
    versionId: sql.version_id,
    metadata: JSON.parse(sql.metadata) as Record<string, unknown> | null,
    transfer: JSON.parse(sql.transfer) as TransferInfo,
    status: sql.status,
    declaredSize: sql.declared_size,
    declaredChecksum: sql.declared_checksum,
    blobId: sql.blob_id,
    size: sql.size,
    checksum: sql.checksum,
    uploadMd5: sql.upload_md5,
    partsDone: JSON.parse(sql.parts_done) as number[],
    created: sql.created,
    updated: sql.updated,
  };
}

/**
 * A stable UUID for the bucket of a draft or record (Invenio gives each one a bucket), derived
 * from the owner so that it needs no storage.
 */
export function bucketId(kind: ItemKind, id: string): string {
  const hex = createHash("sha1").update(`${kind}:${id}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * File rows and their content blobs. Rows change inside the record transactions; blobs are
 * removed afterwards, and only when no row (of any draft or record) names them any more.
 */
export class FileStore {
  private readonly db: Database;
  /** The blobs the rows name. */
  readonly blobs: BlobStore;

  /** Statements prepared once (an upload reads and writes its file row several times). */
  readonly #prepared: (sql: string) => Statement;

  constructor(db: Database, blobs: BlobStore) {
    this.db = db;
    this.blobs = blobs;
    this.#prepared = statementCache(db);
  }

  /** True when a pending row names the blob (its parts are still wanted). */
  pendingUpload(blobId: string): boolean {
    return (
      this.#prepared("SELECT 1 FROM files WHERE blob_id = ? AND status = 'pending' LIMIT 1").get(
        blobId,
      ) !== undefined
    );
  }

  /** The files of a draft or record, in the order they were initialised. */
  list(kind: ItemKind, ownerId: string): FileRow[] {
    const rows = this.#prepared(
      "SELECT * FROM files WHERE owner_kind = ? AND owner_id = ? ORDER BY position, rowid",
    ).all(kind, ownerId) as FileSql[];
    return rows.map(toRow);
  }

  get(kind: ItemKind, ownerId: string, key: string): FileRow | undefined {
    const row = this.#prepared(
      "SELECT * FROM files WHERE owner_kind = ? AND owner_id = ? AND key = ?",
    ).get(kind, ownerId, key) as FileSql | undefined;
    return row === undefined ? undefined : toRow(row);
  }

  count(kind: ItemKind, ownerId: string): number {
    const row = this.#prepared(
      "SELECT COUNT(*) AS n FROM files WHERE owner_kind = ? AND owner_id = ?",
    ).get(kind, ownerId) as { n: number };
    return row.n;
  }

  /** Inserts or replaces a file row. */
  put(row: FileRow): void {
    this.#prepared(
      `INSERT OR REPLACE INTO files (owner_kind, owner_id, key, position, file_id, version_id,
           metadata, transfer, status, declared_size, declared_checksum, blob_id, size, checksum,
           upload_md5, parts_done, created, updated)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      row.ownerKind,
      row.ownerId,
      row.key,
      row.position,
      row.fileId,
      row.versionId,
      JSON.stringify(row.metadata),
      JSON.stringify(row.transfer),
      row.status,
      row.declaredSize,
      row.declaredChecksum,
      row.blobId,
      row.size,
      row.checksum,
      row.uploadMd5,
      JSON.stringify(row.partsDone),
      row.created,
      row.updated,
    );
  }

  /** Next position for a new file of this owner. */
  nextPosition(kind: ItemKind, ownerId: string): number {
    const row = this.#prepared(
      "SELECT COALESCE(MAX(position), -1) + 1 AS p FROM files WHERE owner_kind = ? AND owner_id = ?",
    ).get(kind, ownerId) as { p: number };
    return row.p;
  }

  /**
   * Deletes one file row.
   * @returns blob ids that may have become unreferenced (pass them to `collect`)
   */
  delete(kind: ItemKind, ownerId: string, key: string): string[] {
    const row = this.get(kind, ownerId, key);
    if (row === undefined) return [];
    this.#prepared("DELETE FROM files WHERE owner_kind = ? AND owner_id = ? AND key = ?").run(
      kind,
      ownerId,
      key,
    );
    return row.blobId === null ? [] : [row.blobId];
  }

  /**
   * Deletes every file of a draft or record.
   * @returns blob ids that may have become unreferenced
   */
  deleteAll(kind: ItemKind, ownerId: string): string[] {
    const blobs = this.list(kind, ownerId)
      .map((r) => r.blobId)
      .filter((b): b is string => b !== null);
    this.#prepared("DELETE FROM files WHERE owner_kind = ? AND owner_id = ?").run(kind, ownerId);
    return blobs;
  }

  /**
   * Makes `to`'s files the same as `from`'s, sharing their blobs (IDR `files.copy` /
   * `files.sync(delete_extras=True)`: object versions are linked, not duplicated).
   * @returns blob ids that may have become unreferenced
   */
  replaceAll(
    from: { kind: ItemKind; id: string },
    to: { kind: ItemKind; id: string },
    now: string,
  ): string[] {
    const orphans = this.deleteAll(to.kind, to.id);
    for (const row of this.list(from.kind, from.id)) {
      this.put({ ...row, ownerKind: to.kind, ownerId: to.id, updated: now });
    }
    return orphans;
  }

  /** True when some row still names the blob. */
  referenced(blobId: string): boolean {
    return (
      this.#prepared("SELECT 1 FROM files WHERE blob_id = ? LIMIT 1").get(blobId) !== undefined
    );
  }

  /**
   * Removes what a previous run left behind (see `BlobStore.sweep`): staging files, parts of
   * multipart files no longer pending, and blobs no row names.
   */
  async sweep(): Promise<void> {
    await this.blobs.sweep({
      referenced: (blobId) => this.referenced(blobId),
      pending: (blobId) => this.pendingUpload(blobId),
    });
  }

  /**
   * Removes the blobs that no row names any more, and the staged parts of those no pending row
   * names (best effort: a failure leaves a stray file, which the next start-up sweep removes).
   */
  async collect(blobIds: readonly string[]): Promise<void> {
    const unpending: string[] = [];
    for (const blobId of new Set(blobIds)) {
      if (!this.pendingUpload(blobId)) unpending.push(blobId);
      if (this.referenced(blobId)) continue;
      await this.blobs.remove([blobId]);
    }
    await this.blobs.removeParts(unpending);
  }
}

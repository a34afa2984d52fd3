import type { Database, Statement } from "better-sqlite3";
import type { ResolvedCommunity } from "../config/types.js";
import { FieldIndexer, parentDocument } from "./field-index.js";
import { statementCache } from "./statements.js";

/** A parent: what all versions of one record share (invenio-drafts-resources' ParentRecord). */
export interface ParentRow {
  id: string;
  model: string;
  ownerId: number;
  /** Community UUIDs, the default first. */
  communities: string[];
  workflow: string | null;
  /** Newest published version, if any. */
  latestId: string | null;
  latestIndex: number;
  /** A draft of a version not yet published (the first one, or a new version). */
  nextDraftId: string | null;
  created: string;
  updated: string;
}

/** A published record or an open draft, as stored. */
export interface ItemRow {
  id: string;
  parentId: string;
  model: string;
  versionIndex: number;
  /** The user data: `metadata` for models with `metadata: true`, else the top-level fields. */
  data: Record<string, unknown>;
  filesEnabled: boolean;
  /** External identifiers, e.g. `{doi: {identifier, provider, client}}`. */
  pids: Record<string, unknown>;
  revisionId: number;
  created: string;
  updated: string;
  /** Drafts only. */
  expiresAt?: string;
}

/** A community as stored: its configuration and when it was first seeded (or created). */
export interface StoredCommunity extends ResolvedCommunity {
  created: string;
  /** `metadata.description` of a community created through the API. */
  description: string | null;
}

/** Which table an item lives in. */
export type ItemKind = "record" | "draft";

interface ParentSql {
  id: string;
  model: string;
  owner_id: number;
  communities: string;
  workflow: string | null;
  latest_id: string | null;
  latest_index: number;
  next_draft_id: string | null;
  created: string;
  updated: string;
}

/**
 * A `records` or `drafts` row as SQLite returns it; the search listing reads the same rows.
 * `expires_at` exists on drafts only (NULL when a listing unions records with drafts).
 */
export interface ItemSql {
  id: string;
  parent_id: string;
  model: string;
  version_index: number;
  data: string;
  files_enabled: number;
  pids: string;
  revision_id: number;
  created: string;
  updated: string;
  expires_at?: string | null;
}

function jsonObject(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function jsonStrings(text: string): string[] {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** Community members by role, as stored; a community stored before roles existed has none. */
function jsonRoles(text: string): Record<string, string[]> {
  const value: unknown = JSON.parse(text);
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value).map(([role, members]) => [
      role,
      Array.isArray(members) ? members.filter((m): m is string => typeof m === "string") : [],
    ]),
  );
}

function toParent(row: ParentSql): ParentRow {
  return {
    id: row.id,
    model: row.model,
    ownerId: row.owner_id,
    communities: jsonStrings(row.communities),
    workflow: row.workflow,
    latestId: row.latest_id,
    latestIndex: row.latest_index,
    nextDraftId: row.next_draft_id,
    created: row.created,
    updated: row.updated,
  };
}

/**
 * What a search page reads of each item (`i`, a `records` or `drafts` row) and of its parent
 * (`p`, joined), as the raw row `itemWithParent` takes: a page holds up to a thousand hits, and
 * arrays in a fixed column order cost far less to build than an object per row with a property
 * per column. The parent's id and model are the item's own columns (every version of a record
 * has its parent's model): reading them twice cost a fifth of the page's read.
 */
export function itemWithParentColumns(kind: ItemKind): string {
  return [
    ...["i.rowid", "i.id", "i.parent_id", "i.model", "i.version_index", "i.data"],
    ...["i.files_enabled", "i.pids", "i.revision_id", "i.created", "i.updated"],
    kind === "draft" ? "i.expires_at" : "NULL",
    ...["p.owner_id", "p.communities", "p.workflow", "p.latest_id"],
    ...["p.latest_index", "p.next_draft_id", "p.created", "p.updated"],
  ].join(", ");
}

/** An item, its rowid and its parent (`undefined` when none joined) from a raw row of `itemWithParentColumns`. */
export function itemWithParent(row: readonly unknown[]): {
  rid: number;
  item: ItemRow;
  parent: ParentRow | undefined;
} {
  const item = toItem({
    id: row[1] as string,
    parent_id: row[2] as string,
    model: row[3] as string,
    version_index: row[4] as number,
    data: row[5] as string,
    files_enabled: row[6] as number,
    pids: row[7] as string,
    revision_id: row[8] as number,
    created: row[9] as string,
    updated: row[10] as string,
    expires_at: row[11] as string | null,
  });
  // `owner_id` is never NULL in a parent row: NULL there means no parent was joined.
  const parent =
    typeof row[12] === "number"
      ? toParent({
          id: item.parentId,
          model: item.model,
          owner_id: row[12],
          communities: row[13] as string,
          workflow: row[14] as string | null,
          latest_id: row[15] as string | null,
          latest_index: row[16] as number,
          next_draft_id: row[17] as string | null,
          created: row[18] as string,
          updated: row[19] as string,
        })
      : undefined;
  return { rid: row[0] as number, item, parent };
}

/** The stored form of an item row: its JSON columns parsed, its flags as booleans. */
export function toItem(row: ItemSql): ItemRow {
  const item: ItemRow = {
    id: row.id,
    parentId: row.parent_id,
    model: row.model,
    versionIndex: row.version_index,
    data: jsonObject(row.data),
    filesEnabled: row.files_enabled !== 0,
    pids: jsonObject(row.pids),
    revisionId: row.revision_id,
    created: row.created,
    updated: row.updated,
  };
  if (row.expires_at !== undefined && row.expires_at !== null) item.expiresAt = row.expires_at;
  return item;
}

let lastMicros = 0;

/**
 * The current time as Invenio dumps it (`2025-01-14T10:12:33.123456+00:00`), strictly increasing
 * within the process so that "newest first" orders are stable.
 */
export function timestamp(): string {
  let micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  if (micros <= lastMicros) micros = lastMicros + 1;
  lastMicros = micros;
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  const fraction = String(micros % 1_000_000).padStart(6, "0");
  return `${iso.slice(0, 19)}.${fraction}+00:00`;
}

/** Parents, records, drafts, communities and persistent identifiers in SQLite. */
export class RecordStore {
  /** The connection, for the search service's generated SQL. */
  readonly db: Database;
  readonly #fields: FieldIndexer;
  /**
   * Statements prepared once: 1000 creates took 1.48 -> 1.23 s of devserver CPU once every
   * statement of the pid, parent and item writes was kept.
   */
  readonly #prepared: (sql: string) => Statement;

  constructor(db: Database) {
    this.db = db;
    this.#prepared = statementCache(db);
    this.#fields = new FieldIndexer(db);
  }

  /** Runs `fn` in one transaction, so a request's changes land together or not at all. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Creates or updates the configured communities; ones no longer configured are kept for their records. */
  seedCommunities(communities: readonly ResolvedCommunity[]): void {
    const upsert = this.db.prepare(
      `INSERT INTO communities (id, slug, title, curators, roles, created) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET slug = excluded.slug, title = excluded.title,
         curators = excluded.curators, roles = excluded.roles`,
    );
    const clearSlug = this.db.prepare("DELETE FROM communities WHERE slug = ? AND id <> ?");
    this.transaction(() => {
      for (const c of communities) {
        clearSlug.run(c.slug, c.id);
        upsert.run(
          c.id,
          c.slug,
          c.title,
          JSON.stringify(c.curators),
          JSON.stringify(c.roles),
          timestamp(),
        );
      }
    });
  }

  /** A community by UUID or slug (oarepo resolves either, docs/protocol/communities.md#on-nrp). */
  community(idOrSlug: string): ResolvedCommunity | undefined {
    const row = this.#prepared(
      "SELECT id, slug, title, curators, roles FROM communities WHERE id = ? OR slug = ?",
    ).get(idOrSlug.toLowerCase(), idOrSlug) as
      { id: string; slug: string; title: string; curators: string; roles: string } | undefined;
    if (row === undefined) return undefined;
    return {
      id: row.id,
      slug: row.slug,
      title: row.title,
      curators: jsonStrings(row.curators),
      roles: jsonRoles(row.roles),
    };
  }

  /** Every community, oldest first, with the time it was first seeded. */
  communities(): StoredCommunity[] {
    const rows = this.#prepared(
      `SELECT id, slug, title, curators, roles, created, description FROM communities
         ORDER BY created, id`,
    ).all() as (Omit<StoredCommunity, "curators" | "roles"> & {
      curators: string;
      roles: string;
    })[];
    return rows.map((row) => ({
      ...row,
      curators: jsonStrings(row.curators),
      roles: jsonRoles(row.roles),
    }));
  }

  /** Adds a community created through the API; `false` when its slug is taken. */
  insertCommunity(community: StoredCommunity): boolean {
    const { changes } = this.db
      .prepare(
        `INSERT INTO communities (id, slug, title, curators, roles, created, description)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(
        community.id,
        community.slug,
        community.title,
        JSON.stringify(community.curators),
        JSON.stringify(community.roles),
        community.created,
        community.description,
      );
    return changes > 0;
  }

  /** Whether a persistent identifier of `type` is taken (ids must be unique across parents and records). */
  pidExists(type: string, value: string): boolean {
    return (
      this.#prepared("SELECT 1 FROM pids WHERE pid_type = ? AND pid_value = ?").get(type, value) !==
      undefined
    );
  }

  /** Registers (or re-points) a persistent identifier. */
  putPid(type: string, value: string, objectType: string, objectId: string, status: string): void {
    this.#prepared(
      `INSERT INTO pids (pid_type, pid_value, object_type, object_id, status, created)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(pid_type, pid_value) DO UPDATE SET object_type = excluded.object_type,
           object_id = excluded.object_id, status = excluded.status`,
    ).run(type, value, objectType, objectId, status, timestamp());
  }

  /** Resolves a persistent identifier to what it names. */
  pid(
    type: string,
    value: string,
  ): { objectType: string; objectId: string; status: string } | undefined {
    const row = this.#prepared(
      "SELECT object_type, object_id, status FROM pids WHERE pid_type = ? AND pid_value = ?",
    ).get(type, value) as { object_type: string; object_id: string; status: string } | undefined;
    return row === undefined
      ? undefined
      : { objectType: row.object_type, objectId: row.object_id, status: row.status };
  }

  /** Removes a persistent identifier (a never-published draft that is deleted). */
  deletePid(type: string, value: string): void {
    this.#prepared("DELETE FROM pids WHERE pid_type = ? AND pid_value = ?").run(type, value);
  }

  parent(id: string): ParentRow | undefined {
    const row = this.#prepared("SELECT * FROM parents WHERE id = ?").get(id) as
      ParentSql | undefined;
    return row === undefined ? undefined : toParent(row);
  }

  insertParent(parent: ParentRow): void {
    const { lastInsertRowid } = this.#prepared(
      `INSERT INTO parents (id, model, owner_id, communities, workflow, latest_id, latest_index,
           next_draft_id, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      parent.id,
      parent.model,
      parent.ownerId,
      JSON.stringify(parent.communities),
      parent.workflow,
      parent.latestId,
      parent.latestIndex,
      parent.nextDraftId,
      parent.created,
      parent.updated,
    );
    this.#indexParent(lastInsertRowid, parent);
  }

  /** Replaces a parent's field index entries (what `parent.*` queries match). */
  #indexParent(rid: number | bigint, parent: ParentRow): void {
    this.#fields.clear("parent", rid);
    this.#fields.add(
      "parent",
      rid,
      parent.model,
      parentDocument(parent.id, parent.communities, parent.workflow),
    );
  }

  /** Saves the version state of a parent. */
  updateParent(parent: ParentRow): void {
    this.#prepared(
      `UPDATE parents SET communities = ?, workflow = ?, latest_id = ?, latest_index = ?,
           next_draft_id = ?, updated = ? WHERE id = ?`,
    ).run(
      JSON.stringify(parent.communities),
      parent.workflow,
      parent.latestId,
      parent.latestIndex,
      parent.nextDraftId,
      parent.updated,
      parent.id,
    );
    const rid = this.#prepared("SELECT rowid FROM parents WHERE id = ?").pluck().get(parent.id) as
      number | undefined;
    if (rid !== undefined) this.#indexParent(rid, parent);
  }

  deleteParent(id: string): void {
    this.#prepared("DELETE FROM parents WHERE id = ?").run(id);
  }

  /** A published record or a draft by id. */
  item(kind: ItemKind, id: string): ItemRow | undefined {
    const table = kind === "draft" ? "drafts" : "records";
    const row = this.#prepared(`SELECT * FROM ${table} WHERE id = ?`).get(id) as
      ItemSql | undefined;
    return row === undefined ? undefined : toItem(row);
  }

  /** Inserts or replaces a published record or a draft, and its field index entries. */
  putItem(kind: ItemKind, item: ItemRow): void {
    const table = kind === "draft" ? "drafts" : "records";
    const values = [
      item.id,
      item.parentId,
      item.model,
      item.versionIndex,
      JSON.stringify(item.data),
      item.filesEnabled ? 1 : 0,
      JSON.stringify(item.pids),
      item.revisionId,
      item.created,
      item.updated,
    ];
    // REPLACE removes the old row without firing delete triggers, so its entries go first.
    const old = this.#prepared(`SELECT rowid FROM ${table} WHERE id = ?`).pluck().get(item.id) as
      number | undefined;
    if (old !== undefined) this.#fields.clear(kind, old);
    const { lastInsertRowid } =
      kind === "draft"
        ? this.#prepared(
            `INSERT OR REPLACE INTO drafts (id, parent_id, model, version_index, data,
                 files_enabled, pids, revision_id, created, updated, expires_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          ).run(...values, item.expiresAt ?? item.created)
        : this.#prepared(
            `INSERT OR REPLACE INTO records (id, parent_id, model, version_index, data,
                 files_enabled, pids, revision_id, created, updated)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          ).run(...values);
    this.#fields.clear(kind, lastInsertRowid);
    this.#fields.add(kind, lastInsertRowid, item.model, item.data);
  }

  /** Deletes a published record or a draft; triggers drop its full-text and field entries. */
  deleteItem(kind: ItemKind, id: string): void {
    this.#prepared(`DELETE FROM ${kind === "draft" ? "drafts" : "records"} WHERE id = ?`).run(id);
  }

  /** The published versions of a parent, newest version first. */
  versions(parentId: string): ItemRow[] {
    const rows = this.#prepared(
      "SELECT * FROM records WHERE parent_id = ? ORDER BY version_index DESC",
    ).all(parentId) as ItemSql[];
    return rows.map(toItem);
  }

  /** Published records, optionally of one model, newest first. */
  published(model: string | undefined): ItemRow[] {
    const rows = (
      model === undefined
        ? this.db.prepare("SELECT * FROM records ORDER BY created DESC, rowid DESC").all()
        : this.db
            .prepare("SELECT * FROM records WHERE model = ? ORDER BY created DESC, rowid DESC")
            .all(model)
    ) as ItemSql[];
    return rows.map(toItem);
  }

  /**
   * What a user's dashboard lists: every draft of theirs, plus each published record of theirs
   * that has no open draft, newest first.
   */
  owned(ownerId: number, model: string | undefined): { kind: ItemKind; item: ItemRow }[] {
    const filter = model === undefined ? "" : "AND p.model = ?";
    const args: unknown[] = model === undefined ? [ownerId, ownerId] : [ownerId, model, ownerId];
    if (model !== undefined) args.push(model);
    const rows = this.db
      .prepare(
        `SELECT 'draft' AS kind, d.* FROM drafts d JOIN parents p ON p.id = d.parent_id
           WHERE p.owner_id = ? ${filter}
         UNION ALL
         SELECT 'record' AS kind, r.*, NULL AS expires_at FROM records r
           JOIN parents p ON p.id = r.parent_id
           WHERE p.owner_id = ? ${filter} AND r.id NOT IN (SELECT id FROM drafts)
         ORDER BY created DESC`,
      )
      .all(...args) as (ItemSql & { kind: ItemKind })[];
    return rows.map((row) => ({ kind: row.kind, item: toItem(row) }));
  }
}

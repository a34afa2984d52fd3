import type { Database } from "better-sqlite3";
import {
  FieldIndexer,
  PARENT_INDEX_TRIGGER,
  REBUILD_FIELD_COUNTS,
  fieldCountTriggers,
  fieldIndexTables,
  parentDocument,
} from "./field-index.js";

/** One forward-only schema change; later capabilities append theirs to `MIGRATIONS`. */
export interface Migration {
  /** Strictly increasing, starting at 1. */
  version: number;
  /** Short description recorded in `schema_migrations`. */
  name: string;
  /** SQL script (or function) that moves the schema from `version - 1` to `version`. */
  up: string | ((db: Database) => void);
}

/** The text of a row's JSON, as the full-text tables index it. */
const rowText = (row: string): string =>
  `(SELECT group_concat(value, ' ') FROM json_tree(${row}.data) WHERE type = 'text')`;

/**
 * A full-text table `<table>_fts` over `<table>`, filled from its rows and kept in sync by triggers;
 * records and drafts are indexed the same way.
 */
function fullTextTable(table: string): string {
  return `
      CREATE VIRTUAL TABLE ${table}_fts USING fts5(text, tokenize = 'unicode61');
      INSERT INTO ${table}_fts (rowid, text) SELECT rowid, ${rowText(table)} FROM ${table};
      CREATE TRIGGER ${table}_fts_insert AFTER INSERT ON ${table} BEGIN
        INSERT OR REPLACE INTO ${table}_fts (rowid, text) VALUES (NEW.rowid, ${rowText("NEW")});
      END;
      CREATE TRIGGER ${table}_fts_update AFTER UPDATE ON ${table} BEGIN
        DELETE FROM ${table}_fts WHERE rowid = OLD.rowid;
        INSERT OR REPLACE INTO ${table}_fts (rowid, text) VALUES (NEW.rowid, ${rowText("NEW")});
      END;
      CREATE TRIGGER ${table}_fts_delete AFTER DELETE ON ${table} BEGIN
        DELETE FROM ${table}_fts WHERE rowid = OLD.rowid;
      END;`;
}

/** The schema history, oldest first. Never edit an applied entry: append a new one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "meta, users and tokens",
    up: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      CREATE TABLE users (
        id       INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        email    TEXT NOT NULL UNIQUE,
        roles    TEXT NOT NULL DEFAULT '[]',
        created  TEXT NOT NULL
      );
      CREATE TABLE tokens (
        token   TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name    TEXT NOT NULL,
        created TEXT NOT NULL
      );
      CREATE INDEX tokens_user ON tokens(user_id);
    `,
  },
  {
    version: 2,
    name: "communities, parents, records, drafts and persistent identifiers",
    // One row per published record and per open draft; a parent groups the versions and holds
    // the version state (latest published, next draft) as invenio-drafts-resources' ParentState.
    up: `
      CREATE TABLE communities (
        id       TEXT PRIMARY KEY,
        slug     TEXT NOT NULL UNIQUE,
        title    TEXT NOT NULL,
        curators TEXT NOT NULL DEFAULT '[]',
        created  TEXT NOT NULL
      );
      CREATE TABLE parents (
        id            TEXT PRIMARY KEY,
        model         TEXT NOT NULL,
        owner_id      INTEGER NOT NULL REFERENCES users(id),
        communities   TEXT NOT NULL DEFAULT '[]',
        workflow      TEXT,
        latest_id     TEXT,
        latest_index  INTEGER NOT NULL DEFAULT 0,
        next_draft_id TEXT,
        created       TEXT NOT NULL,
        updated       TEXT NOT NULL
      );
      CREATE INDEX parents_owner ON parents(owner_id, model);
      CREATE TABLE records (
        id            TEXT PRIMARY KEY,
        parent_id     TEXT NOT NULL REFERENCES parents(id),
        model         TEXT NOT NULL,
        version_index INTEGER NOT NULL,
        data          TEXT NOT NULL,
        files_enabled INTEGER NOT NULL,
        pids          TEXT NOT NULL DEFAULT '{}',
        revision_id   INTEGER NOT NULL,
        created       TEXT NOT NULL,
        updated       TEXT NOT NULL
      );
      CREATE INDEX records_parent ON records(parent_id);
      CREATE INDEX records_model ON records(model, created);
      CREATE TABLE drafts (
        id            TEXT PRIMARY KEY,
        parent_id     TEXT NOT NULL REFERENCES parents(id),
        model         TEXT NOT NULL,
        version_index INTEGER NOT NULL,
        data          TEXT NOT NULL,
        files_enabled INTEGER NOT NULL,
        pids          TEXT NOT NULL DEFAULT '{}',
        revision_id   INTEGER NOT NULL,
        created       TEXT NOT NULL,
        updated       TEXT NOT NULL,
        expires_at    TEXT NOT NULL
      );
      CREATE INDEX drafts_parent ON drafts(parent_id);
      CREATE TABLE pids (
        pid_type    TEXT NOT NULL,
        pid_value   TEXT NOT NULL COLLATE NOCASE,
        object_type TEXT NOT NULL,
        object_id   TEXT NOT NULL,
        status      TEXT NOT NULL,
        created     TEXT NOT NULL,
        PRIMARY KEY (pid_type, pid_value)
      );
    `,
  },
  {
    version: 3,
    name: "files of drafts and records",
    // One row per file of a draft or a published record. Contents live in `<dataDir>/files/<blob>`;
    // a published record and the drafts made from it share blobs (IDR links the object versions
    // instead of copying them), so a blob is removed only when no row names it any more.
    up: `
      CREATE TABLE files (
        owner_kind   TEXT NOT NULL,
        owner_id     TEXT NOT NULL,
        key          TEXT NOT NULL,
        position     INTEGER NOT NULL,
        file_id      TEXT NOT NULL,
        version_id   TEXT NOT NULL,
        metadata     TEXT NOT NULL DEFAULT '{}',
        transfer     TEXT NOT NULL,
        status       TEXT NOT NULL,
        declared_size INTEGER,
        declared_checksum TEXT,
        blob_id      TEXT,
        size         INTEGER,
        checksum     TEXT,
        upload_md5   TEXT,
        parts_done   TEXT NOT NULL DEFAULT '[]',
        created      TEXT NOT NULL,
        updated      TEXT NOT NULL,
        PRIMARY KEY (owner_kind, owner_id, key)
      );
      CREATE INDEX files_blob ON files(blob_id);
    `,
  },
  {
    version: 4,
    name: "requests, their events and removed records",
    // invenio-requests keeps a request's references as one-key dicts; `receiver` is that dict as
    // JSON (NULL never happens here, auto-approved types name `{"auto_approve": "true"}`).
    // A removed record keeps its id answering 410, as RDM's tombstones do.
    up: `
      CREATE TABLE requests (
        id          TEXT PRIMARY KEY,
        number      INTEGER NOT NULL UNIQUE,
        type        TEXT NOT NULL,
        title       TEXT NOT NULL DEFAULT '',
        description TEXT,
        status      TEXT NOT NULL,
        created_by  INTEGER NOT NULL REFERENCES users(id),
        receiver    TEXT,
        topic_model TEXT NOT NULL,
        topic_id    TEXT NOT NULL,
        payload     TEXT NOT NULL DEFAULT '{}',
        expires_at  TEXT,
        revision_id INTEGER NOT NULL,
        created     TEXT NOT NULL,
        updated     TEXT NOT NULL
      );
      CREATE INDEX requests_topic ON requests(topic_model, topic_id);
      CREATE TABLE request_events (
        id          TEXT PRIMARY KEY,
        request_id  TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
        type        TEXT NOT NULL,
        created_by  INTEGER,
        payload     TEXT NOT NULL,
        revision_id INTEGER NOT NULL,
        created     TEXT NOT NULL,
        updated     TEXT NOT NULL
      );
      CREATE INDEX request_events_request ON request_events(request_id);
      CREATE TABLE removed_records (
        id             TEXT PRIMARY KEY,
        model          TEXT NOT NULL,
        parent_id      TEXT NOT NULL,
        removal_reason TEXT NOT NULL,
        note           TEXT,
        removed_by     INTEGER,
        created        TEXT NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: "search indexes and full-text tables",
    // The full-text tables share the rowid of the row they index. INSERT OR REPLACE deletes the old
    // row without firing delete triggers, so a stale entry may outlive it; searches join on rowid,
    // where a stale entry matches no row, and a reused rowid overwrites it.
    up: `
      ${fullTextTable("records")}
      ${fullTextTable("drafts")}
      CREATE INDEX records_created ON records(created, id);
      CREATE INDEX records_updated ON records(updated, id);
      CREATE INDEX drafts_model ON drafts(model, created);
    `,
  },
  {
    version: 6,
    name: "field index of record and draft values",
    // Field matches and facet counts read this index instead of every row's JSON. The model's
    // listing order gets a covering index, so the first page of a model is an index walk.
    up: (db) => {
      db.exec(`
        ${fieldIndexTables()}
        DROP INDEX records_model;
        CREATE INDEX records_model ON records(model, created, id);
        CREATE INDEX records_model_updated ON records(model, updated, id);
      `);
      const indexer = new FieldIndexer(db);
      for (const [table, kind] of [
        ["records", "record"],
        ["drafts", "draft"],
      ] as const) {
        // In batches: better-sqlite3 cannot write while a statement is still being iterated.
        const batch = db.prepare(
          `SELECT rowid AS rid, model, data FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT 1000`,
        );
        let last = 0;
        for (;;) {
          const rows = batch.all(last) as { rid: number; model: string; data: string }[];
          for (const row of rows) {
            indexer.add(kind, row.rid, row.model, JSON.parse(row.data) as Record<string, unknown>);
            last = row.rid;
          }
          if (rows.length === 0) break;
        }
      }
      db.exec(REBUILD_FIELD_COUNTS);
      db.exec(fieldCountTriggers());
    },
  },
  {
    version: 7,
    name: "field index of parents",
    // `parent.communities.ids` and the other parent fields are searched through the parent's own
    // entries (kind 'parent'); a record reaches its parent by parent_id, the parents' key.
    up: (db) => {
      db.exec(PARENT_INDEX_TRIGGER);
      const indexer = new FieldIndexer(db);
      const batch = db.prepare(
        `SELECT rowid AS rid, id, model, communities, workflow FROM parents
         WHERE rowid > ? ORDER BY rowid LIMIT 1000`,
      );
      let last = 0;
      for (;;) {
        const rows = batch.all(last) as {
          rid: number;
          id: string;
          model: string;
          communities: string;
          workflow: string | null;
        }[];
        for (const row of rows) {
          const ids = (JSON.parse(row.communities) as unknown[]).filter(
            (c): c is string => typeof c === "string",
          );
          indexer.add("parent", row.rid, row.model, parentDocument(row.id, ids, row.workflow));
          last = row.rid;
        }
        if (rows.length === 0) break;
      }
    },
  },
  {
    version: 8,
    name: "description of communities",
    // Communities created through the API (`POST /api/communities`) keep their description.
    up: "ALTER TABLE communities ADD COLUMN description TEXT",
  },
  {
    version: 9,
    name: "roles of community members",
    // Members by role (`{"curator": ["alice"], "owner": ["bob"]}`): requests go to a role
    // (`{"community_role": "<uuid>:<role>"}`) and its members accept them.
    up: "ALTER TABLE communities ADD COLUMN roles TEXT NOT NULL DEFAULT '{}'",
  },
];

/** Raised when a data directory was written by a newer schema than this build knows. */
export class SchemaVersionError extends Error {
  constructor(found: number, known: number) {
    super(
      `the database has schema version ${found}, but this nrp-devserver only knows up to ${known}; ` +
        `upgrade nrp-invenio-devserver or use another data directory`,
    );
    this.name = "SchemaVersionError";
  }
}

/**
 * Brings the database up to the newest schema, each step in its own transaction.
 * @returns the schema version after migrating
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const row = db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as
    { v: number | null } | undefined;
  const current = row?.v ?? 0;
  const known = migrations.at(-1)?.version ?? 0;
  if (current > known) throw new SchemaVersionError(current, known);
  const record = db.prepare(
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
  );
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      if (typeof migration.up === "string") db.exec(migration.up);
      else migration.up(db);
      record.run(migration.version, migration.name, new Date().toISOString());
    })();
  }
  return Math.max(current, known);
}

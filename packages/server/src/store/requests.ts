import type { Database } from "better-sqlite3";

/** A one-key reference dict of invenio-requests (`{"user": "1"}`, `{"datasets": "<id>"}`). */
export type Reference = Record<string, string>;

/** A request as stored. */
export interface RequestRow {
  id: string;
  number: number;
  type: string;
  title: string;
  description: string | null;
  status: string;
  createdBy: number;
  receiver: Reference | null;
  topicModel: string;
  topicId: string;
  /** Flat payload with colon keys (docs/protocol/requests.md#request-types). */
  payload: Record<string, string>;
  expiresAt: string | null;
  revisionId: number;
  created: string;
  updated: string;
}

/** A timeline event: a comment (`C`) or a log of an action (`L`). */
export interface EventRow {
  id: string;
  requestId: string;
  type: string;
  createdBy: number | null;
  payload: Record<string, unknown>;
  revisionId: number;
  created: string;
  updated: string;
}

/** What remains of a published record deleted through `delete_published_record`. */
export interface RemovedRow {
  id: string;
  model: string;
  parentId: string;
  removalReason: string;
  note: string | null;
  removedBy: number | null;
  created: string;
}

interface RequestSql {
  id: string;
  number: number;
  type: string;
  title: string;
  description: string | null;
  status: string;
  created_by: number;
  receiver: string | null;
  topic_model: string;
  topic_id: string;
  payload: string;
  expires_at: string | null;
  revision_id: number;
  created: string;
  updated: string;
}

interface EventSql {
  id: string;
  request_id: string;
  type: string;
  created_by: number | null;
  payload: string;
  revision_id: number;
  created: string;
  updated: string;
}

function toRequest(row: RequestSql): RequestRow {
  return {
    id: row.id,
    number: row.number,
    type: row.type,
    title: row.title,
    description: row.description,
    status: row.status,
    createdBy: row.created_by,
    receiver: row.receiver === null ? null : (JSON.parse(row.receiver) as Reference),
    topicModel: row.topic_model,
    topicId: row.topic_id,
    payload: JSON.parse(row.payload) as Record<string, string>,
    expiresAt: row.expires_at,
    revisionId: row.revision_id,
    created: row.created,
    updated: row.updated,
  };
}

/** Requests, their timeline events and removed records, in the tables of migration 4. */
export class RequestStore {
  private readonly db: Database;

  constructor(db: Database) {
    this.db = db;
  }

  /** The next request number; invenio-requests numbers requests from 1 in creation order. */
  nextNumber(): number {
    const row = this.db.prepare("SELECT MAX(number) AS n FROM requests").get() as
      { n: number | null } | undefined;
    return (row?.n ?? 0) + 1;
  }

  get(id: string): RequestRow | undefined {
    const row = this.db.prepare("SELECT * FROM requests WHERE id = ?").get(id) as
      RequestSql | undefined;
    return row === undefined ? undefined : toRequest(row);
  }

  /** Every request, newest first; the devserver filters in memory, its data sets are small. */
  all(): RequestRow[] {
    const rows = this.db
      .prepare("SELECT * FROM requests ORDER BY created DESC, number DESC")
      .all() as RequestSql[];
    return rows.map(toRequest);
  }

  /** The requests whose topic is one record or draft, newest first. */
  forTopic(model: string, id: string): RequestRow[] {
    const rows = this.db
      .prepare(
        "SELECT * FROM requests WHERE topic_model = ? AND topic_id = ? ORDER BY created DESC, number DESC",
      )
      .all(model, id) as RequestSql[];
    return rows.map(toRequest);
  }

  put(row: RequestRow): void {
    this.db
      .prepare(
        `INSERT INTO requests (id, number, type, title, description, status, created_by, receiver,
           topic_model, topic_id, payload, expires_at, revision_id, created, updated)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET title = excluded.title, description = excluded.description,
           status = excluded.status, receiver = excluded.receiver, payload = excluded.payload,
           expires_at = excluded.expires_at, revision_id = excluded.revision_id,
           updated = excluded.updated`,
      )
      .run(
        row.id,
        row.number,
        row.type,
        row.title,
        row.description,
        row.status,
        row.createdBy,
        row.receiver === null ? null : JSON.stringify(row.receiver),
        row.topicModel,
        row.topicId,
        JSON.stringify(row.payload),
        row.expiresAt,
        row.revisionId,
        row.created,
        row.updated,
      );
  }

  /** Removes a request with its events (IREQ's `delete` of a request still `created`). */
  delete(id: string): void {
    this.db.prepare("DELETE FROM request_events WHERE request_id = ?").run(id);
    this.db.prepare("DELETE FROM requests WHERE id = ?").run(id);
  }

  /** A request's events in the order they happened. */
  events(requestId: string, type?: string): EventRow[] {
    const rows = (
      type === undefined
        ? this.db
            .prepare("SELECT * FROM request_events WHERE request_id = ? ORDER BY created, rowid")
            .all(requestId)
        : this.db
            .prepare(
              "SELECT * FROM request_events WHERE request_id = ? AND type = ? ORDER BY created, rowid",
            )
            .all(requestId, type)
    ) as EventSql[];
    return rows.map((row) => ({
      id: row.id,
      requestId: row.request_id,
      type: row.type,
      createdBy: row.created_by,
      payload: JSON.parse(row.payload) as Record<string, unknown>,
      revisionId: row.revision_id,
      created: row.created,
      updated: row.updated,
    }));
  }

  addEvent(event: EventRow): void {
    this.db
      .prepare(
        `INSERT INTO request_events (id, request_id, type, created_by, payload, revision_id, created, updated)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        event.id,
        event.requestId,
        event.type,
        event.createdBy,
        JSON.stringify(event.payload),
        event.revisionId,
        event.created,
        event.updated,
      );
  }

  /** Rewrites an event's type and payload (edited or deleted comments). */
  updateEvent(event: EventRow): void {
    this.db
      .prepare(
        "UPDATE request_events SET type = ?, payload = ?, revision_id = ?, updated = ? WHERE id = ?",
      )
      .run(event.type, JSON.stringify(event.payload), event.revisionId, event.updated, event.id);
  }

  /** The tombstone of a removed record, if it was removed. */
  removed(id: string): RemovedRow | undefined {
    const row = this.db.prepare("SELECT * FROM removed_records WHERE id = ?").get(id) as
      | {
          id: string;
          model: string;
          parent_id: string;
          removal_reason: string;
          note: string | null;
          removed_by: number | null;
          created: string;
        }
      | undefined;
    if (row === undefined) return undefined;
    return {
      id: row.id,
      model: row.model,
      parentId: row.parent_id,
      removalReason: row.removal_reason,
      note: row.note,
      removedBy: row.removed_by,
      created: row.created,
    };
  }

  putRemoved(row: RemovedRow): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO removed_records (id, model, parent_id, removal_reason, note, removed_by, created)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        row.id,
        row.model,
        row.parentId,
        row.removalReason,
        row.note,
        row.removedBy,
        row.created,
      );
  }
}

import type { Database, Statement } from "better-sqlite3";
import type { ItemKind } from "./records.js";

/**
 * Whose values an index entry holds: a record's or draft's JSON, or a parent's (`parent.*` in
 * queries), so that the versions of one record are found by what they share.
 */
export type IndexedKind = ItemKind | "parent";

/**
 * The field index: every value of every record's and draft's JSON, keyed by its dotted path, so
 * that field matches and facet counts are index lookups instead of reading each row's JSON.
 *
 * - `field_values(kind, rid, field, value, model)`: each scalar leaf as SQLite's JSON functions
 *   read it (text, integer, real; `true`/`false` as 1/0), array elements under the array's path
 *   (`keywords`, `creators.name`), and for each object, array or JSON null a presence marker whose
 *   value is the empty blob, which no JSON scalar can be, so `_exists_` finds empty arrays too.
 * - `field_tokens(kind, rid, field, token)`: the lower-cased value and each of its words, for the
 *   token match of `field:value`.
 * - `field_counts(kind, model, field, value, n)`: how many rows have each value, so the facets of
 *   an unfiltered collection are read, not counted ({@link fieldCountTriggers} keep it).
 *
 * The first two are keyed by row first, so a row's entries sit together (cheap to replace,
 * appended in order by a bulk load); the `_lookup` indexes serve the searches. `rid` is the row's
 * rowid in `records` or `drafts` (as the full-text tables use it). Delete triggers drop a row's
 * entries; inserts and updates go through {@link FieldIndexer}, the one piece of code that builds
 * entries (the store's write path, migration 6 and the seed use it).
 */
export function fieldIndexTables(): string {
  const triggers = (table: string, kind: ItemKind): string => `
      CREATE TRIGGER ${table}_fields_delete AFTER DELETE ON ${table} BEGIN
        DELETE FROM field_values WHERE kind = '${kind}' AND rid = OLD.rowid;
        DELETE FROM field_tokens WHERE kind = '${kind}' AND rid = OLD.rowid;
      END;`;
  // `value` has no declared type on purpose: a column without one keeps each value's own type
  // (a declared "ANY" would turn the text '5' into the number 5).
  return `
      CREATE TABLE field_values (
        kind  TEXT NOT NULL,
        rid   INTEGER NOT NULL,
        field TEXT NOT NULL,
        value NOT NULL,
        model TEXT NOT NULL,
        PRIMARY KEY (kind, rid, field, value)
      ) WITHOUT ROWID;
      CREATE INDEX field_values_lookup ON field_values(kind, field, value, model);
      CREATE TABLE field_tokens (
        kind  TEXT NOT NULL,
        rid   INTEGER NOT NULL,
        field TEXT NOT NULL,
        token TEXT NOT NULL,
        PRIMARY KEY (kind, rid, field, token)
      ) WITHOUT ROWID;
      CREATE INDEX field_tokens_lookup ON field_tokens(kind, field, token);
      CREATE TABLE field_counts (
        kind  TEXT NOT NULL,
        model TEXT NOT NULL,
        field TEXT NOT NULL,
        value NOT NULL,
        n     INTEGER NOT NULL,
        PRIMARY KEY (kind, model, field, value)
      ) WITHOUT ROWID;
      ${triggers("records", "record")}
      ${triggers("drafts", "draft")}`;
}

/**
 * The delete trigger of parents' index entries (kind `parent`, `rid` the parent's rowid); a
 * parent's entries are its {@link parentDocument}.
 */
export const PARENT_INDEX_TRIGGER = `
      CREATE TRIGGER parents_fields_delete AFTER DELETE ON parents BEGIN
        DELETE FROM field_values WHERE kind = 'parent' AND rid = OLD.rowid;
        DELETE FROM field_tokens WHERE kind = 'parent' AND rid = OLD.rowid;
      END;`;

/**
 * What `parent.*` query fields look at: the parent as a record's dump shows it (`id`,
 * `communities.default`, `communities.ids`, `workflow`), from the stored columns.
 */
export function parentDocument(
  id: string,
  communities: readonly string[],
  workflow: string | null,
): Record<string, unknown> {
  const [first] = communities;
  return {
    id,
    communities: first === undefined ? {} : { default: first, ids: [...communities] },
    ...(workflow === null ? {} : { workflow }),
  };
}

/** Recomputes `field_counts` from `field_values`, after a bulk load without the count triggers. */
export const REBUILD_FIELD_COUNTS = `
      DELETE FROM field_counts;
      INSERT INTO field_counts (kind, model, field, value, n)
        SELECT kind, model, field, value, count(*) FROM field_values
        WHERE typeof(value) <> 'blob' GROUP BY kind, model, field, value;`;

/**
 * Triggers that keep `field_counts` in step with `field_values` (presence markers are not
 * values, so they are not counted; a count that drops to 0 stays, as a row that matches nothing).
 */
export function fieldCountTriggers(): string {
  return `
      CREATE TRIGGER field_values_count_insert AFTER INSERT ON field_values
      WHEN typeof(NEW.value) <> 'blob' BEGIN
        INSERT INTO field_counts (kind, model, field, value, n)
          VALUES (NEW.kind, NEW.model, NEW.field, NEW.value, 1)
          ON CONFLICT DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER field_values_count_delete AFTER DELETE ON field_values
      WHEN typeof(OLD.value) <> 'blob' BEGIN
        UPDATE field_counts SET n = n - 1 WHERE kind = OLD.kind AND model = OLD.model
          AND field = OLD.field AND value = OLD.value;
      END;`;
}

/** The presence marker of an object, array or JSON null: a zero-length blob. */
export const PRESENCE = Buffer.alloc(0);

/** A value as the index stores it: text, an integer (a bigint), a real, or the marker. */
export type IndexedValue = string | bigint | number | Buffer;

/**
 * The index's field name of a query field: `metadata.keywords` → `keywords` (records keep their
 * metadata as the stored data); the empty string is the whole document.
 */
export function indexField(field: string): string {
  const parts = field.split(".").filter((p) => p !== "");
  if (parts[0] === "metadata") parts.shift();
  return parts.join(".");
}

/** SQLite's `lower()`: ASCII letters only (the build has no ICU), so tokens fold as queries did. */
export function sqliteLower(text: string): string {
  return text.replace(/[A-Z]+/g, (c) => c.toLowerCase());
}

/**
 * The tokens a value's text matches: its words, split on spaces after `,` `.` `:` `;` `-` become
 * spaces, lower-cased; and the whole lower-cased text when it has no space (a term with a space
 * never reaches this index, see query.ts).
 */
export function tokensOf(text: string): string[] {
  const lowered = sqliteLower(text);
  const words = lowered.replace(/[,.:;-]/g, " ").split(" ");
  const tokens = words.filter((w) => w !== "" && w !== lowered);
  if (!lowered.includes(" ")) tokens.push(lowered);
  return tokens;
}

function scalar(value: string | number | boolean): IndexedValue {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? 1n : 0n;
  // An integer as SQLite's JSON functions read it (digits that fit 64 bits), kept apart from
  // reals as a bigint: its text is `5`, while a real's is SQLite's (`5.5`, `1.0e+20`).
  return Number.isInteger(value) && Math.abs(value) < 9e18 ? BigInt(value) : value;
}

/** Every (field, value) entry of a document, array elements under the array's path. */
export function fieldEntries(data: Record<string, unknown>): [string, IndexedValue][] {
  const out: [string, IndexedValue][] = [];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      out.push([path, PRESENCE]);
      for (const element of value) walk(element, path);
    } else if (value === null || value === undefined) {
      if (value === null) out.push([path, PRESENCE]);
    } else if (typeof value === "object") {
      out.push([path, PRESENCE]);
      for (const [key, member] of Object.entries(value)) {
        walk(member, path === "" ? key : `${path}.${key}`);
      }
    } else if (
      typeof value === "string" ||
      typeof value === "number" ||
      typeof value === "boolean"
    ) {
      out.push([path, scalar(value)]);
    }
  };
  for (const [key, member] of Object.entries(data)) walk(member, key);
  return out;
}

/** Writes and clears a row's index entries with prepared statements. */
export class FieldIndexer {
  readonly #db: Database;
  readonly #value: Statement;
  readonly #token: Statement;
  readonly #clearValues: Statement;
  readonly #clearTokens: Statement;
  #realText: Statement | undefined;

  constructor(db: Database) {
    this.#db = db;
    // Each row's entries go in one statement, unpacked from JSON by SQLite (a JSON null stands
    // for the presence marker); a statement per entry costs more than the insert itself.
    this.#value = db.prepare(
      `INSERT OR IGNORE INTO field_values (kind, rid, field, value, model)
       SELECT ?, ?, e.value ->> 0, coalesce(e.value ->> 1, x''), ? FROM json_each(?) e`,
    );
    this.#token = db.prepare(
      `INSERT OR IGNORE INTO field_tokens (kind, rid, field, token)
       SELECT ?, ?, e.value ->> 0, e.value ->> 1 FROM json_each(?) e`,
    );
    this.#clearValues = db.prepare("DELETE FROM field_values WHERE kind = ? AND rid = ?");
    this.#clearTokens = db.prepare("DELETE FROM field_tokens WHERE kind = ? AND rid = ?");
  }

  /** A value's text as `CAST(value AS TEXT)` gives it, which token matches have always used. */
  #text(value: IndexedValue): string {
    if (typeof value === "string") return value;
    if (typeof value === "bigint") return value.toString();
    // Reals print as SQLite prints them (`1.0e+20`), so ask SQLite.
    this.#realText ??= this.#db.prepare("SELECT CAST(? AS TEXT) AS t").pluck();
    return this.#realText.get(value) as string;
  }

  /** Indexes a row that has none yet (a new row, or one just cleared). */
  add(kind: IndexedKind, rid: number | bigint, model: string, data: Record<string, unknown>): void {
    const values: [string, string | number | null][] = [];
    const tokens: [string, string][] = [];
    for (const [field, value] of fieldEntries(data)) {
      if (typeof value === "object") {
        values.push([field, null]);
        continue;
      }
      // JSON carries an integer as digits, which SQLite reads back as an integer.
      values.push([field, typeof value === "bigint" ? Number(value) : value]);
      for (const token of tokensOf(this.#text(value))) tokens.push([field, token]);
    }
    this.#value.run(kind, rid, model, JSON.stringify(values));
    if (tokens.length > 0) this.#token.run(kind, rid, JSON.stringify(tokens));
  }

  /** Drops a row's entries. */
  clear(kind: IndexedKind, rid: number | bigint): void {
    this.#clearValues.run(kind, rid);
    this.#clearTokens.run(kind, rid);
  }
}

import { startDevServer } from "./server.js";
import { newRecordId } from "./services/records/ids.js";
import { FieldIndexer, REBUILD_FIELD_COUNTS, parentDocument } from "./store/field-index.js";
import { openStore } from "./store/store.js";

/** What `seedRecords` creates. */
export interface SeedOptions {
  /** The data directory to fill; created and migrated when new. */
  dataDir: string;
  /** How many published records to add. */
  records: number;
  /** The model of the records; the first configured model by default. */
  model?: string;
  /** The same YAML/JSON config the server runs with, so models and users match. */
  configFile?: string;
  /** Seed of the pseudo-random generator, so that two runs make the same metadata and times. */
  seed?: number;
  /**
   * The records' `created` timestamps, one per record in order, instead of generated ones
   * (`2025-01-14T10:12:33.123456+00:00`, or `…Z`): for tests that need records apart by less
   * than a millisecond, which records made through the API cannot be placed at.
   */
  created?: readonly string[];
}

/** What was created, and how long it took. */
export interface SeedResult {
  records: number;
  model: string;
  milliseconds: number;
}

const ADJECTIVES = ["Arctic", "Urban", "Coastal", "Alpine", "Tropical", "Microbial", "Seismic"];
const NOUNS = ["soil samples", "air quality", "river flow", "bird counts", "gene expression"];
const KEYWORDS = ["physics", "chemistry", "biology", "ecology", "climate", "geology", "open data"];
const RESOURCE_TYPES = ["dataset", "software", "image", "video", "other"];
const LANGUAGES = ["en", "cs", "de", "sk"];

/** Deterministic uniform numbers in [0, 1): a fixed seed gives the same seeded set every time. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Microseconds since the epoch in the stored form, `2025-01-14T10:12:33.123456+00:00`. */
function stamp(micros: number): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  return `${iso.slice(0, 19)}.${String(micros % 1_000_000).padStart(6, "0")}+00:00`;
}

/** Microseconds since the epoch of a stored-form (or `Z`) timestamp. */
function micros(value: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{6})(?:Z|\+00:00)$/.exec(value);
  if (m === null) throw new Error(`not a timestamp with microseconds in UTC: '${value}'`);
  return Date.parse(`${m[1] ?? ""}Z`) * 1000 + Number(m[2]);
}

/**
 * Creation times as a real repository has them: most spread over five years, a fifth in bursts
 * of a few hours (bulk imports), and one in twenty sharing an exact timestamp with 49 others, so
 * that range splitting by `created` meets ties.
 */
function createdTimes(count: number, random: () => number): number[] {
  const start = Date.UTC(2020, 0, 1) * 1000;
  const span = 5 * 365 * 86_400 * 1_000_000;
  const bursts = Array.from({ length: 20 }, () => start + Math.floor(random() * span));
  const times: number[] = [];
  let shared = 0;
  let sharedLeft = 0;
  for (let i = 0; i < count; i++) {
    const r = random();
    if (sharedLeft > 0) {
      times.push(shared);
      sharedLeft--;
    } else if (r < 0.05) {
      shared = start + Math.floor(random() * span);
      sharedLeft = 49;
      times.push(shared);
    } else if (r < 0.25) {
      const burst = bursts[Math.floor(random() * bursts.length)] ?? start;
      times.push(burst + Math.floor(random() * 3 * 3_600_000_000));
    } else {
      times.push(start + Math.floor(random() * span));
    }
  }
  return times;
}

/** The text values of a record, as the full-text trigger collects them. */
function textOf(data: Record<string, unknown>): string {
  return Object.values(data)
    .flatMap((v): unknown[] => (Array.isArray(v) ? (v as unknown[]) : [v]))
    .filter((v): v is string => typeof v === "string")
    .join(" ");
}

function pick<T>(list: readonly T[], random: () => number): T {
  const item = list[Math.floor(random() * list.length)];
  if (item === undefined) throw new Error("empty list");
  return item;
}

/**
 * Adds N published records to a data directory in one transaction with prepared statements,
 * bypassing the HTTP API: scans and paging need repositories of 200 000 records, which the API
 * would take far too long to build.
 */
export async function seedRecords(opts: SeedOptions): Promise<SeedResult> {
  const began = performance.now();
  // Starting the server once migrates the database and seeds the configured users and communities.
  const server = await startDevServer({
    dataDir: opts.dataDir,
    ...(opts.configFile === undefined ? {} : { configFile: opts.configFile }),
  });
  const models = server.config.models;
  const owner = server.users[0]?.username;
  const community = server.config.communities[0]?.id;
  await server.close();
  const model = models.find((m) => opts.model === undefined || m.type === opts.model);
  if (model === undefined) {
    throw new Error(
      `unknown model '${opts.model ?? ""}' (known: ${models.map((m) => m.type).join(", ")})`,
    );
  }
  const props = model.schema.properties ?? {};
  const given = (opts.created ?? []).map(micros);
  if (opts.created !== undefined && given.length !== opts.records) {
    throw new Error(`${String(opts.records)} records but ${String(given.length)} created times`);
  }
  const random = generator(opts.seed ?? 1);
  const store = await openStore({ dataDir: opts.dataDir });
  try {
    const db = store.db;
    // One big transaction: a large page cache keeps it off the disk until commit, and a crash
    // mid-seed loses nothing worth keeping.
    db.pragma("cache_size = -400000");
    db.pragma("synchronous = OFF");
    const ownerRow = db.prepare("SELECT id FROM users WHERE username = ?").get(owner ?? "") as
      { id: number } | undefined;
    const ownerId = ownerRow?.id ?? 1;
    const taken = db.prepare("SELECT 1 FROM pids WHERE pid_type = 'recid' AND pid_value = ?");
    const insertParent = db.prepare(
      `INSERT INTO parents (id, model, owner_id, communities, workflow, latest_id, latest_index,
         next_draft_id, created, updated) VALUES (?, ?, ?, ?, NULL, ?, 1, NULL, ?, ?)`,
    );
    const insertRecord = db.prepare(
      `INSERT INTO records (id, parent_id, model, version_index, data, files_enabled, pids,
         revision_id, created, updated) VALUES (?, ?, ?, 1, ?, 0, '{}', 1, ?, ?)`,
    );
    const insertPid = db.prepare(
      `INSERT INTO pids (pid_type, pid_value, object_type, object_id, status, created)
       VALUES ('recid', ?, ?, ?, 'R', ?)`,
    );
    const insertText = db.prepare("INSERT INTO records_fts (rowid, text) VALUES (?, ?)");
    const fields = new FieldIndexer(db);
    const used = new Set<string>();
    const freshId = (): string => {
      for (;;) {
        const id = newRecordId();
        if (!used.has(id) && taken.get(id) === undefined) {
          used.add(id);
          return id;
        }
      }
    };
    const communities = JSON.stringify(community === undefined ? [] : [community]);
    const times = opts.created === undefined ? createdTimes(opts.records, random) : given;
    const triggers = db
      .prepare(
        `SELECT name, sql FROM sqlite_master WHERE type = 'trigger'
           AND (name LIKE 'records_fts_%' OR name LIKE 'field_values_count_%')`,
      )
      .all() as { name: string; sql: string }[];
    const lookups = db
      .prepare(
        `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
           AND tbl_name IN ('field_values', 'field_tokens')`,
      )
      .all() as { name: string; sql: string }[];
    db.transaction(() => {
      // The full-text rows are written directly from the text at hand, instead of by the trigger
      // walking each record's JSON again. The field index's lookup indexes are rebuilt at the end
      // in one sorted pass, while its entries append in row order, and its value counts are
      // recomputed once instead of counted up per entry.
      for (const t of triggers) db.exec(`DROP TRIGGER ${t.name}`);
      for (const i of lookups) db.exec(`DROP INDEX ${i.name}`);
      times.forEach((micros, i) => {
        const created = stamp(micros);
        const updated = stamp(micros + Math.floor(random() * 86_400_000_000));
        const data: Record<string, unknown> = {
          title: `${pick(ADJECTIVES, random)} ${pick(NOUNS, random)} ${String(i + 1)}`,
        };
        if ("keywords" in props) {
          data.keywords = [pick(KEYWORDS, random), pick(KEYWORDS, random)].filter(
            (k, j, all) => all.indexOf(k) === j,
          );
        }
        if ("resource_type" in props) data.resource_type = pick(RESOURCE_TYPES, random);
        if ("language" in props) data.language = pick(LANGUAGES, random);
        if ("pages" in props) data.pages = 1 + Math.floor(random() * 400);
        if ("description" in props) data.description = `Measurements number ${String(i + 1)}.`;
        if ("abstract" in props) data.abstract = `Measurements number ${String(i + 1)}.`;
        const id = freshId();
        const parentId = freshId();
        const parent = insertParent.run(
          parentId,
          model.type,
          ownerId,
          communities,
          id,
          created,
          updated,
        );
        fields.add(
          "parent",
          parent.lastInsertRowid,
          model.type,
          parentDocument(parentId, community === undefined ? [] : [community], null),
        );
        const row = insertRecord.run(
          id,
          parentId,
          model.type,
          JSON.stringify(data),
          created,
          updated,
        );
        insertText.run(row.lastInsertRowid, textOf(data));
        fields.add("record", row.lastInsertRowid, model.type, data);
        insertPid.run(parentId, "parent", parentId, created);
        insertPid.run(id, "record", id, created);
      });
      for (const i of lookups) db.exec(i.sql);
      db.exec(REBUILD_FIELD_COUNTS);
      for (const t of triggers) db.exec(t.sql);
    })();
  } finally {
    await store.close();
  }
  return {
    records: opts.records,
    model: model.type,
    milliseconds: Math.round(performance.now() - began),
  };
}

import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { migrate } from "./migrations.js";

/** Where the store keeps its data. */
export interface StoreLocation {
  /** Directory for the SQLite file and blobs; data survives a restart. */
  dataDir?: string | undefined;
}

/** The open database plus the blob directory next to it. */
export interface Store {
  readonly db: Database;
  /** Directory for file contents (`<dataDir>/files`). */
  readonly blobsDir: string;
  /** The data directory, or the temporary directory of an in-memory store. */
  readonly dataDir: string;
  /** True when nothing survives `close()`. */
  readonly ephemeral: boolean;
  /** Schema version after migration. */
  readonly schemaVersion: number;
  /** Reads a `meta` value. */
  getMeta(key: string): string | undefined;
  /** Writes a `meta` value. */
  setMeta(key: string, value: string): void;
  /** Closes the database; an ephemeral store also deletes its temporary directory. */
  close(): Promise<void>;
}

/** File name of the SQLite database inside a data directory. */
export const DATABASE_FILE = "devserver.sqlite3";

/**
 * Opens (creating and migrating as needed) the store: `<dataDir>/devserver.sqlite3` in WAL mode
 * with blobs in `<dataDir>/files/`, or, without a data directory, an in-memory database and a
 * temporary blob directory removed on close.
 */
export async function openStore(location: StoreLocation): Promise<Store> {
  const ephemeral = location.dataDir === undefined;
  const dataDir =
    location.dataDir === undefined
      ? await mkdtemp(join(tmpdir(), "nrp-devserver-"))
      : resolve(location.dataDir);
  const blobsDir = join(dataDir, "files");
  let db: Database | undefined;
  try {
    await mkdir(blobsDir, { recursive: true });
    db = new BetterSqlite3(ephemeral ? ":memory:" : join(dataDir, DATABASE_FILE));
    if (!ephemeral) db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    const schemaVersion = migrate(db);
    const opened = db;
    const getMeta = opened.prepare("SELECT value FROM meta WHERE key = ?");
    const setMeta = opened.prepare(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    );
    if (getMeta.get("created") === undefined) setMeta.run("created", new Date().toISOString());
    let closed = false;
    return {
      db: opened,
      blobsDir,
      dataDir,
      ephemeral,
      schemaVersion,
      getMeta: (key) => (getMeta.get(key) as { value: string } | undefined)?.value,
      setMeta: (key, value) => {
        setMeta.run(key, value);
      },
      close: async () => {
        if (closed) return;
        closed = true;
        opened.close();
        if (ephemeral) await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    db?.close();
    if (ephemeral) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

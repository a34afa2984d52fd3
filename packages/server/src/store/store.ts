import { chmod, lstat, mkdir, mkdtemp, open, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { DevServerConfigError } from "../config/load.js";
import { isBlobName, PRIVATE_FILE_MODE } from "./blobs.js";
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
 * Marker file the store writes into the blob directory it created: only a directory carrying it
 * is ever swept, so a `files/` that holds someone else's files is never touched.
 */
export const BLOBS_MARKER = ".nrp-devserver-blobs";

/** Mode of every directory the store creates: the database holds tokens and a signing secret. */
export const PRIVATE_DIR_MODE = 0o700;

export { PRIVATE_FILE_MODE };

/** What a data directory holds once the store has used it: nothing else is ever in one it owns. */
const STORE_ENTRIES = new Set([
  DATABASE_FILE,
  `${DATABASE_FILE}-wal`,
  `${DATABASE_FILE}-shm`,
  `${DATABASE_FILE}-journal`,
  "files",
]);

const MARKER_TEXT =
  "This directory holds the file contents of an nrp-invenio-devserver data directory.\n";

/**
 * Makes sure `blobsDir` is the store's own: creates it (with its marker) when missing, adopts an
 * empty one, or one that an earlier version of the store wrote (database present, nothing but
 * blob names in it), and refuses anything else.
 * @throws DevServerConfigError for a `files/` that is a symlink, not a directory, or holds files
 *   the store did not write
 */
async function claimBlobsDir(dataDir: string, blobsDir: string): Promise<void> {
  const refuse = (why: string): never => {
    throw new DevServerConfigError(
      dataDir,
      "",
      `${blobsDir} ${why}; the devserver keeps its file contents there and deletes what it no longer needs, so it will not use it (choose another data directory)`,
    );
  };
  const info = await lstat(blobsDir).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  });
  if (info === undefined) {
    await mkdir(blobsDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  } else {
    if (info.isSymbolicLink()) refuse("is a symbolic link");
    if (!info.isDirectory()) refuse("is not a directory");
    const names = await readdir(blobsDir);
    if (!names.includes(BLOBS_MARKER) && names.length > 0) {
      const legacy =
        (await lstat(join(dataDir, DATABASE_FILE)).catch(() => undefined))?.isFile() === true &&
        names.every((name) => isBlobName(name));
      if (!legacy) refuse("already exists and was not created by the devserver");
    }
    await chmod(blobsDir, PRIVATE_DIR_MODE);
    if (names.includes(BLOBS_MARKER)) return;
  }
  const marker = { flag: "wx", mode: PRIVATE_FILE_MODE };
  await writeFile(join(blobsDir, BLOBS_MARKER), MARKER_TEXT, marker).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  });
}

/**
 * Creates the data directory owner-only, or makes an existing one owner-only when it holds nothing
 * but the store's own files (a directory with other contents keeps its mode: the files the store
 * puts there are owner-only themselves).
 */
async function claimDataDir(dataDir: string): Promise<void> {
  const existed = (await lstat(dataDir).catch(() => undefined)) !== undefined;
  await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (!existed) return;
  const names = await readdir(dataDir);
  if (names.every((name) => STORE_ENTRIES.has(name))) await chmod(dataDir, PRIVATE_DIR_MODE);
}

/** Creates `path` empty and owner-only, or makes an existing file owner-only. */
async function privateFile(path: string): Promise<void> {
  const handle = await open(path, "a", PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
  } finally {
    await handle.close();
  }
}

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
    await claimDataDir(dataDir);
    await claimBlobsDir(dataDir, blobsDir);
    // SQLite gives the WAL and SHM files the database file's mode, so creating that owner-only
    // first keeps all three private.
    if (!ephemeral) await privateFile(join(dataDir, DATABASE_FILE));
    db = new BetterSqlite3(ephemeral ? ":memory:" : join(dataDir, DATABASE_FILE));
    if (!ephemeral) {
      db.pragma("journal_mode = WAL");
      // In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit survives the
      // process being killed, and only the last ones can be lost if the machine loses power. With
      // FULL, each created draft waited for an fsync, which queues behind whatever the disk is
      // still flushing (a large upload just before): 1,000 drafts took 7.5 s instead of 1.4 s.
      db.pragma("synchronous = NORMAL");
      for (const suffix of ["-wal", "-shm"]) {
        await chmod(join(dataDir, `${DATABASE_FILE}${suffix}`), PRIVATE_FILE_MODE).catch(
          () => undefined,
        );
      }
    }
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    // Searches read every hit's row and parent by key, scattered over the file: with the file
    // mapped each read is a memory access instead of a system call copying the page, which halves
    // the time a scan of a large seeded repository spends here. 2 GiB of address space covers
    // about 500 000 seeded records (200 000 take 0.86 GB): pages of the file beyond the mapping
    // cost a page-cache lookup and copy each (a fifth more CPU reading a search page's rows and
    // parents at 256 MiB).
    db.pragma("mmap_size = 2147483648");
    // Writes go through SQLite's own page cache (the mapping is for reads), so it fills with the
    // pages that writes touched, up to its size. Keep it at SQLite's default of 2 MB: when a
    // write splits a b-tree page, SQLite files a page under the number just past the first GiB
    // for a moment, and the commit of a database smaller than that then walks every page of
    // the cache to drop it. With 32 MB (8,000 pages) that walk cost 0.05-0.1 s of CPU per 1,000
    // created drafts in a repository of 200,000 records.
    db.pragma("cache_size = -2000");
    // The WAL keeps SQLite's checkpoint every 1,000 pages: every 4,000 saved a little more on
    // the creates, but the scan of those 200,000 records after them cost a tenth more.
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

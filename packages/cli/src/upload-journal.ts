import { createHash } from "node:crypto";
import { readFile, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";

import { writePrivateFile } from "./private-file.js";

/** The directory under the configuration directory that holds upload journals. */
export const UPLOADS_DIR = "uploads";

/** The journal format's version; a journal of another version is ignored (and replaced). */
export const JOURNAL_VERSION = 1;

/**
 * Which local file an upload reads: absolute path, size and modification time.
 *
 * A resumed upload must send the same bytes as the interrupted one; when any of the three changed,
 * the parts already on the server may belong to other content, so the upload starts over.
 */
export interface FileIdentity {
  /** Absolute path. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Modification time in milliseconds since the epoch (fractional on most file systems). */
  mtimeMs: number;
}

/** The state of one upload as stored in its journal file (JSON). */
export interface UploadJournalData {
  /** {@link JOURNAL_VERSION}. */
  version: number;
  /** The API URL of the draft the file goes to. */
  record: string;
  /** The file key in the record. */
  key: string;
  /** The local file being sent. */
  file: FileIdentity;
  /** The transfer type the upload was initialised with. */
  transfer: "L" | "M";
  /** Part size in bytes (multipart), the whole size otherwise. */
  partSize: number;
  /** Number of parts (1 for L). */
  parts: number;
  /** Part numbers (1-based) the server has acknowledged, ascending. */
  completedParts: number[];
  /** When the upload started (ISO 8601). */
  started: string;
  /** When the journal was last written (ISO 8601). */
  updated: string;
}

/**
 * The journal file of an upload: `<config dir>/uploads/<sha256(record URL, NUL, key)>.json`.
 *
 * Hashing keeps any key (slashes, spaces, long names) a valid file name; the NUL separator keeps
 * `…/a` + `b.txt` and `…/ab` + `.txt` apart.
 */
export function journalPath(configDir: string, recordUrl: string, key: string): string {
  const hash = createHash("sha256").update(recordUrl).update("\u0000").update(key).digest("hex");
  return join(configDir, UPLOADS_DIR, `${hash}.json`);
}

/** Reads the identity of a local file for {@link UploadJournal.matches}. */
export async function fileIdentity(path: string): Promise<FileIdentity> {
  const abs = resolve(path);
  const st = await stat(abs);
  return { path: abs, size: st.size, mtimeMs: st.mtimeMs };
}

function isNumberArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((n) => Number.isInteger(n) && (n as number) > 0);
}

/** Checks that parsed JSON is a journal of this version; anything else is treated as no journal. */
export function isJournalData(value: unknown): value is UploadJournalData {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  const file = v["file"] as Record<string, unknown> | undefined;
  return (
    v["version"] === JOURNAL_VERSION &&
    typeof v["record"] === "string" &&
    typeof v["key"] === "string" &&
    typeof file === "object" &&
    typeof file["path"] === "string" &&
    typeof file["size"] === "number" &&
    typeof file["mtimeMs"] === "number" &&
    (v["transfer"] === "L" || v["transfer"] === "M") &&
    typeof v["partSize"] === "number" &&
    typeof v["parts"] === "number" &&
    isNumberArray(v["completedParts"]) &&
    typeof v["started"] === "string" &&
    typeof v["updated"] === "string"
  );
}

/**
 * The local record of an upload in progress, so that running the same `nrp upload file` again
 * continues where it stopped instead of sending everything again.
 *
 * Written atomically (a temporary file renamed over the journal) with mode 0600 in a 0700
 * directory: a crash mid-write leaves the previous state, never half a file, and the URLs inside
 * are nobody else's business. Part completions are coalesced, so many parallel parts finishing
 * together cause few writes, and a write never overtakes a later state.
 */
export class UploadJournal {
  /** The journal file. */
  readonly path: string;
  readonly #data: UploadJournalData;
  #writing: Promise<void> | undefined;
  #dirty = false;
  #error: Error | undefined;

  private constructor(path: string, data: UploadJournalData) {
    this.path = path;
    this.#data = data;
  }

  /** Reads the journal of `key` in `recordUrl`; `undefined` when there is none or it is unusable. */
  static async load(
    configDir: string,
    recordUrl: string,
    key: string,
  ): Promise<UploadJournal | undefined> {
    const path = journalPath(configDir, recordUrl, key);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (!isJournalData(value) || value.record !== recordUrl || value.key !== key) return undefined;
    return new UploadJournal(path, value);
  }

  /** Starts a new journal (replacing any old one) and writes it at once. */
  static async create(
    configDir: string,
    init: Omit<UploadJournalData, "version" | "completedParts" | "started" | "updated"> & {
      completedParts?: readonly number[];
    },
  ): Promise<UploadJournal> {
    const now = new Date().toISOString();
    const journal = new UploadJournal(journalPath(configDir, init.record, init.key), {
      version: JOURNAL_VERSION,
      record: init.record,
      key: init.key,
      file: { ...init.file },
      transfer: init.transfer,
      partSize: init.partSize,
      parts: init.parts,
      completedParts: [...new Set(init.completedParts ?? [])].sort((a, b) => a - b),
      started: now,
      updated: now,
    });
    journal.#dirty = true;
    await journal.flush();
    return journal;
  }

  /** A copy of the stored state. */
  get data(): UploadJournalData {
    return structuredClone(this.#data);
  }

  /** The acknowledged part numbers, ascending. */
  get completedParts(): readonly number[] {
    return [...this.#data.completedParts];
  }

  /** Whether the journal describes the same local file (path, size and modification time). */
  matches(identity: FileIdentity): boolean {
    const f = this.#data.file;
    return f.path === identity.path && f.size === identity.size && f.mtimeMs === identity.mtimeMs;
  }

  /** Records that the server acknowledged `part`, and schedules a write. */
  addPart(part: number): void {
    const parts = this.#data.completedParts;
    if (parts.includes(part)) return;
    parts.push(part);
    parts.sort((a, b) => a - b);
    this.#dirty = true;
    this.#schedule();
  }

  /** Waits until the latest state is on disk; rethrows a failed write. */
  async flush(): Promise<void> {
    this.#schedule();
    while (this.#writing !== undefined) await this.#writing;
    if (this.#error !== undefined) {
      const err = this.#error;
      this.#error = undefined;
      throw err;
    }
  }

  /** Deletes the journal file (the upload finished, or it is being started over). */
  async remove(): Promise<void> {
    this.#dirty = false;
    while (this.#writing !== undefined) await this.#writing;
    await rm(this.path, { force: true });
  }

  #schedule(): void {
    if (this.#writing !== undefined || !this.#dirty) return;
    this.#writing = (async () => {
      try {
        while (this.#dirty) {
          this.#dirty = false;
          this.#data.updated = new Date().toISOString();
          await writePrivateFile(this.path, JSON.stringify(this.#data, null, 2) + "\n");
        }
      } catch (err) {
        this.#error = err instanceof Error ? err : new Error("Cannot write the upload journal.");
      } finally {
        this.#writing = undefined;
      }
    })();
  }
}

/**
 * The keys a batched `nrp upload files` initialised in one draft and may have left pending:
 * `<config dir>/uploads/<sha256(record URL, NUL, NUL batch)>.json`, one file per draft.
 *
 * Why: small files go up in batches (one init request per batch), so a per-file journal would cost
 * a write per file; this one is written once per batch, before its init. A re-run after a kill
 * deletes the pending files it lists and sends them again; committed files are found on the
 * server (same md5: unchanged). Pending files it does not list were not started by nrp here.
 */
export class BatchJournal {
  /** The journal file. */
  readonly path: string;
  readonly #record: string;
  readonly #keys: Set<string>;

  private constructor(path: string, record: string, keys: Iterable<string>) {
    this.path = path;
    this.#record = record;
    this.#keys = new Set(keys);
  }

  /** Reads the batch journal of `recordUrl` (empty when there is none or it is unusable). */
  static async load(configDir: string, recordUrl: string): Promise<BatchJournal> {
    const path = journalPath(configDir, recordUrl, "\u0000batch");
    let keys: string[] = [];
    try {
      const value = JSON.parse(await readFile(path, "utf8")) as unknown;
      const v = value as Record<string, unknown> | null;
      if (
        typeof v === "object" &&
        v !== null &&
        v["version"] === JOURNAL_VERSION &&
        v["record"] === recordUrl &&
        Array.isArray(v["keys"])
      ) {
        keys = v["keys"].filter((k): k is string => typeof k === "string");
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" && !(err instanceof SyntaxError)) {
        throw err;
      }
    }
    return new BatchJournal(path, recordUrl, keys);
  }

  /** Whether a pending file with `key` was left by a batch of nrp in this draft. */
  has(key: string): boolean {
    return this.#keys.has(key);
  }

  /** Adds `keys` and writes the journal (before their init request is sent). */
  async add(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.#keys.add(key);
    await writePrivateFile(
      this.path,
      JSON.stringify({ version: JOURNAL_VERSION, record: this.#record, keys: [...this.#keys] }) +
        "\n",
    );
  }

  /** Deletes the journal (every listed file is committed or deleted). */
  async remove(): Promise<void> {
    this.#keys.clear();
    await rm(this.path, { force: true });
  }
}

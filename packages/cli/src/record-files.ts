import type { NRPFile, NRPRecord, NRPRecordFiles } from "nrp-invenio-client";

import type { CommandContext } from "./context.js";
import { CliError, ExitCode, UsageError } from "./errors.js";
import { expandIds, resolveExisting, resolveRecord } from "./record-ids.js";
import type { RecordForm } from "./record-ids.js";
import { parseSize } from "./sizes.js";
import type { TransferChoice } from "./file-transfer.js";

/** A record and its file list, read together. */
export interface RecordFiles {
  /** The record or draft. */
  record: NRPRecord;
  /** Its files. */
  files: NRPRecordFiles;
}

/**
 * Reads the record named by one id (any form, `@VAR` included) in the wanted form, with its files.
 *
 * Commands that change files work on the draft (`form: "draft"`): files of a published record are
 * read-only, and `@VAR` keeps working after the draft was published and edited again.
 */
export async function recordWithFiles(
  ctx: CommandContext,
  id: string,
  form: RecordForm,
): Promise<RecordFiles> {
  const [one] = await expandIds(ctx, [id], { single: true });
  // Without --draft/--published, a record that exists only as a draft (the id of a new upload)
  // is read as its draft.
  const record =
    form === "given"
      ? await resolveExisting(ctx, one ?? id, { includeFiles: true })
      : await resolveRecord(ctx, one ?? id, form, { includeFiles: true });
  const files = record.files ?? (await record.loadFiles({ signal: ctx.signal }));
  return { record, files };
}

/** The file with `key`, or a not-found error (exit 4) listing the record's files. */
export function requireFile(record: NRPRecord, files: NRPRecordFiles, key: string): NRPFile {
  const file = files.get(key);
  if (file !== undefined) return file;
  const keys = [...files].map((f) => f.key);
  throw new CliError(`${record.mid} has no file ${key}.`, {
    exitCode: ExitCode.notFound,
    code: "file_not_found",
    hint: keys.length === 0 ? "The record has no files." : `Files: ${keys.join(", ")}.`,
  });
}

/** Reads `--concurrency`: a whole number from 1 to 64. */
export function parseConcurrency(value: unknown, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = typeof value === "string" ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    const shown = typeof value === "string" ? value : JSON.stringify(value);
    throw new UsageError(`--concurrency must be a whole number from 1 to 64, not "${shown}".`);
  }
  return n;
}

/** Reads `--part-size` (`16M`, `1GiB`, bytes); at least 1 byte. */
export function parsePartSize(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new UsageError("--part-size must be a single value.");
  const size = parseSize(value, "--part-size");
  if (size < 1) throw new UsageError("--part-size must be at least 1 byte.");
  return size;
}

/** Reads `--transfer`; commander has already checked the choices. */
export function parseTransfer(value: unknown): TransferChoice {
  return value === "L" || value === "M" ? value : "auto";
}

/** Reads `--draft` / `--published` for commands that read files. */
export function parseForm(opts: Readonly<Record<string, unknown>>): RecordForm {
  const draft = opts["draft"] === true;
  const published = opts["published"] === true;
  if (draft && published) throw new UsageError("--draft and --published cannot be used together.");
  return draft ? "draft" : published ? "published" : "given";
}

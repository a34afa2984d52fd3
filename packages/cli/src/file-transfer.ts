import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { Readable } from "node:stream";

import type { NRPError } from "nrp-invenio-client";
import type {
  NRPFile,
  NRPRecord,
  NRPRecordFiles,
  TransferProgress,
  UploadPlan,
} from "nrp-invenio-client";

import { loadClient } from "./client-module.js";
import type { CommandContext } from "./context.js";
import { CliError, ExitCode, UsageError, withHint } from "./errors.js";
import { printFile } from "./file-view.js";
import { Progress } from "./progress.js";
import type { ProgressBar } from "./progress.js";
import { formatSize } from "./sizes.js";
import { collectEvery } from "./transfer-memory.js";
import { UploadJournal, fileIdentity } from "./upload-journal.js";
import type { FileIdentity } from "./upload-journal.js";

/** How `--transfer` asks a file to go up. */
export type TransferChoice = "auto" | "L" | "M";

/** One file to upload, as the command line described it. */
export interface UploadRequest {
  /** The file key in the record. */
  key: string;
  /** A local path, or `-` for standard input. */
  path: string;
  /** The file's metadata. */
  metadata: Record<string, unknown>;
  /** `--transfer`. */
  transfer: TransferChoice;
  /** `--part-size`, in bytes. */
  partSize: number | undefined;
  /** Parts in flight at once. */
  concurrency: number | undefined;
}

/** What {@link uploadFile} did. */
export interface UploadOutcome {
  /** The committed, verified file. */
  file: NRPFile;
  /** Whether an interrupted upload was continued. */
  resumed: boolean;
}

/** The transfer options that the commands sending one file share, as parsed. */
export interface TransferInput {
  /** `--transfer`. */
  transfer: TransferChoice;
  /** `--part-size`, in bytes. */
  partSize: number | undefined;
  /** `--concurrency`: parts in flight at once. */
  concurrency: number | undefined;
  /** `--no-progress` turns the bar off. */
  progress: boolean;
}

/**
 * Uploads one file under a progress bar, then says `done(file, resumed)` on stderr and prints the
 * committed file.
 *
 * `upload file` and `replace file` differ only in what comes before the upload and in that one
 * message, so the rest lives here once.
 */
export async function uploadAndReport(
  ctx: CommandContext,
  record: NRPRecord,
  files: NRPRecordFiles,
  request: TransferInput & { key: string; path: string; metadata: Record<string, unknown> },
  done: (file: NRPFile, resumed: boolean) => string,
): Promise<void> {
  const progress = new Progress(ctx.io.stderr, {
    enabled: request.progress && !ctx.output.options.quiet,
  });
  try {
    const { key, path, metadata, transfer, partSize, concurrency } = request;
    const upload = { key, path, metadata, transfer, partSize, concurrency };
    const { file, resumed } = await uploadFile(ctx, record, files, upload, progress);
    progress.stop();
    ctx.output.info(done(file, resumed));
    printFile(ctx.output, file);
  } finally {
    progress.stop();
  }
}

/** The directory holding the configuration file, where the upload journals live. */
export function configDir(ctx: CommandContext): string {
  return dirname(ctx.globals.config);
}

/**
 * Checks that a local file can be uploaded before any request: it exists, is a regular file and is
 * readable. A missing or unreadable file is the user's to fix (exit 2), not a bug.
 */
export async function checkLocalFile(path: string): Promise<FileIdentity> {
  let identity: FileIdentity;
  try {
    await access(path, constants.R_OK);
    identity = await fileIdentity(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : (code ?? String(err));
    throw new UsageError(`Cannot read ${path}: ${why}.`);
  }
  // A directory passes access(); only regular files (and what links resolve to) can be sent.
  if (!(await stat(path)).isFile())
    throw new UsageError(`Cannot upload ${path}: not a regular file.`);
  return identity;
}

/** Tells the user that files are off on a draft, with the command that turns them on. */
export function filesDisabledError(record: NRPRecord): CliError {
  return new CliError(`Files are not enabled on ${record.mid}.`, {
    exitCode: ExitCode.conflict,
    code: "files_disabled",
    hint:
      "The draft was created metadata-only. Enable files with " +
      `"nrp update record ${record.mid} '{"metadata": {}, "files": {"enabled": true}}'".`,
  });
}

/** The error for a key that is already taken by a file this command did not start. */
export function alreadyThere(record: NRPRecord, file: NRPFile): CliError {
  const pending = file.status === "pending";
  return new CliError(
    pending
      ? `${record.mid} already has a pending upload of ${file.key} that nrp did not start here.`
      : `${record.mid} already has a file ${file.key}.`,
    {
      exitCode: ExitCode.conflict,
      code: "file_exists",
      hint: pending
        ? `Delete it with "nrp delete file ${record.mid} ${file.key}" and upload again.`
        : `Use "nrp replace file ${record.mid} ${file.key} <path>" to replace its content.`,
    },
  );
}

function progressTo(bar: ProgressBar): (p: TransferProgress) => void {
  return (p) => {
    bar.update(p.transferredBytes, p.totalBytes);
  };
}

/** The resume hint printed when an upload stops with parts kept on the server. */
export const RESUME_HINT =
  "Run the same command again to continue; only the missing parts are sent.";

/** The hint printed when every part is on the server but the commit did not succeed. */
const COMMIT_HINT = "Run the same command again to commit it; no part is sent again.";

function stoppedMessage(key: string, journal: UploadJournal): string {
  const { parts, completedParts } = journal.data;
  return `The upload of ${key} stopped with ${completedParts.length} of ${parts} parts on the server.`;
}

/**
 * Uploads one local file (or standard input) to a draft, resumably.
 *
 * Multipart uploads keep a journal (see {@link UploadJournal}) of the parts the server
 * acknowledged and leave the pending file on the server when they stop, so running the same
 * command again continues: the journal must describe the same local file (path, size, mtime) and
 * the server must still hold the pending file with the same size and part size; otherwise the
 * upload starts over (and a stale pending file is deleted first). Single-request uploads have
 * nothing to resume; their journal only marks the pending file as this command's, so a re-run
 * after a kill deletes it and sends the file again. Standard input is simply sent again.
 */
export async function uploadFile(
  ctx: CommandContext,
  record: NRPRecord,
  files: NRPRecordFiles,
  request: UploadRequest,
  progress: Progress,
): Promise<UploadOutcome> {
  const { key } = request;
  if (request.path === "-") return uploadStdin(ctx, files, request, progress);

  const identity = await checkLocalFile(request.path);
  const lib = await loadClient();
  const size = identity.size;
  const recordUrl = record.links["self"] ?? record.mid;
  const dir = configDir(ctx);
  let existing = files.get(key);

  let journal = await UploadJournal.load(dir, recordUrl, key);
  let resume: number[] | undefined;
  if (journal !== undefined) {
    const data = journal.data;
    const pendingSame =
      existing?.status === "pending" &&
      existing.transfer.type === "M" &&
      existing.size === size &&
      existing.transfer.part_size === data.partSize;
    const committedSame = existing?.status === "completed" && existing.size === size;
    const usable =
      journal.matches(identity) &&
      data.transfer === "M" &&
      request.transfer !== "L" &&
      (pendingSame || committedSame);
    if (usable) {
      resume = [...journal.completedParts];
      progress.log(
        `Resuming ${key}: ${resume.length} of ${data.parts} parts ` +
          `(${formatSize(lib.partBytes({ size, partSize: data.partSize, parts: data.parts }, resume))}) ` +
          "are already on the server.",
      );
    } else {
      // A single-request upload cannot continue half-way: a pending file it left (the process
      // was killed before the library could delete it) is deleted and the file sent again whole.
      progress.log(
        data.transfer === "L" && existing?.status === "pending"
          ? `Sending ${key} again: an interrupted upload left it pending on the server.`
          : journal.matches(identity)
            ? `Starting ${key} over: the interrupted upload is no longer pending on the server.`
            : `Starting ${key} over: ${request.path} changed since the interrupted upload.`,
      );
      if (existing?.status === "pending") {
        await existing.delete({ signal: ctx.signal });
        // Deleted: the key is free for the fresh upload below.
        existing = undefined;
      }
      await journal.remove();
      journal = undefined;
    }
  }

  if (existing !== undefined && journal === undefined) throw alreadyThere(record, existing);

  // The layout is the library's (planUpload): a resumed upload keeps the journal's, which the
  // server's pending file was checked against above.
  const plan: UploadPlan =
    journal !== undefined && resume !== undefined
      ? { transfer: "M", size, partSize: journal.data.partSize, parts: journal.data.parts }
      : lib.planUpload(size, {
          transfer: request.transfer,
          partSize: request.partSize,
          offered: (await record.client.info.repository({ signal: ctx.signal })).transfers,
        });
  const transfer = plan.transfer;
  if (plan.transfer === "M") {
    journal ??= await UploadJournal.create(dir, {
      record: recordUrl,
      key,
      file: identity,
      transfer: "M",
      partSize: plan.partSize,
      parts: plan.parts,
    });
  } else {
    // Nothing to resume, but a process killed mid-body leaves the pending file on the server;
    // the journal tells the re-run that it was this command's, so it may delete it and resend.
    journal = await UploadJournal.create(dir, {
      record: recordUrl,
      key,
      file: identity,
      transfer: "L",
      partSize: size,
      parts: 1,
    });
  }

  const startValue = plan.transfer === "M" && resume ? lib.partBytes(plan, resume) : 0;
  const bar = progress.bar(key, size, startValue);
  const single = transfer === "L" ? journal : undefined;
  const active = transfer === "L" ? undefined : journal;
  try {
    const file = await files.create(key, request.metadata, request.path, {
      transfer,
      ...(plan.transfer === "M" ? { partSize: plan.partSize } : {}),
      ...(request.concurrency !== undefined ? { concurrency: request.concurrency } : {}),
      signal: ctx.signal,
      onProgress: progressTo(bar),
      onBytes: collectEvery(),
      ...(active
        ? {
            keepPendingOnFailure: true,
            onPartDone: (part: { part: number }) => {
              active.addPart(part.part);
            },
          }
        : {}),
      ...(resume !== undefined ? { resume: { completedParts: resume } } : {}),
    });
    bar.done();
    await (active ?? single)?.remove();
    return { file, resumed: resume !== undefined };
  } catch (err) {
    bar.done();
    // A failed single-request upload deletes its pending file itself: nothing to continue.
    await single?.remove();
    throw await afterFailure(ctx, err, key, active, progress);
  }
}

/**
 * Decides what stays after a failed upload: the journal when the server kept the pending file
 * (the message says how to continue), nothing otherwise.
 */
async function afterFailure(
  ctx: CommandContext,
  err: unknown,
  key: string,
  journal: UploadJournal | undefined,
  progress: Progress,
): Promise<unknown> {
  if (journal === undefined) return err;
  const lib = await loadClient();
  // Every part acknowledged, then a failure: the commit (or what follows it) failed. With
  // keepPendingOnFailure the library leaves the pending file, and the commit may even have
  // happened with its answer lost; either way the re-run settles it from the journal. Only a
  // checksum mismatch (the committed file was deleted) leaves nothing to continue.
  const { parts, completedParts } = journal.data;
  const commitUnknown =
    completedParts.length === parts && !(err instanceof lib.ChecksumMismatchError);
  const kept =
    ctx.signal.aborted ||
    commitUnknown ||
    (err instanceof lib.NRPError &&
      err.code === lib.ErrorCodes.UploadFailed &&
      (err as NRPError & { pendingKept?: boolean }).pendingKept === true);
  if (!kept) {
    await journal.remove();
    return err;
  }
  try {
    await journal.flush();
  } catch (writeError) {
    progress.log(
      `Warning: could not save the upload journal ${journal.path}: ${String(writeError)}`,
    );
    return err;
  }
  const message = commitUnknown
    ? `All ${String(parts)} parts of ${key} are on the server, but the commit failed. ${COMMIT_HINT}`
    : `${stoppedMessage(key, journal)} ${RESUME_HINT}`;
  if (ctx.signal.aborted) {
    // main() reports the interruption; say here how to continue.
    progress.log(message);
    return err;
  }
  return withHint(err, message);
}

async function uploadStdin(
  ctx: CommandContext,
  files: NRPRecordFiles,
  request: UploadRequest,
  progress: Progress,
): Promise<UploadOutcome> {
  const stdin = ctx.io.stdin;
  if (!stdin) throw new UsageError("'-' uploads standard input, but there is none.");
  if (request.transfer === "M") {
    throw new UsageError(
      "Standard input cannot go up in parts: its size is not known in advance.",
      "Use --transfer L (or auto), or save it to a file first.",
    );
  }
  const bar = progress.bar(request.key, undefined);
  try {
    const source = stdin instanceof Readable ? stdin : Readable.from(stdin);
    const file = await files.create(request.key, request.metadata, source, {
      transfer: "L",
      signal: ctx.signal,
      onProgress: progressTo(bar),
      onBytes: collectEvery(),
    });
    return { file, resumed: false };
  } finally {
    bar.done();
  }
}

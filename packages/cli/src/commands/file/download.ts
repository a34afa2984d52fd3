import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { mkdir, open, readFile, rm, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

import type { NRPFile, NRPRecord } from "nrp-invenio-client";

import type { CommandContext } from "../../context.js";
import { defineCommand, flag, optionalString, requiredString } from "../../define.js";
import { CliError, ExitCode, UsageError, reportError } from "../../errors.js";
import { reportFileResults } from "../../file-results.js";
import type { FileResult } from "../../file-results.js";
import { isPattern, selectKeys } from "../../file-select.js";
import type { CliIO } from "../../io.js";
import { planDownload } from "../../output-path.js";
import { Progress } from "../../progress.js";
import type { ProgressBar } from "../../progress.js";
import type { RecordForm } from "../../record-ids.js";
import { parseConcurrency, parseForm, recordWithFiles, requireFile } from "../../record-files.js";
import { formatSize } from "../../sizes.js";
import { collectEvery } from "../../transfer-memory.js";
import { formOptions } from "./list.js";

/** The input of `nrp download file`. */
export interface DownloadFileInput {
  record: string;
  keys: string[];
  output: string | undefined;
  verify: boolean;
  force: boolean;
  form: RecordForm;
  concurrency: number | undefined;
  progress: boolean;
}

/** What happened to one file. */
interface DownloadResult extends FileResult {
  path: string;
  status: "downloaded" | "failed" | "skipped";
  verified?: boolean;
}

/** The library's temporary file for a download to `target` (it resumes from it). */
function partialPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.nrp-part`);
}

/** The lock file that keeps two downloads from writing the same partial file at once. */
function lockPath(target: string): string {
  return `${partialPath(target)}.lock`;
}

/** Whether the process that wrote a lock is still running (on this host; elsewhere: assumed). */
function lockHolderAlive(content: string): boolean {
  const [pid, host] = content.trim().split(" ");
  const n = Number(pid);
  if (!Number.isSafeInteger(n) || n <= 0) return false;
  if (host !== undefined && host !== hostname()) return true;
  try {
    process.kill(n, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the lock of the partial file of `target`: an exclusively created
 * `.<name>.nrp-part.lock` holding this process's id and host, removed by the returned function.
 *
 * The partial file has a fixed name so that a re-run resumes it; two downloads of the same file
 * into the same place would otherwise write, hash and rename it under each other. A lock whose
 * process is gone (a crash, `kill -9`) is stale and taken over.
 */
async function lockPartial(key: string, target: string): Promise<() => Promise<void>> {
  const path = lockPath(target);
  await mkdir(dirname(target), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, "wx");
      try {
        await handle.writeFile(`${String(process.pid)} ${hostname()}\n`);
      } finally {
        await handle.close();
      }
      return () => rm(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let content: string | undefined;
    try {
      content = await readFile(path, "utf8");
    } catch {
      // Released between the two calls: try again.
      continue;
    }
    // An empty lock may be one being written right now; only a complete one is judged stale.
    if (attempt < 2 && content.trim() !== "" && !lockHolderAlive(content)) {
      await rm(path, { force: true });
      continue;
    }
    const pid = content.trim().split(" ")[0] ?? "";
    throw new CliError(
      `Another download of ${key} into ${target} is running${pid === "" ? "" : ` (process ${pid})`}.`,
      {
        exitCode: ExitCode.conflict,
        code: "download_running",
        hint: `Let it finish, or remove ${path} if no nrp is running.`,
      },
    );
  }
}

/** Why a path cannot be written, by the error code of the file system; undefined for others. */
const IN_THE_WAY: Readonly<Record<string, string>> = {
  EEXIST: "a file is in the way of a directory it needs",
  ENOTDIR: "a file is in the way of a directory it needs",
  EISDIR: "a directory of that name is in the way",
  ENOTEMPTY: "a directory of that name is in the way",
};
const NOT_ALLOWED: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  ENAMETOOLONG: "the name is too long",
};

/** The error for a target that a file or directory already on disk is in the way of. */
function inTheWay(key: string, path: string, why: string): CliError {
  return new CliError(`Cannot write ${key} to ${path}: ${why}.`, {
    exitCode: ExitCode.conflict,
    code: "path_in_the_way",
    hint: "Download it alone with -o FILE to choose another name.",
  });
}

/**
 * The user-facing error for a local file-system failure while writing `key` to `path`, or
 * undefined when `err` is not one.
 *
 * Keys `a` and `a/b` in one record cannot both be written (one needs `a` as a file, the other as
 * a directory); that file fails with a clear line and the others still go down.
 */
function localWriteError(err: unknown, key: string, path: string): CliError | undefined {
  const code = (err as Partial<NodeJS.ErrnoException> | undefined)?.code;
  if (typeof code !== "string" || typeof (err as { syscall?: unknown }).syscall !== "string") {
    return undefined;
  }
  const why = IN_THE_WAY[code];
  if (why !== undefined) return inTheWay(key, path, why);
  const notAllowed = NOT_ALLOWED[code];
  if (notAllowed === undefined) return undefined;
  return new CliError(`Cannot write ${key} to ${path}: ${notAllowed}.`, {
    exitCode: ExitCode.usage,
    code: "cannot_write",
  });
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

function md5Of(checksum: string | undefined): string | undefined {
  const m = /^md5:([0-9a-f]{32})$/i.exec(checksum ?? "");
  return m?.[1]?.toLowerCase();
}

function byteSink(io: CliIO): NodeJS.WritableStream {
  if (io.stdoutBytes) return io.stdoutBytes;
  const out = io.stdout as Partial<NodeJS.WritableStream>;
  if (typeof out.once === "function" && typeof out.on === "function") {
    return out as NodeJS.WritableStream;
  }
  throw new UsageError("Standard output cannot take binary data here; use -o FILE.");
}

/**
 * Streams one file to standard output, hashing it on the way: the bytes cannot be taken back, but
 * a mismatch still fails the command, so `nrp download file ... -o - | tar x` does not end well
 * silently.
 */
async function toStdout(
  ctx: CommandContext,
  file: NRPFile,
  verify: boolean,
  progress: Progress,
): Promise<void> {
  const hash = createHash("md5");
  const body = await file.open({ signal: ctx.signal });
  const bar = progress.bar(file.key, file.size);
  let received = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      received += chunk.length;
      bar.update(received);
      done(null, chunk);
    },
  });
  try {
    await pipeline(body, hashing, byteSink(ctx.io), { end: false, signal: ctx.signal });
  } finally {
    bar.done();
    progress.stop();
  }
  const expected = md5Of(file.checksum);
  const actual = hash.digest("hex");
  if (verify && expected !== undefined && expected !== actual) {
    throw new CliError(
      `The content of ${file.key} does not match its checksum (expected md5:${expected}, got md5:${actual}).`,
      {
        exitCode: ExitCode.network,
        code: "checksum_mismatch",
        hint: "The bytes already written to standard output are damaged; download again.",
      },
    );
  }
}

async function toFile(
  ctx: CommandContext,
  file: NRPFile,
  target: string,
  input: DownloadFileInput,
  progress: Progress,
): Promise<void> {
  if ((await stat(target).catch(() => undefined))?.isDirectory() === true) {
    throw inTheWay(file.key, target, IN_THE_WAY["EISDIR"] ?? "");
  }
  if (!input.force && (await sizeOf(target)) !== undefined) {
    throw new UsageError(
      `${target} already exists with other content.`,
      "Pass --force to overwrite it.",
    );
  }
  // The bar starts when the server has answered: only then is it known whether the partial file
  // of an earlier run is continued (206) or the download starts over (a server ignoring Range).
  let bar: ProgressBar | undefined;
  const start = (value: number): ProgressBar => (bar ??= progress.bar(file.key, file.size, value));
  const unlock = await lockPartial(file.key, target);
  try {
    await file.download(target, {
      signal: ctx.signal,
      verify: input.verify,
      overwrite: input.force,
      // Not given: the library measures the link and adds ranges while they pay.
      concurrency: input.concurrency,
      onResume: (offset) => {
        progress.log(`Resuming ${file.key} from ${formatSize(offset)}.`);
        start(offset);
      },
      onProgress: (p) => {
        start(0).update(p.transferredBytes, p.totalBytes);
      },
      onBytes: collectEvery(),
    });
  } finally {
    bar?.done();
    await unlock();
  }
}

function display(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== "" && !rel.startsWith("..") ? rel : path;
}

/** `nrp download file <record> <key…|*>`: verified, resumable downloads. */
export default defineCommand({
  verb: "download",
  noun: "file",
  movesContent: true,
  nounAliases: ["files"],
  alsoUnder: ["files"],
  summary: "Download files of a record (verified, resumable)",
  description:
    "Download files of a record: keys, shell patterns ('*.csv', 'raw/**') or all of them when no\n" +
    "key is given ('*' or '**' say the same; quote patterns). Keys with / (from a directory\n" +
    "upload) become subdirectories, so nrp download file @r -o DIR mirrors the uploaded tree.\n" +
    "Without -o they go to the current directory under their keys; -o DIR puts them in DIR\n" +
    "(created if needed), -o FILE names a single file, -o - writes one file to standard output.\n" +
    "Each file is written to a temporary .<name>.nrp-part beside the target, checked against\n" +
    "the repository's md5 (--no-verify skips that) and only then renamed. An interrupted download\n" +
    "continues from the temporary file when run again, where the repository serves byte ranges;\n" +
    "one that ignores them (InvenioRDM 13) starts over. Keys that would land outside the output\n" +
    "directory (../x, /etc/x) are refused. A file already there with the same size and md5 is\n" +
    "skipped, so running an interrupted download of many files again finishes it; a file with\n" +
    "other content is kept unless --force is given. A second download of the same file into the\n" +
    "same place while one runs fails at once (exit 5); .<name>.nrp-part.lock marks the running one.",
  arguments: [
    { name: "<record>", description: "record id, URL or @variable" },
    { name: "[keys...]", description: "file keys or patterns (default: all files)" },
  ],
  options(cmd) {
    cmd
      .option("-o, --output <path>", "a directory, a file name, or - for standard output")
      .option("--no-verify", "do not check the md5 checksum")
      .option("--force", "overwrite existing files")
      .option(
        "--concurrency <n>",
        "range requests at once for large files (default: adaptive, up to 16 while more are faster)",
      )
      .option("--no-progress", "no progress bar, even on a terminal");
    formOptions(cmd);
  },
  examples: [
    { command: "nrp download file @r data.csv", description: "to ./data.csv" },
    { command: "nrp download file @r -o data/", description: "every file into data/" },
    { command: "nrp download file @r 'raw/**'", description: "the files under raw/, as a tree" },
    { command: "nrp download file @r table.csv -o - | head", description: "to standard output" },
  ],
  parse(args, opts): DownloadFileInput {
    const given = Array.isArray(args[1]) ? args[1].map(String) : [];
    // No key: every file, as `*` says.
    const keys = given.length === 0 ? ["*"] : given;
    const force = flag(opts["force"]);
    const output = optionalString(opts["output"], "--output");
    if (output === "") throw new UsageError("-o needs a path (or - for standard output).");
    return {
      record: requiredString(args[0], "<record>"),
      keys,
      output,
      verify: flag(opts["verify"], true),
      force,
      form: parseForm(opts),
      concurrency: parseConcurrency(opts["concurrency"]),
      progress: flag(opts["progress"], true),
    };
  },
  async run(ctx, input) {
    const { record, files } = await recordWithFiles(ctx, input.record, input.form);
    const several = input.keys.length > 1 || input.keys.some(isPattern);
    const keys = selectKeys(
      input.keys,
      [...files].map((f) => f.key),
    );
    // Only `*` selects nothing without an error: say so rather than finish in silence.
    if (keys.length === 0) ctx.output.info(`${record.mid} has no files; nothing to download.`);
    const cwd = ctx.io.cwd ?? resolve(".");
    const plan = await planDownload(keys, input.output, { cwd, several });
    const named = new Set(input.keys.filter((k) => !isPattern(k)));
    const progress = new Progress(ctx.io.stderr, {
      // Binary data on a terminal and a bar on the same terminal would garble each other.
      enabled:
        input.progress &&
        !ctx.output.options.quiet &&
        (plan.kind !== "stdout" || ctx.io.stdout.isTTY !== true),
    });
    if (plan.kind === "stdout") {
      await toStdout(ctx, requireFile(record, files, plan.key), input.verify, progress);
      return;
    }
    const results: DownloadResult[] = [];
    if (plan.targets.length > 1) {
      const bytes = plan.targets.reduce((sum, { key }) => sum + (files.get(key)?.size ?? 0), 0);
      progress.total(plan.targets.length, bytes);
    }
    try {
      for (const { key, path } of plan.targets) {
        const result = await downloadOne(ctx, record, key, path, named.has(key), input, progress);
        results.push(result);
        if (result.status === "downloaded" && !ctx.output.options.quiet) {
          progress.log(
            `ok      ${key} -> ${display(path, cwd)} (${formatSize(result.size ?? 0)}` +
              `${result.verified === true ? `, ${result.checksum ?? "md5"} verified` : ""})`,
          );
        } else if (result.status === "failed") {
          const r = result.report;
          progress.log(
            `failed  ${key}: ${result.error ?? ""}${r?.hint === undefined ? "" : ` ${r.hint}`}`,
          );
        } else if (!ctx.output.options.quiet) {
          progress.addToTotal(result.size ?? 0);
          progress.log(`skipped ${key}: ${result.error ?? ""}`);
        }
      }
    } finally {
      progress.stop();
    }
    reportFileResults(ctx, results, {
      columns: ["path", "size", "checksum"],
      cell: (r, column) => (column === "path" ? display(r.path, cwd) : undefined),
      verb: "downloaded",
      hint: (failed, first) =>
        failed.length === 1 && first.hint !== undefined
          ? first.hint
          : `Not downloaded: ${failed.map((r) => r.key).join(", ")}.`,
    });
  },
});

async function downloadOne(
  ctx: CommandContext,
  record: NRPRecord,
  key: string,
  path: string,
  named: boolean,
  input: DownloadFileInput,
  progress: Progress,
): Promise<DownloadResult> {
  const file = record.files?.get(key);
  const result: DownloadResult = { key, path, status: "failed" };
  if (file === undefined) return { ...result, error: "not in the record" };
  if (file.status !== undefined && file.status !== "completed") {
    const error = `${file.status}; only committed files can be downloaded`;
    // A pending upload picked up by a pattern is not what the user asked for; named, it fails.
    if (!named) return { ...result, status: "skipped", error };
    return {
      ...result,
      error: `${key} is ${error}.`,
      report: reportError(
        new CliError(`${key} is ${error}.`, { exitCode: ExitCode.conflict, code: "not_committed" }),
      ),
    };
  }
  const done = {
    key,
    path,
    ...(file.size !== undefined ? { size: file.size } : {}),
    ...(file.checksum !== undefined ? { checksum: file.checksum } : {}),
  };
  try {
    if (!input.force && (await file.matchesLocalFile(path, { signal: ctx.signal }))) {
      return { ...done, status: "skipped", error: "already downloaded (same size and md5)" };
    }
    await toFile(ctx, file, path, input, progress);
  } catch (caught) {
    const err = localWriteError(caught, key, path) ?? caught;
    const report = reportError(err);
    if (report.bug || ctx.signal.aborted) {
      if (ctx.signal.aborted) {
        progress.log(
          `The download of ${key} stopped; run the same command again to finish it ` +
            `(from ${partialPath(path)} where the repository serves byte ranges).`,
        );
      }
      throw err;
    }
    return { ...result, error: report.message, report };
  }
  return {
    ...done,
    status: "downloaded",
    verified: input.verify && md5Of(file.checksum) !== undefined,
  };
}

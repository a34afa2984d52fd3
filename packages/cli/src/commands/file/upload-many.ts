import { stat } from "node:fs/promises";

import type { Command } from "commander";

import { defineCommand, flag, requiredString } from "../../define.js";
import { UsageError, reportError } from "../../errors.js";
import { reportFileResults } from "../../file-results.js";
import type { FileResult } from "../../file-results.js";
import { configDir, filesDisabledError, uploadFile } from "../../file-transfer.js";
import { excludeMatcher, listUploadTree } from "../../file-tree.js";
import type { TreeEntry } from "../../file-tree.js";
import type { TransferChoice } from "../../file-transfer.js";
import { Progress } from "../../progress.js";
import {
  parseConcurrency,
  parsePartSize,
  parseTransfer,
  recordWithFiles,
} from "../../record-files.js";
import { formatSize } from "../../sizes.js";
import { BatchJournal } from "../../upload-journal.js";
import { transferOptions } from "./upload.js";

/** The input of `nrp upload files`. */
export interface UploadFilesInput {
  record: string;
  paths: string[];
  /** `--exclude` patterns, for files found in directories. */
  exclude: string[];
  transfer: TransferChoice;
  partSize: number | undefined;
  concurrency: number;
  progress: boolean;
}

/** Files sent at once by default: enough to hide latency, few enough to keep bars readable. */
export const DEFAULT_FILES_CONCURRENCY = 3;

/**
 * Largest file sent in a batch (one init request for many keys, content read once into memory);
 * larger files go up one by one, resumably.
 */
export const BATCH_MAX_SIZE = 1024 * 1024;

/** One line of the result: what happened to one path. */
interface UploadResult extends FileResult {
  path: string;
  status: "uploaded" | "unchanged" | "failed";
}

/** Collects a repeatable option's values. */
function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Adds the options that choose files from directories. */
function treeOptions(cmd: Command): void {
  cmd
    .option("-r, --recursive", "upload directories with everything below them (the default)")
    .option(
      "--exclude <glob>",
      "leave out files and directories matching this pattern (repeatable)",
      collect,
    );
}

/**
 * Fails when two files would get the same key: uploading both would leave only one of them, and
 * which one would depend on timing.
 */
function checkDistinctKeys(entries: readonly TreeEntry[]): void {
  const seen = new Map<string, string>();
  for (const { path, key } of entries) {
    const other = seen.get(key);
    if (other !== undefined) {
      throw new UsageError(
        `${other} and ${path} would both be uploaded as ${key}.`,
        "Upload one of them with nrp upload file --key, or leave one out with --exclude.",
      );
    }
    seen.set(key, path);
  }
}

/** `nrp upload files <record> <paths…>`: many files and directories, a few files at a time. */
export default defineCommand({
  verb: "upload",
  noun: "files",
  summary: "Upload several files or directories to a draft",
  description:
    "Upload local files and directories to the draft of a record, --concurrency files at a time,\n" +
    "committed and md5-checked. A file goes up under its name; a directory with everything below\n" +
    "it (-r is accepted but not needed), each file under its path relative to that directory with\n" +
    "/ between names (data/raw/a.csv given data/ becomes raw/a.csv), so that\n" +
    "nrp download file @r '**' -o DIR puts the same tree back. In directories, hidden files and\n" +
    "directories (names starting with .) are left out, and so is whatever an --exclude pattern\n" +
    "matches (a pattern without / matches a name at any depth, one with / the path from the\n" +
    "directory); symbolic links are followed only to places inside the same directory.\n" +
    "A file that fails does not stop the others;\n" +
    "each gets a result line, and the exit code is the first failure's. Run it again after a\n" +
    "failure: files already there with the same md5 are reported unchanged, interrupted multipart\n" +
    "uploads resume (as with nrp upload file), and only the rest are sent.\n" +
    "New files of up to 1 MiB go up in batches: one request initialises up to 100 of them.",
  arguments: [
    { name: "<record>", description: "record id, URL or @variable (its draft is used)" },
    { name: "<paths...>", description: "local files and directories" },
  ],
  options(cmd) {
    treeOptions(cmd);
    transferOptions(cmd);
    cmd.option("--concurrency <n>", `files sent at once (default ${DEFAULT_FILES_CONCURRENCY})`);
  },
  examples: [
    { command: "nrp upload files @r data/*.csv", description: "every CSV file of data/" },
    {
      command: "nrp upload files @r results/ --exclude '*.tmp'",
      description: "the tree below results/, keys like run1/out.csv, without *.tmp files",
    },
    {
      command: "nrp upload files @r a.bin b.bin c.bin --concurrency 1",
      description: "one file after another",
    },
  ],
  parse(args, opts): UploadFilesInput {
    const paths = Array.isArray(args[1]) ? args[1].map(String) : [];
    if (paths.length === 0) throw new UsageError("Missing <paths...>.");
    if (paths.includes("-")) {
      throw new UsageError(
        "Standard input can only be uploaded with nrp upload file - --key NAME.",
      );
    }
    const exclude = Array.isArray(opts["exclude"]) ? opts["exclude"].map(String) : [];
    if (exclude.includes("")) throw new UsageError("--exclude needs a pattern.");
    return {
      record: requiredString(args[0], "<record>"),
      // The same path twice is one file.
      paths: [...new Set(paths)],
      exclude,
      transfer: parseTransfer(opts["transfer"]),
      partSize: parsePartSize(opts["partSize"]),
      concurrency: parseConcurrency(opts["concurrency"], DEFAULT_FILES_CONCURRENCY) ?? 1,
      progress: flag(opts["progress"], true),
    };
  },
  async run(ctx, input) {
    const tree = await listUploadTree(input.paths, excludeMatcher(input.exclude));
    checkDistinctKeys(tree.entries);
    const { record, files } = await recordWithFiles(ctx, input.record, "draft");
    if (!files.enabled) throw filesDisabledError(record);
    const progress = new Progress(ctx.io.stderr, {
      enabled: input.progress && !ctx.output.options.quiet,
    });
    const say = (line: string): void => {
      if (!ctx.output.options.quiet) progress.log(line);
    };
    for (const skip of tree.skipped) say(`skipped ${skip.key}: ${skip.reason}`);
    const results: UploadResult[] = tree.entries.map(({ path, key }) => ({
      path,
      key,
      status: "failed",
    }));
    const sizes = await Promise.all(
      results.map(({ path }) =>
        stat(path).then(
          (info) => info.size,
          () => Number.POSITIVE_INFINITY,
        ),
      ),
    );
    if (results.length > 1) {
      progress.total(
        results.length,
        sizes.reduce((sum, size) => (Number.isFinite(size) ? sum + size : sum), 0),
      );
    }
    const empty: UploadResult[] = tree.problems.map(({ path, key, reason }) => {
      progress.log(`failed  ${key}: ${reason}`);
      const report = reportError(new UsageError(reason));
      return { path, key, status: "failed", error: report.message, report };
    });
    // A function, so that the check is not narrowed away between awaits.
    const aborted = (): boolean => ctx.signal.aborted;
    const failed = (result: UploadResult, err: unknown): void => {
      const report = reportError(err);
      // An interruption or a bug stops everything; anything else is this file's failure.
      if (report.bug || aborted()) throw err;
      result.report = report;
      result.error = report.message;
      progress.log(
        `failed  ${result.key}: ${report.message}` +
          (report.hint === undefined ? "" : ` ${report.hint}`),
      );
    };
    // New small files (and those a killed batch left pending) go up in batches; the rest, and
    // every file of --transfer M, one by one below.
    const journal =
      input.transfer === "M"
        ? undefined
        : await BatchJournal.load(configDir(ctx), record.links["self"] ?? record.mid);
    const batched: UploadResult[] = [];
    const single: UploadResult[] = [];
    results.forEach((result, i) => {
      const existing = files.get(result.key);
      const fresh =
        existing === undefined || (existing.status === "pending" && journal?.has(result.key));
      if (journal !== undefined && (sizes[i] ?? Infinity) <= BATCH_MAX_SIZE && fresh === true) {
        batched.push(result);
      } else {
        single.push(result);
      }
    });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < single.length && !aborted()) {
        const result = single[next++];
        if (result === undefined) return;
        try {
          const uploaded = files.get(result.key);
          if (
            uploaded !== undefined &&
            (await uploaded.matchesLocalFile(result.path, { signal: ctx.signal }))
          ) {
            result.status = "unchanged";
            if (uploaded.size !== undefined) result.size = uploaded.size;
            if (uploaded.checksum !== undefined) result.checksum = uploaded.checksum;
            progress.addToTotal(uploaded.size ?? 0);
            say(`same    ${result.key}: already uploaded with the same md5`);
            continue;
          }
          const { file } = await uploadFile(
            ctx,
            record,
            files,
            {
              key: result.key,
              path: result.path,
              metadata: {},
              transfer: input.transfer,
              partSize: input.partSize,
              concurrency: undefined,
            },
            progress,
          );
          result.status = "uploaded";
          if (file.size !== undefined) result.size = file.size;
          if (file.checksum !== undefined) result.checksum = file.checksum;
          say(
            `ok      ${result.key} (${formatSize(file.size ?? 0)}, ${file.checksum ?? "verified"})`,
          );
        } catch (err) {
          failed(result, err);
        }
      }
    };
    try {
      if (journal !== undefined && batched.length > 0) {
        for (const result of batched) {
          const existing = files.get(result.key);
          if (existing === undefined) continue;
          say(`again   ${result.key}: an interrupted upload left it pending on the server`);
          await existing.delete({ signal: ctx.signal });
        }
        const byKey = new Map(batched.map((result) => [result.key, result]));
        const errors = new Map<string, unknown>();
        await files.createMany(
          batched.map(({ key, path }) => ({ key, source: path })),
          {
            concurrency: input.concurrency,
            signal: ctx.signal,
            onBatchStart: (keys) => journal.add(keys),
            onFileDone: ({ key, file, error }) => {
              const result = byKey.get(key);
              if (result === undefined) return;
              if (file === undefined) {
                errors.set(key, error);
                return;
              }
              result.status = "uploaded";
              if (file.size !== undefined) result.size = file.size;
              if (file.checksum !== undefined) result.checksum = file.checksum;
              // A batched small file is sent in one go: its bar is drawn once, full.
              const bar = progress.bar(key, file.size ?? 0);
              bar.update(file.size ?? 0, file.size ?? 0);
              bar.done();
              say(
                `ok      ${result.key} (${formatSize(file.size ?? 0)}, ${file.checksum ?? "verified"})`,
              );
            },
          },
        );
        // Interrupted between files: main reports it (exit 130); the rest is for a re-run.
        if (aborted()) throw new Error("Interrupted.");
        for (const [key, error] of errors) {
          const result = byKey.get(key);
          if (result !== undefined) failed(result, error);
        }
        // Failed files were deleted by the library; one whose deletion failed stays listed.
        if (errors.size === 0 && !aborted()) await journal.remove();
      }
      const workers = Array.from({ length: Math.min(input.concurrency, single.length) }, worker);
      const settled = await Promise.allSettled(workers);
      const rejected = settled.find((s) => s.status === "rejected");
      if (rejected !== undefined) throw rejected.reason;
    } finally {
      progress.stop();
    }
    results.push(...empty);
    reportFileResults(ctx, results, {
      columns: ["size", "checksum", "error"],
      verb: "uploaded",
      hint: (failed) =>
        `Not uploaded: ${failed.map((r) => r.path).join(", ")}.` +
        (failed.every((r) => empty.includes(r))
          ? ""
          : " Running the same command again sends only what is missing."),
    });
    const sent = results.filter((r) => r.status === "uploaded").length;
    const same = results.length - sent;
    ctx.output.info(
      `Uploaded ${sent} file${sent === 1 ? "" : "s"} to ${record.mid}` +
        (same > 0 ? `; ${same} already there unchanged.` : "."),
    );
  },
});

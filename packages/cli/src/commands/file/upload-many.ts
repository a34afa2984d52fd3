import { basename } from "node:path";

import { defineCommand, flag, requiredString } from "../../define.js";
import { UsageError, reportError } from "../../errors.js";
import { reportFileResults } from "../../file-results.js";
import type { FileResult } from "../../file-results.js";
import { filesDisabledError, uploadFile } from "../../file-transfer.js";
import type { TransferChoice } from "../../file-transfer.js";
import { Progress } from "../../progress.js";
import {
  parseConcurrency,
  parsePartSize,
  parseTransfer,
  recordWithFiles,
} from "../../record-files.js";
import { formatSize } from "../../sizes.js";
import { transferOptions } from "./upload.js";

/** The input of `nrp upload files`. */
export interface UploadFilesInput {
  record: string;
  paths: string[];
  transfer: TransferChoice;
  partSize: number | undefined;
  concurrency: number;
  progress: boolean;
}

/** Files sent at once by default: enough to hide latency, few enough to keep bars readable. */
export const DEFAULT_FILES_CONCURRENCY = 3;

/** One line of the result: what happened to one path. */
interface UploadResult extends FileResult {
  path: string;
  status: "uploaded" | "unchanged" | "failed";
}

/** `nrp upload files <record> <paths…>`: many files, a few at a time. */
export default defineCommand({
  verb: "upload",
  noun: "files",
  summary: "Upload several files to a draft",
  description:
    "Upload several local files to the draft of a record, --concurrency files at a time, each\n" +
    "under its file name, committed and md5-checked. A file that fails does not stop the others;\n" +
    "each gets a result line, and the exit code is the first failure's. Run it again after a\n" +
    "failure: files already there with the same md5 are reported unchanged, interrupted multipart\n" +
    "uploads resume (as with nrp upload file), and only the rest are sent.",
  arguments: [
    { name: "<record>", description: "record id, URL or @variable (its draft is used)" },
    { name: "<paths...>", description: "local files" },
  ],
  options(cmd) {
    transferOptions(cmd);
    cmd.option("--concurrency <n>", `files sent at once (default ${DEFAULT_FILES_CONCURRENCY})`);
  },
  examples: [
    { command: "nrp upload files @r data/*.csv", description: "every CSV file of data/" },
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
    const seen = new Map<string, string>();
    for (const p of paths) {
      const key = basename(p);
      const other = seen.get(key);
      if (other !== undefined && other !== p) {
        throw new UsageError(
          `${other} and ${p} would both be uploaded as ${key}.`,
          "Upload one of them with nrp upload file --key.",
        );
      }
      seen.set(key, p);
    }
    return {
      record: requiredString(args[0], "<record>"),
      paths: [...seen.values()],
      transfer: parseTransfer(opts["transfer"]),
      partSize: parsePartSize(opts["partSize"]),
      concurrency: parseConcurrency(opts["concurrency"], DEFAULT_FILES_CONCURRENCY) ?? 1,
      progress: flag(opts["progress"], true),
    };
  },
  async run(ctx, input) {
    const { record, files } = await recordWithFiles(ctx, input.record, "draft");
    if (!files.enabled) throw filesDisabledError(record);
    const progress = new Progress(ctx.io.stderr, {
      enabled: input.progress && !ctx.output.options.quiet,
    });
    const results: UploadResult[] = input.paths.map((path) => ({
      path,
      key: basename(path),
      status: "failed",
    }));
    const say = (line: string): void => {
      if (!ctx.output.options.quiet) progress.log(line);
    };
    // A function, so that the check is not narrowed away between awaits.
    const aborted = (): boolean => ctx.signal.aborted;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < results.length && !aborted()) {
        const result = results[next++];
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
          const report = reportError(err);
          // An interruption or a bug stops everything; anything else is this file's failure.
          if (report.bug || aborted()) throw err;
          result.report = report;
          result.error = report.message;
          progress.log(
            `failed  ${result.key}: ${report.message}` +
              (report.hint === undefined ? "" : ` ${report.hint}`),
          );
        }
      }
    };
    try {
      const workers = Array.from({ length: Math.min(input.concurrency, results.length) }, worker);
      const settled = await Promise.allSettled(workers);
      const rejected = settled.find((s) => s.status === "rejected");
      if (rejected !== undefined) throw rejected.reason;
    } finally {
      progress.stop();
    }
    reportFileResults(ctx, results, {
      columns: ["size", "checksum", "error"],
      verb: "uploaded",
      hint: (failed) =>
        `Not uploaded: ${failed.map((r) => r.path).join(", ")}. ` +
        "Running the same command again sends only what is missing.",
    });
    const sent = results.filter((r) => r.status === "uploaded").length;
    const same = results.length - sent;
    ctx.output.info(
      `Uploaded ${sent} file${sent === 1 ? "" : "s"} to ${record.mid}` +
        (same > 0 ? `; ${same} already there unchanged.` : "."),
    );
  },
});

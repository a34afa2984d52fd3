import { basename } from "node:path";

import { Option } from "commander";
import type { Command } from "commander";

import { defineCommand, flag, optionalString, requiredString } from "../../define.js";
import { UsageError } from "../../errors.js";
import { filesDisabledError, uploadAndReport } from "../../file-transfer.js";
import type { TransferInput } from "../../file-transfer.js";
import { readJsonObject } from "../../json-input.js";
import {
  parseConcurrency,
  parsePartSize,
  parseTransfer,
  recordWithFiles,
} from "../../record-files.js";
import { formatSize } from "../../sizes.js";

/** The input of `nrp upload file`. */
export interface UploadFileInput extends TransferInput {
  record: string;
  path: string;
  metadata: string | undefined;
  key: string;
}

/** Adds the options shared by the commands that send content. */
export function transferOptions(cmd: Command): void {
  cmd
    .addOption(
      new Option(
        "--transfer <type>",
        "L: one request, M: parts in parallel, auto: M for large files",
      )
        .choices(["auto", "L", "M"])
        .default("auto"),
    )
    .option(
      "--part-size <size>",
      "part size of multipart uploads, e.g. 16M, 64MiB (default 16M; 8M to 16M under 256M)",
    )
    .option("--no-progress", "no progress bar, even on a terminal");
}

/** Adds {@link transferOptions} and `--concurrency` (parts at once) for a one-file upload. */
export function oneFileTransferOptions(cmd: Command): void {
  transferOptions(cmd);
  cmd.option(
    "--concurrency <n>",
    "parts sent at once (default: adaptive, 4 and more up to 16 while more are faster)",
  );
}

/** Reads the options {@link oneFileTransferOptions} added. */
export function parseTransferInput(opts: Readonly<Record<string, unknown>>): TransferInput {
  return {
    transfer: parseTransfer(opts["transfer"]),
    partSize: parsePartSize(opts["partSize"]),
    concurrency: parseConcurrency(opts["concurrency"]),
    progress: flag(opts["progress"], true),
  };
}

/** `nrp upload file <record> <path|-> [metadata]`: one file, resumable. */
export default defineCommand({
  verb: "upload",
  noun: "file",
  movesContent: true,
  summary: "Upload a file to a draft (resumable)",
  description:
    "Upload a local file (or standard input with -) to the draft of a record, commit it and check\n" +
    "that the server stored the same md5. The key defaults to the file's name. Large files go up\n" +
    "in parts (--transfer auto: multipart from 64 MiB when the repository offers it), several at\n" +
    "a time (--concurrency). An interrupted multipart upload is remembered in a journal under\n" +
    "<config dir>/uploads/: running the same command again sends only the missing parts.\n" +
    "The metadata is inline JSON, a JSON file, or - for standard input.",
  arguments: [
    { name: "<record>", description: "record id, URL or @variable (its draft is used)" },
    { name: "<path>", description: "the local file, or - for standard input (needs --key)" },
    { name: "[metadata]", description: "the file's metadata: inline JSON, a .json file, or -" },
  ],
  options(cmd) {
    cmd.option("--key <key>", "the file's key in the record (default: the file's name)");
    oneFileTransferOptions(cmd);
  },
  examples: [
    { command: "nrp upload file @r data.csv", description: "upload data.csv to the draft in @r" },
    {
      command: `nrp upload file @r big.tar '{"description": "raw data"}' --part-size 64M`,
      description: "a large file in 64 MiB parts, with metadata; run again to resume",
    },
    {
      command: "tar c dir | nrp upload file @r - --key dir.tar",
      description: "standard input, under a key",
    },
  ],
  parse(args, opts): UploadFileInput {
    const path = requiredString(args[1], "<path>");
    const metadata = optionalString(args[2], "[metadata]");
    const key = optionalString(opts["key"], "--key") ?? (path === "-" ? undefined : basename(path));
    if (key === undefined || key === "") {
      throw new UsageError("Uploading standard input needs a key.", "Pass --key NAME.");
    }
    if (path === "-" && metadata === "-") {
      throw new UsageError("Standard input cannot be both the content and the metadata.");
    }
    return {
      record: requiredString(args[0], "<record>"),
      path,
      metadata,
      key,
      ...parseTransferInput(opts),
    };
  },
  async run(ctx, input) {
    const metadata =
      input.metadata === undefined
        ? {}
        : (await readJsonObject(input.metadata, ctx.io, ctx.signal)).value;
    const { record, files } = await recordWithFiles(ctx, input.record, "draft");
    if (!files.enabled) throw filesDisabledError(record);
    await uploadAndReport(
      ctx,
      record,
      files,
      { ...input, metadata },
      (file, resumed) =>
        `${resumed ? "Finished uploading" : "Uploaded"} ${file.key} (${formatSize(file.size ?? 0)}) ` +
        `to ${record.mid}; ${file.checksum ?? "checksum"} verified.`,
    );
  },
});

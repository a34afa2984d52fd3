import { defineCommand, requiredString } from "../../define.js";
import { UsageError } from "../../errors.js";
import {
  checkLocalFile,
  configDir,
  filesDisabledError,
  uploadAndReport,
} from "../../file-transfer.js";
import type { TransferInput } from "../../file-transfer.js";
import { recordWithFiles, requireFile } from "../../record-files.js";
import { formatSize } from "../../sizes.js";
import { UploadJournal } from "../../upload-journal.js";
import { oneFileTransferOptions, parseTransferInput } from "./upload.js";

/** The input of `nrp replace file`. */
export interface ReplaceFileInput extends TransferInput {
  record: string;
  key: string;
  path: string;
}

/** `nrp replace file <record> <key> <path>`: new content under the same key and metadata. */
export default defineCommand({
  verb: "replace",
  noun: "file",
  movesContent: true,
  alsoUnder: ["files"],
  summary: "Replace the content of a file (keeps its metadata)",
  description:
    "Replace the content of a file in the draft of a record with a local file: the old file is\n" +
    "deleted and the new content uploaded under the same key with the same metadata, committed\n" +
    "and md5-checked. If the upload is interrupted, running the same command again continues it\n" +
    "(the old content is already gone by then).",
  arguments: [
    { name: "<record>", description: "record id, URL or @variable (its draft is used)" },
    { name: "<key>", description: "the file's key" },
    { name: "<path>", description: "the local file with the new content" },
  ],
  options(cmd) {
    oneFileTransferOptions(cmd);
  },
  examples: [
    {
      command: "nrp replace file @r data.csv ./data-v2.csv",
      description: "new content for data.csv",
    },
  ],
  parse(args, opts): ReplaceFileInput {
    const path = requiredString(args[2], "<path>");
    if (path === "-") {
      // The old content is deleted before the new one goes up: a failed upload from standard
      // input could not be sent again, and the file would be lost.
      throw new UsageError(
        "replace file needs a local file, not standard input: the old content is deleted first, and standard input could not be sent again if the upload failed.",
        "Save the new content to a file first, or delete the file and run nrp upload file <record> - --key <key>.",
      );
    }
    return {
      record: requiredString(args[0], "<record>"),
      key: requiredString(args[1], "<key>"),
      path,
      ...parseTransferInput(opts),
    };
  },
  async run(ctx, input) {
    // The local file is checked before anything is deleted.
    await checkLocalFile(input.path);
    const { record, files } = await recordWithFiles(ctx, input.record, "draft");
    if (!files.enabled) throw filesDisabledError(record);
    const recordUrl = record.links["self"] ?? record.mid;
    const journal = await UploadJournal.load(configDir(ctx), recordUrl, input.key);
    // A journal means an earlier replace (or upload) of this key was interrupted after the old
    // content was deleted: the pending file is continued instead of being replaced again.
    const old =
      journal === undefined ? requireFile(record, files, input.key) : files.get(input.key);
    const metadata = old === undefined ? {} : structuredClone(old.metadata);
    const resumable = journal !== undefined && old?.status === "pending";
    if (old !== undefined && !resumable) await old.delete({ signal: ctx.signal });
    await uploadAndReport(
      ctx,
      record,
      files,
      { ...input, metadata },
      (file) =>
        `Replaced ${file.key} in ${record.mid} (${formatSize(file.size ?? 0)}); ` +
        `${file.checksum ?? "checksum"} verified.`,
    );
  },
});

import { confirm, requireConfirmable } from "../../confirm.js";
import { defineCommand, flag, requiredString } from "../../define.js";
import { UsageError, declined } from "../../errors.js";
import { configDir } from "../../file-transfer.js";
import { selectKeys } from "../../file-select.js";
import { recordWithFiles } from "../../record-files.js";
import { formatSize } from "../../sizes.js";
import { UploadJournal } from "../../upload-journal.js";

/** The input of `nrp delete file`. */
export interface DeleteFileInput {
  record: string;
  keys: string[];
  yes: boolean;
}

/** `nrp delete file <record> <key…>`: deletes files from a draft after confirmation. */
export default defineCommand({
  verb: "delete",
  verbAliases: ["rm"],
  noun: "file",
  alsoUnder: ["files"],
  summary: "Delete files from a draft",
  description:
    "Delete files (keys or patterns) from the draft of a record. A pending multipart upload is\n" +
    "aborted, and nrp forgets its local upload journal. nrp lists the files and asks on a\n" +
    "terminal; elsewhere --yes is required.",
  arguments: [
    { name: "<record>", description: "record id, URL or @variable (its draft is used)" },
    { name: "<keys...>", description: "file keys or patterns" },
  ],
  options(cmd) {
    cmd.option("-y, --yes", "do not ask for confirmation");
  },
  examples: [
    { command: "nrp delete file @r old.csv", description: "delete old.csv, after asking" },
    { command: "nrp delete file @r '*.tmp' --yes", description: "in a script: no question" },
  ],
  parse(args, opts): DeleteFileInput {
    const keys = Array.isArray(args[1]) ? args[1].map(String) : [];
    if (keys.length === 0) throw new UsageError("Missing <keys...>.");
    return { record: requiredString(args[0], "<record>"), keys, yes: flag(opts["yes"]) };
  },
  async run(ctx, input) {
    requireConfirmable(ctx.io, input.yes, "delete files");
    const { record, files } = await recordWithFiles(ctx, input.record, "draft");
    const keys = selectKeys(
      input.keys,
      [...files].map((f) => f.key),
    );
    if (!input.yes) {
      const listing = keys
        .map((k) => {
          const f = files.get(k);
          return `  ${k}  ${f?.size === undefined ? "" : formatSize(f.size)}`.trimEnd();
        })
        .join("\n");
      ctx.io.stderr.write(`About to delete from ${record.mid}:\n${listing}\n`);
      if (!(await confirm(ctx.io, false, "Delete?"))) {
        ctx.output.info("Nothing was deleted.");
        throw declined();
      }
    }
    const recordUrl = record.links["self"] ?? record.mid;
    const deleted: { key: string; deleted: true }[] = [];
    for (const key of keys) {
      const file = files.get(key);
      if (file === undefined) continue;
      await file.delete({ signal: ctx.signal });
      await (await UploadJournal.load(configDir(ctx), recordUrl, key))?.remove();
      deleted.push({ key, deleted: true });
      ctx.output.info(`Deleted ${key} from ${record.mid}.`);
    }
    ctx.output.result(deleted.length === 1 && input.keys.length === 1 ? deleted[0] : deleted);
  },
});

import type { Command } from "commander";

import { defineCommand, requiredString } from "../../define.js";
import { printFiles } from "../../file-view.js";
import type { RecordForm } from "../../record-ids.js";
import { parseForm, recordWithFiles } from "../../record-files.js";

/** The input of `nrp list files`. */
export interface ListFilesInput {
  record: string;
  form: RecordForm;
}

/** Adds `--draft` / `--published` to commands that read files. */
export function formOptions(cmd: Command): void {
  cmd
    .option("--draft", "the files of the record's draft")
    .option("--published", "the files of the published record");
}

/** `nrp list files <record>`: the files of a record or draft. */
export default defineCommand({
  verb: "list",
  verbAliases: ["ls"],
  noun: "files",
  nounAliases: ["file"],
  alsoUnder: ["file"],
  summary: "List the files of a record",
  description:
    "List the files of a record or draft: key, size, status (pending until committed), checksum\n" +
    "and type. --format json prints the server's entries in full (metadata, links, transfer).\n" +
    "--draft or --published picks the draft or the published record of the id.",
  arguments: [{ name: "<record>", description: "record id, URL or @variable" }],
  options: formOptions,
  examples: [
    { command: "nrp list files @r", description: "the files of the record in @r" },
    { command: "nrp files ls @r --draft --format json", description: "the draft's files as JSON" },
  ],
  parse(args, opts): ListFilesInput {
    return { record: requiredString(args[0], "<record>"), form: parseForm(opts) };
  },
  async run(ctx, input) {
    const { record, files } = await recordWithFiles(ctx, input.record, input.form);
    if (!files.enabled) ctx.output.info(`Files are not enabled on ${record.mid}.`);
    printFiles(ctx.output, [...files]);
  },
});

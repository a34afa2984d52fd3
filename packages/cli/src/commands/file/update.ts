import { defineCommand, requiredString } from "../../define.js";
import { printFile } from "../../file-view.js";
import { readJsonObject } from "../../json-input.js";
import { recordWithFiles, requireFile } from "../../record-files.js";

/** The input of `nrp update file`. */
export interface UpdateFileInput {
  record: string;
  key: string;
  metadata: string;
}

/** `nrp update file <record> <key> <metadata>`: replaces a file's metadata. */
export default defineCommand({
  verb: "update",
  noun: "file",
  alsoUnder: ["files"],
  summary: "Replace the metadata of a file",
  description:
    "Replace the metadata of a file in the draft of a record with the given JSON object (inline,\n" +
    "a .json file, or - for standard input). The content is not touched.",
  arguments: [
    { name: "<record>", description: "record id, URL or @variable (its draft is used)" },
    { name: "<key>", description: "the file's key" },
    { name: "<metadata>", description: "the new metadata: inline JSON, a .json file, or -" },
  ],
  examples: [
    {
      command: `nrp update file @r data.csv '{"description": "cleaned"}'`,
      description: "set the metadata of data.csv",
    },
  ],
  parse(args): UpdateFileInput {
    return {
      record: requiredString(args[0], "<record>"),
      key: requiredString(args[1], "<key>"),
      metadata: requiredString(args[2], "<metadata>"),
    };
  },
  async run(ctx, input) {
    const { value } = await readJsonObject(input.metadata, ctx.io, ctx.signal);
    const { record, files } = await recordWithFiles(ctx, input.record, "draft");
    const file = requireFile(record, files, input.key);
    // `data` is the entry's JSON, which save() sends as {"metadata": ...}.
    file.data["metadata"] = value;
    await file.save({ signal: ctx.signal });
    ctx.output.info(`Updated the metadata of ${file.key} in ${record.mid}.`);
    printFile(ctx.output, file);
  },
});

import { loadClient } from "../../client-module.js";
import { defineCommand, flag, requiredString } from "../../define.js";
import { UsageError, withHint } from "../../errors.js";
import { readJsonObject } from "../../json-input.js";
import { expandIds, resolveRecord } from "../../record-ids.js";
import { printRecord, warnErrors } from "../../record-view.js";
import { applyUpdate } from "./merge.js";

/** The input of `nrp update record`. */
export interface UpdateRecordInput {
  id: string;
  data: string;
  mode: "merge" | "replace";
}

/** The advice printed when the draft changed between reading and saving it. */
export function conflictHint(id: string): string {
  return (
    `The draft changed on the server after nrp read it, so nothing was overwritten. ` +
    `Run "nrp get record ${id} --draft" to see the current version, then run the update again.`
  );
}

/** `nrp update record <id> <json|file|->`: changes a draft's metadata, safely. */
export default defineCommand({
  verb: "update",
  noun: "record",
  summary: "Change a draft's metadata (merge or replace)",
  description:
    "Read the draft of <id>, apply the JSON and save it with If-Match, so a change someone made\n" +
    "in between is never overwritten (exit 5 with advice instead). --merge (the default) merges\n" +
    "the JSON into the metadata as a JSON Merge Patch (RFC 7396): objects merge, null deletes a\n" +
    "field, arrays and other values replace. --replace replaces the metadata with the JSON.\n" +
    'A document with a "metadata" key is a partial record: each top-level key it has (metadata,\n' +
    "files, parent, ...) is merged or replaced. Validation problems are printed as warnings.\n" +
    "A published id means its draft; open one with nrp edit record first.",
  arguments: [
    { name: "<id>", description: "record id, URL, DOI or @variable (the draft is updated)" },
    { name: "<data>", description: "JSON text, a path to a JSON file, or - for standard input" },
  ],
  options(cmd) {
    cmd
      .option("--merge", "merge the JSON into the metadata (default)")
      .option("--replace", "replace the metadata with the JSON");
  },
  examples: [
    {
      command: `nrp update record @r '{"description": "Heights", "keywords": null}'`,
      description: "set description, delete keywords",
    },
    {
      command: "nrp update record draft/datasets/abcde-12345 metadata.json --replace",
      description: "replace the whole metadata from a file",
    },
  ],
  parse(args, opts): UpdateRecordInput {
    const merge = flag(opts["merge"]);
    const replace = flag(opts["replace"]);
    if (merge && replace) throw new UsageError("--merge and --replace cannot be used together.");
    return {
      id: requiredString(args[0], "<id>"),
      data: requiredString(args[1], "<data>"),
      mode: replace ? "replace" : "merge",
    };
  },
  async run(ctx, input) {
    const { value } = await readJsonObject(input.data, ctx.io, ctx.signal);
    const [id = input.id] = await expandIds(ctx, [input.id], { single: true });
    const draft = await resolveRecord(ctx, id, "draft");
    const ignored = applyUpdate(draft.data, value, input.mode);
    if (ignored.length > 0) {
      ctx.output.warn(`ignored server-maintained field(s): ${ignored.join(", ")}.`);
    }
    try {
      await draft.save({ signal: ctx.signal });
    } catch (err) {
      const { PreconditionFailedError } = await loadClient();
      throw err instanceof PreconditionFailedError ? withHint(err, conflictHint(input.id)) : err;
    }
    ctx.output.info(`Updated ${draft.mid} (revision ${draft.revisionId ?? "?"}).`);
    warnErrors(ctx.output, draft);
    printRecord(ctx.output, draft);
  },
});

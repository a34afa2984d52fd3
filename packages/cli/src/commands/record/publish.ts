import { loadedClient } from "../../client-module.js";
import { defineCommand, optionalString, requiredString } from "../../define.js";
import { expandIds, resolveRecord, storeVariable } from "../../record-ids.js";
import { withHint } from "../../errors.js";
import { printRecord } from "../../record-view.js";
import { orReview } from "../../review.js";
import { parseSetTarget } from "../../variables.js";
import type { SetTarget } from "../../variables.js";

/** The input of `nrp publish record`. */
export interface PublishRecordInput {
  id: string;
  version: string | undefined;
  set: SetTarget | undefined;
}

function needsFilesHint(err: unknown): boolean {
  // A validation error comes from the library, which is loaded by then.
  const lib = loadedClient();
  return (
    lib !== undefined &&
    err instanceof lib.APIError &&
    err.errors.some((e) => e.field === "files.enabled")
  );
}

/** What to do when a draft cannot be published because files are enabled but none are uploaded. */
export function filesHint(id: string): string {
  return (
    "Upload its files first, or make the draft metadata-only: " +
    `nrp update record ${id} '{"metadata": {}, "files": {"enabled": false}}'`
  );
}

/** `nrp publish record <id> [version]`: publishes a draft. */
export default defineCommand({
  verb: "publish",
  noun: "record",
  summary: "Publish a draft",
  description:
    "Publish the draft of <id> and print the published record. With [version], metadata.version\n" +
    "is set (and saved) first. Publishing validates strictly: an invalid draft exits 5 and lists\n" +
    "the fields to fix. Where the model publishes only through a curator's review, nrp creates\n" +
    "and submits the publish request instead, prints it and says how to follow it; --set then\n" +
    "stores the request. Otherwise --set points a variable at the published record.",
  arguments: [
    { name: "<id>", description: "record id, URL, DOI or @variable (its draft is published)" },
    { name: "[version]", description: "a version label stored in metadata.version, e.g. 1.0" },
  ],
  options(cmd) {
    cmd.option("--set <var>", "store the published record's API URL in a variable");
  },
  examples: [
    { command: "nrp publish record @r --set r", description: "publish; @r now names the record" },
    {
      command: "nrp publish record draft/documents/abcde-12345 1.0",
      description: "publish with metadata.version = 1.0",
    },
  ],
  parse(args, opts): PublishRecordInput {
    const set = optionalString(opts["set"], "--set");
    return {
      id: requiredString(args[0], "<id>"),
      version: optionalString(args[1], "[version]"),
      set: set === undefined ? undefined : parseSetTarget(set),
    };
  },
  async run(ctx, input) {
    const [id = input.id] = await expandIds(ctx, [input.id], { single: true });
    const draft = await resolveRecord(ctx, id, "draft");
    let published;
    try {
      published = await orReview(ctx, draft, input.set, () =>
        draft.publish({ version: input.version, signal: ctx.signal }),
      );
    } catch (err) {
      throw needsFilesHint(err) ? withHint(err, filesHint(input.id)) : err;
    }
    if (published === undefined) return;
    ctx.output.info(`Published ${published.mid}.`);
    printRecord(ctx.output, published);
    await storeVariable(ctx, input.set, [published]);
  },
});

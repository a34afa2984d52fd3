import { defineCommand, flag, optionalString, requiredString } from "../../define.js";
import { expandIds, resolveRecord, storeVariable } from "../../record-ids.js";
import { printRecord, warnErrors } from "../../record-view.js";
import { orReview } from "../../review.js";
import { parseSetTarget } from "../../variables.js";
import type { SetTarget } from "../../variables.js";

/** The input of `nrp version record`. */
export interface VersionRecordInput {
  id: string;
  /** `--keep-files`: carry the published version's files over to the new one. */
  keepFiles: boolean;
  set: SetTarget | undefined;
}

/** `nrp version record <id> [--keep-files]`: Start a new version of a published record. */
export default defineCommand({
  verb: "version",
  noun: "record",
  summary: "Start a new version of a published record",
  description:
    "Create a draft of a new version of the published record <id> (or return the one already\n" +
    "started) and print it. Files are not carried over unless --keep-files: then the new draft\n" +
    "imports the published version's files (on NRP the new-version request asks for them too,\n" +
    "for when a curator accepts it). --set stores the new draft's URL.",
  arguments: [
    { name: "<id>", description: "record id, URL, DOI or @variable (the published record)" },
  ],
  options(cmd) {
    cmd
      .option("--keep-files", "carry the published version's files over to the new draft")
      .option("--set <var>", "store the draft's API URL in a variable (+var appends)");
  },
  examples: [
    { command: "nrp version record @r --set v2", description: "a new version, as @v2" },
    {
      command: "nrp version record @r --keep-files",
      description: "a new version that starts with the files of @r",
    },
    { command: "nrp record version documents/abcde-12345", description: "noun-verb form" },
  ],
  parse(args, opts): VersionRecordInput {
    const set = optionalString(opts["set"], "--set");
    return {
      id: requiredString(args[0], "<id>"),
      keepFiles: flag(opts["keepFiles"]),
      set: set === undefined ? undefined : parseSetTarget(set),
    };
  },
  async run(ctx, input) {
    const [id = input.id] = await expandIds(ctx, [input.id], { single: true });
    const record = await resolveRecord(ctx, id, "published");
    const draft = await orReview(ctx, record, input.set, () =>
      record.newVersion({ keepFiles: input.keepFiles ? true : undefined, signal: ctx.signal }),
    );
    if (draft === undefined) return;
    ctx.output.info(`Started a new version as draft ${draft.mid}.`);
    warnErrors(ctx.output, draft);
    printRecord(ctx.output, draft);
    await storeVariable(ctx, input.set, [draft]);
  },
});

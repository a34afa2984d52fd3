import { defineIdCommand } from "../../id-command.js";
import { resolveRecord, storeVariable } from "../../record-ids.js";
import { printRecord, warnErrors } from "../../record-view.js";
import { orReview } from "../../review.js";

/** `nrp version record <id>`: Start a new version of a published record. */
export default defineIdCommand({
  verb: "version",
  noun: "record",
  summary: "Start a new version of a published record",
  description:
    "Create a draft of a new version of the published record <id> (or return the one already\n" +
    "started) and print it. Files are not carried over. --set stores the new draft's URL.",
  idDescription: "record id, URL, DOI or @variable (the published record)",
  setHelp: "store the draft's API URL in a variable (+var appends)",
  examples: [
    { command: "nrp version record @r --set v2", description: "a new version, as @v2" },
    { command: "nrp record version documents/abcde-12345", description: "noun-verb form" },
  ],
  async run(ctx, id, input) {
    const record = await resolveRecord(ctx, id, "published");
    const draft = await orReview(ctx, record, input.set, () =>
      record.newVersion({ signal: ctx.signal }),
    );
    if (draft === undefined) return;
    ctx.output.info(`Started a new version as draft ${draft.mid}.`);
    warnErrors(ctx.output, draft);
    printRecord(ctx.output, draft);
    await storeVariable(ctx, input.set, [draft]);
  },
});

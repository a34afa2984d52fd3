import { defineIdCommand } from "../../id-command.js";
import { resolveRecord, storeVariable } from "../../record-ids.js";
import { printRecord, warnErrors } from "../../record-view.js";
import { orReview } from "../../review.js";

/** `nrp edit record <id>`: Open a draft of a published record for editing. */
export default defineIdCommand({
  verb: "edit",
  noun: "record",
  summary: "Open a draft of a published record for editing",
  description:
    "Create a draft of the published record <id> (or return the one already open) and print\n" +
    "it. Change it with nrp update record and publish it again. --set stores the draft's URL.",
  idDescription: "record id, URL, DOI or @variable (the published record)",
  setHelp: "store the draft's API URL in a variable (+var appends)",
  examples: [
    { command: "nrp edit record @r --set d", description: "open the draft of @r as @d" },
    { command: "nrp record edit datasets/abcde-12345", description: "noun-verb form" },
  ],
  async run(ctx, id, input) {
    const record = await resolveRecord(ctx, id, "published");
    const draft = await orReview(ctx, record, input.set, () => record.edit({ signal: ctx.signal }));
    if (draft === undefined) return;
    ctx.output.info(`Opened draft ${draft.mid}.`);
    warnErrors(ctx.output, draft);
    printRecord(ctx.output, draft);
    await storeVariable(ctx, input.set, [draft]);
  },
});

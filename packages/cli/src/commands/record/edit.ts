import { defineCommand, optionalString, requiredString } from "../../define.js";
import { expandIds, resolveRecord, storeVariable } from "../../record-ids.js";
import { printRecord, warnErrors } from "../../record-view.js";
import { parseSetTarget } from "../../variables.js";
import type { SetTarget } from "../../variables.js";

/** The input of `nrp edit record`. */
export interface EditRecordInput {
  id: string;
  set: SetTarget | undefined;
}

/** `nrp edit record <id>`: Open a draft of a published record for editing. */
export default defineCommand({
  verb: "edit",
  noun: "record",
  summary: "Open a draft of a published record for editing",
  description:
    "Create a draft of the published record <id> (or return the one already open) and print\n" +
    "it. Change it with nrp update record and publish it again. --set stores the draft's URL.",
  arguments: [
    { name: "<id>", description: "record id, URL, DOI or @variable (the published record)" },
  ],
  options(cmd) {
    cmd.option("--set <var>", "store the draft's API URL in a variable (+var appends)");
  },
  examples: [
    { command: "nrp edit record @r --set d", description: "open the draft of @r as @d" },
    { command: "nrp record edit datasets/abcde-12345", description: "noun-verb form" },
  ],
  parse(args, opts): EditRecordInput {
    const set = optionalString(opts["set"], "--set");
    return {
      id: requiredString(args[0], "<id>"),
      set: set === undefined ? undefined : parseSetTarget(set),
    };
  },
  async run(ctx, input) {
    const [id = input.id] = await expandIds(ctx, [input.id], { single: true });
    const record = await resolveRecord(ctx, id, "published");
    const draft = await record.edit({ signal: ctx.signal });
    ctx.output.info(`Opened draft ${draft.mid}.`);
    warnErrors(ctx.output, draft);
    printRecord(ctx.output, draft);
    await storeVariable(ctx, input.set, [draft]);
  },
});

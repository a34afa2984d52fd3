import { defineCommand, flag, optionalString, requiredString } from "../../define.js";
import { readJsonObject } from "../../json-input.js";
import { storeVariable } from "../../record-ids.js";
import { printRecord, warnErrors } from "../../record-view.js";
import { parseSetTarget } from "../../variables.js";
import type { SetTarget } from "../../variables.js";

/** The input of `nrp create record`. */
export interface CreateRecordInput {
  model: string;
  data: string;
  community: string | undefined;
  workflow: string | undefined;
  filesEnabled: boolean;
  set: SetTarget | undefined;
}

/** `nrp create record <model> <json|file|->`: creates a draft. */
export default defineCommand({
  verb: "create",
  noun: "record",
  summary: "Create a draft record from JSON",
  description:
    "Create a draft of <model> from JSON given inline, in a file, or on standard input (-).\n" +
    'Bare metadata ({"title": ...}) is wrapped in {"metadata": ...} when the model keeps its data\n' +
    'there; a document that already has "metadata" is sent as it is. Drafts are validated\n' +
    "leniently: the draft is created even when fields are invalid, and the problems are printed\n" +
    "as warnings (they must be fixed before publishing). Files are enabled unless --no-files.",
  arguments: [
    { name: "<model>", description: "the model, e.g. datasets (see: nrp describe models)" },
    { name: "<data>", description: "JSON text, a path to a JSON file, or - for standard input" },
  ],
  options(cmd) {
    cmd
      .option("--community <community>", "the community (slug or id) the draft belongs to")
      .option("--workflow <workflow>", "the workflow code (default: the community's)")
      .option("--no-files", "create a metadata-only draft (files disabled)")
      .option("--set <var>", "store the draft's API URL in a variable (+var appends)");
  },
  examples: [
    {
      command: `nrp create record documents '{"title": "Trees"}' --no-files --set r`,
      description: "a metadata-only draft, remembered as @r",
    },
    {
      command: "nrp create record datasets record.json --community physics",
      description: "from a file, in the community 'physics'",
    },
    {
      command: "jq '.metadata' old.json | nrp create record datasets - --community physics",
      description: "from standard input",
    },
  ],
  parse(args, opts): CreateRecordInput {
    const set = optionalString(opts["set"], "--set");
    return {
      model: requiredString(args[0], "<model>"),
      data: requiredString(args[1], "<data>"),
      community: optionalString(opts["community"], "--community"),
      workflow: optionalString(opts["workflow"], "--workflow"),
      filesEnabled: flag(opts["files"], true),
      set: set === undefined ? undefined : parseSetTarget(set),
    };
  },
  async run(ctx, input) {
    const { value } = await readJsonObject(input.data, ctx.io, ctx.signal);
    // Variables are per alias: fail on a missing alias before creating anything.
    if (input.set !== undefined) await ctx.aliasName();
    const client = await ctx.client();
    const draft = await client.records.create(input.model, value, {
      community: input.community,
      workflow: input.workflow,
      filesEnabled: input.filesEnabled,
      signal: ctx.signal,
    });
    ctx.output.info(`Created draft ${draft.mid}.`);
    warnErrors(ctx.output, draft);
    printRecord(ctx.output, draft);
    await storeVariable(ctx, input.set, [draft]);
  },
});

import { defineCommand, requiredString } from "../../define.js";
import { checkVariableName } from "../../variables.js";
import type { VariableView } from "./view.js";

/** `nrp remove variable <name>`: forgets a variable. */
export default defineCommand({
  verb: "remove",
  verbAliases: ["rm"],
  noun: "variable",
  summary: "Remove a variable",
  description:
    "Remove <name> from the variables of the current repository alias. The records it names are\n" +
    "not touched.",
  arguments: [{ name: "<name>", description: "variable name (with or without @)" }],
  examples: [
    { command: "nrp remove variable r", description: "forget @r" },
    { command: "nrp variable rm r", description: "the same, in noun-verb form" },
  ],
  parse: (args) => ({ name: checkVariableName(requiredString(args[0], "<name>")) }),
  async run(ctx, input) {
    const alias = await ctx.aliasName();
    const store = await ctx.variables();
    const values = store.require(alias, input.name);
    store.remove(alias, input.name);
    await store.save();
    ctx.output.info(`Removed @${input.name} from "${alias}".`);
    const view: VariableView = { name: input.name, alias, values };
    ctx.output.result(view);
  },
});

import { defineCommand } from "../../define.js";
import { VARIABLE_COLUMNS, variableRow } from "./view.js";
import type { VariableView } from "./view.js";

/** `nrp list variables`: the variables of the current repository alias. */
export default defineCommand({
  verb: "list",
  verbAliases: ["ls"],
  noun: "variable",
  nounForm: "variables",
  summary: "List the variables of the current repository alias",
  description:
    "List the variables stored for the current repository alias (--alias or the default), with\n" +
    "their values.",
  examples: [
    { command: "nrp list variables", description: "variables of the default alias" },
    { command: "nrp --alias zenodo list variables --format json", description: "as JSON" },
  ],
  parse: () => ({}),
  async run(ctx) {
    const alias = await ctx.aliasName();
    const store = await ctx.variables();
    const views: VariableView[] = store.list(alias).map((v) => ({ ...v, alias }));
    if (views.length === 0) {
      ctx.output.info(`No variables for "${alias}" yet; create records with --set <name>.`);
      if (ctx.output.format === "table") return;
    }
    ctx.output.list(views.map(variableRow), VARIABLE_COLUMNS, views);
  },
});

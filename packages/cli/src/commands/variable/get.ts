import { defineCommand, requiredString } from "../../define.js";
import { checkVariableName } from "../../variables.js";
import type { VariableView } from "./view.js";

/** `nrp get variable <name>`: the values stored under a name. */
export default defineCommand({
  verb: "get",
  noun: "variable",
  summary: "Show the values of a variable",
  description:
    "Show the values stored under <name> for the current repository alias. In a table each value\n" +
    "is on its own line; --format json gives {name, alias, values}.",
  arguments: [{ name: "<name>", description: "variable name (with or without @)" }],
  examples: [
    { command: "nrp get variable r", description: "show @r" },
    {
      command: "nrp get variable r --format json | jq -r '.values[]'",
      description: "one value per line, for a shell loop",
    },
  ],
  parse: (args) => ({ name: checkVariableName(requiredString(args[0], "<name>")) }),
  async run(ctx, input) {
    const alias = await ctx.aliasName();
    const store = await ctx.variables();
    const values = store.require(alias, input.name);
    const view: VariableView = { name: input.name, alias, values };
    ctx.output.record(
      [
        ["name", `@${input.name}`],
        ["alias", alias],
        ["values", values.join("\n")],
      ],
      view,
    );
  },
});

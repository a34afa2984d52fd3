import { defineCommand, requiredString } from "../../define.js";
import { UsageError } from "../../errors.js";
import { checkVariableName } from "../../variables.js";
import type { VariableView } from "./view.js";

/** The input of `nrp set variable`. */
export interface SetVariableInput {
  name: string;
  values: string[];
  append: boolean;
}

/** `nrp set variable <name> <value…>`: stores record ids under a name for `@name`. */
export default defineCommand({
  verb: "set",
  noun: "variable",
  summary: "Store record ids (or URLs) under a name, for use as @name",
  description:
    "Store one or more values under <name> for the current repository alias (--alias or the\n" +
    "default). Any record id argument then accepts @name. A value that is itself @other copies\n" +
    "that variable's values. Variables live in variables.yaml beside the configuration file\n" +
    "(mode 0600).",
  arguments: [
    { name: "<name>", description: "variable name (letters, digits, _ . -)" },
    { name: "<values...>", description: "record ids, mids, URLs or DOIs" },
  ],
  options(cmd) {
    cmd.option("--append", "add the values to the existing ones instead of replacing them");
  },
  examples: [
    {
      command: "nrp set variable r datasets/abcde-12345",
      description: "then: nrp get record @r",
    },
    {
      command: "nrp set variable all @r @s --append",
      description: "add the values of @r and @s to @all",
    },
  ],
  parse(args, opts): SetVariableInput {
    const raw = args[1];
    const values = Array.isArray(raw) ? raw.map(String) : [];
    if (values.length === 0) throw new UsageError("Missing <values...>.");
    if (values.some((v) => v.trim() === "")) throw new UsageError("Values must not be empty.");
    return {
      name: checkVariableName(requiredString(args[0], "<name>")),
      values,
      append: opts["append"] === true,
    };
  },
  async run(ctx, input) {
    const alias = await ctx.aliasName();
    const store = await ctx.variables();
    const values = input.values.flatMap((v) =>
      v.startsWith("@") ? store.require(alias, checkVariableName(v)) : [v],
    );
    const stored = store.set(alias, input.name, values, input.append);
    await store.save();
    ctx.output.info(
      `Set @${input.name} for "${alias}" (${stored.length} value${stored.length === 1 ? "" : "s"}).`,
    );
    const view: VariableView = { name: input.name, alias, values: stored };
    ctx.output.result(view);
  },
});

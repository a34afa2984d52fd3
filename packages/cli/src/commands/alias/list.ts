import { defineCommand } from "../../define.js";
import { ALIAS_COLUMNS, aliasRow, aliasView, effectiveDefault } from "./view.js";

/** `nrp list aliases`: the configured repositories, tokens masked. */
export default defineCommand({
  verb: "list",
  verbAliases: ["ls"],
  noun: "alias",
  nounForm: "aliases",
  summary: "List the configured repository aliases",
  description:
    "List the repository aliases in the configuration file: name, URL, whether it is the default,\n" +
    "TLS verification, and whether a token is stored (tokens are never printed).",
  examples: [
    { command: "nrp list aliases", description: "show all aliases; * marks the default" },
    { command: "nrp list aliases --format json", description: "the same as a JSON array" },
  ],
  parse: () => ({}),
  async run(ctx) {
    const config = await ctx.config();
    const views = config.repositories.map((r) => aliasView(r, effectiveDefault(config)));
    if (views.length === 0) {
      ctx.output.info(
        `No aliases in ${config.path} yet; add one with "nrp add alias <url> [alias]".`,
      );
      if (ctx.output.format === "table") return;
    }
    ctx.output.list(views.map(aliasRow), ALIAS_COLUMNS, views);
  },
});

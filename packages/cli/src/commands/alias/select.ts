import { defineCommand, requiredString } from "../../define.js";
import { aliasView } from "./view.js";

/** `nrp select alias <alias>`: makes an alias the default. */
export default defineCommand({
  verb: "select",
  noun: "alias",
  summary: "Make an alias the default repository",
  description:
    "Make <alias> the default repository: commands without --alias talk to it from now on.",
  arguments: [{ name: "<alias>", description: "a configured alias (see: nrp list aliases)" }],
  examples: [
    { command: "nrp select alias zenodo", description: "use the alias 'zenodo' by default" },
    { command: "nrp alias select test", description: "the same, in noun-verb form" },
  ],
  parse: (args) => ({ alias: requiredString(args[0], "<alias>") }),
  async run(ctx, input) {
    const config = await ctx.config();
    const repo = config.getRepository(input.alias);
    config.setDefault(input.alias);
    await config.save();
    ctx.output.info(`"${repo.alias}" (${repo.serverUrl}) is now the default alias.`);
    ctx.output.result(aliasView(repo, config.defaultRepository));
  },
});

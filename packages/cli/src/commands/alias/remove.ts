import { defineCommand, requiredString } from "../../define.js";
import { aliasView, effectiveDefault } from "./view.js";

/** `nrp remove alias <alias>`: deletes an alias (and its stored token) from the configuration. */
export default defineCommand({
  verb: "remove",
  verbAliases: ["rm"],
  noun: "alias",
  summary: "Remove a repository alias and its stored token",
  description:
    "Remove <alias> and its stored token from the configuration file. Nothing changes on the server;\n" +
    "revoke the token in the repository's settings if it should stop working.",
  arguments: [{ name: "<alias>", description: "a configured alias (see: nrp list aliases)" }],
  examples: [
    { command: "nrp remove alias test", description: "forget the alias 'test'" },
    { command: "nrp alias rm test", description: "the same, in noun-verb form" },
  ],
  parse: (args) => ({ alias: requiredString(args[0], "<alias>") }),
  async run(ctx, input) {
    const config = await ctx.config();
    const repo = config.getRepository(input.alias);
    const view = aliasView(repo, effectiveDefault(config));
    config.removeRepository(input.alias);
    await config.save();
    ctx.output.info(`Removed alias "${repo.alias}" (${repo.serverUrl}) from ${config.path}.`);
    if (view.default) {
      const next = effectiveDefault(config);
      ctx.output.info(
        next === undefined
          ? 'There is no default alias now; choose one with "nrp select alias <alias>".'
          : `The default alias is now "${next}".`,
      );
    }
    ctx.output.result(view);
  },
});

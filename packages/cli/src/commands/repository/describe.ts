import { defineCommand, optionalString } from "../../define.js";

/** `nrp describe repository [alias]`: what a repository is and offers. */
export default defineCommand({
  verb: "describe",
  noun: "repository",
  summary: "Show a repository's name, kind, version, features and models",
  description:
    "Ask the repository what it is: name, NRP or plain InvenioRDM, versions, transfer types,\n" +
    "features and models. Uses [alias], else --alias, else the default alias.",
  arguments: [
    { name: "[alias]", description: "a configured alias (default: --alias or the default)" },
  ],
  examples: [
    { command: "nrp describe repository", description: "the default repository, as a table" },
    {
      command: "nrp describe repository zenodo --format json",
      description: "the alias 'zenodo', as the repository's JSON plus the model names",
    },
  ],
  parse: (args) => ({ alias: optionalString(args[0], "[alias]") }),
  async run(ctx, input) {
    const client = await ctx.client(input.alias);
    const info = await client.info.repository({ signal: ctx.signal });
    const models = await client.info.models({ signal: ctx.signal });
    const kind = info.isRdm ? "InvenioRDM" : "NRP";
    const names = models.map((m) => m.name);
    ctx.output.record(
      [
        ["name", info.name],
        ["description", info.description],
        ["url", client.serverUrl],
        ["kind", kind],
        ["version", info.version],
        ["invenio version", info.invenioVersion],
        ["transfers", info.transfers],
        ["features", info.features],
        ["default model", info.defaultModel],
        ["models", names],
        ["api", info.links["api"]],
      ],
      { ...info.toDict(), url: client.serverUrl, kind: info.isRdm ? "rdm" : "nrp", models: names },
    );
  },
});

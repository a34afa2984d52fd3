import type { NRPModelInfo } from "nrp-invenio-client";

import { defineCommand, flag, optionalString } from "../../define.js";
import type { Column } from "../../output.js";

const MODEL_COLUMNS: readonly Column[] = [
  { key: "name" },
  { key: "description" },
  { key: "version" },
  { key: "features" },
  { key: "url", header: "records" },
];

function modelRow(m: NRPModelInfo): Record<string, unknown> {
  return {
    name: m.name,
    description: m.description,
    version: m.version,
    features: m.features,
    url: m.url,
  };
}

/** `nrp describe models [model]`: the repository's models, or one model in detail. */
export default defineCommand({
  verb: "describe",
  noun: "models",
  summary: "List a repository's models, or show one model in detail",
  description:
    "Without [model], list the data models the repository serves (--vocabularies adds those).\n" +
    "With [model], show that model's schemas, features and endpoints; an unknown name exits 4\n" +
    "and lists the known ones.",
  arguments: [{ name: "[model]", description: "a model name, e.g. datasets" }],
  options(cmd) {
    cmd.option("--vocabularies", "also list vocabulary models (affiliations, licenses, ...)");
  },
  examples: [
    { command: "nrp describe models", description: "all models of the default repository" },
    {
      command: "nrp describe model datasets --format yaml",
      description: "one model, as YAML",
    },
    {
      command: "nrp --alias zenodo models describe --format jsonl",
      description: "one JSON object per model, in noun-verb form",
    },
  ],
  parse: (args, opts) => ({
    model: optionalString(args[0], "[model]"),
    vocabularies: flag(opts["vocabularies"]),
  }),
  async run(ctx, input) {
    const client = await ctx.client();
    if (input.model === undefined) {
      const models = await client.info.models({
        signal: ctx.signal,
        includeVocabularies: input.vocabularies,
      });
      ctx.output.list(
        models.map(modelRow),
        MODEL_COLUMNS,
        models.map((m) => m.toDict()),
      );
      return;
    }
    const m = await client.info.getModel(input.model, { signal: ctx.signal });
    ctx.output.record(
      [
        ["name", m.name],
        ["description", m.description],
        ["version", m.version],
        ["schemas", m.schemas],
        ["features", m.features],
        ["metadata", m.metadata],
        ["records", m.url],
        ["drafts", m.userUrl],
      ],
      m.toDict(),
    );
  },
});

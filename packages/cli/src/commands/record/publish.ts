import { loadedClient } from "../../client-module.js";
import { defineCommand, optionalString } from "../../define.js";
import type { CommandContext } from "../../context.js";
import {
  expandIds,
  resolveRecord,
  storeValues,
  storeVariable,
  variableValue,
} from "../../record-ids.js";
import { CliError, UsageError, reportError, withHint } from "../../errors.js";
import { requestVariableValue } from "../../request-api.js";
import { receiverText } from "../../request-view.js";
import { printRecord } from "../../record-view.js";
import { orReview, pendingRequest } from "../../review.js";
import { parseSetTarget } from "../../variables.js";
import type { SetTarget } from "../../variables.js";

/** The input of `nrp publish record`. */
export interface PublishRecordInput {
  /** The record references as typed (ids, URLs, DOIs, `@VAR`). */
  ids: string[];
  version: string | undefined;
  set: SetTarget | undefined;
}

/**
 * Whether a positional names a record rather than being the trailing version label: `@VAR`, a
 * URL or DOI, a mid (`model/id`), or an Invenio id (`abcde-12345`).
 */
function looksLikeRecord(value: string): boolean {
  const v = value.trim();
  return (
    v.startsWith("@") ||
    v.includes("/") ||
    /^https?:/i.test(v) ||
    /^doi:/i.test(v) ||
    /^[a-z0-9]{5}-[a-z0-9]{5}$/i.test(v)
  );
}

/** One record's outcome in a `publish record` of several. */
interface PublishOutcome extends Record<string, unknown> {
  item: number;
  id: string;
  outcome: "published" | "submitted for review" | "accepted at once" | "failed";
  result: string | undefined;
  message: string | undefined;
}

const OUTCOME_COLUMNS = [
  { key: "item", header: "#" },
  { key: "id" },
  { key: "outcome" },
  { key: "result" },
  { key: "message" },
] as const;

/**
 * Publishes several drafts one after the other; a failure is reported and does not stop the
 * others. Each gets one result line (the published record, or the review request a curated model
 * made instead), as `create record` reports a batch.
 */
async function publishMany(
  ctx: CommandContext,
  input: PublishRecordInput,
  ids: readonly string[],
): Promise<void> {
  const outcomes: PublishOutcome[] = [];
  const stored: string[] = [];
  let firstFailure: ReturnType<typeof reportError> | undefined;
  for (const [index, id] of ids.entries()) {
    const item = index + 1;
    try {
      const draft = await resolveRecord(ctx, id, "draft");
      try {
        const published = await draft.publish({ version: input.version, signal: ctx.signal });
        outcomes.push({
          item,
          id,
          outcome: "published",
          result: published.mid,
          message: undefined,
        });
        stored.push(variableValue(published));
        ctx.output.info(`ok      ${id} -> ${published.mid}`);
      } catch (err) {
        const request = pendingRequest(err);
        if (request === undefined) throw err;
        const accepted = request.status === "accepted";
        outcomes.push({
          item,
          id,
          outcome: accepted ? "accepted at once" : "submitted for review",
          result: request.id,
          message: accepted ? undefined : `by ${receiverText(request.toDict()["receiver"])}`,
        });
        stored.push(requestVariableValue(request));
        ctx.output.info(
          `review  ${id} -> ${request.type} request ${request.id} (${request.status})`,
        );
      }
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const report = reportError(err);
      if (report.bug) throw err;
      firstFailure ??= report;
      outcomes.push({ item, id, outcome: "failed", result: undefined, message: report.message });
      ctx.output.info(`failed  ${id}: ${report.message}`);
    }
  }
  ctx.output.list(outcomes, OUTCOME_COLUMNS);
  await storeValues(ctx, input.set, stored);
  const failed = outcomes.filter((o) => o.outcome === "failed");
  const published = outcomes.filter((o) => o.outcome === "published").length;
  const reviewed = outcomes.length - failed.length - published;
  ctx.output.info(
    `Published ${String(published)} of ${String(ids.length)} drafts` +
      (reviewed > 0 ? `; ${String(reviewed)} went to review` : "") +
      ".",
  );
  if (firstFailure !== undefined) {
    throw new CliError(
      `${String(failed.length)} of ${String(ids.length)} drafts could not be published.`,
      {
        exitCode: firstFailure.exitCode,
        code: firstFailure.code,
        hint: `Failed items (1-based): ${failed.map((f) => f.item).join(", ")}.`,
      },
    );
  }
}

function needsFilesHint(err: unknown): boolean {
  // A validation error comes from the library, which is loaded by then.
  const lib = loadedClient();
  return (
    lib !== undefined &&
    err instanceof lib.APIError &&
    err.errors.some((e) => e.field === "files.enabled")
  );
}

/** What to do when a draft cannot be published because files are enabled but none are uploaded. */
export function filesHint(id: string): string {
  return (
    "Upload its files first, or make the draft metadata-only: " +
    `nrp update record ${id} '{"metadata": {}, "files": {"enabled": false}}'`
  );
}

/** `nrp publish record <id> [version]`: publishes a draft. */
export default defineCommand({
  verb: "publish",
  noun: "record",
  summary: "Publish a draft",
  description:
    "Publish the draft of <id> and print the published record. With [version], metadata.version\n" +
    "is set (and saved) first. Publishing validates strictly: an invalid draft exits 5 and lists\n" +
    "the fields to fix. Where the model publishes only through a curator's review, nrp creates\n" +
    "and submits the publish request instead, prints it and says how to follow it; --set then\n" +
    "stores the request. Otherwise --set points a variable at the published record.\n\n" +
    "Several ids (or a variable holding several) are published one after the other, each with\n" +
    "its own result line (published, sent to review, or failed); a failure does not stop the\n" +
    "others, and the exit code is the first failure's.",
  arguments: [
    {
      name: "<ids...>",
      description:
        "record ids, URLs, DOIs or @variables (their drafts are published); then optionally a " +
        "[version] label stored in metadata.version, e.g. 1.0",
    },
  ],
  options(cmd) {
    cmd.option("--set <var>", "store the published record's API URL in a variable");
  },
  examples: [
    { command: "nrp publish record @r --set r", description: "publish; @r now names the record" },
    {
      command: "nrp publish record draft/documents/abcde-12345 1.0",
      description: "publish with metadata.version = 1.0",
    },
  ],
  parse(args, opts): PublishRecordInput {
    const set = optionalString(opts["set"], "--set");
    const positionals = (Array.isArray(args[0]) ? (args[0] as unknown[]) : [args[0]]).filter(
      (a): a is string => typeof a === "string",
    );
    const last = positionals[positionals.length - 1];
    const version =
      positionals.length >= 2 && last !== undefined && !looksLikeRecord(last)
        ? positionals.pop()
        : undefined;
    if (positionals.length === 0) throw new UsageError("Missing <ids...>.");
    return {
      ids: positionals,
      version,
      set: set === undefined ? undefined : parseSetTarget(set),
    };
  },
  async run(ctx, input) {
    const ids = await expandIds(ctx, input.ids);
    if (ids.length > 1) {
      await publishMany(ctx, input, ids);
      return;
    }
    const [id = input.ids[0] ?? ""] = ids;
    const draft = await resolveRecord(ctx, id, "draft");
    let published;
    try {
      published = await orReview(ctx, draft, input.set, () =>
        draft.publish({ version: input.version, signal: ctx.signal }),
      );
    } catch (err) {
      throw needsFilesHint(err) ? withHint(err, filesHint(input.ids[0] ?? id)) : err;
    }
    if (published === undefined) return;
    ctx.output.info(`Published ${published.mid}.`);
    printRecord(ctx.output, published);
    await storeVariable(ctx, input.set, [published]);
  },
});

import { constants } from "node:fs";
import { access } from "node:fs/promises";

import type { NRPRecord } from "nrp-invenio-client";

import type { CommandContext } from "../../context.js";
import { defineCommand, flag, optionalString, requiredString } from "../../define.js";
import { CliError, UsageError, reportError } from "../../errors.js";
import { isJsonLinesPath, readJsonArgument, readJsonLines } from "../../json-input.js";
import type { JsonLinesState } from "../../json-input.js";
import { storeVariable } from "../../record-ids.js";
import { errorLines, printRecord, printRecords, warnErrors } from "../../record-view.js";
import { isPlainObject, parseSetTarget } from "../../variables.js";
import type { SetTarget } from "../../variables.js";

/** The input of `nrp create record`. */
export interface CreateRecordInput {
  model: string;
  data: string;
  community: string | undefined;
  workflow: string | undefined;
  filesEnabled: boolean;
  set: SetTarget | undefined;
  concurrency: number;
  jsonl: boolean;
}

/**
 * Creates one draft per item of a JSON array with bounded concurrency; failures are reported per
 * item and do not stop the others.
 */
async function createMany(
  ctx: CommandContext,
  input: CreateRecordInput,
  items: Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>,
  stopped: JsonLinesState = {},
): Promise<void> {
  const client = await ctx.client();
  // A live counter only for a person watching a terminal; logs and pipes get the summary line.
  const live = ctx.io.stderr.isTTY === true && !ctx.output.options.quiet;
  const results = await client.records.createMany(input.model, items, {
    concurrency: input.concurrency,
    community: input.community,
    workflow: input.workflow,
    filesEnabled: input.filesEnabled,
    signal: ctx.signal,
    onProgress: live
      ? (done, failed) => {
          ctx.io.stderr.write(`\rcreated ${done - failed}, failed ${failed}`);
        }
      : undefined,
  });
  if (live && results.length > 0) ctx.io.stderr.write("\n");
  const total = results.length;
  const created: NRPRecord[] = [];
  const failures: { index: number; report: ReturnType<typeof reportError> }[] = [];
  for (const r of results) {
    if (r.ok) {
      created.push(r.record);
      const lines = errorLines(r.record);
      if (lines.length > 0) {
        ctx.output.warn(
          `item ${r.index + 1} (${r.record.mid}) was saved with validation errors:\n` +
            lines.map((l) => `  ${l}`).join("\n"),
        );
      }
    } else {
      const report = reportError(r.error);
      failures.push({ index: r.index, report });
      const fields = report.fields
        .filter((f) => f.messages.length > 0)
        .map((f) => `\n  ${f.field || "(record)"}: ${f.messages.join("; ")}`)
        .join("");
      ctx.output.warn(`item ${r.index + 1} was not created: ${report.message}${fields}`);
    }
  }
  if (created.length > 0) printRecords(ctx.output, created);
  await storeVariable(ctx, input.set, created);
  ctx.output.info(`Created ${created.length} of ${total} draft${total === 1 ? "" : "s"}.`);
  if (stopped.error) {
    const line = stopped.line ?? 0;
    throw new CliError(stopped.error.message, {
      code: "usage",
      hint:
        `Reading stopped there; ${created.length} draft(s) from the lines before it were created` +
        (failures.length > 0 ? ` and ${failures.length} failed` : "") +
        `. Fix line ${String(line)} and continue from it with:\n  ${continueCommand(input, line)}`,
    });
  }
  const first = failures[0];
  if (first) {
    throw new CliError(`${failures.length} of ${total} records could not be created.`, {
      exitCode: first.report.exitCode,
      code: first.report.code,
      hint: `Failed items (1-based): ${failures.map((f) => f.index + 1).join(", ")}.`,
    });
  }
}

/** Quotes a word for a POSIX shell when it needs it. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that feeds standard input again from `line` on, with the same options (a `--set`
 * variable appended to, so it ends up holding every draft).
 */
export function continueCommand(input: CreateRecordInput, line: number): string {
  const args = ["nrp", "create", "record", input.model, "-", "--jsonl"];
  if (input.community !== undefined) args.push("--community", input.community);
  if (input.workflow !== undefined) args.push("--workflow", input.workflow);
  if (!input.filesEnabled) args.push("--no-files");
  if (input.set !== undefined) args.push("--set", `+${input.set.name}`);
  if (input.concurrency !== 4) args.push("--concurrency", String(input.concurrency));
  return `tail -n +${String(line)} <your file> | ${args.map(shellWord).join(" ")}`;
}

/**
 * Reads a whole JSON Lines file once, creating nothing, so that a bad line stops the batch before
 * its first draft; constant memory (the file is read again to create).
 */
async function checkJsonLines(ctx: CommandContext, path: string): Promise<number> {
  const state: JsonLinesState = {};
  let count = 0;
  for await (const item of readJsonLines(path, ctx.io, state)) {
    if (isPlainObject(item)) count++;
  }
  if (state.error) {
    throw new CliError(state.error.message, {
      code: "usage",
      hint: "Nothing was created: the whole file is checked first. Fix the line and run again.",
    });
  }
  if (count === 0) throw new UsageError(`${path} holds no records: nothing to create.`);
  return count;
}

async function checkReadable(path: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === "ENOENT"
        ? `${path} does not exist.`
        : `Cannot read ${path}: ${code ?? String(err)}.`,
    );
  }
}

function parseConcurrency(value: unknown): number {
  const n = Number(optionalString(value, "--concurrency") ?? "4");
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new UsageError("--concurrency must be a whole number from 1 to 64.");
  }
  return n;
}

/** `nrp create record <model> <json|file|->`: creates a draft. */
export default defineCommand({
  verb: "create",
  noun: "record",
  summary: "Create a draft record from JSON",
  description:
    "Create a draft of <model> from JSON given inline, in a file, or on standard input (-).\n" +
    'Bare metadata ({"title": ...}) is wrapped in {"metadata": ...} when the model keeps its data\n' +
    'there; a document that already has "metadata" is sent as it is. Drafts are validated\n' +
    "leniently: the draft is created even when fields are invalid, and the problems are printed\n" +
    "as warnings (they must be fixed before publishing). Files are enabled unless --no-files.\n" +
    "A JSON array, or JSON Lines (--jsonl, or a .jsonl file; streamed), creates one draft per\n" +
    "item, --concurrency at a time; a failing item is reported and does not stop the others\n" +
    "(exit code of the first failure). A file is checked whole before anything is created;\n" +
    "standard input is streamed, and a bad line there stops reading with the command that\n" +
    "continues from it. --community puts the draft in a community; on InvenioRDM\n" +
    "the draft is addressed to the community's curators, and publish record submits it to them.",
  arguments: [
    { name: "<model>", description: "the model, e.g. datasets (see: nrp describe models)" },
    { name: "<data>", description: "JSON text, a path to a JSON file, or - for standard input" },
  ],
  options(cmd) {
    cmd
      .option(
        "--community <community>",
        "the community (slug or id) the draft is for (on InvenioRDM: submitted to it on publish)",
      )
      .option("--workflow <workflow>", "the workflow code (default: the community's)")
      .option("--no-files", "create a metadata-only draft (files disabled)")
      .option("--set <var>", "store the draft's API URL in a variable (+var appends)")
      .option("--jsonl", "the input is JSON Lines (one record per line; implied by .jsonl files)")
      .option("--concurrency <n>", "for many records: how many drafts to create at once", "4");
  },
  examples: [
    {
      command: `nrp create record documents '{"title": "Trees"}' --no-files --set r`,
      description: "a metadata-only draft, remembered as @r",
    },
    {
      command: "nrp create record datasets record.json --community physics",
      description: "from a file, in the community 'physics'",
    },
    {
      command: "jq -c '.[]' all.json | nrp create record datasets - --jsonl --set batch",
      description: "one draft per line of standard input, all stored in @batch",
    },
  ],
  parse(args, opts): CreateRecordInput {
    const set = optionalString(opts["set"], "--set");
    return {
      model: requiredString(args[0], "<model>"),
      data: requiredString(args[1], "<data>"),
      community: optionalString(opts["community"], "--community"),
      workflow: optionalString(opts["workflow"], "--workflow"),
      filesEnabled: flag(opts["files"], true),
      set: set === undefined ? undefined : parseSetTarget(set),
      concurrency: parseConcurrency(opts["concurrency"]),
      jsonl: flag(opts["jsonl"]),
    };
  },
  async run(ctx, input) {
    // Variables are per alias: fail on a missing alias before creating anything.
    if (input.set !== undefined) await ctx.aliasName();
    if (input.jsonl || (input.data !== "-" && isJsonLinesPath(input.data))) {
      if (input.data !== "-") {
        await checkReadable(input.data);
        await checkJsonLines(ctx, input.data);
      }
      const state: JsonLinesState = {};
      await createMany(ctx, input, readJsonLines(input.data, ctx.io, state), state);
      return;
    }
    const { value } = await readJsonArgument(input.data, ctx.io, ctx.signal);
    if (Array.isArray(value)) {
      const items = value as unknown[];
      const bad = items.findIndex((item) => !isPlainObject(item));
      if (bad >= 0) throw new UsageError(`Item ${bad + 1} of the JSON array is not an object.`);
      if (items.length === 0) throw new UsageError("The JSON array is empty: nothing to create.");
      await createMany(ctx, input, items as Record<string, unknown>[]);
      return;
    }
    if (!isPlainObject(value)) {
      throw new UsageError("Expected a JSON object (one record) or an array of objects.");
    }
    const client = await ctx.client();
    const draft = await client.records.create(input.model, value, {
      community: input.community,
      workflow: input.workflow,
      filesEnabled: input.filesEnabled,
      signal: ctx.signal,
    });
    ctx.output.info(`Created draft ${draft.mid}.`);
    warnErrors(ctx.output, draft);
    printRecord(ctx.output, draft);
    await storeVariable(ctx, input.set, [draft]);
  },
});

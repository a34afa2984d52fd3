import { writeFile } from "node:fs/promises";

import type { NRPRecord } from "nrp-invenio-client";

import { defineCommand, flag, optionalString } from "../../define.js";
import { CliError, ExitCode, UsageError, reportError } from "../../errors.js";
import type { ErrorReport } from "../../errors.js";
import { yaml } from "../../lazy-require.js";
import { expandIds, resolveRecord, storeVariable } from "../../record-ids.js";
import type { RecordForm } from "../../record-ids.js";
import { printRecord, printRecords, recordData } from "../../record-view.js";
import { collect, fieldColumns, fieldRow, hitData, stringList } from "../../search.js";
import { parseSetTarget } from "../../variables.js";
import type { SetTarget } from "../../variables.js";

/** The input of `nrp get record`. */
export interface GetRecordInput {
  ids: string[];
  form: RecordForm;
  includeFiles: boolean;
  includeRequests: boolean;
  expand: boolean;
  outputFile: string | undefined;
  force: boolean;
  set: SetTarget | undefined;
  /** `--fields`: print only these dotted paths. */
  fields: string[] | undefined;
}

/** The text written by `-o FILE`: YAML or JSON Lines by extension, JSON otherwise. */
export function fileText(file: string, data: unknown, many: boolean): string {
  if (/\.ya?ml$/i.test(file)) return yaml().stringify(data, { lineWidth: 0 });
  if (/\.jsonl$/i.test(file) && many && Array.isArray(data)) {
    return data.map((d) => JSON.stringify(d)).join("\n") + "\n";
  }
  return JSON.stringify(data, null, 2) + "\n";
}

async function writeOutputFile(file: string, text: string, force: boolean): Promise<void> {
  try {
    // "wx" fails instead of overwriting, atomically: no check-then-write race.
    await writeFile(file, text, { flag: force ? "w" : "wx" });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      throw new UsageError(`${file} already exists.`, "Pass --force to overwrite it.");
    }
    throw new UsageError(`Cannot write ${file}: ${code ?? String(err)}.`);
  }
}

/** `nrp get record <id…>`: reads records and drafts by any id form. */
export default defineCommand({
  verb: "get",
  noun: "record",
  summary: "Show one or more records or drafts",
  description:
    "Read records by id. An id is a mid (datasets/abcde-12345, draft/datasets/abcde-12345), a\n" +
    "bare id (looked up in every model), an API or landing-page URL, a DOI (10.x/...,\n" +
    "doi:10.x/..., https://doi.org/10.x/...), or @name for the ids stored in a variable.\n" +
    "--draft reads the draft of each record, --published the published record. One id prints the\n" +
    "record; several print a list. With -o the JSON goes to a file instead of stdout.\n" +
    "--fields id,metadata.title prints only those fields, one row per record.\n" +
    "DOIs are resolved through DataCite (set NRP_DOI_RESOLVER_URL for another resolver).",
  arguments: [{ name: "<ids...>", description: "record ids, URLs, DOIs or @variables" }],
  options(cmd) {
    cmd
      .option("--draft", "read the draft of each record")
      .option("--published", "read the published version of each record")
      .option("--files", "also list the record's files")
      .option("--requests", "also list applicable request types and existing requests")
      .option("--expand", "ask the server to expand references (?expand=true)")
      .option("-o, --output <file>", "write the record(s) to a file (.json, .jsonl, .yaml)")
      .option("--force", "overwrite the -o file if it exists")
      .option("--set <var>", "store the records' API URLs in a variable (+var appends)")
      .option(
        "--fields <fields>",
        "output only these fields, dotted paths, comma-separated or repeated",
        collect,
      );
  },
  examples: [
    { command: "nrp get record datasets/abcde-12345", description: "a published record" },
    {
      command: "nrp get record @r --draft --files --format json",
      description: "the draft named by @r with its files, as JSON",
    },
    {
      command: "nrp get record 10.83030/abcde-12345 -o record.json",
      description: "a record by DOI, saved to a file",
    },
  ],
  parse(args, opts): GetRecordInput {
    const ids = Array.isArray(args[0]) ? args[0].map(String) : [];
    if (ids.length === 0) throw new UsageError("Missing <ids...>.");
    const draft = flag(opts["draft"]);
    const published = flag(opts["published"]);
    if (draft && published) {
      throw new UsageError("--draft and --published cannot be used together.");
    }
    const set = optionalString(opts["set"], "--set");
    const fields = stringList(opts["fields"], "--fields");
    const force = flag(opts["force"]);
    const outputFile = optionalString(opts["output"], "--output");
    if (force && outputFile === undefined) throw new UsageError("--force only applies to -o.");
    return {
      ids,
      form: draft ? "draft" : published ? "published" : "given",
      includeFiles: flag(opts["files"]),
      includeRequests: flag(opts["requests"]),
      expand: flag(opts["expand"]),
      outputFile,
      force,
      set: set === undefined ? undefined : parseSetTarget(set),
      fields: fields.length > 0 ? fields : undefined,
    };
  },
  async run(ctx, input) {
    const ids = await expandIds(ctx, input.ids);
    const records: NRPRecord[] = [];
    const failures: { id: string; report: ErrorReport }[] = [];
    const many = ids.length > 1;
    for (const id of ids) {
      const extras = {
        includeFiles: input.includeFiles,
        includeRequests: input.includeRequests,
        expand: input.expand,
      };
      if (!many) {
        records.push(await resolveRecord(ctx, id, input.form, extras));
        continue;
      }
      // With several ids, one missing record must not hide the others (as `cat a b` does).
      try {
        records.push(await resolveRecord(ctx, id, input.form, extras));
      } catch (err) {
        const report = reportError(err);
        if (report.bug || report.exitCode === ExitCode.interrupted) throw err;
        failures.push({ id, report });
        ctx.output.warn(`${id}: ${report.message}`);
      }
    }
    const fields = input.fields;
    if (fields !== undefined && input.outputFile === undefined) {
      // A projection prints the same shape for one record or several: a row per record.
      ctx.output.list(
        records.map((r) => fieldRow(r, fields)),
        fieldColumns(fields),
        records.map((r) => hitData(r, fields)),
      );
    } else if (input.outputFile !== undefined) {
      // Nothing is written when nothing was read: an empty file would look like a result.
      if (records.length === 0) {
        throw new CliError("No record could be read; nothing was written.", {
          exitCode: failures[0]?.report.exitCode ?? ExitCode.notFound,
          code: failures[0]?.report.code ?? "not_found",
        });
      }
      const one = (r: NRPRecord): unknown =>
        fields === undefined ? recordData(r) : hitData(r, fields);
      const data = many ? records.map(one) : one(records[0] as NRPRecord);
      await writeOutputFile(input.outputFile, fileText(input.outputFile, data, many), input.force);
      ctx.output.info(
        `Wrote ${records.length} record${records.length === 1 ? "" : "s"} to ${input.outputFile}.`,
      );
    } else if (many) {
      if (records.length > 0) printRecords(ctx.output, records);
    } else {
      printRecord(ctx.output, records[0] as NRPRecord);
    }
    if (records.length > 0) await storeVariable(ctx, input.set, records);
    const first = failures[0];
    if (first) {
      throw new CliError(`${failures.length} of ${ids.length} records could not be read.`, {
        exitCode: first.report.exitCode,
        code: first.report.code,
        hint: `Not read: ${failures.map((f) => f.id).join(", ")}.`,
      });
    }
  },
});

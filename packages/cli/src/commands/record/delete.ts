import type { NRPRecord } from "nrp-invenio-client";

import { loadClient } from "../../client-module.js";
import { confirm, requireConfirmable } from "../../confirm.js";
import type { CommandContext } from "../../context.js";
import { defineCommand, flag, optionalString } from "../../define.js";
import { CliError, ExitCode, UsageError, declined, reportError, withHint } from "../../errors.js";
import { expandIds, resolveRecord } from "../../record-ids.js";
import { recordTitle } from "../../record-view.js";
import { orReview } from "../../review.js";
import { parseSetTarget } from "../../variables.js";
import type { SetTarget } from "../../variables.js";

/** The input of `nrp delete record`. */
export interface DeleteRecordInput {
  ids: string[];
  yes: boolean;
  /**
   * `--reason`: delete published records, through a `delete_published_record` request (NRP) or
   * directly as an administrator (InvenioRDM).
   */
  reason: string | undefined;
  note: string | undefined;
  set: SetTarget | undefined;
}

/** `nrp delete record <id…>`: deletes drafts after confirmation. */
export default defineCommand({
  verb: "delete",
  verbAliases: ["rm"],
  noun: "record",
  summary: "Delete drafts, or published records with a removal reason (--reason)",
  description:
    "Delete the drafts of the given records. A draft that was never published is gone for good;\n" +
    "deleting the edit draft of a published record keeps the published record. nrp lists the\n" +
    "drafts and asks for confirmation on a terminal; elsewhere --yes is required.\n" +
    "With --reason, the ids name published records. On NRP each gets a delete_published_record\n" +
    "request with that removal reason (and --note), submitted to the record's curators (or\n" +
    "accepted at once where the workflow says so); --set stores the requests. On InvenioRDM\n" +
    "only administrators may delete a published record: it is removed at once and leaves a\n" +
    "tombstone (410); the reason is an id of the removalreasons vocabulary (duplicate,\n" +
    "retracted, replaced, spam, test-record, copyright, personal-data, take-down-request,\n" +
    "disputed-authorship, misconduct, fraud, out-of-scope) and --note is kept in the tombstone.",
  arguments: [{ name: "<ids...>", description: "record ids, URLs or @variables" }],
  options(cmd) {
    cmd
      .option("-y, --yes", "do not ask for confirmation")
      .option("--reason <text>", "delete published records with this removal reason")
      .option("--note <text>", "a note for the curators or the tombstone (with --reason)")
      .option("--set <var>", "store the deletion requests' API URLs (with --reason)");
  },
  examples: [
    { command: "nrp delete record @r", description: "delete the draft in @r, after asking" },
    {
      command: "nrp delete record draft/datasets/abcde-12345 --yes",
      description: "in a script: no question",
    },
    {
      command: 'nrp delete record @r --reason "duplicate of datasets/xyz" --yes',
      description: "ask to remove a published record (NRP)",
    },
    {
      command: 'nrp delete record records/abcde-12345 --reason spam --note "ads" --yes',
      description: "remove a published record as an InvenioRDM administrator",
    },
  ],
  parse(args, opts): DeleteRecordInput {
    const ids = Array.isArray(args[0]) ? args[0].map(String) : [];
    if (ids.length === 0) throw new UsageError("Missing <ids...>.");
    const reason = optionalString(opts["reason"], "--reason");
    const note = optionalString(opts["note"], "--note");
    const set = optionalString(opts["set"], "--set");
    if (reason === undefined && (note !== undefined || set !== undefined)) {
      throw new UsageError("--note and --set go with --reason (deleting a published record).");
    }
    if (reason?.trim() === "") throw new UsageError("--reason must not be empty.");
    return {
      ids,
      yes: flag(opts["yes"]),
      reason,
      note,
      set: set === undefined ? undefined : parseSetTarget(set),
    };
  },
  async run(ctx, input) {
    if (input.reason !== undefined) {
      await requestDeletion(ctx, input, input.reason);
      return;
    }
    requireConfirmable(ctx.io, input.yes, "delete drafts");
    const ids = await expandIds(ctx, input.ids);
    const drafts: NRPRecord[] = [];
    for (const id of ids) {
      try {
        drafts.push(await resolveRecord(ctx, id, "draft"));
      } catch (err) {
        // A published record without a draft: deleting it is a request, which needs a reason.
        const report = reportError(err);
        if (report.exitCode !== ExitCode.notFound) throw err;
        throw new CliError(report.message, {
          exitCode: report.exitCode,
          code: report.code,
          hint:
            `If ${id} is a published record, delete it with a removal reason: ` +
            `nrp delete record ${id} --reason "..." (on InvenioRDM a reason id such as ` +
            "duplicate or spam, and only as an administrator)",
          cause: err,
        });
      }
    }

    const listing = drafts.map((d) => `  ${d.mid}  ${recordTitle(d) ?? ""}`.trimEnd()).join("\n");
    if (!input.yes) {
      ctx.io.stderr.write(`About to delete ${drafts.length} draft(s):\n${listing}\n`);
      if (!(await confirm(ctx.io, false, "Delete?"))) {
        ctx.output.info("Nothing was deleted.");
        throw declined();
      }
    }
    const deleted: { id: string; mid: string; deleted: true }[] = [];
    for (const draft of drafts) {
      try {
        await draft.delete({ signal: ctx.signal });
      } catch (err) {
        const done =
          deleted.length > 0 ? ` Deleted so far: ${deleted.map((d) => d.mid).join(", ")}.` : "";
        throw err instanceof (await loadClient()).PreconditionFailedError
          ? withHint(err, `${draft.mid} changed after nrp read it and was not deleted.${done}`)
          : done === ""
            ? err
            : withHint(err, done.trim());
      }
      deleted.push({ id: draft.id, mid: draft.mid, deleted: true });
      ctx.output.info(`Deleted ${draft.mid}.`);
    }
    ctx.output.result(deleted.length === 1 && ids.length === 1 ? deleted[0] : deleted);
  },
});

async function requestDeletion(
  ctx: CommandContext,
  input: DeleteRecordInput,
  reason: string,
): Promise<void> {
  requireConfirmable(ctx.io, input.yes, "delete published records");
  const ids = await expandIds(ctx, input.ids);
  const records: NRPRecord[] = [];
  for (const id of ids) {
    records.push(await resolveRecord(ctx, id, "published"));
  }
  if (!input.yes) {
    const listing = records.map((r) => `  ${r.mid}  ${recordTitle(r) ?? ""}`.trimEnd()).join("\n");
    ctx.io.stderr.write(
      `About to delete ${records.length} published record(s), or to ask their curators to ` +
        `where the repository reviews deletions:\n${listing}\n`,
    );
    if (!(await confirm(ctx.io, false, "Continue?"))) {
      ctx.output.info("Nothing was requested.");
      throw declined();
    }
  }
  const done: Record<string, unknown>[] = [];
  let stored = 0;
  for (const record of records) {
    // Several pending requests collect in one --set variable.
    const set =
      input.set === undefined
        ? undefined
        : { ...input.set, append: input.set.append || stored > 0 };
    const deleted = await orReview(ctx, record, set, async () => {
      await record.delete({ removalReason: reason, note: input.note, signal: ctx.signal });
      return true;
    });
    if (deleted === undefined) {
      stored += 1;
      continue;
    }
    ctx.output.info(`Deleted ${record.mid}.`);
    done.push({ id: record.id, mid: record.mid, deleted: true });
  }
  if (done.length > 0) ctx.output.result(done.length === 1 && ids.length === 1 ? done[0] : done);
}

import type { NRPRecord } from "nrp-invenio-client";
import { PreconditionFailedError } from "nrp-invenio-client";

import { confirm, requireConfirmable } from "../../confirm.js";
import { defineCommand, flag } from "../../define.js";
import { CliError, ExitCode, UsageError, withHint } from "../../errors.js";
import { expandIds, resolveRecord } from "../../record-ids.js";
import { recordTitle } from "../../record-view.js";

/** The input of `nrp delete record`. */
export interface DeleteRecordInput {
  ids: string[];
  yes: boolean;
}

/** `nrp delete record <id…>`: deletes drafts after confirmation. */
export default defineCommand({
  verb: "delete",
  verbAliases: ["rm"],
  noun: "record",
  summary: "Delete drafts",
  description:
    "Delete the drafts of the given records. A draft that was never published is gone for good;\n" +
    "deleting the edit draft of a published record keeps the published record. nrp lists the\n" +
    "drafts and asks for confirmation on a terminal; elsewhere --yes is required.",
  arguments: [{ name: "<ids...>", description: "record ids, URLs or @variables" }],
  options(cmd) {
    cmd.option("-y, --yes", "do not ask for confirmation");
  },
  examples: [
    { command: "nrp delete record @r", description: "delete the draft in @r, after asking" },
    {
      command: "nrp delete record draft/datasets/abcde-12345 --yes",
      description: "in a script: no question",
    },
  ],
  parse(args, opts): DeleteRecordInput {
    const ids = Array.isArray(args[0]) ? args[0].map(String) : [];
    if (ids.length === 0) throw new UsageError("Missing <ids...>.");
    return { ids, yes: flag(opts["yes"]) };
  },
  async run(ctx, input) {
    requireConfirmable(ctx.io, input.yes, "delete drafts");
    const ids = await expandIds(ctx, input.ids);
    const drafts: NRPRecord[] = [];
    for (const id of ids) drafts.push(await resolveRecord(ctx, id, "draft"));

    const listing = drafts.map((d) => `  ${d.mid}  ${recordTitle(d) ?? ""}`.trimEnd()).join("\n");
    if (!input.yes) {
      ctx.io.stderr.write(`About to delete ${drafts.length} draft(s):\n${listing}\n`);
      if (!(await confirm(ctx.io, false, "Delete?"))) {
        ctx.output.info("Nothing was deleted.");
        throw new CliError("Cancelled.", { exitCode: ExitCode.usage, code: "cancelled" });
      }
    }
    const deleted: { id: string; mid: string; deleted: true }[] = [];
    for (const draft of drafts) {
      try {
        await draft.delete({ signal: ctx.signal });
      } catch (err) {
        const done =
          deleted.length > 0 ? ` Deleted so far: ${deleted.map((d) => d.mid).join(", ")}.` : "";
        throw err instanceof PreconditionFailedError
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

import type { NRPRecord } from "nrp-invenio-client";

import type { CommandContext } from "../../context.js";
import { defineCommand, flag, optionalString, requiredString } from "../../define.js";
import { CliError, ExitCode } from "../../errors.js";
import { readJsonObject } from "../../json-input.js";
import { expandIds, resolveExisting, resolveRecord } from "../../record-ids.js";
import { recordRequestsApi, storeRequestVariable } from "../../request-api.js";
import type { RequestHandle } from "../../request-api.js";
import { printRequest } from "../../request-view.js";
import { parseSetTarget } from "../../variables.js";
import type { SetTarget } from "../../variables.js";

/** The input of `nrp create request`. */
export interface CreateRequestInput {
  record: string;
  type: string;
  payload: string | undefined;
  submit: boolean;
  set: SetTarget | undefined;
}

function typeIds(record: NRPRecord): string[] {
  return record.requests ? [...record.requests].map((t) => t.typeId) : [];
}

/**
 * Reads the record in the form where `type` applies: publish types apply to drafts, edit, new
 * version and deletion to published records, so an id naming the other form is followed, also
 * when that form no longer exists (a draft URL kept in `@VAR` after the draft was published).
 */
export async function recordForType(
  ctx: CommandContext,
  id: string,
  type: string,
): Promise<NRPRecord> {
  const given = await resolveExisting(ctx, id, { includeRequests: true });
  if (typeIds(given).includes(type)) return given;
  const other = given.isDraft ? given.links["record"] : given.links["draft"];
  if (other !== undefined) {
    try {
      const alt = await resolveRecord(ctx, other, "given", { includeRequests: true });
      if (typeIds(alt).includes(type)) return alt;
    } catch {
      // The other form may not exist or be readable; the error below names what is possible.
    }
  }
  const possible = typeIds(given);
  throw new CliError(`A ${type} request cannot be created on ${given.mid} now.`, {
    exitCode: ExitCode.conflict,
    code: "request_type_not_applicable",
    hint:
      possible.length > 0
        ? `Request types you may create on it: ${possible.join(", ")}.`
        : "You may create no request on it now.",
  });
}

/** Creates (and by default submits) a request of `type` on `record`. */
export async function createRequest(
  ctx: CommandContext,
  record: NRPRecord,
  type: string,
  payload: Record<string, unknown> | undefined,
  submit: boolean,
): Promise<RequestHandle> {
  return recordRequestsApi(record).create(type, payload, { submit, signal: ctx.signal });
}

/** `nrp create request <record> <type> [payload]`: opens a request on a record. */
export default defineCommand({
  verb: "create",
  noun: "request",
  summary: "Create (and submit) a request on a record",
  description:
    "Create a request of <type> on the record and submit it (--no-submit leaves it created, to\n" +
    "change with nrp update request and submit later). See the types you may create with\n" +
    "nrp list requests <record>. A workflow may accept a request at once. --set stores its URL.",
  arguments: [
    { name: "<record>", description: "record id, URL, DOI or @variable" },
    { name: "<type>", description: "request type, e.g. publish_draft, edit_published_record" },
    {
      name: "[payload]",
      description: "JSON object, a path to a JSON file, or - for standard input",
    },
  ],
  options(cmd) {
    cmd
      .option("--no-submit", "create the request but do not submit it")
      .option("--set <var>", "store the request's API URL in a variable (+var appends)");
  },
  examples: [
    { command: "nrp create request @r publish_draft --set q", description: "ask to publish @r" },
    {
      command: `nrp create request @r delete_published_record '{"removal_reason": "duplicate"}'`,
      description: "ask to delete a published record",
    },
  ],
  parse(args, opts): CreateRequestInput {
    const set = optionalString(opts["set"], "--set");
    return {
      record: requiredString(args[0], "<record>"),
      type: requiredString(args[1], "<type>"),
      payload: optionalString(args[2], "[payload]"),
      submit: flag(opts["submit"], true),
      set: set === undefined ? undefined : parseSetTarget(set),
    };
  },
  async run(ctx, input) {
    const payload =
      input.payload === undefined
        ? undefined
        : (await readJsonObject(input.payload, ctx.io, ctx.signal)).value;
    const [id = input.record] = await expandIds(ctx, [input.record], { single: true });
    const record = await recordForType(ctx, id, input.type);
    const request = await createRequest(ctx, record, input.type, payload, input.submit);
    ctx.output.info(
      `Created ${request.type} request ${request.id} on ${record.mid}; it is ${request.status}.`,
    );
    printRequest(ctx.output, request.toDict());
    await storeRequestVariable(ctx, input.set, [request]);
  },
});

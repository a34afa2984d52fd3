import { defineCommand, flag, optionalString } from "../../define.js";
import { UsageError } from "../../errors.js";
import { expandIds, resolveExisting } from "../../record-ids.js";
import { requestsApi } from "../../request-api.js";
import type { NRPRecordRequest } from "nrp-invenio-client";
import { itemsOf, printQueue, printRequests, toJson } from "../../request-view.js";
import { summarizeTopics } from "../../request-refs.js";
import { isPlainObject } from "../../variables.js";

/** The input of `nrp list requests`. */
export interface ListRequestsInput {
  record: string | undefined;
  inbox: boolean;
  mine: boolean;
  status: string | undefined;
  type: string | undefined;
}

/** `nrp list requests [record] [--inbox | --mine]`: requests of a record or of the user. */
export default defineCommand({
  verb: "list",
  verbAliases: ["ls"],
  noun: "request",
  nounForm: "requests",
  summary: "List a record's requests, your inbox or your own requests",
  description:
    "With <record>: the request types you may create on it now and the requests made on it.\n" +
    "--inbox: submitted requests waiting for you to accept or decline. --mine: your requests\n" +
    "(on NRP those you created; on InvenioRDM your request list, which also holds requests\n" +
    "addressed to you as a user), --status S to pick one status. The actions column shows what\n" +
    "you may do now. On InvenioRDM a draft's requests are its community review.",
  arguments: [{ name: "[record]", description: "record id, URL, DOI or @variable" }],
  options(cmd) {
    cmd
      .option("--inbox", "submitted requests waiting for you")
      .option("--mine", "your own requests")
      .option(
        "--status <status>",
        "only requests in this status (created, submitted, accepted, ...)",
      )
      .option("--type <type>", "only requests of this type (publish_draft, ...)");
  },
  examples: [
    { command: "nrp list requests @r", description: "what can be requested on @r, and what was" },
    { command: "nrp list requests --inbox", description: "a curator's queue" },
    { command: "nrp requests ls --mine --status declined", description: "your declined requests" },
  ],
  parse(args, opts): ListRequestsInput {
    const input = {
      record: optionalString(args[0], "[record]"),
      inbox: flag(opts["inbox"]),
      mine: flag(opts["mine"]),
      status: optionalString(opts["status"], "--status"),
      type: optionalString(opts["type"], "--type"),
    };
    const modes = [input.record !== undefined, input.inbox, input.mine].filter(Boolean).length;
    if (modes !== 1) {
      throw new UsageError(
        "Give exactly one of <record>, --inbox or --mine.",
        'E.g. "nrp list requests @r" or "nrp list requests --inbox".',
      );
    }
    if (input.inbox && input.status !== undefined) {
      throw new UsageError("--inbox lists submitted requests; --status goes with --mine.");
    }
    return input;
  },
  async run(ctx, input) {
    if (input.record !== undefined) {
      const [id = input.record] = await expandIds(ctx, [input.record], { single: true });
      const record = await resolveExisting(ctx, id, { includeRequests: true });
      const dict = toJson(record.requests) ?? {};
      const types = isPlainObject(dict) ? itemsOf(dict["request_types"]) : [];
      let requests = isPlainObject(dict) ? itemsOf(dict["requests"]) : [];
      if (input.status !== undefined)
        requests = requests.filter((r) => r["status"] === input.status);
      if (input.type !== undefined) requests = requests.filter((r) => r["type"] === input.type);
      if (ctx.output.format !== "table") {
        ctx.output.result({ request_types: types, requests });
        return;
      }
      const typeRows = types.map((t) => ({
        type: t["type_id"],
        create: isPlainObject(t["links"]) && isPlainObject(t["links"]["actions"]) ? "yes" : "no",
      }));
      ctx.io.stdout.write(`Request types you may create on ${record.mid}:\n`);
      if (typeRows.length === 0) ctx.io.stdout.write("  (none)\n");
      else ctx.output.list(typeRows, [{ key: "type" }, { key: "create" }]);
      ctx.io.stdout.write(`Requests on ${record.mid}:\n`);
      if (requests.length === 0) ctx.io.stdout.write("  (none)\n");
      else printRequests(ctx.output, requests);
      return;
    }
    const api = requestsApi(await ctx.client());
    const found: NRPRecordRequest[] = [];
    if (input.inbox) {
      found.push(...(await api.inbox({ type: input.type, signal: ctx.signal })));
    } else {
      const first = await api.search({
        mine: true,
        status: input.status,
        type: input.type,
        size: 100,
        signal: ctx.signal,
      });
      for await (const request of first) found.push(request);
    }
    const dicts = found.map((r) => r.toDict());
    if (ctx.output.format !== "table") {
      printRequests(ctx.output, dicts);
      return;
    }
    printQueue(ctx.output, dicts, await summarizeTopics(ctx, await ctx.client(), dicts));
    const example = found[0];
    if (example !== undefined && input.inbox) {
      const number = example.data["number"];
      ctx.output.info(
        'Accept or decline one by its number or the start of its id, e.g. "nrp accept request ' +
          `${typeof number === "string" ? number : example.id}".`,
      );
    }
  },
});

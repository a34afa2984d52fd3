import { defineIdCommand } from "../../id-command.js";
import { readJsonObject } from "../../json-input.js";
import { readRequest } from "../../request-api.js";
import { printRequest } from "../../request-view.js";

/** `nrp update request <id> <payload>`: changes a created request's payload. */
export default defineIdCommand({
  verb: "update",
  noun: "request",
  summary: "Change the payload of a request not yet submitted",
  description:
    "Merge the JSON object into the request's payload and save it. Only the request's creator\n" +
    "may do this, and only while it is created (not yet submitted).",
  idDescription: "request id, request URL or @variable",
  text: {
    name: "<payload>",
    description: "JSON text, a path to a JSON file, or - for standard input",
  },
  examples: [
    {
      command: `nrp update request @q '{"removal_reason": "duplicate"}'`,
      description: "set the removal reason of a deletion request",
    },
  ],
  async run(ctx, id, input) {
    const { value } = await readJsonObject(input.text ?? "", ctx.io, ctx.signal);
    const request = await readRequest(ctx, id);
    Object.assign(request.payload, value);
    const after = await request.save({ signal: ctx.signal });
    ctx.output.info(`Updated the payload of request ${after.id}.`);
    printRequest(ctx.output, after.toDict());
  },
});

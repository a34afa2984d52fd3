import { defineIdCommand } from "../../id-command.js";
import { readRequest, storeRequestVariable } from "../../request-api.js";
import { printRequest } from "../../request-view.js";

/** `nrp get request <id>`: shows one request. */
export default defineIdCommand({
  verb: "get",
  noun: "request",
  summary: "Show a request",
  description:
    "Show a request: type, status, topic, receiver, creator, payload and the actions you may take\n" +
    "now. <id> is a request id, a request URL (.../api/requests/<id>) or @variable holding one;\n" +
    "a record's requests are listed by nrp list requests <record>. --set stores its API URL.",
  idDescription: "request id, request API URL or @variable",
  setHelp: "store the request's API URL in a variable (+var appends)",
  examples: [
    { command: "nrp get request @q", description: "the request stored in @q" },
    {
      command: "nrp request get 5b0d7d8e-3f2a-4d6c-9a1b-2c3d4e5f6a7b --format json",
      description: "as JSON",
    },
  ],
  async run(ctx, id, input) {
    const request = await readRequest(ctx, id);
    printRequest(ctx.output, request.toDict());
    await storeRequestVariable(ctx, input.set, [request]);
  },
});

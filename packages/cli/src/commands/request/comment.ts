import { defineIdCommand } from "../../id-command.js";
import { readRequest } from "../../request-api.js";
import { toJson } from "../../request-view.js";

/** `nrp comment request <id> <text>`: adds a comment to a request. */
export default defineIdCommand({
  verb: "comment",
  noun: "request",
  summary: "Comment on a request",
  description: "Add a comment to the request's timeline, e.g. to answer a curator.",
  idDescription: "request id, request URL or @variable",
  text: { name: "<text>", description: "the comment" },
  examples: [{ command: `nrp comment request @q "Fixed the title"`, description: "add a comment" }],
  async run(ctx, id, input) {
    const request = await readRequest(ctx, id);
    const event = await request.comment(input.text ?? "", { signal: ctx.signal });
    ctx.output.info(`Commented on request ${request.id}.`);
    ctx.output.result(toJson(event) ?? null);
  },
});

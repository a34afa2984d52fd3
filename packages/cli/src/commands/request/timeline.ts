import { defineIdCommand } from "../../id-command.js";
import { readRequest } from "../../request-api.js";
import { EVENT_COLUMNS, eventRow, itemsOf } from "../../request-view.js";

/** `nrp timeline request <id>`: a request's comments and actions. */
export default defineIdCommand({
  verb: "timeline",
  noun: "request",
  summary: "Show a request's comments and actions",
  description: "List the request's timeline: comments and the log of its actions, oldest first.",
  idDescription: "request id, request URL or @variable",
  examples: [{ command: "nrp timeline request @q", description: "what happened to @q" }],
  async run(ctx, id) {
    const request = await readRequest(ctx, id);
    const events = itemsOf(await request.timeline({ signal: ctx.signal }));
    ctx.output.list(events.map(eventRow), EVENT_COLUMNS, events);
  },
});

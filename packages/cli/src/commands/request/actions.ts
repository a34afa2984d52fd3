import { defineIdCommand } from "../../id-command.js";
import type { IdCommandInput } from "../../id-command.js";
import type { CommandDefinition } from "../../define.js";
import { readRequest } from "../../request-api.js";
import type { RequestHandle } from "../../request-api.js";
import { printRequest } from "../../request-view.js";

/** The request actions a user runs from the command line. */
export type RequestAction = "submit" | "cancel" | "accept" | "decline";

const PAST: Record<RequestAction, string> = {
  submit: "Submitted",
  cancel: "Cancelled",
  accept: "Accepted",
  decline: "Declined",
};

/**
 * Runs `action` on a request and returns it updated.
 *
 * The library refuses an action the request's links do not offer now (`NRP_ACTION_NOT_AVAILABLE`,
 * exit 5, naming the available ones) before anything is sent; a reason becomes a comment.
 */
export async function runAction(
  request: RequestHandle,
  action: RequestAction,
  reason: string | undefined,
  signal: AbortSignal,
): Promise<RequestHandle> {
  return request.act(action, reason, { signal });
}

function actionCommand(
  action: RequestAction,
  summary: string,
  description: string,
): CommandDefinition<IdCommandInput> {
  return defineIdCommand({
    verb: action,
    noun: "request",
    summary,
    description:
      `${description}\n` +
      "[reason] is added to the request's timeline as a comment. An action the request does not\n" +
      "offer you now exits 5 and lists the ones it does; one you may not take exits 3.",
    idDescription: "request id, request URL or @variable",
    text: { name: "[reason]", description: "a comment stored with the action" },
    examples: [
      { command: `nrp ${action} request @q`, description: `${action} the request in @q` },
      {
        command: `nrp request ${action} 5b0d7d8e-3f2a-4d6c-9a1b-2c3d4e5f6a7b "See the notes"`,
        description: "noun-verb form, with a reason",
      },
    ],
    async run(ctx, id, input) {
      const request = await readRequest(ctx, id);
      const after = await runAction(request, action, input.text, ctx.signal);
      ctx.output.info(
        `${PAST[action]} ${after.type} request ${after.id}; it is now ${after.status}.`,
      );
      printRequest(ctx.output, after.toDict());
    },
  });
}

/** `nrp submit request <id> [reason]`. */
export const submitRequest = actionCommand(
  "submit",
  "Submit a request to its receiver",
  "Submit a created request for review. A workflow may accept it at once (status accepted).",
);
/** `nrp cancel request <id> [reason]`. */
export const cancelRequest = actionCommand(
  "cancel",
  "Withdraw a request",
  "Cancel a request you created, before or after submitting it.",
);
/** `nrp accept request <id> [reason]`. */
export const acceptRequest = actionCommand(
  "accept",
  "Accept a submitted request (its receiver)",
  "Accept a submitted request: the record is published, opened for editing, versioned or\n" +
    "deleted as the request's type says.",
);
/** `nrp decline request <id> [reason]`. */
export const declineRequest = actionCommand(
  "decline",
  "Decline a submitted request (its receiver)",
  "Decline a submitted request; its creator may change the record and create a new one.",
);

import { defineCommand, optionalString } from "../../define.js";
import type { CommandDefinition } from "../../define.js";
import { CliError, UsageError, reportError } from "../../errors.js";
import { expandIds } from "../../record-ids.js";
import { readRequest } from "../../request-api.js";
import type { RequestHandle } from "../../request-api.js";
import { RequestFinder, shortReference } from "../../request-refs.js";
import { printRequest, printRequests } from "../../request-view.js";

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

/** The input of the request action commands. */
export interface RequestActionInput {
  /** The request references as typed (ids, URLs, numbers, id prefixes, `@VAR`). */
  refs: string[];
  /** The comment stored with the action. */
  reason: string | undefined;
}

/** Whether a positional argument names a request rather than being the trailing reason. */
function looksLikeReference(value: string): boolean {
  const v = value.trim();
  return (
    v.startsWith("@") ||
    /^https?:\/\//i.test(v) ||
    shortReference(v) !== undefined ||
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)
  );
}

/**
 * Splits the positionals into request references and a trailing reason: with two or more, the
 * last is the reason when it does not look like a request (`"Looks good"`); `--reason` is the
 * explicit form.
 */
export function parseActionArgs(
  positionals: readonly string[],
  reasonOption: string | undefined,
): RequestActionInput {
  const refs = [...positionals];
  let reason = reasonOption;
  const last = refs[refs.length - 1];
  if (reason === undefined && refs.length >= 2 && last !== undefined && !looksLikeReference(last)) {
    reason = last;
    refs.pop();
  }
  if (refs.length === 0) throw new UsageError("Missing <ids...>.");
  return { refs, reason };
}

function actionCommand(
  action: RequestAction,
  summary: string,
  description: string,
): CommandDefinition<RequestActionInput> {
  return defineCommand({
    verb: action,
    noun: "request",
    summary,
    description:
      `${description}\n` +
      "A request is named by its id, the start of its id, its number (the # column of\n" +
      '"nrp list requests --inbox"), its URL or an @variable (several values: each in turn).\n' +
      "Several requests get one result line each; the exit code is the first failure's.\n" +
      "[reason] (or --reason) is added to each request's timeline as a comment. An action the\n" +
      "request does not offer you now exits 5 and lists the ones it does; one you may not take\n" +
      "exits 3.",
    arguments: [
      {
        name: "<ids...>",
        description:
          "request ids, id prefixes, numbers, URLs or @variables; then optionally the [reason]",
      },
    ],
    options(cmd) {
      cmd.option("--reason <text>", "a comment stored with the action");
    },
    examples: [
      { command: `nrp ${action} request @q`, description: `${action} the request(s) in @q` },
      {
        command: `nrp ${action} request 12 "See the notes"`,
        description: "request number 12, with a reason",
      },
      {
        command: `nrp request ${action} 5b0d7d8e 9a1b2c3d --reason "Batch of May"`,
        description: "two requests by the start of their ids",
      },
    ],
    parse(args, opts): RequestActionInput {
      const positionals = (Array.isArray(args[0]) ? (args[0] as unknown[]) : [args[0]]).filter(
        (a): a is string => typeof a === "string",
      );
      return parseActionArgs(positionals, optionalString(opts["reason"], "--reason"));
    },
    async run(ctx, input) {
      const values = await expandIds(ctx, input.refs);
      const finder = new RequestFinder(ctx);
      // Every reference is resolved before the first action: an ambiguous one changes nothing.
      const ids: string[] = [];
      for (const value of values) ids.push(await finder.idOf(value));
      if (ids.length === 1) {
        const request = await readRequest(ctx, ids[0] ?? "");
        const after = await runAction(request, action, input.reason, ctx.signal);
        ctx.output.info(
          `${PAST[action]} ${after.type} request ${after.id}; it is now ${after.status}.`,
        );
        printRequest(ctx.output, after.toDict());
        return;
      }
      const done: RequestHandle[] = [];
      const failures: { id: string; report: ReturnType<typeof reportError> }[] = [];
      for (const id of ids) {
        try {
          const request = await readRequest(ctx, id);
          const after = await runAction(request, action, input.reason, ctx.signal);
          done.push(after);
          ctx.output.info(
            `ok      ${PAST[action].toLowerCase()} ${after.type} request ${after.id}; it is now ${after.status}`,
          );
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          const report = reportError(err);
          if (report.bug) throw err;
          failures.push({ id, report });
          ctx.output.info(`failed  ${id}: ${report.message}`);
        }
      }
      printRequests(
        ctx.output,
        done.map((r) => r.toDict()),
      );
      ctx.output.info(`${PAST[action]} ${String(done.length)} of ${String(ids.length)} requests.`);
      const first = failures[0];
      if (first !== undefined) {
        throw new CliError(
          `${String(failures.length)} of ${String(ids.length)} requests could not be ${PAST[action].toLowerCase()}.`,
          {
            exitCode: first.report.exitCode,
            code: first.report.code,
            hint: `Failed: ${failures.map((f) => f.id).join(", ")}.`,
          },
        );
      }
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

import type { NRPRecord } from "nrp-invenio-client";
import type { NRPError } from "nrp-invenio-client";

import { loadedClient } from "./client-module.js";

import type { CommandContext } from "./context.js";
import { storeRequestVariable } from "./request-api.js";
import type { RequestHandle } from "./request-api.js";
import { printRequest, receiverText } from "./request-view.js";
import type { SetTarget } from "./variables.js";

/**
 * The submitted request carried by the library's `NRP_REVIEW_PENDING` error, when `err` is one.
 *
 * `publish()`, `edit()`, `newVersion()` and `delete()` raise it where the model's workflow sends
 * the change to a curator instead of doing it.
 */
export function pendingRequest(err: unknown): RequestHandle | undefined {
  // Only the library raises it, so the library is loaded when there is one to find.
  const lib = loadedClient();
  if (
    lib === undefined ||
    !(err instanceof lib.NRPError) ||
    err.code !== lib.ErrorCodes.ReviewPending
  ) {
    return undefined;
  }
  const request = (err as NRPError & { request?: RequestHandle }).request;
  return request !== undefined && typeof request.toDict === "function" ? request : undefined;
}

/**
 * Tells what happened to a change that went through a request and what to do next, prints the
 * request and stores it under `--set`.
 */
export async function reportReview(
  ctx: CommandContext,
  record: Pick<NRPRecord, "mid">,
  request: RequestHandle,
  set: SetTarget | undefined,
): Promise<void> {
  const data = request.toDict();
  const follow = set === undefined ? request.id : `@${set.name}`;
  if (request.status === "accepted") {
    ctx.output.info(
      `The ${request.type} request ${request.id} on ${record.mid} was accepted at once.`,
    );
  } else {
    ctx.output.info(
      `Submitted ${request.type} request ${request.id} for review by ` +
        `${receiverText(data["receiver"])}; follow it with: nrp get request ${follow}`,
    );
  }
  printRequest(ctx.output, data);
  await storeRequestVariable(ctx, set, [request]);
}

/**
 * Runs a record change that the library may turn into a review request; when it did, reports the
 * request (see {@link reportReview}) and resolves with `undefined`.
 */
export async function orReview<T>(
  ctx: CommandContext,
  record: Pick<NRPRecord, "mid">,
  set: SetTarget | undefined,
  change: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await change();
  } catch (err) {
    const request = pendingRequest(err);
    if (request === undefined) throw err;
    await reportReview(ctx, record, request, set);
    return undefined;
  }
}

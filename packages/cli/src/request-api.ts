import type {
  NRPInvenioClient,
  NRPRecord,
  NRPRecordRequest,
  NRPRecordRequests,
  Requests,
} from "nrp-invenio-client";

import type { CommandContext } from "./context.js";
import { CliError, ExitCode } from "./errors.js";
import { storeValues } from "./record-ids.js";
import type { SetTarget } from "./variables.js";
import { isPlainObject } from "./variables.js";

type Json = Record<string, unknown>;

/** The client's request object; the commands use only its public API. */
export type RequestHandle = NRPRecordRequest;

/** The client's requests API (`client.requests`). */
export function requestsApi(client: NRPInvenioClient): Requests {
  return client.requests;
}

/**
 * The record's requests (types and requests), which the record must have been read with
 * (`includeRequests`).
 */
export function recordRequestsApi(record: NRPRecord): NRPRecordRequests {
  const requests = record.requests;
  if (requests === undefined) {
    throw new CliError(`${record.mid} was read without its requests.`, {
      exitCode: ExitCode.unexpected,
      code: "bug",
    });
  }
  return requests;
}

/** The action names a request offers now (`links.actions`). */
export function availableActions(data: Json): string[] {
  const links = data["links"];
  const actions = isPlainObject(links) ? links["actions"] : undefined;
  return isPlainObject(actions) ? Object.keys(actions) : [];
}

/**
 * The request id in a value: a bare uuid, or the last segment of a request API/UI URL
 * (`…/api/requests/<id>`, `…/api/requests/extended/<id>`, `…/requests/<id>`).
 *
 * Variables store the request's API URL, which names the repository and the id at once.
 */
export function requestIdOf(value: string): string {
  const trimmed = value.trim();
  if (!/^https?:\/\//i.test(trimmed)) return trimmed;
  let path: string;
  try {
    path = new URL(trimmed).pathname;
  } catch {
    return trimmed;
  }
  const segments = path.split("/").filter((s) => s !== "");
  const at = segments.lastIndexOf("requests");
  const rest = segments.slice(at + 1).filter((s) => s !== "extended");
  return rest[0] ?? trimmed;
}

/** Reads the request named by an id or URL (already expanded from `@VAR`). */
export async function readRequest(ctx: CommandContext, id: string): Promise<RequestHandle> {
  const api = requestsApi(await ctx.client());
  return api.get(requestIdOf(id), { signal: ctx.signal });
}

/** What a `--set` variable stores for a request: its API self URL. */
export function requestVariableValue(request: Pick<RequestHandle, "id" | "links">): string {
  const self = request.links["self"];
  return typeof self === "string" ? self : request.id;
}

/** Stores requests (their API URLs) under a `--set` target and says so on stderr. */
export async function storeRequestVariable(
  ctx: CommandContext,
  target: SetTarget | undefined,
  requests: readonly Pick<RequestHandle, "id" | "links">[],
): Promise<void> {
  await storeValues(ctx, target, requests.map(requestVariableValue));
}

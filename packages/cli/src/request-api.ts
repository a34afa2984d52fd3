import type {
  Json,
  NRPInvenioClient,
  NRPRecord,
  NRPRecordRequest,
  NRPRecordRequests,
  Requests,
} from "nrp-invenio-client";

import type { CommandContext } from "./context.js";
import { CliError, ExitCode, UsageError } from "./errors.js";
import { storeValues } from "./record-ids.js";
import type { SetTarget } from "./variables.js";
import { isPlainObject } from "./variables.js";

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

const EXPECTED_REQUEST =
  "a request id, a request API URL (…/api/requests/<id>) or an @variable holding one";

function notARequest(value: string, what: string, hint?: string): UsageError {
  return new UsageError(`${what} "${value}" is not a request: expected ${EXPECTED_REQUEST}.`, hint);
}

/**
 * The request id in a value: a bare id (Invenio uses uuids), or the id segment of a request API or
 * UI URL (`…/api/requests/<id>`, `…/api/requests/extended/<id>`, `…/requests/<id>`).
 *
 * Variables store the request's API URL, which names the repository and the id at once. Anything
 * else, such as a record URL or a mid, is a usage error naming what was given, instead of a request
 * for a path that cannot exist.
 */
export function requestIdOf(value: string): string {
  const trimmed = value.trim();
  if (trimmed === "") throw notARequest(value, "The empty value");
  if (!/^[a-z][a-z0-9+.-]*:/i.test(trimmed)) {
    if (/[/?#\s]/.test(trimmed)) {
      const hint = trimmed.includes("/")
        ? `It looks like a record id; see its requests with "nrp list requests ${trimmed}".`
        : undefined;
      throw notARequest(trimmed, "The value", hint);
    }
    return trimmed;
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw notARequest(trimmed, "The value");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw notARequest(trimmed, "The value");
  }
  const segments = url.pathname.split("/").filter((s) => s !== "");
  const api = segments.indexOf("api");
  // The API names a request as `api/requests/<id>`; UI pages end in `…/requests/<id>`.
  const at =
    api >= 0 ? (segments[api + 1] === "requests" ? api + 1 : -1) : segments.indexOf("requests");
  const rest = at < 0 ? [] : segments.slice(at + 1);
  if (rest[0] === "extended") rest.shift();
  const id = rest[0];
  if (id === undefined) {
    const recordLike = api >= 0 && at < 0 && segments.length > api + 2;
    throw notARequest(
      trimmed,
      "The URL",
      recordLike
        ? `It looks like a record URL; see its requests with "nrp list requests ${trimmed}".`
        : undefined,
    );
  }
  return decodeURIComponent(id);
}

/** Reads the request named by an id or URL (already expanded from `@VAR`). */
export async function readRequest(ctx: CommandContext, id: string): Promise<RequestHandle> {
  const requestId = requestIdOf(id);
  const api = requestsApi(await ctx.client());
  return api.get(requestId, { signal: ctx.signal });
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

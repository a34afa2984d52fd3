import type { Json } from "nrp-invenio-client";

import type { Column, Output } from "./output.js";
import { availableActions } from "./request-api.js";
import { shortTime } from "./record-view.js";
import { isPlainObject } from "./variables.js";

/**
 * A reference dict (`{"user": "1"}`, `{"community_role": "<uuid>:curator"}`) as `user:1`.
 *
 * The same `TYPE:ID` form the requests search accepts as a filter.
 */
export function reference(value: unknown): string | undefined {
  if (!isPlainObject(value)) return typeof value === "string" ? value : undefined;
  const entries = Object.entries(value);
  if (entries.length === 0) return undefined;
  return entries
    .map(([k, v]) => `${k}:${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ");
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * A receiver short enough for a table cell: `curator@3f1c0b6e` for a community role,
 * `community@3f1c0b6e` for a community (the first block of the uuid, as git shortens hashes).
 */
export function shortReceiver(value: unknown): string | undefined {
  if (!isPlainObject(value)) return reference(value);
  const role = value["community_role"];
  if (typeof role === "string" && role.includes(":")) {
    const at = role.lastIndexOf(":");
    return `${role.slice(at + 1)}@${role.slice(0, at).slice(0, 8)}`;
  }
  const community = value["community"];
  if (typeof community === "string") return `community@${community.slice(0, 8)}`;
  return reference(value);
}

/** The columns of a list of requests. */
export const REQUEST_COLUMNS: readonly Column[] = [
  { key: "id" },
  { key: "type" },
  { key: "status" },
  { key: "topic" },
  { key: "receiver" },
  { key: "created_by" },
  { key: "created" },
  { key: "actions" },
];

/** The table row of a request (its JSON). */
export function requestRow(data: Json): Record<string, unknown> {
  return {
    id: data["id"],
    type: data["type"],
    status: data["status"],
    topic: reference(data["topic"]),
    receiver: shortReceiver(data["receiver"]),
    created_by: reference(data["created_by"]),
    created: shortTime(data["created"]),
    actions: availableActions(data),
  };
}

/** Payload entries as `key: value` lines (colon keys as the server sends them). */
function payloadLines(payload: unknown): string | undefined {
  if (!isPlainObject(payload)) return undefined;
  const lines: string[] = [];
  const walk = (obj: Json, prefix: string): void => {
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix === "" ? k : `${prefix}:${k}`;
      if (isPlainObject(v)) walk(v, key);
      else lines.push(`${key}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
    }
  };
  walk(payload, "");
  return lines.length > 0 ? lines.join("\n") : "(empty)";
}

/** The key/value rows of one request for the table format. */
export function requestFields(data: Json): [string, unknown][] {
  const links = isPlainObject(data["links"]) ? data["links"] : {};
  const topicLinks = isPlainObject(links["topic"]) ? links["topic"] : {};
  const actions = availableActions(data);
  return [
    ["id", data["id"]],
    ["number", data["number"]],
    ["type", data["type"]],
    ["status", data["status"]],
    ["title", str(data["title"]) || undefined],
    ["topic", reference(data["topic"])],
    ["receiver", reference(data["receiver"])],
    ["created_by", reference(data["created_by"])],
    ["created", data["created"]],
    ["updated", data["updated"]],
    ["expires", data["expires_at"] ?? undefined],
    ["payload", payloadLines(data["payload"])],
    ["actions", actions.length > 0 ? actions.join(", ") : "(none)"],
    ["topic url", str(topicLinks["self_html"]) ?? str(topicLinks["self"])],
    ["url", str(links["self_html"])],
    ["api", str(links["self"])],
  ];
}

/** Prints one request (key/value table or its JSON). */
export function printRequest(output: Output, data: Json): void {
  output.record(requestFields(data), data);
}

/** Prints several requests (a list table or a JSON array). */
export function printRequests(output: Output, requests: readonly Json[]): void {
  output.list(requests.map(requestRow), REQUEST_COLUMNS, requests);
}

/** The columns of an inbox or own-requests list: the number, and what each request is about. */
export const QUEUE_COLUMNS: readonly Column[] = [
  { key: "number", header: "#" },
  { key: "id" },
  { key: "type" },
  { key: "status" },
  { key: "title" },
  { key: "community" },
  { key: "created_by" },
  { key: "created" },
  { key: "actions" },
];

/**
 * Prints a queue of requests with their number, record title and community slug (table), or
 * their JSON (machine formats, unchanged).
 */
export function printQueue(
  output: Output,
  requests: readonly Json[],
  topics: ReadonlyMap<string, { title: string | undefined; community: string | undefined }>,
): void {
  const rows = requests.map((r) => {
    const topic = topics.get(String(r["id"]));
    return {
      ...requestRow(r),
      number: r["number"],
      title: topic?.title,
      community: topic?.community,
    };
  });
  output.list(rows, QUEUE_COLUMNS, requests);
}

/** The columns of a request's timeline. */
export const EVENT_COLUMNS: readonly Column[] = [
  { key: "created" },
  { key: "type" },
  { key: "created_by", header: "by" },
  { key: "text" },
];

/** The table row of a timeline event: a comment's text or a log's event name. */
export function eventRow(event: Json): Record<string, unknown> {
  const payload = isPlainObject(event["payload"]) ? event["payload"] : {};
  const text = str(payload["content"]) ?? str(payload["event"]) ?? "";
  return {
    created: shortTime(event["created"]),
    type: event["type"],
    created_by: reference(event["created_by"]),
    text,
  };
}

/** The `hits.hits` of a search-shaped body, the items of a list, or the values of an iterable. */
export function itemsOf(value: unknown): Json[] {
  if (Array.isArray(value)) return value.map(toJson).filter(isPlainObject);
  if (isPlainObject(value) && isPlainObject(value["hits"])) {
    const hits = value["hits"]["hits"];
    if (Array.isArray(hits)) return hits.filter(isPlainObject);
  }
  if (typeof value === "object" && value !== null && Symbol.iterator in value) {
    return [...(value as Iterable<unknown>)].map(toJson).filter(isPlainObject);
  }
  return [];
}

/** A library object's JSON (`toDict()`), or the value itself. */
export function toJson(value: unknown): unknown {
  if (typeof value === "object" && value !== null) {
    const toDict = (value as { toDict?: unknown }).toDict;
    if (typeof toDict === "function") return (toDict as () => unknown).call(value);
  }
  return value;
}

/**
 * Who decides a request, in words: "the curators of community <uuid>", "user 3", or the raw
 * reference.
 */
export function receiverText(receiver: unknown): string {
  if (!isPlainObject(receiver)) return "its receiver";
  const role = receiver["community_role"];
  if (typeof role === "string") {
    const at = role.lastIndexOf(":");
    return at === -1
      ? `community ${role}`
      : `the ${role.slice(at + 1)}s of community ${role.slice(0, at)}`;
  }
  const community = receiver["community"];
  if (typeof community === "string") return `the curators of community ${community}`;
  const user = receiver["user"];
  if (typeof user === "string") return `user ${user}`;
  return reference(receiver) ?? "its receiver";
}

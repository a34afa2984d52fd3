import type { NRPRecord } from "nrp-invenio-client";

import type { Column, Output } from "./output.js";
import { formatSize } from "./sizes.js";
import { isPlainObject } from "./variables.js";

/**
 * A record's title for display: a plain string, or the first value of a multilingual title
 * (`[{lang, value}]` or `{en: "…"}`), as NRP and RDM models spell it differently.
 */
export function recordTitle(record: Pick<NRPRecord, "metadata">): string | undefined {
  const title: unknown = record.metadata["title"];
  if (typeof title === "string") return title;
  if (Array.isArray(title)) {
    for (const item of title as unknown[]) {
      if (typeof item === "string") return item;
      if (isPlainObject(item) && typeof item["value"] === "string") return item["value"];
    }
    return undefined;
  }
  if (isPlainObject(title)) {
    const first = Object.values(title).find((v) => typeof v === "string");
    return typeof first === "string" ? first : undefined;
  }
  return undefined;
}

/**
 * `draft` or `published` (NRP's `state`, RDM's `status` when present, else the library's
 * `isDraft`, which goes by the record's self link).
 */
export function recordState(record: Pick<NRPRecord, "data" | "isDraft">): string {
  const state = record.data["state"] ?? record.data["status"];
  if (typeof state === "string" && state !== "") return state;
  return record.isDraft ? "draft" : "published";
}

function get(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** The lenient-validation errors of a record as `field: message; message` lines. */
export function errorLines(record: Pick<NRPRecord, "errors">): string[] {
  return record.errors.map((e) => `${e.field || "(record)"}: ${e.messages.join("; ")}`);
}

/**
 * The key/value rows of one record for the table format: what a person checks first (identity,
 * state, title, revision, dates, landing page) and any validation errors.
 */
export function recordFields(record: NRPRecord): [string, unknown][] {
  const files = record.files;
  const requests = record.requests;
  const doi = get(record.data, "pids", "doi", "identifier");
  const filesEnabled = get(record.data, "files", "enabled");
  const fields: [string, unknown][] = [
    ["id", record.id],
    ["mid", record.mid],
    ["model", record.model],
    ["state", recordState(record)],
    ["title", recordTitle(record)],
    ["version", get(record.data, "versions", "index")],
    ["revision", record.revisionId],
    ["created", record.data["created"]],
    ["updated", record.data["updated"]],
    ["community", get(record.data, "parent", "communities", "default")],
    ["doi", typeof doi === "string" ? doi : undefined],
    [
      "files",
      files
        ? files.enabled
          ? [...files]
              .map((f) => `${f.key} (${f.size === undefined ? "?" : formatSize(f.size)})`)
              .join("\n") || "(none)"
          : "disabled"
        : typeof filesEnabled === "boolean"
          ? filesEnabled
            ? "enabled"
            : "disabled"
          : undefined,
    ],
    [
      "request types",
      requests ? [...requests].map((t) => t.typeId).join("\n") || "(none)" : undefined,
    ],
    ["requests", requests ? String(requests.requests.length) : undefined],
    ["url", record.links["self_html"]],
    ["api", record.links["self"]],
  ];
  const errors = errorLines(record);
  if (errors.length > 0) fields.push(["errors", errors.join("\n")]);
  return fields;
}

/**
 * The JSON of a record for machine formats: the server's record, plus `included` with the files
 * and requests when they were asked for.
 *
 * Extra data goes under its own key so the record's own fields (`files`, …) keep their meaning.
 */
export function recordData(record: NRPRecord): Record<string, unknown> {
  const data = record.toDict();
  const included: Record<string, unknown> = {};
  if (record.files) included["files"] = record.files.toDict();
  if (record.requests) Object.assign(included, record.requests.toDict());
  if (Object.keys(included).length > 0) data["included"] = included;
  return data;
}

/** The columns of a list of records. */
export const RECORD_COLUMNS: readonly Column[] = [
  { key: "mid" },
  { key: "state" },
  { key: "title" },
  { key: "revision" },
  { key: "updated" },
];

/**
 * `2025-01-14 10:12:33` from an ISO timestamp: a list row has no room for microseconds and the
 * offset (always UTC from Invenio); the full value stays in JSON and in the single-record view.
 */
export function shortTime(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})/.exec(value);
  return m ? `${m[1] ?? ""} ${m[2] ?? ""}` : value;
}

/** The table row of a record in a list. */
export function recordRow(record: NRPRecord): Record<string, unknown> {
  return {
    mid: record.mid,
    state: recordState(record),
    title: recordTitle(record),
    revision: record.revisionId,
    updated: shortTime(record.data["updated"]),
  };
}

/** Prints one record (key/value table or its JSON). */
export function printRecord(output: Output, record: NRPRecord): void {
  output.record(recordFields(record), recordData(record));
}

/** Prints several records (a list table or a JSON array). */
export function printRecords(output: Output, records: readonly NRPRecord[]): void {
  output.list(records.map(recordRow), RECORD_COLUMNS, records.map(recordData));
}

/**
 * Repeats a draft's lenient-validation errors on stderr as warnings.
 *
 * The draft was saved, but it will not publish until they are fixed; the warning says so even
 * when stdout goes to a file.
 */
export function warnErrors(output: Output, record: NRPRecord): void {
  const lines = errorLines(record);
  if (lines.length === 0) return;
  output.warn(
    `${record.mid} was saved with ${lines.length} validation error${lines.length === 1 ? "" : "s"}` +
      " (it cannot be published until they are fixed):\n" +
      lines.map((l) => `  ${l}`).join("\n"),
  );
}

// Pure preparation of the JSON bodies sent when creating and saving records
// (docs/protocol/records.md#create-a-draft, docs/protocol/records.md#update-a-draft), kept apart
// from the network code so that it can be tested as tables.

import { isObject } from "./json.js";
import type { Json } from "../core/json.js";

/** Options that shape a create body. */
export interface CreateBodyOptions {
  /**
   * The model keeps user data under `metadata` (its `metadata` flag,
   * docs/protocol/discovery.md#models).
   */
  metadataModel: boolean;
  community?: string | undefined;
  workflow?: string | undefined;
  filesEnabled?: boolean | undefined;
}

/**
 * The body of `POST <model records>`: bare metadata wrapped in `{metadata}` for metadata models,
 * `parent.communities.default` / `parent.workflow` from the options, and `files.enabled` always set
 * (default true) so the server's default never decides it silently.
 */
export function prepareCreateBody(data: Json, options: CreateBodyOptions): Json {
  const copy = structuredClone(data);
  const body: Json = options.metadataModel && !("metadata" in copy) ? { metadata: copy } : copy;
  if (options.community !== undefined || options.workflow !== undefined) {
    const parent: Json = isObject(body.parent) ? { ...body.parent } : {};
    if (options.community !== undefined) {
      const communities = isObject(parent.communities) ? parent.communities : {};
      parent.communities = { ...communities, default: options.community };
    }
    if (options.workflow !== undefined) parent.workflow = options.workflow;
    body.parent = parent;
  }
  const files = isObject(body.files) ? body.files : {};
  const enabled =
    options.filesEnabled ?? (typeof files.enabled === "boolean" ? files.enabled : true);
  body.files = { ...files, enabled };
  return body;
}

/**
 * Server-generated fields that a save must not send back (docs/protocol/records.md#update-a-draft).
 */
export const DUMP_ONLY_FIELDS: readonly string[] = [
  "links",
  "errors",
  "expanded",
  "revision_id",
  "created",
  "updated",
];

/**
 * The body of `PUT links.self`: the record as held, without links, errors, expansions and
 * server-maintained fields. `files` (with `enabled`) stays, because a PUT without it lets the
 * server reset files to its default.
 */
export function prepareSaveBody(data: Json): Json {
  return structuredClone(
    Object.fromEntries(Object.entries(data).filter(([key]) => !DUMP_ONLY_FIELDS.includes(key))),
  );
}

/** The bare revision for `If-Match` from an ETag (`"3"`, `W/"3"`, `3`), or `undefined`. */
export function revisionFromEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  const bare = etag
    .trim()
    .replace(/^W\//i, "")
    .replace(/^"(.*)"$/, "$1")
    .trim();
  return bare === "" ? undefined : bare;
}

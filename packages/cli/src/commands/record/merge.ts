import { isPlainObject } from "../../variables.js";

/**
 * Applies a JSON Merge Patch (RFC 7396) to `target` in place: objects merge key by key, `null`
 * deletes a key, anything else (arrays included) replaces.
 *
 * A standard, predictable rule: arrays are replaced rather than concatenated, so re-running the
 * same update does not duplicate creators or keywords.
 */
export function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
      delete target[key];
    } else if (isPlainObject(value)) {
      const current = target[key];
      if (isPlainObject(current)) mergePatch(current, value);
      else {
        const fresh: Record<string, unknown> = {};
        mergePatch(fresh, value);
        target[key] = fresh;
      }
    } else {
      target[key] = structuredClone(value);
    }
  }
}

/** Server-maintained top-level fields that an update never takes from the user's document. */
export const READ_ONLY_FIELDS: ReadonlySet<string> = new Set([
  "id",
  "links",
  "revision_id",
  "created",
  "updated",
  "errors",
  "expanded",
  "versions",
  "is_draft",
  "is_published",
  "expires_at",
  "state",
  "state_timestamp",
  "status",
  "$schema",
]);

/**
 * Applies an update document to a record's JSON in place.
 *
 * A document with a `metadata` object is a partial record: each top-level key it names (except
 * server-maintained ones) is merged or replaced. Any other document is metadata: merged into
 * (or replacing) `data.metadata`, or the user fields of a model without a metadata section.
 */
export function applyUpdate(
  data: Record<string, unknown>,
  doc: Record<string, unknown>,
  mode: "merge" | "replace",
): string[] {
  const ignored: string[] = [];
  const hasMetadataSection = isPlainObject(data["metadata"]);
  if (isPlainObject(doc["metadata"]) || !hasMetadataSection) {
    for (const [key, value] of Object.entries(doc)) {
      if (READ_ONLY_FIELDS.has(key)) {
        ignored.push(key);
        continue;
      }
      if (mode === "merge") mergePatch(data, { [key]: value });
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
      else if (value === null) delete data[key];
      else data[key] = structuredClone(value);
    }
    if (mode === "replace" && !hasMetadataSection && !isPlainObject(doc["metadata"])) {
      // A model without a metadata section: the document is the whole set of user fields.
      for (const key of Object.keys(data)) {
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
        if (!READ_ONLY_FIELDS.has(key) && !(key in doc) && !KEPT.has(key)) delete data[key];
      }
    }
    return ignored;
  }
  if (mode === "merge") mergePatch(data["metadata"] as Record<string, unknown>, doc);
  else data["metadata"] = structuredClone(doc);
  return ignored;
}

/** Top-level fields a metadata replacement keeps on models without a metadata section. */
const KEPT: ReadonlySet<string> = new Set(["files", "parent", "pids", "access", "custom_fields"]);

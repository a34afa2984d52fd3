import type { ResolvedModel } from "../../config/types.js";
import { validationError, type FieldError } from "../../http/errors.js";
import type { ServiceContext } from "../service.js";
import { MESSAGES, validateData } from "./validation.js";
import { checkVocabularies } from "./vocabularies.js";

/** oarepo-communities `MissingDefaultCommunityError` (protocol §8.1). */
export const MISSING_COMMUNITY_MESSAGE = "Failed to get community from input data.";

/** oarepo-communities `CommunityDoesntExistError` (protocol §8.1). */
export const UNKNOWN_COMMUNITY_MESSAGE = "Input community does not exist.";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** RDM_DEFAULT_FILES_ENABLED: a body without `files.enabled` means files on (protocol §3.5 pitfall). */
const DEFAULT_FILES_ENABLED = true;

/** Dump-only or server-managed keys that a client echoing a record back may send; ignored on load. */
const IGNORED_KEYS = new Set([
  "id",
  "created",
  "updated",
  "links",
  "revision_id",
  "versions",
  "is_published",
  "is_draft",
  "expires_at",
  "state",
  "state_timestamp",
  "status",
  "$schema",
  "errors",
  "expanded",
  "parent",
  "files",
  "pids",
  "access",
  "custom_fields",
  "media_files",
  "stats",
  "deletion_status",
  "tombstone",
  "revision",
  "internal_notes",
]);

/** Splits a request body into the model's user data and the errors of a lenient load. */
export function loadBody(
  app: ServiceContext,
  model: ResolvedModel,
  body: Record<string, unknown>,
): {
  data: Record<string, unknown>;
  errors: FieldError[];
} {
  const errors: FieldError[] = [];
  let source: unknown;
  if (model.metadata) {
    source = body.metadata ?? {};
    for (const key of Object.keys(body)) {
      if (key !== "metadata" && !IGNORED_KEYS.has(key)) {
        errors.push({ field: key, messages: [MESSAGES.unknown] });
      }
    }
  } else {
    source = Object.fromEntries(Object.entries(body).filter(([key]) => !IGNORED_KEYS.has(key)));
  }
  if (app.traits.vocabularies && isObject(source)) checkVocabularies(source);
  const validated = validateData(model.schema, source, model.metadata ? "metadata" : "");
  return { data: validated.value, errors: [...validated.errors, ...errors] };
}

/** `files.enabled` of a body: the default when absent, an error entry when not a boolean. */
export function filesEnabledOf(
  model: ResolvedModel,
  body: Record<string, unknown>,
  errors: FieldError[],
): boolean {
  if (!model.features.includes("files")) return false;
  const files = body.files;
  if (files === undefined) return DEFAULT_FILES_ENABLED;
  if (!isObject(files)) {
    errors.push({ field: "files", messages: [MESSAGES.object] });
    return DEFAULT_FILES_ENABLED;
  }
  if (files.enabled === undefined) return DEFAULT_FILES_ENABLED;
  if (typeof files.enabled !== "boolean") {
    errors.push({ field: "files.enabled", messages: [MESSAGES.boolean] });
    return DEFAULT_FILES_ENABLED;
  }
  return files.enabled;
}

/**
 * The community a new draft joins, from `parent.communities.default` as a slug, a UUID or
 * `{id}` (oarepo-communities `CommunityDefaultWorkflowComponent`). Its failures are raised
 * ValidationErrors, so they are 400 even though the rest of the create is lenient.
 */
export function communitiesOf(
  app: ServiceContext,
  model: ResolvedModel,
  body: Record<string, unknown>,
): string[] {
  // Plain RDM dumps parent.communities only; RDMParentSchema.clean drops it on load (§8.2).
  if (app.flavour === "rdm") return [];
  const parent = isObject(body.parent) ? body.parent : {};
  const communities = isObject(parent.communities) ? parent.communities : {};
  let wanted: unknown = communities.default;
  if (isObject(wanted)) wanted = wanted.id;
  if (wanted === undefined || wanted === null || wanted === "") {
    if (model.requireCommunity) {
      throw validationError([{ field: "_schema", messages: [MISSING_COMMUNITY_MESSAGE] }]);
    }
    return [];
  }
  const community = typeof wanted === "string" ? app.records.community(wanted) : undefined;
  if (community === undefined) {
    throw validationError([{ field: "_schema", messages: [UNKNOWN_COMMUNITY_MESSAGE] }]);
  }
  return [community.id];
}

/** The workflow a new draft's parent names (`default` unless given; none on `rdm`). */
export function workflowOf(app: ServiceContext, body: Record<string, unknown>): string | null {
  if (app.flavour === "rdm") return null;
  const parent = isObject(body.parent) ? body.parent : {};
  return typeof parent.workflow === "string" && parent.workflow !== ""
    ? parent.workflow
    : "default";
}

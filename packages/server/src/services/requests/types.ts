import type { RequestTypeId } from "../../config/types.js";
import type { FieldError } from "../../http/errors.js";

/**
 * Where a request type may be created: on which state of a record
 * (docs/protocol/requests.md#request-types).
 */
export type TopicState =
  /** A draft never published, version 1. */
  | "initial-draft"
  /** A draft of a later version, not yet published. */
  | "new-version-draft"
  /** The open edit draft of a published record. */
  | "edit-draft"
  /** A published record. */
  | "published";

/**
 * One payload field: every value in a request payload is a string
 * (docs/protocol/requests.md#request-types).
 */
interface PayloadField {
  required?: boolean;
  /** Filled by the server on accept; a client may send it but rarely does. */
  serverFilled?: boolean;
  choices?: readonly string[];
}

/** What the devserver knows of one oarepo-requests type. */
export interface RequestTypeInfo {
  id: RequestTypeId;
  /** The type's `name`, quoted by `OpenRequestAlreadyExists`. */
  name: string;
  /** The record states the type applies to (oarepo `is_applicable_to`). */
  topics: readonly TopicState[];
  /** Whether it publishes its topic on accept (oarepo `publish_base.py` types). */
  publishes: boolean;
  /** `payload_schema` of the type, `unknown=RAISE`. */
  payload: Readonly<Record<string, PayloadField>>;
}

const publishedRecordLinks = {
  "published_record:links:self": { serverFilled: true },
  "published_record:links:self_html": { serverFilled: true },
} as const;

const draftRecordLinks = {
  "draft_record:links:self": { serverFilled: true },
  "draft_record:links:self_html": { serverFilled: true },
} as const;

/**
 * The record request types of oarepo-requests (types/publish_draft.py, publish_new_version.py,
 * publish_changed_metadata.py, edit_record.py, new_version.py, delete_published_record.py,
 * delete_draft.py), with their payload schemas and the record states they apply to.
 */
export const REQUEST_TYPE_INFO: Readonly<Record<RequestTypeId, RequestTypeInfo>> = {
  publish_draft: {
    id: "publish_draft",
    name: "Publish draft",
    topics: ["initial-draft"],
    publishes: true,
    payload: { ...publishedRecordLinks, version: {} },
  },
  publish_new_version: {
    id: "publish_new_version",
    name: "Publish new version",
    topics: ["new-version-draft"],
    publishes: true,
    payload: { ...publishedRecordLinks, version: {} },
  },
  publish_changed_metadata: {
    id: "publish_changed_metadata",
    name: "Publish changed metadata",
    topics: ["edit-draft"],
    publishes: true,
    payload: { ...publishedRecordLinks },
  },
  edit_published_record: {
    id: "edit_published_record",
    name: "Edit metadata",
    topics: ["published"],
    publishes: false,
    payload: { ...draftRecordLinks },
  },
  new_version: {
    id: "new_version",
    name: "New version",
    topics: ["published"],
    publishes: false,
    payload: {
      ...draftRecordLinks,
      "draft_record:id": { serverFilled: true },
      keep_files: { choices: ["yes", "no"] },
    },
  },
  delete_published_record: {
    id: "delete_published_record",
    name: "Delete record",
    topics: ["published"],
    publishes: false,
    payload: { removal_reason: { required: true }, note: {} },
  },
  delete_draft: {
    id: "delete_draft",
    name: "Delete draft",
    topics: ["initial-draft", "new-version-draft"],
    publishes: false,
    payload: {},
  },
};

/**
 * oarepo's `CustomHTTPJSONException` message for a payload that fails its schema
 * (docs/protocol/requests.md#create-a-request).
 */
export const PAYLOAD_ERRORS_MESSAGE =
  "Action could not be performed due to validation request fields validation errors.";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Loads a payload against a type's schema as marshmallow would (`unknown=RAISE`): the loaded
 * values, or the field errors under `payload.<key>`.
 */
export function loadPayload(
  info: RequestTypeInfo,
  raw: unknown,
): { payload: Record<string, string>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const payload: Record<string, string> = {};
  if (raw === undefined || raw === null) raw = {};
  if (!isObject(raw)) {
    return { payload, errors: [{ field: "payload", messages: ["Invalid input type."] }] };
  }
  for (const [key, value] of Object.entries(raw)) {
    const field = info.payload[key];
    if (field === undefined) {
      errors.push({ field: `payload.${key}`, messages: ["Unknown field."] });
    } else if (typeof value !== "string") {
      errors.push({ field: `payload.${key}`, messages: ["Not a valid string."] });
    } else if (field.choices !== undefined && !field.choices.includes(value)) {
      errors.push({
        field: `payload.${key}`,
        messages: [`Must be one of: ${field.choices.join(", ")}.`],
      });
    } else {
      payload[key] = value;
    }
  }
  for (const [key, field] of Object.entries(info.payload)) {
    if (field.required === true && !(key in raw)) {
      errors.push({ field: `payload.${key}`, messages: ["Missing data for required field."] });
    }
  }
  return { payload, errors };
}

import type { MetadataSchema } from "../../config/types.js";
import type { FieldError } from "../../http/errors.js";

/** What validation left of the data, and what it had to say about the rest. */
export interface Validated {
  /** The input with every invalid value dropped, as marshmallow's lenient load keeps `valid_data`. */
  value: Record<string, unknown>;
  /** `{field, messages}` per offending field, in document order. */
  errors: FieldError[];
}

/**
 * The marshmallow messages Invenio's schemas answer with (marshmallow `fields.py` and
 * `validate.py` default `error_messages`), so clients see the strings a real server sends.
 */
export const MESSAGES = {
  required: "Missing data for required field.",
  null: "Field may not be null.",
  unknown: "Unknown field.",
  object: "Invalid input type.",
  list: "Not a valid list.",
  string: "Not a valid string.",
  integer: "Not a valid integer.",
  number: "Not a valid number.",
  boolean: "Not a valid boolean.",
  date: "Not a valid date.",
  datetime: "Not a valid datetime.",
  url: "Not a valid URL.",
  email: "Not a valid email address.",
  pattern: "String does not match expected pattern.",
  /** InvenioRDM's `EDTFDateString` field (`publication_date`). */
  edtf: "Please provide a valid date or interval.",
} as const;

class Collector {
  private readonly byField = new Map<string, string[]>();

  add(field: string, message: string): void {
    const messages = this.byField.get(field);
    if (messages === undefined) this.byField.set(field, [message]);
    else messages.push(message);
  }

  list(): FieldError[] {
    return [...this.byField].map(([field, messages]) => ({ field, messages }));
  }
}

function join(path: string, key: string | number): string {
  return path === "" ? String(key) : `${path}.${String(key)}`;
}

function lengthMessage(
  min: number | undefined,
  max: number | undefined,
  length: number,
): string | undefined {
  if (min !== undefined && max !== undefined && (length < min || length > max)) {
    return `Length must be between ${min} and ${max}.`;
  }
  if (min !== undefined && length < min) return `Shorter than minimum length ${min}.`;
  if (max !== undefined && length > max) return `Longer than maximum length ${max}.`;
  return undefined;
}

function rangeMessage(
  min: number | undefined,
  max: number | undefined,
  value: number,
): string | undefined {
  if (min !== undefined && max !== undefined && (value < min || value > max)) {
    return `Must be greater than or equal to ${min} and less than or equal to ${max}.`;
  }
  if (min !== undefined && value < min) return `Must be greater than or equal to ${min}.`;
  if (max !== undefined && value > max) return `Must be less than or equal to ${max}.`;
  return undefined;
}

function validDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** A level-0 EDTF date (`2024`, `2024-05`, `2024-05-01`) or an interval of two (`a/b`). */
function validEdtf(text: string): boolean {
  const one = (part: string): boolean => {
    if (/^\d{4}$/.test(part)) return true;
    const month = /^(\d{4})-(\d{2})$/.exec(part);
    if (month !== null) return Number(month[2]) >= 1 && Number(month[2]) <= 12;
    return validDate(part);
  };
  const parts = text.split("/");
  return parts.length <= 2 && parts.every(one);
}

function formatMessage(schema: MetadataSchema, text: string): string | undefined {
  switch (schema.format) {
    case undefined:
      return undefined;
    case "date":
      return validDate(text) ? undefined : MESSAGES.date;
    case "edtf":
      return validEdtf(text) ? undefined : MESSAGES.edtf;
    case "date-time":
      return /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text) && !Number.isNaN(Date.parse(text))
        ? undefined
        : MESSAGES.datetime;
    case "uri":
      return URL.canParse(text) && /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? undefined : MESSAGES.url;
    case "email":
      return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(text) ? undefined : MESSAGES.email;
  }
}

/** Checks a scalar; returns the messages (empty when valid). */
function scalarMessages(schema: MetadataSchema, value: unknown): string[] {
  const messages: string[] = [];
  switch (schema.type) {
    case "string": {
      if (typeof value !== "string") return [MESSAGES.string];
      const length = lengthMessage(schema.minLength, schema.maxLength, Array.from(value).length);
      if (length !== undefined) messages.push(length);
      if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) {
        messages.push(MESSAGES.pattern);
      }
      const format = formatMessage(schema, value);
      if (format !== undefined) messages.push(format);
      break;
    }
    case "integer":
    case "number": {
      const ok =
        typeof value === "number" &&
        Number.isFinite(value) &&
        (schema.type === "number" || Number.isInteger(value));
      if (!ok) return [schema.type === "integer" ? MESSAGES.integer : MESSAGES.number];
      const range = rangeMessage(schema.minimum, schema.maximum, value);
      if (range !== undefined) messages.push(range);
      break;
    }
    case "boolean":
      if (typeof value !== "boolean") return [MESSAGES.boolean];
      break;
    case "object":
    case "array":
      break;
  }
  if (schema.enum !== undefined && !schema.enum.includes(value as string | number | boolean)) {
    messages.push(`Must be one of: ${schema.enum.map(String).join(", ")}.`);
  }
  return messages;
}

const DROP = Symbol("drop");

function check(schema: MetadataSchema, value: unknown, path: string, out: Collector): unknown {
  if (value === null) {
    out.add(path, MESSAGES.null);
    return DROP;
  }
  if (schema.type === "object") {
    if (typeof value !== "object" || Array.isArray(value)) {
      out.add(path, MESSAGES.object);
      return DROP;
    }
    return checkObject(schema, value as Record<string, unknown>, path, out);
  }
  if (schema.type === "array") {
    if (!Array.isArray(value)) {
      out.add(path, MESSAGES.list);
      return DROP;
    }
    const length = lengthMessage(schema.minItems, schema.maxItems, value.length);
    if (length !== undefined) out.add(path, length);
    const items = schema.items ?? { type: "string" };
    const kept: unknown[] = [];
    value.forEach((item: unknown, i) => {
      const checked = check(items, item, join(path, i), out);
      if (checked !== DROP) kept.push(checked);
    });
    return kept;
  }
  const messages = scalarMessages(schema, value);
  for (const message of messages) out.add(path, message);
  return messages.length > 0 ? DROP : value;
}

function checkObject(
  schema: MetadataSchema,
  value: Record<string, unknown>,
  path: string,
  out: Collector,
): Record<string, unknown> {
  const properties = schema.properties ?? {};
  const kept: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const childSchema = properties[key];
    if (childSchema === undefined) {
      if (schema.additionalProperties === true) kept[key] = child;
      else out.add(join(path, key), MESSAGES.unknown);
      continue;
    }
    const checked = check(childSchema, child, join(path, key), out);
    if (checked !== DROP) kept[key] = checked;
  }
  for (const key of schema.required ?? []) {
    if (!(key in value)) out.add(join(path, key), MESSAGES.required);
  }
  return kept;
}

/**
 * Validates user data against a model's metadata schema the way Invenio's marshmallow schemas do:
 * every problem is reported under its dotted path (list indices as numbers), and invalid values
 * are dropped from what is kept (marshmallow `valid_data`), while a missing required field is only
 * reported. Drafts are saved with what is kept (lenient); publishing fails on any error (strict).
 * @param path prefix of the reported field names, e.g. `metadata`
 */
export function validateData(schema: MetadataSchema, value: unknown, path: string): Validated {
  const out = new Collector();
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    out.add(path === "" ? "_schema" : path, MESSAGES.object);
    return { value: {}, errors: out.list() };
  }
  const kept = checkObject(schema, value as Record<string, unknown>, path, out);
  return { value: kept, errors: out.list() };
}

import { checkKeys, isRecord } from "./util.js";
import type { MetadataSchema, ResolvedModel, SchemaFormat, SchemaType } from "./types.js";

const TYPES: readonly SchemaType[] = ["object", "array", "string", "integer", "number", "boolean"];
const FORMATS: readonly SchemaFormat[] = ["date", "date-time", "uri", "email", "edtf"];
const KEYWORDS: readonly (keyof MetadataSchema)[] = [
  "type",
  "title",
  "description",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minItems",
  "maxItems",
  "enum",
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "minimum",
  "maximum",
];

type Fail = (key: string, problem: string) => never;

function count(fail: Fail, value: unknown, key: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    fail(key, "must be a non-negative integer");
  }
  return value;
}

function bound(fail: Fail, value: unknown, key: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) fail(key, "must be a number");
  return value;
}

/**
 * Checks one node of a metadata schema (the JSON-Schema subset of `MetadataSchema`), so that a
 * typo in a config file fails at start-up rather than as a puzzling validation result later.
 */
export function checkSchema(fail: Fail, raw: unknown, key: string): MetadataSchema {
  if (!isRecord(raw)) fail(key, "must be a mapping (a JSON-Schema-like node)");
  checkKeys(fail, raw, KEYWORDS, key);
  const type = raw.type;
  if (typeof type !== "string" || !(TYPES as readonly string[]).includes(type)) {
    fail(`${key}.type`, `must be one of ${TYPES.join(", ")}`);
  }
  const node: MetadataSchema = { type: type as SchemaType };
  for (const text of ["title", "description"] as const) {
    const v = raw[text];
    if (v === undefined) continue;
    if (typeof v !== "string") fail(`${key}.${text}`, "must be a string");
    node[text] = v;
  }
  const only = (keyword: string, types: readonly SchemaType[]): void => {
    if (raw[keyword] !== undefined && !types.includes(node.type)) {
      fail(`${key}.${keyword}`, `only applies to type ${types.join(" or ")}`);
    }
  };

  only("properties", ["object"]);
  only("required", ["object"]);
  only("additionalProperties", ["object"]);
  if (raw.properties !== undefined) {
    if (!isRecord(raw.properties)) fail(`${key}.properties`, "must be a mapping");
    const properties: Record<string, MetadataSchema> = {};
    for (const [name, child] of Object.entries(raw.properties)) {
      properties[name] = checkSchema(fail, child, `${key}.properties.${name}`);
    }
    node.properties = properties;
  }
  if (raw.required !== undefined) {
    const required = raw.required;
    if (!Array.isArray(required) || !required.every((r): r is string => typeof r === "string")) {
      fail(`${key}.required`, "must be a list of property names");
    }
    for (const name of required) {
      if (node.properties?.[name] === undefined) {
        fail(`${key}.required`, `'${name}' is not one of the properties`);
      }
    }
    node.required = required;
  }
  if (raw.additionalProperties !== undefined) {
    if (typeof raw.additionalProperties !== "boolean") {
      fail(`${key}.additionalProperties`, "must be true or false");
    }
    node.additionalProperties = raw.additionalProperties;
  }

  only("items", ["array"]);
  only("minItems", ["array"]);
  only("maxItems", ["array"]);
  if (node.type === "array") {
    if (raw.items === undefined) fail(`${key}.items`, "an array needs an items schema");
    node.items = checkSchema(fail, raw.items, `${key}.items`);
  }
  const minItems = count(fail, raw.minItems, `${key}.minItems`);
  if (minItems !== undefined) node.minItems = minItems;
  const maxItems = count(fail, raw.maxItems, `${key}.maxItems`);
  if (maxItems !== undefined) node.maxItems = maxItems;

  only("minLength", ["string"]);
  only("maxLength", ["string"]);
  only("pattern", ["string"]);
  only("format", ["string"]);
  const minLength = count(fail, raw.minLength, `${key}.minLength`);
  if (minLength !== undefined) node.minLength = minLength;
  const maxLength = count(fail, raw.maxLength, `${key}.maxLength`);
  if (maxLength !== undefined) node.maxLength = maxLength;
  if (raw.pattern !== undefined) {
    if (typeof raw.pattern !== "string") fail(`${key}.pattern`, "must be a regular expression");
    try {
      new RegExp(raw.pattern, "u");
    } catch (error) {
      fail(`${key}.pattern`, `invalid regular expression (${(error as Error).message})`);
    }
    node.pattern = raw.pattern;
  }
  if (raw.format !== undefined) {
    if (typeof raw.format !== "string" || !(FORMATS as readonly string[]).includes(raw.format)) {
      fail(`${key}.format`, `must be one of ${FORMATS.join(", ")}`);
    }
    node.format = raw.format as SchemaFormat;
  }

  only("minimum", ["integer", "number"]);
  only("maximum", ["integer", "number"]);
  const minimum = bound(fail, raw.minimum, `${key}.minimum`);
  if (minimum !== undefined) node.minimum = minimum;
  const maximum = bound(fail, raw.maximum, `${key}.maximum`);
  if (maximum !== undefined) node.maximum = maximum;

  only("enum", ["string", "integer", "number", "boolean"]);
  if (raw.enum !== undefined) {
    const values = raw.enum;
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      !values.every(
        (v): v is string | number | boolean =>
          typeof v === "string" || typeof v === "number" || typeof v === "boolean",
      )
    ) {
      fail(`${key}.enum`, "must be a non-empty list of strings, numbers or booleans");
    }
    node.enum = values;
  }
  return node;
}

/**
 * The schema id of a model's records, e.g. `local://datasets-1.0.0.json`
 * (docs/protocol/discovery.md#models).
 */
export function schemaId(model: ResolvedModel): string {
  return `local://${model.type}-${model.version}.json`;
}

/** The file name under `/.well-known/repository/schema/` that serves a model's JSON Schema. */
export function schemaFileName(model: ResolvedModel): string {
  return `${model.type}-${model.version}.json`;
}

/**
 * The JSON Schema (draft-07) of a model's whole record: system fields plus the configured metadata,
 * nested under `metadata` when the model has `metadata: true`.
 */
export function recordJsonSchema(model: ResolvedModel): Record<string, unknown> {
  const system: Record<string, unknown> = {
    $schema: { type: "string" },
    id: { type: "string" },
    created: { type: "string", format: "date-time" },
    updated: { type: "string", format: "date-time" },
    revision_id: { type: "integer" },
  };
  if (model.features.includes("files")) {
    system.files = { type: "object", properties: { enabled: { type: "boolean" } } };
  }
  const properties = model.metadata
    ? { ...system, metadata: model.schema }
    : { ...system, ...(model.schema.properties ?? {}) };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: schemaId(model),
    title: model.name,
    type: "object",
    properties,
    ...(!model.metadata && model.schema.required !== undefined
      ? { required: model.schema.required }
      : {}),
  };
}

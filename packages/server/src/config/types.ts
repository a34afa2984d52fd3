/** Model capabilities, in the order oarepo lists them (protocol §2.3). */
export type ModelFeature = "requests" | "drafts" | "files";

/** The model features, in discovery order. */
export const MODEL_FEATURES: readonly ModelFeature[] = ["requests", "drafts", "files"];

/** JSON types a metadata schema node may declare. */
export type SchemaType = "object" | "array" | "string" | "integer" | "number" | "boolean";

/** String formats the metadata schema understands. */
export type SchemaFormat = "date" | "date-time" | "uri" | "email";

/**
 * A JSON-Schema subset describing a model's metadata: enough to validate drafts, small enough that
 * every keyword has a clear meaning here.
 */
export interface MetadataSchema {
  type: SchemaType;
  title?: string;
  description?: string;
  /** `object`: the allowed properties. */
  properties?: Record<string, MetadataSchema>;
  /** `object`: properties that must be present. */
  required?: string[];
  /** `object`: whether unknown properties are kept (default false: they are validation errors). */
  additionalProperties?: boolean;
  /** `array`: the schema of every item. */
  items?: MetadataSchema;
  minItems?: number;
  maxItems?: number;
  /** `string`, `integer`, `number` or `boolean`: the allowed values. */
  enum?: (string | number | boolean)[];
  minLength?: number;
  maxLength?: number;
  /** `string`: a regular expression (JavaScript syntax) the value must match. */
  pattern?: string;
  format?: SchemaFormat;
  minimum?: number;
  maximum?: number;
}

/** One data model (an oarepo model, e.g. `datasets`), as written in the config. */
export interface ModelConfig {
  /** Human-readable name; defaults to the model's key, as oarepo reports it. */
  name?: string;
  description?: string;
  /** Model version, part of its schema id `local://<model>-<version>.json`. @default "1.0.0" */
  version?: string;
  /** @default ["drafts", "files"] */
  features?: ModelFeature[];
  /** Whether records keep user data under a top-level `metadata` key. @default true */
  metadata?: boolean;
  /** Schema of the metadata. @default an object with a required string `title` */
  schema?: MetadataSchema;
}

/** A user to seed; a personal access token is generated once per data directory. */
export interface UserConfig {
  username: string;
  /** @default `<username>@example.org` */
  email?: string;
  /** e.g. `["curator"]`, `["admin"]`. */
  roles?: string[];
}

/** Repository identity shown in discovery (protocol §2.2). */
export interface RepositoryConfig {
  /** @default "NRP Invenio devserver" */
  name?: string;
  /** @default "" */
  description?: string;
  /** Deployment version. @default "local development" */
  version?: string;
  /** @default "12.0.9" */
  invenioVersion?: string;
}

/**
 * The devserver configuration, as a config file (YAML or JSON) or the `config` option holds it.
 * Every key is optional: missing keys take the defaults of `DEFAULT_CONFIG`.
 */
export interface DevServerConfig {
  repository?: RepositoryConfig;
  /** Data models by type name; when given, they replace the default models. */
  models?: Record<string, ModelConfig>;
  /** Extra users, or overrides of the built-in `owner`, `depositor`, `curator` and `admin`. */
  users?: UserConfig[];
}

/** A model with every default applied. */
export interface ResolvedModel {
  /** The model's key: its URL segment and discovery `type`. */
  type: string;
  name: string;
  description: string;
  version: string;
  /** Sorted in discovery order. */
  features: ModelFeature[];
  metadata: boolean;
  schema: MetadataSchema;
}

/** A user with every default applied. */
export interface ResolvedUser {
  username: string;
  email: string;
  roles: string[];
}

/** The configuration with every default applied, models sorted by type. */
export interface ResolvedConfig {
  repository: Required<RepositoryConfig>;
  models: ResolvedModel[];
  users: ResolvedUser[];
}

/** Model capabilities, in the order oarepo lists them (protocol §2.3). */
export type ModelFeature = "requests" | "drafts" | "files";

/** The model features, in discovery order. */
export const MODEL_FEATURES: readonly ModelFeature[] = ["requests", "drafts", "files"];

/** JSON types a metadata schema node may declare. */
export type SchemaType = "object" | "array" | "string" | "integer" | "number" | "boolean";

/** String formats the metadata schema understands. */
export type SchemaFormat = "date" | "date-time" | "uri" | "email" | "edtf";

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
  /**
   * Whether a draft must name `parent.communities.default` when it is created, as oarepo's
   * community-workflow preset demands. @default false
   */
  requireCommunity?: boolean;
  /**
   * `direct`: the owner publishes through `links.publish`; `curated`: no publish link and a direct
   * publish is 403, publishing goes through a `publish_draft` request. @default "direct"
   */
  publishing?: PublishingPolicy;
  /** Assign a DOI (`<doiPrefix>/<id>`) when a record of this model is published. @default false */
  mintDoi?: boolean;
  /** The model's request workflow (only with the `requests` feature). */
  requests?: WorkflowConfig;
}

/** The request types oarepo-requests defines for records (protocol §6.2). */
export const REQUEST_TYPES = [
  "publish_draft",
  "publish_new_version",
  "publish_changed_metadata",
  "edit_published_record",
  "new_version",
  "delete_published_record",
  "delete_draft",
] as const;

/** One request type id. */
export type RequestTypeId = (typeof REQUEST_TYPES)[number];

/**
 * A model's workflow, as oarepo-workflows declares one: which request types exist and which are
 * approved automatically when submitted (their receiver is `{"auto_approve": "true"}`).
 */
export interface WorkflowConfig {
  /** @default every type but `delete_draft` */
  types?: RequestTypeId[];
  /** @default [] */
  autoAccept?: RequestTypeId[];
}

/** How drafts of a model get published. */
export type PublishingPolicy = "direct" | "curated";

/** A community to seed (protocol §8.1). */
export interface CommunityConfig {
  /** URL-safe name, accepted wherever a community id is. */
  slug: string;
  /** UUID; derived from the slug when missing, so it stays the same across restarts. */
  id?: string;
  /** @default the slug */
  title?: string;
  /** Usernames that curate the community: they may read its records' drafts. @default ["curator"] */
  curators?: string[];
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
  /** DOI prefix of minted DOIs (models with `mintDoi`). @default "10.83030" */
  doiPrefix?: string;
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
  /** Communities to seed; when given, they replace the default `physics` and `biology`. */
  communities?: CommunityConfig[];
  /**
   * Largest file in bytes: a multipart init or an upload announcing more is a 400
   * `Maximum file size exceeded.` (invenio-files-rest's `FileSizeError`).
   * @default 10_000_000_000, InvenioRDM's `RDM_FILES_DEFAULT_MAX_FILE_SIZE` (10 GB)
   */
  maxFileSize?: number;
  /** Let pages from other origins call the API (off by default, as in Invenio). */
  cors?: CorsConfig;
}

/**
 * Cross-origin access, like an Invenio with Flask-CORS configured: pages from `origins` may call
 * the API with a token; preflights allow `Authorization`, responses expose `ETag`, `Link`,
 * `Content-Range` and `Content-Length`.
 */
export interface CorsConfig {
  /** Allowed origins, e.g. `http://localhost:5173`; `*` allows any. @default [] */
  origins?: string[];
  /** Seconds a browser may cache a preflight answer. @default 600 */
  maxAge?: number;
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
  requireCommunity: boolean;
  publishing: PublishingPolicy;
  mintDoi: boolean;
  /** Empty lists for models without the `requests` feature. */
  requests: Required<WorkflowConfig>;
}

/** A community with every default applied. */
export interface ResolvedCommunity {
  id: string;
  slug: string;
  title: string;
  curators: string[];
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
  communities: ResolvedCommunity[];
  /** Largest file in bytes. */
  maxFileSize: number;
  cors: Required<CorsConfig>;
}

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
  /**
   * Whether a draft created without a community may join one through InvenioRDM's
   * community-submission review (`links.review`, `PUT …/draft/review`,
   * `POST …/draft/actions/submit-review`), as RDM 13-based NRP repositories serve it beside
   * `parent.communities.default`. Needs the `drafts` feature. @default false
   */
  review?: boolean;
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
  /**
   * The community role that receives each request type not approved automatically, as
   * oarepo-workflows' `CommunityRole` generators name it: the receiver is
   * `{"community_role": "<community uuid>:<role>"}` and any member with that role (see
   * `CommunityConfig.roles`) may accept or decline. @default "curator" for every type
   */
  receivers?: Partial<Record<RequestTypeId, string>>;
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
  /**
   * Usernames that curate the community: they may read its records' drafts. Shorthand for
   * `roles.curator`. @default ["curator"] (when `roles` is missing too)
   */
  curators?: string[];
  /**
   * Members by community role (invenio-communities' `owner`, `manager`, `curator`, `reader`, or a
   * repository's own), e.g. `{curator: [alice], owner: [bob]}`. A request goes to the role its
   * workflow names (`WorkflowConfig.receivers`); owners, managers and curators may read the
   * community's drafts.
   */
  roles?: Record<string, string[]>;
}

/**
 * A vocabulary (invenio-vocabularies), listed among the models in discovery and searchable.
 * `affiliations`, `awards`, `funders`, `subjects` and `names` have their own services
 * (`/api/<type>`, plus a writable `<type>-vocab` form under `/api/vocabularies/`, as an NRP
 * repository lists them); any other type is a generic vocabulary at `/api/vocabularies/<type>`.
 */
export interface VocabularyConfig {
  /** Shown in discovery. @default the type, capitalised */
  name?: string;
  /**
   * The seeded entries: each needs a unique string `id`; the rest is served as written (e.g.
   * `title: {en: …}` for a generic vocabulary, `name`, `acronym`, `identifiers` for an
   * affiliation). @default []
   */
  entries?: Record<string, unknown>[];
}

/** A user to seed; a personal access token is generated once per data directory. */
export interface UserConfig {
  username: string;
  /** @default `<username>@example.org` */
  email?: string;
  /** e.g. `["curator"]`, `["admin"]`. */
  roles?: string[];
  /**
   * A fixed personal access token (at least 16 characters of `A-Za-z0-9-._~`), so that a test
   * suite can know it in advance; when missing one is generated once per data directory.
   */
  token?: string;
  /**
   * A file the devserver writes the user's token to at start-up (mode 0600, created with its
   * directory), relative to the config file's directory; a third-party test suite reads it there.
   */
  tokenFile?: string;
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
   * Vocabularies by type; when given, they replace the defaults (affiliations, awards, funders,
   * subjects, names, languages, resourcetypes, licenses, with a few entries each).
   */
  vocabularies?: Record<string, VocabularyConfig>;
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
  /** InvenioRDM's review of drafts is served for this model. */
  review: boolean;
}

/** A community with every default applied. */
export interface ResolvedCommunity {
  id: string;
  slug: string;
  title: string;
  /** Everyone who may read the community's drafts and review them: owners, managers, curators. */
  curators: string[];
  /** Members by role. */
  roles: Record<string, string[]>;
}

/** A vocabulary with every default applied. */
export interface ResolvedVocabulary {
  type: string;
  name: string;
  /** Served at `/api/<type>` (and `/api/vocabularies/<type>-vocab`) rather than generically. */
  special: boolean;
  entries: (Record<string, unknown> & { id: string })[];
}

/** A user with every default applied. */
export interface ResolvedUser {
  username: string;
  email: string;
  roles: string[];
  /** The fixed token, if configured. */
  token?: string;
  /** Where to write the token, absolute or relative to the config file's directory. */
  tokenFile?: string;
}

/** The configuration with every default applied, models sorted by type. */
export interface ResolvedConfig {
  repository: Required<RepositoryConfig>;
  models: ResolvedModel[];
  users: ResolvedUser[];
  communities: ResolvedCommunity[];
  vocabularies: ResolvedVocabulary[];
  /** Largest file in bytes. */
  maxFileSize: number;
  cors: Required<CorsConfig>;
}

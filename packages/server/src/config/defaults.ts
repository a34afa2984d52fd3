import type { DevServerConfig, MetadataSchema, ResolvedUser } from "./types.js";

const person: MetadataSchema = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 1, description: "Family name, given names" },
    affiliation: { type: "string" },
    orcid: { type: "string", pattern: "^\\d{4}-\\d{4}-\\d{4}-\\d{3}[0-9X]$" },
  },
  required: ["name"],
};

const datasetMetadata: MetadataSchema = {
  type: "object",
  properties: {
    title: { type: "string", minLength: 1 },
    creators: { type: "array", items: person },
    description: { type: "string" },
    publication_date: { type: "string", format: "date" },
    resource_type: {
      type: "string",
      enum: ["dataset", "software", "image", "video", "other"],
    },
    keywords: { type: "array", items: { type: "string", minLength: 1 } },
    license: { type: "string" },
    version: { type: "string" },
  },
  required: ["title"],
};

const documentMetadata: MetadataSchema = {
  type: "object",
  properties: {
    title: { type: "string", minLength: 1 },
    authors: { type: "array", items: person },
    abstract: { type: "string" },
    language: { type: "string", pattern: "^[a-z]{2,3}$", description: "ISO 639 code" },
    date: { type: "string", format: "date" },
    pages: { type: "integer", minimum: 1 },
    keywords: { type: "array", items: { type: "string", minLength: 1 } },
  },
  required: ["title"],
};

/**
 * The configuration used when none is given: two models and the built-in users, enough to exercise
 * drafts, files and requests against a model that has them all and one that has no requests.
 */
export const DEFAULT_CONFIG: DevServerConfig = {
  repository: {
    name: "NRP Invenio devserver",
    description: "A local Invenio-compatible repository for tests and demos.",
    version: "local development",
    invenioVersion: "12.0.9",
  },
  models: {
    datasets: {
      name: "datasets",
      description: "Research datasets with files, drafts and requests.",
      version: "1.0.0",
      features: ["requests", "drafts", "files"],
      metadata: true,
      schema: datasetMetadata,
    },
    documents: {
      name: "documents",
      description: "Documents with files and drafts.",
      version: "1.0.0",
      features: ["drafts", "files"],
      metadata: true,
      schema: documentMetadata,
    },
  },
};

/** The users every devserver has, whatever the config says; their tokens are `DevServer.tokens`. */
export const BUILTIN_USERS: readonly ResolvedUser[] = [
  { username: "owner", email: "owner@example.org", roles: [] },
  { username: "depositor", email: "depositor@example.org", roles: [] },
  { username: "curator", email: "curator@example.org", roles: ["curator"] },
  { username: "admin", email: "admin@example.org", roles: ["admin"] },
];

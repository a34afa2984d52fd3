import type {
  CommunityConfig,
  DevServerConfig,
  MetadataSchema,
  ResolvedModel,
  ResolvedUser,
  VocabularyConfig,
} from "./types.js";

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
 * Largest file the devserver accepts unless configured (`maxFileSize`): InvenioRDM's
 * `RDM_FILES_DEFAULT_MAX_FILE_SIZE = 10 * (10**9)` (invenio-rdm-records `config.py`), the
 * `max_file_size` every record's bucket gets.
 */
export const DEFAULT_MAX_FILE_SIZE = 10 * 10 ** 9;

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
    doiPrefix: "10.83030",
  },
  models: {
    datasets: {
      name: "datasets",
      description: "Research datasets with files, drafts and requests.",
      version: "1.0.0",
      features: ["requests", "drafts", "files"],
      metadata: true,
      schema: datasetMetadata,
      requireCommunity: true,
      publishing: "curated",
    },
    documents: {
      name: "documents",
      description: "Documents with files and drafts.",
      version: "1.0.0",
      features: ["drafts", "files"],
      metadata: true,
      schema: documentMetadata,
      publishing: "direct",
      mintDoi: true,
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

/**
 * The communities every devserver has unless the config lists its own; fixed UUIDs so tests and
 * scripts can name them either way (protocol §8.1 accepts a slug or a UUID).
 */
export const DEFAULT_COMMUNITIES: readonly CommunityConfig[] = [
  {
    slug: "physics",
    id: "3f1c0b6e-7a52-4d8e-9c41-0e6a2b7d5f01",
    title: "Physics",
    curators: ["curator"],
  },
  {
    slug: "biology",
    id: "8b2d4e9a-1c37-4f60-a5b8-2d9e7c4f1a02",
    title: "Biology",
    curators: ["curator"],
  },
];

/**
 * The one model of the `rdm` flavour: InvenioRDM's `records` (`/api/records`). Its schema is a
 * small subset of RDM's metadata with RDM's rules for what it has (a title of 3 characters or
 * more, EDTF dates); only `title` is required so that short scripts can publish.
 */
export const RDM_RECORDS_MODEL: ResolvedModel = {
  type: "records",
  name: "records",
  description: "InvenioRDM records.",
  version: "1.0.0",
  features: ["drafts", "files"],
  metadata: true,
  schema: {
    type: "object",
    properties: {
      title: { type: "string", minLength: 3 },
      description: { type: "string" },
      publication_date: { type: "string", format: "edtf" },
      publisher: { type: "string" },
      version: { type: "string" },
      resource_type: {
        type: "object",
        // `title` is dump-only: the vocabulary's, accepted back when a client echoes a record.
        properties: {
          id: { type: "string", minLength: 1 },
          title: { type: "object", additionalProperties: true, properties: {} },
        },
        required: ["id"],
      },
      creators: {
        type: "array",
        items: {
          type: "object",
          properties: {
            person_or_org: {
              type: "object",
              additionalProperties: true,
              properties: {
                type: { type: "string", enum: ["personal", "organizational"] },
                name: { type: "string" },
                given_name: { type: "string" },
                family_name: { type: "string" },
              },
              required: ["type"],
            },
            affiliations: {
              type: "array",
              items: { type: "object", additionalProperties: true, properties: {} },
            },
          },
          required: ["person_or_org"],
        },
      },
      keywords: { type: "array", items: { type: "string" } },
    },
    required: ["title"],
  },
  requireCommunity: false,
  publishing: "direct",
  mintDoi: true,
  requests: { types: [], autoAccept: [], receivers: {} },
  review: true,
};

/**
 * The vocabularies of a typical NRP repository (oarepo on InvenioRDM 13): RDM's affiliations,
 * awards, funders, subjects and names (recorded `well-known-models`), and the generic
 * languages, resource types and licenses, with a few entries each so that searches find
 * something.
 */
export const DEFAULT_VOCABULARIES: Readonly<Record<string, VocabularyConfig>> = {
  affiliations: {
    entries: [
      {
        id: "05x2bcf33",
        name: "Charles University",
        acronym: "CUNI",
        identifiers: [{ scheme: "ror", identifier: "024d6js02" }],
        title: { en: "Charles University", cs: "Univerzita Karlova" },
      },
      {
        id: "01swzsf04",
        name: "CESNET",
        acronym: "CESNET",
        identifiers: [{ scheme: "ror", identifier: "050dkka69" }],
        title: { en: "CESNET" },
      },
    ],
  },
  awards: {
    entries: [
      {
        id: "00k4n6c32::101007524",
        number: "101007524",
        title: { en: "Open science infrastructure" },
        acronym: "OSI",
        funder: { id: "00k4n6c32" },
      },
    ],
  },
  funders: {
    entries: [
      {
        id: "00k4n6c32",
        name: "European Commission",
        country: "BE",
        identifiers: [{ scheme: "ror", identifier: "00k4n6c32" }],
        title: { en: "European Commission" },
      },
      {
        id: "01pv73b02",
        name: "Czech Science Foundation",
        country: "CZ",
        identifiers: [{ scheme: "ror", identifier: "01pv73b02" }],
        title: { en: "Czech Science Foundation", cs: "Grantová agentura České republiky" },
      },
    ],
  },
  subjects: {
    entries: [
      {
        id: "https://id.loc.gov/authorities/subjects/sh85118553",
        scheme: "LCSH",
        subject: "Science",
      },
      { id: "euroscivoc:1", scheme: "EuroSciVoc", subject: "natural sciences" },
    ],
  },
  names: {
    entries: [
      {
        id: "0000-0002-1825-0097",
        name: "Carberry, Josiah",
        given_name: "Josiah",
        family_name: "Carberry",
        identifiers: [{ scheme: "orcid", identifier: "0000-0002-1825-0097" }],
        affiliations: [{ name: "Brown University" }],
      },
    ],
  },
  languages: {
    entries: [
      { id: "ces", title: { en: "Czech", cs: "čeština" }, props: { alpha_2: "cs" } },
      { id: "eng", title: { en: "English", cs: "angličtina" }, props: { alpha_2: "en" } },
      { id: "deu", title: { en: "German", cs: "němčina" }, props: { alpha_2: "de" } },
    ],
  },
  resourcetypes: {
    name: "Resource types",
    entries: [
      { id: "dataset", title: { en: "Dataset", cs: "Datová sada" } },
      { id: "publication-article", title: { en: "Journal article", cs: "Článek v časopise" } },
      { id: "software", title: { en: "Software" } },
    ],
  },
  licenses: {
    entries: [
      { id: "cc-by-4.0", title: { en: "Creative Commons Attribution 4.0 International" } },
      { id: "cc0-1.0", title: { en: "Creative Commons Zero v1.0 Universal" } },
    ],
  },
};

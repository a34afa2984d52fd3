import { recordJsonSchema, schemaFileName, schemaId } from "../config/schema.js";
import type { ResolvedModel, ResolvedVocabulary } from "../config/types.js";
import { param, type RequestContext } from "../http/context.js";
import { HttpError, NOT_FOUND_MESSAGE } from "../http/errors.js";
import { JSON_TYPE, UI_JSON_TYPE, negotiate } from "../http/negotiate.js";
import { sendJson } from "../http/respond.js";
import type { Service, ServiceContext } from "./service.js";

/** Where oarepo-runtime mounts the discovery endpoints (not under `/api`, protocol §2.2). */
export const WELL_KNOWN = "/.well-known/repository";

/** Repository-level features of an oarepo 12 installation with workflows and requests. */
const REPOSITORY_FEATURES = ["drafts", "workflows", "requests", "communities", "request_types"];

/** Transfer types of oarepo 12's transfer registry (protocol §2.2). */
const TRANSFERS = ["L", "F", "R", "M"];

function respondJson(ctx: RequestContext, body: unknown): void {
  negotiate(ctx.req.headers.accept, [JSON_TYPE]);
  sendJson(ctx.res, 200, body);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The `/.well-known/repository/` payload (protocol §2.2). */
export function repositoryInfo(app: ServiceContext, origin: string): Record<string, unknown> {
  const api = `${origin}/api`;
  const { repository, models } = app.config;
  const info: Record<string, unknown> = {
    schema: "local://introspection-v1.0.0",
    name: repository.name,
    description: repository.description,
    version: repository.version,
    invenio_version: repository.invenioVersion,
    transfers: TRANSFERS,
    links: {
      self: `${origin}${WELL_KNOWN}/`,
      api,
      models: `${origin}${WELL_KNOWN}/models`,
      requests: `${api}/requests/`,
      records: `${api}/search/`,
      drafts: `${api}/user/search/`,
    },
    features: REPOSITORY_FEATURES,
  };
  const only = models.length === 1 ? models[0] : undefined;
  if (only !== undefined) info.default_model = only.type;
  return info;
}

/** One data model's item in `/.well-known/repository/models` (protocol §2.3). */
export function modelInfo(model: ResolvedModel, origin: string): Record<string, unknown> {
  const api = `${origin}/api`;
  const records = `${api}/${model.type}/`;
  const links: Record<string, string> = {
    html: `${origin}/${model.type}/`,
    model: `${origin}${WELL_KNOWN}/models/${model.type}`,
    records,
  };
  if (model.features.includes("drafts")) links.drafts = `${api}/user/${model.type}/`;
  links.deposit = records;
  return {
    schema: schemaId(model),
    type: model.type,
    name: model.name,
    description: model.description,
    version: model.version,
    features: model.features,
    links,
    content_types: [
      {
        content_type: JSON_TYPE,
        name: `Internal json serialization of ${capitalize(model.type)}`,
        description:
          "This content type is serving this model's native format as described on model link.",
        schema: `${origin}${WELL_KNOWN}/schema/${schemaFileName(model)}`,
        can_export: true,
        can_deposit: true,
      },
      {
        content_type: UI_JSON_TYPE,
        name: "Native UI JSON",
        description: "",
        can_export: true,
        can_deposit: false,
      },
    ],
    metadata: model.metadata,
  };
}

function vocabulary(
  origin: string,
  type: string,
  name: string,
  schemaPath: string,
  writable: boolean,
  path: string,
): Record<string, unknown> {
  const records = `${origin}/api/${path}`;
  return {
    schema: `local://${schemaPath}`,
    type,
    name,
    description: `Vocabulary for ${name}`,
    version: "unknown",
    features: ["rdm", "vocabulary"],
    links: writable ? { records, deposit: records } : { records },
    content_types: [
      {
        content_type: JSON_TYPE,
        name: "Invenio RDM JSON",
        description: "Vocabulary JSON",
        schema: `${origin}/schemas/${schemaPath}`,
        can_export: true,
        can_deposit: writable,
      },
    ],
    metadata: false,
  };
}

/**
 * The vocabulary pseudo-models oarepo-runtime lists after the data models (protocol §2.3,
 * recorded `well-known-models`): each of RDM's own vocabulary services (`/api/affiliations`,
 * read-only), then their writable `<type>-vocab` forms under `/api/vocabularies/`, then the
 * generic vocabularies (`/api/vocabularies/<type>`), as the config names them.
 */
export function vocabularyInfos(
  vocabularies: readonly ResolvedVocabulary[],
  origin: string,
): Record<string, unknown>[] {
  const special = vocabularies.filter((v) => v.special);
  const schema = (v: ResolvedVocabulary): string =>
    `${v.type}/${v.type.replace(/s$/, "")}-v1.0.0.json`;
  return [
    ...special.map((v) => vocabulary(origin, v.type, v.name, schema(v), false, v.type)),
    ...special.map((v) =>
      vocabulary(
        origin,
        `${v.type}-vocab`,
        `Writable ${v.name}`,
        schema(v),
        true,
        `vocabularies/${v.type}-vocab`,
      ),
    ),
    ...vocabularies
      .filter((v) => !v.special)
      .map((v) =>
        vocabulary(
          origin,
          v.type,
          v.name,
          "vocabularies/vocabulary-v1.0.0.json",
          true,
          `vocabularies/${v.type}`,
        ),
      ),
  ];
}

/** Drops empty values recursively, as oarepo does for `/models/<model>` (protocol §2.4). */
function withoutEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmpty);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const cleaned = withoutEmpty(v);
    const empty =
      cleaned === "" ||
      cleaned === null ||
      (Array.isArray(cleaned) && cleaned.length === 0) ||
      (typeof cleaned === "object" && Object.keys(cleaned).length === 0);
    if (!empty) out[key] = cleaned;
  }
  return out;
}

/** The model definition served at `/models/<model>`: its configuration, nothing internal. */
export function modelDefinition(model: ResolvedModel): unknown {
  return withoutEmpty({
    type: model.type,
    name: model.name,
    description: model.description,
    version: model.version,
    schema: schemaId(model),
    features: model.features,
    metadata: model.metadata,
    properties: model.metadata ? { metadata: model.schema } : (model.schema.properties ?? {}),
  });
}

function findModel(app: ServiceContext, type: string): ResolvedModel {
  const model = app.config.models.find((m) => m.type === type);
  if (model === undefined) throw new HttpError(404, NOT_FOUND_MESSAGE);
  return model;
}

/** oarepo-runtime's discovery endpoints; registered only in the `nrp` flavour. */
export const discoveryService: Service = (router, app) => {
  router.on("GET", `${WELL_KNOWN}/`, (ctx) => {
    respondJson(ctx, repositoryInfo(app, ctx.origin));
  });
  router.on("GET", `${WELL_KNOWN}/models`, (ctx) => {
    respondJson(ctx, [
      ...app.config.models.map((m) => modelInfo(m, ctx.origin)),
      ...vocabularyInfos(app.config.vocabularies, ctx.origin),
    ]);
  });
  router.on("GET", `${WELL_KNOWN}/models/:model`, (ctx) => {
    respondJson(ctx, modelDefinition(findModel(app, param(ctx, "model"))));
  });
  router.on("GET", `${WELL_KNOWN}/schema/*`, (ctx) => {
    const file = param(ctx, "*");
    const model = app.config.models.find((m) => schemaFileName(m) === file);
    if (model === undefined) throw new HttpError(404, NOT_FOUND_MESSAGE);
    respondJson(ctx, recordJsonSchema(model));
  });
};

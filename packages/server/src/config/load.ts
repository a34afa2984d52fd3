import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { createHash } from "node:crypto";
import {
  BUILTIN_USERS,
  DEFAULT_COMMUNITIES,
  DEFAULT_CONFIG,
  DEFAULT_VOCABULARIES,
  DEFAULT_MAX_FILE_SIZE,
} from "./defaults.js";
import { checkSchema } from "./schema.js";
import { checkKeys, isRecord } from "./util.js";
import {
  MODEL_FEATURES,
  REQUEST_TYPES,
  type RequestTypeId,
  type WorkflowConfig,
  type DevServerConfig,
  type ModelConfig,
  type CommunityConfig,
  type CorsConfig,
  type ModelFeature,
  type ResolvedCommunity,
  type ResolvedConfig,
  type ResolvedModel,
  type ResolvedUser,
  type ResolvedVocabulary,
  type UserConfig,
} from "./types.js";

/** The vocabularies invenio-vocabularies (and InvenioRDM) serve with their own service. */
export const SPECIAL_VOCABULARIES: readonly string[] = [
  "affiliations",
  "awards",
  "funders",
  "subjects",
  "names",
];

const VOCABULARY_TYPE = /^[a-z][a-z0-9_-]{0,62}$/;

function resolveVocabularies(
  fail: (key: string, problem: string) => never,
  raw: unknown,
): ResolvedVocabulary[] {
  const all: unknown = raw ?? DEFAULT_VOCABULARIES;
  if (!isRecord(all)) fail("vocabularies", "must be a mapping of vocabulary type to vocabulary");
  return Object.entries(all).map(([type, value]) => {
    const key = `vocabularies.${type}`;
    if (!VOCABULARY_TYPE.test(type) || type.endsWith("-vocab")) {
      fail(key, "a vocabulary type must be lower-case letters, digits, '-' or '_'");
    }
    const v: unknown = value ?? {};
    if (!isRecord(v)) fail(key, "must be a mapping with name and entries");
    checkKeys(fail, v, ["name", "entries"], key);
    const entries = v.entries ?? [];
    if (!Array.isArray(entries)) fail(`${key}.entries`, "must be a list of entries");
    const ids = new Set<string>();
    const resolved = entries.map((entry: unknown, i) => {
      if (!isRecord(entry) || typeof entry.id !== "string" || entry.id === "") {
        fail(`${key}.entries[${i}]`, "must be a mapping with a string id");
      }
      if (ids.has(entry.id)) fail(`${key}.entries[${i}].id`, `'${entry.id}' is listed twice`);
      ids.add(entry.id);
      return entry as Record<string, unknown> & { id: string };
    });
    const name =
      optionalString(fail, v, "name", key) ?? `${type.charAt(0).toUpperCase()}${type.slice(1)}`;
    return { type, name, special: SPECIAL_VOCABULARIES.includes(type), entries: resolved };
  });
}

/**
 * A configuration problem, with the file (or option) and the key at fault, so the fix is obvious
 * from the message alone.
 */
export class DevServerConfigError extends Error {
  /** The config file path, or `config option`. */
  readonly source: string;
  /** Dotted key that is wrong, empty when the whole document is. */
  readonly key: string;

  constructor(source: string, key: string, problem: string) {
    super(key === "" ? `${source}: ${problem}` : `${source}: ${key}: ${problem}`);
    this.name = "DevServerConfigError";
    this.source = source;
    this.key = key;
  }
}

/** URL segments the API already uses, so no model may take them. */
const RESERVED_MODEL_NAMES = new Set([
  "user",
  "search",
  "requests",
  "records",
  "communities",
  "vocabularies",
  "affiliations",
  "awards",
  "funders",
  "subjects",
  "names",
  "languages",
  "schemas",
  "dois",
  "uploads",
]);

const MODEL_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const USERNAME = /^[a-z][a-z0-9_.-]{0,62}$/;

function optionalString(
  fail: (key: string, problem: string) => never,
  value: Record<string, unknown>,
  name: string,
  key: string,
): string | undefined {
  const v = value[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") fail(`${key}.${name}`, `must be a string (got ${JSON.stringify(v)})`);
  return v;
}

/**
 * Reads a YAML or JSON config file (YAML is a superset of JSON, so one parser serves both).
 * The result is checked by `resolveConfig`.
 */
export async function loadConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "file not found" : `cannot read the file (${code ?? "error"})`;
    throw new DevServerConfigError(path, "", why);
  }
  try {
    return parseYaml(text) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
    throw new DevServerConfigError(path, "", `not valid YAML or JSON: ${detail}`);
  }
}

function resolveModel(
  fail: (key: string, problem: string) => never,
  type: string,
  raw: unknown,
): ResolvedModel {
  const key = `models.${type}`;
  if (!MODEL_NAME.test(type)) {
    fail(
      key,
      "a model name must be lower-case letters, digits, '-' or '_', starting with a letter",
    );
  }
  if (RESERVED_MODEL_NAMES.has(type)) fail(key, `'${type}' is reserved by the API`);
  if (raw === null || raw === undefined) raw = {};
  if (!isRecord(raw)) fail(key, "must be a mapping");
  const allowed: (keyof ModelConfig)[] = [
    "name",
    "description",
    "version",
    "features",
    "metadata",
    "schema",
    "requireCommunity",
    "publishing",
    "mintDoi",
    "requests",
    "review",
  ];
  checkKeys(fail, raw, allowed, key);
  const rawFeatures = raw.features ?? ["drafts", "files"];
  if (!Array.isArray(rawFeatures)) fail(`${key}.features`, "must be a list");
  const features = new Set<ModelFeature>();
  rawFeatures.forEach((f: unknown, i) => {
    if (typeof f !== "string" || !(MODEL_FEATURES as readonly string[]).includes(f)) {
      fail(
        `${key}.features[${i}]`,
        `must be one of ${MODEL_FEATURES.join(", ")} (got ${JSON.stringify(f)})`,
      );
    }
    features.add(f as ModelFeature);
  });
  const metadata = raw.metadata ?? true;
  if (typeof metadata !== "boolean") fail(`${key}.metadata`, "must be true or false");
  const version = optionalString(fail, raw, "version", key) ?? "1.0.0";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(version)) {
    fail(`${key}.version`, "must be a plain version such as 1.0.0");
  }
  const schema =
    raw.schema === undefined
      ? {
          type: "object" as const,
          properties: { title: { type: "string" as const } },
          required: ["title"],
        }
      : checkSchema(fail, raw.schema, `${key}.schema`);
  if (schema.type !== "object") fail(`${key}.schema.type`, "the metadata schema must be an object");
  const requireCommunity = raw.requireCommunity ?? false;
  if (typeof requireCommunity !== "boolean") {
    fail(`${key}.requireCommunity`, "must be true or false");
  }
  const mintDoi = raw.mintDoi ?? false;
  if (typeof mintDoi !== "boolean") fail(`${key}.mintDoi`, "must be true or false");
  const publishing = raw.publishing ?? "direct";
  if (publishing !== "direct" && publishing !== "curated") {
    fail(`${key}.publishing`, `must be direct or curated (got ${JSON.stringify(publishing)})`);
  }
  const requests = resolveWorkflow(fail, raw.requests, features.has("requests"), key);
  const review = raw.review ?? false;
  if (typeof review !== "boolean") fail(`${key}.review`, "must be true or false");
  if (review && !features.has("drafts")) fail(`${key}.review`, "needs the 'drafts' feature");
  return {
    type,
    name: optionalString(fail, raw, "name", key) ?? type,
    description: optionalString(fail, raw, "description", key) ?? "",
    version,
    features: MODEL_FEATURES.filter((f) => features.has(f)),
    metadata,
    schema,
    requireCommunity,
    publishing,
    mintDoi,
    requests,
    review,
  };
}

/** oarepo's default workflow offers every record request but deleting a draft through one. */
const DEFAULT_WORKFLOW_TYPES = REQUEST_TYPES.filter((t) => t !== "delete_draft");

function resolveWorkflow(
  fail: (key: string, problem: string) => never,
  raw: unknown,
  enabled: boolean,
  modelKey: string,
): Required<WorkflowConfig> {
  const key = `${modelKey}.requests`;
  if (raw !== undefined && !enabled) fail(key, "needs the 'requests' feature");
  if (!enabled) return { types: [], autoAccept: [], receivers: {} };
  if (raw === undefined || raw === null)
    return { types: [...DEFAULT_WORKFLOW_TYPES], autoAccept: [], receivers: {} };
  if (!isRecord(raw)) fail(key, "must be a mapping with types, autoAccept and receivers");
  checkKeys(fail, raw, ["types", "autoAccept", "receivers"], key);
  const list = (name: "types" | "autoAccept", fallback: RequestTypeId[]): RequestTypeId[] => {
    const value = raw[name] ?? fallback;
    if (!Array.isArray(value)) fail(`${key}.${name}`, "must be a list");
    return value.map((t: unknown, i) => {
      if (typeof t !== "string" || !(REQUEST_TYPES as readonly string[]).includes(t)) {
        fail(`${key}.${name}[${i}]`, `must be one of ${REQUEST_TYPES.join(", ")}`);
      }
      return t as RequestTypeId;
    });
  };
  const types = list("types", [...DEFAULT_WORKFLOW_TYPES]);
  const autoAccept = list("autoAccept", []);
  for (const t of autoAccept) {
    if (!types.includes(t)) fail(`${key}.autoAccept`, `'${t}' is not one of the model's types`);
  }
  const rawReceivers = raw.receivers ?? {};
  if (!isRecord(rawReceivers)) fail(`${key}.receivers`, "must map request types to role names");
  const receivers: Partial<Record<RequestTypeId, string>> = {};
  for (const [type, role] of Object.entries(rawReceivers)) {
    if (!types.includes(type as RequestTypeId)) {
      fail(`${key}.receivers.${type}`, `'${type}' is not one of the model's types`);
    }
    if (typeof role !== "string" || !ROLE.test(role)) {
      fail(`${key}.receivers.${type}`, "must be a community role name such as 'curator'");
    }
    receivers[type as RequestTypeId] = role;
  }
  return { types, autoAccept, receivers };
}

const SLUG = /^[a-z0-9][a-z0-9_-]{0,99}$/;
/** A community role name (invenio-communities' `owner`, `curator`, … or a repository's own). */
const ROLE = /^[a-z][a-z0-9_-]{0,62}$/;
/** The roles whose members may read and review a community's drafts (invenio-communities). */
const REVIEWING_ROLES = ["owner", "manager", "curator"];
/** Characters of a fixed token: URL-safe, so it travels in a header and a file unchanged. */
const TOKEN = /^[A-Za-z0-9._~-]{16,256}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A stable UUID (version 5 layout) for a community configured without one. */
export function communityUuid(slug: string): string {
  const hex = createHash("sha1").update(`nrp-devserver community ${slug}`).digest("hex");
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function resolveCommunities(
  fail: (key: string, problem: string) => never,
  raw: unknown,
): ResolvedCommunity[] {
  const list: unknown = raw ?? DEFAULT_COMMUNITIES;
  if (!Array.isArray(list)) fail("communities", "must be a list of {slug, id, title, curators}");
  const seen = new Set<string>();
  return list.map((entry: unknown, i) => {
    const key = `communities[${i}]`;
    if (!isRecord(entry)) fail(key, "must be a mapping with a slug");
    const allowed: (keyof CommunityConfig)[] = ["slug", "id", "title", "curators", "roles"];
    checkKeys(fail, entry, allowed, key);
    const slug = entry.slug;
    if (typeof slug !== "string" || !SLUG.test(slug)) {
      fail(`${key}.slug`, "must be lower-case letters, digits, '-' or '_', such as 'physics'");
    }
    const id = optionalString(fail, entry, "id", key)?.toLowerCase() ?? communityUuid(slug);
    if (!UUID.test(id)) fail(`${key}.id`, "must be a UUID");
    for (const name of [slug, id]) {
      if (seen.has(name)) fail(key, `'${name}' names two communities`);
      seen.add(name);
    }
    const usernames = (value: unknown, at: string): string[] => {
      if (!Array.isArray(value) || !value.every((c): c is string => typeof c === "string")) {
        fail(at, "must be a list of usernames");
      }
      return value;
    };
    const roles: Record<string, string[]> = {};
    const rawRoles = entry.roles ?? {};
    if (!isRecord(rawRoles)) fail(`${key}.roles`, "must map role names to lists of usernames");
    for (const [role, members] of Object.entries(rawRoles)) {
      if (!ROLE.test(role)) fail(`${key}.roles.${role}`, "must be a role name such as 'curator'");
      roles[role] = usernames(members, `${key}.roles.${role}`);
    }
    const curators =
      entry.curators === undefined
        ? entry.roles === undefined
          ? ["curator"]
          : []
        : usernames(entry.curators, `${key}.curators`);
    roles.curator = [...new Set([...(roles.curator ?? []), ...curators])];
    return {
      id,
      slug,
      title: optionalString(fail, entry, "title", key) ?? slug,
      curators: reviewers(roles),
      roles,
    };
  });
}

/** The members of a community who may read and review its drafts: owners, managers, curators. */
export function reviewers(roles: Readonly<Record<string, readonly string[]>>): string[] {
  return [...new Set(REVIEWING_ROLES.flatMap((r) => roles[r] ?? []))];
}

function resolveUsers(fail: (key: string, problem: string) => never, raw: unknown): ResolvedUser[] {
  const users = new Map<string, ResolvedUser>(BUILTIN_USERS.map((u) => [u.username, { ...u }]));
  if (raw === undefined || raw === null) return [...users.values()];
  if (!Array.isArray(raw)) fail("users", "must be a list of {username, email, roles}");
  raw.forEach((entry: unknown, i) => {
    const key = `users[${i}]`;
    if (!isRecord(entry)) fail(key, "must be a mapping with a username");
    const allowed: (keyof UserConfig)[] = ["username", "email", "roles", "token", "tokenFile"];
    checkKeys(fail, entry, allowed, key);
    const username = entry.username;
    if (typeof username !== "string" || !USERNAME.test(username)) {
      fail(`${key}.username`, "must be a lower-case name such as 'alice'");
    }
    const email = optionalString(fail, entry, "email", key) ?? `${username}@example.org`;
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) fail(`${key}.email`, "must be an e-mail address");
    const roles = entry.roles ?? users.get(username)?.roles ?? [];
    if (!Array.isArray(roles) || !roles.every((r): r is string => typeof r === "string")) {
      fail(`${key}.roles`, "must be a list of role names");
    }
    const token = optionalString(fail, entry, "token", key);
    if (token !== undefined && !TOKEN.test(token)) {
      fail(`${key}.token`, "must be 16 to 256 characters of A-Z, a-z, 0-9, '-', '.', '_', '~'");
    }
    const tokenFile = optionalString(fail, entry, "tokenFile", key);
    if (tokenFile === "") fail(`${key}.tokenFile`, "must be a file path");
    users.set(username, {
      username,
      email,
      roles,
      ...(token === undefined ? {} : { token }),
      ...(tokenFile === undefined ? {} : { tokenFile }),
    });
  });
  const tokens = new Set<string>();
  for (const user of users.values()) {
    if (user.token === undefined) continue;
    if (tokens.has(user.token)) fail("users", `two users have the same token`);
    tokens.add(user.token);
  }
  const emails = new Set<string>();
  for (const user of users.values()) {
    if (emails.has(user.email)) fail("users", `e-mail ${user.email} is used by two users`);
    emails.add(user.email);
  }
  return [...users.values()];
}

/**
 * Checks a parsed config document and applies the defaults.
 * @param source named in every error: the config file path, or `config option`
 * @throws DevServerConfigError naming the source and the key at fault
 */
export function resolveConfig(input: unknown, source: string): ResolvedConfig {
  const fail: (key: string, problem: string) => never = (key, problem) => {
    throw new DevServerConfigError(source, key, problem);
  };
  const raw: unknown = input ?? {};
  if (!isRecord(raw)) fail("", "the top level must be a mapping with repository, models, users");
  const top: (keyof DevServerConfig)[] = [
    "repository",
    "models",
    "users",
    "communities",
    "vocabularies",
    "maxFileSize",
    "cors",
  ];
  checkKeys(fail, raw, top, "");

  const defaults = DEFAULT_CONFIG.repository ?? {};
  const repo = raw.repository ?? {};
  if (!isRecord(repo)) fail("repository", "must be a mapping");
  checkKeys(
    fail,
    repo,
    ["name", "description", "version", "invenioVersion", "doiPrefix"],
    "repository",
  );
  const repository = {
    name: optionalString(fail, repo, "name", "repository") ?? defaults.name ?? "",
    description:
      optionalString(fail, repo, "description", "repository") ?? defaults.description ?? "",
    version: optionalString(fail, repo, "version", "repository") ?? defaults.version ?? "",
    invenioVersion:
      optionalString(fail, repo, "invenioVersion", "repository") ?? defaults.invenioVersion ?? "",
    doiPrefix: optionalString(fail, repo, "doiPrefix", "repository") ?? defaults.doiPrefix ?? "",
  };
  if (!/^10\.\d{4,9}$/.test(repository.doiPrefix)) {
    fail("repository.doiPrefix", "must be a DOI prefix such as 10.83030");
  }

  const models = raw.models ?? DEFAULT_CONFIG.models;
  if (!isRecord(models)) fail("models", "must be a mapping of model name to model");
  const resolved = Object.entries(models)
    .map(([type, model]) => resolveModel(fail, type, model))
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  if (resolved.length === 0) fail("models", "at least one model is needed");

  const maxFileSize = raw.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  if (typeof maxFileSize !== "number" || !Number.isSafeInteger(maxFileSize) || maxFileSize < 1) {
    fail("maxFileSize", "must be a whole number of bytes, at least 1, such as 10000000000");
  }

  return {
    repository,
    models: resolved,
    users: resolveUsers(fail, raw.users),
    communities: resolveCommunities(fail, raw.communities),
    vocabularies: resolveVocabularies(fail, raw.vocabularies),
    maxFileSize,
    cors: resolveCors(fail, raw.cors),
  };
}

function resolveCors(
  fail: (key: string, problem: string) => never,
  raw: unknown,
): Required<CorsConfig> {
  const cors = raw ?? {};
  if (!isRecord(cors)) fail("cors", "must be a mapping with origins and maxAge");
  checkKeys(fail, cors, ["origins", "maxAge"], "cors");
  const origins = cors.origins ?? [];
  if (!Array.isArray(origins)) fail("cors.origins", "must be a list of origins");
  const checked = origins.map((origin: unknown, i) => {
    if (origin === "*") return origin;
    let parsed: URL | undefined;
    try {
      parsed = typeof origin === "string" ? new URL(origin) : undefined;
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || parsed.origin !== origin) {
      fail(`cors.origins[${i}]`, "must be an origin such as http://localhost:5173 (no path), or *");
    }
    return origin;
  });
  const maxAge = cors.maxAge ?? 600;
  if (typeof maxAge !== "number" || !Number.isInteger(maxAge) || maxAge < 0) {
    fail("cors.maxAge", "must be a non-negative whole number of seconds");
  }
  return { origins: checked, maxAge };
}

// Repository discovery (docs/protocol/discovery.md): NRP's /.well-known/repository, with the plain
// InvenioRDM fallback of docs/protocol/discovery.md#recognising-a-repository that synthesizes the
// same structure from the homepage's generator tag.

import type { SignalOptions } from "../core/options.js";
import {
  APIConnectionError,
  APIError,
  APIUserAbortError,
  ErrorCodes,
  NRPError,
  ResponseTooLargeError,
  UnknownModelError,
} from "../core/errors.js";
import type { HttpClient } from "../internal/http.js";
import type { Json } from "../core/json.js";

function str(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

function strings(value: unknown): string[] {
  return Array.isArray(value)
    ? (value as unknown[]).filter((v): v is string => typeof v === "string")
    : [];
}

function links(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== "object" || value === null) return out;
  for (const [k, v] of Object.entries(value as Json)) if (typeof v === "string") out[k] = v;
  return out;
}

/**
 * What a repository says about itself (docs/protocol/discovery.md#repository-document), or what the
 * client synthesized for plain InvenioRDM (docs/protocol/discovery.md#recognising-a-repository).
 *
 * Getters are camelCase; {@link NRPRepositoryInfo.toDict} returns the server's snake_case JSON.
 */
export class NRPRepositoryInfo {
  readonly #raw: Json;
  readonly #origin: string;
  readonly #isRdm: boolean;

  constructor(raw: Json, options: { origin: string; isRdm: boolean }) {
    this.#raw = raw;
    this.#origin = options.origin;
    this.#isRdm = options.isRdm;
  }

  /** Display name (`THEME_SITENAME`). */
  get name(): string {
    return str(this.#raw.name);
  }
  /** Free-text description. */
  get description(): string {
    return str(this.#raw.description);
  }
  /** Deployment version (`"RDM"` or `"Zenodo"` for synthesized info). */
  get version(): string {
    return str(this.#raw.version);
  }
  /** Version of the Invenio/oarepo stack. */
  get invenioVersion(): string {
    return str(this.#raw.invenio_version);
  }
  /**
   * Links, with `api` defaulted to `<origin>/api` and `records`/`drafts` to the global search
   * endpoints' usual places when the server omits them
   * (docs/protocol/discovery.md#repository-document).
   */
  get links(): Readonly<Record<string, string>> {
    const l = links(this.#raw.links);
    const api = l.api ?? `${this.#origin}/api`;
    return { records: `${api}/records`, ...l, api };
  }
  /** The API base URL. */
  get apiUrl(): string {
    return this.links.api ?? `${this.#origin}/api`;
  }
  /** Installed features, e.g. `drafts`, `requests`, `communities`. */
  get features(): string[] {
    return strings(this.#raw.features);
  }
  /** Supported file transfer types (`L`, `F`, `R`, `M`). */
  get transfers(): string[] {
    return strings(this.#raw.transfers);
  }
  /** The model to use when none is named (present only for single-model repositories). */
  get defaultModel(): string | undefined {
    const d = this.#raw.default_model;
    return typeof d === "string" ? d : undefined;
  }
  /**
   * `Accept` type for record reads: RDM JSON everywhere, the UI serialization on Zenodo
   * (docs/protocol/conventions.md#content-types).
   */
  get defaultContentType(): string {
    return str(this.#raw.default_content_type, "application/json");
  }
  /** True for plain InvenioRDM (info synthesized from the homepage), false for NRP. */
  get isRdm(): boolean {
    return this.#isRdm;
  }
  /** The JSON as served (or as synthesized for RDM). */
  toDict(): Json {
    return structuredClone(this.#raw);
  }
  /** Same as {@link NRPRepositoryInfo.toDict}, so that `JSON.stringify` works. */
  toJSON(): Json {
    return this.toDict();
  }
}

/**
 * One model (record type) the repository serves (docs/protocol/discovery.md#models), or a
 * vocabulary pseudo-model.
 */
export class NRPModelInfo {
  readonly #name: string;
  readonly #raw: Json;

  constructor(name: string, raw: Json) {
    this.#name = name;
    this.#raw = raw;
  }

  /** The model's key: `type` on NRP, `records` on plain RDM. */
  get name(): string {
    return this.#name;
  }
  /** Human description. */
  get description(): string {
    return str(this.#raw.description);
  }
  /**
   * JSON schema identifiers (`schema` on oarepo 12, `schemas` on older servers,
   * docs/protocol/discovery.md#the-older-layout).
   */
  get schemas(): string[] {
    const one = this.#raw.schema;
    return typeof one === "string" ? [one] : strings(this.#raw.schemas);
  }
  /** Model version. */
  get version(): string {
    return str(this.#raw.version);
  }
  /** Features such as `drafts`, `files`, `requests`, or `vocabulary`. */
  get features(): string[] {
    return strings(this.#raw.features);
  }
  /** The model's links (`records`, `drafts`, `deposit`, `html`, `model`). */
  get links(): Readonly<Record<string, string>> {
    return links(this.#raw.links);
  }
  /** Published records (search and create) endpoint. */
  get url(): string {
    const l = this.links;
    return l.records ?? l.api ?? l.published ?? "";
  }
  /** The user's drafts endpoint, when the model has drafts. */
  get userUrl(): string | undefined {
    return this.links.drafts;
  }
  /**
   * Whether user data goes under a top-level `metadata` key on create
   * (docs/protocol/discovery.md#models).
   */
  get metadata(): boolean {
    return this.#raw.metadata === true;
  }
  /** True for vocabulary pseudo-models. */
  get isVocabulary(): boolean {
    return this.features.includes("vocabulary");
  }
  /** The JSON as served (or as synthesized for RDM). */
  toDict(): Json {
    return structuredClone(this.#raw);
  }
  /** Same as {@link NRPModelInfo.toDict}, so that `JSON.stringify` works. */
  toJSON(): Json {
    return this.toDict();
  }
}

/** Options of the discovery calls. */
export interface InfoOptions extends SignalOptions {
  /** Fetch again instead of using the cached answer. */
  refresh?: boolean | undefined;
}

interface Discovery {
  repository: NRPRepositoryInfo;
  models: Map<string, NRPModelInfo>;
}

const RDM_LINKED_VOCABULARIES = ["affiliations", "awards", "funders", "subjects", "names"];
const RDM_GENERIC_VOCABULARIES = [
  "licenses",
  "resource_types",
  "languages",
  "titletypes",
  "creatorsroles",
  "contributorsroles",
  "descriptiontypes",
  "datetypes",
  "relationtypes",
  "removalreasons",
];
const ZENODO_HOSTS = new Set(["zenodo.org", "sandbox.zenodo.org"]);
const GENERATOR = /<meta\s+name=["']generator["']\s+content=["']InvenioRDM\s*([0-9.]*)/i;

/** Waits for `promise`, rejecting with {@link APIUserAbortError} as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  const aborted = (): APIUserAbortError =>
    new APIUserAbortError("The request was aborted (repository discovery).", {
      cause: signal.reason,
    });
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(aborted());
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => {
      signal.removeEventListener("abort", onAbort);
    });
  });
}

/**
 * `client.info`: what the repository is and which models it serves.
 *
 * Answers are cached per client because every record operation needs them and they rarely change.
 */
export class Info {
  readonly #http: HttpClient;
  #cache: Promise<Discovery> | undefined;

  /**
   * Built by the client; use `client.info`.
   *
   * @internal
   */
  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** The repository's description (NRP) or a synthesized one (plain InvenioRDM). */
  async repository(options: InfoOptions = {}): Promise<NRPRepositoryInfo> {
    return (await this.#discover(options)).repository;
  }

  /** The data models; vocabularies too with `includeVocabularies`. */
  async models(
    options: InfoOptions & { includeVocabularies?: boolean | undefined } = {},
  ): Promise<NRPModelInfo[]> {
    const all = [...(await this.#discover(options)).models.values()];
    return options.includeVocabularies ? all : all.filter((m) => !m.isVocabulary);
  }

  /** One model by name; an unknown name throws {@link UnknownModelError} listing the known ones. */
  async getModel(name: string, options: InfoOptions = {}): Promise<NRPModelInfo> {
    const { models } = await this.#discover(options);
    const model = models.get(name);
    if (!model) {
      throw new UnknownModelError(
        name,
        [...models.values()].filter((m) => !m.isVocabulary).map((m) => m.name),
      );
    }
    return model;
  }

  /**
   * A community by slug or UUID (`GET /api/communities/<slug or id>`): its JSON, with `id`,
   * `slug` and `metadata.title`. Requests and records name communities by UUID; people know them
   * by slug.
   */
  async community(idOrSlug: string, options: InfoOptions = {}): Promise<Json> {
    const repo = await this.repository(options);
    const url = `${repo.apiUrl}/communities/${encodeURIComponent(idOrSlug.trim())}`;
    const body = (await this.#http.getJSON(url, { signal: options.signal })).body;
    return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Json) : {};
  }

  #discover(options: InfoOptions): Promise<Discovery> {
    if (!this.#cache || options.refresh) {
      // The shared fetch is not tied to one caller's signal: a caller that gives up must not fail
      // the others waiting on the same answer. The client's own close() still cancels it.
      const pending = this.#fetch(undefined);
      this.#cache = pending;
      // A failure must not poison the cache for later calls.
      pending.catch(() => {
        if (this.#cache === pending) this.#cache = undefined;
      });
    }
    return abortable(this.#cache, options.signal);
  }

  async #fetch(signal: AbortSignal | undefined): Promise<Discovery> {
    const origin = this.#http.origin;
    const nrp = await this.#tryWellKnown(origin, signal);
    if (nrp) return this.#nrp(origin, nrp, signal);
    return this.#rdm(origin, signal);
  }

  /**
   * Step 1 of docs/protocol/discovery.md#recognising-a-repository: the well-known document, if it
   * is NRP's. Asked for at its slashed address, where oarepo serves it: the slash-less one only
   * answers a 308 to it, a round trip (and, as undici cannot reuse the connection that fast, a
   * second TLS handshake) for nothing.
   */
  async #tryWellKnown(origin: string, signal: AbortSignal | undefined): Promise<Json | undefined> {
    try {
      const res = await this.#http.text({
        method: "GET",
        url: `${origin}/.well-known/repository/`,
        signal,
      });
      const data: unknown = JSON.parse(res.body);
      if (typeof data === "object" && data !== null && "invenio_version" in data) return data;
      return undefined;
    } catch (error) {
      // Aborts, unreachable or failing servers (5xx, 429 after the retries) are not "maybe RDM";
      // a 4xx or a body that is not NRP's JSON is.
      if (
        error instanceof APIUserAbortError ||
        error instanceof APIConnectionError ||
        error instanceof ResponseTooLargeError
      ) {
        throw error;
      }
      if (error instanceof APIError && (error.status >= 500 || error.status === 429)) throw error;
      return undefined;
    }
  }

  async #nrp(origin: string, raw: Json, signal: AbortSignal | undefined): Promise<Discovery> {
    const repository = new NRPRepositoryInfo(raw, { origin, isRdm: false });
    const modelsUrl = links(raw.links).models;
    if (!modelsUrl) {
      throw new NRPError(
        `${origin}/.well-known/repository has no links.models; cannot list the repository's models.`,
        { code: ErrorCodes.InvalidResponse },
      );
    }
    const res = await this.#http.getJSON(modelsUrl, { signal });
    if (!Array.isArray(res.body)) {
      throw new NRPError(`${modelsUrl} did not return a JSON array of models.`, {
        code: ErrorCodes.InvalidResponse,
      });
    }
    const models = new Map<string, NRPModelInfo>();
    for (const item of res.body as unknown[]) {
      if (typeof item !== "object" || item === null) continue;
      const m = item as Json;
      const name = str(m.type) || str(m.name);
      if (name) models.set(name, new NRPModelInfo(name, m));
    }
    return { repository, models };
  }

  /**
   * Steps 2–3 of docs/protocol/discovery.md#recognising-a-repository: recognise InvenioRDM by its
   * generator tag and synthesize the info.
   */
  async #rdm(origin: string, signal: AbortSignal | undefined): Promise<Discovery> {
    let html = "";
    try {
      html = (
        await this.#http.text({
          method: "GET",
          url: `${origin}/`,
          headers: { accept: "text/html" },
          signal,
        })
      ).body;
    } catch (error) {
      if (
        error instanceof APIUserAbortError ||
        error instanceof APIConnectionError ||
        error instanceof ResponseTooLargeError
      ) {
        throw error;
      }
    }
    const match = GENERATOR.exec(html);
    if (!match) {
      throw new NRPError(
        `${origin} does not look like an Invenio repository: it serves neither /.well-known/repository nor an InvenioRDM homepage.`,
        { code: ErrorCodes.NotInvenio },
      );
    }
    const major = Math.floor(Number.parseFloat(match[1] ?? "") || 0);
    const host = new URL(origin).hostname;
    const zenodo = ZENODO_HOSTS.has(host);
    const api = `${origin}/api`;
    const repoRaw: Json = {
      schema: "local://introspection-v1.0.0.json",
      name: zenodo ? "Zenodo" : "RDM repository",
      description: "",
      version: zenodo ? "Zenodo" : "RDM",
      invenio_version: major ? `RDM ${major}` : "RDM",
      transfers: major >= 13 ? ["L", "F", "R", "M"] : ["L"],
      links: {
        self: `${origin}/`,
        api,
        records: `${api}/records`,
        drafts: `${api}/user/records`,
        requests: `${api}/requests`,
      },
      features: ["drafts", "files", "requests", "communities"],
      default_model: "records",
      default_content_type: zenodo ? "application/vnd.inveniordm.v1+json" : "application/json",
    };
    const models = new Map<string, NRPModelInfo>();
    models.set(
      "records",
      new NRPModelInfo("records", {
        schema: "local://rdm-records",
        type: "rdm-records",
        name: "records",
        description: "InvenioRDM records",
        version: major ? String(major) : "unknown",
        features: ["requests", "drafts", "files"],
        links: {
          records: `${api}/records`,
          html: `${origin}/records`,
          drafts: `${api}/user/records`,
          deposit: `${api}/records`,
        },
        metadata: true,
      }),
    );
    const vocabulary = (type: string, url: string): void => {
      models.set(
        type,
        new NRPModelInfo(type, {
          schema: `local://${type}`,
          type,
          name: type,
          description: `Vocabulary ${type}`,
          version: "unknown",
          features: ["rdm", "vocabulary"],
          links: { records: url },
          metadata: false,
        }),
      );
    };
    for (const t of RDM_LINKED_VOCABULARIES) vocabulary(t, `${api}/${t}`);
    for (const t of RDM_GENERIC_VOCABULARIES) vocabulary(t, `${api}/vocabularies/${t}`);
    return { repository: new NRPRepositoryInfo(repoRaw, { origin, isRdm: true }), models };
  }
}

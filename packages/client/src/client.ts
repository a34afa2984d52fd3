import { normalizeServerUrl } from "./core/settings.js";
import type { FromConfigOptions } from "./core/from-config.js";
import { ConfigError } from "./core/errors.js";
import { DEFAULTS } from "./core/options.js";
import type { NRPClientOptions, ResolvedClientOptions } from "./core/options.js";
import { HttpClient } from "./internal/http.js";
import { clientFromConfig, RUNTIME } from "#platform";
import { INSPECT } from "./internal/inspect.js";
import type { Inspect } from "./internal/inspect.js";
import { REDACTED } from "./internal/redact.js";
import { Info } from "./resources/info.js";
import { Records } from "./resources/records/collection.js";
import { Requests } from "./resources/requests.js";
import { NRPSearchRequest } from "./resources/search.js";
import type { NRPSearchResponse, SearchOptions } from "./resources/search.js";
import { VERSION } from "./version.js";

export type { FromConfigOptions } from "./core/from-config.js";

function check(ok: boolean, key: string, message: string, hint: string): void {
  if (!ok) throw new ConfigError(message, { key, hint });
}

/**
 * Validates options and fills in defaults; every mistake is a {@link ConfigError} naming the option.
 * @internal
 */
export function resolveOptions(options: NRPClientOptions): ResolvedClientOptions {
  // JavaScript callers can pass anything, so check even what the types promise.
  const given = options as Partial<NRPClientOptions> | undefined;
  check(
    typeof given?.serverUrl === "string",
    "serverUrl",
    "serverUrl is required",
    "Pass the repository's address, e.g. https://repo.example.org",
  );
  const serverUrl = normalizeServerUrl(options.serverUrl, { key: "serverUrl" });
  const num = (
    value: number | undefined,
    key: string,
    fallback: number,
    integer: boolean,
  ): number => {
    if (value === undefined) return fallback;
    check(
      typeof value === "number" &&
        Number.isFinite(value) &&
        value >= 0 &&
        (!integer || Number.isInteger(value)),
      key,
      `${key} must be a non-negative ${integer ? "integer" : "number"}, got ${String(value)}`,
      `Use e.g. ${key}: ${fallback}`,
    );
    return value;
  };
  const verify = options.verify ?? DEFAULTS.verify;
  check(
    typeof verify === "boolean" || (typeof verify === "string" && verify !== ""),
    "verify",
    `verify must be true, false or a CA bundle path, got ${String(verify)}`,
    "Use verify: true, false or a path to a PEM file",
  );
  const timeout = num(options.timeout, "timeout", DEFAULTS.timeout, false);
  check(timeout > 0, "timeout", "timeout must be positive", "Use e.g. timeout: 60");
  const deadline = num(options.deadline, "deadline", DEFAULTS.deadline, false);
  check(deadline > 0, "deadline", "deadline must be positive", "Use e.g. deadline: 300");
  const maxJsonSize = num(options.maxJsonSize, "maxJsonSize", DEFAULTS.maxJsonSize, true);
  check(
    maxJsonSize > 0,
    "maxJsonSize",
    "maxJsonSize must be positive",
    "Use e.g. maxJsonSize: 67108864",
  );
  return {
    serverUrl,
    token: options.token === "" ? undefined : options.token,
    verify,
    retryCount: num(options.retryCount, "retryCount", DEFAULTS.retryCount, true),
    retryInterval: num(options.retryInterval, "retryInterval", DEFAULTS.retryInterval, false),
    maxRetryAfter: num(options.maxRetryAfter, "maxRetryAfter", DEFAULTS.maxRetryAfter, false),
    maxRetryWait:
      options.maxRetryWait === undefined
        ? undefined
        : num(options.maxRetryWait, "maxRetryWait", 0, false),
    timeout,
    deadline,
    maxJsonSize,
    userAgent: options.userAgent ?? `nrp-invenio-client/${VERSION} ${RUNTIME}`,
    onRetry: options.onRetry,
  };
}

/** Freezes options and hides the token from `util.inspect`, `String()` and `JSON.stringify`. */
function protect(options: ResolvedClientOptions): Readonly<ResolvedClientOptions> {
  const redacted = (): Record<string, unknown> => ({
    ...options,
    token: options.token === undefined ? undefined : REDACTED,
    onRetry: options.onRetry ? "[Function]" : undefined,
  });
  const copy = { ...options };
  Object.defineProperties(copy, {
    toJSON: { value: redacted, enumerable: false },
    toString: { value: () => JSON.stringify(redacted()), enumerable: false },
    [INSPECT]: {
      value: (_depth: number, opts: object, inspect: Inspect) => inspect(redacted(), opts),
      enumerable: false,
    },
  });
  return Object.freeze(copy);
}

/**
 * Client for an Invenio-based repository (NRP/oarepo or plain InvenioRDM).
 *
 * One instance holds one connection pool, one token and one retry policy; resources such as
 * {@link NRPInvenioClient.info} hang off it. Call {@link NRPInvenioClient.close} when done.
 *
 * @example
 * const client = new NRPInvenioClient({ serverUrl: "https://zenodo.org", token });
 * const models = await client.info.models();
 * await client.close();
 */
export class NRPInvenioClient {
  /** The validated options; the token is redacted when printed or serialised. */
  readonly options: Readonly<ResolvedClientOptions>;
  /** The repository URL without a trailing slash. */
  readonly serverUrl: string;
  /** Repository and model discovery. */
  readonly info: Info;
  /** Records and drafts: read, create, bulk-create; lifecycle calls live on {@link NRPRecord}. */
  readonly records: Records;
  /** Requests across all records: search, a curator's inbox, one request by id. */
  readonly requests: Requests;
  readonly #http: HttpClient;
  readonly #search: ConstructorParameters<typeof NRPSearchRequest>[0];

  constructor(options: NRPClientOptions) {
    const resolved = resolveOptions(options);
    this.options = protect(resolved);
    this.serverUrl = resolved.serverUrl;
    this.#http = new HttpClient(resolved);
    this.info = new Info(this.#http);
    this.records = new Records({ client: this, http: this.#http, info: this.info });
    this.requests = new Requests({ http: this.#http, info: this.info });
    this.#search = { client: this, http: this.#http, info: this.info };
  }

  /**
   * Starts a record search of one model, several, or all (none given): chain `.query()`,
   * `.size()`, `.orderBy()`, … and finish with `.execute()`, `.pages()` or `.scan()`.
   *
   * @example
   * const page = await client.searchRequest("documents").query("trees").orderBy("-created").execute();
   */
  searchRequest(models?: string | readonly string[]): NRPSearchRequest {
    const list = models === undefined ? [] : typeof models === "string" ? [models] : [...models];
    return new NRPSearchRequest(this.#search, list);
  }

  /**
   * Searches records and returns the first (or `page`-th) page: the shortcut of
   * {@link NRPInvenioClient.searchRequest} for one-off searches.
   *
   * @example
   * const page = await client.search("documents", { query: "trees", size: 10 });
   * console.log(page.total);
   */
  async search(
    models?: string | readonly string[],
    options: SearchOptions = {},
  ): Promise<NRPSearchResponse> {
    let request = this.searchRequest(models);
    if (options.query !== undefined) request = request.query(options.query);
    if (options.drafts === true) request = request.drafts();
    if (options.page !== undefined) request = request.page(options.page);
    if (options.size !== undefined) request = request.size(options.size);
    if (options.orderBy !== undefined) {
      const keys: readonly string[] =
        typeof options.orderBy === "string" ? [options.orderBy] : options.orderBy;
      request = request.orderBy(...keys);
    }
    if (options.fields !== undefined) request = request.fields(...options.fields);
    for (const [name, value] of Object.entries(options.facets ?? {})) {
      const values: readonly string[] = typeof value === "string" ? [value] : value;
      for (const v of values) request = request.facet(name, v);
    }
    return request.execute({ signal: options.signal });
  }

  /**
   * Builds a client from the configuration file, the environment and explicit options, in that
   * order of precedence (later wins).
   *
   * Without a configuration file, `NRP_INVENIO_CLIENT_SERVER_URL` alone is enough. A token from
   * the file is used only while the server URL is the file's own: pointing the environment or an
   * override at another server must not send it a token that belongs elsewhere.
   *
   * @example
   * const client = await NRPInvenioClient.fromConfig({ alias: "zenodo" });
   */
  static fromConfig(options: FromConfigOptions = {}): Promise<NRPInvenioClient> {
    return clientFromConfig(options, (resolved) => new NRPInvenioClient(resolved));
  }

  /** Closes the connection pool; calls still in flight are aborted. */
  async close(): Promise<void> {
    await this.#http.close();
  }

  /**
   * Closes the client at the end of an `await using` block, so that it cannot be left open:
   * `await using client = NRPInvenioClient.fromConfig();`.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** A plain form with the token redacted. */
  toJSON(): Record<string, unknown> {
    return { serverUrl: this.serverUrl, options: this.options };
  }

  [INSPECT](
    _depth: number,
    opts: object,
    inspect: (value: unknown, options?: object) => string,
  ): string {
    return `NRPInvenioClient ${inspect(this.toJSON(), opts)}`;
  }
}

// `recordGetter`: one entry point for every way a user names a record (mid, API URL, landing page
// URL, DOI), picking the right repository and client for it.

import { NRPInvenioClient, resolveOptions } from "../client.js";
import type { NRPConfig, RepositoryConfig } from "../core/config.js";
import { ErrorCodes, NRPError } from "../core/errors.js";
import type { NRPClientOptions } from "../core/options.js";
import { HttpClient } from "../internal/http.js";
import { classifyIdentifier, doiApiUrl } from "../internal/ids.js";
import type { RecordReadOptions } from "./records/options.js";
import type { NRPRecord } from "./records/record.js";

/** The public DataCite REST API, used to turn a DOI into its landing page URL. */
export const DEFAULT_DOI_RESOLVER_URL = "https://api.datacite.org";

/** Options of {@link recordGetter}. */
export interface RecordGetterOptions extends RecordReadOptions {
  /**
   * The client for mids, and for URLs on its own server. Without it, mids go to the configuration's
   * default repository.
   */
  client?: NRPInvenioClient | undefined;
  /**
   * A DataCite-compatible REST API (`GET <url>/dois/<doi>` → `data.attributes.url`).
   * @default "https://api.datacite.org"
   */
  doiResolverUrl?: string | undefined;
  /**
   * Settings (retries, timeout, `onRetry`, …) for the clients `recordGetter` has to create itself:
   * for a configured repository other than `client`'s, an unknown host, and the DOI resolver.
   */
  clientOptions?: Partial<Omit<NRPClientOptions, "serverUrl" | "token">> | undefined;
}

function sameServer(url: URL, serverUrl: string): boolean {
  const server = new URL(serverUrl);
  if (url.origin !== server.origin) return false;
  const path = server.pathname.replace(/\/+$/, "");
  return path === "" || url.pathname === path || url.pathname.startsWith(`${path}/`);
}

function clientFor(repo: RepositoryConfig, options: RecordGetterOptions): NRPInvenioClient {
  return new NRPInvenioClient({
    ...options.clientOptions,
    serverUrl: repo.serverUrl,
    token: repo.token,
    verify: repo.verify ?? options.clientOptions?.verify,
    retryCount: repo.retryCount ?? options.clientOptions?.retryCount,
    retryInterval: repo.retryInterval ?? options.clientOptions?.retryInterval,
  });
}

/** The client that should read `url`: `client` if it is that server's, a configured one, or anonymous. */
function clientForUrl(config: NRPConfig, url: URL, options: RecordGetterOptions): NRPInvenioClient {
  if (options.client && sameServer(url, options.client.serverUrl)) return options.client;
  const repo = config.repositories.find((r) => sameServer(url, r.serverUrl));
  if (repo) return clientFor(repo, options);
  return new NRPInvenioClient({ ...options.clientOptions, serverUrl: url.origin });
}

async function resolveDoi(doi: string, options: RecordGetterOptions): Promise<string> {
  const resolver = options.doiResolverUrl ?? DEFAULT_DOI_RESOLVER_URL;
  const http = new HttpClient(
    resolveOptions({ ...options.clientOptions, serverUrl: resolver, token: undefined }),
  );
  try {
    const res = await http.getJSON(doiApiUrl(resolver, doi), { signal: options.signal });
    const body = res.body as { data?: { attributes?: { url?: unknown } } } | undefined;
    const url = body?.data?.attributes?.url;
    if (typeof url !== "string" || !/^https?:\/\//i.test(url)) {
      throw new NRPError(`The DOI resolver ${resolver} gave no landing page URL for ${doi}.`, {
        code: ErrorCodes.DoiUnresolved,
      });
    }
    return url;
  } finally {
    await http.close();
  }
}

/**
 * Reads a record however it is named: a mid (`datasets/abcde-12345`, `draft/datasets/…`, or a bare
 * id with a default model), an API URL, a landing page URL (via its signposting `Link` header, or
 * the model whose HTML prefix matches), or a DOI (`10.x/…`, `doi:10.x/…`,
 * `https://doi.org/10.x/…`) resolved through a DataCite-compatible API.
 *
 * URLs of a configured repository use that repository's token; URLs of any other host are read
 * anonymously. Clients created here belong to the returned record: close them with
 * `record.client.close()` when `record.client !== options.client`.
 *
 * @example
 * const rec = await recordGetter(await NRPConfig.load(), "https://doi.org/10.83030/abcde-12345");
 */
export async function recordGetter(
  config: NRPConfig,
  idOrUrl: string,
  options: RecordGetterOptions = {},
): Promise<NRPRecord> {
  const id = classifyIdentifier(idOrUrl);
  switch (id.kind) {
    case "doi":
    case "url": {
      const url = id.kind === "doi" ? await resolveDoi(id.doi, options) : id.url;
      return clientForUrl(config, new URL(url), options).records.getByUrl(url, options);
    }
    case "mid": {
      const client = options.client ?? clientFor(config.getRepository(), options);
      return client.records.get(id.value, options);
    }
  }
}

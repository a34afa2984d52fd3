import { randomBytes } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, resolve as resolvePath } from "node:path";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { DevServerConfigError, loadConfigFile, resolveConfig } from "./config/load.js";
import type { DevServerConfig, ResolvedConfig } from "./config/types.js";
import { Faults, type FaultController } from "./faults.js";
import { createRequestListener } from "./http/app.js";
import { listeningUrl, type Listening } from "./http/origin.js";
import type { RequestLogEntry } from "./http/request-log.js";
import { Router } from "./http/router.js";
import { adminService } from "./services/admin.js";
import { communitiesService } from "./services/communities.js";
import { discoveryService } from "./services/discovery.js";
import { filesService } from "./services/files/service.js";
import {
  DEFAULT_URL_TTL_SECONDS,
  registerStorageRoutes,
  UrlSigner,
} from "./services/files/storage.js";
import { homeService } from "./services/home.js";
import { doisService } from "./services/records/dois.js";
import { landingService } from "./services/records/landing.js";
import { recordsService } from "./services/records/routes.js";
import { requestsService } from "./services/requests/service.js";
import { searchService } from "./services/search.js";
import { vocabulariesService } from "./services/vocabularies.js";
import { FLAVOUR_TRAITS } from "./services/flavour.js";
import type { Flavour, Service, ServiceContext } from "./services/service.js";
import { BlobStore } from "./store/blobs.js";
import { FileStore } from "./store/files.js";
import { RecordStore } from "./store/records.js";
import { RequestStore } from "./store/requests.js";
import { RecordSearch } from "./store/search.js";
import { openStore } from "./store/store.js";
import { UserStore } from "./store/users.js";
import { readPem, type PemSource } from "./tls.js";

/** How to start a devserver. Every option is optional: the default is an in-memory `nrp` server on an ephemeral port. */
export interface DevServerOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. @default "127.0.0.1" */
  host?: string;
  /** Directory for the SQLite database and file blobs; data survives a restart. */
  dataDir?: string;
  /** Keep everything in memory and a temporary directory (the default without `dataDir`). */
  memory?: boolean;
  /** YAML or JSON config file with repository, models and users. */
  configFile?: string;
  /** The same configuration as an object. */
  config?: DevServerConfig;
  /** `nrp` serves oarepo 12 discovery; `rdm` imitates plain InvenioRDM 13. @default "nrp" */
  flavour?: Flavour;
  /** Serve HTTPS with this key and certificate (PEM text, or paths to PEM files). */
  tls?: { key: PemSource; cert: PemSource };
  /** Receives one line per request and any unexpected handler error. */
  log?: (line: string) => void;
  /**
   * Serve file contents like S3 does: `GET …/content` answers 302 to a presigned URL on a
   * second listener (another port, same host and scheme) that needs no token and refuses
   * requests carrying an `Authorization` header, a forged signature or an expired URL.
   * `ttlSeconds` is how long a URL stays valid (default 600).
   */
  redirectDownloads?: boolean | { ttlSeconds?: number };
  /**
   * Whether content downloads honour `Range` (206 and `Accept-Ranges: bytes`), as
   * invenio-files-rest's `FILES_REST_ALLOW_RANGE_REQUESTS`. Default: on in `nrp`, off in `rdm`,
   * where InvenioRDM 13 answers every range with the whole content (200).
   */
  rangeRequests?: boolean;
  /**
   * The largest page a record search serves: a larger `size` answers 400 on `size` ("Page size
   * cannot be greater than N."), as on a repository that limits page sizes (Zenodo). Default: no
   * limit, as InvenioRDM 13 and NRP.
   */
  maxPageSize?: number;
}

/** Personal access tokens of the built-in users. */
export interface DevServerTokens {
  owner: string;
  depositor: string;
  curator: string;
  /** Also unlocks the `/_devserver/*` admin API. */
  admin: string;
}

/** A seeded user with its token, e.g. for printing. */
export interface SeededUser {
  username: string;
  email: string;
  roles: string[];
  token: string;
}

/** A running devserver. */
export interface DevServer {
  /** Origin without a trailing slash, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** `${url}/api`. */
  apiUrl: string;
  /** Tokens of the built-in users; they stay the same across restarts on one data directory. */
  tokens: DevServerTokens;
  /** Every seeded user (built-in and configured) with its token. */
  users: SeededUser[];
  /** Origin of the storage listener with `redirectDownloads`, else `undefined`. */
  storageUrl: string | undefined;
  /** Programs faults for matching requests (on the storage listener too). */
  faults: FaultController;
  /** Every request except the admin API's, oldest first; clear it with `requestLog.length = 0`. */
  requestLog: RequestLogEntry[];
  flavour: Flavour;
  /** The data directory, or `undefined` when nothing survives `close()`. */
  dataDir: string | undefined;
  /** The configuration in force, defaults applied. */
  config: ResolvedConfig;
  /** Stops listening, destroys open connections and closes the database. Idempotent. */
  close(): Promise<void>;
}

/** The services of each flavour, in registration order. */
const SERVICES: Readonly<Record<Flavour, readonly Service[]>> = {
  nrp: [
    homeService,
    discoveryService,
    searchService,
    communitiesService,
    recordsService,
    requestsService,
    filesService,
    landingService,
    doisService,
    vocabulariesService,
    adminService,
  ],
  rdm: [
    homeService,
    searchService,
    communitiesService,
    recordsService,
    requestsService,
    filesService,
    landingService,
    doisService,
    adminService,
  ],
};

async function loadConfig(opts: DevServerOptions): Promise<ResolvedConfig> {
  if (opts.configFile !== undefined && opts.config !== undefined) {
    throw new DevServerConfigError(
      "options",
      "config",
      "give either configFile or config, not both",
    );
  }
  if (opts.configFile !== undefined) {
    const config = resolveConfig(await loadConfigFile(opts.configFile), opts.configFile);
    // Token files of a config file are relative to the file, wherever the server is started.
    const base = dirname(resolvePath(opts.configFile));
    for (const user of config.users) {
      if (user.tokenFile !== undefined) user.tokenFile = resolvePath(base, user.tokenFile);
    }
    return config;
  }
  return resolveConfig(opts.config, "config option");
}

/**
 * Writes each configured `tokenFile` (the token and a newline, mode 0600). The file is renamed
 * into place, so a test harness that waits for it never reads half a token; it appears once the
 * server listens.
 */
async function writeTokenFiles(
  config: ResolvedConfig,
  token: (username: string) => string,
): Promise<void> {
  for (const user of config.users) {
    if (user.tokenFile === undefined) continue;
    await mkdir(dirname(user.tokenFile), { recursive: true });
    const partial = `${user.tokenFile}.${String(process.pid)}.partial`;
    await writeFile(partial, `${token(user.username)}\n`, { mode: 0o600 });
    await rename(partial, user.tokenFile);
  }
}

function checkOptions(opts: DevServerOptions): void {
  if (opts.dataDir !== undefined && opts.memory === true) {
    throw new DevServerConfigError(
      "options",
      "memory",
      "give either dataDir or memory: true, not both",
    );
  }
  const flavour: unknown = opts.flavour ?? "nrp";
  if (flavour !== "nrp" && flavour !== "rdm") {
    throw new DevServerConfigError(
      "options",
      "flavour",
      `must be "nrp" or "rdm" (got ${JSON.stringify(flavour)})`,
    );
  }
  const redirect = opts.redirectDownloads;
  if (typeof redirect === "object") {
    const ttl = redirect.ttlSeconds;
    if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 0)) {
      throw new DevServerConfigError(
        "options",
        "redirectDownloads.ttlSeconds",
        `must be an integer >= 0 (got ${String(ttl)})`,
      );
    }
  }
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new DevServerConfigError(
      "options",
      "port",
      `must be an integer from 0 to 65535 (got ${String(port)})`,
    );
  }
}

/**
 * The key presigned download URLs are signed with, kept in the data directory so that URLs
 * handed out stay valid across a restart.
 */
function storageSecret(store: {
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
}): Buffer {
  let secret = store.getMeta("storage-secret");
  if (secret === undefined) {
    secret = randomBytes(32).toString("hex");
    store.setMeta("storage-secret", secret);
  }
  return Buffer.from(secret, "hex");
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(error);
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

/**
 * Starts a local Invenio-compatible repository and resolves once it accepts connections.
 * @throws DevServerConfigError for a bad option or config file; the listen error (e.g. `EADDRINUSE`) otherwise
 * @example
 * const server = await startDevServer();
 * await fetch(`${server.url}/.well-known/repository/`);
 * await server.close();
 */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  checkOptions(opts);
  const flavour = opts.flavour ?? "nrp";
  const config = await loadConfig(opts);
  const tls =
    opts.tls === undefined
      ? undefined
      : { key: await readPem(opts.tls.key), cert: await readPem(opts.tls.cert) };
  const store = await openStore({ dataDir: opts.memory === true ? undefined : opts.dataDir });
  try {
    const users = new UserStore(store.db);
    const tokenByName = users.seed(config.users);
    const token = (name: string): string => tokenByName.get(name) ?? "";
    const records = new RecordStore(store.db);
    const requests = new RequestStore(store.db);
    records.seedCommunities(config.communities);
    const faults = new Faults();
    const closing = new AbortController();
    const requestLog: RequestLogEntry[] = [];
    const files = new FileStore(store.db, new BlobStore(store.blobsDir));
    await files.sweep();
    const redirect = opts.redirectDownloads;
    const signer =
      redirect === undefined || redirect === false
        ? undefined
        : new UrlSigner(
            storageSecret(store),
            (redirect === true ? undefined : redirect.ttlSeconds) ?? DEFAULT_URL_TTL_SECONDS,
          );
    const storageBound: { url?: string } = {};
    const app: ServiceContext = {
      config,
      flavour,
      traits: {
        ...FLAVOUR_TRAITS[flavour],
        ...(opts.rangeRequests === undefined ? {} : { rangeRequests: opts.rangeRequests }),
        ...(opts.maxPageSize === undefined ? {} : { maxPageSize: opts.maxPageSize }),
      },
      store,
      users,
      records,
      requests,
      files,
      search: new RecordSearch(store.db),
      storage:
        signer === undefined
          ? undefined
          : {
              signer,
              origin: () => {
                if (storageBound.url === undefined) throw new Error("storage is not listening");
                return storageBound.url;
              },
            },
      faults,
      requestLog,
    };
    const router = new Router();
    for (const register of SERVICES[flavour]) register(router, app);

    const scheme = tls === undefined ? "http" : "https";
    const host = opts.host ?? "127.0.0.1";
    // Known only once bound, but the listener must exist before that.
    const bound: { listening?: Listening } = {};
    let seq = 0;
    const nextSeq = (): number => ++seq;
    const listener = createRequestListener({
      nextSeq,
      router,
      listening: () => {
        if (bound.listening === undefined) {
          throw new Error("request before the server was listening");
        }
        return bound.listening;
      },
      userByToken: (t) => users.byToken(t),
      faults,
      requestLog,
      log: opts.log,
      closing: closing.signal,
      htmlNotFound: app.traits.htmlNotFound,
      cors: config.cors,
    });
    const server: Server =
      tls === undefined ? createHttpServer(listener) : createHttpsServer(tls, listener);
    // Multi-gigabyte uploads outlast Node's default 5-minute limit on receiving a request.
    server.requestTimeout = 0;
    const servers: Server[] = [server];
    const stop = (s: Server): Promise<void> =>
      new Promise<void>((resolve) => {
        if (!s.listening) {
          resolve();
          return;
        }
        s.close(() => {
          resolve();
        });
        s.closeAllConnections();
      });
    try {
      await listen(server, opts.port ?? 0, host);
      if (signer !== undefined) {
        const storageRouter = new Router();
        registerStorageRoutes(storageRouter, files, signer);
        const storageBinding: { listening?: Listening } = {};
        const storageListener = createRequestListener({
          router: storageRouter,
          listening: () => {
            if (storageBinding.listening === undefined) {
              throw new Error("request before the storage was listening");
            }
            return storageBinding.listening;
          },
          // Presigned URLs carry their own authorisation; tokens mean nothing here.
          userByToken: () => undefined,
          faults,
          requestLog,
          log: opts.log,
          closing: closing.signal,
          nextSeq,
          cors: config.cors,
        });
        const storage: Server =
          tls === undefined
            ? createHttpServer(storageListener)
            : createHttpsServer(tls, storageListener);
        storage.requestTimeout = 0;
        servers.push(storage);
        await listen(storage, 0, host);
        const storagePort = (storage.address() as AddressInfo).port;
        const storageUrl = listeningUrl(scheme, host, storagePort);
        storageBinding.listening = { scheme, host, port: storagePort, url: storageUrl };
        storageBound.url = storageUrl;
      }
    } catch (error) {
      await Promise.all(servers.map(stop));
      throw error;
    }
    const { port } = server.address() as AddressInfo;
    const url = listeningUrl(scheme, host, port);
    bound.listening = { scheme, host, port, url };
    try {
      await writeTokenFiles(config, token);
    } catch (error) {
      await Promise.all(servers.map(stop));
      throw error;
    }

    let closed: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing.abort();
      closed ??= Promise.all(servers.map(stop)).then(() => store.close());
      return closed;
    };
    return {
      url,
      apiUrl: `${url}/api`,
      storageUrl: storageBound.url,
      tokens: {
        owner: token("owner"),
        depositor: token("depositor"),
        curator: token("curator"),
        admin: token("admin"),
      },
      users: users
        .list()
        .map((u) => ({ ...u, token: token(u.username) }))
        .filter((u) => u.token !== ""),
      faults,
      requestLog,
      flavour,
      dataDir: store.ephemeral ? undefined : store.dataDir,
      config,
      close,
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

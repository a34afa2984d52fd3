import type { NRPClientOptions, NRPConfig, NRPInvenioClient, RetryEvent } from "nrp-invenio-client";

import { loadClient } from "./client-module.js";

import { effectiveDefault } from "./commands/alias/view.js";
import { UsageError } from "./errors.js";
import type { CliIO } from "./io.js";
import type { Output } from "./output.js";
import { VariableStore } from "./variables.js";

/** The global flags every command sees, after parsing and defaults. */
export interface GlobalOptions {
  /**
   * The configured repository to talk to: `--alias`, else `$NRP_INVENIO_CLIENT_ALIAS`, else
   * undefined (the configured default). See {@link resolveAlias}.
   */
  alias: string | undefined;
  /** `--config`: the configuration file. */
  config: string;
  /** `--verbose`: log retries and other diagnostics on stderr. */
  verbose: boolean;
  /** `--max-wait`: total seconds a command may spend waiting between retries. */
  maxWait?: number | undefined;
}

/** Default of `--max-wait`, in seconds: long enough for a server restart, short of a hang. */
export const DEFAULT_MAX_WAIT = 300;

/** Retry waits longer than this (ms) are announced on stderr even without `--verbose`. */
export const ANNOUNCE_WAIT_MS = 2000;

/**
 * One line announcing a retry wait, e.g. `connection refused; retry 2/10 in 20 s; Ctrl-C to stop`:
 * a long wait must not look like a hang.
 */
export function announceRetry(event: RetryEvent): string {
  const seconds = Math.round(event.delayMs / 1000);
  return `${event.reason}; retry ${String(event.attempt)}/${String(event.maxAttempts)} in ${String(seconds)} s; Ctrl-C to stop`;
}

/**
 * What a command handler gets: IO, lazy configuration and client, output, and the abort signal.
 *
 * Handlers never touch `process`; everything outside comes through here, so tests run them in-process.
 */
export interface CommandContext {
  /** The outside world (streams, env, prompt, browser). */
  readonly io: CliIO;
  /** The environment, as passed in `io.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The global flags. */
  readonly globals: Readonly<GlobalOptions>;
  /** Where results and messages go. */
  readonly output: Output;
  /** Aborted on SIGINT; pass it to every client call. */
  readonly signal: AbortSignal;
  /** The configuration file, loaded on first use (a missing file is an empty configuration). */
  config(): Promise<NRPConfig>;
  /**
   * A client for `alias` (default: `--alias`, then `$NRP_INVENIO_CLIENT_ALIAS`, then the configured
   * default), built from the config file,
   * then `NRP_INVENIO_CLIENT_*` variables, then explicit flags; created on first use and closed by
   * `main()` at the end.
   */
  client(alias?: string): Promise<NRPInvenioClient>;
  /**
   * A client for a URL that is not (yet) in the configuration, e.g. to check it before saving;
   * closed by `main()` at the end.
   */
  clientFor(options: NRPClientOptions): Promise<NRPInvenioClient>;
  /** Logs a retry on stderr under `--verbose`; given to every client as `onRetry`. */
  readonly onRetry: (event: RetryEvent) => void;
  /**
   * The repository alias in use: `--alias`, else `$NRP_INVENIO_CLIENT_ALIAS`, else the configured
   * default, the same one `client()` talks to. Variables are stored under it; a usage error when
   * none exists.
   */
  aliasName(): Promise<string>;
  /**
   * Closes `client` with the others when the command ends: for clients the library created on the
   * command's behalf (a record read from another repository's URL).
   */
  adopt(client: NRPInvenioClient): void;
  /** The variable store beside the configuration file (`variables.yaml`), loaded on first use. */
  variables(): Promise<VariableStore>;
  /**
   * Which alias a configured client for `url`'s origin came from and whether it sent a token, for
   * the hint after a 401/403; undefined when no configured client talks to that origin.
   */
  credentialsFor(url: string): Credentials | undefined;
}

/** How a configured client authenticates: what a 401/403 hint names. */
export interface Credentials {
  /** The alias the client was built from (undefined when only the environment named the URL). */
  alias: string | undefined;
  /** The repository URL. */
  serverUrl: string;
  /** Whether requests to the repository carry a token. */
  tokenSent: boolean;
  /** Whether the token comes from `NRP_INVENIO_CLIENT_TOKEN` rather than the file. */
  tokenFromEnv: boolean;
}

/** The variable holding a token that overrides the file's. */
export const TOKEN_ENV = "NRP_INVENIO_CLIENT_TOKEN";

/**
 * What to do after a 401/403 from a configured repository: which alias, whether a token was
 * sent, and the command that replaces it. Invenio treats a wrong or expired token as no token,
 * so a 403 may mean either a bad token or a permission the user lacks.
 */
export function authHint(c: Credentials): string {
  const name = c.alias ?? "<alias>";
  const replace = `nrp add alias ${c.serverUrl} ${name} --force`;
  if (c.tokenFromEnv) {
    return (
      `The token from ${TOKEN_ENV} was sent. If it is wrong or expired, set a new one there; ` +
      "otherwise this account may not do this."
    );
  }
  if (!c.tokenSent) {
    return (
      `No token is stored for the alias "${name}", so the request went anonymously. ` +
      `Add one with "${replace}" (it asks for the token).`
    );
  }
  return (
    `The token of the alias "${name}" was sent. If it is wrong or expired (the repository then ` +
    `treats you as anonymous), replace it with "${replace}"; otherwise this account may not do this.`
  );
}

/** The variable naming the alias (the library's `ENV.alias`, which `fromConfig()` also reads). */
export const ALIAS_ENV = "NRP_INVENIO_CLIENT_ALIAS";

/**
 * The alias an invocation uses: the `--alias` flag, else `$NRP_INVENIO_CLIENT_ALIAS` (when not
 * empty), else undefined for the configured default.
 *
 * Resolved once, so the client and the variables (`--set`, `@name`) always name the same repository.
 */
export function resolveAlias(
  flagValue: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  if (flagValue !== undefined) return flagValue;
  const fromEnv = env[ALIAS_ENV]?.trim();
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

/** Formats a retry event as one line for `--verbose`. */
export function describeRetry(event: RetryEvent): string {
  const why =
    event.status !== undefined
      ? `HTTP ${event.status}`
      : event.error instanceof Error
        ? event.error.message
        : "error";
  const wait = (event.delayMs / 1000).toFixed(1);
  return `retry ${event.attempt}: ${event.method} ${event.url} failed (${why}); waiting ${wait}s`;
}

/**
 * Builds the per-invocation context; the returned `dispose` closes every client it created.
 *
 * Lazy creation means `nrp list aliases` never opens a connection and `--help` never reads the config.
 */
export function createContext(
  io: CliIO,
  globals: GlobalOptions,
  output: Output,
  signal: AbortSignal,
): { context: CommandContext; dispose: () => Promise<void> } {
  let config: Promise<NRPConfig> | undefined;
  let variables: Promise<VariableStore> | undefined;
  const clients = new Map<string, Promise<NRPInvenioClient>>();
  const credentials = new Map<string, Credentials>();
  const adhoc: NRPInvenioClient[] = [];
  const onRetry = (event: RetryEvent): void => {
    if (event.delayMs > ANNOUNCE_WAIT_MS) output.note(announceRetry(event));
    output.verbose(describeRetry(event));
  };
  const maxRetryWait = globals.maxWait ?? DEFAULT_MAX_WAIT;

  const context: CommandContext = {
    io,
    env: io.env,
    globals,
    output,
    signal,
    onRetry,
    config() {
      config ??= loadClient()
        .then((lib) => lib.NRPConfig.load(globals.config))
        .then((cfg) => {
          for (const warning of cfg.warnings) output.warn(`${cfg.path}: ${warning}.`);
          return cfg;
        });
      return config;
    },
    client(alias) {
      const wanted = alias ?? globals.alias;
      const key = wanted ?? "\u0000default";
      let client = clients.get(key);
      if (!client) {
        // Read through config() first, so its warnings (a misspelt key) show before any request.
        client = context
          .config()
          .then(() => loadClient())
          .then((lib) =>
            lib.NRPInvenioClient.fromConfig({
              ...(wanted === undefined ? {} : { alias: wanted }),
              configFile: globals.config,
              env: io.env,
              overrides: { onRetry, maxRetryWait },
            }),
          )
          .then(async (c) => {
            output.verbose(
              `using ${c.serverUrl} (${wanted ?? "default alias"}, ${globals.config})`,
            );
            const name = wanted ?? effectiveDefault(await context.config());
            credentials.set(new URL(c.serverUrl).origin, {
              alias: name,
              serverUrl: c.serverUrl,
              tokenSent: c.options.token !== undefined && c.options.token !== "",
              tokenFromEnv: (io.env[TOKEN_ENV] ?? "") !== "",
            });
            return c;
          });
        clients.set(key, client);
      }
      return client;
    },
    credentialsFor(url) {
      try {
        return credentials.get(new URL(url).origin);
      } catch {
        return undefined;
      }
    },
    async aliasName() {
      if (globals.alias !== undefined) return globals.alias;
      const cfg = await context.config();
      const fallback = effectiveDefault(cfg);
      if (fallback !== undefined) return fallback;
      throw new UsageError(
        `No repository alias is configured in ${cfg.path}, and variables are kept per alias.`,
        `Add one with "nrp add alias <url> [alias]", or pass --alias (or set ${ALIAS_ENV}).`,
      );
    },
    variables() {
      variables ??= VariableStore.load(VariableStore.pathFor(globals.config));
      return variables;
    },
    adopt(client) {
      if (!adhoc.includes(client)) adhoc.push(client);
    },
    async clientFor(options) {
      const lib = await loadClient();
      const client = new lib.NRPInvenioClient({ onRetry, maxRetryWait, ...options });
      adhoc.push(client);
      return client;
    },
  };

  const dispose = async (): Promise<void> => {
    const all = await Promise.allSettled([...clients.values()]);
    const opened = all.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    await Promise.allSettled([...opened, ...adhoc].map((c) => c.close()));
  };
  return { context, dispose };
}

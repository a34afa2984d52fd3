// \`NRPInvenioClient.fromConfig\`: client options from the configuration file, the environment
// and explicit overrides. Reached through the \`#platform\` import of Node, Deno and Bun only, so the
// browser entry carries neither the file code nor the YAML parser.

import { NRPConfig } from "./config.js";
import { ConfigError } from "./errors.js";
import type { NRPClientOptions } from "./options.js";
import { ENV, repositorySettingsFromEnv } from "./settings.js";
import type { RepositoryConfig } from "./settings.js";

/** Options of {@link NRPInvenioClient.fromConfig}. */
export interface FromConfigOptions {
  /** Repository alias; defaults to `$NRP_INVENIO_CLIENT_ALIAS`, then the file's default. */
  alias?: string | undefined;
  /** Configuration file; defaults to `$NRP_INVENIO_CLIENT_CONFIG_FILE`, then `~/.nrp/config.yaml`. */
  configFile?: string | undefined;
  /** Environment to read `NRP_INVENIO_CLIENT_*` from. @default process.env */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Explicit options; they win over the environment and the file. */
  overrides?: Partial<NRPClientOptions> | undefined;
}

const SNAKE: Readonly<Record<string, string>> = {
  serverUrl: "server_url",
  retryCount: "retry_count",
  retryInterval: "retry_interval",
};

function repositoryKey(config: NRPConfig, alias: string | undefined): string {
  const index = config.repositories.findIndex((r) => r.alias === alias);
  return index < 0 ? "repository" : `repositories[${index}]`;
}

/**
 * Builds a client with \`make\` from the configuration file, the environment and \`options\` (later
 * wins); a bad value is reported with the file key or variable it came from.
 */
export async function fromConfigFile<C>(
  options: FromConfigOptions,
  make: (options: NRPClientOptions) => C,
): Promise<C> {
  const env = options.env ?? process.env;
  const file = options.configFile ?? NRPConfig.defaultPath(env);
  const alias = options.alias ?? (env[ENV.alias] || undefined);
  const config = await NRPConfig.load(file);
  const fromEnv = repositorySettingsFromEnv(env);
  const overrides = options.overrides ?? {};
  let repo: Partial<RepositoryConfig> = {};
  const urlElsewhere = fromEnv.serverUrl !== undefined || overrides.serverUrl !== undefined;
  const canUseEnvAlone = alias === undefined && urlElsewhere;
  if (!(canUseEnvAlone && config.repositories.length === 0)) {
    try {
      repo = config.getRepository(alias);
    } catch (error) {
      // A configured-but-ambiguous file is fine when the URL comes from elsewhere.
      if (!canUseEnvAlone) throw error;
    }
  }
  const keys = ["serverUrl", "token", "verify", "retryCount", "retryInterval"] as const;
  const merged: Partial<NRPClientOptions> = { ...overrides };
  const source = new Map<string, string>();
  const layers: [Partial<NRPClientOptions>, (key: string) => string][] = [
    [repo, (key) => `${repositoryKey(config, repo.alias)}.${SNAKE[key] ?? key}`],
    [fromEnv, (key) => ENV[key as keyof typeof ENV]],
    [overrides, (key) => key],
  ];
  for (const [layer, describeKey] of layers) {
    for (const key of keys) {
      const value = layer[key];
      if (value === undefined) continue;
      (merged as Record<string, unknown>)[key] = value;
      source.set(key, describeKey(key));
    }
  }
  if (
    repo.token !== undefined &&
    merged.token === repo.token &&
    repo.serverUrl !== undefined &&
    merged.serverUrl !== undefined &&
    new URL(merged.serverUrl).origin !== new URL(repo.serverUrl).origin
  ) {
    delete merged.token;
  }
  const { serverUrl, ...rest } = merged;
  if (serverUrl === undefined) {
    throw new ConfigError("No repository is configured", {
      file: config.path,
      key: "repositories",
      hint: `Run \`nrp add alias <url> <alias>\` or set ${ENV.serverUrl}`,
    });
  }
  try {
    return make({ ...rest, serverUrl });
  } catch (error) {
    // Say where the bad value came from: the file's key or the environment variable.
    if (error instanceof ConfigError && error.key !== undefined && source.has(error.key)) {
      const key = source.get(error.key);
      const fromFile = key?.startsWith("repositories[") ?? false;
      throw new ConfigError(error.reason, {
        file: fromFile ? config.path : undefined,
        key,
        hint: error.hint,
        cause: error,
      });
    }
    throw error;
  }
}

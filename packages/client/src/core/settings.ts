// Repository settings every runtime reads the same way: the server URL check and the
// `NRP_INVENIO_CLIENT_*` environment variables. The configuration file itself (`config.ts`) is
// Node's, Deno's and Bun's only; this module is all the browser entry carries of it.

import { ConfigError } from "./errors.js";

/** One configured repository. */
export interface RepositoryConfig {
  /** Short name used on the command line (`--alias`). */
  alias: string;
  /** The repository's URL (`server_url`, or `url` as older Python clients wrote it). */
  serverUrl: string;
  /** Personal access token. */
  token?: string | undefined;
  /** TLS verification: `true`, `false` or the path of a PEM CA bundle. */
  verify?: boolean | string | undefined;
  /** Retries after the first attempt. */
  retryCount?: number | undefined;
  /** Base retry wait in seconds. */
  retryInterval?: number | undefined;
}

/** The environment variable that points at another configuration file. */
export const CONFIG_FILE_ENV = "NRP_INVENIO_CLIENT_CONFIG_FILE";

type Env = Readonly<Record<string, string | undefined>>;

/** Checks that `value` is an http(s) URL and returns it without a trailing slash. */
export function normalizeServerUrl(
  value: string,
  where: { file?: string | undefined; key: string },
): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`"${shorten(value)}" is not a valid URL`, {
      ...where,
      hint: "Use the repository's address, e.g. https://repo.example.org",
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`"${shorten(value)}" is not an http(s) URL`, {
      ...where,
      hint: "Use the repository's address, e.g. https://repo.example.org",
    });
  }
  return url.toString().replace(/\/+$/, "");
}

/** The longest value an error message quotes; a pasted blob must not flood the terminal. */
const MAX_QUOTED = 60;

/** `text` cut to {@link MAX_QUOTED} characters with an ellipsis and the full length. */
export function shorten(text: string): string {
  return text.length <= MAX_QUOTED
    ? text
    : `${text.slice(0, MAX_QUOTED)}… (${String(text.length)} characters)`;
}

/**
 * The environment variables {@link NRPInvenioClient.fromConfig} reads.
 *
 * They override the configuration file, so that CI jobs and containers need no file.
 */
export const ENV = {
  serverUrl: "NRP_INVENIO_CLIENT_SERVER_URL",
  token: "NRP_INVENIO_CLIENT_TOKEN",
  verify: "NRP_INVENIO_CLIENT_VERIFY",
  retryCount: "NRP_INVENIO_CLIENT_RETRY_COUNT",
  retryInterval: "NRP_INVENIO_CLIENT_RETRY_INTERVAL",
  alias: "NRP_INVENIO_CLIENT_ALIAS",
  configFile: CONFIG_FILE_ENV,
} as const;

/** Repository settings read from the environment; a bad value names the variable. */
export function repositorySettingsFromEnv(env: Env): Partial<Omit<RepositoryConfig, "alias">> {
  const out: Partial<Omit<RepositoryConfig, "alias">> = {};
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === "" ? undefined : v;
  };
  const serverUrl = get(ENV.serverUrl);
  if (serverUrl !== undefined)
    out.serverUrl = normalizeServerUrl(serverUrl, { key: ENV.serverUrl });
  const token = get(ENV.token);
  if (token !== undefined) out.token = token;
  const verify = get(ENV.verify);
  if (verify !== undefined) {
    const lower = verify.toLowerCase();
    if (["true", "1", "yes", "on"].includes(lower)) out.verify = true;
    else if (["false", "0", "no", "off"].includes(lower)) out.verify = false;
    else out.verify = verify;
  }
  const retryCount = get(ENV.retryCount);
  if (retryCount !== undefined) {
    if (!/^\d+$/.test(retryCount.trim())) {
      throw new ConfigError(`Expected a non-negative integer, found "${retryCount}"`, {
        key: ENV.retryCount,
        hint: `Set ${ENV.retryCount}=10 or unset it`,
      });
    }
    out.retryCount = Number(retryCount);
  }
  const retryInterval = get(ENV.retryInterval);
  if (retryInterval !== undefined) {
    const n = Number(retryInterval);
    if (retryInterval.trim() === "" || !Number.isFinite(n) || n < 0) {
      throw new ConfigError(`Expected a non-negative number of seconds, found "${retryInterval}"`, {
        key: ENV.retryInterval,
        hint: `Set ${ENV.retryInterval}=10 or unset it`,
      });
    }
    out.retryInterval = n;
  }
  return out;
}

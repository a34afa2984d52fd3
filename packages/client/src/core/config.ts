// The user's repository configuration: `~/.nrp/config.yaml`, shared with the Python client.

import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join, resolve as resolvePath } from "node:path";
import type * as Yaml from "yaml";
import { INSPECT } from "../internal/inspect.js";
import { REDACTED } from "../internal/redact.js";
import { ConfigError } from "./errors.js";
import { CONFIG_FILE_ENV, normalizeServerUrl, shorten } from "./settings.js";
import type { RepositoryConfig } from "./settings.js";

export { CONFIG_FILE_ENV, ENV, normalizeServerUrl, repositorySettingsFromEnv } from "./settings.js";
export type { RepositoryConfig } from "./settings.js";

let yamlModule: typeof Yaml | undefined;

/**
 * The most alias (`*name`) resolutions a configuration file may need: the parser's own default,
 * stated here because it is what stops a file of exponentially nested aliases from taking all
 * memory. A hand-written configuration uses none.
 */
const MAX_ALIAS_COUNT = 100;

/**
 * Loads the YAML parser on first use.
 *
 * It is a large part of the library's import cost, and only configuration reads and writes need
 * it. A synchronous require keeps {@link NRPConfig.parse} and {@link NRPConfig.toYAML} synchronous;
 * in Node the package's import and require entries are the same CommonJS file.
 */
function yaml(): typeof Yaml {
  yamlModule ??= createRequire(import.meta.url)("yaml") as typeof Yaml;
  return yamlModule;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (value === undefined) return "nothing";
  return `${typeof value} ${shorten(JSON.stringify(value))}`;
}

/** The keys a configuration file may hold at the top level and in each repository. */
const TOP_KEYS = ["repositories", "default_repository"] as const;
const REPOSITORY_KEYS = [
  "alias",
  "server_url",
  "url",
  "token",
  "verify",
  "retry_count",
  "retry_interval",
] as const;

/** Edit distance of two short strings (insertions, deletions, substitutions, transpositions). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = best;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** Warnings for the keys of `map` outside `known`, each with the closest known key if near. */
function unknownKeys(map: Record<string, unknown>, known: readonly string[], at: string): string[] {
  return Object.keys(map)
    .filter((key) => !known.includes(key))
    .map((key) => {
      const near = known
        .map((k) => ({ k, d: distance(key.toLowerCase(), k) }))
        .filter(({ k, d }) => d <= Math.max(1, Math.floor(k.length / 3)))
        .sort((x, y) => x.d - y.d)[0];
      const where = at === "" ? "" : ` in ${at}`;
      const quoted = JSON.stringify(shorten(key));
      return near === undefined
        ? `unknown key ${quoted}${where} is ignored (known: ${known.join(", ")})`
        : `unknown key ${quoted}${where} is ignored; did you mean "${near.k}"?`;
    });
}

/**
 * The repository configuration file: a list of repositories and the default alias.
 *
 * Loads, validates, edits and saves `~/.nrp/config.yaml` so that the CLI and scripts share one
 * set of aliases and tokens. Every validation error names the file, the key and the fix.
 *
 * @example
 * const config = await NRPConfig.load();
 * config.addRepository({ alias: "zenodo", serverUrl: "https://zenodo.org", token }, { default: true });
 * await config.save();
 */
export class NRPConfig {
  /** The file this configuration is read from and saved to. */
  readonly path: string;
  /** The configured repositories, in file order. */
  repositories: RepositoryConfig[];
  /** Alias used when none is given. */
  defaultRepository: string | undefined;
  /**
   * What {@link NRPConfig.parse} read but ignored, e.g. `unknown key "tokn" in repositories[0]
   * is ignored; did you mean "token"?`: a misspelt key must not silently drop a setting.
   */
  warnings: string[] = [];

  constructor(path: string, repositories: RepositoryConfig[] = [], defaultRepository?: string) {
    this.path = path;
    this.repositories = repositories;
    this.defaultRepository = defaultRepository;
  }

  /**
   * The configuration file location: `$NRP_INVENIO_CLIENT_CONFIG_FILE`, else `~/.nrp/config.yaml`.
   */
  static defaultPath(env: Readonly<Record<string, string | undefined>> = process.env): string {
    const fromEnv = env[CONFIG_FILE_ENV];
    if (fromEnv) return resolvePath(fromEnv);
    return join(env.HOME || homedir(), ".nrp", "config.yaml");
  }

  /** Reads and validates a configuration file; a missing file gives an empty configuration. */
  static async load(path: string = NRPConfig.defaultPath()): Promise<NRPConfig> {
    const file = resolvePath(path);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return new NRPConfig(file);
      throw new ConfigError("Cannot read the configuration file", {
        file,
        hint: "Check that the file is readable",
        cause: error,
      });
    }
    return NRPConfig.parse(text, file);
  }

  /** Validates YAML text as a configuration file stored at `file`. */
  static parse(text: string, file: string): NRPConfig {
    const doc = yaml().parseDocument(text, { prettyErrors: true });
    const firstError = doc.errors[0];
    if (firstError) {
      const line = firstError.linePos?.[0];
      throw new ConfigError(
        `Invalid YAML${line ? ` at line ${line.line}, column ${line.col}` : ""}: ${firstError.code}`,
        { file, hint: "Fix the YAML syntax or delete the file and add the repositories again" },
      );
    }
    let data: unknown;
    try {
      // The parser refuses documents whose aliases expand beyond MAX_ALIAS_COUNT (a "billion
      // laughs" file would otherwise take all memory) by throwing: that is the file's fault.
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new ConfigError(
        /alias/i.test(why)
          ? `The YAML cannot be read: its aliases (*name) expand beyond ${String(MAX_ALIAS_COUNT)} uses`
          : `The YAML cannot be read: ${why}`,
        {
          file,
          hint: "Write the repositories out without YAML aliases, or delete the file and add them again",
        },
      );
    }
    if (data === null || data === undefined) return new NRPConfig(file);
    if (typeof data !== "object" || Array.isArray(data)) {
      throw new ConfigError(`The top level must be a mapping, found ${describe(data)}`, {
        file,
        hint: "Start the file with `repositories:`",
      });
    }
    const root = data as Record<string, unknown>;
    const rawRepos = root.repositories ?? [];
    if (!Array.isArray(rawRepos)) {
      throw new ConfigError(`Expected a list, found ${describe(rawRepos)}`, {
        file,
        key: "repositories",
        hint: "Write `repositories:` followed by `- alias: ...` entries",
      });
    }
    const repositories = (rawRepos as unknown[]).map((item, index) =>
      parseRepository(item, `repositories[${index}]`, file),
    );
    const seen = new Set<string>();
    repositories.forEach((repo, index) => {
      if (seen.has(repo.alias)) {
        throw new ConfigError(`Duplicate alias "${repo.alias}"`, {
          file,
          key: `repositories[${index}].alias`,
          hint: "Give every repository a unique alias",
        });
      }
      seen.add(repo.alias);
    });
    const def = root.default_repository;
    if (def !== undefined && def !== null && typeof def !== "string") {
      throw new ConfigError(`Expected an alias, found ${describe(def)}`, {
        file,
        key: "default_repository",
        hint: "Set it to one of the aliases, or remove the line",
      });
    }
    const config = new NRPConfig(file, repositories, def ?? undefined);
    config.warnings = [
      ...unknownKeys(root, TOP_KEYS, ""),
      ...(rawRepos as unknown[]).flatMap((item, index) =>
        unknownKeys(
          item as Record<string, unknown>,
          REPOSITORY_KEYS,
          `repositories[${String(index)}]`,
        ),
      ),
    ];
    return config;
  }

  /** The aliases in file order. */
  get aliases(): string[] {
    return this.repositories.map((r) => r.alias);
  }

  /**
   * Returns the repository for `alias`, or the default one.
   * Without an alias and without a default, a single configured repository is used.
   */
  getRepository(alias?: string): RepositoryConfig {
    const wanted = alias ?? this.defaultRepository;
    if (wanted === undefined) {
      const only = this.repositories.length === 1 ? this.repositories[0] : undefined;
      if (only) return only;
      throw new ConfigError(
        this.repositories.length === 0
          ? "No repository is configured"
          : `No default repository is set among ${this.aliases.join(", ")}`,
        {
          file: this.path,
          key: "default_repository",
          hint:
            this.repositories.length === 0
              ? "Run `nrp add alias <url> <alias>` or set NRP_INVENIO_CLIENT_SERVER_URL"
              : "Run `nrp select alias <alias>` or pass --alias",
        },
      );
    }
    const found = this.repositories.find((r) => r.alias === wanted);
    if (!found) {
      throw new ConfigError(
        `Unknown repository alias "${wanted}". Known aliases: ${this.aliases.join(", ") || "(none)"}`,
        {
          file: this.path,
          key: alias === undefined ? "default_repository" : "alias",
          hint: "Run `nrp list aliases` to see them, or `nrp add alias <url> <alias>`",
        },
      );
    }
    return found;
  }

  /**
   * Adds a repository. An existing alias is an error unless `replace` is set; `default` also
   * selects it. The first repository added becomes the default.
   */
  addRepository(
    repo: RepositoryConfig,
    options: { default?: boolean | undefined; replace?: boolean | undefined } = {},
  ): void {
    const checked = parseRepository(toFileShape(repo), "repository", undefined);
    const index = this.repositories.findIndex((r) => r.alias === checked.alias);
    if (index >= 0) {
      if (!options.replace) {
        throw new ConfigError(`The alias "${repo.alias}" already exists`, {
          file: this.path,
          key: "alias",
          hint: "Choose another alias, or remove the existing one first",
        });
      }
      this.repositories[index] = checked;
    } else {
      this.repositories.push(checked);
    }
    if (options.default || this.defaultRepository === undefined) {
      this.defaultRepository = checked.alias;
    }
  }

  /** Removes a repository; removing the default clears `defaultRepository`. */
  removeRepository(alias: string): void {
    this.getRepository(alias);
    this.repositories = this.repositories.filter((r) => r.alias !== alias);
    if (this.defaultRepository === alias) this.defaultRepository = undefined;
  }

  /** Makes `alias` the default repository. */
  setDefault(alias: string): void {
    this.getRepository(alias);
    this.defaultRepository = alias;
  }

  /** The YAML text {@link save} writes. */
  toYAML(): string {
    const data: Record<string, unknown> = { repositories: this.repositories.map(toFileShape) };
    if (this.defaultRepository !== undefined) data.default_repository = this.defaultRepository;
    return yaml().stringify(data);
  }

  /**
   * Writes the file atomically (temporary file + rename) with mode 0600, creating the directory
   * with mode 0700: the file holds tokens.
   */
  async save(): Promise<void> {
    const dir = dirname(this.path);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const tmp = join(dir, `.${randomBytes(6).toString("hex")}.tmp`);
      try {
        await writeFile(tmp, this.toYAML(), { mode: 0o600, flag: "wx" });
        await chmod(tmp, 0o600);
        await rename(tmp, this.path);
      } catch (error) {
        await rm(tmp, { force: true });
        throw error;
      }
      await chmod(this.path, 0o600);
    } catch (error) {
      throw new ConfigError("Cannot write the configuration file", {
        file: this.path,
        hint: "Check that the directory is writable",
        cause: error,
      });
    }
  }

  /** A plain form with tokens replaced by `***`. */
  toJSON(): Record<string, unknown> {
    return {
      path: this.path,
      defaultRepository: this.defaultRepository,
      repositories: this.repositories.map((r) => (r.token ? { ...r, token: REDACTED } : r)),
    };
  }

  [INSPECT](
    _depth: number,
    options: object,
    inspect: (value: unknown, options?: object) => string,
  ): string {
    return `NRPConfig ${inspect(this.toJSON(), { ...options, depth: 4 })}`;
  }
}

function toFileShape(repo: RepositoryConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { alias: repo.alias, server_url: repo.serverUrl };
  if (repo.token !== undefined) out.token = repo.token;
  if (repo.verify !== undefined) out.verify = repo.verify;
  if (repo.retryCount !== undefined) out.retry_count = repo.retryCount;
  if (repo.retryInterval !== undefined) out.retry_interval = repo.retryInterval;
  return out;
}

function parseRepository(item: unknown, at: string, file: string | undefined): RepositoryConfig {
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    throw new ConfigError(`Expected a mapping, found ${describe(item)}`, {
      file,
      key: at,
      hint: "Each repository needs at least `alias` and `server_url`",
    });
  }
  const r = item as Record<string, unknown>;
  const alias = r.alias;
  if (typeof alias !== "string" || alias.trim() === "") {
    throw new ConfigError(`Expected a non-empty alias, found ${describe(alias)}`, {
      file,
      key: `${at}.alias`,
      hint: "Give the repository a short name, e.g. `alias: zenodo`",
    });
  }
  const urlKey = r.server_url === undefined && r.url !== undefined ? "url" : "server_url";
  const rawUrl = r.server_url ?? r.url;
  if (typeof rawUrl !== "string") {
    throw new ConfigError(
      rawUrl === undefined ? "Missing server_url" : `Expected a URL, found ${describe(rawUrl)}`,
      { file, key: `${at}.${urlKey}`, hint: "Set `server_url: https://repo.example.org`" },
    );
  }
  const repo: RepositoryConfig = {
    alias,
    serverUrl: normalizeServerUrl(rawUrl, { file, key: `${at}.${urlKey}` }),
  };
  if (r.token !== undefined && r.token !== null) {
    if (typeof r.token !== "string") {
      throw new ConfigError(`Expected a string, found ${typeof r.token}`, {
        file,
        key: `${at}.token`,
        hint: "Quote the token",
      });
    }
    repo.token = r.token;
  }
  if (r.verify !== undefined && r.verify !== null) {
    if (typeof r.verify !== "boolean" && (typeof r.verify !== "string" || r.verify === "")) {
      throw new ConfigError(
        `Expected true, false or a CA bundle path, found ${describe(r.verify)}`,
        {
          file,
          key: `${at}.verify`,
          hint: "Use `verify: true`, `verify: false` or `verify: /path/to/ca.pem`",
        },
      );
    }
    repo.verify = r.verify;
  }
  if (r.retry_count !== undefined && r.retry_count !== null) {
    if (
      typeof r.retry_count !== "number" ||
      !Number.isInteger(r.retry_count) ||
      r.retry_count < 0
    ) {
      throw new ConfigError(`Expected a non-negative integer, found ${describe(r.retry_count)}`, {
        file,
        key: `${at}.retry_count`,
        hint: "Use e.g. `retry_count: 10`",
      });
    }
    repo.retryCount = r.retry_count;
  }
  if (r.retry_interval !== undefined && r.retry_interval !== null) {
    if (
      typeof r.retry_interval !== "number" ||
      !Number.isFinite(r.retry_interval) ||
      r.retry_interval < 0
    ) {
      throw new ConfigError(
        `Expected a non-negative number of seconds, found ${describe(r.retry_interval)}`,
        {
          file,
          key: `${at}.retry_interval`,
          hint: "Use e.g. `retry_interval: 10`",
        },
      );
    }
    repo.retryInterval = r.retry_interval;
  }
  return repo;
}

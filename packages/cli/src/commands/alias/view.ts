import type { NRPConfig, RepositoryConfig } from "nrp-invenio-client";

import type { Column } from "../../output.js";

/**
 * How an alias is shown: never with its token, only whether one is stored.
 *
 * A token printed once ends up in terminal scrollback, CI logs and screenshots.
 */
export interface AliasView extends Record<string, unknown> {
  /** The alias name. */
  alias: string;
  /** The repository URL. */
  url: string;
  /** Whether it is the default alias. */
  default: boolean;
  /** `true`, `false`, or the CA bundle path. */
  verify: boolean | string;
  /** `"***"` when a token is stored, `null` when not. */
  token: "***" | null;
}

/** Builds the token-free view of a configured repository. */
export function aliasView(repo: RepositoryConfig, defaultAlias: string | undefined): AliasView {
  return {
    alias: repo.alias,
    url: repo.serverUrl,
    default: repo.alias === defaultAlias,
    verify: repo.verify ?? true,
    token: repo.token !== undefined && repo.token !== "" ? "***" : null,
  };
}

/** The table row of an alias: a `*` marks the default, `(none)` a missing token. */
export function aliasRow(view: AliasView): Record<string, unknown> {
  return { ...view, default: view.default ? "*" : "", token: view.token ?? "(none)" };
}

/** The columns of `nrp list aliases`. */
export const ALIAS_COLUMNS: readonly Column[] = [
  { key: "default", header: "default" },
  { key: "alias" },
  { key: "url" },
  { key: "verify" },
  { key: "token" },
];

/**
 * The alias commands use when none is given: `default_repository`, else the only configured one.
 *
 * A file with one repository and no `default_repository` (written by hand) must work everywhere.
 */
export function effectiveDefault(config: NRPConfig): string | undefined {
  if (config.defaultRepository !== undefined) return config.defaultRepository;
  return config.repositories.length === 1 ? config.repositories[0]?.alias : undefined;
}

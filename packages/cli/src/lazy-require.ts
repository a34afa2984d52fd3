import { createRequire } from "node:module";

import type cliProgress from "cli-progress";
import type Table from "cli-table3";
import type * as Yaml from "yaml";

const require = createRequire(import.meta.url);

/** Calls `load` once, on first use, and keeps what it returned. */
function once<T>(load: () => T): () => T {
  let mod: T | undefined;
  return () => (mod ??= load());
}

/**
 * The `yaml` package, loaded on first call.
 *
 * Start-up pays only for what a command uses: `--version`, `--help` and JSON output never need
 * YAML. Its Node entry is CommonJS, so this is the same instance the client library imports.
 */
export const yaml = once(() => require("yaml") as typeof Yaml);

/** The `cli-table3` table class, loaded on first call: only table output needs it. */
export const tableClass = once(() => require("cli-table3") as typeof Table);

/** The `cli-progress` package, loaded on first call: only transfers on a terminal draw bars. */
export const progressBars = once(() => require("cli-progress") as typeof cliProgress);

import type { Command } from "commander";

import type { CommandContext } from "./context.js";
import { UsageError } from "./errors.js";

/** A usage example shown under a command's help. */
export interface Example {
  /** The full command line, starting with `nrp`. */
  command: string;
  /** What it does. */
  description: string;
}

/** A positional argument of a command. */
export interface ArgumentSpec {
  /** Commander syntax: `<url>` required, `[alias]` optional. */
  name: string;
  /** What it is. */
  description: string;
}

/**
 * One CLI command, declared once and registered in both forms: `nrp <verb> <noun>` and
 * `nrp <noun> <verb>`.
 *
 * `parse` turns commander's untyped arguments into a typed input; `run` does the work through the
 * context only.
 */
export interface CommandDefinition<Input> {
  /** The verb, e.g. `add`. */
  verb: string;
  /** Other spellings of the verb in the noun-verb form, e.g. `rm` for `remove`. */
  verbAliases?: readonly string[];
  /** The noun group this command belongs to (a key of {@link NOUNS}). */
  noun: NounKey;
  /** The noun as written after the verb, when it differs from the group name (`list aliases`). */
  nounForm?: string;
  /** More spellings of the noun after the verb than the group's own (`download files`). */
  nounAliases?: readonly string[];
  /** Other noun groups that also list this command in the noun-verb form (`nrp files download`). */
  alsoUnder?: readonly NounKey[];
  /** One line for command lists. */
  summary: string;
  /** The longer explanation shown by `--help`. */
  description: string;
  /** Positional arguments, in order. */
  arguments?: readonly ArgumentSpec[];
  /** Adds the command's own options (commander's fluent API keeps choices and conflicts declarative). */
  options?: (cmd: Command) => void;
  /** One to three examples for `--help`. */
  examples: readonly Example[];
  /** Validates and types the parsed arguments and options. */
  parse(args: readonly unknown[], opts: Readonly<Record<string, unknown>>): Input;
  /**
   * The command moves file content (downloads, uploads): it keeps V8's young generation small,
   * which lowers its peak RSS; other commands get V8's default back (transfer-memory.ts).
   */
  movesContent?: true;
  /** Does the work. */
  run(ctx: CommandContext, input: Input): Promise<void>;
}

/**
 * Declares a command with its input type inferred from `parse`.
 *
 * An identity function (citty's `defineCommand`) so each file stays a plain, typed object.
 */
export function defineCommand<Input>(def: CommandDefinition<Input>): CommandDefinition<Input> {
  return def;
}

/** The noun groups: canonical name, other spellings, and the help line of the noun-verb group. */
export const NOUNS = {
  alias: {
    names: ["alias", "aliases"],
    description: "Manage repository aliases in the configuration file",
  },
  repository: {
    names: ["repository", "repo"],
    description: "Inspect a repository",
  },
  models: {
    names: ["models", "model"],
    description: "Inspect a repository's models",
  },
  record: {
    names: ["record", "records"],
    description: "Create, read, update, publish and delete records and drafts",
  },
  variable: {
    names: ["variable", "variables", "var"],
    description: "Manage named record ids (@name) kept per repository alias",
  },
  // "file" and "files" are separate groups: "upload file" sends one file, "upload files" many.
  file: {
    names: ["file"],
    description: "Upload, download, list, update, replace and delete files of a record",
  },
  files: {
    names: ["files"],
    description: 'The same file commands; "files upload" sends several files at once',
  },
  request: {
    names: ["request", "requests"],
    description: "Create, follow and decide review requests on records",
  },
} as const;

/** A noun group name. */
export type NounKey = keyof typeof NOUNS;

/** Help lines of the verb groups (`nrp add --help`). */
export const VERBS: Readonly<Record<string, string>> = {
  add: "Add something to the configuration",
  select: "Choose the default of something",
  remove: "Remove something from the configuration",
  list: "List things (aliases, variables, records, a record's files, requests)",
  describe: "Show what a repository offers",
  get: "Read something",
  set: "Store something",
  create: "Create something in a repository",
  update: "Change something in a repository",
  delete: "Delete something from a repository",
  publish: "Publish a draft",
  edit: "Open a published record for editing",
  version: "Start a new version of a published record",
  upload: "Upload files to a draft",
  download: "Download files of a record",
  replace: "Replace the content of a file",
  submit: "Submit a request for review",
  cancel: "Withdraw a request",
  accept: "Accept a submitted request",
  decline: "Decline a submitted request",
  comment: "Comment on a request",
  timeline: "Show what happened to a request",
  search: "Search records (one page at a time)",
  scan: "Stream every matching record",
};

/** Reads an optional string option or argument, rejecting anything else as a usage error. */
export function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  throw new UsageError(`${name} must be a single value.`);
}

/** Reads a required string argument. */
export function requiredString(value: unknown, name: string): string {
  const s = optionalString(value, name);
  if (s === undefined || s === "") throw new UsageError(`Missing ${name}.`);
  return s;
}

/** Reads a boolean flag (absent means `fallback`). */
export function flag(value: unknown, fallback = false): boolean {
  return typeof value === "boolean" ? value : fallback;
}

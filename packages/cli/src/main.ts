import { createRequire } from "node:module";

import { Command, CommanderError, Option } from "commander";

import { loadClient } from "./client-module.js";
import { completionScript } from "./completion.js";

import { DEFAULT_MAX_WAIT, authHint, createContext, resolveAlias } from "./context.js";
import type { GlobalOptions } from "./context.js";
import { NOUNS, VERBS, flag, optionalString } from "./define.js";
import type { CommandDefinition, Example, NounKey } from "./define.js";
import { ExitCode, UsageError, reportError, withAuthHint } from "./errors.js";
import { processIO } from "./io.js";
import type { CliIO } from "./io.js";
import { FORMATS, Output, colorEnabled, defaultFormat } from "./output.js";
import type { Format, OutputOptions } from "./output.js";
import { restoreYoungGenerationGrowth } from "./transfer-memory.js";
import { CLI_VERSION } from "./version.js";

export type { CliIO, CliStream, PromptOptions } from "./io.js";
export { ExitCode } from "./errors.js";
export { CLI_VERSION } from "./version.js";

const PROGRAM_HELP = `
Output:
  Data goes to stdout, messages and errors to stderr. --format picks the data format:
  table (default on a terminal), json (default otherwise; one pretty document),
  jsonl (one compact JSON value per line) or yaml. Errors are JSON too with --format json.

Configuration:
  Aliases live in ~/.nrp/config.yaml (or $NRP_INVENIO_CLIENT_CONFIG_FILE, or --config);
  variables (@name) in variables.yaml beside it, per alias.
  NRP_INVENIO_CLIENT_<KEY> variables (SERVER_URL, TOKEN, VERIFY, ...) override its values.

Exit codes:
  0 ok, 1 bug in nrp, 2 usage or configuration error, 3 authentication/permission (401/403),
  4 not found, 5 rejected as invalid or conflicting (400/409/412/422),
  6 network error, timeout or server error after retries, 7 rate-limited beyond the wait cap,
  130 interrupted.

Every command also has a noun-verb form: "nrp alias add" is "nrp add alias".

Examples:
  $ nrp add alias https://repository.example.org repo --default
  $ nrp describe models
  $ nrp create record documents '{"title": "Trees"}' --no-files --set r
  $ nrp upload file @r data.csv && nrp list files @r
  $ nrp publish record @r --set r && nrp get record @r
  $ nrp download file @r '*' -o data/
  $ nrp search records 'keywords:oak' --size 20 --set oaks
  $ nrp scan records --model documents --format jsonl > all.jsonl
  $ nrp publish record @d --set q && nrp get request @q     (a curated model: review)
  $ nrp list requests --inbox && nrp accept request <id> "Looks good"
  $ nrp --alias repo describe repository --format yaml
`;

/**
 * The client library's version, from its package.json: reading the file is cheap, importing the
 * library (for its `VERSION`) is not, and `nrp --version` should answer at once.
 */
function clientVersion(): string {
  const pkg: unknown = createRequire(import.meta.url)("nrp-invenio-client/package.json");
  const version = (pkg as { version?: unknown } | null)?.version;
  return typeof version === "string" ? version : "unknown";
}

/** What `nrp --version` prints. */
function versionText(): string {
  return `nrp ${CLI_VERSION} (nrp-invenio-client ${clientVersion()})`;
}

function examplesText(def: CommandDefinition<unknown>): string {
  const lines = def.examples.flatMap((e: Example) => [
    `  $ ${e.command}`,
    `      ${e.description}`,
  ]);
  const noun = def.nounForm ?? def.noun;
  return (
    `\nExamples:\n${lines.join("\n")}\n\n` +
    `Also available as "nrp ${def.noun} ${def.verb}" and "nrp ${def.verb} ${noun}".\n`
  );
}

interface Invocation {
  output: Output | undefined;
}

function parseFormat(value: unknown, io: CliIO): Format {
  const s = optionalString(value, "--format");
  return s !== undefined && (FORMATS as readonly string[]).includes(s)
    ? (s as Format)
    : defaultFormat(io);
}

/** Reads `--max-wait`: a non-negative number of seconds. */
function parseMaxWait(value: unknown): number | undefined {
  const s = optionalString(value, "--max-wait");
  if (s === undefined) return undefined;
  const n = Number(s);
  if (s.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new UsageError(
      `--max-wait must be a number of seconds (0 or more), not "${s}".`,
      "For example --max-wait 60.",
    );
  }
  return n;
}

function outputOptions(opts: Readonly<Record<string, unknown>>, io: CliIO): OutputOptions {
  const format = parseFormat(opts["format"], io);
  return {
    format,
    jsonErrors: opts["format"] !== undefined && (format === "json" || format === "jsonl"),
    color: colorEnabled(io, flag(opts["color"], true)),
    quiet: flag(opts["quiet"]),
    verbose: flag(opts["verbose"]),
  };
}

/**
 * Reads the output flags from raw argv, for errors raised before commander has parsed them.
 *
 * A bad flag elsewhere on the line must still produce a JSON error when `--format json` was asked.
 */
function prescan(argv: readonly string[], io: CliIO): OutputOptions {
  const opts: Record<string, unknown> = {};
  argv.forEach((arg, i) => {
    if (arg === "--format") opts["format"] = argv[i + 1];
    else if (arg.startsWith("--format=")) opts["format"] = arg.slice("--format=".length);
    else if (arg === "--no-color") opts["color"] = false;
    else if (arg === "-q" || arg === "--quiet") opts["quiet"] = true;
  });
  return outputOptions(opts, io);
}

/** Global options that take a value: what follows them is not a command name. */
const GLOBAL_VALUE_OPTIONS = new Set(["--alias", "--config", "--format", "--max-wait"]);

/** Index of the first command word of argv (skipping global options and their values), or -1. */
function firstWord(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") return -1;
    if (GLOBAL_VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith("-")) return i;
  }
  return -1;
}

/** Verbs whose noun may be left out: `nrp search soil` is `nrp search records soil`. */
const DEFAULT_NOUNS: Readonly<Record<string, string>> = { search: "records", scan: "records" };

/** Every spelling of every noun, to tell `nrp search requests` (a wrong noun) from a query. */
const NOUN_NAMES: ReadonlySet<string> = new Set(Object.values(NOUNS).flatMap((n) => [...n.names]));

/**
 * Inserts the default noun after `search` and `scan` when the next word is not a noun, so that
 * `nrp search 'soil'` and `nrp scan` work; another noun (`nrp search requests`) is left for the
 * "did you mean" of {@link rightForm}.
 */
function withDefaultNoun(program: Command, argv: readonly string[]): string[] {
  const out = [...argv];
  const i = firstWord(argv);
  const verb = i === -1 ? undefined : argv[i];
  const noun = verb === undefined ? undefined : DEFAULT_NOUNS[verb];
  if (noun === undefined) return out;
  const group = program.commands.find((c) => c.name() === verb);
  const next = argv[i + 1];
  const known = group?.commands.some((c) => c.name() === next || c.aliases().includes(next ?? ""));
  if (known === true || (next !== undefined && NOUN_NAMES.has(next))) return out;
  out.splice(i + 1, 0, noun);
  return out;
}

/** Other words users type for a verb. */
const VERB_SYNONYMS: Readonly<Record<string, string>> = {
  show: "get",
  read: "get",
  view: "get",
  find: "search",
  query: "search",
  new: "create",
  make: "create",
  ls: "list",
  rm: "remove",
  del: "delete",
  put: "upload",
  fetch: "download",
  approve: "accept",
  reject: "decline",
};

/**
 * A "did you mean" for an unknown command word: the verb for a synonym (`show` → `get`), or the
 * commands that do take a noun the verb does not (`nrp search requests` → `nrp list requests`).
 */
function rightForm(
  program: Command,
  commands: readonly CommandDefinition<unknown>[],
  argv: readonly string[],
): string | undefined {
  const i = firstWord(argv);
  const first = i === -1 ? undefined : argv[i];
  if (first === undefined) return undefined;
  const isVerb = program.commands.some((c) => c.name() === first);
  if (!isVerb) {
    const verb = VERB_SYNONYMS[first];
    if (verb === undefined) return undefined;
    const rest = argv.slice(i + 1).join(" ");
    return `Did you mean "nrp ${verb}${rest === "" ? "" : ` ${rest}`}"? Run "nrp --help" for the commands.`;
  }
  const word = argv[i + 1];
  if (word === undefined) return undefined;
  const key = (Object.keys(NOUNS) as NounKey[]).find((k) =>
    (NOUNS[k].names as readonly string[]).includes(word),
  );
  if (key === undefined) return undefined;
  const forms = commands
    .filter((d) => d.noun === key)
    .map((d) => `nrp ${d.verb} ${d.nounForm ?? d.noun}`);
  if (forms.length === 0) return undefined;
  const query =
    DEFAULT_NOUNS[first] === undefined
      ? ""
      : ` To ${first} records for the word "${word}", write "nrp ${first} ${DEFAULT_NOUNS[first]} ${word}".`;
  return `"nrp ${first}" does not take ${word}; for ${word} there are: ${forms.join(", ")}.${query}`;
}

/** The command a failing argv was aimed at, for the "run ... --help" hint. */
function commandPath(program: Command, argv: readonly string[]): string {
  let current = program;
  const names = [program.name()];
  for (const arg of argv) {
    if (arg.startsWith("-")) continue;
    const next = current.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!next) break;
    current = next;
    names.push(next.name());
  }
  return names.join(" ");
}

function registerCommand(
  parent: Command,
  name: string,
  aliases: readonly string[],
  def: CommandDefinition<unknown>,
  invoke: (def: CommandDefinition<unknown>, cmd: Command) => Promise<void>,
): void {
  const cmd = parent.command(name).summary(def.summary).description(def.description);
  if (aliases.length > 0) cmd.aliases(aliases);
  for (const arg of def.arguments ?? []) cmd.argument(arg.name, arg.description);
  def.options?.(cmd);
  cmd.addHelpText("after", examplesText(def));
  cmd.action(() => invoke(def, cmd));
}

/**
 * Builds the command tree: verb groups (`nrp add alias`) first, then the noun groups (`nrp alias add`)
 * over the same definitions.
 */
function buildProgram(
  io: CliIO,
  commands: readonly CommandDefinition<unknown>[],
  invoke: (def: CommandDefinition<unknown>, cmd: Command) => Promise<void>,
): Command {
  const program = new Command("nrp");
  program
    .description(
      "Work with Invenio-based research-data repositories (NRP/oarepo, InvenioRDM) from the command line.",
    )
    .version(versionText(), "-V, --version", "print the versions of nrp and nrp-invenio-client")
    .option(
      "--alias <alias>",
      "repository alias to use (default: $NRP_INVENIO_CLIENT_ALIAS, else the configured default)",
    )
    .option(
      "--config <file>",
      "configuration file (default: $NRP_INVENIO_CLIENT_CONFIG_FILE, else ~/.nrp/config.yaml)",
    )
    .addOption(
      new Option(
        "--format <format>",
        "output format (default: table on a terminal, json otherwise)",
      ).choices(FORMATS),
    )
    .option("-q, --quiet", "print only data and errors")
    .option("--verbose", "log retries and other diagnostics on stderr")
    .option(
      "--max-wait <seconds>",
      `total time one command may spend waiting between retries (default: ${String(DEFAULT_MAX_WAIT)}); never limits a transfer`,
    )
    .option("--no-color", "never use colour (also off when NO_COLOR is set or not on a terminal)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Errors are printed by main() so they follow --format; commander only reports them.
      outputError: () => undefined,
      getOutHelpWidth: () => io.stdout.columns ?? 100,
      getErrHelpWidth: () => io.stderr.columns ?? 100,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .addHelpText("after", PROGRAM_HELP);

  const verbGroups = new Map<string, Command>();
  for (const def of commands) {
    let group = verbGroups.get(def.verb);
    if (!group) {
      group = program.command(def.verb).description(VERBS[def.verb] ?? def.verb);
      verbGroups.set(def.verb, group);
    }
    const primary = def.nounForm ?? def.noun;
    const aliases = [...NOUNS[def.noun].names, ...(def.nounAliases ?? [])].filter(
      (n) => n !== primary,
    );
    registerCommand(group, primary, aliases, def, invoke);
  }
  program
    .command("completion")
    .description("Print a shell completion script (bash, zsh or fish)")
    .argument("<shell>", "bash, zsh or fish")
    .addHelpText(
      "after",
      "\nExamples:\n  $ source <(nrp completion bash)      (in ~/.bashrc; zsh: the same with zsh)\n" +
        "  $ nrp completion fish > ~/.config/fish/completions/nrp.fish\n",
    )
    .action((shell: string) => {
      io.stdout.write(completionScript(program, shell));
    });
  const nounGroups = new Map<NounKey, Command>();
  for (const def of commands) {
    for (const key of [def.noun, ...(def.alsoUnder ?? [])]) {
      let group = nounGroups.get(key);
      if (!group) {
        const noun = NOUNS[key];
        group = program
          .command(key)
          .aliases(noun.names.filter((n) => n !== key))
          .description(`${noun.description} (noun-verb form of the commands above)`);
        nounGroups.set(key, group);
      }
      registerCommand(group, def.verb, def.verbAliases ?? [], def, invoke);
    }
  }
  return program;
}

/**
 * Runs the `nrp` command line and resolves with its exit code.
 *
 * Never calls `process.exit` and never reads `process` in commands: everything goes through `io`, so
 * tests and embedders run it in-process. `argv` excludes `node` and the script path.
 *
 * @example
 * ```ts
 * const code = await main(["describe", "repository", "--format", "json"]);
 * ```
 */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const signal = io.signal ?? new AbortController().signal;
  const state: Invocation = { output: undefined };

  const invoke = async (def: CommandDefinition<unknown>, cmd: Command): Promise<void> => {
    const all = cmd.optsWithGlobals<Record<string, unknown>>();
    const output = new Output(io, outputOptions(all, io));
    state.output = output;
    const globals: GlobalOptions = {
      alias: resolveAlias(optionalString(all["alias"], "--alias"), io.env),
      config:
        optionalString(all["config"], "--config") ??
        (await loadClient()).NRPConfig.defaultPath(io.env),
      verbose: flag(all["verbose"]),
      maxWait: parseMaxWait(all["maxWait"]),
    };
    const input = def.parse(cmd.processedArgs as unknown[], cmd.opts<Record<string, unknown>>());
    if (def.movesContent !== true) restoreYoungGenerationGrowth();
    const { context, dispose } = createContext(io, globals, output, signal);
    try {
      signal.throwIfAborted();
      await def.run(context, input);
      signal.throwIfAborted();
    } catch (err) {
      throw withAuthHint(err, (url) => {
        const credentials = context.credentialsFor(url);
        return credentials === undefined ? undefined : authHint(credentials);
      });
    } finally {
      await dispose();
    }
  };

  // A lone --version needs no command: answer before loading their modules (most of start-up).
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    io.stdout.write(`${versionText()}\n`);
    return ExitCode.ok;
  }
  const { COMMANDS } = await import("./commands/index.js");
  const program = buildProgram(io, COMMANDS, invoke);
  try {
    await program.parseAsync(withDefaultNoun(program, argv), { from: "user" });
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return ExitCode.ok;
      // A group called without its subcommand: commander has already printed the help.
      if (err.code === "commander.help") return ExitCode.usage;
    }
    if (signal.aborted) return reportInterrupted(state, argv, io);
    const report = reportError(err);
    if (err instanceof CommanderError) {
      report.hint =
        (err.code === "commander.unknownCommand"
          ? rightForm(program, COMMANDS, argv)
          : undefined) ?? `Run "${commandPath(program, argv)} --help" for usage.`;
    }
    if (report.quiet === true) return report.exitCode;
    (state.output ?? new Output(io, prescan(argv, io))).error(report);
    return report.exitCode;
  }
}

function reportInterrupted(state: Invocation, argv: readonly string[], io: CliIO): number {
  const output = state.output ?? new Output(io, prescan(argv, io));
  output.error(reportError(Object.assign(new Error("Interrupted."), { name: "AbortError" })));
  return ExitCode.interrupted;
}

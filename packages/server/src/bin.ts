#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";
import { Command, InvalidArgumentError, Option } from "commander";
import { DevServerConfigError } from "./config/load.js";
import { seedRecords } from "./seed.js";
import { startDevServer, type DevServer, type DevServerOptions } from "./server.js";
import { TokenLookupError, readUserToken } from "./token-command.js";

const EXAMPLES = `
Examples:
  $ nrp-devserver
      in-memory NRP (oarepo 12) repository on http://127.0.0.1:5000
  $ nrp-devserver --port 0 --data-dir .devserver-data
      any free port; records, files and tokens survive a restart
  $ nrp-devserver --flavour rdm
      behave like plain InvenioRDM 13 (no /.well-known/repository)
  $ nrp-devserver --config models.yaml
      your own models and users (YAML or JSON)
  $ nrp-devserver --tls-key key.pem --tls-cert cert.pem
      serve HTTPS
  $ nrp-devserver seed --records 200000 --data-dir .devserver-data
      add 200 000 published records (then start the server on that directory)
  $ nrp-devserver token owner --data-dir .devserver-data
      print the token of the user "owner" (e.g. for nrp add alias --token "$(…)")
  $ nrp-devserver --redirect-downloads
      file contents through a 302 to a second port with presigned URLs (like S3)

The seeded users' tokens are printed at start-up; send them as "Authorization: Bearer <token>".
The admin token unlocks fault injection, e.g.:
  $ curl -X POST -H "Authorization: Bearer $ADMIN" -H "Content-Type: application/json" \\
      -d '{"method":"GET","path":"/api/**","status":503,"headers":{"Retry-After":"1"},"times":2}' \\
      http://127.0.0.1:5000/_devserver/faults
`;

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new InvalidArgumentError("must be an integer from 0 to 65535.");
  }
  return port;
}

interface CliOptions {
  port: number;
  host: string;
  dataDir?: string;
  memory?: boolean;
  config?: string;
  flavour: "nrp" | "rdm";
  tlsKey?: string;
  tlsCert?: string;
  redirectDownloads?: boolean;
  rangeRequests?: boolean;
  quiet?: boolean;
}

function printBanner(server: DevServer): void {
  const where = server.dataDir === undefined ? "in memory" : server.dataDir;
  const lines = [
    `nrp-devserver listening on ${server.url}`,
    `  flavour ${server.flavour}, data ${where}`,
    ...(server.storageUrl === undefined
      ? []
      : [`  downloads redirect to presigned URLs on ${server.storageUrl}`]),
    "",
  ];
  const rows = server.users.map((u) => [u.username, u.email, u.token]);
  const header = ["user", "email", "token"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  for (const row of [header, ...rows]) {
    lines.push(
      `  ${row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd()}`,
    );
  }
  if (server.flavour === "nrp" && server.config.communities.length > 0) {
    lines.push("", "  communities (slug, UUID):");
    for (const c of server.config.communities) lines.push(`    ${c.slug}  ${c.id}`);
  }
  lines.push("", "Press Ctrl+C to stop");
  process.stdout.write(`${lines.join("\n")}\n`);
}

function describeStartError(error: unknown, options: CliOptions): string {
  if (error instanceof DevServerConfigError) return error.message;
  const err = error as NodeJS.ErrnoException;
  switch (err.code) {
    case "EADDRINUSE":
      return `port ${options.port} on ${options.host} is already in use (choose another with --port, or --port 0 for any free port)`;
    case "EACCES":
      return `not allowed to listen on ${options.host}:${options.port} (ports below 1024 need privileges)`;
    case "EADDRNOTAVAIL":
      return `cannot listen on ${options.host}: no such local address`;
    default:
      return err.message;
  }
}

/** How far V8 lets the old generation grow past what the last full collection kept: 5×. */
const HEAP_GROWING_PERCENT = 400;

/**
 * Lets the server's heap grow to 5× what survived the last full collection before the next one
 * (unless Node was started with a `--heap-growing-percent` of its own). Why: each 16 KiB TLS
 * record of an upload and each block a download reads is a Buffer whose memory V8 counts against
 * the heap's limit; with the devserver's small heap (~8 MB) that started a full mark-compact every
 * ~13 MiB transferred (19 for a 256 MiB upload and download, 2 with this setting), a fifth of the
 * server's user CPU on uploads and half of it on downloads (bench/RESULTS.md, "Devserver CPU").
 * Only the standalone server does this: an embedding process keeps its own settings.
 */
function tuneGarbageCollection(): void {
  const given = [...process.execArgv, process.env["NODE_OPTIONS"] ?? ""].join(" ");
  if (given.includes("heap-growing-percent") || given.includes("heap_growing_percent")) return;
  setFlagsFromString(`--heap-growing-percent=${String(HEAP_GROWING_PERCENT)}`);
}

async function run(argv: readonly string[]): Promise<void> {
  const program = new Command()
    .name("nrp-devserver")
    .description(
      "Run a local Invenio-compatible repository (NRP/oarepo 12 or InvenioRDM 13) for tests and demos.",
    )
    .option("-p, --port <port>", "TCP port (0 = any free port)", parsePort, 5000)
    .option("-H, --host <host>", "interface to bind", "127.0.0.1")
    .addOption(
      new Option(
        "-d, --data-dir <dir>",
        "keep the database and files here (survives restarts)",
      ).conflicts("memory"),
    )
    .option("-m, --memory", "keep everything in memory (the default without --data-dir)")
    .option("-c, --config <file>", "YAML or JSON file with repository, models and users")
    .addOption(
      new Option("-f, --flavour <flavour>", "which server to imitate")
        .choices(["nrp", "rdm"])
        .default("nrp"),
    )
    .option("--tls-key <file>", "serve HTTPS with this private key (PEM); needs --tls-cert")
    .option("--tls-cert <file>", "serve HTTPS with this certificate (PEM); needs --tls-key")
    .option(
      "--redirect-downloads",
      "serve file contents through a 302 to presigned URLs on a second port (like S3)",
    )
    .option(
      "--range-requests",
      "honour Range on file contents (206); on by default in nrp, off in rdm as in InvenioRDM 13",
    )
    .option("-q, --quiet", "do not log requests to stderr")
    .addHelpText("after", EXAMPLES)
    .showHelpAfterError("(run nrp-devserver --help for usage)");
  program.parse(argv, { from: "user" });
  const options = program.opts<CliOptions>();
  if ((options.tlsKey === undefined) !== (options.tlsCert === undefined)) {
    program.error("error: --tls-key and --tls-cert go together", { exitCode: 1 });
  }

  const serverOptions: DevServerOptions = {
    port: options.port,
    host: options.host,
    flavour: options.flavour,
  };
  if (options.dataDir !== undefined) serverOptions.dataDir = options.dataDir;
  if (options.memory === true) serverOptions.memory = true;
  if (options.config !== undefined) serverOptions.configFile = options.config;
  if (options.tlsKey !== undefined && options.tlsCert !== undefined) {
    serverOptions.tls = { key: options.tlsKey, cert: options.tlsCert };
  }
  if (options.redirectDownloads === true) serverOptions.redirectDownloads = true;
  if (options.rangeRequests === true) serverOptions.rangeRequests = true;
  if (options.quiet !== true) {
    serverOptions.log = (line) => {
      process.stderr.write(`${line}\n`);
    };
  }

  tuneGarbageCollection();
  let server: DevServer;
  try {
    server = await startDevServer(serverOptions);
  } catch (error) {
    process.stderr.write(`nrp-devserver: ${describeStartError(error, options)}\n`);
    process.exitCode = 1;
    return;
  }
  printBanner(server);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`nrp-devserver: ${signal}, shutting down\n`);
    server.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        process.stderr.write(`nrp-devserver: error while closing: ${String(error)}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("must be a non-negative integer.");
  return Number(value);
}

async function seed(argv: readonly string[]): Promise<void> {
  const command = new Command()
    .name("nrp-devserver seed")
    .description(
      "Add published records with realistic metadata and creation times to a data directory.",
    )
    .requiredOption("-n, --records <count>", "how many records", parseCount)
    .requiredOption("-d, --data-dir <dir>", "the data directory (created when missing)")
    .option("--model <model>", "model of the records (default: the first configured)")
    .option("-c, --config <file>", "YAML or JSON config the server runs with")
    .option("--seed <n>", "pseudo-random seed, for a reproducible set", parseCount, 1)
    .showHelpAfterError();
  command.parse(argv, { from: "user" });
  const o = command.opts<{
    records: number;
    dataDir: string;
    model?: string;
    config?: string;
    seed: number;
  }>();
  try {
    const result = await seedRecords({
      dataDir: o.dataDir,
      records: o.records,
      seed: o.seed,
      ...(o.model === undefined ? {} : { model: o.model }),
      ...(o.config === undefined ? {} : { configFile: o.config }),
    });
    process.stdout.write(
      `seeded ${String(result.records)} ${result.model} records into ${o.dataDir} in ${(result.milliseconds / 1000).toFixed(1)} s\n`,
    );
  } catch (error) {
    const message =
      error instanceof DevServerConfigError || error instanceof Error
        ? error.message
        : String(error);
    process.stderr.write(`nrp-devserver seed: ${message}\n`);
    process.exitCode = 1;
  }
}

function token(argv: readonly string[]): void {
  const command = new Command()
    .name("nrp-devserver token")
    .description(
      "Print the personal access token of a seeded user (owner, depositor, curator, admin) of a\n" +
        "data directory, running or not: tokens stay the same across restarts.",
    )
    .argument("<user>", "the user name, e.g. owner")
    .requiredOption("-d, --data-dir <dir>", "the data directory the server runs (or ran) with")
    .showHelpAfterError();
  command.parse(argv, { from: "user" });
  const [user = ""] = command.args;
  const { dataDir } = command.opts<{ dataDir: string }>();
  try {
    process.stdout.write(`${readUserToken(dataDir, user)}\n`);
  } catch (error) {
    if (!(error instanceof TokenLookupError)) throw error;
    process.stderr.write(`nrp-devserver token: ${error.message}\n`);
    process.exitCode = 1;
  }
}

const args = process.argv.slice(2);
if (args[0] === "seed") await seed(args.slice(1));
else if (args[0] === "token") token(args.slice(1));
else await run(args);

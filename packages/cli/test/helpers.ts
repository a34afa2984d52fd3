import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";

import { main } from "nrp-invenio-cli";
import type { CliIO } from "nrp-invenio-cli";
import { startDevServer } from "nrp-invenio-devserver";
import type { DevServer, DevServerOptions } from "nrp-invenio-devserver";
import { afterAll, beforeAll, expect } from "vitest";

// Tests index deep into server JSON; the assertions are the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** Captured result of one `nrp` invocation. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  prompts: { question: string; secret: boolean }[];
  opened: string[];
  /** Binary data written to standard output (`-o -`). */
  bytes: Buffer;
}

/** Options for a fake terminal. */
export interface FakeOptions {
  env?: Record<string, string | undefined>;
  /** Pretend stdout is a terminal (tables by default). */
  tty?: boolean;
  /** Answers for io.prompt, in order; undefined = no prompt available (stdin not a TTY). */
  answers?: string[];
  /** What the fake browser opener reports. */
  browser?: boolean;
  signal?: AbortSignal;
  /** Standard input (not a terminal). */
  stdin?: NodeJS.ReadableStream;
  /** Pretend stderr is a terminal (progress bars) independently of `tty`. */
  stderrTty?: boolean;
  /** The working directory relative paths start from. */
  cwd?: string;
}

/** Runs `nrp argv` in-process with captured streams and a fake prompt/browser. */
export async function run(argv: string[], opts: FakeOptions = {}): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const prompts: RunResult["prompts"] = [];
  const opened: string[] = [];
  const chunks: Buffer[] = [];
  const tty = opts.tty ?? false;
  const io: CliIO = {
    stdout: {
      write: (s: string) => (stdout += s),
      isTTY: tty,
      columns: 120,
    },
    stderr: { write: (s: string) => (stderr += s), isTTY: opts.stderrTty ?? tty, columns: 100 },
    stdoutBytes: new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    }),
    env: opts.env ?? {},
    openBrowser: (url: string) => {
      opened.push(url);
      return Promise.resolve(opts.browser ?? false);
    },
  };
  if (opts.answers) {
    const answers = [...opts.answers];
    io.prompt = (question, o) => {
      prompts.push({ question, secret: o.secret });
      return Promise.resolve(answers.shift() ?? "");
    };
  }
  if (opts.signal) io.signal = opts.signal;
  if (opts.stdin) io.stdin = opts.stdin;
  if (opts.cwd !== undefined) io.cwd = opts.cwd;
  const code = await main(argv, io);
  return { code, stdout, stderr, prompts, opened, bytes: Buffer.concat(chunks) };
}

/** A temporary HOME with a config path inside; `cleanup` removes it. */
export async function tempHome(): Promise<{
  home: string;
  config: string;
  env: Record<string, string>;
  cleanup: () => Promise<void>;
}> {
  const home = await mkdtemp(path.join(tmpdir(), "nrp-cli-test-"));
  return {
    home,
    config: path.join(home, ".nrp", "config.yaml"),
    env: { HOME: home },
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

/** A temporary HOME from {@link tempHome}. */
export type TempHome = Awaited<ReturnType<typeof tempHome>>;

/** `nrp` bound to a temporary HOME and its configuration (see {@link withAlias}). */
export type HomeRunner = (argv: string[], opts?: FakeOptions) => Promise<RunResult>;

/**
 * Runs `fn` with a temporary HOME whose configuration holds one alias, `alias`, to `url`, added
 * without a token and without asking the server; `nrp` passes that configuration and HOME (and
 * any more environment given). The HOME is removed afterwards.
 */
export async function withAlias<T>(
  url: string,
  alias: string,
  fn: (nrp: HomeRunner, home: TempHome) => Promise<T>,
): Promise<T> {
  const home = await tempHome();
  try {
    const nrp: HomeRunner = (argv, opts = {}) =>
      run(["--config", home.config, ...argv], { ...opts, env: { ...home.env, ...opts.env } });
    const add = await nrp(["add", "alias", url, alias, "--skip-token", "--no-check"]);
    if (add.code !== 0) throw new Error(`add alias failed: ${add.stderr}`);
    return await fn(nrp, home);
  } finally {
    await home.cleanup();
  }
}

/** How {@link useDevserverCli} sets up a test file. */
export interface DevserverCliOptions {
  /** Options of the devserver, e.g. `{ flavour: "rdm" }`, or a function preparing them (seeding). */
  server?: DevServerOptions | (() => Promise<DevServerOptions>);
  /** The alias added, with the owner's token, as the default. @default "dev" */
  alias?: string;
  /** Run commands in the scratch directory instead of the process's. @default false */
  cwdInWork?: boolean;
  /** More environment for every command, given the running server. */
  env?: (server: DevServer) => Record<string, string>;
}

/** What {@link useDevserverCli} provides once its `beforeAll` has run. */
export interface DevserverCli {
  /** The running devserver. */
  readonly server: DevServer;
  /** The temporary HOME holding the configuration. */
  readonly home: TempHome;
  /** A scratch directory, removed afterwards. */
  readonly work: string;
  /** Runs `nrp --config <home> argv` with `NO_COLOR` and the options' environment. */
  nrp: (argv: string[], opts?: FakeOptions) => Promise<RunResult>;
}

/**
 * Starts a devserver, a temporary HOME with an alias for the owner and a scratch directory before
 * the tests of the calling `describe`, and removes them after.
 *
 * Every CLI test file against the devserver needs the same setup; one copy keeps them alike.
 */
export function useDevserverCli(options: DevserverCliOptions = {}): DevserverCli {
  let state: { server: DevServer; home: TempHome; work: string } | undefined;
  const ready = (): NonNullable<typeof state> => {
    if (state === undefined) throw new Error("useDevserverCli: used before its beforeAll ran");
    return state;
  };
  const cli: DevserverCli = {
    get server() {
      return ready().server;
    },
    get home() {
      return ready().home;
    },
    get work() {
      return ready().work;
    },
    nrp: (argv, opts = {}) => {
      const { server, home, work } = ready();
      return run(["--config", home.config, ...argv], {
        ...(options.cwdInWork === true ? { cwd: work } : {}),
        ...opts,
        env: { ...home.env, NO_COLOR: "1", ...options.env?.(server), ...opts.env },
      });
    },
  };
  beforeAll(async () => {
    const serverOptions =
      typeof options.server === "function" ? await options.server() : options.server;
    const server = await startDevServer(serverOptions);
    const home = await tempHome();
    const work = await mkdtemp(path.join(tmpdir(), "nrp-cli-work-"));
    state = { server, home, work };
    const alias = options.alias ?? "dev";
    const r = await cli.nrp(["add", "alias", server.url, alias, "--token", server.tokens.owner]);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    if (state === undefined) return;
    await state.server.close();
    await state.home.cleanup();
    await rm(state.work, { recursive: true, force: true });
  });
  return cli;
}

/** The JSON a command printed, after checking that it succeeded (its stderr explains if not). */
export function jsonOf(r: RunResult): Json {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Json;
}

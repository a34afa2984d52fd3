import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";

import { main } from "nrp-invenio-cli";
import type { CliIO } from "nrp-invenio-cli";

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

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** A writable text stream as the CLI sees it: enough to print and to decide on tables and colour. */
export interface CliStream {
  /** Writes text as is (no newline added). */
  write(s: string): unknown;
  /** True when a terminal is attached: tables and colours are chosen from it. */
  isTTY?: boolean;
  /** Terminal width, used to wrap tables. */
  columns?: number;
}

/** Options for {@link CliIO.prompt}. */
export interface PromptOptions {
  /** Hide the typed characters (tokens, passwords). */
  secret: boolean;
}

/**
 * Everything the CLI touches in the outside world.
 *
 * Commands receive it through their context instead of reaching for `process`, so tests run the whole
 * CLI in-process with captured output, a fake prompt and a temporary home directory.
 */
export interface CliIO {
  /** Where data goes (tables, JSON, YAML). */
  stdout: CliStream;
  /** Where messages, warnings, progress and errors go. */
  stderr: CliStream;
  /** Standard input, when there is one. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** The environment (NO_COLOR, NRP_INVENIO_CLIENT_*, HOME). */
  env: Record<string, string | undefined>;
  /**
   * Asks the user a question and resolves with the answer; absent when nobody can answer
   * (stdin is not a terminal).
   */
  prompt?: (question: string, opts: PromptOptions) => Promise<string>;
  /** Opens a URL in the user's browser; resolves `false` when that did not work. Best effort. */
  openBrowser?: (url: string) => Promise<boolean>;
  /** Aborted when the user interrupts (SIGINT); every network call of a command listens to it. */
  signal?: AbortSignal;
  /**
   * Standard output as a byte stream, for binary data (`nrp download file ... -o -`). When absent,
   * `stdout` itself is used if it is a Node stream, as it is in the real process.
   */
  stdoutBytes?: NodeJS.WritableStream;
  /** The directory relative output paths start from (default: the process's working directory). */
  cwd?: string;
}

type TtyInput = NodeJS.ReadableStream & {
  isTTY?: boolean;
  setRawMode?: (mode: boolean) => unknown;
};

/**
 * Reads one line from a terminal without echoing it.
 *
 * Raw mode instead of muting readline's output keeps to public Node APIs.
 */
function readSecret(input: TtyInput, output: CliStream, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    output.write(question);
    let answer = "";
    const setRaw = (on: boolean): void => {
      if (typeof input.setRawMode === "function") input.setRawMode(on);
    };
    const finish = (err?: Error): void => {
      input.removeListener("data", onData);
      setRaw(false);
      input.pause();
      output.write("\n");
      if (err) reject(err);
      else resolve(answer);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString()) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") {
          finish();
          return;
        }
        if (ch === "\u0003") {
          const err = new Error("Interrupted while reading input.");
          err.name = "AbortError";
          finish(err);
          return;
        }
        if (ch === "\u007f" || ch === "\b") answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    setRaw(true);
    input.resume();
    input.on("data", onData);
  });
}

function readLine(input: NodeJS.ReadableStream, question: string): Promise<string> {
  const rl = createInterface({ input, output: process.stderr, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer);
    });
  });
}

/**
 * Opens a URL with the platform's opener (`xdg-open`, `open`, `start`); best effort.
 *
 * Failure is normal on a headless machine: the URL has already been printed for the user.
 */
export function openInBrowser(url: string): Promise<boolean> {
  const [cmd, args]: [string, string[]] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", '""', url]]
        : ["xdg-open", [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd, args, { stdio: "ignore", detached: true });
      child.once("error", () => {
        resolve(false);
      });
      child.once("spawn", () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}

/**
 * The real process's IO: stdout/stderr, the environment, a terminal prompt when stdin is a TTY.
 *
 * Only `bin.ts` and `main()` without an `io` argument use it; commands never see `process`.
 */
export function processIO(signal?: AbortSignal): CliIO {
  const stdin = process.stdin as TtyInput;
  const io: CliIO = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin,
    env: process.env,
    openBrowser: openInBrowser,
  };
  if (stdin.isTTY === true) {
    io.prompt = (question, opts) =>
      opts.secret ? readSecret(stdin, process.stderr, question) : readLine(stdin, question);
  }
  if (signal) io.signal = signal;
  return io;
}

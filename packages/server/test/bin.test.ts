import { spawn, execFile, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, test } from "vitest";
import { startDevServer } from "nrp-invenio-devserver";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const tsc = fileURLToPath(new URL("../../../node_modules/typescript/bin/tsc", import.meta.url));

function start(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [bin, ...args], { stdio: "pipe" });
}

function exit(
  child: ChildProcessWithoutNullStreams,
): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      resolve({ code, signal });
    });
  });
}

function collect(stream: NodeJS.ReadableStream): () => string {
  let text = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => (text += chunk));
  return () => text;
}

function waitFor(
  read: () => string,
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = (): void => {
      const match = pattern.exec(read());
      if (match !== null) resolve(match);
      else if (Date.now() - started > timeoutMs)
        reject(new Error(`timed out waiting for ${pattern}: ${read()}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

describe("nrp-devserver bin", () => {
  // The bin runs as a separate Node process, so it runs from the compiled output.
  beforeAll(async () => {
    await promisify(execFile)(process.execPath, [tsc, "-b", packageDir]);
  }, 120_000);

  test("starts on a free port, prints URL and tokens, stops cleanly on SIGTERM", async () => {
    const child = start(["--port", "0", "--memory", "--quiet"]);
    const exited = exit(child);
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    const [, url] = await waitFor(
      stdout,
      /nrp-devserver listening on (http:\/\/127\.0\.0\.1:\d+)\n/,
    );
    await waitFor(stdout, /Press Ctrl\+C to stop/);
    const owner = /^\s+owner\s+owner@example\.org\s+(\S+)$/m.exec(stdout())?.[1];
    expect(owner).toBeDefined();
    expect(stdout()).toMatch(/^\s+admin\s+admin@example\.org\s+\S+$/m);
    expect(stdout()).toMatch(/^\s+physics\s+3f1c0b6e-7a52-4d8e-9c41-0e6a2b7d5f01$/m);
    const res = await fetch(`${url}/api/user/search/`, {
      headers: { Authorization: `Bearer ${owner}` },
    });
    expect(res.status).toBe(200);
    child.kill("SIGTERM");
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(stderr()).not.toMatch(/\n\s+at /);
  });

  test("SIGINT also stops it with exit code 0", async () => {
    const child = start(["--port", "0", "--flavour", "rdm"]);
    const exited = exit(child);
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    const [, url] = await waitFor(stdout, /listening on (\S+)\n/);
    expect((await fetch(`${url}/api/records`)).status).toBe(200);
    await waitFor(stderr, /GET \/api\/records 200/);
    child.kill("SIGINT");
    expect(await exited).toEqual({ code: 0, signal: null });
  });

  test("--redirect-downloads starts the storage origin and names it in the banner", async () => {
    const child = start(["--port", "0", "--memory", "--quiet", "--redirect-downloads"]);
    const exited = exit(child);
    const stdout = collect(child.stdout);
    const [, storage] = await waitFor(
      stdout,
      /downloads redirect to presigned URLs on (http:\/\/127\.0\.0\.1:\d+)\n/,
    );
    // Unsigned requests are refused there.
    expect((await fetch(`${storage}/storage/x`)).status).toBe(403);
    child.kill("SIGTERM");
    expect(await exited).toEqual({ code: 0, signal: null });
  });

  test("a port in use is a one-line error and exit code 1", async () => {
    const taken = await startDevServer();
    try {
      const port = new URL(taken.url).port;
      const child = start(["--port", port]);
      const stderr = collect(child.stderr);
      expect((await exit(child)).code).toBe(1);
      expect(stderr().trim().split("\n")).toEqual([
        `nrp-devserver: port ${port} on 127.0.0.1 is already in use (choose another with --port, or --port 0 for any free port)`,
      ]);
    } finally {
      await taken.close();
    }
  });

  test("token prints a user's token from a data directory, while the server runs and after", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "nrp-devserver-token-"));
    try {
      const token = async (...args: string[]) => {
        const child = start(["token", ...args]);
        const out = collect(child.stdout);
        const err = collect(child.stderr);
        const { code } = await exit(child);
        return { code, stdout: out(), stderr: err() };
      };
      const missing = await token("owner", "--data-dir", dataDir);
      expect(missing).toMatchObject({ code: 1, stdout: "" });
      expect(missing.stderr).toBe(
        `nrp-devserver token: no devserver data in ${dataDir}: start nrp-devserver --data-dir ${dataDir} first\n`,
      );

      const child = start(["--port", "0", "--data-dir", dataDir, "--quiet"]);
      const exited = exit(child);
      const stdout = collect(child.stdout);
      await waitFor(stdout, /Press Ctrl\+C to stop/);
      const printed = /^\s+curator\s+curator@example\.org\s+(\S+)$/m.exec(stdout())?.[1];
      const running = await token("curator", "--data-dir", dataDir);
      expect(running).toEqual({ code: 0, stdout: `${printed ?? "?"}\n`, stderr: "" });
      child.kill("SIGTERM");
      expect((await exited).code).toBe(0);

      expect(await token("curator", "-d", dataDir)).toEqual(running);
      const nobody = await token("nobody", "-d", dataDir);
      expect(nobody.code).toBe(1);
      expect(nobody.stderr).toBe(
        `nrp-devserver token: no user "nobody" in ${dataDir} (users: owner, depositor, curator, admin)\n`,
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test("a bad config file is a one-line error naming the file", async () => {
    const child = start(["--port", "0", "--config", "/nonexistent/devserver.yaml"]);
    const stderr = collect(child.stderr);
    expect((await exit(child)).code).toBe(1);
    expect(stderr().trim()).toBe("nrp-devserver: /nonexistent/devserver.yaml: file not found");
  });

  test("--help teaches with examples; a bad flag is a usage error", async () => {
    const help = start(["--help"]);
    const stdout = collect(help.stdout);
    expect((await exit(help)).code).toBe(0);
    expect(stdout()).toContain("--data-dir <dir>");
    expect(stdout()).toContain("Examples:");
    expect(stdout()).toContain("/_devserver/faults");
    const bad = start(["--flavour", "zenodo"]);
    const stderr = collect(bad.stderr);
    expect((await exit(bad)).code).not.toBe(0);
    expect(stderr()).toContain("Allowed choices are nrp, rdm");
  });
});

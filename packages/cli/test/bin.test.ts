import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { startDevServer, testTlsFixtures } from "nrp-invenio-devserver";
import type { DevServer } from "nrp-invenio-devserver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_VERSION } from "nrp-invenio-cli";
import { VERSION } from "nrp-invenio-client";

import { run, tempHome } from "./helpers.js";

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../../..", import.meta.url));
// The published bin: it loads the bundle (scripts/bundle.mjs) built from dist/.
const bin = fileURLToPath(new URL("../bin/nrp.js", import.meta.url));

describe("the built and bundled nrp binary", () => {
  let server: DevServer;
  let home: Awaited<ReturnType<typeof tempHome>>;

  beforeAll(async () => {
    // Build (a no-op when up to date) and bundle, so the test never runs a stale or missing dist/.
    await exec("npx", ["tsc", "-b", "packages/cli"], { cwd: root });
    await exec(process.execPath, ["packages/cli/scripts/bundle.mjs"], { cwd: root });
    server = await startDevServer();
    home = await tempHome();
    const add = await run(
      ["--config", home.config, "add", "alias", server.url, "dev", "--skip-token"],
      {
        env: home.env,
      },
    );
    expect(add.code, add.stderr).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await server.close();
    await home.cleanup();
  });

  function nrp(argv: string[]) {
    return exec(process.execPath, [bin, ...argv], {
      env: { PATH: process.env["PATH"], HOME: home.home, NO_COLOR: "1" },
    });
  }

  it("prints its version", async () => {
    const { stdout } = await nrp(["--version"]);
    expect(stdout).toContain(`nrp ${CLI_VERSION} (nrp-invenio-client `);
  });

  it("describes the repository through --config, as JSON when piped", async () => {
    const { stdout, stderr } = await nrp(["--config", home.config, "describe", "repository"]);
    expect(stderr).toBe("");
    const doc = JSON.parse(stdout) as Record<string, unknown>;
    expect(doc["url"]).toBe(server.url);
    expect(doc["kind"]).toBe("nrp");
  });

  it("loads one HTTP stack: undici's pool, never Node's bundled copy of undici", async () => {
    // Node's own fetch loads internal/deps/undici on first touch of fetch, Headers, Request, …
    const report =
      "data:text/javascript,process.on('exit',()=>process.stderr.write(JSON.stringify(process.moduleLoadList)))";
    const { stdout, stderr } = await exec(
      process.execPath,
      ["--import", report, bin, "--config", home.config, "describe", "repository"],
      { env: { PATH: process.env["PATH"], HOME: home.home, NO_COLOR: "1" } },
    );
    expect((JSON.parse(stdout) as Record<string, unknown>)["url"]).toBe(server.url);
    const loaded = JSON.parse(stderr) as string[];
    expect(loaded.filter((m) => m.includes("internal/deps/undici"))).toEqual([]);
    // Nor Node's http2, which undici's HTTP/2 client loads and the bundle leaves out.
    expect(loaded).not.toContain("NativeModule http2");
    // The request really went through undici (its connection pool is what sent it).
    expect(loaded.some((m) => m === "NativeModule net")).toBe(true);
  });

  it("takes undici and YAML from the bundle: no file of node_modules is loaded", async () => {
    // Every CommonJS file loaded (the bundle's chunks are ES modules and import only node:…).
    const report =
      "data:text/javascript,import{createRequire}from'node:module';const r=createRequire(process.argv[1]);" +
      "process.on('exit',()=>process.stderr.write(JSON.stringify(Object.keys(r.cache))))";
    const { stdout, stderr } = await exec(
      process.execPath,
      [
        "--import",
        report,
        bin,
        "--config",
        home.config,
        "describe",
        "repository",
        "--format",
        "yaml",
      ],
      { env: { PATH: process.env["PATH"], HOME: home.home, NO_COLOR: "1" } },
    );
    expect(stdout).toContain(`url: ${server.url}`);
    const loaded = (JSON.parse(stderr) as string[]).map((f) => f.replaceAll("\\", "/"));
    expect(loaded.filter((f) => f.includes("/node_modules/"))).toEqual([]);
    // The bin itself (CommonJS) and the two bundled packages the command needs.
    expect(loaded.map((f) => f.split("/packages/cli/")[1]).sort()).toEqual([
      "bin/nrp.js",
      "dist/bundle/lib/undici.cjs",
      "dist/bundle/lib/yaml.cjs",
    ]);
  });

  it("sends a command's requests, made one after another, over one connection", async () => {
    // Over HTTPS, where each further connection costs a TLS handshake; undici's debug log
    // (NODE_DEBUG=undici, on stderr) names each connection it opens.
    const tlsServer = await startDevServer({
      tls: { key: testTlsFixtures.key, cert: testTlsFixtures.cert },
    });
    try {
      const { stdout, stderr } = await exec(process.execPath, [bin, "describe", "repository"], {
        env: {
          PATH: process.env["PATH"],
          HOME: home.home,
          NODE_DEBUG: "undici",
          NRP_INVENIO_CLIENT_SERVER_URL: tlsServer.url,
          NRP_INVENIO_CLIENT_VERIFY: testTlsFixtures.ca,
        },
      });
      expect((JSON.parse(stdout) as Record<string, unknown>)["url"]).toBe(tlsServer.url);
      expect(tlsServer.requestLog.map((r) => r.path)).toEqual([
        "/.well-known/repository/",
        "/.well-known/repository/models",
      ]);
      expect(stderr.match(/connected to/g)).toHaveLength(1);
    } finally {
      await tlsServer.close();
    }
  });

  it("answers a lone --version without loading the CLI", async () => {
    const report =
      "data:text/javascript,process.on('exit',()=>process.stderr.write(JSON.stringify(process.moduleLoadList)))";
    const { stdout, stderr } = await exec(process.execPath, ["--import", report, bin, "-V"], {
      env: { PATH: process.env["PATH"], HOME: home.home },
    });
    expect(stdout).toBe(`nrp ${CLI_VERSION} (nrp-invenio-client ${VERSION})\n`);
    // Neither commander's child_process nor the library's crypto: nothing of the CLI ran.
    const loaded = JSON.parse(stderr) as string[];
    expect(loaded).not.toContain("NativeModule child_process");
    expect(loaded).not.toContain("NativeModule crypto");
  });

  it("SIGINT aborts a running command and exits 130", async () => {
    server.faults.add({ path: "/**", delayMs: 10_000, times: 5 });
    const before = server.requestLog.length;
    try {
      const child = spawn(
        process.execPath,
        [bin, "--config", home.config, "describe", "repository"],
        {
          env: { PATH: process.env["PATH"], HOME: home.home },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      // Wait until the request is in flight, then interrupt.
      await expect
        .poll(() => server.requestLog.length > before, {
          message: "the request to be logged",
          interval: 10,
          timeout: 10_000,
        })
        .toBe(true);
      const started = Date.now();
      child.kill("SIGINT");
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      expect(code).toBe(130);
      expect(stderr).toContain("Interrupted");
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      server.faults.clear();
    }
  });

  it("exits with the documented code on a usage error", async () => {
    const err = (await nrp(["--bogus"]).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(err.code).toBe(2);
    expect(err.stderr).toContain("unknown option");
  });

  it("stops quietly when its reader goes away (nrp ... | head)", async () => {
    const child = spawn(process.execPath, [bin, "--help"], {
      env: { PATH: process.env["PATH"], HOME: home.home, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // The reader closes before nrp writes: every write then fails with EPIPE.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).not.toContain("EPIPE");
    expect(stderr).not.toContain("Unhandled");
    expect(code).toBe(141);
  });
});

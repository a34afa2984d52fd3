import { readFile, stat, writeFile, mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { networkInterfaces } from "node:os";
import path from "node:path";

import { startDevServer } from "nrp-invenio-devserver";
import type { DevServer } from "nrp-invenio-devserver";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

import { isLoopback } from "../src/commands/alias/add.js";
import { run, tempHome } from "./helpers.js";

let server: DevServer;
let home: Awaited<ReturnType<typeof tempHome>>;

beforeAll(async () => {
  server = await startDevServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  home = await tempHome();
});
afterEach(async () => {
  await home.cleanup();
});

/** `nrp --config <temp> ...argv` with the temporary HOME. */
function nrp(argv: string[], opts: Parameters<typeof run>[1] = {}) {
  return run(["--config", home.config, ...argv], { env: home.env, ...opts });
}

async function savedConfig(): Promise<Record<string, unknown>> {
  return parseYaml(await readFile(home.config, "utf8")) as Record<string, unknown>;
}

async function listJson(): Promise<Record<string, unknown>[]> {
  const r = await nrp(["list", "aliases", "--format", "json"]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

/** A port nothing listens on: bind, read the port, close. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const address = srv.address();
  await new Promise<void>((resolve) => {
    srv.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("nrp add alias", () => {
  it("saves an alias with --token after checking the repository", async () => {
    const token = server.tokens.owner;
    const r = await nrp(["add", "alias", `${server.url}/`, "local", "--token", token]);
    expect(r.stderr).toMatch(/Found ".+" \(NRP repository/);
    expect(r.stderr).toContain("datasets");
    expect(r.stderr).toContain("as the default alias");
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(token);

    const cfg = await savedConfig();
    expect(cfg["default_repository"]).toBe("local");
    const repos = cfg["repositories"] as Record<string, unknown>[];
    expect(repos).toHaveLength(1);
    expect(repos[0]).toMatchObject({ alias: "local", token });
    // The trailing slash is stripped.
    expect(JSON.stringify(repos[0])).toContain(`"${server.url}"`);
    expect((await stat(home.config)).mode & 0o777).toBe(0o600);
  });

  it("asks for the token with a secret prompt and opens the token page", async () => {
    const r = await nrp(["alias", "add", server.url, "prompted"], {
      answers: [`  ${server.tokens.depositor}\n`],
      browser: true,
    });
    expect(r.code).toBe(0);
    const tokenUrl = `${server.url}/account/settings/applications/tokens/new`;
    expect(r.stderr).toContain(tokenUrl);
    expect(r.opened).toEqual([tokenUrl]);
    expect(r.prompts).toHaveLength(1);
    expect(r.prompts[0]!.secret).toBe(true);
    const repos = (await savedConfig())["repositories"] as Record<string, unknown>[];
    expect(repos[0]!["token"]).toBe(server.tokens.depositor);
  });

  it("fails with a usage error when no token is given and nobody can be asked", async () => {
    const r = await nrp(["add", "alias", server.url, "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error: No token given/m);
    expect(r.stderr).toContain("--token");
    expect(r.stderr).toContain("--skip-token");
    await expect(stat(home.config)).rejects.toThrow();
  });

  it("rejects an empty answer at the prompt", async () => {
    const r = await nrp(["add", "alias", server.url, "x"], { answers: [""] });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("No token entered");
  });

  it("saves without a token with --skip-token; the alias defaults to the host", async () => {
    const r = await nrp(["add", "alias", server.url.replace("http://", "HTTP://"), "--skip-token"]);
    expect(r.code).toBe(0);
    const views = await listJson();
    expect(views).toEqual([
      { alias: "127.0.0.1", url: server.url, default: true, verify: true, token: null },
    ]);
  });

  it("stores --no-verify", async () => {
    const r = await nrp(["add", "alias", server.url, "nv", "--skip-token", "--no-verify"]);
    expect(r.code).toBe(0);
    const repos = (await savedConfig())["repositories"] as Record<string, unknown>[];
    expect(repos[0]!["verify"]).toBe(false);
    expect((await listJson())[0]!["verify"]).toBe(false);
  });

  it("refuses to overwrite an existing alias unless --force", async () => {
    expect((await nrp(["add", "alias", server.url, "dup", "--skip-token"])).code).toBe(0);
    const r = await nrp(["add", "alias", server.url, "dup", "--token", "t0k3n"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('The alias "dup" already exists');
    expect(r.stderr).toContain(home.config);
    expect(r.stderr).toContain("--force");
    expect((await listJson())[0]!["token"]).toBeNull();

    const forced = await nrp(["add", "alias", server.url, "dup", "--token", "t0k3n", "--force"]);
    expect(forced.code).toBe(0);
    const views = await listJson();
    expect(views).toHaveLength(1);
    expect(views[0]).toMatchObject({ alias: "dup", token: "***", default: true });
  });

  it("exits 6 with a clear message and saves nothing when the URL is unreachable", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await nrp(["add", "alias", url, "down", "--skip-token"]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(
      new RegExp(`^Error: Could not reach ${url.replace(/\./g, "\\.")}`, "m"),
    );
    expect(r.stderr).toContain("Nothing was saved");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    await expect(stat(home.config)).rejects.toThrow();
  });

  it("a server that is not an Invenio repository: exit 4, nothing saved", async () => {
    const http = await import("node:http");
    const other = http.createServer((_req, res) => {
      res.writeHead(404, { "content-type": "text/html" }).end("<html>nothing here</html>");
    });
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    try {
      const address = other.address();
      if (address === null || typeof address === "string") throw new Error("no port");
      const url = `http://127.0.0.1:${address.port}`;
      const r = await nrp(["add", "alias", url, "web", "--skip-token"]);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain("does not look like an Invenio repository");
      expect(r.stderr).toContain("Nothing was saved");
      await expect(stat(home.config)).rejects.toThrow();
    } finally {
      await new Promise<void>((resolve) => {
        other.close(() => {
          resolve();
        });
      });
    }
  });

  it("--quiet prints no messages, only data", async () => {
    const r = await nrp([
      "-q",
      "add",
      "alias",
      server.url,
      "q",
      "--skip-token",
      "--format",
      "json",
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toMatchObject({ alias: "q" });
  });

  it("--no-check saves an unreachable URL", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await nrp(["add", "alias", url, "later", "--skip-token", "--no-check"]);
    expect(r.code).toBe(0);
    expect((await listJson())[0]).toMatchObject({ alias: "later", url });
  });

  it("rejects --token together with --skip-token, and a malformed URL", async () => {
    const both = await nrp(["add", "alias", server.url, "--token", "t", "--skip-token"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("cannot be used together");
    const bad = await nrp(["add", "alias", "http://exa mple.org", "--skip-token"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("is not a valid URL");
  });

  it("prints the saved alias as JSON on stdout with --format json, token masked", async () => {
    const r = await nrp([
      "add",
      "alias",
      server.url,
      "j",
      "--token",
      "secret-1",
      "--format",
      "json",
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      alias: "j",
      url: server.url,
      default: true,
      verify: true,
      token: "***",
    });
    expect(r.stdout + r.stderr).not.toContain("secret-1");
  });
});

describe("nrp select/remove/list aliases", () => {
  beforeEach(async () => {
    for (const [alias, extra] of [
      ["first", ["--token", "first-secret-token"]],
      ["second", ["--skip-token"]],
      ["third", ["--token", "third-secret-token", "--no-verify"]],
    ] as const) {
      const r = await nrp(["add", "alias", server.url, alias, ...extra]);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it("lists aliases as JSON without tokens; the first one is the default", async () => {
    const r = await nrp(["list", "aliases", "--format", "json"]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("secret-token");
    expect(JSON.parse(r.stdout)).toEqual([
      { alias: "first", url: server.url, default: true, verify: true, token: "***" },
      { alias: "second", url: server.url, default: false, verify: true, token: null },
      { alias: "third", url: server.url, default: false, verify: false, token: "***" },
    ]);
  });

  it("lists aliases as a table with a default marker and masked tokens", async () => {
    const r = await nrp(["aliases", "list", "--no-color"], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("secret-token");
    const lines = r.stdout.split("\n");
    const first = lines.find((l) => l.includes(" first "));
    const second = lines.find((l) => l.includes(" second "));
    expect(first).toMatch(/\*.*first.*yes.*\*\*\*/);
    expect(second).toContain("(none)");
    expect(r.stdout).not.toContain("\u001b[");
  });

  it("lists aliases as JSON lines and YAML", async () => {
    const jsonl = await nrp(["list", "aliases", "--format", "jsonl"]);
    const lines = jsonl.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[2]!)).toMatchObject({ alias: "third", token: "***" });
    const yaml = await nrp(["list", "aliases", "--format", "yaml"]);
    expect(parseYaml(yaml.stdout)).toHaveLength(3);
    expect(yaml.stdout).not.toContain("secret-token");
  });

  it("selects another default", async () => {
    const r = await nrp(["select", "alias", "second"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('"second"');
    expect((await savedConfig())["default_repository"]).toBe("second");
    const views = await listJson();
    expect(views.filter((v) => v["default"]).map((v) => v["alias"])).toEqual(["second"]);
    expect((await stat(home.config)).mode & 0o777).toBe(0o600);
  });

  it("removes an alias, also in noun-verb form", async () => {
    expect((await nrp(["remove", "alias", "third"])).code).toBe(0);
    expect((await nrp(["alias", "rm", "second"])).code).toBe(0);
    expect((await listJson()).map((v) => v["alias"])).toEqual(["first"]);
    const cfg = await readFile(home.config, "utf8");
    expect(cfg).not.toContain("third-secret-token");
    expect((await stat(home.config)).mode & 0o777).toBe(0o600);
  });

  it("unknown alias: exit 2 naming the config file", async () => {
    for (const argv of [
      ["select", "alias", "nope"],
      ["remove", "alias", "nope"],
      ["--alias", "nope", "describe", "repository"],
    ]) {
      const r = await nrp(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^Error: .*nope/m);
      expect(r.stderr).toContain(home.config);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe("configuration file", () => {
  it("an empty configuration lists nothing and explains how to add an alias", async () => {
    const table = await nrp(["list", "aliases"], { tty: true });
    expect(table.code).toBe(0);
    expect(table.stdout).toBe("");
    expect(table.stderr).toContain("nrp add alias");
    const json = await nrp(["list", "aliases", "--format", "json"]);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it("uses $NRP_INVENIO_CLIENT_CONFIG_FILE when --config is not given", async () => {
    const env = { ...home.env, NRP_INVENIO_CLIENT_CONFIG_FILE: home.config };
    const r = await run(["add", "alias", server.url, "envfile", "--skip-token"], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(home.config);
    expect((await stat(home.config)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(home.config))).mode & 0o777).toBe(0o700);
    const listed = await run(["list", "aliases", "--format", "json"], { env });
    expect(JSON.parse(listed.stdout)).toHaveLength(1);
  });

  it("reads the url key the Python client wrote", async () => {
    await mkdir(path.dirname(home.config), { recursive: true });
    await writeFile(
      home.config,
      `repositories:\n  - alias: py\n    url: ${server.url}\n    token: py-token\ndefault_repository: py\n`,
      { mode: 0o600 },
    );
    const r = await nrp(["list", "aliases", "--format", "json"]);
    expect(JSON.parse(r.stdout)).toEqual([
      { alias: "py", url: server.url, default: true, verify: true, token: "***" },
    ]);
  });
});

describe("nrp add alias with a plain http repository on another machine", () => {
  let remote: DevServer;
  let url: string;
  beforeAll(async () => {
    // Listening on every interface and addressed by this machine's network address: plain http
    // that is not loopback, yet reachable without any other machine.
    remote = await startDevServer({ host: "0.0.0.0" });
    const address =
      Object.values(networkInterfaces())
        .flat()
        .find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address ?? "0.0.0.0";
    url = `http://${address}:${new URL(remote.url).port}`;
  });
  afterAll(async () => {
    await remote.close();
  });

  it("refuses a token without --allow-insecure-http and sends nothing", async () => {
    remote.requestLog.length = 0;
    const token = remote.tokens.owner;
    const r = await nrp(["add", "alias", url, "far", "--token", token]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `${url} uses plain http: the access token would be sent in clear text`,
    );
    expect(r.stderr).toContain("--allow-insecure-http");
    expect(r.stderr).not.toContain(token);
    expect(remote.requestLog).toEqual([]);
    await expect(stat(home.config)).rejects.toThrow();

    // Not even asked for, when no token was given.
    const asked = await nrp(["add", "alias", url, "far"], { answers: [token] });
    expect(asked.code, asked.stderr).toBe(2);
    expect(asked.prompts).toEqual([]);
    expect(remote.requestLog).toEqual([]);
  });

  it("with --allow-insecure-http warns on stderr and saves; anonymous access needs no flag", async () => {
    const token = remote.tokens.owner;
    const r = await nrp(["add", "alias", url, "far", "--token", token, "--allow-insecure-http"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^Warning: .* uses plain http: the access token would be sent in clear text/m,
    );
    expect((await listJson()).map((a) => a["alias"])).toEqual(["far"]);

    const anon = await nrp(["add", "alias", url, "anon", "--skip-token"]);
    expect(anon.code, anon.stderr).toBe(0);
    expect(anon.stderr).not.toContain("clear text");
  });

  it("plain http to this machine stays allowed without a word", async () => {
    for (const [alias, host] of [
      ["v4", "127.0.0.1"],
      ["name", "localhost"],
    ] as const) {
      const r = await nrp([
        "add",
        "alias",
        `http://${host}:${new URL(server.url).port}`,
        alias,
        "--token",
        server.tokens.owner,
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain("clear text");
    }
  });
});

describe("isLoopback", () => {
  it.each([
    ["http://localhost:5000", true],
    ["http://LOCALHOST./x", true],
    ["http://repo.localhost", true],
    ["http://127.0.0.1", true],
    ["http://127.3.2.1:8080", true],
    ["http://[::1]:5000", true],
    ["http://[::ffff:127.0.0.1]", true],
    ["http://128.0.0.1", false],
    ["http://10.0.0.5", false],
    ["http://[::2]", false],
    ["http://localhost.example.org", false],
    ["http://0.0.0.0", false],
  ])("%s → %s", (url, expected) => {
    expect(isLoopback(url)).toBe(expected);
  });
});

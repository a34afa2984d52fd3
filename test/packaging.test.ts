// The three packages install like real npm packages: pack them, install the tarballs into an empty
// project (nothing from the workspace on the resolution path), then use them as a user would —
// the library imported as ESM with its types, the devserver started from its export, and both
// command-line tools run from node_modules/.bin.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const packages = ["client", "server", "cli"] as const;

async function packageVersion(dir: string): Promise<{ name: string; version: string }> {
  return JSON.parse(await readFile(join(root, "packages", dir, "package.json"), "utf8")) as {
    name: string;
    version: string;
  };
}

describe("packed packages installed into an empty project", () => {
  let project = "";
  // The installed project's environment: npm must compile better-sqlite3 against this Node's
  // headers (no prebuilt binaries can be downloaded here), exactly as .npmrc does for the workspace.
  const env = {
    ...process.env,
    npm_config_nodedir: dirname(dirname(process.execPath)),
    npm_config_audit: "false",
    npm_config_fund: "false",
    NO_COLOR: "1",
  };
  const bin = (name: string) => join(project, "node_modules", ".bin", name);

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), "nrp-pack-"));
    const tarballs = join(project, "tarballs");
    // `npm test` builds first, so dist/ is current; npm pack applies each package's `files`.
    await mkdir(tarballs);
    const workspaces = packages.flatMap((p) => ["-w", `packages/${p}`]);
    await exec("npm", ["pack", "--pack-destination", tarballs, ...workspaces], { cwd: root, env });
    const files = (await readdir(tarballs)).filter((f) => f.endsWith(".tgz"));
    expect(files).toHaveLength(3);
    await writeFile(
      join(project, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    await exec(
      "npm",
      ["install", "--prefer-offline", "--no-package-lock", ...files.map((f) => `./tarballs/${f}`)],
      { cwd: project, env, maxBuffer: 16 * 1024 * 1024 },
    );
  }, 600_000);

  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
  });

  it("ships only built code, type declarations and metadata", async () => {
    for (const dir of packages) {
      const { name } = await packageVersion(dir);
      const installed = join(project, "node_modules", name);
      const entries = await readdir(installed);
      expect(entries).toContain("package.json");
      expect(entries).toContain("dist");
      expect(entries).not.toContain("src");
      expect(entries).not.toContain("test");
      expect(entries).not.toContain("tsconfig.json");
      const dist = await readdir(join(installed, "dist"), { recursive: true });
      expect(dist.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
      expect(dist).not.toContain(".tsbuildinfo");
    }
  });

  it("imports the library and the devserver as ESM and talks to the server", async () => {
    const script = `
      import assert from "node:assert/strict";
      import { NRPInvenioClient, NRPError } from "nrp-invenio-client";
      import { startDevServer } from "nrp-invenio-devserver";
      const server = await startDevServer();
      const client = new NRPInvenioClient({ serverUrl: server.url, token: server.tokens.owner });
      try {
        const draft = await client.records.create("documents", { title: "packed" });
        const again = await client.records.getById("documents", draft.id, { draft: true });
        assert.equal(again.metadata.title, "packed");
        assert.equal(typeof NRPError, "function");
        console.log("ok " + draft.id);
      } finally {
        await client.close();
        await server.close();
      }
    `;
    await writeFile(join(project, "smoke.mjs"), script);
    const { stdout } = await exec(process.execPath, ["smoke.mjs"], { cwd: project, env });
    expect(stdout).toMatch(/^ok [0-9a-z]{5}-[0-9a-z]{5}$/m);
  }, 60_000);

  it("type-checks a strict TypeScript consumer against the shipped declarations", async () => {
    const source = `
      import { NRPInvenioClient, type NRPRecord } from "nrp-invenio-client";
      import { startDevServer, type DevServer } from "nrp-invenio-devserver";
      const server: DevServer = await startDevServer();
      const client = new NRPInvenioClient({ serverUrl: server.url, retryCount: 2 });
      const title = (record: NRPRecord): string => String(record.metadata["title"]);
      for await (const record of client.searchRequest("documents").query("x").scan()) {
        console.log(title(record));
      }
      // @ts-expect-error an unknown option is a compile error
      new NRPInvenioClient({ serverUrl: server.url, retries: 2 });
    `;
    await writeFile(join(project, "consumer.ts"), source);
    const tsconfig = {
      compilerOptions: {
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2022",
        noEmit: true,
        skipLibCheck: false,
        types: ["node"],
        typeRoots: [join(root, "node_modules", "@types")],
      },
      files: ["consumer.ts"],
    };
    await writeFile(join(project, "tsconfig.json"), JSON.stringify(tsconfig));
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    const result = await exec(process.execPath, [tsc, "-p", "."], { cwd: project }).catch(
      (error: unknown) => error as { stdout: string; code: number },
    );
    expect("code" in result ? result.stdout : "").toBe("");
  }, 120_000);

  it("runs nrp --version from node_modules/.bin", async () => {
    const cli = await packageVersion("cli");
    const client = await packageVersion("client");
    const { stdout } = await exec(bin("nrp"), ["--version"], { cwd: project, env });
    expect(stdout.trim()).toBe(`nrp ${cli.version} (nrp-invenio-client ${client.version})`);
  });

  it("runs nrp-devserver --help from node_modules/.bin", async () => {
    const { stdout } = await exec(bin("nrp-devserver"), ["--help"], { cwd: project, env });
    expect(stdout).toContain("Usage: nrp-devserver");
    expect(stdout).toContain("--data-dir");
  });
});

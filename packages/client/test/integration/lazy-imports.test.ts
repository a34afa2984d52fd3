// The built library loads undici on the first request and yaml on the first configuration read
// or write, so a script or command that needs neither does not pay for importing them.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Fixtures } from "../helpers/servers.js";

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../../../..", import.meta.url));
const dist = fileURLToPath(new URL("../../dist/index.js", import.meta.url));

// Runs in a fresh Node process: prints which of undici and yaml are loaded after each step.
const script = `
import { createRequire } from "node:module";
const cache = createRequire(import.meta.url).cache;
const loaded = () =>
  [...new Set(Object.keys(cache).map((k) => /node_modules[\\\\/](undici|yaml)[\\\\/]/.exec(k)?.[1]))]
    .filter(Boolean)
    .sort();
const steps = {};
const lib = await import(process.argv[1]);
steps.imported = loaded();
const client = new lib.NRPInvenioClient({ serverUrl: process.argv[2], retryCount: 0 });
steps.constructed = loaded();
const info = await client.info.repository();
steps.requested = loaded();
steps.version = typeof info.version;
await client.close();
lib.NRPConfig.parse("repositories: []\\n", "/nowhere/config.yaml");
steps.parsed = loaded();
console.log(JSON.stringify(steps));
`;

const fx = new Fixtures();
afterEach(() => fx.cleanup());

describe("importing the built library", () => {
  beforeAll(async () => {
    // Build (a no-op when up to date) so the test never runs a stale or missing dist/.
    await exec("npx", ["tsc", "-b", "packages/client"], { cwd: root });
  }, 180_000);

  it("loads undici on the first request and yaml on the first configuration parse", async () => {
    const server = await fx.devserver();
    const { stdout } = await exec(
      process.execPath,
      ["--input-type=module", "-e", script, dist, server.url],
      { cwd: root },
    );
    expect(JSON.parse(stdout)).toEqual({
      imported: [],
      constructed: [],
      requested: ["undici"],
      version: "string",
      parsed: ["undici", "yaml"],
    });
  });
});

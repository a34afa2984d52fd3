// What nrp imports before it knows what to do: --version, --help and usage errors answer without
// the client library (its import is the bulk of start-up); a command loads it when it needs it.
import { VERSION } from "nrp-invenio-client";
import { CLI_VERSION } from "nrp-invenio-cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { loadedClient } from "../src/client-module.js";
import { run, tempHome } from "./helpers.js";

describe("start-up loads only what the command needs", () => {
  let home: Awaited<ReturnType<typeof tempHome>>;
  beforeAll(async () => {
    home = await tempHome();
  });
  afterAll(async () => {
    await home.cleanup();
  });

  it("--version, --help and a usage error never import the client library", async () => {
    const version = await run(["--version"], { env: home.env });
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(`nrp ${CLI_VERSION} (nrp-invenio-client ${VERSION})\n`);

    const help = await run(["--help"], { env: home.env });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Examples:");
    expect(help.stdout).toContain("$NRP_INVENIO_CLIENT_CONFIG_FILE, else ~/.nrp/config.yaml");
    expect((await run(["get", "record", "--help"], { env: home.env })).code).toBe(0);

    const usage = await run(["get", "record"], { env: home.env });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Run "nrp get record --help" for usage.');
    expect(loadedClient()).toBeUndefined();
  });

  it("a command that needs the configuration loads the library then", async () => {
    const list = await run(["--config", home.config, "list", "aliases"], { env: home.env });
    expect(list.code, list.stderr).toBe(0);
    expect(loadedClient()).toBeDefined();
  });
});

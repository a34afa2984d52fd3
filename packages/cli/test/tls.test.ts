import { startDevServer, testTlsFixtures } from "nrp-invenio-devserver";
import type { DevServer } from "nrp-invenio-devserver";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { run, tempHome } from "./helpers.js";

describe("add alias against an HTTPS devserver", () => {
  let server: DevServer;
  let home: Awaited<ReturnType<typeof tempHome>>;

  beforeAll(async () => {
    server = await startDevServer({
      tls: { key: testTlsFixtures.key, cert: testTlsFixtures.cert },
    });
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

  function nrp(argv: string[]) {
    return run(["--config", home.config, ...argv], { env: home.env });
  }

  it("fails with exit 6 on an untrusted certificate and saves nothing", async () => {
    expect(server.url.startsWith("https://")).toBe(true);
    const r = await nrp(["add", "alias", server.url, "tls", "--skip-token"]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(
      `Could not reach ${server.url}: TLS certificate verification failed`,
    );
    expect(r.stderr).toContain("--ca-bundle");
    expect(r.stderr).toContain("Nothing was saved");
  });

  it("a stored alias whose certificate is not trusted: exit 6 with a hint in nrp's terms", async () => {
    const add = await nrp(["add", "alias", server.url, "tls", "--skip-token", "--no-check"]);
    expect(add.code).toBe(0);
    const r = await nrp(["describe", "repository"]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^Error: TLS certificate verification failed/m);
    expect(r.stderr).toContain("--ca-bundle");
    expect(r.stderr).not.toContain("verify: false");
  });

  it("--ca-bundle trusts the test CA; the path is stored and used later", async () => {
    const add = await nrp([
      "add",
      "alias",
      server.url,
      "tls",
      "--skip-token",
      "--ca-bundle",
      testTlsFixtures.ca,
    ]);
    expect(add.code, add.stderr).toBe(0);
    const list = await nrp(["list", "aliases", "--format", "json"]);
    expect(JSON.parse(list.stdout)).toEqual([
      { alias: "tls", url: server.url, default: true, verify: testTlsFixtures.ca, token: null },
    ]);
    const describeRepo = await nrp(["describe", "repository", "--format", "json"]);
    expect(describeRepo.code, describeRepo.stderr).toBe(0);
  });

  it("--no-verify accepts the certificate; describe works with the stored setting", async () => {
    const add = await nrp(["add", "alias", server.url, "insecure", "--skip-token", "--no-verify"]);
    expect(add.code, add.stderr).toBe(0);
    const describeRepo = await nrp(["describe", "repository", "--format", "json"]);
    expect(describeRepo.code, describeRepo.stderr).toBe(0);
    expect((JSON.parse(describeRepo.stdout) as Record<string, unknown>)["url"]).toBe(server.url);
  });

  it("--ca-bundle with --no-verify is a usage error", async () => {
    const r = await nrp([
      "add",
      "alias",
      server.url,
      "x",
      "--skip-token",
      "--no-verify",
      "--ca-bundle",
      testTlsFixtures.ca,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot be used together");
  });
});

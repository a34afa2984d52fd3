import { startDevServer } from "nrp-invenio-devserver";
import type { DevServer } from "nrp-invenio-devserver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

import { run, tempHome, withAlias } from "./helpers.js";

/** Two retries a few milliseconds apart: a failing server gives up at once. */
const QUICK_RETRIES = {
  NRP_INVENIO_CLIENT_RETRY_COUNT: "2",
  NRP_INVENIO_CLIENT_RETRY_INTERVAL: "0.01",
};

for (const flavour of ["nrp", "rdm"] as const) {
  describe(`describe against the ${flavour} devserver`, () => {
    let server: DevServer;
    let home: Awaited<ReturnType<typeof tempHome>>;
    const kind = flavour === "nrp" ? "NRP" : "InvenioRDM";

    beforeAll(async () => {
      server = await startDevServer({ flavour });
      home = await tempHome();
      const r = await nrp(["add", "alias", server.url, "dev", "--token", server.tokens.owner]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`${kind} repository`);
    });
    afterAll(async () => {
      await server.close();
      await home.cleanup();
    });

    function nrp(argv: string[], opts: Parameters<typeof run>[1] = {}) {
      return run(["--config", home.config, ...argv], {
        env: { ...home.env, NO_COLOR: "1" },
        ...opts,
      });
    }

    it("describe repository: table", async () => {
      const r = await nrp(["describe", "repository"], { tty: true });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/│ kind\s+│ /);
      expect(r.stdout).toContain(kind);
      expect(r.stdout).toContain(server.url);
      expect(r.stdout).not.toContain(server.tokens.owner);
      expect(r.stderr).toBe("");
    });

    it("describe repository: colours a table on a terminal unless --no-color", async () => {
      const coloured = await run(["--config", home.config, "describe", "repository"], {
        env: home.env,
        tty: true,
      });
      expect(coloured.stdout).toContain("\u001b[");
      const plain = await run(["--config", home.config, "describe", "repository", "--no-color"], {
        env: home.env,
        tty: true,
      });
      expect(plain.code).toBe(0);
      expect(plain.stdout).not.toContain("\u001b[");
    });

    it("describe repository: json", async () => {
      const r = await nrp(["describe", "repository", "--format", "json"]);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(doc["kind"]).toBe(flavour);
      expect(doc["url"]).toBe(server.url);
      expect(typeof doc["name"]).toBe("string");
      expect(Array.isArray(doc["models"])).toBe(true);
      if (flavour === "nrp") {
        expect(doc["models"]).toEqual(expect.arrayContaining(["datasets", "documents"]));
        expect(doc["invenio_version"]).toBeTypeOf("string");
      } else {
        expect(doc["models"]).toContain("records");
      }
    });

    it("describe repository: yaml, with the alias as an argument, noun-verb form", async () => {
      const r = await nrp(["repository", "describe", "dev", "--format", "yaml"]);
      expect(r.code, r.stderr).toBe(0);
      expect((parseYaml(r.stdout) as Record<string, unknown>)["kind"]).toBe(flavour);
    });

    it("describe models: table, json, jsonl and yaml", async () => {
      const wanted = flavour === "nrp" ? "datasets" : "records";
      const table = await nrp(["describe", "models"], { tty: true });
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/│ name\s+│ description/);
      expect(table.stdout).toContain(wanted);

      const json = await nrp(["describe", "models", "--format", "json"]);
      const models = JSON.parse(json.stdout) as Record<string, unknown>[];
      expect(models.flatMap((m) => [m["type"], m["name"]])).toContain(wanted);

      const jsonl = await nrp(["models", "describe", "--format", "jsonl"]);
      const lines = jsonl.stdout.trim().split("\n");
      expect(lines).toHaveLength(models.length);
      for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();

      const yaml = await nrp(["describe", "models", "--format", "yaml"]);
      expect(parseYaml(yaml.stdout)).toHaveLength(models.length);
    });

    it("describe models <model>: one model in table, json and yaml", async () => {
      const name = flavour === "nrp" ? "datasets" : "records";
      const table = await nrp(["describe", "model", name], { tty: true });
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(new RegExp(`│ name\\s+│ ${name}`));
      expect(table.stdout).toContain("records");

      const json = await nrp(["describe", "models", name, "--format", "json"]);
      expect(json.code).toBe(0);
      const doc = JSON.parse(json.stdout) as Record<string, unknown>;
      expect([doc["type"], doc["name"]]).toContain(name);

      const yaml = await nrp(["describe", "models", name, "--format", "yaml"]);
      expect((parseYaml(yaml.stdout) as Record<string, unknown>)["links"]).toBeTypeOf("object");
    });

    it("unknown model: exit 4 listing the known ones", async () => {
      const r = await nrp(["describe", "models", "nosuchmodel"]);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/^Error: .*nosuchmodel/m);
      expect(r.stderr).toContain(flavour === "nrp" ? "datasets" : "records");
      expect(r.stdout).toBe("");
    });

    it("unknown model with --format json: the error is JSON on stderr", async () => {
      const r = await nrp(["describe", "models", "nosuchmodel", "--format", "json"]);
      expect(r.code).toBe(4);
      const err = (JSON.parse(r.stderr) as { error: Record<string, unknown> }).error;
      expect(err["exit_code"]).toBe(4);
      expect(err["code"]).toBe("NRP_UNKNOWN_MODEL");
      expect(String(err["message"])).toContain("nosuchmodel");
    });
  });
}

describe("describe: errors and environment", () => {
  let server: DevServer;
  beforeAll(async () => {
    server = await startDevServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("NRP_INVENIO_CLIENT_SERVER_URL works without a configuration file", async () => {
    const home = await tempHome();
    try {
      const r = await run(["describe", "repository", "--format", "json"], {
        env: { ...home.env, NRP_INVENIO_CLIENT_SERVER_URL: server.url },
      });
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as Record<string, unknown>)["url"]).toBe(server.url);
    } finally {
      await home.cleanup();
    }
  });

  it("no alias configured: exit 2 naming the file", async () => {
    const home = await tempHome();
    try {
      const r = await run(["--config", home.config, "describe", "repository"], { env: home.env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(home.config);
    } finally {
      await home.cleanup();
    }
  });

  it("a server error after retries exits 6, and --verbose logs the retries", async () => {
    await withAlias(server.url, "flaky", async (nrp, home) => {
      try {
        server.faults.add({ path: "/.well-known/repository/models", status: 503, times: 50 });
        const r = await nrp(["--verbose", "describe", "repository"], { env: QUICK_RETRIES });
        expect(r.code, r.stderr).toBe(6);
        expect(r.stderr).toContain(`using ${server.url} (default alias, ${home.config})`);
        expect(r.stderr).toMatch(/retry 1: GET .* \(HTTP 503\)/);
        expect(r.stderr).toMatch(/^Error: /m);
      } finally {
        server.faults.clear();
      }
    });
  });

  it.each([
    [
      "0",
      "The server kept answering 429 Too Many Requests and nrp used up its retries; try again later.",
    ],
    ["3600", "The server asked to wait 3600 s, longer than nrp is willing to; try again later."],
  ])("a 429 with Retry-After: %s says why nrp gave up", async (retryAfter, hint) => {
    await withAlias(server.url, "busy", async (nrp) => {
      try {
        server.faults.add({
          path: "/.well-known/repository/models",
          status: 429,
          headers: { "Retry-After": retryAfter },
          times: 50,
        });
        const r = await nrp(["describe", "repository"], { env: QUICK_RETRIES });
        expect(r.code, r.stderr).toBe(7);
        expect(r.stderr).toContain(hint);
        expect(r.stderr).not.toContain(retryAfter === "0" ? "wait 0 s" : "used up");
      } finally {
        server.faults.clear();
      }
    });
  });

  it("aborting the signal exits 130", async () => {
    await withAlias(server.url, "slow", async (nrp) => {
      try {
        // The first request is held until the command is interrupted, so the abort lands
        // mid-request.
        const rule = server.faults.add({ path: "/**", hold: true, times: 5 });
        const controller = new AbortController();
        const started = Date.now();
        const pending = nrp(["describe", "repository"], { signal: controller.signal });
        await expect
          .poll(() => server.faults.held(rule), { message: "a request to arrive", interval: 10 })
          .toBe(1);
        controller.abort();
        const r = await pending;
        expect(r.code).toBe(130);
        expect(r.stderr).toContain("Interrupted");
        expect(Date.now() - started).toBeLessThan(4000);
      } finally {
        server.faults.clear();
      }
    });
  });
});

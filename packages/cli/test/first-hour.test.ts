import { writeFile } from "node:fs/promises";

import { NRPInvenioClient } from "nrp-invenio-client";
import { beforeAll, describe, expect, it } from "vitest";

import { jsonOf, useDevserverCli } from "./helpers.js";

// Tests index deep into server JSON; the assertions are the type check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe("what a new user types in the first hour", () => {
  const cli = useDevserverCli();
  const { nrp } = cli;

  beforeAll(async () => {
    const client = new NRPInvenioClient({
      serverUrl: cli.server.url,
      token: cli.server.tokens.owner,
    });
    try {
      const draft = await client.records.create(
        "documents",
        { title: "Soil samples of Moravia" },
        { filesEnabled: false },
      );
      await draft.publish();
    } finally {
      await client.close();
    }
  });

  describe("search and scan default to records", () => {
    it("nrp search 'soil' searches records", async () => {
      const hits = jsonOf(await nrp(["search", "soil", "--format", "json"])) as unknown as Json[];
      expect(hits.map((h) => h["metadata"]["title"] as string)).toEqual([
        "Soil samples of Moravia",
      ]);
    });

    it("nrp scan streams every record, with global options before the verb", async () => {
      const r = await nrp(["--format", "jsonl", "scan"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("Soil samples of Moravia");
    });

    it("nrp search requests names the commands that take requests", async () => {
      const r = await nrp(["search", "requests"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("unknown command 'requests'");
      expect(r.stderr).toContain("nrp list requests");
      expect(r.stderr).toContain('"nrp search records requests"');
    });

    it("a verb's synonym suggests the verb", async () => {
      const r = await nrp(["show", "record", "abc"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Did you mean "nrp get record abc"?');
    });
  });

  describe("one configured repository without default_repository", () => {
    it("is the default for variables and listings too", async () => {
      const config = `${cli.home.home}/single.yaml`;
      await writeFile(
        config,
        `repositories:\n  - alias: only\n    server_url: ${cli.server.url}\n    token: ${cli.server.tokens.owner}\n`,
      );
      const created = await nrp([
        "--config",
        config,
        "create",
        "record",
        "documents",
        '{"title": "Single alias"}',
        "--no-files",
        "--set",
        "single",
      ]);
      expect(created.code, created.stderr).toBe(0);
      const got = jsonOf(await nrp(["--config", config, "get", "record", "@single"]));
      expect(got["metadata"]["title"]).toBe("Single alias");
      const aliases = jsonOf(
        await nrp(["--config", config, "list", "aliases", "--format", "json"]),
      );
      expect(aliases).toEqual([expect.objectContaining({ alias: "only", default: true })]);
    });
  });
});

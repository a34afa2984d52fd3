import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedRecords } from "nrp-invenio-devserver";
import type { DevServer } from "nrp-invenio-devserver";
import type { NRPInvenioClient } from "nrp-invenio-client";
import { Fixtures } from "../helpers/servers.js";

// A set larger than Invenio's real 10 000 window, with clustered and shared `created` times, scanned
// with the default window: every record must come back exactly once, with and without a filter.
const COUNT = 25_000;
const fx = new Fixtures();
let dataDir = "";
let server: DevServer;
let client: NRPInvenioClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "nrp-scan-large-"));
  await seedRecords({ dataDir, records: COUNT, model: "datasets", seed: 11 });
  server = await fx.devserver({ dataDir });
  client = fx.client(server).client;
}, 120_000);

afterAll(async () => {
  await fx.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

describe("scan beyond the 10 000 window", () => {
  it("yields each of 25 000 seeded records exactly once", async () => {
    const total = (await client.searchRequest("datasets").size(1).execute()).total;
    expect(total).toBe(COUNT);
    const seen = new Set<string>();
    let yielded = 0;
    for await (const record of client.searchRequest("datasets").scan()) {
      seen.add(record.id);
      yielded++;
    }
    expect(yielded).toBe(COUNT);
    expect(seen.size).toBe(COUNT);
    // The window forced range queries on `created`.
    expect(server.requestLog.some((e) => e.path.includes("created%3A%5B"))).toBe(true);
  }, 180_000);

  it("applies a query filter to the split scan", async () => {
    const query = "metadata.resource_type:dataset";
    const expected = (await client.searchRequest("datasets").query(query).size(1).execute()).total;
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(COUNT);
    const seen = new Set<string>();
    let yielded = 0;
    for await (const record of client.searchRequest("datasets").query(query).scan({
      window: 2_000,
    })) {
      expect(record.metadata.resource_type).toBe("dataset");
      seen.add(record.id);
      yielded++;
    }
    expect(yielded).toBe(expected);
    expect(seen.size).toBe(expected);
  }, 180_000);
});

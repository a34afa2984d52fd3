import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { seedRecords, startDevServer } from "nrp-invenio-devserver";
import { call } from "./helpers.js";

describe("seed and created ranges", () => {
  const dir = mkdtempSync(join(tmpdir(), "nrp-seed-"));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("seeds published records whose created ranges partition the set", async () => {
    const result = await seedRecords({ dataDir: dir, records: 400, model: "documents" });
    expect(result).toMatchObject({ records: 400, model: "documents" });
    const server = await startDevServer({ dataDir: dir });
    try {
      const api = `${server.url}/api/documents/`;
      const all = await call(`${api}?size=400&sort=oldest`);
      expect(all.body.hits.total).toBe(400);
      const hits = all.body.hits.hits as { id: string; created: string; metadata: object }[];
      expect(hits[0]?.metadata).toHaveProperty("title");
      const created = hits.map((h) => h.created);
      // Some records share an exact timestamp, as bulk imports make them.
      expect(new Set(created).size).toBeLessThan(created.length);
      const z = (t: string): string => t.replace("+00:00", "Z");
      const cuts = [created[100], created[200], created[300]].map((t) => z(t ?? ""));
      const ranges = [
        `created:[* TO ${cuts[0] ?? ""}}`,
        `created:[${cuts[0] ?? ""} TO ${cuts[1] ?? ""}}`,
        `created:[${cuts[1] ?? ""} TO ${cuts[2] ?? ""}}`,
        `created:[${cuts[2] ?? ""} TO *]`,
      ];
      const seen: string[] = [];
      for (const q of ranges) {
        const res = await call(`${api}?size=400&q=${encodeURIComponent(q)}`);
        expect(res.status).toBe(200);
        expect(res.body.hits.total).toBe(res.body.hits.hits.length);
        seen.push(...(res.body.hits.hits as { id: string }[]).map((h) => h.id));
      }
      expect(seen.sort()).toEqual(hits.map((h) => h.id).sort());
      const pageOfFree = await call(`${api}?q=measurements&size=1`);
      expect(pageOfFree.body.hits.total).toBe(400);
    } finally {
      await server.close();
    }
  });
});

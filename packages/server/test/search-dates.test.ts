import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { seedRecords, startDevServer } from "nrp-invenio-devserver";
import type { DevServer } from "nrp-invenio-devserver";
import { call, send } from "./helpers.js";

// OpenSearch indexes `created` (a `date`) at millisecond precision and truncates a range bound's
// sub-millisecond digits, so a real Invenio 13 answers `created:[…350431Z TO …971454Z}` without
// the record created at `…971453`, and `[…971453Z TO …971454Z}` with nothing. The devserver
// compares the same way; these are the answers recorded against the real server, and its
// rounding of missing date parts.
const T = "2026-12-05T05:14:05";
const records = {
  a: `${T}.350431+00:00`,
  b: `${T}.600000+00:00`,
  c: `${T}.971453+00:00`,
  d: `${T}.971999+00:00`,
  e: `${T}.972000+00:00`,
};

describe("created ranges at millisecond precision, as OpenSearch compares dates", () => {
  const dir = mkdtempSync(join(tmpdir(), "nrp-dates-"));
  let server: DevServer;
  const names = new Map<string, string>();

  beforeAll(async () => {
    await seedRecords({
      dataDir: dir,
      records: 5,
      model: "documents",
      created: Object.values(records),
    });
    server = await startDevServer({ dataDir: dir });
    const all = await call(`${server.url}/api/documents/?size=10&sort=oldest`);
    const hits = all.body.hits.hits as { id: string; created: string }[];
    expect(hits.map((h) => h.created)).toEqual(Object.values(records));
    hits.forEach((h, i) => names.set(h.id, Object.keys(records)[i] ?? "?"));
  });

  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function found(q: string): Promise<string[]> {
    const res = await call(`${server.url}/api/documents/?size=10&q=${encodeURIComponent(q)}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.hits.total).toBe(res.body.hits.hits.length);
    return (res.body.hits.hits as { id: string }[]).map((h) => names.get(h.id) ?? "?").sort();
  }

  test.each([
    // The real server's answers: an exclusive end drops its whole millisecond...
    [`created:[${T}.350431Z TO ${T}.971454Z}`, ["a", "b"]],
    // ...an inclusive one keeps it, and a range inside one millisecond holds nothing.
    [`created:[${T}.350431Z TO ${T}.971454Z]`, ["a", "b", "c", "d"]],
    [`created:[${T}.971453Z TO ${T}.971454Z}`, []],
    [`created:[${T}.971454Z TO ${T}.971454Z]`, ["c", "d"]],
    // Whole-millisecond bounds select the same records at either precision.
    [`created:[${T}.971Z TO ${T}.972Z}`, ["c", "d"]],
    [`created:[${T}.350Z TO ${T}.971Z}`, ["a", "b"]],
    [`created:[${T}.972Z TO *]`, ["e"]],
    // An exclusive start skips its millisecond, even when given below the millisecond.
    [`created:{${T}.971000Z TO *]`, ["e"]],
    [`created:{${T}.970999Z TO ${T}.972Z]`, ["c", "d", "e"]],
    [`created:{${T}.350999Z TO ${T}.971Z}`, ["b"]],
    // Missing parts: `lte` and `gt` fill them up (hour 23, minute 59, …), `gte` and `lt` down.
    ["created:[* TO 2026-12-05T05:14]", ["a", "b", "c", "d", "e"]],
    ["created:{2026-12-05T05:14 TO *}", []],
    ["created:[2026-12-05T05:14 TO *}", ["a", "b", "c", "d", "e"]],
    ["created:[* TO 2026-12-05T05:14}", []],
    ["created:[* TO 2026-12-05]", ["a", "b", "c", "d", "e"]],
    ["created:{2026-12-05 TO *]", []],
    // A missing day or month stays 01, also when rounding up.
    ["created:[* TO 2026-12]", []],
    ["created:[2026-12 TO *]", ["a", "b", "c", "d", "e"]],
    // Digits alone are epoch milliseconds; a bound that is no date matches nothing.
    [`created:[${String(Date.parse(`${T}.972Z`))} TO *]`, ["e"]],
    ["created:[foo TO *]", []],
    ["created:[2026-13-01 TO *]", []],
    // A term on a date covers what it leaves open: its millisecond, its day.
    [`created:"${T}.971999Z"`, ["c", "d"]],
    ["created:2026-12-05", ["a", "b", "c", "d", "e"]],
    ["created:2026-12-04", []],
  ])("q=%s", async (q, expected) => {
    expect(await found(q)).toEqual(expected);
  });

  test("structured range and term filters round the same way", async () => {
    const post = async (query: unknown): Promise<string[]> => {
      const res = await send("POST", `${server.url}/api/search/?size=10`, { body: { query } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return (res.body.hits.hits as { id: string }[]).map((h) => names.get(h.id) ?? "?").sort();
    };
    expect(await post({ range: { created: { gte: `${T}.350431Z`, lt: `${T}.971454Z` } } })).toEqual(
      ["a", "b"],
    );
    expect(await post({ range: { created: { gt: `${T}.350431Z`, lte: `${T}.971Z` } } })).toEqual([
      "b",
      "c",
      "d",
    ]);
    expect(await post({ term: { created: `${T}.971Z` } })).toEqual(["c", "d"]);
  });
});

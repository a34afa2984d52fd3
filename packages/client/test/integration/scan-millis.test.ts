import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedRecords } from "nrp-invenio-devserver";
import type { DevServer } from "nrp-invenio-devserver";
import type { NRPInvenioClient } from "nrp-invenio-client";
import { Fixtures } from "../helpers/servers.js";

// Invenio dumps `created` with microseconds, but its search index compares milliseconds and
// truncates each range bound to its millisecond; the devserver compares the same way. Records
// microseconds apart on both sides of millisecond boundaries, and more records in one
// millisecond than the window, must each come back from a scan exactly once.
const T = "2026-12-05T05:14:05";
const CREATED = [
  // Three records in each of four consecutive milliseconds, at its first, second and last µs.
  ...[350, 351, 352, 353].flatMap((ms) => [0, 1, 999].map((us) => `${T}.${ms}${us}`)),
  // The recorded case: a record at …971453 next to bounds at …971454.
  `${T}.350431`,
  `${T}.971453`,
  `${T}.971454`,
  `${T}.971999`,
  // Five records in one millisecond, more than the window of three.
  ...[100, 200, 300, 400, 500].map((us) => `${T}.980${String(us).padStart(3, "0")}`),
  `${T}.981000`,
  `2026-12-05T05:14:06.000000`,
]
  .map((t) => {
    const [head = "", fraction = ""] = t.split(".");
    return `${head}.${fraction.padStart(6, "0")}+00:00`;
  })
  .sort();

const fx = new Fixtures();
let dataDir = "";
let server: DevServer;
let client: NRPInvenioClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "nrp-scan-millis-"));
  await seedRecords({ dataDir, records: CREATED.length, model: "documents", created: CREATED });
  server = await fx.devserver({ dataDir });
  client = fx.client(server).client;
});

afterAll(async () => {
  await fx.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

/** The `created` range clauses of the scan requests the devserver saw since `from`. */
function rangeClauses(from: number): string[] {
  return server.requestLog
    .slice(from)
    .map((e) => new URL(e.path, server.url).searchParams.get("q") ?? "")
    .flatMap((q) => /created:\[\S+ TO \S+\}/.exec(q)?.[0] ?? []);
}

describe("scan with created times apart by less than a millisecond", () => {
  it.each([1, 2, 3, 5, 8])(
    "yields every record exactly once with a window of %i",
    async (window) => {
      const before = server.requestLog.length;
      const ids: string[] = [];
      const created: string[] = [];
      for await (const record of client.searchRequest("documents").scan({ window })) {
        ids.push(record.id);
        created.push(String(record.data.created));
      }
      expect(new Set(ids).size).toBe(ids.length);
      expect(created.sort()).toEqual(CREATED);
      // Every bound is a whole millisecond, the precision the search index compares at.
      const clauses = rangeClauses(before);
      expect(clauses.length).toBeGreaterThan(0);
      for (const clause of clauses) {
        expect(clause).toMatch(/^created:\[\S+T\S+\.\d{3}Z TO \S+T\S+\.\d{3}Z\}$/);
      }
    },
  );

  it("splits the records of one millisecond by id prefix when they exceed the window", async () => {
    const before = server.requestLog.length;
    let n = 0;
    for await (const _record of client
      .searchRequest("documents")
      .query(`created:[${T}.980Z TO ${T}.981Z}`)
      .scan({ window: 3 })) {
      n++;
    }
    expect(n).toBe(5);
    const prefixed = server.requestLog
      .slice(before)
      .map((e) => new URL(e.path, server.url).searchParams.get("q") ?? "")
      .filter((q) => / AND id:[0-9a-z]+\*$/.test(q));
    expect(prefixed.length).toBeGreaterThan(0);
    for (const q of prefixed) expect(q).toContain(`created:[${T}.980Z TO ${T}.981Z}`);
  });
});

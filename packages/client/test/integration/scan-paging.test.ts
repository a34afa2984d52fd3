import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedRecords } from "nrp-invenio-devserver";
import type { DevServer } from "nrp-invenio-devserver";
import type { NRPInvenioClient } from "nrp-invenio-client";
import { Fixtures } from "../helpers/servers.js";

// A scan reads large pages, one page ahead of the loop, and takes a smaller page size from a
// server that refuses the one asked for (as Zenodo limits `size`): every record still comes back
// exactly once, and leaving the loop stops the reading.
const COUNT = 2600;
const LIMITED = 250;
const fx = new Fixtures();
let dataDir = "";
let open: DevServer;
let limited: DevServer;
let openClient: NRPInvenioClient;
let limitedClient: NRPInvenioClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "nrp-scan-paging-"));
  await seedRecords({ dataDir, records: COUNT, model: "datasets", seed: 5 });
  open = await fx.devserver({ dataDir });
  openClient = fx.client(open).client;
  const limitedDir = join(dataDir, "limited");
  await seedRecords({ dataDir: limitedDir, records: LIMITED, model: "datasets", seed: 6 });
  limited = await fx.devserver({ dataDir: limitedDir, maxPageSize: 100 });
  limitedClient = fx.client(limited).client;
}, 120_000);

afterAll(async () => {
  await fx.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

/** The `size` of each paged (not probing) search request the server saw since `from`. */
function pageSizes(server: DevServer, from: number): { size: number; status: number | null }[] {
  return server.requestLog
    .slice(from)
    .filter((e) => e.path.startsWith("/api/datasets/"))
    .map((e) => ({
      size: Number(new URL(e.path, server.url).searchParams.get("size")),
      status: e.status,
    }))
    .filter((r) => r.size !== 1);
}

describe("scan paging", () => {
  it("reads every record exactly once in pages of pageSize, split past a small window", async () => {
    const before = open.requestLog.length;
    const ids: string[] = [];
    for await (const record of openClient
      .searchRequest("datasets")
      .scan({ window: 1000, pageSize: 300 })) {
      ids.push(record.id);
    }
    expect(ids).toHaveLength(COUNT);
    expect(new Set(ids).size).toBe(COUNT);
    const pages = pageSizes(open, before);
    expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(COUNT / 300));
    expect(pages.every((p) => p.size === 300 && p.status === 200)).toBe(true);
  });

  it("reads with the default page size of 1000", async () => {
    const before = open.requestLog.length;
    let n = 0;
    for await (const _record of openClient.searchRequest("datasets").scan()) n++;
    expect(n).toBe(COUNT);
    const pages = pageSizes(open, before);
    expect(pages).toHaveLength(Math.ceil(COUNT / 1000));
    expect(pages.every((p) => p.size === 1000)).toBe(true);
  });

  it("asks for the next range's first page before the loop reaches the current range's last page", async () => {
    const before = open.requestLog.length;
    /** The paged requests (q and page) the server had seen when each page's first record came. */
    const seenAtPageStart: { q: string; page: number }[][] = [];
    const paged = () =>
      open.requestLog
        .slice(before)
        .filter((e) => e.path.startsWith("/api/datasets/"))
        .map((e) => new URL(e.path, open.url).searchParams)
        .filter((params) => params.get("size") === "100")
        .map((params) => ({ q: params.get("q") ?? "", page: Number(params.get("page")) }));
    let pageStart = true;
    let n = 0;
    for await (const _record of openClient.searchRequest("datasets").scan({
      window: 1000,
      pageSize: 100,
      onProgress: () => (pageStart = true),
    })) {
      n++;
      if (!pageStart) continue;
      pageStart = false;
      seenAtPageStart.push(paged());
      // A slow loop: the pages asked for ahead arrive meanwhile.
      await sleep(20);
    }
    expect(n).toBe(COUNT);
    // The ranges in the order they were read, and how many pages each had.
    const all = paged();
    const ranges = [...new Set(all.map((r) => r.q))];
    expect(ranges.length).toBeGreaterThan(2);
    const pagesOf = (q: string) => Math.max(...all.filter((r) => r.q === q).map((r) => r.page));
    let index = 0;
    for (const [k, q] of ranges.entries()) {
      const last = index + pagesOf(q) - 1;
      const next = ranges[k + 1];
      if (next !== undefined && pagesOf(q) > 1) {
        // When the loop started this range's last page, the next range's first page was asked.
        expect(seenAtPageStart[last]).toContainEqual({ q: next, page: 1 });
      }
      index = last + 1;
    }
  });

  it("stops fetching when the loop is left: at most the pages ahead are asked for", async () => {
    const before = open.requestLog.length;
    for await (const _record of openClient.searchRequest("datasets").scan({ pageSize: 100 })) {
      break;
    }
    await sleep(200);
    // The first page and the two asked for while it was used; none after the loop was left.
    expect(pageSizes(open, before).length).toBeLessThanOrEqual(3);
  });
});

describe("scan against a server that limits page sizes", () => {
  it("continues with the limit the server names, every record once", async () => {
    const before = limited.requestLog.length;
    const ids: string[] = [];
    for await (const record of limitedClient.searchRequest("datasets").scan()) ids.push(record.id);
    expect(ids).toHaveLength(LIMITED);
    expect(new Set(ids).size).toBe(LIMITED);
    const pages = pageSizes(limited, before);
    // The first page at the default size is refused (400 on `size`), then 100 at a time.
    expect(pages[0]).toEqual({ size: 1000, status: 400 });
    expect(pages.slice(1).every((p) => p.size === 100 && p.status === 200)).toBe(true);
    expect(pages.slice(1)).toHaveLength(3);
  });
});

// Transfers whose caller gives no concurrency, through a link that caps each connection (a
// throttling proxy in front of the devserver): more ranges or parts go in flight than the first
// ones, every byte is asked for once, the md5 is verified and an interrupted download resumes.
// Nothing here is timed: speed is measured in bench/, these check what is sent.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { APIUserAbortError, DEFAULT_UPLOAD_CONCURRENCY } from "nrp-invenio-client";
import type { NRPFile, NRPRecordFiles } from "nrp-invenio-client";
import type { DevServer } from "nrp-invenio-devserver";
import {
  ADAPTIVE_DOWNLOAD_FAR_PROBE_MS,
  ADAPTIVE_DOWNLOAD_INITIAL_CONCURRENCY,
  ADAPTIVE_DOWNLOAD_NEAR_PROBE_MS,
  ADAPTIVE_DOWNLOAD_NEAR_PROBES,
  PARALLEL_DOWNLOAD_MIN_SIZE,
} from "../../src/internal/download.js";
import { Fixtures } from "../helpers/servers.js";

const fx = new Fixtures();
const dirs: string[] = [];
afterEach(async () => {
  await fx.cleanup();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const MiB = 1024 * 1024;

function data(size: number, seed = 11): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    out.writeUInt32LE(x, Math.min(i, size - 4));
  }
  return out;
}

const md5 = (b: Uint8Array): string => createHash("md5").update(b).digest("hex");

/** The `bytes=a-b` ranges the server was asked for on `path`, the one-byte probe left out. */
function rangesAsked(server: DevServer, path: string): [number, number][] {
  return server.requestLog
    .filter((e) => e.method === "GET" && e.path === path && e.headers.range !== undefined)
    .map((e) => /^bytes=(\d+)-(\d+)$/.exec(e.headers.range ?? ""))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m): [number, number] => [Number(m[1]), Number(m[2])])
    .filter(([a, b]) => !(a === 0 && b === 0))
    .sort((x, y) => x[0] - y[0]);
}

/** Whether `ranges` (sorted) are disjoint. */
function disjoint(ranges: [number, number][]): boolean {
  return ranges.every(([start], i) => i === 0 || start > (ranges[i - 1]?.[1] ?? -1));
}

/**
 * A devserver behind a link of `bytesPerSecond` per connection and `latencyMs` each way (a far
 * server by default, so adaptive downloads go by ranges), a client through that link.
 */
async function slowSetup(bytesPerSecond: number, latencyMs = 20) {
  const server = await fx.devserver({ host: "127.0.0.2" });
  const link = await fx.slowLink(server, bytesPerSecond, latencyMs);
  const { client } = fx.client(link, { token: server.tokens.owner });
  // The same draft, seen without the link, for setting up content quickly.
  const { client: direct } = fx.client(server, { token: server.tokens.owner });
  const draft = await direct.records.create(
    "documents",
    { title: "Far away" },
    { filesEnabled: true },
  );
  const filesPath = `/api/documents/${draft.id}/draft/files`;
  /** The file `key` as the client behind the link sees it (its links lead through the link). */
  const farFile = async (key: string): Promise<NRPFile> => {
    const files = await (
      await client.records.getByUrl(`${link.url}/api/documents/${draft.id}/draft`)
    ).loadFiles();
    const file = files.get(key);
    if (file === undefined) throw new Error(`${key} is not listed`);
    return file;
  };
  const farFiles = async (): Promise<NRPRecordFiles> =>
    (await client.records.getByUrl(`${link.url}/api/documents/${draft.id}/draft`)).loadFiles();
  return { server, link, direct: await draft.loadFiles(), farFile, farFiles, filesPath };
}

describe("transfers that adapt to a slow link", () => {
  it("a download raises the ranges in flight above the first ones, asks for every byte once, verifies and resumes", async () => {
    const { server, link, direct, farFile, filesPath } = await slowSetup(4_000_000);
    const size = PARALLEL_DOWNLOAD_MIN_SIZE + 5;
    const bytes = data(size);
    await direct.create("big.bin", {}, bytes, { partSize: 16 * MiB });
    const file = await farFile("big.bin");
    const dir = await mkdtemp(join(tmpdir(), "nrp-adaptive-"));
    dirs.push(dir);
    const target = join(dir, "big.bin");
    const content = `${filesPath}/big.bin/content`;

    // First attempt: stopped once a few ranges are done.
    const controller = new AbortController();
    server.requestLog.length = 0;
    link.stats.busiest = 0;
    const first = await file
      .download(target, {
        signal: controller.signal,
        onProgress: (p) => {
          if ((p.partsDone ?? 0) >= 3) controller.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(first).toBeInstanceOf(APIUserAbortError);
    const state = JSON.parse(await readFile(join(dir, ".big.bin.nrp-part.json"), "utf8")) as {
      rangeSize: number;
      ranges: number[];
    };
    expect(state.ranges.length).toBeGreaterThanOrEqual(3);
    const firstAsked = rangesAsked(server, content);
    expect(disjoint(firstAsked)).toBe(true);

    // Second attempt: the missing ranges only, each once, more at a time than at the start.
    server.requestLog.length = 0;
    link.stats.busiest = 0;
    const resumed: number[] = [];
    await file.download(target, { onResume: (o) => resumed.push(o) });
    expect(resumed).toHaveLength(1);
    const asked = rangesAsked(server, content);
    expect(disjoint(asked)).toBe(true);
    const missing: [number, number][] = [];
    for (let i = 0; i * state.rangeSize < size; i++) {
      if (!state.ranges.includes(i)) {
        missing.push([i * state.rangeSize, Math.min(size, (i + 1) * state.rangeSize) - 1]);
      }
    }
    expect(asked).toEqual(missing);
    expect(link.stats.busiest).toBeGreaterThan(ADAPTIVE_DOWNLOAD_INITIAL_CONCURRENCY);
    expect(md5(await readFile(target))).toBe(md5(bytes));
  }, 120_000);

  it("a fresh download covers the file with disjoint ranges, more in flight than at the start", async () => {
    const { server, link, direct, farFile, filesPath } = await slowSetup(4_000_000);
    const size = PARALLEL_DOWNLOAD_MIN_SIZE + 3 * MiB + 7;
    const bytes = data(size, 5);
    await direct.create("whole.bin", {}, bytes, { partSize: 16 * MiB });
    const file = await farFile("whole.bin");
    const dir = await mkdtemp(join(tmpdir(), "nrp-adaptive-"));
    dirs.push(dir);
    server.requestLog.length = 0;
    link.stats.busiest = 0;
    await file.download(join(dir, "whole.bin"));
    const asked = rangesAsked(server, `${filesPath}/whole.bin/content`);
    expect(disjoint(asked)).toBe(true);
    expect(asked[0]?.[0]).toBe(0);
    expect(asked.at(-1)?.[1]).toBe(size - 1);
    expect(asked.reduce((n, [a, b]) => n + b - a + 1, 0)).toBe(size);
    expect(link.stats.busiest).toBeGreaterThan(ADAPTIVE_DOWNLOAD_INITIAL_CONCURRENCY);
    expect(md5(await readFile(join(dir, "whole.bin")))).toBe(md5(bytes));
  }, 120_000);

  it("a near server (a probe answered within milliseconds) gets one stream, verified", async () => {
    const { server, direct, filesPath } = await slowSetup(4_000_000);
    const size = PARALLEL_DOWNLOAD_MIN_SIZE + 11;
    const bytes = data(size, 9);
    const file = await direct.create("near.bin", {}, bytes, { partSize: 16 * MiB });
    const dir = await mkdtemp(join(tmpdir(), "nrp-adaptive-"));
    dirs.push(dir);
    // The choice rests on a time, so a busy machine may delay a probe past it: of three fresh
    // downloads at least one goes as one stream, and every one verifies.
    const shapes: (string | undefined)[][] = [];
    for (let round = 0; round < 3; round++) {
      server.requestLog.length = 0;
      const target = join(dir, `near-${String(round)}.bin`);
      await file.download(target);
      expect(md5(await readFile(target))).toBe(md5(bytes));
      shapes.push(
        server.requestLog
          .filter((r) => r.method === "GET" && r.path === `${filesPath}/near.bin/content`)
          .map((r) => r.headers.range),
      );
    }
    // The one-byte probe, then the whole content in one response.
    expect(shapes).toContainEqual(["bytes=0-0", undefined]);
  }, 120_000);

  it("a near server whose first probe came late is probed again and gets one stream", async () => {
    const { server, direct, filesPath } = await slowSetup(4_000_000);
    const size = PARALLEL_DOWNLOAD_MIN_SIZE + 13;
    const bytes = data(size, 3);
    const file = await direct.create("late.bin", {}, bytes, { partSize: 16 * MiB });
    const dir = await mkdtemp(join(tmpdir(), "nrp-adaptive-"));
    dirs.push(dir);
    const content = `${filesPath}/late.bin/content`;
    // The first probe of each download waits (as behind the server's garbage collection), more
    // than a near answer takes and less than a far link's round trip; the next ones do not. A
    // busy machine may delay those too, so of three downloads at least one goes as one stream.
    const delayMs = (ADAPTIVE_DOWNLOAD_NEAR_PROBE_MS + ADAPTIVE_DOWNLOAD_FAR_PROBE_MS) / 2;
    const shapes: (string | undefined)[][] = [];
    for (let round = 0; round < 3; round++) {
      server.requestLog.length = 0;
      server.faults.add({ method: "GET", path: content, delayMs, times: 1 });
      const target = join(dir, `late-${String(round)}.bin`);
      await file.download(target);
      expect(md5(await readFile(target))).toBe(md5(bytes));
      const gets = server.requestLog
        .filter((r) => r.method === "GET" && r.path === content)
        .map((r) => r.headers.range);
      // Never more probes than the limit, the first one the late one.
      expect(gets.filter((r) => r === "bytes=0-0").length).toBeGreaterThanOrEqual(1);
      expect(gets.filter((r) => r === "bytes=0-0").length).toBeLessThanOrEqual(
        ADAPTIVE_DOWNLOAD_NEAR_PROBES,
      );
      shapes.push(gets);
    }
    // The late probe, one or two more, then the whole content in one response.
    expect(
      shapes.some(
        (s) =>
          s.length >= 3 && s.at(-1) === undefined && s.slice(0, -1).every((r) => r === "bytes=0-0"),
      ),
    ).toBe(true);
  }, 120_000);

  it("an upload raises the parts in flight above the first ones and sends each part once", async () => {
    const { server, link, farFiles, filesPath } = await slowSetup(4_000_000);
    const part = 2 * MiB;
    const size = 24 * part + 3;
    const bytes = data(size, 9);
    const files = await farFiles();
    // A raise rests on throughput measured in time windows, which a busy machine can blur: of up
    // to three fresh uploads at least one raises, and every one sends each part once, verified.
    const busiest: number[] = [];
    for (let round = 0; round < 3; round++) {
      const key = `up-${String(round)}.bin`;
      server.requestLog.length = 0;
      link.stats.busiest = 0;
      const file = await files.create(key, {}, bytes, { transfer: "M", partSize: part });
      expect(file.checksum).toBe(`md5:${md5(bytes)}`);
      const puts = server.requestLog.filter(
        (e) => e.method === "PUT" && e.path.startsWith(`${filesPath}/${key}/content/`),
      );
      expect(puts).toHaveLength(25);
      expect(new Set(puts.map((e) => e.path)).size).toBe(25);
      busiest.push(link.stats.busiest);
      if (link.stats.busiest > DEFAULT_UPLOAD_CONCURRENCY) break;
    }
    // DEFAULT_UPLOAD_CONCURRENCY parts at first; more once one connection proved slow.
    expect(Math.max(...busiest)).toBeGreaterThan(DEFAULT_UPLOAD_CONCURRENCY);
  }, 180_000);
});

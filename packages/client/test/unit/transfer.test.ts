import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import {
  APIUserAbortError,
  fromBlob,
  fromBytes,
  fromPath,
  fromStream,
  NRPError,
  safeFilePath,
  toUploadSource,
  UnsafeFileKeyError,
  unsafeKeyReason,
  UploadError,
} from "nrp-invenio-client";
import type { UploadPart, UploadSource } from "nrp-invenio-client";
import {
  DEFAULT_PART_SIZE,
  MAX_PARTS,
  MULTIPART_THRESHOLD,
  partBytes,
  planUpload,
} from "nrp-invenio-client";
import { chooseTransfer, planParts } from "../../src/core/transfers.js";
import type { TransferProgress } from "../../src/core/transfers.js";
import { contentMd5, md5OfChecksum, ProgressTracker } from "../../src/internal/transfer.js";
import { BatchBuffers, drain, tempPaths } from "../../src/internal/download.js";
import { parseContentRange } from "../../src/internal/ranges.js";
import { partRange, partsToSend, runParts } from "../../src/internal/upload.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function read(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

describe("upload sources", () => {
  const ranges: [number, number][] = [
    [0, 1000],
    [0, 0],
    [999, 1000],
    [10, 20],
    [500, 500],
  ];

  async function sources(): Promise<[string, UploadSource][]> {
    const dir = await mkdtemp(join(tmpdir(), "nrp-src-"));
    dirs.push(dir);
    const path = join(dir, "data.bin");
    await writeFile(path, bytes);
    return [
      ["path", await fromPath(path)],
      ["bytes", fromBytes(bytes)],
      ["blob", fromBlob(new Blob([bytes]))],
    ];
  }

  it("re-opens any range of a path, bytes and a Blob, as often as asked", async () => {
    for (const [name, source] of await sources()) {
      expect(source.size, name).toBe(1000);
      expect(source.retryable, name).toBe(true);
      for (const [start, end] of ranges) {
        for (let i = 0; i < 2; i++) {
          expect(
            (await read(source.open(start, end))).equals(bytes.subarray(start, end)),
            name,
          ).toBe(true);
        }
      }
      expect(() => source.open(0, 1001), name).toThrow(RangeError);
      expect(() => source.open(5, 4), name).toThrow(RangeError);
    }
  });

  it("names a path source by its base name and refuses directories", async () => {
    const [[, source]] = (await sources()) as [[string, UploadSource]];
    expect(source.name).toBe("data.bin");
    await expect(fromPath(tmpdir())).rejects.toThrow(/not a regular file/);
  });

  it("cuts a one-shot stream into consecutive ranges, once", async () => {
    const chunks = [bytes.subarray(0, 333), bytes.subarray(333, 700), bytes.subarray(700)];
    const source = fromStream(Readable.from(chunks), 1000);
    expect(source.retryable).toBe(false);
    const a = await read(source.open(0, 300));
    const b = await read(source.open(300, 800));
    expect(() => source.open(300, 800)).toThrow(/cannot be read again/);
    const c = await read(source.open(800, 1000));
    expect(Buffer.concat([a, b, c]).equals(bytes)).toBe(true);
  });

  it("reads a web ReadableStream, and fails a stream shorter than declared", async () => {
    const web = Readable.toWeb(Readable.from([bytes])) as ReadableStream<Uint8Array>;
    const source = await toUploadSource(web, { size: 1000 });
    expect((await read(source.open(0, 1000))).equals(bytes)).toBe(true);
    const short = fromStream(Readable.from([bytes.subarray(0, 10)]), 20);
    await expect(read(short.open(0, 20))).rejects.toMatchObject({ code: "NRP_SOURCE_TOO_SHORT" });
  });

  it("checks a given size against the real one and rejects unknown inputs", async () => {
    await expect(toUploadSource(bytes, { size: 5 })).rejects.toThrow(/1000 bytes/);
    await expect(toUploadSource(42 as never)).rejects.toBeInstanceOf(NRPError);
    const unknown = await toUploadSource(Readable.from([bytes]));
    expect(unknown.size).toBeUndefined();
  });
});

describe("part planning", () => {
  const MiB = 1024 * 1024;
  const table: [size: number, partSize: number, parts: number, effective: number, last: number][] =
    [
      [1, 10, 1, 10, 1],
      [9, 10, 1, 10, 9],
      [10, 10, 1, 10, 10],
      [11, 10, 2, 10, 1],
      [19, 10, 2, 10, 9],
      [20, 10, 2, 10, 10],
      [21, 10, 3, 10, 1],
      [100 * MiB, 16 * MiB, 7, 16 * MiB, 4 * MiB],
      // Over 10 000 parts the part size grows.
      [10_000, 1, MAX_PARTS, 1, 1],
      [10_001, 1, 5001, 2, 1],
      [5 * 1024 * MiB, MiB, 5120, MiB, MiB],
      [20_000 * MiB, MiB, MAX_PARTS, 2 * MiB, 2 * MiB],
    ];
  it.each(table)(
    "size %i, part size %i → %i parts of %i, last %i",
    (size, ps, parts, eff, last) => {
      const plan = planParts(size, ps);
      expect(plan).toEqual({ size, partSize: eff, parts });
      const all = [...partsToSend(plan, new Set())];
      expect(all).toHaveLength(parts);
      expect(all[0]?.start).toBe(0);
      expect(all.at(-1)?.end).toBe(size);
      expect((all.at(-1)?.end ?? 0) - (all.at(-1)?.start ?? 0)).toBe(last);
      for (const p of all.slice(0, -1)) expect(p.end - p.start).toBe(eff);
      expect(all.every((p, i) => p.part === i + 1)).toBe(true);
    },
  );

  it("skips parts already done and refuses empty files and bad part sizes", () => {
    const plan = planParts(35, 10);
    expect([...partsToSend(plan, new Set([1, 3]))].map((p) => p.part)).toEqual([2, 4]);
    expect(partRange(plan, 4)).toEqual({ part: 4, start: 30, end: 35 });
    expect(() => planParts(0, 10)).toThrow(/transfer "L"/);
    expect(() => planParts(10, 0)).toThrow(/partSize/);
    expect(() => planParts(10, 1.5)).toThrow(/partSize/);
  });
});

describe("transfer choice", () => {
  const T = 100;
  const table: [
    requested: "auto" | "L" | "M" | undefined,
    size: number | undefined,
    offered: string[],
    expected: string,
  ][] = [
    [undefined, 99, ["L", "M"], "L"],
    [undefined, 100, ["L", "M"], "M"],
    ["auto", 1000, ["L"], "L"],
    ["auto", undefined, ["L", "M"], "L"],
    ["L", 1000, ["L", "M"], "L"],
    ["M", 1, ["L"], "M"],
    ["M", 0, ["L", "M"], "error"],
    ["M", undefined, ["L", "M"], "error"],
  ];
  it.each(table)("%s with size %s and %j → %s", (requested, size, offered, expected) => {
    const run = (): string => chooseTransfer({ requested, size, offered, threshold: T });
    if (expected === "error") expect(run).toThrow(NRPError);
    else expect(run()).toBe(expected);
  });
  it("rejects an unknown transfer name", () => {
    expect(() =>
      chooseTransfer({ requested: "X" as never, size: 1, offered: [], threshold: 1 }),
    ).toThrow(/"auto", "L" or "M"/);
  });
});

describe("planUpload (the public plan the CLI journals)", () => {
  const MiB = 1024 * 1024;
  it("takes M from the threshold on, only when the repository offers it", () => {
    expect(planUpload(MULTIPART_THRESHOLD - 1, { offered: ["L", "M"] })).toEqual({
      transfer: "L",
      size: MULTIPART_THRESHOLD - 1,
    });
    expect(planUpload(MULTIPART_THRESHOLD, { offered: ["L"] }).transfer).toBe("L");
    expect(planUpload(MULTIPART_THRESHOLD, { offered: ["L", "M"] })).toEqual({
      transfer: "M",
      size: MULTIPART_THRESHOLD,
      partSize: 8 * MiB,
      parts: MULTIPART_THRESHOLD / (8 * MiB),
    });
  });
  it("picks parts small enough for 16 in flight, from 8 to 16 MiB", () => {
    const plan = (size: number): unknown => planUpload(size, { offered: ["M"] });
    expect(plan(64 * MiB)).toMatchObject({ partSize: 8 * MiB, parts: 8 });
    expect(plan(200 * MiB)).toMatchObject({ partSize: 13 * MiB, parts: 16 });
    expect(plan(256 * MiB)).toMatchObject({ partSize: DEFAULT_PART_SIZE, parts: 16 });
    expect(plan(1024 * MiB)).toMatchObject({ partSize: DEFAULT_PART_SIZE, parts: 64 });
    // An explicit part size is kept.
    expect(planUpload(64 * MiB, { offered: ["M"], partSize: 16 * MiB })).toMatchObject({
      parts: 4,
    });
  });
  it("lays out parts as planParts does, raising the part size past MAX_PARTS", () => {
    const size = (MAX_PARTS + 1) * MiB;
    const plan = planUpload(size, { transfer: "M", partSize: MiB, offered: [] });
    expect(plan).toEqual({ transfer: "M", ...planParts(size, MiB) });
    if (plan.transfer !== "M") throw new Error("expected M");
    expect(plan.parts).toBeLessThanOrEqual(MAX_PARTS);
  });
  it("refuses M without a usable size", () => {
    expect(() => planUpload(0, { transfer: "M", offered: ["M"] })).toThrow(NRPError);
    expect(() => planUpload(undefined, { transfer: "M", offered: ["M"] })).toThrow(NRPError);
  });
  it("counts the bytes of acknowledged parts, the last one short", () => {
    const plan = planParts(35, 10);
    expect(partBytes(plan, [1, 4])).toBe(15);
    expect(partBytes(plan, [])).toBe(0);
  });
});

describe("checksums", () => {
  it("encodes Content-MD5 as base64 of the raw digest (RFC 1864)", () => {
    const hex = createHash("md5").update("Hello world!").digest("hex");
    expect(hex).toBe("86fb269d190d2c85f6e0468ceca42a20");
    expect(contentMd5(hex)).toBe("hvsmnRkNLIX24EaM7KQqIA==");
    expect(contentMd5("d41d8cd98f00b204e9800998ecf8427e")).toBe("1B2M2Y8AsgTpgAmY7PhCfg==");
  });
  it("reads md5: checksums only", () => {
    expect(md5OfChecksum("md5:86FB269D190D2C85F6E0468CECA42A20")).toBe(
      "86fb269d190d2c85f6e0468ceca42a20",
    );
    expect(md5OfChecksum("multipart:abc-10")).toBeUndefined();
    expect(md5OfChecksum(undefined)).toBeUndefined();
  });
  it("parses Content-Range and names the temporary files beside the target", () => {
    expect(parseContentRange("bytes 10-19/100")).toEqual({ start: 10, end: 19, total: 100 });
    expect(parseContentRange("bytes 0-0/*")).toEqual({ start: 0, end: 0, total: undefined });
    expect(parseContentRange("bytes */100")).toBeUndefined();
    expect(tempPaths("/d/x/data.csv")).toEqual({
      temp: "/d/x/.data.csv.nrp-part",
      state: "/d/x/.data.csv.nrp-part.json",
    });
  });
});

describe("file keys", () => {
  const unsafe: [string, RegExp][] = [
    ["", /empty/],
    ["../x", /"\.\." path segment/],
    ["a/../../x", /"\.\." path segment/],
    ["..", /"\.\." path segment/],
    ["./x", /"\." path segment/],
    ["/etc/passwd", /absolute/],
    ["a\u0000b", /control character/],
    ["a\nb", /control character/],
    ["..\\x", /backslash/],
    ["a\\b", /backslash/],
    ["C:x", /drive letter/],
    ["c:/windows", /drive letter/],
    ["a//b", /empty path segment/],
    ["a/", /empty path segment/],
  ];
  it.each(unsafe)("refuses %j", (key, reason) => {
    expect(unsafeKeyReason(key)).toMatch(reason);
    expect(() => safeFilePath("/tmp/out", key)).toThrow(UnsafeFileKeyError);
  });
  const safe: [string, string][] = [
    ["data.csv", "/tmp/out/data.csv"],
    ["sub/dir/data.csv", "/tmp/out/sub/dir/data.csv"],
    ["..data", "/tmp/out/..data"],
    ["a..b", "/tmp/out/a..b"],
    [".hidden", "/tmp/out/.hidden"],
    ["ünïcødé ☃.txt", "/tmp/out/ünïcødé ☃.txt"],
  ];
  it.each(safe)("places %j at %s", (key, path) => {
    expect(unsafeKeyReason(key)).toBeUndefined();
    expect(safeFilePath("/tmp/out", key)).toBe(path);
  });
});

describe("progress", () => {
  it("aggregates parallel parts, takes back a retried part's bytes and throttles", () => {
    let now = 0;
    const seen: TransferProgress[] = [];
    const t = new ProgressTracker({
      onProgress: (p) => seen.push(p),
      totalBytes: 30,
      partsTotal: 3,
      intervalMs: 100,
      now: () => now,
    });
    t.add(1, 5);
    t.add(2, 5);
    now = 50;
    t.add(1, 5);
    expect(seen).toHaveLength(1);
    now = 200;
    t.restart(2);
    t.add(2, 10);
    t.partDone(1);
    t.partDone(2);
    expect(t.transferredBytes).toBe(20);
    t.add(3, 10);
    t.finish();
    expect(seen.at(-1)).toEqual({
      transferredBytes: 30,
      totalBytes: 30,
      partsDone: 2,
      partsTotal: 3,
    });
    expect(seen.every((p) => p.transferredBytes <= 30)).toBe(true);
  });

  it("finish() does not repeat the state it last reported", () => {
    let now = 0;
    const seen: number[] = [];
    const t = new ProgressTracker({
      onProgress: (p) => seen.push(p.transferredBytes),
      totalBytes: 20,
      intervalMs: 100,
      now: () => now,
    });
    t.add(0, 10);
    now = 200;
    t.add(0, 10);
    t.finish();
    expect(seen).toEqual([10, 20]);
    // An empty transfer still reports its end once.
    const empty: number[] = [];
    new ProgressTracker({
      onProgress: (p) => empty.push(p.transferredBytes),
      totalBytes: 0,
    }).finish();
    expect(empty).toEqual([0]);
  });
});

describe("runParts", () => {
  const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const parts = (n: number): UploadPart[] =>
    Array.from({ length: n }, (_, i) => ({ part: i + 1, start: i * 10, end: i * 10 + 10 }));

  it("sends every part with bounded concurrency, out of order, and reports each", async () => {
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const done = await runParts({
      key: "k",
      parts: parts(9),
      concurrency: 3,
      send: async (p) => {
        running++;
        peak = Math.max(peak, running);
        await tick(p.part % 3 === 0 ? 1 : 15);
        running--;
      },
      onPartDone: (p) => order.push(p.part),
    });
    expect(peak).toBe(3);
    expect(done).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(order).not.toEqual([...order].sort((a, b) => a - b));
  });

  it("stops at the first failure, aborts siblings and lists what made it", async () => {
    const aborted: number[] = [];
    const started: number[] = [];
    const error = await runParts({
      key: "big.bin",
      parts: parts(20),
      concurrency: 3,
      alreadyDone: [20],
      send: async (p, signal) => {
        started.push(p.part);
        if (p.part === 4) {
          await tick(20);
          throw new Error("disk on fire");
        }
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, p.part <= 3 ? 1 : 50);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            aborted.push(p.part);
            reject(new APIUserAbortError("aborted"));
          });
        });
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadError);
    const e = error as UploadError;
    expect(e.key).toBe("big.bin");
    expect(e.failedParts).toEqual([4]);
    expect(e.completedParts).toEqual([1, 2, 3, 20]);
    expect((e.cause as Error).message).toBe("disk on fire");
    expect(e.message).toMatch(/part 4.*disk on fire/);
    expect(aborted.length).toBeGreaterThan(0);
    expect(Math.max(...started)).toBeLessThan(10);
  });

  it("retries inside send and keeps going; a throwing onPartDone is fatal", async () => {
    const attempts = new Map<number, number>();
    const done = await runParts({
      key: "k",
      parts: parts(4),
      concurrency: 2,
      send: async (p) => {
        for (;;) {
          const n = (attempts.get(p.part) ?? 0) + 1;
          attempts.set(p.part, n);
          await tick(1);
          if (p.part === 2 && n < 3) continue;
          return;
        }
      },
    });
    expect(done).toEqual([1, 2, 3, 4]);
    expect(attempts.get(2)).toBe(3);
    await expect(
      runParts({
        key: "k",
        parts: parts(4),
        concurrency: 1,
        send: () => Promise.resolve(),
        onPartDone: (p) => {
          if (p.part === 2) throw new Error("journal full");
        },
      }),
    ).rejects.toMatchObject({ name: "UploadError", failedParts: [2], completedParts: [1, 2] });
  });

  it("turns the caller's abort into APIUserAbortError", async () => {
    const controller = new AbortController();
    const run = runParts({
      key: "k",
      parts: parts(10),
      concurrency: 2,
      signal: controller.signal,
      send: (_p, signal) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, 20);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(new APIUserAbortError());
          });
        }),
    });
    setTimeout(() => {
      controller.abort();
    }, 30);
    await expect(run).rejects.toBeInstanceOf(APIUserAbortError);
  });
});

describe("drain", () => {
  it("writes every chunk that arrived before the body failed, in order, batched", async () => {
    const body = new Readable({ read: () => undefined });
    const written: number[][] = [];
    const run = drain(body, async (chunks) => {
      await new Promise((r) => setTimeout(r, 5));
      written.push(chunks.flatMap((c) => [...c]));
    });
    for (let i = 0; i < 10; i++) body.push(Buffer.from([i]));
    setTimeout(() => body.destroy(new Error("socket closed")), 1);
    await expect(run).rejects.toThrow("socket closed");
    expect(written.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(written.length).toBeLessThan(10);
  });

  it("gathers socket-sized chunks into writes of at least 1 MiB, the rest at the end", async () => {
    const chunk = Buffer.alloc(64 * 1024, 1);
    const body = Readable.from(Array.from({ length: 40 }, () => chunk));
    const sizes: number[] = [];
    await drain(body, async (chunks) => {
      await new Promise((r) => setTimeout(r, 1));
      sizes.push(chunks.reduce((n, c) => n + c.length, 0));
    });
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(40 * 64 * 1024);
    expect(sizes.slice(0, -1).every((n) => n >= 1024 * 1024)).toBe(true);
    expect(sizes.length).toBeLessThanOrEqual(3);
  });

  it("settles only after the last bytes are written when the body both errors and closes", async () => {
    const body = new Readable({ read: () => undefined });
    let writing = false;
    let written = 0;
    const run = drain(body, async (chunks) => {
      writing = true;
      await new Promise((r) => setTimeout(r, 30));
      written += chunks.reduce((n, c) => n + c.length, 0);
      writing = false;
    });
    body.push(Buffer.alloc(1000));
    setTimeout(() => body.destroy(new Error("socket closed")), 1);
    await expect(run).rejects.toThrow("socket closed");
    expect(writing).toBe(false);
    expect(written).toBe(1000);
  });

  it("copies the bytes into batches whose buffers are reused once written", async () => {
    const buffers = new BatchBuffers(1000);
    const chunks = Array.from({ length: 25 }, (_, i) => Buffer.alloc(300, i));
    const body = Readable.from(chunks);
    const seen = new Set<ArrayBufferLike>();
    const written: Buffer[] = [];
    await drain(
      body,
      async (batch) => {
        await new Promise((r) => setTimeout(r, 1));
        for (const c of batch) {
          seen.add(c.buffer);
          written.push(Buffer.from(c));
        }
      },
      2000,
      buffers,
    );
    // 7,500 bytes in 8 writes of at most 1,000 bytes, none of them in a chunk's own buffer.
    expect(Buffer.concat(written).equals(Buffer.concat(chunks))).toBe(true);
    expect(written.every((c) => c.length <= 1000)).toBe(true);
    for (const c of chunks) expect(seen.has(c.buffer)).toBe(false);
    // The writes ran one at a time, so a few buffers served them all.
    expect(seen.size).toBeLessThanOrEqual(4);
  });

  it("resolves after the last write and rejects when a write fails", async () => {
    const ok = Readable.from([Buffer.from("ab"), Buffer.from("cd")]);
    const seen: string[] = [];
    await drain(ok, (chunks) => {
      seen.push(...chunks.map(String));
      return Promise.resolve();
    });
    expect(seen.join("")).toBe("abcd");
    const bad = Readable.from([Buffer.from("ab")]);
    await expect(drain(bad, () => Promise.reject(new Error("disk full")))).rejects.toThrow(
      "disk full",
    );
  });
});

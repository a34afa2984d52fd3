import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  BlobStore,
  BlobTooLong,
  isBlobName,
  PartSuperseded,
  type PartLayout,
} from "../src/store/blobs.js";

function md5(bytes: Buffer): string {
  return createHash("md5").update(bytes).digest("hex");
}

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

describe("BlobStore", () => {
  let dir: string;
  let blobs: BlobStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "nrp-blobs-"));
    blobs = new BlobStore(dir);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("a staged body becomes a blob only when kept, with its size and md5", async () => {
    const body = Buffer.from("hello, blob store");
    const staged = await blobs.stage(Readable.from([body]), { limit: 100, hash: true });
    expect(staged.bytes).toBe(body.length);
    expect(staged.md5?.toString("hex")).toBe(md5(body));
    const [temp] = await readdir(dir);
    expect(temp).toMatch(/\.upload$/);
    const id = await staged.keep();
    expect(isBlobName(id)).toBe(true);
    expect(await readdir(dir)).toEqual([id]);
    expect(await blobs.size(id)).toBe(body.length);
    expect(await text(blobs.read(id, { start: 7, end: 10 }))).toBe("blob");
    expect((await stat(join(dir, id))).mode & 0o777).toBe(0o600);
  });

  test("more bytes than the limit throw BlobTooLong and leave nothing behind", async () => {
    const source = Readable.from([Buffer.alloc(60), Buffer.alloc(60)]);
    await expect(blobs.stage(source, { limit: 100, hash: false })).rejects.toBeInstanceOf(
      BlobTooLong,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  test("a discarded staging file is removed; discarding after keeping changes nothing", async () => {
    const dropped = await blobs.stage(Readable.from([Buffer.from("x")]), { limit: 9, hash: false });
    await dropped.discard();
    expect(await readdir(dir)).toEqual([]);
    const kept = await blobs.stage(Readable.from([Buffer.from("y")]), { limit: 9, hash: false });
    const id = await kept.keep();
    await kept.discard();
    expect(await readdir(dir)).toEqual([id]);
  });

  test("the sweep keeps referenced blobs and pending parts, and removes the rest", async () => {
    const kept = await blobs.createEmpty();
    const orphan = await blobs.createEmpty();
    const pending = await blobs.createEmpty();
    for (const blob of [pending, orphan]) {
      const part = await blobs.stage(Readable.from([Buffer.from("p")]), { limit: 1, hash: false });
      await part.keepAsPart(blob, 1);
    }
    // A staging file left behind by an interrupted upload.
    await blobs.stage(Readable.from([Buffer.from("s")]), { limit: 1, hash: false });
    await blobs.sweep({
      referenced: (id) => id === kept || id === pending,
      pending: (id) => id === pending,
    });
    expect((await readdir(dir)).sort()).toEqual([kept, pending, `${pending}.part1`].sort());
  });

  test("the free space of the blob directory's filesystem is known", async () => {
    const free = await blobs.freeBytes();
    expect(free).toBeGreaterThan(0);
    expect(await new BlobStore(join(dir, "missing")).freeBytes()).toBeUndefined();
  });

  describe("multipart parts written in place", () => {
    // 4 parts of 5 bytes, the last 3 bytes long.
    const layout: PartLayout = { parts: 4, partSize: 5, size: 18 };
    const whole = Buffer.from("aaaaabbbbbcccccddd");
    const slice = (n: number, data = whole): Buffer => data.subarray((n - 1) * 5, n * 5);

    /** Lands part `n` with `data` and extends the running hash, as the files service does. */
    async function put(
      blob: string,
      done: Set<number>,
      n: number,
      data: Buffer,
      replacing = false,
    ) {
      const part = await blobs.stagePart(blob, n, Readable.from([data]), {
        offset: (n - 1) * 5,
        limit: 5,
        hash: true,
        replacing,
      });
      expect(part.md5?.toString("hex")).toBe(md5(data));
      await part.land();
      await part.discard();
      done.add(n);
      blobs.advance(blob, new Set(done), layout);
    }

    /** A source that sends `bytes` and then fails, as a connection cut mid-body. */
    function cut(bytes: Buffer): Readable {
      const source = new Readable({ read: () => undefined });
      source.push(bytes);
      setImmediate(() => source.destroy(new Error("connection cut")));
      return source;
    }

    test("parts out of order: the md5 is right and the bytes move to a fresh name", async () => {
      const pending = await blobs.createEmpty();
      const done = new Set<number>();
      for (const n of [3, 1, 4, 2]) await put(pending, done, n, slice(n));
      // Only the pending blob: no per-part files.
      expect(await readdir(dir)).toEqual([pending]);
      const result = await blobs.finishParts(pending, layout);
      expect(result).toEqual({ blobId: result.blobId, bytes: 18, md5: md5(whole) });
      expect(result.blobId).not.toBe(pending);
      expect(await readFile(join(dir, result.blobId))).toEqual(whole);
      await blobs.remove([pending]);
      expect(await readdir(dir)).toEqual([result.blobId]);
      expect((await stat(join(dir, result.blobId))).mode & 0o777).toBe(0o600);
    });

    test("a part re-sent with other bytes replaces it, also once the running hash covered it", async () => {
      const pending = await blobs.createEmpty();
      const done = new Set<number>();
      for (const n of [1, 2, 3]) await put(pending, done, n, slice(n));
      const other = Buffer.from("XXXXX");
      await put(pending, done, 1, other, true);
      await put(pending, done, 4, slice(4));
      const expected = Buffer.concat([other, whole.subarray(5)]);
      const result = await blobs.finishParts(pending, layout);
      expect(result.md5).toBe(md5(expected));
      expect(await readFile(join(dir, result.blobId))).toEqual(expected);
    });

    test("a re-sent part cut mid-body leaves the landed bytes and no staging file", async () => {
      const pending = await blobs.createEmpty();
      const done = new Set<number>();
      for (const n of [1, 2, 3, 4]) await put(pending, done, n, slice(n));
      const options = { offset: 5, limit: 5, hash: true, replacing: true };
      await expect(blobs.stagePart(pending, 2, cut(Buffer.from("ZZ")), options)).rejects.toThrow(
        "connection cut",
      );
      expect(await readdir(dir)).toEqual([pending]);
      expect((await blobs.finishParts(pending, layout)).md5).toBe(md5(whole));
    });

    test("a part cut mid-body in place is not counted; its next upload lands over it", async () => {
      const pending = await blobs.createEmpty();
      const done = new Set<number>();
      const options = { offset: 5, limit: 5, hash: false, replacing: false };
      await expect(blobs.stagePart(pending, 2, cut(Buffer.from("ZZZ")), options)).rejects.toThrow(
        "connection cut",
      );
      await expect(
        blobs.stagePart(pending, 2, Readable.from([Buffer.alloc(6)]), options),
      ).rejects.toBeInstanceOf(BlobTooLong);
      for (const n of [4, 2, 3, 1]) await put(pending, done, n, slice(n));
      expect((await blobs.finishParts(pending, layout)).md5).toBe(md5(whole));
    });

    test("an upload landing while another of the same part is written in place stops that one", async () => {
      const pending = await blobs.createEmpty();
      const done = new Set<number>();
      for (const n of [1, 3, 4]) await put(pending, done, n, slice(n));
      const slow = new PassThrough();
      const options = { offset: 5, limit: 5, hash: false, replacing: false };
      const first = blobs.stagePart(pending, 2, slow, options);
      slow.write(Buffer.from("QQ"));
      await new Promise((resolve) => setImmediate(resolve));
      // The second upload of part 2 is staged on its own and copied in when it lands.
      await put(pending, done, 2, slice(2));
      slow.end(Buffer.from("QQQ"));
      const late = await first;
      await expect(late.land()).rejects.toBeInstanceOf(PartSuperseded);
      const result = await blobs.finishParts(pending, layout);
      expect(result.md5).toBe(md5(whole));
      expect(await readFile(join(dir, result.blobId))).toEqual(whole);
    });

    test("parts staged beside the blob by an earlier version still count, unless re-sent since", async () => {
      const pending = await blobs.createEmpty();
      for (const n of [1, 2, 3]) {
        const staged = await blobs.stage(Readable.from([slice(n)]), { limit: 5, hash: false });
        await staged.keepAsPart(pending, n);
      }
      // After an upgrade: part 4 arrives in place, part 2 is re-sent with other bytes.
      const done = new Set([1, 2, 3]);
      await put(pending, done, 4, slice(4));
      const other = Buffer.from("YYYYY");
      await put(pending, done, 2, other, true);
      const expected = Buffer.concat([slice(1), other, whole.subarray(10)]);
      const result = await blobs.finishParts(pending, layout);
      expect(result.md5).toBe(md5(expected));
      expect(await readFile(join(dir, result.blobId))).toEqual(expected);
    });
  });
});

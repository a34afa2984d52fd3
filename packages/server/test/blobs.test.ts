import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { BlobStore, BlobTooLong, isBlobName } from "../src/store/blobs.js";

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

  test("parts are staged beside their blob and assembled in order into a fresh blob", async () => {
    const pending = await blobs.createEmpty();
    const parts = ["one-", "two-", "three"];
    // Out of order, as parallel workers finish.
    for (const n of [3, 1, 2]) {
      const staged = await blobs.stage(Readable.from([Buffer.from(parts[n - 1] ?? "")]), {
        limit: 10,
        hash: false,
      });
      await staged.keepAsPart(pending, n);
    }
    const assembled = await blobs.assemble(pending, 3);
    const whole = Buffer.from(parts.join(""));
    expect(assembled).toEqual({ blobId: assembled.blobId, bytes: whole.length, md5: md5(whole) });
    expect(assembled.blobId).not.toBe(pending);
    expect(await readFile(join(dir, assembled.blobId))).toEqual(whole);
    await blobs.removeParts([pending]);
    await blobs.remove([pending]);
    expect(await readdir(dir)).toEqual([assembled.blobId]);
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
});

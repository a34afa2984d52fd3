import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { liveHashWorkers, openPrefixHasher, StreamHasher } from "../../src/internal/hasher.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "nrp-hasher-"));
  dirs.push(dir);
  return join(dir, "f.bin");
}

const md5 = (b: Uint8Array): string => createHash("md5").update(b).digest("hex");

describe.each([{ worker: true }, { worker: false }])(
  "prefix hasher (worker: $worker)",
  ({ worker }) => {
    it("hashes a file as it grows, across a truncation", async () => {
      const path = await tempFile();
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      const handle = await open(path, "w");
      const hasher = await openPrefixHasher(path, undefined, {
        minWorkerSize: 0,
        worker,
        workerStartOffset: 0,
      });
      try {
        // A first attempt that is thrown away, as when If-Range says the content changed.
        await handle.write(randomBytes(500_000), 0, 500_000, 0);
        hasher.extend(500_000);
        await handle.truncate(0);
        hasher.reset();
        for (let at = 0; at < bytes.length; at += 700_000) {
          const end = Math.min(bytes.length, at + 700_000);
          await handle.write(bytes, at, end - at, at);
          hasher.extend(end);
        }
        expect(liveHashWorkers()).toBe(worker ? 1 : 0);
        expect(await hasher.digest()).toBe(md5(bytes));
      } finally {
        await hasher.close();
        await handle.close();
      }
      expect(liveHashWorkers()).toBe(0);
    });

    it.runIf(worker)("falls back to the main thread when the worker cannot run", async () => {
      const path = await tempFile();
      const bytes = randomBytes(2 * 1024 * 1024 + 5);
      await writeFile(path, bytes);
      const missing = pathToFileURL(join(tmpdir(), "no-such-dir-nrp", "md5-worker.js"));
      const hasher = await openPrefixHasher(path, bytes.length, {
        minWorkerSize: 0,
        worker,
        workerStartOffset: 0,
        workerUrl: missing,
      });
      try {
        hasher.extend(1024);
        hasher.extend(bytes.length);
        expect(await hasher.digest()).toBe(md5(bytes));
      } finally {
        await hasher.close();
      }
      expect(liveHashWorkers()).toBe(0);
    });

    it("reports a file shorter than what it was told to hash", async () => {
      const path = await tempFile();
      await writeFile(path, randomBytes(1000));
      const hasher = await openPrefixHasher(path, undefined, {
        minWorkerSize: 0,
        worker,
        workerStartOffset: 0,
      });
      try {
        hasher.extend(5000);
        await expect(hasher.digest()).rejects.toMatchObject({ code: "NRP_HASH_SHORT" });
      } finally {
        await hasher.close();
      }
      expect(liveHashWorkers()).toBe(0);
    });

    it("reports a read error under its own code, the system's code kept in the message", async () => {
      // Reading a directory fails with EISDIR; the error's code is still the library's.
      const dir = await mkdtemp(join(tmpdir(), "nrp-hasher-"));
      dirs.push(dir);
      const hasher = await openPrefixHasher(dir, undefined, {
        minWorkerSize: 0,
        worker,
        workerStartOffset: 0,
      });
      try {
        hasher.extend(10);
        await expect(hasher.digest()).rejects.toMatchObject({
          code: "NRP_HASH_FAILED",
          message: expect.stringContaining("EISDIR") as unknown,
        });
      } finally {
        await hasher.close();
      }
      expect(liveHashWorkers()).toBe(0);
    });
  },
);

describe("stream hasher", () => {
  it("hashes a prefix read from disk, then the bytes it is fed, and starts over on reset", async () => {
    const path = await tempFile();
    const bytes = randomBytes(2 * 1024 * 1024 + 5);
    await writeFile(path, bytes.subarray(0, 1024 * 1024 + 3));
    const handle = await open(path, "r");
    try {
      const hasher = new StreamHasher();
      await hasher.updateFrom(handle, 1024 * 1024 + 3);
      hasher.update(bytes.subarray(1024 * 1024 + 3));
      expect(hasher.bytes).toBe(bytes.length);
      expect(hasher.digest()).toBe(md5(bytes));
      // digest() does not end the hash: more bytes may follow (a resumed body).
      hasher.update(bytes);
      expect(hasher.digest()).toBe(md5(Buffer.concat([bytes, bytes])));
      hasher.reset();
      expect(hasher.bytes).toBe(0);
      expect(hasher.digest()).toBe(md5(new Uint8Array(0)));
      // A file shorter than the prefix asked for is an error, not a wrong digest.
      await expect(hasher.updateFrom(handle, bytes.length)).rejects.toMatchObject({
        code: "NRP_HASH_SHORT",
      });
    } finally {
      await handle.close();
    }
  });
});

// The transfer code's byte streams: `through` taps chunks of any async iterable and releases a
// Node stream even when nothing was read; the browser's `#platform` (no-disk.ts) refuses paths and
// the configuration file with errors that say what to use instead.

import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ConfigError, NRPError } from "nrp-invenio-client";
import { chunksOf } from "../../src/internal/chunks.js";
import {
  clientFromConfig,
  downloadToPath,
  localFileMatches,
  openPath,
} from "../../src/internal/platform/no-disk.js";
import { CountingTap, through } from "../../src/internal/transfer.js";

describe("through", () => {
  it("shows each chunk to the tap as it passes, unchanged", async () => {
    const chunks = [new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array([4, 5, 6])];
    const seen: number[] = [];
    const out: Uint8Array[] = [];
    for await (const chunk of through(Readable.from(chunks), new CountingTap((n) => seen.push(n))))
      out.push(chunk);
    expect(seen).toEqual([2, 1, 3]);
    expect(Buffer.concat(out)).toEqual(Buffer.from([1, 2, 3, 4, 5, 6]));
  });

  it("destroys a Node stream that was never read when the iteration is ended", async () => {
    const source = new Readable({ read: () => undefined });
    const iterator = through(source, new CountingTap(() => undefined))[Symbol.asyncIterator]();
    await iterator.return?.();
    expect(source.destroyed).toBe(true);
  });

  it("ends a Node stream's iteration when stopped mid-way", async () => {
    const source = Readable.from([new Uint8Array(1), new Uint8Array(1), new Uint8Array(1)], {
      objectMode: false,
    });
    for await (const _chunk of through(source, new CountingTap(() => undefined))) break;
    expect(source.destroyed).toBe(true);
  });
});

describe("chunksOf", () => {
  it("reads a web stream and cancels it when the reader stops early", async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull: (controller) => {
        controller.enqueue(new Uint8Array(10));
      },
      cancel: () => {
        cancelled = true;
      },
    });
    let bytes = 0;
    for await (const chunk of chunksOf(stream)) {
      bytes += chunk.byteLength;
      if (bytes >= 30) break;
    }
    expect(bytes).toBe(30);
    expect(cancelled).toBe(true);
  });
});

describe("the browser's platform without a disk", () => {
  it("refuses paths, saying what to pass instead", async () => {
    const refused = await openPath("/etc/hostname").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NRPError);
    expect((refused as NRPError).message).toMatch(/browser build.*Blob, File or bytes/);
    await expect(downloadToPath()).rejects.toThrow(/blob\(\) or stream\(\)/);
    expect(await localFileMatches()).toBe(false);
  });

  it("refuses the configuration file with a ConfigError and its hint", async () => {
    const refused = await clientFromConfig({}, undefined).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).hint).toMatch(/new NRPInvenioClient/);
  });
});

// NRPFile.stream and NRPFile.blob against the devserver: the bytes, md5 verification against
// corrupted content, progress, abort and cancel.

import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { APIUserAbortError, ChecksumMismatchError, NRPError, NRPFile } from "nrp-invenio-client";
import type { NRPInvenioClient, NRPRecordFiles, TransferProgress } from "nrp-invenio-client";
import type { DevServer } from "nrp-invenio-devserver";
import { Fixtures } from "../helpers/servers.js";

const fx = new Fixtures();
afterEach(async () => {
  await fx.cleanup();
});

function data(size: number, seed = 11): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const md5 = (b: Uint8Array): string => `md5:${createHash("md5").update(b).digest("hex")}`;

async function setup(): Promise<{
  server: DevServer;
  client: NRPInvenioClient;
  files: NRPRecordFiles;
  filesPath: string;
}> {
  const server = await fx.devserver();
  const { client } = fx.client(server, { token: server.tokens.owner });
  const draft = await client.records.create("documents", { title: "Read" }, { filesEnabled: true });
  const files = await draft.loadFiles();
  return { server, client, files, filesPath: `/api/documents/${draft.id}/draft/files` };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const step = await reader.read();
    if (step.done) break;
    chunks.push(step.value);
  }
  return Buffer.concat(chunks);
}

describe("NRPFile.stream", () => {
  it("reads the exact bytes as a web ReadableStream, with progress up to the size", async () => {
    const { files } = await setup();
    const bytes = data(3 * 1024 * 1024 + 7);
    const file = await files.create("s.bin", {}, bytes);
    const progress: TransferProgress[] = [];
    const stream = await file.stream({ onProgress: (p) => progress.push(p) });
    expect(stream).toBeInstanceOf(ReadableStream);
    const got = await readAll(stream);
    expect(got.length).toBe(bytes.length);
    expect(md5(got)).toBe(md5(bytes));
    expect(progress.at(-1)).toEqual({ transferredBytes: bytes.length, totalBytes: bytes.length });
  });

  it("errors the stream with ChecksumMismatchError on corrupted content", async () => {
    const { server, files, filesPath } = await setup();
    const bytes = data(300_000);
    const file = await files.create("c.bin", {}, bytes);
    server.faults.add({ method: "GET", path: `${filesPath}/c.bin/content`, corruptByteAt: 1234 });
    const stream = await file.stream();
    const error = await readAll(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(error).toMatchObject({ key: "c.bin", expected: md5(bytes) });
    expect((error as ChecksumMismatchError).actual).not.toBe(md5(bytes));
  });

  it("hands corrupted content on when verify is false", async () => {
    const { server, files, filesPath } = await setup();
    const bytes = data(10_000);
    const file = await files.create("v.bin", {}, bytes);
    server.faults.add({ method: "GET", path: `${filesPath}/v.bin/content`, corruptByteAt: 5 });
    const got = await readAll(await file.stream({ verify: false }));
    expect(got.length).toBe(bytes.length);
    expect(got[5]).not.toBe(bytes[5]);
  });

  it("stops with APIUserAbortError when the signal is aborted mid-stream", async () => {
    const { files } = await setup();
    const bytes = data(8 * 1024 * 1024);
    const file = await files.create("a.bin", {}, bytes);
    const controller = new AbortController();
    const stream = await file.stream({ signal: controller.signal });
    const reader = stream.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    controller.abort();
    let error: unknown;
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(APIUserAbortError);
  });

  it("refuses an already aborted signal before any bytes", async () => {
    const { server, files, filesPath } = await setup();
    const file = await files.create("b.bin", {}, data(1000));
    server.requestLog.length = 0;
    const error = await file.stream({ signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIUserAbortError);
    expect(server.requestLog.filter((e) => e.path === `${filesPath}/b.bin/content`)).toEqual([]);
  });

  it("cancelling the stream ends the request; the client keeps working", async () => {
    const { files } = await setup();
    const bytes = data(4 * 1024 * 1024);
    const file = await files.create("x.bin", {}, bytes);
    const stream = await file.stream();
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel();
    expect(md5(await readAll(await file.stream()))).toBe(md5(bytes));
  });

  it("refuses a file whose upload is not committed", async () => {
    const pending = new NRPFile({ key: "p.bin", status: "pending", links: {} });
    const error = await pending.stream().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NRPError);
    expect(error).toMatchObject({ code: "NRP_FILE_NOT_COMMITTED" });
  });
});

describe("reads cut mid-body", () => {
  it("continue with Range and If-Range from the bytes received, md5 verified", async () => {
    const { server, files, filesPath } = await setup();
    const bytes = data(1024 * 1024 + 5);
    const file = await files.create("cut.bin", {}, bytes);
    const content = `${filesPath}/cut.bin/content`;
    server.faults.add({ method: "GET", path: content, dropAfterBytes: 300_000 });
    server.requestLog.length = 0;
    const progress: number[] = [];
    const blob = await file.blob({ onProgress: (p) => progress.push(p.transferredBytes) });
    expect(md5(new Uint8Array(await blob.arrayBuffer()))).toBe(md5(bytes));
    const gets = server.requestLog.filter((e) => e.method === "GET" && e.path === content);
    expect(gets.map((e) => [e.status, e.dropped])).toEqual([
      [200, true],
      [206, false],
    ]);
    const range = /^bytes=(\d+)-$/.exec(gets[1]?.headers.range ?? "");
    expect(Number(range?.[1])).toBeGreaterThan(0);
    expect(Number(range?.[1])).toBeLessThanOrEqual(300_000);
    expect(gets[1]?.headers["if-range"]).toBe(`"${md5(bytes)}"`);
    expect(progress.every((n, i) => i === 0 || n >= (progress[i - 1] ?? 0))).toBe(true);
    expect(progress.at(-1)).toBe(bytes.length);
  });

  it("read the whole content again from a server without ranges, passing on each byte once", async () => {
    const { server, files, filesPath } = await setup();
    // Letters only: a fault's body is sent as text.
    const bytes = Buffer.from(data(400_000, 3).map((b) => 97 + (b % 26)));
    const file = await files.create("whole.bin", {}, bytes);
    const content = `${filesPath}/whole.bin/content`;
    // Like InvenioRDM 13: no Accept-Ranges, a 200 with the whole body.
    const whole = {
      method: "GET",
      path: content,
      status: 200,
      body: bytes.toString("ascii"),
      headers: { "Content-Type": "application/octet-stream" },
    };
    server.faults.add({ ...whole, dropAfterBytes: 150_000 });
    server.faults.add(whole);
    server.requestLog.length = 0;
    const got = await readAll(await file.stream());
    expect(got.length).toBe(bytes.length);
    expect(md5(got)).toBe(md5(bytes));
    const gets = server.requestLog.filter((e) => e.method === "GET" && e.path === content);
    expect(gets).toHaveLength(2);
    expect(gets[1]?.headers.range).toBeUndefined();
  });

  it("stop after the client's retry count", async () => {
    const { server } = await setup();
    const { client } = fx.client(server, { token: server.tokens.owner, retryCount: 1 });
    const draft = await client.records.create(
      "documents",
      { title: "Cut" },
      { filesEnabled: true },
    );
    const files = await draft.loadFiles();
    const file = await files.create("c.bin", {}, data(500_000));
    server.faults.add({
      method: "GET",
      path: "/api/**/c.bin/content",
      dropAfterBytes: 100_000,
      times: 2,
    });
    const error = await file.blob().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ChecksumMismatchError);
    expect(server.faults.list()).toEqual([]);
  });
});

describe("NRPFile.blob", () => {
  it("reads the exact bytes into a Blob typed with the file's MIME type", async () => {
    const { files } = await setup();
    const text = "hello blob\n".repeat(1000);
    const file = await files.create("t.txt", {}, Buffer.from(text));
    const progress: TransferProgress[] = [];
    const blob = await file.blob({ onProgress: (p) => progress.push(p) });
    expect(blob).toBeInstanceOf(Blob);
    expect(blob.size).toBe(text.length);
    expect(await blob.text()).toBe(text);
    expect(blob.type).toBe(file.mimetype);
    expect(progress.at(-1)?.transferredBytes).toBe(text.length);
  });

  it("refuses corrupted content with ChecksumMismatchError", async () => {
    const { server, files, filesPath } = await setup();
    const bytes = data(50_000);
    const file = await files.create("c.bin", {}, bytes);
    server.faults.add({ method: "GET", path: `${filesPath}/c.bin/content`, corruptByteAt: 49_999 });
    const error = await file.blob().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(error).toMatchObject({ expected: md5(bytes) });
  });

  it("stops with APIUserAbortError when the signal is aborted during the request", async () => {
    const { server, files, filesPath } = await setup();
    const file = await files.create("h.bin", {}, data(1000));
    const id = server.faults.add({ method: "GET", path: `${filesPath}/h.bin/content`, hold: true });
    const controller = new AbortController();
    const pending = file.blob({ signal: controller.signal }).catch((e: unknown) => e);
    while (server.faults.held(id) === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    expect(await pending).toBeInstanceOf(APIUserAbortError);
    server.faults.release(id);
  });
});

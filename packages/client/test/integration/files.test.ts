import { createHash } from "node:crypto";
import { truncateSync } from "node:fs";
import { mkdtemp, open, readdir, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import {
  APIUserAbortError,
  BadRequestError,
  ChecksumMismatchError,
  ErrorCodes,
  fromBytes,
  InternalServerError,
  UnsafeFileKeyError,
  UploadError,
} from "nrp-invenio-client";
import type {
  NRPClientOptions,
  NRPFile,
  NRPInvenioClient,
  NRPRecordFiles,
  ResumeState,
  RetryEvent,
  TransferProgress,
  UploadSource,
} from "nrp-invenio-client";
import type { DevServer, DevServerOptions } from "nrp-invenio-devserver";
import {
  liveHashWorkers,
  startedHashWorkers,
  WORKER_HASH_MIN_SIZE,
} from "../../src/internal/hasher.js";
import { Fixtures, hitsFor } from "../helpers/servers.js";

const fx = new Fixtures();
const dirs: string[] = [];
afterEach(async () => {
  await fx.cleanup();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function data(size: number, seed = 7): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const md5 = (b: Uint8Array): string => `md5:${createHash("md5").update(b).digest("hex")}`;

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "nrp-files-"));
  dirs.push(dir);
  return dir;
}

async function setup(
  serverOptions: DevServerOptions = {},
  clientOptions: Partial<NRPClientOptions> = {},
): Promise<{
  server: DevServer;
  client: NRPInvenioClient;
  files: NRPRecordFiles;
  filesPath: string;
  events: RetryEvent[];
}> {
  const server = await fx.devserver(serverOptions);
  const { client, events } = fx.client(server, { token: server.tokens.owner, ...clientOptions });
  const draft = await client.records.create(
    "documents",
    { title: "With files" },
    { filesEnabled: true },
  );
  const files = await draft.loadFiles();
  return {
    server,
    client,
    files,
    filesPath: `/api/documents/${draft.id}/draft/files`,
    events,
  };
}

/** Milliseconds between consecutive requests the devserver logged for `method` on `path`. */
function gapsMs(server: DevServer, method: string, path: string): number[] {
  const times = server.requestLog
    .filter((e) => e.method === method && e.path === path)
    .map((e) => Date.parse(e.time));
  return times.slice(1).map((t, i) => t - (times[i] ?? t));
}

function puts(server: DevServer, prefix: string): string[] {
  return server.requestLog
    .filter((e) => e.method === "PUT" && e.path.startsWith(prefix))
    .map((e) => e.path);
}

const PART = 64 * 1024;

describe("matchesLocalFile", () => {
  it("is true only for a local file with the committed size and md5", async () => {
    const { files } = await setup();
    const bytes = data(3 * PART + 5);
    const file = await files.create("held.bin", {}, bytes);
    const dir = await tempDir();
    const same = join(dir, "same.bin");
    const changed = join(dir, "changed.bin");
    const shorter = join(dir, "shorter.bin");
    await writeFile(same, bytes);
    const flipped = Buffer.from(bytes);
    flipped[PART] = (flipped[PART] ?? 0) ^ 1;
    await writeFile(changed, flipped);
    await writeFile(shorter, bytes.subarray(1));
    expect(await file.matchesLocalFile(same)).toBe(true);
    expect(await file.matchesLocalFile(changed)).toBe(false);
    expect(await file.matchesLocalFile(shorter)).toBe(false);
    expect(await file.matchesLocalFile(join(dir, "missing.bin"))).toBe(false);
  });
});

describe("uploads and downloads round trip", () => {
  const cases: ["L" | "M", number][] = [
    ["L", 0],
    ["L", 1],
    ["L", PART - 1],
    ["L", PART],
    ["L", PART + 1],
    ["M", 1],
    ["M", PART - 1],
    ["M", PART],
    ["M", PART + 1],
    ["M", 13 * PART + 7],
  ];
  it.each(cases)("%s with %i bytes: committed, verified, downloaded identically", async (t, n) => {
    const { server, files, filesPath } = await setup();
    const bytes = data(n, n + 1);
    const progress: TransferProgress[] = [];
    const done: number[] = [];
    let sent = 0;
    const file = await files.create("data.bin", { title: "x" }, bytes, {
      transfer: t,
      partSize: PART,
      concurrency: 3,
      onProgress: (p) => progress.push(p),
      onPartDone: (p) => done.push(p.part),
      onBytes: (b) => (sent += b),
    });
    // Every byte is counted once, unthrottled.
    expect(sent).toBe(n);
    expect(file.status).toBe("completed");
    expect(file.size).toBe(n);
    expect(file.checksum).toBe(md5(bytes));
    expect(file.transfer.type).toBe("L");
    expect(files.get("data.bin")).toBe(file);
    expect(progress.at(-1)?.transferredBytes).toBe(n);
    const partPuts = puts(server, `${filesPath}/data.bin/content/`);
    if (t === "M") {
      const parts = Math.ceil(n / PART);
      expect(partPuts).toHaveLength(parts);
      expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: parts }, (_, i) => i + 1));
      expect(progress.at(-1)).toMatchObject({ partsDone: parts, partsTotal: parts });
    } else {
      expect(partPuts).toEqual([]);
      const put = server.requestLog.find((e) => e.path === `${filesPath}/data.bin/content`);
      expect(put?.headers["content-length"]).toBe(String(n));
      expect(put?.headers["content-md5"]).toBe(createHash("md5").update(bytes).digest("base64"));
    }
    const dir = await tempDir();
    let received = 0;
    const target = await file.download(dir, { onBytes: (b) => (received += b) });
    expect(received).toBe(n);
    expect(target).toBe(join(dir, "data.bin"));
    expect((await readFile(target)).equals(bytes)).toBe(true);
    expect(await readdir(dir)).toEqual(["data.bin"]);
    const streamed: Buffer[] = [];
    for await (const c of await file.open()) streamed.push(c as Buffer);
    expect(Buffer.concat(streamed).equals(bytes)).toBe(true);
  });

  it("uploads from a path, a Blob, a Readable and a web stream; auto picks by size", async () => {
    const { server, files, filesPath } = await setup();
    const dir = await tempDir();
    const bytes = data(3 * PART + 5);
    await writeFile(join(dir, "in.bin"), bytes);
    const sources: [string, () => unknown, Record<string, unknown>][] = [
      ["path.bin", () => join(dir, "in.bin"), {}],
      ["blob.bin", () => new Blob([bytes]), {}],
      ["readable.bin", () => Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), {}],
      [
        "readable-m.bin",
        () => Readable.from([bytes]),
        { size: bytes.length, transfer: "M", partSize: PART },
      ],
      ["web.bin", () => Readable.toWeb(Readable.from([bytes])), {}],
    ];
    for (const [key, make, opts] of sources) {
      const file = await files.create(key, {}, make() as never, { ...opts });
      expect(file.checksum, key).toBe(md5(bytes));
    }
    expect(puts(server, `${filesPath}/readable-m.bin/content/`)).toHaveLength(4);
    expect(files.length).toBe(5);
    await files.refresh();
    expect([...files].map((f) => f.key).sort()).toEqual(
      ["blob.bin", "path.bin", "readable-m.bin", "readable.bin", "web.bin"].sort(),
    );
  });

  it("hashes a large single-request upload while sending it: one read, no Content-MD5", async () => {
    const { server, files, filesPath } = await setup();
    const bytes = data(16 * 1024 * 1024 + 1);
    const inner = fromBytes(bytes);
    let opens = 0;
    const counted: UploadSource = {
      size: inner.size,
      retryable: true,
      open: (start, end) => {
        opens++;
        return inner.open(start, end);
      },
    };
    const file = await files.create("large.bin", {}, counted, { transfer: "L" });
    expect(file.status).toBe("completed");
    expect(file.checksum).toBe(md5(bytes));
    expect(opens).toBe(1);
    const put = server.requestLog.find((e) => e.path === `${filesPath}/large.bin/content`);
    expect(put?.headers["content-md5"]).toBeUndefined();
  });

  it("refuses an empty multipart upload and an existing target", async () => {
    const { files } = await setup();
    await expect(files.create("e.bin", {}, new Uint8Array(0), { transfer: "M" })).rejects.toThrow(
      /transfer "L"/,
    );
    const file = await files.create("e.bin", {}, new Uint8Array(0));
    expect(file.checksum).toBe("md5:d41d8cd98f00b204e9800998ecf8427e");
    const target = join(await tempDir(), "e.bin");
    await writeFile(target, "keep me");
    await expect(file.download(target)).rejects.toMatchObject({ code: "NRP_FILE_EXISTS" });
    expect(await readFile(target, "utf8")).toBe("keep me");
  });

  it("updates metadata, replaces content and deletes", async () => {
    const { files } = await setup();
    const file = await files.create("a.txt", { title: "one" }, Buffer.from("first"));
    file.metadata.title = "two";
    await file.save();
    expect(file.metadata).toEqual({ title: "two" });
    const replaced = await file.replace(Buffer.from("second version"));
    expect(replaced.metadata).toEqual({ title: "two" });
    expect(replaced.checksum).toBe(md5(Buffer.from("second version")));
    expect(files.get("a.txt")).toBe(replaced);
    await replaced.delete();
    expect(files.length).toBe(0);
    await files.refresh();
    expect(files.length).toBe(0);
  });
});

describe("multipart robustness", () => {
  it("accepts parts arriving out of order", async () => {
    const { server, files, filesPath } = await setup();
    server.faults.add({ method: "PUT", path: `${filesPath}/m.bin/content/1`, delayMs: 300 });
    server.faults.add({ method: "PUT", path: `${filesPath}/m.bin/content/2`, delayMs: 150 });
    const bytes = data(6 * PART);
    const order: number[] = [];
    const file = await files.create("m.bin", {}, bytes, {
      transfer: "M",
      partSize: PART,
      concurrency: 4,
      onPartDone: (p) => order.push(p.part),
    });
    expect(order.indexOf(1)).toBeGreaterThan(order.indexOf(3));
    expect(order.indexOf(2)).toBeGreaterThan(order.indexOf(3));
    expect(file.checksum).toBe(md5(bytes));
  });

  it("resends a part cut mid-body from fresh bytes", async () => {
    const { server, files, filesPath, events } = await setup();
    server.faults.add({
      method: "PUT",
      path: `${filesPath}/m.bin/content/2`,
      dropAfterRequestBytes: 1000,
    });
    const bytes = data(3 * PART + 11);
    const inner = fromBytes(bytes);
    const opened: string[] = [];
    const source: UploadSource = {
      size: inner.size,
      retryable: true,
      open: (start, end) => {
        opened.push(`${start ?? 0}-${end ?? bytes.length}`);
        return inner.open(start, end);
      },
    };
    const progress: TransferProgress[] = [];
    const file = await files.create("m.bin", {}, source, {
      transfer: "M",
      partSize: PART,
      onProgress: (p) => progress.push(p),
    });
    expect(file.checksum).toBe(md5(bytes));
    expect(puts(server, `${filesPath}/m.bin/content/2`)).toHaveLength(2);
    // The retry read part 2 from the source again rather than replaying a spent stream.
    expect(opened.filter((r) => r === `${PART}-${2 * PART}`)).toHaveLength(2);
    const sent = server.requestLog.filter((e) => e.path === `${filesPath}/m.bin/content/2`);
    expect(sent.map((e) => [e.dropped, e.headers["content-length"]])).toEqual([
      [true, String(PART)],
      [false, String(PART)],
    ]);
    expect(sent[1]?.status).toBe(200);
    const target = join(await tempDir(), "m.bin");
    await file.download(target);
    expect((await readFile(target)).equals(bytes)).toBe(true);
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(progress.every((p) => p.transferredBytes <= bytes.length)).toBe(true);
    expect(progress.at(-1)?.transferredBytes).toBe(bytes.length);
  });

  it("resends a single-request upload cut mid-body; a one-shot stream says it cannot", async () => {
    const { server, files, filesPath } = await setup();
    const bytes = data(200_000);
    server.faults.add({
      method: "PUT",
      path: `${filesPath}/l.bin/content`,
      dropAfterRequestBytes: 50_000,
    });
    expect((await files.create("l.bin", {}, bytes)).checksum).toBe(md5(bytes));
    expect(puts(server, `${filesPath}/l.bin/content`)).toHaveLength(2);
    server.faults.add({
      method: "PUT",
      path: `${filesPath}/s.bin/content`,
      dropAfterRequestBytes: 50_000,
    });
    const error = await files
      .create("s.bin", {}, Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)]))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "NRP_SOURCE_NOT_RETRYABLE" });
    await files.refresh();
    expect(files.get("s.bin")).toBeUndefined();
  });

  it("waits out a 503 storm with Retry-After on parts and on the single request", async () => {
    const { server, files, filesPath, events } = await setup();
    server.faults.add({
      method: "PUT",
      path: `${filesPath}/*/content/**`,
      status: 503,
      headers: { "Retry-After": "1" },
      times: 3,
    });
    const bytes = data(2 * PART);
    const file = await files.create("m.bin", {}, bytes, { transfer: "M", partSize: PART });
    expect(file.checksum).toBe(md5(bytes));
    expect(events).toHaveLength(3);
    expect((events as { delayMs: number }[]).every((e) => e.delayMs === 1000)).toBe(true);
    // The server saw each refused part again only after the second it asked for.
    const partGaps = [1, 2].flatMap((p) =>
      gapsMs(server, "PUT", `${filesPath}/m.bin/content/${p}`),
    );
    expect(partGaps).toHaveLength(3);
    expect(Math.min(...partGaps)).toBeGreaterThanOrEqual(950);
    const downloaded = join(await tempDir(), "m.bin");
    await file.download(downloaded);
    expect((await readFile(downloaded)).equals(bytes)).toBe(true);
    server.faults.add({
      method: "PUT",
      path: `${filesPath}/l.bin/content`,
      status: 503,
      headers: { "Retry-After": "0" },
      times: 2,
    });
    expect((await files.create("l.bin", {}, bytes, { transfer: "L" })).checksum).toBe(md5(bytes));
    expect(gapsMs(server, "PUT", `${filesPath}/l.bin/content`)).toHaveLength(2);
    expect(events.slice(3).map((e) => [e.status, e.delayMs])).toEqual([
      [503, 0],
      [503, 0],
    ]);
  });

  it("stops at a part that fails for good, deletes the pending file, lists what made it", async () => {
    const { server, files, filesPath } = await setup();
    server.faults.add({ method: "PUT", path: `${filesPath}/m.bin/content/3`, status: 400 });
    const error = await files
      .create("m.bin", {}, data(5 * PART), { transfer: "M", partSize: PART, concurrency: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect(error).toMatchObject({ failedParts: [3], completedParts: [1, 2], pendingKept: false });
    expect((error as UploadError).cause).toBeInstanceOf(BadRequestError);
    await files.refresh();
    expect(files.get("m.bin")).toBeUndefined();
    expect(puts(server, `${filesPath}/m.bin/content/`)).toHaveLength(3);
  });

  it("resumes a multipart upload from the parts a journal recorded", async () => {
    const { server, files, filesPath } = await setup();
    const bytes = data(6 * PART + 3);
    server.faults.add({ method: "PUT", path: `${filesPath}/m.bin/content/4`, status: 400 });
    const journal: number[] = [];
    const error = await files
      .create("m.bin", { title: "m" }, bytes, {
        transfer: "M",
        partSize: PART,
        concurrency: 1,
        keepPendingOnFailure: true,
        onPartDone: (p) => {
          expect(p.partSize).toBe(PART);
          journal.push(p.part);
        },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "UploadError", pendingKept: true });
    expect(journal).toEqual([1, 2, 3]);
    await files.refresh();
    expect(files.get("m.bin")?.status).toBe("pending");
    server.requestLog.length = 0;
    const file = await files.create("m.bin", { title: "m" }, bytes, {
      transfer: "M",
      partSize: PART,
      resume: { completedParts: journal },
      onPartDone: (p) => journal.push(p.part),
    });
    expect(file.checksum).toBe(md5(bytes));
    expect(puts(server, `${filesPath}/m.bin/content/`).sort()).toEqual(
      [4, 5, 6, 7].map((p) => `${filesPath}/m.bin/content/${p}`),
    );
    expect(server.requestLog.some((e) => e.method === "POST" && e.path === filesPath)).toBe(false);
    // Resuming a file that is already committed only checks it.
    server.requestLog.length = 0;
    const again = await files.create("m.bin", {}, bytes, {
      transfer: "M",
      partSize: PART,
      resume: { completedParts: journal },
    });
    expect(again.checksum).toBe(md5(bytes));
    expect(puts(server, filesPath)).toEqual([]);
    // Other content under a committed key is reported and left alone.
    const other = await files
      .create("m.bin", {}, data(bytes.length, 5), {
        transfer: "M",
        partSize: PART,
        resume: { completedParts: [] },
      })
      .catch((e: unknown) => e);
    expect(other).toBeInstanceOf(ChecksumMismatchError);
    await files.refresh();
    expect(files.get("m.bin")?.checksum).toBe(md5(bytes));
  });

  it("onResumeState hands out JSON states that resume with the part size they name", async () => {
    const { server, files, filesPath } = await setup();
    const bytes = data(5 * PART + 11);
    server.faults.add({ method: "PUT", path: `${filesPath}/j.bin/content/3`, status: 400 });
    // What a page keeps in localStorage: only strings survive a reload.
    const kept: string[] = [];
    const failed = await files
      .create("j.bin", {}, new Blob([bytes]), {
        transfer: "M",
        partSize: PART,
        concurrency: 1,
        keepPendingOnFailure: true,
        onResumeState: (state) => kept.push(JSON.stringify(state)),
      })
      .catch((e: unknown) => e);
    expect(failed).toMatchObject({ pendingKept: true, completedParts: [1, 2] });
    expect(kept.map((k) => JSON.parse(k) as unknown)).toEqual([
      { completedParts: [], size: bytes.length, partSize: PART },
      { completedParts: [1], size: bytes.length, partSize: PART },
      { completedParts: [1, 2], size: bytes.length, partSize: PART },
    ]);
    server.requestLog.length = 0;
    // No transfer or part size given: the state's layout is used (the default would be L).
    const resumed: unknown[] = [];
    const file = await files.create("j.bin", {}, new Blob([bytes]), {
      resume: JSON.parse(kept.at(-1) ?? "{}") as ResumeState,
      onResumeState: (state) => resumed.push(state),
    });
    expect(file.checksum).toBe(md5(bytes));
    expect(puts(server, `${filesPath}/j.bin/content/`).sort()).toEqual(
      [3, 4, 5, 6].map((p) => `${filesPath}/j.bin/content/${p}`),
    );
    expect(server.requestLog.some((e) => e.method === "DELETE")).toBe(false);
    expect(resumed[0]).toEqual({ completedParts: [1, 2], size: bytes.length, partSize: PART });
    expect(resumed.at(-1)).toMatchObject({ completedParts: [1, 2, 3, 4, 5, 6] });
  });

  it("a resume that does not fit the pending file (other part size or size) starts over", async () => {
    const { server, files, filesPath } = await setup();
    const bytes = data(5 * PART + 9);
    for (const key of ["p.bin", "s.bin"]) {
      server.faults.add({ method: "PUT", path: `${filesPath}/${key}/content/3`, status: 400 });
      const failed = await files
        .create(key, {}, bytes, {
          transfer: "M",
          partSize: PART,
          concurrency: 1,
          keepPendingOnFailure: true,
        })
        .catch((e: unknown) => e);
      expect(failed).toMatchObject({ pendingKept: true, completedParts: [1, 2] });
    }
    const cases: [string, Buffer, number, number][] = [
      ["p.bin", bytes, 2 * PART, 3],
      ["s.bin", bytes.subarray(0, 4 * PART), PART, 4],
    ];
    for (const [key, content, partSize, parts] of cases) {
      server.requestLog.length = 0;
      const file = await files.create(key, {}, content, {
        transfer: "M",
        partSize,
        resume: { completedParts: [1, 2] },
      });
      expect(file.checksum, key).toBe(md5(content));
      const self = `${filesPath}/${key}`;
      expect(server.requestLog.filter((e) => e.method === "DELETE").map((e) => e.path)).toEqual([
        self,
      ]);
      expect(puts(server, `${self}/content/`).sort()).toEqual(
        Array.from({ length: parts }, (_, i) => `${self}/content/${i + 1}`),
      );
      const target = join(await tempDir(), key);
      await file.download(target);
      expect((await readFile(target)).equals(content), key).toBe(true);
    }
  });

  it("aborting mid-upload leaves nothing behind", async () => {
    const { server, files, filesPath } = await setup();
    // The parts are held on the server; the abort comes once the first of them is in flight.
    const rule = server.faults.add({
      method: "PUT",
      path: `${filesPath}/m.bin/content/*`,
      hold: true,
      times: 10,
    });
    const controller = new AbortController();
    const pending = files
      .create("m.bin", {}, data(8 * PART), {
        transfer: "M",
        partSize: PART,
        concurrency: 2,
        signal: controller.signal,
      })
      .catch((e: unknown) => e);
    await expect
      .poll(() => server.faults.held(rule), { message: "a part to arrive", interval: 10 })
      .toBeGreaterThan(0);
    controller.abort();
    const error = await pending;
    server.faults.remove(rule);
    expect(error).toBeInstanceOf(APIUserAbortError);
    await files.refresh();
    expect(files.get("m.bin")).toBeUndefined();
  });

  it.each(["L", "M"] as const)(
    "a commit (%s) that fails with 500 is not repeated: the upload fails with the server's error",
    async (transfer) => {
      // RDM 13 answers 500 to a commit it cannot do (one before any content), the same every
      // time: repeating it only made the upload fail minutes later.
      const { server, files, filesPath, events } = await setup();
      const commit = `${filesPath}/c.bin/commit`;
      server.faults.add({ method: "POST", path: commit, status: 500, times: 10 });
      const error = await files
        .create("c.bin", {}, data(3 * PART), { transfer, partSize: PART })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InternalServerError);
      expect(error).toMatchObject({ status: 500, method: "POST", code: "NRP_SERVER_ERROR" });
      expect((error as Error).message).toMatch(
        /^500 Internal Server Error: .* \(POST http.*\/c\.bin\/commit\)/,
      );
      expect(hitsFor(server, commit, "POST")).toBe(1);
      expect(events.filter((e) => e.url.endsWith("/commit"))).toEqual([]);
      // The content went up before the commit was tried, and the pending file was removed.
      const order = server.requestLog.map((e) => `${e.method} ${e.path}`);
      const lastPut = order.findLastIndex(
        (e) => e.startsWith("PUT") && e.includes("/c.bin/content"),
      );
      expect(lastPut).toBeGreaterThan(-1);
      expect(lastPut).toBeLessThan(order.indexOf(`POST ${commit}`));
      await files.refresh();
      expect(files.get("c.bin")).toBeUndefined();
    },
  );

  it("deletes a committed file whose checksum differs from the source's", async () => {
    const { files } = await setup();
    const bytes = data(2 * PART);
    const real = fromBytes(bytes);
    // Parts are read from the real bytes, the whole-file hash pass from others.
    const lying: UploadSource = {
      size: bytes.length,
      retryable: true,
      open: (start = 0, end = bytes.length) =>
        start === 0 && end === bytes.length
          ? fromBytes(data(bytes.length, 99)).open()
          : real.open(start, end),
    };
    const error = await files
      .create("m.bin", {}, lying, { transfer: "M", partSize: PART })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(error).toMatchObject({ expected: md5(bytes), actual: md5(data(bytes.length, 99)) });
    await files.refresh();
    expect(files.get("m.bin")).toBeUndefined();
  });
});

describe("downloads", () => {
  it("detects corrupted content and leaves the target untouched", async () => {
    const { server, files, filesPath } = await setup();
    const file = await files.create("c.bin", {}, data(5000));
    server.faults.add({
      method: "GET",
      path: `${filesPath}/c.bin/content`,
      status: 200,
      body: "not the bytes you stored",
    });
    const dir = await tempDir();
    const target = join(dir, "c.bin");
    await writeFile(target, "old content");
    const error = await file.download(target, { overwrite: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(await readFile(target, "utf8")).toBe("old content");
    expect(await readdir(dir)).toEqual(["c.bin"]);
  });

  it("resumes an interrupted download with Range and If-Range", async () => {
    const { server, files, filesPath } = await setup({}, { retryCount: 0 });
    const bytes = data(300_000);
    const file = await files.create("r.bin", {}, bytes);
    server.faults.add({
      method: "GET",
      path: `${filesPath}/r.bin/content`,
      dropAfterBytes: 100_000,
    });
    const { dir, target, partial } = await brokenDownload(file, "r.bin", 100_000);
    server.requestLog.length = 0;
    const progress: TransferProgress[] = [];
    const resumed: number[] = [];
    await file.download(target, {
      onProgress: (p) => progress.push(p),
      onResume: (offset) => resumed.push(offset),
    });
    expect(resumed).toEqual([partial]);
    expect((await readFile(target)).equals(bytes)).toBe(true);
    const gets = server.requestLog.filter((e) => e.method === "GET");
    expect(gets).toHaveLength(1);
    expect(gets[0]?.headers.range).toBe(`bytes=${partial}-`);
    expect(gets[0]?.headers["if-range"]).toBeTruthy();
    expect(gets[0]?.status).toBe(206);
    expect(progress.at(-1)?.transferredBytes).toBe(bytes.length);
    expect(await readdir(dir)).toEqual(["r.bin"]);
  });

  it("continues a connection cut mid-body within the same call", async () => {
    const { server, files, filesPath } = await setup();
    const bytes = data(200_000);
    const file = await files.create("r.bin", {}, bytes);
    server.faults.add({
      method: "GET",
      path: `${filesPath}/r.bin/content`,
      dropAfterBytes: 50_000,
    });
    server.requestLog.length = 0;
    const target = join(await tempDir(), "r.bin");
    await file.download(target);
    expect((await readFile(target)).equals(bytes)).toBe(true);
    const gets = server.requestLog.filter((e) => e.method === "GET");
    expect(gets).toHaveLength(2);
    expect(gets[1]?.headers.range).toMatch(/^bytes=\d+-$/);
  });

  describe("from a server that ignores Range, as InvenioRDM 13 does", () => {
    /** Printable bytes, so that a fault can serve them as its text body. */
    const text = (size: number): Buffer => {
      const bytes = data(size, 11);
      for (let i = 0; i < bytes.length; i++) bytes[i] = 97 + ((bytes[i] ?? 0) % 26);
      return bytes;
    };

    /** A fault answering the content with the whole body (200, no Content-Range), like RDM. */
    function whole(
      server: DevServer,
      path: string,
      bytes: Buffer,
      extra: { headers?: Record<string, string>; dropAfterBytes?: number; times?: number } = {},
    ): void {
      server.faults.add({
        method: "GET",
        path,
        status: 200,
        body: bytes.toString("latin1"),
        headers: {
          "Content-Type": "application/octet-stream",
          ETag: `"${md5(bytes)}"`,
          ...extra.headers,
        },
        ...(extra.dropAfterBytes === undefined ? {} : { dropAfterBytes: extra.dropAfterBytes }),
        times: extra.times ?? 1,
      });
    }

    async function interrupted(headers: Record<string, string> = {}): Promise<{
      server: DevServer;
      file: NRPFile;
      bytes: Buffer;
      target: string;
      partial: number;
    }> {
      const { server, files, filesPath } = await setup({}, { retryCount: 0 });
      const bytes = text(200_000);
      const file = await files.create("t.txt", {}, bytes);
      const path = `${filesPath}/t.txt/content`;
      whole(server, path, bytes, { headers, dropAfterBytes: 70_000 });
      const { target, partial } = await brokenDownload(file, "t.txt", bytes.length - 1);
      whole(server, path, bytes, { headers, times: 5 });
      server.requestLog.length = 0;
      return { server, file, bytes, target, partial };
    }

    it("a re-run asks for no range where none was advertised, and starts over quietly", async () => {
      const { server, file, bytes, target } = await interrupted();
      const progress: TransferProgress[] = [];
      const resumed: number[] = [];
      await file.download(target, {
        onProgress: (p) => progress.push(p),
        onResume: (offset) => resumed.push(offset),
      });
      expect((await readFile(target)).equals(bytes)).toBe(true);
      const gets = server.requestLog.filter((e) => e.method === "GET");
      expect(gets.map((e) => [e.headers.range, e.status])).toEqual([[undefined, 200]]);
      expect(resumed).toEqual([]);
      expect(progress.every((p) => p.transferredBytes <= bytes.length)).toBe(true);
      expect(progress.at(-1)?.transferredBytes).toBe(bytes.length);
    });

    it("a 200 to a range that was advertised restarts from zero, without claiming a resume", async () => {
      const { server, file, bytes, target, partial } = await interrupted({
        "Accept-Ranges": "bytes",
      });
      const progress: TransferProgress[] = [];
      const resumed: number[] = [];
      await file.download(target, {
        onProgress: (p) => progress.push(p),
        onResume: (offset) => resumed.push(offset),
      });
      expect((await readFile(target)).equals(bytes)).toBe(true);
      const gets = server.requestLog.filter((e) => e.method === "GET");
      expect(gets.map((e) => [e.headers.range, e.status])).toEqual([[`bytes=${partial}-`, 200]]);
      expect(resumed).toEqual([]);
      expect(progress.every((p) => p.transferredBytes <= bytes.length)).toBe(true);
      expect(progress.at(-1)?.transferredBytes).toBe(bytes.length);
    });

    it("a connection cut mid-body starts over within the call, asking for no range", async () => {
      const { server, files, filesPath } = await setup();
      const bytes = text(200_000);
      const file = await files.create("t.txt", {}, bytes);
      const path = `${filesPath}/t.txt/content`;
      whole(server, path, bytes, { dropAfterBytes: 50_000 });
      whole(server, path, bytes);
      server.requestLog.length = 0;
      const target = join(await tempDir(), "t.txt");
      await file.download(target);
      expect((await readFile(target)).equals(bytes)).toBe(true);
      const gets = server.requestLog.filter((e) => e.method === "GET");
      expect(gets.map((e) => [e.headers.range, e.status])).toEqual([
        [undefined, 200],
        [undefined, 200],
      ]);
    });

    it("a parallel download reads the whole content the range probe got, with no second request", async () => {
      const { server, files, filesPath } = await setup();
      const bytes = text(64 * 1024 * 1024 + 3);
      const file = await files.create("big.txt", {}, bytes, { partSize: 16 * 1024 * 1024 });
      whole(server, `${filesPath}/big.txt/content`, bytes);
      server.requestLog.length = 0;
      const target = join(await tempDir(), "big.txt");
      const resumed: number[] = [];
      await file.download(target, { concurrency: 4, onResume: (o) => resumed.push(o) });
      expect(md5(await readFile(target))).toBe(file.checksum);
      const gets = server.requestLog.filter((e) => e.method === "GET");
      expect(gets.map((e) => [e.headers.range, e.status])).toEqual([["bytes=0-0", 200]]);
      expect(resumed).toEqual([]);
    }, 60_000);
  });

  it("restarts from zero when the content changed since the partial download", async () => {
    const { server, files, filesPath } = await setup({}, { retryCount: 0 });
    const file = await files.create("r.bin", {}, data(100_000));
    server.faults.add({
      method: "GET",
      path: `${filesPath}/r.bin/content`,
      dropAfterBytes: 30_000,
    });
    // The first download really stops part-way and keeps its partial file of the old content.
    const { dir, target } = await brokenDownload(file, "r.bin", 30_000);
    const newer = await file.replace(data(120_000, 3));
    server.requestLog.length = 0;
    const resumed: number[] = [];
    await newer.download(target, { onResume: (offset) => resumed.push(offset) });
    // The partial file belongs to the old checksum: one whole GET (no Range), no resume, and no
    // byte of the old content is kept.
    const gets = server.requestLog.filter((e) => e.method === "GET");
    expect(gets.map((e) => [e.headers.range, e.status])).toEqual([[undefined, 200]]);
    expect(resumed).toEqual([]);
    expect((await readFile(target)).equals(data(120_000, 3))).toBe(true);
    expect(await readdir(dir)).toEqual(["r.bin"]);
  });

  it("waits out a 503 storm on download", async () => {
    const { server, files, filesPath, events } = await setup();
    const bytes = data(10_000);
    const file = await files.create("s.bin", {}, bytes);
    server.faults.add({
      method: "GET",
      path: `${filesPath}/s.bin/content`,
      status: 503,
      headers: { "Retry-After": "1" },
      times: 2,
    });
    const target = join(await tempDir(), "s.bin");
    await file.download(target);
    expect((await readFile(target)).equals(bytes)).toBe(true);
    expect(events.map((e) => [e.status, e.delayMs])).toEqual([
      [503, 1000],
      [503, 1000],
    ]);
    // Retry-After was honoured: the server saw each next attempt a second later.
    const gaps = gapsMs(server, "GET", `${filesPath}/s.bin/content`);
    expect(gaps).toHaveLength(2);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(950);
  });

  it("detects a flipped byte of a small download; no target and no partial file are left", async () => {
    const { server, files, filesPath } = await setup();
    const bytes = data(20_000);
    const file = await files.create("f.bin", {}, bytes);
    server.faults.add({ method: "GET", path: `${filesPath}/f.bin/content`, corruptByteAt: 12_345 });
    const dir = await tempDir();
    const error = await file.download(join(dir, "f.bin")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(error).toMatchObject({ expected: md5(bytes) });
    expect((error as ChecksumMismatchError).actual).not.toBe(md5(bytes));
    expect(await readdir(dir)).toEqual([]);
  });

  it("follows the redirect to the storage origin without the token", async () => {
    const { server, files } = await setup({ redirectDownloads: true });
    const bytes = data(50_000);
    const file = await files.create("d.bin", {}, bytes);
    server.requestLog.length = 0;
    const target = join(await tempDir(), "d.bin");
    await file.download(target);
    expect((await readFile(target)).equals(bytes)).toBe(true);
    const api = server.requestLog.find((e) => e.path.endsWith("/d.bin/content"));
    const storage = server.requestLog.filter((e) => e.path.startsWith("/storage/"));
    expect(api?.status).toBe(302);
    expect(api?.authorized).toBe(true);
    expect(storage.length).toBeGreaterThan(0);
    expect(storage.every((e) => !e.authorization)).toBe(true);
    expect(
      storage.every((e) => !e.headerNames.some((h) => h.toLowerCase() === "authorization")),
    ).toBe(true);

    // Streaming the content follows the same redirect, also without the token.
    server.requestLog.length = 0;
    const chunks: Buffer[] = [];
    for await (const c of await file.open()) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    const streamed = server.requestLog.filter((e) => e.path.startsWith("/storage/"));
    expect(streamed).toHaveLength(1);
    expect(
      streamed.every((e) => !e.headerNames.some((h) => h.toLowerCase() === "authorization")),
    ).toBe(true);
  });

  it("resumes an interrupted redirected download at the storage origin, still without the token", async () => {
    const { server, files } = await setup({ redirectDownloads: true }, { retryCount: 0 });
    const bytes = data(250_000, 4);
    const file = await files.create("o.bin", {}, bytes);
    server.faults.add({ method: "GET", path: "/storage/**", dropAfterBytes: 60_000 });
    const { target, partial } = await brokenDownload(file, "o.bin", 60_000);
    server.requestLog.length = 0;
    await file.download(target);
    expect((await readFile(target)).equals(bytes)).toBe(true);
    const storage = server.requestLog.filter((e) => e.path.startsWith("/storage/"));
    expect(storage.map((e) => [e.headers.range, e.status])).toEqual([[`bytes=${partial}-`, 206]]);
    expect(
      storage.every((e) => !e.headerNames.some((h) => h.toLowerCase() === "authorization")),
    ).toBe(true);
    const api = server.requestLog.filter((e) => e.path.endsWith("/o.bin/content"));
    expect(api.map((e) => [e.status, e.authorized])).toEqual([[302, true]]);
  });

  it("downloads a large file in parallel ranges and resumes them", async () => {
    const { server, files } = await setup();
    const size = 64 * 1024 * 1024 + 5;
    const bytes = data(size);
    const file = await files.create("big.bin", {}, bytes, { partSize: 8 * 1024 * 1024 });
    const target = join(await tempDir(), "big.bin");
    const controller = new AbortController();
    const options = { concurrency: 2, rangeSize: 4 * 1024 * 1024 };
    const first = await file
      .download(target, {
        ...options,
        signal: controller.signal,
        onProgress: (p) => {
          if ((p.partsDone ?? 0) >= 4) controller.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(first).toBeInstanceOf(APIUserAbortError);
    server.requestLog.length = 0;
    const progress: TransferProgress[] = [];
    let written = 0;
    let already = 0;
    // The ranges resume even with one request at a time.
    await file.download(target, {
      concurrency: 1,
      onProgress: (p) => progress.push(p),
      onResume: (offset) => (already = offset),
      onBytes: (b) => (written += b),
    });
    // onBytes counts only what this call wrote: the ranges not yet on disk.
    expect(already).toBeGreaterThanOrEqual(4 * 4 * 1024 * 1024);
    expect(written).toBe(size - already);
    const ranges = server.requestLog.filter((e) => e.method === "GET" && e.headers.range);
    // A probe, then only the 17 ranges minus the ones already on disk.
    expect(ranges.length).toBeLessThanOrEqual(1 + 17 - 4);
    expect(ranges.every((e) => e.status === 206)).toBe(true);
    expect(progress.at(-1)).toMatchObject({
      transferredBytes: size,
      partsDone: 17,
      partsTotal: 17,
    });
    expect(
      createHash("md5")
        .update(await readFile(target))
        .digest("hex"),
    ).toBe(md5(bytes).slice(4));
  }, 60_000);
});

/**
 * Downloads `file` into a new directory as `key`, expecting it to break off (a fault set up
 * before) and keep a partial file of at most `maxBytes`; resolves to the target and that size.
 */
async function brokenDownload(
  file: NRPFile,
  key: string,
  maxBytes: number,
): Promise<{ dir: string; target: string; partial: number }> {
  const dir = await tempDir();
  const target = join(dir, key);
  const first = await file.download(target).catch((e: unknown) => e);
  expect(first).toMatchObject({ code: "NRP_DOWNLOAD_INTERRUPTED" });
  await expect(stat(target)).rejects.toThrow();
  const partial = (await stat(join(dir, `.${key}.nrp-part`))).size;
  expect(partial).toBeGreaterThan(0);
  expect(partial).toBeLessThanOrEqual(maxBytes);
  return { dir, target, partial };
}

/** Descriptors of this process that point at `path` (Linux; none elsewhere). */
async function openDescriptorsOf(path: string): Promise<number> {
  const fds = await readdir("/proc/self/fd").catch(() => []);
  let count = 0;
  for (const fd of fds) {
    if ((await readlink(`/proc/self/fd/${fd}`).catch(() => "")) === path) count++;
  }
  return count;
}

/**
 * Downloads `file` to `target` and aborts at the first progress report, which comes once the first
 * batch is on disk (progress is throttled), so surely mid-body; resolves to what it threw.
 */
async function abortedMidBody(file: NRPFile, target: string): Promise<unknown> {
  const controller = new AbortController();
  return file
    .download(target, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.transferredBytes > 0) controller.abort();
      },
    })
    .catch((e: unknown) => e);
}

describe("large downloads: one stream hashed as it arrives, ranges by a worker thread", () => {
  const size = WORKER_HASH_MIN_SIZE + 3 * 1024 * 1024 + 11;

  it("detects a corrupted byte of a large file, starting no worker", async () => {
    const { server, files, filesPath } = await setup();
    const before = startedHashWorkers();
    const file = await files.create("w.bin", {}, data(size), { transfer: "L" });
    server.faults.add({
      method: "GET",
      path: `${filesPath}/w.bin/content`,
      corruptByteAt: size - 1000,
    });
    const dir = await tempDir();
    const target = join(dir, "w.bin");
    const error = await file.download(target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(error).toMatchObject({ expected: file.checksum });
    expect(await readdir(dir)).toEqual([]);
    expect(liveHashWorkers()).toBe(0);
    // Without the fault the same download verifies.
    await file.download(target);
    expect(md5(await readFile(target))).toBe(file.checksum);
    expect(startedHashWorkers()).toBe(before);
  });

  it("detects a corrupted range of a parallel download", async () => {
    const { server, files, filesPath } = await setup();
    const big = 64 * 1024 * 1024 + 7;
    const file = await files.create("p.bin", {}, data(big), { partSize: 16 * 1024 * 1024 });
    // The probe (bytes=0-0) and the first ranges each get their first byte flipped.
    server.faults.add({
      method: "GET",
      path: `${filesPath}/p.bin/content`,
      corruptByteAt: 0,
      times: 3,
    });
    const dir = await tempDir();
    const error = await file
      .download(join(dir, "p.bin"), { concurrency: 2, rangeSize: 8 * 1024 * 1024 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(await readdir(dir)).toEqual([]);
    expect(liveHashWorkers()).toBe(0);
  }, 60_000);

  it("abort mid-download closes every descriptor; the resume hashes the prefix from disk", async () => {
    const { server, files } = await setup({}, { retryCount: 0 });
    const bytes = data(size);
    const file = await files.create("a.bin", {}, bytes, { transfer: "L" });
    const dir = await tempDir();
    const target = join(dir, "a.bin");
    const temp = join(dir, ".a.bin.nrp-part");
    const before = startedHashWorkers();
    // Abort mid-body, with a batch possibly being written and hashed.
    const first = await abortedMidBody(file, target);
    expect(first).toBeInstanceOf(APIUserAbortError);
    expect(startedHashWorkers()).toBe(before);
    expect(await openDescriptorsOf(temp)).toBe(0);
    expect((await readdir(dir)).sort()).toEqual([".a.bin.nrp-part", ".a.bin.nrp-part.json"]);
    const partial = (await stat(temp)).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(size);

    // Damage a byte of the partial file: the resumed download must not trust it.
    const handle = await open(temp, "r+");
    await handle.write(Buffer.from([(bytes[1000] ?? 0) ^ 0xff]), 0, 1, 1000);
    await handle.close();
    server.requestLog.length = 0;
    const second = await file.download(target).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(ChecksumMismatchError);
    const gets = server.requestLog.filter((e) => e.method === "GET");
    expect(gets[0]?.headers.range).toBe(`bytes=${partial}-`);
    expect(await readdir(dir)).toEqual([]);

    // Abort again, then resume from an intact prefix: the bytes arrive whole and verified.
    const aborted = await abortedMidBody(file, target);
    expect(aborted).toBeInstanceOf(APIUserAbortError);
    expect((await stat(temp)).size).toBeGreaterThan(0);
    server.requestLog.length = 0;
    await file.download(target);
    expect(server.requestLog.filter((e) => e.method === "GET")[0]?.headers.range).toMatch(
      /^bytes=[1-9]\d*-$/,
    );
    expect(startedHashWorkers()).toBe(before);
    expect((await readFile(target)).equals(bytes)).toBe(true);
    expect(liveHashWorkers()).toBe(0);
    expect(await openDescriptorsOf(temp)).toBe(0);
    expect(await readdir(dir)).toEqual(["a.bin"]);
  }, 60_000);
});

describe("large uploads from a path: hashed on the event loop, no worker thread", () => {
  it("a large single-request upload is verified with the md5 of the bytes sent, also when resent", async () => {
    const { server, files, filesPath } = await setup();
    const size = WORKER_HASH_MIN_SIZE + 2 * 1024 * 1024 + 5;
    const bytes = data(size, 9);
    const path = join(await tempDir(), "src.bin");
    await writeFile(path, bytes);
    // The first attempt breaks after 12 MiB: the resend hashes its own bytes from the start, so
    // the md5 of the broken attempt must not leak into it.
    server.faults.add({
      method: "PUT",
      path: `${filesPath}/l.bin/content`,
      dropAfterRequestBytes: 12 * 1024 * 1024,
    });
    const before = startedHashWorkers();
    const file = await files.create("l.bin", {}, path, { transfer: "L" });
    expect(puts(server, `${filesPath}/l.bin/content`)).toHaveLength(2);
    expect(startedHashWorkers()).toBe(before);
    expect(file.checksum).toBe(md5(bytes));
    expect(liveHashWorkers()).toBe(0);
    expect(await openDescriptorsOf(path)).toBe(0);
  }, 60_000);

  it("a large multipart upload is verified with the md5 read back behind the parts; an abort closes the file", async () => {
    const { files } = await setup();
    const size = WORKER_HASH_MIN_SIZE + 1024 * 1024 + 3;
    const bytes = data(size, 5);
    const path = join(await tempDir(), "src.bin");
    await writeFile(path, bytes);
    const before = startedHashWorkers();
    const file = await files.create("u.bin", {}, path, {
      transfer: "M",
      partSize: 4 * 1024 * 1024,
      concurrency: 2,
    });
    expect(startedHashWorkers()).toBe(before);
    expect(file.checksum).toBe(md5(bytes));
    expect(liveHashWorkers()).toBe(0);

    // Aborting once the first part is acknowledged leaves the read-back running and parts in
    // flight: the hasher must stop and its descriptor close all the same.
    const controller = new AbortController();
    const aborted = await files
      .create("v.bin", {}, path, {
        transfer: "M",
        partSize: 4 * 1024 * 1024,
        concurrency: 1,
        signal: controller.signal,
        onPartDone: () => {
          controller.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(aborted).toBeInstanceOf(APIUserAbortError);
    expect(startedHashWorkers()).toBe(before);
    expect(liveHashWorkers()).toBe(0);
    expect(await openDescriptorsOf(path)).toBe(0);
    expect(files.get("v.bin")).toBeUndefined();
  }, 60_000);

  it("a source cut short after its parts were sent fails the upload and leaves no file", async () => {
    const { server, files, filesPath } = await setup();
    const size = WORKER_HASH_MIN_SIZE + 1024 * 1024 + 3;
    const path = join(await tempDir(), "src.bin");
    await writeFile(path, data(size, 7));
    let acknowledged = 0;
    server.requestLog.length = 0;
    const error = await files
      .create("t.bin", {}, path, {
        transfer: "M",
        partSize: 4 * 1024 * 1024,
        concurrency: 1,
        // The last part is acknowledged: the md5 still has its bytes to read back.
        onPartDone: () => {
          if (++acknowledged === 5) truncateSync(path, 0);
        },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCodes.HashShort });
    // The commit went out while the md5 was being read; the committed file was deleted again.
    const calls = server.requestLog.map((e) => `${e.method} ${e.path}`);
    expect(calls).toContain(`POST ${filesPath}/t.bin/commit`);
    expect(calls.at(-1)).toBe(`DELETE ${filesPath}/t.bin`);
    expect(files.get("t.bin")).toBeUndefined();
    expect(await openDescriptorsOf(path)).toBe(0);
  }, 60_000);
});

describe("file keys", () => {
  it("refuses unsafe keys before any request or write", async () => {
    const { server, files } = await setup();
    server.requestLog.length = 0;
    for (const key of ["../x", "/abs", "a\u0000b", "..\\x", ""]) {
      await expect(files.create(key, {}, Buffer.from("x"))).rejects.toBeInstanceOf(
        UnsafeFileKeyError,
      );
    }
    expect(server.requestLog).toEqual([]);
    const file = await files.create("ok.txt", {}, Buffer.from("x"));
    const dir = await tempDir();
    server.requestLog.length = 0;
    for (const key of ["../../escape.txt", join(dir, "..", "abs.txt"), "a\u0000b", "a/../../b"]) {
      file.data.key = key;
      await expect(file.download(dir), key).rejects.toBeInstanceOf(UnsafeFileKeyError);
    }
    expect(server.requestLog).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
    // An explicit target file is the caller's choice: the key plays no part in the path.
    file.data.key = "../../escape.txt";
    await file.download(join(dir, "named.txt"));
    expect(await readFile(join(dir, "named.txt"), "utf8")).toBe("x");
  });
});

describe("createMany", () => {
  it("initialises small files in batches, reads each once, and deletes only the one that fails", async () => {
    const { server, files, filesPath } = await setup();
    const contents = Array.from({ length: 6 }, (_, i) => data(100 + i * 1000, i + 1));
    const large = data(1024 * 1024 + 1, 99);
    const opened: string[] = [];
    const recording = (key: string, bytes: Uint8Array): UploadSource => {
      const inner = fromBytes(bytes);
      return {
        size: inner.size,
        retryable: true,
        open: (start, end) => {
          opened.push(key);
          return inner.open(start, end);
        },
      };
    };
    // s4's content is refused for good (400, not retried): only s4 fails.
    server.faults.add({ method: "PUT", path: `${filesPath}/s4.bin/content`, status: 400 });
    const batches: string[][] = [];
    const results = await files.createMany(
      [
        ...contents.map((bytes, i) => ({
          key: `s${String(i)}.bin`,
          source: recording(`s${String(i)}.bin`, bytes),
        })),
        { key: "large.bin", source: large },
      ],
      { batchSize: 3, concurrency: 2, onBatchStart: (keys) => void batches.push([...keys]) },
    );
    expect(batches).toEqual([
      ["s0.bin", "s1.bin", "s2.bin"],
      ["s3.bin", "s4.bin", "s5.bin"],
    ]);
    // Two batched inits and one for the large file, which goes through create().
    const inits = server.requestLog.filter((e) => e.method === "POST" && e.path === filesPath);
    expect(inits).toHaveLength(3);
    // The same bytes are hashed and sent: each small source is opened once.
    expect(opened.sort()).toEqual(contents.map((_, i) => `s${String(i)}.bin`));
    expect(results.map((r) => r.key)).toEqual([
      ...contents.map((_, i) => `s${String(i)}.bin`),
      "large.bin",
    ]);
    expect(results[4]?.error).toBeInstanceOf(BadRequestError);
    for (const [i, r] of results.entries()) {
      if (i === 4) continue;
      expect(r.error).toBeUndefined();
      expect(r.file?.checksum).toBe(md5(i === 6 ? large : (contents[i] ?? new Uint8Array())));
    }
    await files.refresh();
    expect([...files].map((f) => f.key).sort()).toEqual([
      "large.bin",
      "s0.bin",
      "s1.bin",
      "s2.bin",
      "s3.bin",
      "s5.bin",
    ]);
    expect([...files].every((f) => f.status === "completed")).toBe(true);
  });
});

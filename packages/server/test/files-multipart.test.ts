import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { startDevServer } from "nrp-invenio-devserver";
import type { DevServer } from "nrp-invenio-devserver";
import { call, send, useServer } from "./helpers.js";
import { bytes, contentMd5, filesDraft, md5, putBytes } from "./files-helpers.js";

/** Initialises an M file and returns its item from the init response. */
async function initM(
  server: DevServer,
  files: string,
  key: string,
  size: number,
  parts: number,
  partSize: number,
) {
  const res = await send("POST", files, {
    token: server.tokens.owner,
    body: [{ key, metadata: {}, size, transfer: { type: "M", parts, part_size: partSize } }],
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return (res.body.entries as { key: string }[]).find((e) => e.key === key) as unknown as {
    key: string;
    status: string;
    transfer: unknown;
    links: {
      self: string;
      commit: string;
      content?: string;
      parts: { part: number; url: string; expiration: string }[];
    };
  };
}

function slice(data: Buffer, part: number, partSize: number): Buffer {
  return data.subarray((part - 1) * partSize, part * partSize);
}

describe("multipart (M) uploads", () => {
  const server = useServer();
  const owner = (): string => server().tokens.owner;

  test("init answers part links and no content link; commit turns the file into L", async () => {
    const { files } = await filesDraft(server());
    const data = Buffer.from("0123456789abcdefg"); // 17 bytes, as the upstream test
    const entry = await initM(server(), files, "test.pdf", 17, 2, 10);
    const self = `${files}/test.pdf`;
    expect(entry).toMatchObject({
      key: "test.pdf",
      status: "pending",
      transfer: { type: "M", parts: 2, part_size: 10 },
    });
    expect(entry.links.content).toBeUndefined();
    expect(entry.links.self).toBe(self);
    expect(entry.links.commit).toBe(`${self}/commit`);
    expect(entry.links.parts.map((p) => [p.part, p.url])).toEqual([
      [1, `${self}/content/1`],
      [2, `${self}/content/2`],
    ]);
    const expiration = entry.links.parts[0]?.expiration ?? "";
    expect(expiration).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
    const days = (Date.parse(`${expiration}Z`) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(13.9);

    // Last part first, then the first: any order.
    const p2 = await putBytes(`${self}/content/2`, owner(), slice(data, 2, 10), {
      "Content-MD5": contentMd5(slice(data, 2, 10)),
    });
    expect(p2.status).toBe(200);
    expect(p2.body).toMatchObject({ status: "pending", transfer: { type: "M" } });
    expect((await putBytes(`${self}/content/1`, owner(), slice(data, 1, 10))).status).toBe(200);
    const commit = await send("POST", `${self}/commit`, { token: owner(), body: {} });
    expect(commit.status).toBe(200);
    expect(commit.body).toMatchObject({
      status: "completed",
      transfer: { type: "L" },
      size: 17,
      checksum: md5(data),
      mimetype: "application/pdf",
    });
    expect(commit.body.links.content).toBe(`${self}/content`);
    expect(commit.body.links.parts).toBeUndefined();
    expect((await call(`${self}/content`, { token: owner() })).text).toBe(data.toString());
  });

  test.each([
    ["one byte, one part", 1, 1, 1],
    ["exactly one part", 1024, 1, 1024],
    ["part_size - 1 in the last part", 2047, 2, 1024],
    ["part_size + 1 (a 1-byte last part)", 1025, 2, 1024],
    ["exactly two parts", 2048, 2, 1024],
    ["many parts", 64 * 1000 + 17, 65, 1000],
  ])("sizes around part boundaries: %s", async (_name, size, parts, partSize) => {
    const { files } = await filesDraft(server());
    const data = bytes(size, size);
    const entry = await initM(server(), files, "f.bin", size, parts, partSize);
    // Reverse order, eight at a time, all in flight together.
    const order = entry.links.parts.map((p) => p.part).reverse();
    for (let i = 0; i < order.length; i += 8) {
      const batch = order.slice(i, i + 8);
      const results = await Promise.all(
        batch.map((n) =>
          putBytes(`${entry.links.self}/content/${n}`, owner(), slice(data, n, partSize)),
        ),
      );
      for (const r of results) expect(r.status).toBe(200);
    }
    const commit = await send("POST", entry.links.commit, { token: owner() });
    expect(commit.body).toMatchObject({ status: "completed", size, checksum: md5(data) });
    const got = await fetch(`${entry.links.self}/content`, {
      headers: { Authorization: `Bearer ${owner()}` },
    });
    expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);
  });

  test("all parts concurrently in shuffled order, one re-sent with other bytes: the last write wins", async () => {
    const { files } = await filesDraft(server());
    const size = 40_000;
    const data = bytes(size, 3);
    const entry = await initM(server(), files, "c.bin", size, 40, 1000);
    const wrong = Buffer.alloc(1000, 0xff);
    expect((await putBytes(`${entry.links.self}/content/7`, owner(), wrong)).status).toBe(200);
    // A fixed shuffle (multiplication modulo the prime 41 permutes 1..40), all parts at once.
    const rank = (part: number): number => (part * 7919) % 41;
    const shuffled = [...entry.links.parts].sort((a, b) => rank(a.part) - rank(b.part));
    expect(shuffled.map((p) => p.part)).not.toEqual(entry.links.parts.map((p) => p.part));
    const before = server().requestLog.length;
    const all = await Promise.all(
      shuffled.map((p) => putBytes(p.url, owner(), slice(data, p.part, 1000))),
    );
    expect(all.every((r) => r.status === 200)).toBe(true);
    const arrived = server()
      .requestLog.slice(before)
      .map((e) => Number(e.path.split("/").pop()));
    expect(arrived).toHaveLength(40);
    expect(arrived).not.toEqual([...arrived].sort((a, b) => a - b));
    const commit = await send("POST", entry.links.commit, { token: owner() });
    expect(commit.body.checksum).toBe(md5(data));
    const got = await fetch(`${entry.links.self}/content`, {
      headers: { Authorization: `Bearer ${owner()}` },
    });
    expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);
  });

  test("commit with a missing part is refused with the missing part numbers", async () => {
    const { files } = await filesDraft(server());
    const data = bytes(35);
    const entry = await initM(server(), files, "m.bin", 35, 4, 10);
    await putBytes(`${entry.links.self}/content/1`, owner(), slice(data, 1, 10));
    await putBytes(`${entry.links.self}/content/3`, owner(), slice(data, 3, 10));
    const commit = await send("POST", entry.links.commit, { token: owner() });
    expect(commit.status).toBe(400);
    expect(commit.body).toEqual({
      status: 400,
      message: 'Multipart upload of "m.bin" is incomplete: parts 2, 4 of 4 not uploaded.',
    });
    const item = await call(entry.links.self, { token: owner() });
    expect(item.body.status).toBe("pending");
  });

  test("more than 10,000 parts is refused and leaves the draft's file list answering", async () => {
    const { files } = await filesDraft(server());
    const tooMany = "Multipart file transfer supports at most 10000 parts.";
    const huge = 2 ** 40;
    const cases = [
      { key: "huge.bin", size: huge, transfer: { type: "M", parts: huge, part_size: 1 } },
      { key: "many.bin", size: 10_001, transfer: { type: "M", parts: 10_001, part_size: 1 } },
    ];
    for (const body of cases) {
      const res = await send("POST", files, { token: owner(), body: [body] });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body).toEqual({ status: 400, message: tooMany });
    }
    const list = await call(files, { token: owner() });
    expect(list.status).toBe(200);
    expect(list.body.entries).toEqual([]);

    const most = await initM(server(), files, "most.bin", 10_000, 10_000, 1);
    expect(most.links.parts).toHaveLength(10_000);
    expect(most.links.parts.at(-1)?.url).toBe(`${files}/most.bin/content/10000`);
    expect((await call(files, { token: owner() })).status).toBe(200);
  });

  test("init and part errors carry the multipart provider's messages", async () => {
    const { files } = await filesDraft(server());
    const init = (size: unknown, transfer: Record<string, unknown>) =>
      send("POST", files, {
        token: owner(),
        body: [{ key: `k${Math.random()}`, size, transfer: { type: "M", ...transfer } }],
      });
    expect((await init(10, { part_size: 10 })).body.message).toBe(
      "Multipart file transfer requires parts.",
    );
    expect((await init(undefined, { parts: 1, part_size: 10 })).body.message).toBe(
      "Multipart file transfer requires file size.",
    );
    expect((await init(0, { parts: 1, part_size: 0 })).body.message).toBe(
      "Multipart file transfer requires file size.",
    );
    expect((await init(10, { parts: 1 })).body.message).toBe(
      "Multipart file transfer to local storage requires part_size.",
    );
    expect((await init(100, { parts: 2, part_size: 10 })).body.message).toBe(
      "Multipart file transfer requires (parts - 1) * part_size < size <= parts * part_size.",
    );

    const entry = await initM(server(), files, "e.bin", 25, 3, 10);
    const part = (n: number, body: Buffer, headers: Record<string, string> = {}) =>
      putBytes(`${entry.links.self}/content/${n}`, owner(), body, headers);
    expect((await part(4, bytes(5))).body).toEqual({
      status: 400,
      message: "Part number is higher than total parts sent in multipart initialization.",
    });
    expect((await part(1, bytes(9))).body.message).toBe(
      "Size of this part must be equal to part_size sent in multipart initialization.",
    );
    expect((await part(3, bytes(10))).body.message).toBe(
      "Size of the last part must be the rest of the file size sent in multipart initialization.",
    );
    expect((await part(2, bytes(10), { "Content-MD5": contentMd5(bytes(3)) })).body.message).toBe(
      "The Content-MD5 you specified did not match what we received.",
    );
    expect((await part(0, bytes(10))).body.message).toBe("Part numbers start at 1.");
    await send("POST", files, { token: owner(), body: [{ key: "plain.txt" }] });
    const onL = await putBytes(`${files}/plain.txt/content/1`, owner(), bytes(3));
    expect(onL.body).toEqual({
      status: 400,
      message: 'File with key "plain.txt" is not a multipart upload.',
    });
    const content = await putBytes(`${entry.links.self}/content`, owner(), bytes(25));
    expect(content.body).toEqual({
      status: 400,
      message: "Can not set content for multipart file, use the parts instead.",
    });
    const download = await call(`${entry.links.self}/content`, { token: owner() });
    expect(download.status).toBe(404);
  });

  test("deleting a pending multipart file aborts it", async () => {
    const { files } = await filesDraft(server());
    const entry = await initM(server(), files, "gone.bin", 20, 2, 10);
    await putBytes(`${entry.links.self}/content/1`, owner(), bytes(10));
    expect((await call(entry.links.self, { method: "DELETE", token: owner() })).status).toBe(204);
    const part = await putBytes(`${entry.links.self}/content/2`, owner(), bytes(10));
    expect(part.status).toBe(404);
    // The key is free again.
    await initM(server(), files, "gone.bin", 20, 2, 10);
  });

  test("aborting a pending multipart file (alone or with all files) frees its stored parts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nrp-abort-"));
    const disk = await startDevServer({ dataDir: dir });
    try {
      // The blobs, without the marker file that makes the directory the store's own.
      const stored = async (): Promise<string[]> =>
        (await readdir(join(dir, "files"))).filter((name) => !name.startsWith("."));
      const { files } = await filesDraft(disk);
      const token = disk.tokens.owner;
      const one = await initM(disk, files, "one.bin", 20, 2, 10);
      expect((await putBytes(`${one.links.self}/content/1`, token, bytes(10))).status).toBe(200);
      // The one staging blob the row names, holding the part at its offset.
      expect(await stored()).toHaveLength(1);
      const [pending] = await stored();
      expect((await stat(join(dir, "files", pending ?? ""))).size).toBe(10);
      expect((await call(one.links.self, { method: "DELETE", token })).status).toBe(204);
      expect(await stored()).toEqual([]);
      expect((await call(files, { token })).body.entries).toEqual([]);

      const two = await initM(disk, files, "two.bin", 30, 3, 10);
      await putBytes(`${two.links.self}/content/3`, token, bytes(10));
      await putBytes(`${two.links.self}/content/1`, token, bytes(10));
      expect((await stored()).length).toBeGreaterThan(0);
      expect((await call(files, { method: "DELETE", token })).status).toBe(204);
      expect(await stored()).toEqual([]);
      expect((await putBytes(`${two.links.self}/content/2`, token, bytes(10))).status).toBe(404);
    } finally {
      await disk.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

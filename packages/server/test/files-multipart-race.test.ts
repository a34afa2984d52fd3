import { mkdtemp, readdir, rm } from "node:fs/promises";
import { request, type ClientRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { startDevServer, type RequestLogEntry } from "nrp-invenio-devserver";
import { call, send, useServer } from "./helpers.js";
import { bytes, filesDraft, md5, putBytes } from "./files-helpers.js";

/** A PUT whose body the test writes piece by piece; `done` settles with the status (or 0). */
function openPut(
  url: string,
  token: string,
  length: number,
): { req: ClientRequest; done: Promise<{ status: number; body: string }> } {
  let req: ClientRequest | undefined;
  const done = new Promise<{ status: number; body: string }>((resolve) => {
    req = request(
      url,
      {
        method: "PUT",
        agent: false,
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/octet-stream",
          "Content-Length": String(length),
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on("error", () => {
      resolve({ status: 0, body: "" });
    });
  });
  if (req === undefined) throw new Error("request not created");
  req.flushHeaders();
  return { req, done };
}

/** Waits until the devserver's handler has taken up a PUT to `url` (its log entry is there). */
async function arrived(
  log: readonly RequestLogEntry[],
  url: string,
  since: number,
): Promise<RequestLogEntry> {
  const path = new URL(url).pathname;
  const find = (): RequestLogEntry | undefined =>
    log.find((e) => e.seq > since && e.method === "PUT" && e.path === path);
  await expect.poll(find, { message: `the PUT of ${path} to arrive`, interval: 5 }).toBeDefined();
  const entry = find();
  if (entry === undefined) throw new Error("unreachable");
  return entry;
}

/** The log's last sequence number, to look only at later requests. */
const lastSeq = (log: readonly RequestLogEntry[]): number => log.at(-1)?.seq ?? 0;

describe("multipart parts racing the commit", () => {
  const server = useServer();
  const owner = (): string => server().tokens.owner;

  async function twoParts(key: string, data: Buffer): Promise<string> {
    const { files } = await filesDraft(server());
    const init = await send("POST", files, {
      token: owner(),
      body: [{ key, size: 20, transfer: { type: "M", parts: 2, part_size: 10 } }],
    });
    expect(init.status).toBe(201);
    const self = `${files}/${key}`;
    for (const part of [1, 2]) {
      const put = await putBytes(
        `${self}/content/${String(part)}`,
        owner(),
        data.subarray((part - 1) * 10, part * 10),
      );
      expect(put.status).toBe(200);
    }
    return self;
  }

  test("a part still streaming when the file is committed is refused and changes nothing", async () => {
    const data = bytes(20, 3);
    const self = await twoParts("race.bin", data);
    const since = lastSeq(server().requestLog);
    const late = openPut(`${self}/content/1`, owner(), 10);
    late.req.write(Buffer.alloc(5, 0xee));
    await arrived(server().requestLog, `${self}/content/1`, since);
    const commit = await send("POST", `${self}/commit`, { token: owner() });
    expect(commit.status).toBe(200);
    expect(commit.body.checksum).toBe(md5(data));
    late.req.end(Buffer.alloc(5, 0xee));
    const answer = await late.done;
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("already committed");
    const raw = await fetch(`${self}/content`, {
      headers: { Authorization: `Bearer ${owner()}` },
    });
    expect(raw.status).toBe(200);
    expect(md5(Buffer.from(await raw.arrayBuffer()))).toBe(md5(data));
    const item = await call(self, { token: owner() });
    expect(item.body.checksum).toBe(md5(data));
    expect(item.body.size).toBe(20);
  });

  test("a re-sent part cut half-way leaves the acknowledged part as it was", async () => {
    const data = bytes(20, 5);
    const self = await twoParts("resend.bin", data);
    const since = lastSeq(server().requestLog);
    const cut = openPut(`${self}/content/1`, owner(), 10);
    cut.req.write(Buffer.alloc(6, 0xaa));
    const entry = await arrived(server().requestLog, `${self}/content/1`, since);
    cut.req.destroy();
    expect((await cut.done).status).toBe(0);
    // The devserver has seen the connection close (the entry's duration is set on close).
    await expect
      .poll(() => entry.durationMs, { message: "the cut PUT to close", interval: 5 })
      .not.toBeNull();
    const commit = await send("POST", `${self}/commit`, { token: owner() });
    expect(commit.status).toBe(200);
    expect(commit.body.checksum).toBe(md5(data));
  });

  test("a part still streaming when its file is deleted is refused", async () => {
    const data = bytes(20, 13);
    const self = await twoParts("deleted.bin", data);
    const since = lastSeq(server().requestLog);
    const late = openPut(`${self}/content/2`, owner(), 10);
    late.req.write(Buffer.alloc(5, 0x11));
    await arrived(server().requestLog, `${self}/content/2`, since);
    expect((await call(self, { method: "DELETE", token: owner() })).status).toBe(204);
    late.req.end(Buffer.alloc(5, 0x11));
    expect((await late.done).status).toBe(404);
    expect((await call(self, { token: owner() })).status).toBe(404);
  });

  test("a part first uploaded twice at once: the one landing first counts, the other is refused", async () => {
    const { files } = await filesDraft(server());
    const data = bytes(20, 17);
    const init = await send("POST", files, {
      token: owner(),
      body: [{ key: "twice.bin", size: 20, transfer: { type: "M", parts: 2, part_size: 10 } }],
    });
    expect(init.status).toBe(201);
    const self = `${files}/twice.bin`;
    const since = lastSeq(server().requestLog);
    // The first upload of part 1 is written in place and stays open half-way.
    const slow = openPut(`${self}/content/1`, owner(), 10);
    slow.req.write(Buffer.alloc(5, 0xcc));
    await arrived(server().requestLog, `${self}/content/1`, since);
    expect((await putBytes(`${self}/content/1`, owner(), data.subarray(0, 10))).status).toBe(200);
    expect((await putBytes(`${self}/content/2`, owner(), data.subarray(10))).status).toBe(200);
    slow.req.end(Buffer.alloc(5, 0xcc));
    const answer = await slow.done;
    expect(answer.status).toBe(409);
    expect(answer.body).toContain("replaced by another upload");
    const commit = await send("POST", `${self}/commit`, { token: owner() });
    expect(commit.status).toBe(200);
    expect(commit.body.checksum).toBe(md5(data));
    const raw = await fetch(`${self}/content`, { headers: { Authorization: `Bearer ${owner()}` } });
    expect(Buffer.from(await raw.arrayBuffer()).equals(data)).toBe(true);
  });

  test("a re-sent part that arrives whole replaces the earlier one", async () => {
    const data = bytes(20, 9);
    const self = await twoParts("replace.bin", data);
    const again = Buffer.alloc(10, 0x41);
    expect((await putBytes(`${self}/content/1`, owner(), again)).status).toBe(200);
    const commit = await send("POST", `${self}/commit`, { token: owner() });
    expect(commit.status).toBe(200);
    expect(commit.body.checksum).toBe(md5(Buffer.concat([again, data.subarray(10)])));
  });
});

describe("staged parts across a restart", () => {
  test("the start-up sweep keeps the parts of a pending file and drops those of committed ones", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nrp-parts-"));
    const stored = async (): Promise<string[]> =>
      (await readdir(join(dir, "files"))).filter((name) => !name.startsWith("."));
    const data = bytes(20, 11);
    let disk = await startDevServer({ dataDir: dir });
    try {
      const { files } = await filesDraft(disk);
      const token = disk.tokens.owner;
      const init = await send("POST", files, {
        token,
        body: [{ key: "kept.bin", size: 20, transfer: { type: "M", parts: 2, part_size: 10 } }],
      });
      expect(init.status).toBe(201);
      let self = `${files}/kept.bin`;
      expect((await putBytes(`${self}/content/1`, token, data.subarray(0, 10))).status).toBe(200);
      // One staging blob, part 1 written at its offset.
      const [staged, ...others] = await stored();
      expect(others).toEqual([]);
      await disk.close();
      const before = disk.url;
      disk = await startDevServer({ dataDir: dir });
      self = self.replace(before, disk.url);
      expect(await stored()).toEqual([staged]);
      const again = disk.tokens.owner;
      expect((await putBytes(`${self}/content/2`, again, data.subarray(10))).status).toBe(200);
      const commit = await send("POST", `${self}/commit`, { token: again });
      expect(commit.status).toBe(200);
      expect(commit.body.checksum).toBe(md5(data));
      // Only the committed blob is left (the running hash was lost with the restart: the commit
      // hashed it all).
      expect((await stored()).filter((name) => name.includes(".part"))).toEqual([]);
      expect(await stored()).toHaveLength(1);
    } finally {
      await disk.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

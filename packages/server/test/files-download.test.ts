import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test, vi } from "vitest";
import { startDevServer } from "nrp-invenio-devserver";
import { call, send, useServer } from "./helpers.js";
import { bytes, filesDraft, md5, putBytes, uploadL } from "./files-helpers.js";

async function get(url: string, headers: Record<string, string> = {}, method = "GET") {
  const res = await fetch(url, { method, headers, redirect: "manual" });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body };
}

describe("downloads", () => {
  const server = useServer();
  const data = bytes(10_000, 11);
  let content = "";

  test("GET sends the bytes with send_stream's headers", async () => {
    const { id, files, draft } = await filesDraft(server());
    const committed = await uploadL(server(), files, "data.csv", data);
    await send("POST", `${draft}/actions/publish`, { token: server().tokens.owner });
    content = `${server().url}/api/documents/${id}/files/data.csv/content`;
    const res = await get(content);
    expect(res.status).toBe(200);
    expect(res.body.equals(data)).toBe(true);
    expect(res.headers.get("content-type")).toBe("text/csv");
    expect(res.headers.get("content-length")).toBe("10000");
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("etag")).toBe(`"${md5(data)}"`);
    expect(res.headers.get("content-md5")).toBe(
      Buffer.from(md5(data).slice(4), "hex").toString("base64"),
    );
    expect(res.headers.get("content-disposition")).toBe(
      `inline; filename="data.csv"; filename*=UTF-8''data.csv`,
    );
    expect(new Date(res.headers.get("last-modified") ?? "").getTime()).toBe(
      Math.floor(Date.parse(committed.body.updated as string) / 1000) * 1000,
    );
    const attachment = await get(`${content}?download=1`);
    expect(attachment.headers.get("content-disposition")).toMatch(
      /^attachment; filename="data.csv"/,
    );
  });

  test("HEAD: the same headers, no body", async () => {
    const res = await get(content, {}, "HEAD");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe("10000");
    expect(res.headers.get("etag")).toBe(`"${md5(data)}"`);
    expect(res.body.length).toBe(0);
    const ranged = await get(content, { Range: "bytes=0-0" }, "HEAD");
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("content-range")).toBe("bytes 0-0/10000");
    expect(ranged.headers.get("content-length")).toBe("1");
    expect(ranged.body.length).toBe(0);
    const beyond = await get(content, { Range: "bytes=10000-" }, "HEAD");
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe("bytes */10000");
    expect(beyond.body.length).toBe(0);
  });

  test.each([
    ["bytes=0-99", 0, 99],
    ["bytes=9990-", 9990, 9999],
    ["bytes=-10", 9990, 9999],
    ["bytes=5000-5000", 5000, 5000],
    ["bytes=9000-20000", 9000, 9999],
    ["bytes=-20000", 0, 9999],
  ])("Range %s → 206", async (range, start, end) => {
    const res = await get(content, { Range: range });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes ${start}-${end}/10000`);
    expect(res.headers.get("content-length")).toBe(String(end - start + 1));
    expect(res.body.equals(data.subarray(start, end + 1))).toBe(true);
  });

  test.each(["bytes=10000-", "bytes=20000-30000", "bytes=-0"])(
    "unsatisfiable %s → 416 with Content-Range */size",
    async (range) => {
      const res = await get(content, { Range: range });
      expect(res.status).toBe(416);
      expect(res.headers.get("content-range")).toBe("bytes */10000");
    },
  );

  test("several ranges or garbage are ignored: the whole content", async () => {
    for (const range of ["bytes=0-1,5-6", "items=0-1", "bytes=5-2"]) {
      const res = await get(content, { Range: range });
      expect(res.status, range).toBe(200);
      expect(res.body.length).toBe(10_000);
    }
  });

  test("conditional requests: If-None-Match → 304, If-Range with a stale ETag → 200", async () => {
    const etag = `"${md5(data)}"`;
    expect((await get(content, { "If-None-Match": etag })).status).toBe(304);
    expect((await get(content, { "If-None-Match": '"md5:other"' })).status).toBe(200);
    const fresh = await get(content, { Range: "bytes=0-9", "If-Range": etag });
    expect(fresh.status).toBe(206);
    const stale = await get(content, { Range: "bytes=0-9", "If-Range": '"md5:other"' });
    expect(stale.status).toBe(200);
    expect(stale.body.length).toBe(10_000);
  });

  test("corruptByteAt flips one byte of a download, headers untouched", async () => {
    server().faults.add({ method: "GET", path: "/api/**/content", corruptByteAt: 5000 });
    const res = await get(content);
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe(`"${md5(data)}"`);
    expect(res.body.length).toBe(data.length);
    expect(md5(res.body)).not.toBe(md5(data));
    const diff = [...res.body].flatMap((b, i) => (b === data[i] ? [] : [i]));
    expect(diff).toEqual([5000]);
    expect((await get(content)).body.equals(data)).toBe(true);
  });

  test("dropAfterBytes cuts a download mid-body", async () => {
    server().faults.add({ method: "GET", path: "/api/**/content", dropAfterBytes: 4096 });
    const res = await fetch(content);
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    const entry = server().requestLog.at(-1);
    expect(entry?.dropped).toBe(true);
  });
});

describe("downloads in the rdm flavour (invenio-files-rest as InvenioRDM 13 serves them)", () => {
  const data = Buffer.from("a,b\n1,2\n");

  /** A published RDM record with `key` holding `content`; returns its files URL. */
  async function published(
    server: Awaited<ReturnType<typeof startDevServer>>,
    files: [string, Buffer][],
  ): Promise<string> {
    const token = server.tokens.owner;
    const draft = await send("POST", `${server.url}/api/records`, {
      token,
      body: { metadata: { title: "Downloads" }, files: { enabled: true } },
    });
    const url = `${server.url}/api/records/${draft.body.id as string}/draft/files`;
    for (const [key, content] of files) {
      expect((await send("POST", url, { token, body: [{ key }] })).status).toBe(201);
      expect(
        (await putBytes(`${url}/${encodeURIComponent(key)}/content`, token, content)).status,
      ).toBe(200);
      expect(
        (await send("POST", `${url}/${encodeURIComponent(key)}/commit`, { token })).status,
      ).toBe(200);
    }
    expect((await send("POST", draft.body.links.publish, { token })).status).toBe(202);
    return `${server.url}/api/records/${draft.body.id as string}/files`;
  }

  test("Range is ignored (200, the whole body, no Accept-Ranges); Content-MD5 is hex; HTML-like types are text/plain, inline without a name", async () => {
    const server = await startDevServer({ flavour: "rdm" });
    try {
      const files = await published(server, [
        ["small.csv", data],
        ["mp.bin", Buffer.from([0, 1, 2])],
        ["příliš.bin", Buffer.from([3])],
      ]);
      const res = await get(`${files}/small.csv/content`, { Range: "bytes=0-3" });
      expect(res.status).toBe(200);
      expect(res.body.equals(data)).toBe(true);
      expect(res.headers.get("accept-ranges")).toBeNull();
      expect(res.headers.get("content-range")).toBeNull();
      expect(res.headers.get("content-md5")).toBe(md5(data).slice(4));
      expect(res.headers.get("etag")).toBe(`"${md5(data)}"`);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(res.headers.get("content-disposition")).toBe("inline");
      const unsatisfiable = await get(`${files}/small.csv/content`, { Range: "bytes=100-" });
      expect(unsatisfiable.status).toBe(200);
      const attachment = await get(`${files}/small.csv/content?download=1`);
      expect(attachment.headers.get("content-disposition")).toBe("attachment; filename=small.csv");
      // application/octet-stream is always an attachment, against type sniffing.
      const binary = await get(`${files}/mp.bin/content`);
      expect(binary.headers.get("content-type")).toBe("application/octet-stream");
      expect(binary.headers.get("content-disposition")).toBe("attachment; filename=mp.bin");
      const named = await get(`${files}/${encodeURIComponent("příliš.bin")}/content`);
      expect(named.headers.get("content-disposition")).toBe(
        `attachment; filename=prilis.bin; filename*=UTF-8''${encodeURIComponent("příliš.bin")}`,
      );
      expect(
        (await get(`${files}/small.csv/content`, { "If-None-Match": `"${md5(data)}"` })).status,
      ).toBe(304);
    } finally {
      await server.close();
    }
  });

  test("the rangeRequests option turns Range on, as FILES_REST_ALLOW_RANGE_REQUESTS does", async () => {
    const server = await startDevServer({ flavour: "rdm", rangeRequests: true });
    try {
      const files = await published(server, [["small.csv", data]]);
      const res = await get(`${files}/small.csv/content`, { Range: "bytes=0-3" });
      expect(res.status).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes 0-3/${String(data.length)}`);
      expect(res.headers.get("accept-ranges")).toBe("bytes");
      expect(res.body.toString()).toBe("a,b\n");
    } finally {
      await server.close();
    }
  });
});

describe("redirectDownloads", () => {
  const server = useServer({ redirectDownloads: true });
  const data = bytes(5000, 5);

  test("content answers 302 to the storage origin, which serves it without a token", async () => {
    const { files } = await filesDraft(server());
    await uploadL(server(), files, "r.bin", data);
    const token = server().tokens.owner;
    const res = await call(`${files}/r.bin/content`, { token });
    expect(res.status).toBe(302);
    const location = res.headers.get("location") ?? "";
    const storage = server().storageUrl ?? "";
    expect(storage).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(storage).not.toBe(server().url);
    expect(location.startsWith(`${storage}/storage/`)).toBe(true);

    const got = await get(location);
    expect(got.status).toBe(200);
    expect(got.body.equals(data)).toBe(true);
    expect(got.headers.get("etag")).toBe(`"${md5(data)}"`);
    expect(got.headers.get("content-type")).toBe("application/octet-stream");
    const part = await get(location, { Range: "bytes=100-199" });
    expect(part.status).toBe(206);
    expect(part.body.equals(data.subarray(100, 200))).toBe(true);
    const head = await get(location, {}, "HEAD");
    expect(head.headers.get("content-length")).toBe("5000");
    // HEAD on the API redirects too, so clients probing the size follow the same path.
    expect((await call(`${files}/r.bin/content`, { method: "HEAD", token })).status).toBe(302);

    const log = server().requestLog.filter((e) => e.path.startsWith("/storage/"));
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((e) => !e.authorization)).toBe(true);

    const withToken = await get(location, { Authorization: `Bearer ${token}` });
    expect(withToken.status).toBe(400);
    expect(JSON.parse(withToken.body.toString()).message).toMatch(/^Only one auth mechanism/);
  });

  test("a forged or missing signature is 403", async () => {
    const { files } = await filesDraft(server());
    await uploadL(server(), files, "f.bin", data);
    const res = await call(`${files}/f.bin/content`, { token: server().tokens.owner });
    const location = new URL(res.headers.get("location") ?? "");
    const forged = new URL(location);
    forged.searchParams.set("signature", "A".repeat(43));
    const message =
      "The request signature we calculated does not match the signature you provided.";
    const f = await get(forged.href);
    expect(f.status).toBe(403);
    expect(JSON.parse(f.body.toString()).message).toBe(message);
    const extended = new URL(location);
    extended.searchParams.set("expires", String(Number(location.searchParams.get("expires")) + 99));
    expect((await get(extended.href)).status).toBe(403);
    const bare = `${location.origin}${location.pathname}`;
    expect((await get(bare)).status).toBe(403);
  });

  test("an expired URL is 403", async () => {
    const short = await startDevServer({ redirectDownloads: { ttlSeconds: 0 } });
    try {
      const { files } = await filesDraft(short);
      await uploadL(short, files, "e.bin", data);
      const res = await call(`${files}/e.bin/content`, { token: short.tokens.owner });
      // The URL expires at the end of its second: move the clock past it instead of waiting.
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(Date.now() + 2000);
      const expired = await get(res.headers.get("location") ?? "");
      expect(expired.status).toBe(403);
      expect(JSON.parse(expired.body.toString()).message).toBe("Request has expired.");
    } finally {
      vi.useRealTimers();
      await short.close();
    }
  });
});

describe("uploads cut mid-body (dropAfterRequestBytes)", () => {
  const server = useServer();
  const owner = (): string => server().tokens.owner;

  test("an L upload cut after K bytes leaves the file pending; a retry succeeds", async () => {
    const { files } = await filesDraft(server());
    const data = bytes(200_000, 9);
    await send("POST", files, { token: owner(), body: [{ key: "cut.bin", size: data.length }] });
    server().faults.add({ method: "PUT", path: "/api/**/content", dropAfterRequestBytes: 65_536 });
    await expect(putBytes(`${files}/cut.bin/content`, owner(), data)).rejects.toThrow();
    const entry = server().requestLog.at(-1);
    expect(entry?.dropped).toBe(true);
    const item = await call(`${files}/cut.bin`, { token: owner() });
    expect(item.body.status).toBe("pending");
    expect((await send("POST", `${files}/cut.bin/commit`, { token: owner() })).status).toBe(400);
    expect((await putBytes(`${files}/cut.bin/content`, owner(), data)).status).toBe(200);
    const commit = await send("POST", `${files}/cut.bin/commit`, { token: owner() });
    expect(commit.body.checksum).toBe(md5(data));
  });

  test("requestBytesPerSecond reads an upload no faster than the rate, and keeps it whole", async () => {
    const { files } = await filesDraft(server());
    const data = bytes(300_000, 5);
    await send("POST", files, { token: owner(), body: [{ key: "slow.bin", size: data.length }] });
    server().faults.add({ method: "PUT", path: "/api/**/content", requestBytesPerSecond: 600_000 });
    const started = performance.now();
    expect((await putBytes(`${files}/slow.bin/content`, owner(), data)).status).toBe(200);
    // 300 kB at 600 kB/s: half a second at least (a lower bound only; a loaded machine is slower).
    expect(performance.now() - started).toBeGreaterThanOrEqual(450);
    const commit = await send("POST", `${files}/slow.bin/commit`, { token: owner() });
    expect(commit.body.checksum).toBe(md5(data));
    const rejected = await send("POST", `${server().url}/_devserver/faults`, {
      headers: { Authorization: `Bearer ${server().tokens.admin}` },
      body: { path: "/x", requestBytesPerSecond: 0 },
    });
    expect(rejected.status).toBe(400);
    server().faults.clear();
  });

  test("a part cut mid-body does not count; re-sent, the upload completes", async () => {
    const { files } = await filesDraft(server());
    const data = bytes(300_000, 4);
    const init = await send("POST", files, {
      token: owner(),
      body: [
        { key: "p.bin", size: data.length, transfer: { type: "M", parts: 3, part_size: 100_000 } },
      ],
    });
    const self = init.body.entries[0].links.self as string;
    server().faults.add({
      method: "PUT",
      path: "/api/**/content/2",
      dropAfterRequestBytes: 50_000,
    });
    const part = (n: number) =>
      putBytes(`${self}/content/${n}`, owner(), data.subarray((n - 1) * 100_000, n * 100_000));
    expect((await part(1)).status).toBe(200);
    await expect(part(2)).rejects.toThrow();
    expect((await part(3)).status).toBe(200);
    const early = await send("POST", `${self}/commit`, { token: owner() });
    expect(early.body.message).toBe(
      'Multipart upload of "p.bin" is incomplete: part 2 of 3 not uploaded.',
    );
    expect((await part(2)).status).toBe(200);
    const commit = await send("POST", `${self}/commit`, { token: owner() });
    expect(commit.body).toMatchObject({ status: "completed", checksum: md5(data) });
  });

  test("a 503 storm with Retry-After on parts: refused before the body, then accepted", async () => {
    const { files } = await filesDraft(server());
    const data = bytes(2_000_000, 8);
    const init = await send("POST", files, {
      token: owner(),
      body: [
        {
          key: "s.bin",
          size: data.length,
          transfer: { type: "M", parts: 2, part_size: 1_000_000 },
        },
      ],
    });
    const self = init.body.entries[0].links.self as string;
    server().faults.add({
      method: "PUT",
      path: "/api/**/content/*",
      status: 503,
      headers: { "Retry-After": "1" },
      times: 3,
    });
    const part = (n: number) =>
      putBytes(`${self}/content/${n}`, owner(), data.subarray((n - 1) * 1_000_000, n * 1_000_000));
    for (let i = 0; i < 3; i++) {
      const refused = await part(1);
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
    }
    expect((await part(1)).status).toBe(200);
    expect((await part(2)).status).toBe(200);
    const commit = await send("POST", `${self}/commit`, { token: owner() });
    expect(commit.body.checksum).toBe(md5(data));
  });

  test("K = 0 resets the connection before the body is read", async () => {
    const { files } = await filesDraft(server());
    await send("POST", files, { token: owner(), body: [{ key: "z.bin" }] });
    server().faults.add({ method: "PUT", path: "/api/**", dropAfterRequestBytes: 0 });
    await expect(putBytes(`${files}/z.bin/content`, owner(), bytes(10))).rejects.toThrow();
    expect(server().requestLog.at(-1)?.status).toBe(0);
  });

  test("the rule is accepted over the admin API and validated", async () => {
    const admin = { Authorization: `Bearer ${server().tokens.admin}` };
    const ok = await send("POST", `${server().url}/_devserver/faults`, {
      headers: admin,
      body: { path: "/x", dropAfterRequestBytes: 10 },
    });
    expect(ok.status).toBe(201);
    const bad = await send("POST", `${server().url}/_devserver/faults`, {
      headers: admin,
      body: { path: "/x", dropAfterRequestBytes: -1 },
    });
    expect(bad.status).toBe(400);
    server().faults.clear();
  });
});

describe("persistence", () => {
  test("files (and presigned URLs) survive a restart on the same data directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "nrp-files-"));
    try {
      const first = await startDevServer({ dataDir: dir, redirectDownloads: true });
      const { files } = await filesDraft(first);
      const data = bytes(3000, 2);
      await uploadL(first, files, "kept.bin", data);
      const init = await send("POST", files, {
        token: first.tokens.owner,
        body: [{ key: "half.bin", size: 20, transfer: { type: "M", parts: 2, part_size: 10 } }],
      });
      expect(init.status).toBe(201);
      await putBytes(`${files}/half.bin/content/1`, first.tokens.owner, data.subarray(0, 10));
      await first.close();
      // What a server killed mid-upload leaves behind is cleared at start-up: its own upload
      // temporaries and unreferenced blobs, nothing else.
      const stray = "0b3f6f0e-7c1a-4d2b-9e8f-1a2b3c4d5e6f";
      await writeFile(join(dir, "files", `${stray}.upload`), "partial");
      await writeFile(join(dir, "files", "1c4a7e2f-8d3b-4e5c-af90-2b3c4d5e6f70"), "old");
      const blobsBefore = (await readdir(join(dir, "files"))).length;

      const second = await startDevServer({ dataDir: dir, redirectDownloads: true });
      try {
        expect((await readdir(join(dir, "files"))).length).toBe(blobsBefore - 2);
        const token = second.tokens.owner;
        const moved = files.replace(first.url, second.url);
        const res = await call(`${moved}/kept.bin/content`, { token });
        expect(res.status).toBe(302);
        const got = await get(res.headers.get("location") ?? "");
        expect(got.body.equals(data)).toBe(true);
        await putBytes(`${moved}/half.bin/content/2`, token, data.subarray(10, 20));
        const commit = await send("POST", `${moved}/half.bin/commit`, { token });
        expect(commit.body).toMatchObject({
          status: "completed",
          checksum: md5(data.subarray(0, 20)),
        });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

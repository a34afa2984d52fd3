import { createHash, randomBytes } from "node:crypto";
import { access, mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DevServer } from "nrp-invenio-devserver";
import {
  APIConnectionError,
  ChecksumMismatchError,
  DeadlineExceededError,
  NRPError,
  NRPInvenioClient,
  ResponseTooLargeError,
} from "nrp-invenio-client";
import type { NRPClientOptions, NRPFile } from "nrp-invenio-client";
import { downloadFile } from "../../src/internal/download.js";
import { Fixtures } from "../helpers/servers.js";

const fx = new Fixtures();
const dirs: string[] = [];
afterEach(async () => {
  await fx.cleanup();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "nrp-hostile-"));
  dirs.push(dir);
  return dir;
}

describe("JSON responses from a hostile server", () => {
  it("stops reading a JSON body that never ends at maxJsonSize", async () => {
    const server = await fx.hostileServer("endless-json");
    const { http } = fx.http(server, { maxJsonSize: 1024 * 1024, retryCount: 0 });
    const error = await http.getJSON("/api/records").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect((error as ResponseTooLargeError).code).toBe("NRP_RESPONSE_TOO_LARGE");
    expect((error as ResponseTooLargeError).limit).toBe(1024 * 1024);
    expect((error as Error).message).toContain("larger than 1048576 bytes");
    // The server keeps writing into socket buffers for a moment, but nowhere near unbounded.
    expect(server.bytesSent()).toBeLessThan(64 * 1024 * 1024);
  });

  it("a body over the limit is not retried", async () => {
    const server = await fx.hostileServer("endless-json");
    const { http, events } = fx.http(server, { maxJsonSize: 256 * 1024, retryCount: 3 });
    await expect(http.getJSON("/api/records")).rejects.toBeInstanceOf(ResponseTooLargeError);
    expect(events).toEqual([]);
    expect(server.requests()).toBe(1);
  });

  it("the maxJsonSize client option reaches the transport", async () => {
    const server = await fx.hostileServer("endless-json");
    const client = new NRPInvenioClient({
      serverUrl: server.url,
      maxJsonSize: 512 * 1024,
      retryCount: 0,
    });
    try {
      expect(client.options.maxJsonSize).toBe(512 * 1024);
      await expect(client.info.repository()).rejects.toMatchObject({
        code: "NRP_RESPONSE_TOO_LARGE",
      });
    } finally {
      await client.close();
    }
  });

  it("defaults to 64 MiB and a 5 minute deadline", () => {
    const client = new NRPInvenioClient({ serverUrl: "http://127.0.0.1:9" });
    expect(client.options.maxJsonSize).toBe(64 * 1024 * 1024);
    expect(client.options.deadline).toBe(300);
  });

  it("a trickled JSON body fails at the total deadline although chunks keep arriving", async () => {
    const server = await fx.hostileServer("trickle-json", { intervalMs: 20 });
    // The per-chunk timeout (2 s) never fires; only the total deadline (0.5 s) can end it.
    const { http } = fx.http(server, { timeout: 2, deadline: 0.5, retryCount: 0 });
    const started = Date.now();
    const error = await http.getJSON("/api/records").catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as DeadlineExceededError).code).toBe("NRP_DEADLINE_EXCEEDED");
    expect((error as Error).message).toContain("took longer than 0.5 s in total");
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(2000);
    expect(server.bytesSent()).toBeGreaterThan(5);
  });

  it("a deadline is retried like a timeout, per attempt", async () => {
    const server = await fx.hostileServer("trickle-json", { intervalMs: 20 });
    const { http, events } = fx.http(server, { timeout: 2, deadline: 0.3, retryCount: 2 });
    await expect(http.getJSON("/api/records")).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(events).toHaveLength(2);
    expect(server.requests()).toBe(3);
  });

  it("the deadline does not apply to streamed transfers", async () => {
    const server = await fx.hostileServer("trickle-json", { intervalMs: 20 });
    const { http } = fx.http(server, { timeout: 2, deadline: 0.2, retryCount: 0 });
    const res = await http.stream({ method: "GET", url: "/file" });
    let bytes = 0;
    const started = Date.now();
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (Date.now() - started > 600) break;
    }
    res.body.destroy();
    expect(bytes).toBeGreaterThan(10);
  });
});

describe("answers that are not JSON", () => {
  it.each([
    ["html", "text/html"],
    ["garbage-json", "application/json"],
  ] as const)(
    "a 200 with %s body is NRP_INVALID_JSON, naming the content type",
    async (mode, type) => {
      const server = await fx.hostileServer(mode);
      const { http, events } = fx.http(server, { retryCount: 2 });
      const error = await http.getJSON("/api/records").catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "NRP_INVALID_JSON" });
      expect((error as Error).message).toBe(
        `Expected JSON from GET ${server.url}/api/records but got ${type}.`,
      );
      expect(events).toEqual([]);
    },
  );

  it("a redirect loop stops after 10 hops with NRP_TOO_MANY_REDIRECTS", async () => {
    const server = await fx.hostileServer("redirect-loop");
    const { http } = fx.http(server);
    const error = await http.getJSON("/api/records").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "NRP_TOO_MANY_REDIRECTS" });
    expect(server.requests()).toBe(11);
  });
});

describe("downloads from a hostile server", () => {
  it("stops an endless body as soon as it passes the file's size and removes the partial file", async () => {
    const server = await fx.hostileServer("endless-file");
    const { http } = fx.http(server, { retryCount: 2 });
    const dir = await tempDir();
    const target = join(dir, "data.bin");
    const size = 200 * 1024;
    const error = await downloadFile(
      http,
      { key: "data.bin", url: `${server.url}/files/data.bin/content`, size, checksum: undefined },
      target,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect((error as ResponseTooLargeError).code).toBe("NRP_DOWNLOAD_TOO_LARGE");
    expect((error as ResponseTooLargeError).limit).toBe(size);
    expect((error as Error).message).toContain("more than the 204800 bytes announced");
    expect(server.bytesSent()).toBeLessThan(64 * 1024 * 1024);
    // Neither the target, nor the partial file, nor its state is left behind.
    expect(await readdir(dir)).toEqual([]);
    await expect(access(target)).rejects.toThrow();
    // Not retried: the same server would send the same endless body.
    expect(server.requests()).toBe(1);
  });

  it("stops a body longer than its own Content-Length says the file is", async () => {
    const server = await fx.hostileServer("oversized-file", { bodyBytes: 3 * 1024 * 1024 });
    const { http } = fx.http(server, { retryCount: 0 });
    const dir = await tempDir();
    const error = await downloadFile(
      http,
      {
        key: "small.bin",
        url: `${server.url}/files/small.bin/content`,
        size: 100_000,
        checksum: "md5:00000000000000000000000000000000",
      },
      join(dir, "small.bin"),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "NRP_DOWNLOAD_TOO_LARGE", limit: 100_000 });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe("broken framing from a hostile server", () => {
  it("1 MiB of response headers fails with a typed error, not a hang or crash", async () => {
    const server = await fx.hostileServer("huge-headers");
    const { http, events } = fx.http(server, { retryCount: 1, timeout: 5 });
    const started = Date.now();
    const error = await http.getJSON("/api/records").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect((error as APIConnectionError).code).toBe("NRP_CONNECTION");
    expect((error as Error).message).toContain("Headers Overflow");
    expect(Date.now() - started).toBeLessThan(4000);
    // The same server would send the same headers: not retried.
    expect(events).toEqual([]);
    expect(server.requests()).toBe(1);
  });

  it("a JSON body cut short of its Content-Length is a connection failure, retried", async () => {
    const server = await fx.hostileServer("truncated-json");
    const { http, events } = fx.http(server, { retryCount: 2 });
    const error = await http.getJSON("/api/records").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect((error as APIConnectionError).code).toBe("NRP_CONNECTION");
    expect(events).toHaveLength(2);
    expect(server.requests()).toBe(3);
  });

  it("a download cut short keeps the partial file for resume and is NRP_DOWNLOAD_INTERRUPTED", async () => {
    const size = 256 * 1024;
    const server = await fx.hostileServer("truncated-file", { bodyBytes: size });
    const { http } = fx.http(server, { retryCount: 0 });
    const dir = await tempDir();
    const target = join(dir, "data.bin");
    const error = await downloadFile(
      http,
      { key: "data.bin", url: `${server.url}/files/data.bin/content`, size, checksum: undefined },
      target,
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "NRP_DOWNLOAD_INTERRUPTED" });
    await expect(access(target)).rejects.toThrow();
    // The partial file (and its state) stay next to the target for the next attempt to resume.
    const left = await readdir(dir);
    expect(left.length).toBeGreaterThan(0);
    expect(left).not.toContain("data.bin");
    expect(server.ranges()).toEqual([undefined]);
    // The next attempt asks only for what is missing.
    const again = await downloadFile(
      http,
      { key: "data.bin", url: `${server.url}/files/data.bin/content`, size, checksum: undefined },
      target,
    ).catch((e: unknown) => e);
    expect(again).toMatchObject({ code: "NRP_DOWNLOAD_INTERRUPTED" });
    expect(server.ranges()).toEqual([undefined, `bytes=${String(size / 2)}-`]);
    await expect(access(target)).rejects.toThrow();
  });
});

describe("redirects across origins", () => {
  it("a redirect to another origin drops the token; one back to the configured origin sends it again", async () => {
    const home = await fx.hostileServer("html");
    const away = await fx.hostileServer("redirect-to", { location: `${home.url}/api/back` });
    const entry = await fx.hostileServer("redirect-to", { location: `${away.url}/storage` });
    // The client is configured with `entry`'s origin; `home` is a third origin.
    const { http } = fx.http(entry, { token: "secret-token", retryCount: 0 });
    await http.getJSON("/api/records").catch(() => undefined);
    expect(entry.authorizations()).toEqual(["Bearer secret-token"]);
    expect(away.authorizations()).toEqual([undefined]);
    expect(home.authorizations()).toEqual([undefined]);
  });

  it("a chain that returns to the configured origin sends the token there again", async () => {
    const away = await fx.hostileServer("redirect-to");
    const entry = await fx.hostileServer("html");
    const bounce = await fx.hostileServer("redirect-to", { location: `${entry.url}/api/back` });
    const { http } = fx.http(entry, { token: "secret-token", retryCount: 0 });
    await http.getJSON(`${bounce.url}/x`).catch(() => undefined);
    expect(bounce.authorizations()).toEqual([undefined]);
    expect(entry.authorizations()).toEqual(["Bearer secret-token"]);
    expect(away.requests()).toBe(0);
  });

  it.each(["file:///etc/passwd", "ftp://127.0.0.1/x", "data:text/plain,hi"])(
    "a redirect to %s is refused",
    async (location) => {
      const server = await fx.hostileServer("redirect-to", { location });
      const { http } = fx.http(server, { retryCount: 0 });
      const error = await http.getJSON("/api/records").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NRPError);
      expect((error as NRPError).code).toBe("NRP_INVALID_RESPONSE");
      expect((error as Error).message).toContain("not http");
      expect(server.requests()).toBe(1);
    },
  );
});

describe("downloads through a storage redirect (S3-backed repositories)", () => {
  /** A draft file on the devserver whose content answer is a 302 to `storage` (signed URL). */
  async function redirected(
    content: Buffer,
    storage: { url: string },
    clientOptions: Partial<NRPClientOptions> = {},
  ): Promise<{ server: DevServer; file: NRPFile; location: string }> {
    const server = await fx.devserver();
    const { client } = fx.client(server, { token: server.tokens.owner, ...clientOptions });
    const draft = await client.records.create("documents", { title: "S3" }, { filesEnabled: true });
    const files = await draft.loadFiles();
    const file = await files.create("s3.bin", {}, content);
    const location = `${storage.url}/bucket/ab/cd/s3.bin?X-Amz-Expires=60&X-Amz-Signature=f00d`;
    server.faults.add({
      method: "GET",
      path: `/api/documents/${draft.id}/draft/files/s3.bin/content`,
      status: 302,
      headers: { Location: location },
      times: 100,
    });
    return { server, file, location };
  }

  const md5 = (b: Buffer): string => createHash("md5").update(b).digest("hex");
  const content = randomBytes(300_000);

  it("downloads the whole file from the storage origin, verified, never sending the token there", async () => {
    const storage = await fx.storageServer(content);
    const { server, file } = await redirected(content, storage);
    const target = join(await tempDir(), "s3.bin");
    await file.download(target);
    const written = await readFile(target);
    expect(written.length).toBe(content.length);
    expect(md5(written)).toBe(md5(content));
    expect(storage.requests()).toEqual([{ status: 200 }]);
    // The repository saw the token and answered the redirect; the storage got no Authorization.
    const api = server.requestLog.filter(
      (e) => e.method === "GET" && e.path.endsWith("/s3.bin/content"),
    );
    expect(api.map((e) => [e.status, e.authorized])).toEqual([[302, true]]);
  });

  it("bytes from the storage that do not match the repository's checksum are refused", async () => {
    const other = Buffer.from(content);
    other[150_000] = (other[150_000] ?? 0) ^ 0xff;
    const storage = await fx.storageServer(other);
    const { file } = await redirected(content, storage);
    const dir = await tempDir();
    const error = await file.download(join(dir, "s3.bin")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(error).toMatchObject({ expected: `md5:${md5(content)}`, actual: `md5:${md5(other)}` });
    expect(await readdir(dir)).toEqual([]);
    expect(storage.requests().every((r) => r.authorization === undefined)).toBe(true);
  });

  it("a cut download resumes at the storage origin with Range and If-Range, without the token", async () => {
    const storage = await fx.storageServer(content, { cutFirstAt: 100_000 });
    const { file } = await redirected(content, storage, { retryCount: 0 });
    const dir = await tempDir();
    const target = join(dir, "s3.bin");
    const first = await file.download(target).catch((e: unknown) => e);
    expect(first).toMatchObject({ code: "NRP_DOWNLOAD_INTERRUPTED" });
    const kept = (await stat(join(dir, ".s3.bin.nrp-part"))).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(100_000);

    await file.download(target);
    expect(md5(await readFile(target))).toBe(md5(content));
    expect(storage.requests()).toEqual([
      { status: 200 },
      { range: `bytes=${String(kept)}-`, ifRange: '"storage-v1"', status: 206 },
    ]);
    expect(await readdir(dir)).toEqual(["s3.bin"]);
  });

  it("a storage host that ignores ranges: the retry starts over and the file is still whole", async () => {
    const storage = await fx.storageServer(content, { ranges: false, cutFirstAt: 100_000 });
    const { file } = await redirected(content, storage, { retryCount: 2 });
    const dir = await tempDir();
    const target = join(dir, "s3.bin");
    await file.download(target);
    expect(md5(await readFile(target))).toBe(md5(content));
    const requests = storage.requests();
    expect(requests).toHaveLength(2);
    expect(requests.every((r) => r.status === 200 && r.authorization === undefined)).toBe(true);
    expect(await readdir(dir)).toEqual(["s3.bin"]);
  });
});

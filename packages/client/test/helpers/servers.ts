import { createServer } from "node:http";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { connect, createServer as createTcpServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { startDevServer } from "nrp-invenio-devserver";
import type { DevServer, DevServerOptions } from "nrp-invenio-devserver";
import { NRPInvenioClient } from "nrp-invenio-client";
import type { NRPClientOptions, RetryEvent } from "nrp-invenio-client";
import { HttpClient } from "../../src/internal/http.js";

/** Tracks what a test starts so that `cleanup()` can stop it all. */
export class Fixtures {
  readonly #closers: (() => Promise<void>)[] = [];

  async devserver(options: DevServerOptions = {}): Promise<DevServer> {
    const server = await startDevServer(options);
    this.#closers.push(() => server.close());
    return server;
  }

  /** A client with fast retries, recording every retry event. */
  client(
    server: { url: string },
    options: Partial<NRPClientOptions> = {},
  ): { client: NRPInvenioClient; events: RetryEvent[] } {
    const events: RetryEvent[] = [];
    const client = new NRPInvenioClient({
      serverUrl: server.url,
      retryInterval: 0.01,
      retryCount: 5,
      onRetry: (e) => {
        events.push(e);
        options.onRetry?.(e);
      },
      ...withoutOnRetry(options),
    });
    this.#closers.push(() => client.close());
    return { client, events };
  }

  /** The transport on its own, for calls no resource makes yet (POST, PUT, DELETE). */
  http(
    server: { url: string },
    options: Partial<ConstructorParameters<typeof HttpClient>[0]> = {},
  ): { http: HttpClient; events: RetryEvent[] } {
    const events: RetryEvent[] = [];
    const http = new HttpClient({
      serverUrl: server.url,
      token: undefined,
      verify: true,
      retryCount: 5,
      retryInterval: 0.01,
      maxRetryAfter: 300,
      timeout: 10,
      deadline: 300,
      maxJsonSize: 64 * 1024 * 1024,
      userAgent: "test-agent",
      onRetry: (e) => events.push(e),
      ...options,
    });
    this.#closers.push(() => http.close());
    return { http, events };
  }

  /** A plain HTTP server on another port that records request headers and answers `handler`. */
  async plainServer(
    handler: (path: string) => { status: number; body: string; contentType?: string } = () => ({
      status: 200,
      body: JSON.stringify({ other: true }),
    }),
  ): Promise<{ url: string; requests: { path: string; headers: IncomingHttpHeaders }[] }> {
    const requests: { path: string; headers: IncomingHttpHeaders }[] = [];
    const server = createServer((req, res) => {
      const path = req.url ?? "/";
      requests.push({ path, headers: req.headers });
      const answer = handler(path);
      res.writeHead(answer.status, { "content-type": answer.contentType ?? "application/json" });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => {
            resolve();
          });
        }),
    );
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, requests };
  }

  /**
   * A TCP port forwarding every byte to `target`'s port: the server then sees the request's
   * `Host` name another port than its own and builds its links with its own address, as a
   * repository behind a proxy whose SITE_API_URL differs from the address a client uses.
   */
  async tcpProxy(target: { url: string }): Promise<{ url: string }> {
    const { hostname, port } = new URL(target.url);
    const sockets = new Set<Socket>();
    const proxy = createTcpServer((client) => {
      const upstream = connect(Number(port), hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    this.#closers.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          proxy.close(() => {
            resolve();
          });
        }),
    );
    return { url: `http://127.0.0.1:${String((proxy.address() as AddressInfo).port)}` };
  }

  /**
   * A slow link in front of a devserver started with `host: "127.0.0.2"`: a TCP proxy on
   * 127.0.0.1 with the server's port (so the server's links, built for that `Host`, lead back
   * through it) that caps every connection at `bytesPerSecond` in each direction.
   * `stats.busiest` is the most connections seen carrying bytes at once (sampled every 25 ms:
   * a connection counts while it delivered bytes within the last 100 ms, whichever way), which
   * the server's own log cannot tell: the kernel takes whole responses off its hands. Every
   * chunk arrives `latencyMs` after it went onto the link (a far link's one-way delay).
   */
  async slowLink(
    target: { url: string },
    bytesPerSecond: number,
    latencyMs = 0,
  ): Promise<{ url: string; stats: { busiest: number } }> {
    const { hostname, port } = new URL(target.url);
    const sockets = new Set<Socket>();
    const perMs = bytesPerSecond / 1000;
    const stats = { busiest: 0 };
    const lastDelivery = new Map<Socket, number>();
    // Each chunk leaves when the link has carried the ones before it; the sender waits meanwhile.
    const pace = (from: Socket, to: Socket, connection: Socket): void => {
      let freeAt = 0;
      const inFlight: { chunk: Buffer | null; due: number }[] = [];
      const deliverLater = (): void => {
        const head = inFlight[0];
        if (head === undefined) return;
        setTimeout(
          () => {
            while (inFlight[0] !== undefined && inFlight[0].due <= performance.now() + 1) {
              const next = inFlight.shift();
              if (next?.chunk === null) to.end();
              else if (next !== undefined && !to.destroyed) to.write(next.chunk);
              lastDelivery.set(connection, performance.now());
            }
            deliverLater();
          },
          Math.max(0, head.due - performance.now()),
        );
      };
      from.on("data", (chunk: Buffer) => {
        const now = performance.now();
        freeAt = Math.max(now, freeAt) + chunk.length / perMs;
        from.pause();
        // The link takes the next chunk once this one is on it; it arrives latencyMs later, in
        // order (one queue per direction, one timer at a time).
        setTimeout(() => {
          from.resume();
        }, freeAt - now);
        inFlight.push({ chunk, due: freeAt + latencyMs });
        if (inFlight.length === 1) deliverLater();
      });
      from.on("end", () => {
        inFlight.push({ chunk: null, due: Math.max(performance.now(), freeAt) + latencyMs });
        if (inFlight.length === 1) deliverLater();
      });
    };
    const sampler = setInterval(() => {
      const now = performance.now();
      let busy = 0;
      for (const at of lastDelivery.values()) if (now - at < 100) busy++;
      stats.busiest = Math.max(stats.busiest, busy);
    }, 25);
    const proxy = createTcpServer((client) => {
      const upstream = connect(Number(port), hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("close", () => {
          sockets.delete(s);
          lastDelivery.delete(client);
          client.destroy();
          upstream.destroy();
        });
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      pace(client, upstream, client);
      pace(upstream, client, client);
    });
    await new Promise<void>((resolve) => proxy.listen(Number(port), "127.0.0.1", resolve));
    this.#closers.push(
      () =>
        new Promise<void>((resolve) => {
          clearInterval(sampler);
          for (const s of sockets) s.destroy();
          proxy.close(() => {
            resolve();
          });
        }),
    );
    return { url: `http://127.0.0.1:${port}`, stats };
  }

  /**
   * A misbehaving HTTP server on a real socket, answering every request per `mode`:
   * - `endless-json`: 200 JSON whose body never ends (an array of strings, 64 KiB a write);
   * - `trickle-json`: 200 JSON sending one byte every `intervalMs`, forever;
   * - `endless-file`: 200 `application/octet-stream` bytes that never end (no Content-Length);
   * - `oversized-file`: 200 with `Content-Length: bodyBytes` and that many bytes;
   * - `html`: 200 `text/html` login page;
   * - `garbage-json`: 200 `application/json` that does not parse;
   * - `redirect-loop`: 302 to itself forever;
   * - `huge-headers`: 200 whose header block is 1 MiB (many long `x-pad-N` headers);
   * - `truncated-json`: 200 JSON announcing `Content-Length: 1000`, sending 20 bytes, then closing;
   * - `truncated-file`: 200 (or 206 for a `Range` request) announcing `bodyBytes` bytes with
   *   `Accept-Ranges: bytes` and a strong ETag, sending half of them, then closing;
   * - `redirect-to`: 302 to `settings.location`.
   * `authorizations()` and `ranges()` list each request's Authorization and Range headers.
   * `bytesSent()` tells how much it wrote, so a test can prove the client stopped early.
   */
  async hostileServer(
    mode:
      | "endless-json"
      | "trickle-json"
      | "endless-file"
      | "oversized-file"
      | "html"
      | "garbage-json"
      | "redirect-loop"
      | "huge-headers"
      | "truncated-json"
      | "truncated-file"
      | "redirect-to",
    settings: { intervalMs?: number; bodyBytes?: number; location?: string } = {},
  ): Promise<{
    url: string;
    bytesSent: () => number;
    requests: () => number;
    authorizations: () => (string | undefined)[];
    ranges: () => (string | undefined)[];
  }> {
    let sent = 0;
    let requests = 0;
    const authorizations: (string | undefined)[] = [];
    const ranges: (string | undefined)[] = [];
    const chunk = Buffer.alloc(64 * 1024, "x");
    const pump = (res: ServerResponse, first: string, forever: Buffer, limit = Infinity): void => {
      res.write(first);
      const more = (): void => {
        while (!res.destroyed && sent < limit) {
          const piece = forever.subarray(0, Math.min(forever.length, limit - sent));
          sent += piece.length;
          if (!res.write(piece)) {
            res.once("drain", more);
            return;
          }
        }
        if (!res.destroyed) res.end();
      };
      more();
    };
    const server = createServer((req, res) => {
      requests++;
      authorizations.push(req.headers.authorization);
      ranges.push(req.headers.range);
      req.resume();
      switch (mode) {
        case "endless-json":
          res.writeHead(200, { "content-type": "application/json" });
          pump(res, '["', chunk);
          return;
        case "trickle-json": {
          res.writeHead(200, { "content-type": "application/json" });
          res.write("[");
          const timer = setInterval(() => {
            sent++;
            res.write(" ");
          }, settings.intervalMs ?? 50);
          res.on("close", () => {
            clearInterval(timer);
          });
          return;
        }
        case "endless-file":
          res.writeHead(200, { "content-type": "application/octet-stream" });
          pump(res, "", chunk);
          return;
        case "oversized-file": {
          const total = settings.bodyBytes ?? 1024 * 1024;
          res.writeHead(200, {
            "content-type": "application/octet-stream",
            "content-length": String(total),
          });
          pump(res, "", chunk, total);
          return;
        }
        case "html":
          res.writeHead(200, { "content-type": "text/html" });
          res.end("<!doctype html><html><body><h1>Please log in</h1></body></html>");
          return;
        case "garbage-json":
          res.writeHead(200, { "content-type": "application/json" });
          res.end('{"hits": {"total": 3, "hits": [tru');
          return;
        case "redirect-loop":
          res.writeHead(302, { location: req.url ?? "/" });
          res.end();
          return;
        case "huge-headers": {
          const pad = "y".repeat(8 * 1024);
          const headers: Record<string, string> = { "content-type": "application/json" };
          for (let i = 0; i < 128; i++) headers[`x-pad-${String(i)}`] = pad;
          res.writeHead(200, headers);
          res.end("{}");
          return;
        }
        case "truncated-json":
          res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
          res.write('{"hits": {"total": 3, ');
          sent += 20;
          setTimeout(() => res.destroy(), 20);
          return;
        case "truncated-file": {
          const total = settings.bodyBytes ?? 256 * 1024;
          const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
          const start = range ? Number(range[1]) : 0;
          res.writeHead(range ? 206 : 200, {
            "content-type": "application/octet-stream",
            "content-length": String(total - start),
            "accept-ranges": "bytes",
            etag: '"v1"',
            ...(range
              ? { "content-range": `bytes ${String(start)}-${String(total - 1)}/${String(total)}` }
              : {}),
          });
          const half = Math.floor((total - start) / 2);
          sent += half;
          res.write(Buffer.alloc(half, "z"), () => {
            setTimeout(() => res.destroy(), 20);
          });
          return;
        }
        case "redirect-to":
          res.writeHead(302, { location: settings.location ?? "/" });
          res.end();
          return;
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => {
            resolve();
          });
        }),
    );
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${String(port)}`,
      bytesSent: () => sent,
      requests: () => requests,
      authorizations: () => [...authorizations],
      ranges: () => [...ranges],
    };
  }

  /**
   * An object store on its own origin serving `content` at any path, as the storage behind an
   * S3-backed Invenio: a strong ETag, and with `ranges` (the default) `Accept-Ranges: bytes` and
   * 206 answers to `Range: bytes=a-` / `bytes=a-b` (`If-Range` honoured); without, every request
   * gets the whole content with 200. `cutFirstAt` cuts the first response after that many body
   * bytes. `requests()` lists each request's Authorization, Range and If-Range headers.
   */
  async storageServer(
    content: Buffer,
    settings: { ranges?: boolean; cutFirstAt?: number } = {},
  ): Promise<{
    url: string;
    requests: () => { authorization?: string; range?: string; ifRange?: string; status: number }[];
  }> {
    const ranges = settings.ranges ?? true;
    const etag = '"storage-v1"';
    const seen: { authorization?: string; range?: string; ifRange?: string; status: number }[] = [];
    const server = createServer((req, res) => {
      req.resume();
      const { authorization, range } = req.headers;
      const ifRange = req.headers["if-range"] as string | undefined;
      let start = 0;
      let end = content.length - 1;
      const asked = /^bytes=(\d+)-(\d*)$/.exec(range ?? "");
      const partial = ranges && asked !== null && (ifRange === undefined || ifRange === etag);
      if (partial) {
        start = Number(asked[1]);
        if (asked[2] !== "") end = Math.min(end, Number(asked[2]));
      }
      const status = partial ? 206 : 200;
      seen.push({
        ...(authorization === undefined ? {} : { authorization }),
        ...(range === undefined ? {} : { range }),
        ...(ifRange === undefined ? {} : { ifRange }),
        status,
      });
      res.writeHead(status, {
        "content-type": "application/octet-stream",
        "content-length": String(end - start + 1),
        etag,
        ...(ranges ? { "accept-ranges": "bytes" } : {}),
        ...(partial
          ? { "content-range": `bytes ${String(start)}-${String(end)}/${String(content.length)}` }
          : {}),
      });
      const body = content.subarray(start, end + 1);
      const cut = seen.length === 1 ? settings.cutFirstAt : undefined;
      if (cut === undefined) {
        res.end(body);
        return;
      }
      res.write(body.subarray(0, cut), () => {
        res.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => {
            resolve();
          });
        }),
    );
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${String(port)}`, requests: () => [...seen] };
  }

  async cleanup(): Promise<void> {
    const closers = this.#closers.splice(0).reverse();
    for (const close of closers) await close();
  }
}

function withoutOnRetry(options: Partial<NRPClientOptions>): Partial<NRPClientOptions> {
  const { onRetry: _ignored, ...rest } = options;
  return rest;
}

/** Requests the devserver saw for one path (query ignored). */
export function hitsFor(server: DevServer, path: string, method = "GET"): number {
  return server.requestLog.filter((e) => e.method === method && e.path.split("?")[0] === path)
    .length;
}

import { createServer } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
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

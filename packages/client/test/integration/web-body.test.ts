// The browser's response body (`WebBody`, a reader loop over the fetch body) over real sockets:
// it yields every chunk, a body closed mid-read fails instead of ending short, and stopping the
// iteration early drops the connection.

import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createFetchTransport } from "../../src/internal/platform/web.js";
import type { ResponseBody } from "../../src/internal/transport.js";

const CHUNK = new Uint8Array(1000).fill(5);
let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A server sending `chunks` chunks 30 ms apart; resolves with when each response closed early. */
async function slowServer(chunks: number): Promise<{ url: URL; aborted: Promise<boolean> }> {
  let closed: (early: boolean) => void = () => undefined;
  const aborted = new Promise<boolean>((resolve) => (closed = resolve));
  server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    let sent = 0;
    const timer = setInterval(() => {
      if (sent === chunks) {
        clearInterval(timer);
        res.end();
        return;
      }
      sent++;
      res.write(CHUNK);
    }, 30);
    res.on("close", () => {
      clearInterval(timer);
      closed(!res.writableFinished);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/data`), aborted };
}

async function get(url: URL): Promise<ResponseBody> {
  const transport = createFetchTransport(
    { verify: true },
    { followRedirects: true, bufferBodies: true, runtime: "test" },
  );
  const res = await transport.request({
    url,
    method: "GET",
    headers: {},
    body: undefined,
    signal: new AbortController().signal,
    timeoutMs: 5000,
  });
  expect(res.statusCode).toBe(200);
  return res.body;
}

describe("WebBody", () => {
  it("yields every chunk of the body, then counts as destroyed", async () => {
    const { url, aborted } = await slowServer(4);
    const body = await get(url);
    let bytes = 0;
    for await (const chunk of body) bytes += chunk.byteLength;
    expect(bytes).toBe(4 * CHUNK.byteLength);
    expect(body.destroyed).toBe(true);
    expect(await aborted).toBe(false);
  });

  it("fails a read cut by destroy() instead of ending the body short", async () => {
    const { url } = await slowServer(10);
    const body = await get(url);
    const read = (async (): Promise<number> => {
      let bytes = 0;
      for await (const chunk of body) {
        bytes += chunk.byteLength;
        if (bytes === CHUNK.byteLength) {
          setTimeout(() => {
            body.destroy();
          }, 5);
        }
      }
      return bytes;
    })();
    await expect(read).rejects.toThrow(/closed before it ended/);
  });

  it("drops the connection when the reader stops early", async () => {
    const { url, aborted } = await slowServer(100);
    const body = await get(url);
    for await (const chunk of body) {
      expect(chunk.byteLength).toBeGreaterThan(0);
      break;
    }
    expect(body.destroyed).toBe(true);
    expect(await aborted).toBe(true);
  });
});

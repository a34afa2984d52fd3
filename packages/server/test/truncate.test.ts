import { createServer, get, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, test } from "vitest";
import { truncateResponse } from "../src/faults.js";

/** Serves `write` through `truncateResponse(limit)` and reports what a client received. */
async function receive(
  limit: number,
  write: (res: import("node:http").ServerResponse) => void,
): Promise<{ body: string; error: string; cut: boolean }> {
  let cut = false;
  const server: Server = createServer((_req, res) => {
    truncateResponse(res, limit, () => {
      cut = true;
    });
    write(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const received = await new Promise<{ body: string; error: string }>((resolve) => {
      get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("error", (error) => {
          resolve({ body, error: error.message });
        });
        res.on("end", () => {
          resolve({ body, error: "" });
        });
      }).on("error", (error) => {
        resolve({ body: "", error: error.message });
      });
    });
    return { ...received, cut };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("truncateResponse", () => {
  test("cuts a streamed (chunked) body across several writes", async () => {
    const r = await receive(7, (res) => {
      res.write("abcd");
      res.write("efgh");
      res.write("ijkl");
      res.end();
    });
    expect(r).toEqual({ body: "abcdefg", error: "aborted", cut: true });
  });

  test("cuts inside end(chunk) with a Content-Length", async () => {
    const r = await receive(3, (res) => {
      res.writeHead(200, { "Content-Length": "10" });
      res.end(Buffer.from("0123456789"));
    });
    expect(r).toEqual({ body: "012", error: "aborted", cut: true });
  });

  test("a body no longer than the limit completes normally", async () => {
    const r = await receive(100, (res) => {
      res.write("short", "utf8");
      res.end(" body");
    });
    expect(r).toEqual({ body: "short body", error: "", cut: false });
  });
});

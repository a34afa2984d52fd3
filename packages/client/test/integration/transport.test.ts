import { afterEach, describe, expect, it } from "vitest";
import { NRPError } from "nrp-invenio-client";
import { Fixtures, hitsFor } from "../helpers/servers.js";

const fx = new Fixtures();
afterEach(() => fx.cleanup());

describe("JSON helpers", () => {
  it("a 204 gives no body", async () => {
    const server = await fx.devserver();
    const { http } = fx.http(server);
    server.faults.add({ method: "DELETE", path: "/api/thing", status: 204 });
    const res = await http.delete("/api/thing");
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
  });

  it("returns parsed body, headers, status and final URL", async () => {
    const server = await fx.devserver();
    const { http } = fx.http(server);
    const res = await http.getJSON<{ invenio_version: string }>("/.well-known/repository");
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${server.url}/.well-known/repository/`);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    expect(res.body.invenio_version).toBeTruthy();
  });

  it("non-JSON success bodies are a typed error, not retried", async () => {
    const server = await fx.devserver();
    const { http, events } = fx.http(server);
    server.faults.add({ method: "GET", path: "/api/html", status: 200, body: "<html>hi</html>" });
    const error = await http.getJSON("/api/html").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NRPError);
    expect((error as NRPError).code).toBe("NRP_INVALID_JSON");
    expect(events).toHaveLength(0);
    expect(hitsFor(server, "/api/html")).toBe(1);
  });

  it("sends JSON with a content type and query parameters", async () => {
    const server = await fx.devserver();
    const { http } = fx.http(server);
    server.faults.add({ method: "PUT", path: "/api/echo", status: 200, body: { ok: true } });
    const res = await http.putJSON<{ ok: boolean }>(
      "/api/echo",
      { a: 1 },
      { query: { q: "x y", size: 5, sort: ["a", "b"], skip: undefined } },
    );
    expect(res.body).toEqual({ ok: true });
    const entry = server.requestLog.find((e) => e.path.startsWith("/api/echo"))!;
    expect(entry.path).toBe("/api/echo?q=x+y&size=5&sort=a&sort=b");
    expect(entry.headers["content-type"]).toBe("application/json");
  });

  it("streams a response body", async () => {
    const server = await fx.devserver();
    const { http } = fx.http(server);
    const res = await http.stream({ method: "GET", url: "/.well-known/repository/models" });
    let size = 0;
    for await (const chunk of res.body) size += (chunk as Buffer).length;
    expect(size).toBeGreaterThan(0);
  });

  it("close() aborts and later calls fail as aborted", async () => {
    const server = await fx.devserver();
    const { http } = fx.http(server);
    server.faults.add({ method: "GET", path: "/api/slow", delayMs: 2000 });
    const pending = http.getJSON("/api/slow").catch((e: unknown) => e);
    await expect
      .poll(() => hitsFor(server, "/api/slow") > 0, {
        message: "the slow request to arrive",
        interval: 10,
        timeout: 10_000,
      })
      .toBe(true);
    await http.close();
    expect(((await pending) as NRPError).code).toBe("NRP_ABORTED");
    const later = await http.getJSON("/.well-known/repository").catch((e: unknown) => e);
    expect((later as NRPError).code).toBe("NRP_ABORTED");
    expect(hitsFor(server, "/.well-known/repository")).toBe(0);
  });

  it("a client closed before its first call sends nothing", async () => {
    const server = await fx.devserver();
    const { http } = fx.http(server);
    await http.close();
    const error = await http.getJSON("/.well-known/repository").catch((e: unknown) => e);
    expect((error as NRPError).code).toBe("NRP_ABORTED");
    expect(hitsFor(server, "/.well-known/repository")).toBe(0);
    // The same call from an open client is logged, so the zero above is not vacuous.
    await fx.http(server).http.getJSON("/.well-known/repository");
    expect(hitsFor(server, "/.well-known/repository")).toBe(1);
  });
});

describe("resolve", () => {
  it.each([
    ["api/records", "http://h:1/base/api/records"],
    ["/api/records", "http://h:1/api/records"],
    ["https://other/x?y=1", "https://other/x?y=1"],
  ])("%s → %s", (input, expected) => {
    const { http } = fx.http({ url: "http://h:1/base" });
    expect(http.resolve(input)).toBe(expected);
  });
});

import { request } from "node:http";
import { describe, expect, test } from "vitest";
import {
  FaultRuleError,
  Faults,
  globToRegExp,
  parseFaultRule,
  startDevServer,
} from "nrp-invenio-devserver";
import { call, send, useServer } from "./helpers.js";

describe("fault rules (unit)", () => {
  test.each([
    ["/api/*", "/api/datasets", true],
    ["/api/*", "/api/datasets/x", false],
    ["/api/**", "/api/datasets/x/draft", true],
    ["/api/*/draft", "/api/abc/draft", true],
    ["/api/datasets/?", "/api/datasets/a", true],
    ["/api/a.b", "/api/aXb", false],
    ["/.well-known/repository/", "/.well-known/repository/", true],
  ])("glob %s on %s is %s", (glob, path, expected) => {
    expect(globToRegExp(glob).test(path)).toBe(expected);
  });

  test("a rule is used up after `times` matching requests, then disappears", () => {
    const faults = new Faults();
    const id = faults.add({ method: "get", path: "/x", status: 503, times: 2 });
    expect(faults.draw("POST", "/x")).toBeUndefined();
    expect(faults.draw("GET", "/y")).toBeUndefined();
    expect(faults.draw("GET", "/x")?.id).toBe(id);
    expect(faults.list()).toMatchObject([{ id, remaining: 1, hits: 1, method: "GET" }]);
    expect(faults.draw("GET", "/x")?.id).toBe(id);
    expect(faults.list()).toEqual([]);
    expect(faults.draw("GET", "/x")).toBeUndefined();
  });

  test("rules match in order; remove and clear work; pathRegex is an alternative", () => {
    const faults = new Faults();
    const a = faults.add({ pathRegex: "^/a/\\d+$", status: 500 });
    const b = faults.add({ path: "/a/**", status: 502 });
    expect(faults.draw("GET", "/a/1")?.id).toBe(a);
    expect(faults.draw("GET", "/a/1")?.id).toBe(b);
    faults.add({ path: "/c" });
    faults.remove("unknown");
    expect(faults.list()).toHaveLength(1);
    faults.clear();
    expect(faults.list()).toHaveLength(0);
  });

  test("invalid rules are refused with field messages", () => {
    expect(() => parseFaultRule({ status: 99, times: 0, colour: "red" })).toThrow(FaultRuleError);
    try {
      parseFaultRule({
        path: "/x",
        status: 99,
        times: 0,
        colour: "red",
        delayMs: -1,
        hold: "yes",
      });
    } catch (error) {
      expect((error as FaultRuleError).errors.map((e) => e.field)).toEqual([
        "colour",
        "times",
        "status",
        "delayMs",
        "hold",
      ]);
    }
    expect(() => parseFaultRule({ status: 503 })).toThrow(/exactly one of 'path' and 'pathRegex'/);
    expect(() => new Faults().add({ path: "/x", pathRegex: "x" })).toThrow(FaultRuleError);
  });
});

describe("fault injection over real sockets", () => {
  const server = useServer();
  const info = (): string => `${server().url}/.well-known/repository/`;

  test("status + Retry-After answers N times, then the real handler answers", async () => {
    const { faults } = server();
    faults.add({
      method: "GET",
      path: "/.well-known/repository/",
      status: 503,
      headers: { "Retry-After": "1" },
      times: 2,
    });
    for (let i = 0; i < 2; i++) {
      const res = await call(info());
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(res.body).toEqual({ status: 503, message: "Service temporarily unavailable." });
    }
    expect((await call(info())).status).toBe(200);
    expect(faults.list()).toEqual([]);
  });

  test("429 has its own message; a custom body and Location work", async () => {
    const { faults, url } = server();
    faults.add({ path: "/api/search/", status: 429, headers: { "Retry-After": "2" } });
    const limited = await call(`${url}/api/search/`);
    expect(limited.body).toEqual({ status: 429, message: "Too many requests." });
    faults.add({
      path: "/api/search/",
      status: 429,
      body: "<html>slow down</html>",
      headers: { "Content-Type": "text/html" },
    });
    const html = await call(`${url}/api/search/`);
    expect(html.text).toBe("<html>slow down</html>");
    expect(html.headers.get("content-type")).toBe("text/html");
    faults.add({ path: "/", status: 302, headers: { Location: `${url}/api/search/` } });
    const moved = await call(`${url}/`);
    expect(moved.status).toBe(302);
    expect(moved.headers.get("location")).toBe(`${url}/api/search/`);
  });

  test("delayMs delays, then handles normally", async () => {
    server().faults.add({ path: "/.well-known/**", delayMs: 300 });
    const started = performance.now();
    const res = await call(info());
    expect(performance.now() - started).toBeGreaterThanOrEqual(280);
    expect(res.status).toBe(200);
    expect(res.body.invenio_version).toBe("12.0.9");
  });

  test("dropAfterBytes sends the headers and K body bytes, then cuts the socket", async () => {
    const { faults, requestLog } = server();
    const full = await (await fetch(info())).text();
    faults.add({ path: "/.well-known/repository/", dropAfterBytes: 10 });
    const received = await new Promise<{
      status: number;
      length: string;
      body: string;
      error: string;
    }>((resolve) => {
      const req = request(info(), { agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("error", (error) => {
          resolve({
            status: res.statusCode ?? 0,
            length: res.headers["content-length"] ?? "",
            body,
            error: error.message,
          });
        });
        res.on("end", () => {
          resolve({
            status: res.statusCode ?? 0,
            length: res.headers["content-length"] ?? "",
            body,
            error: "",
          });
        });
      });
      req.end();
    });
    expect(received.status).toBe(200);
    expect(Number(received.length)).toBe(Buffer.byteLength(full));
    expect(received.body).toBe(full.slice(0, 10));
    expect(received.error).toBe("aborted");
    const entry = requestLog.at(-1);
    expect(entry?.dropped).toBe(true);
  });

  test("fetch sees a truncated body as an error", async () => {
    server().faults.add({ path: "/.well-known/repository/models", dropAfterBytes: 100 });
    const res = await fetch(`${server().url}/.well-known/repository/models`);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  test("dropAfterBytes 0 without status resets the connection before any response", async () => {
    const { faults, requestLog } = server();
    faults.add({ path: "/.well-known/repository/", dropAfterBytes: 0 });
    const error = await fetch(info()).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error?.cause?.code).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
    await expect
      .poll(() => (requestLog.at(-1)?.durationMs ?? null) !== null, {
        message: "the dropped request to close",
        interval: 10,
        timeout: 10_000,
      })
      .toBe(true);
    expect(requestLog.at(-1)).toMatchObject({ status: 0, dropped: true });
    expect((await call(info())).status).toBe(200);
  });

  test("status with dropAfterBytes 0 sends only the status line and headers", async () => {
    server().faults.add({ path: "/.well-known/repository/", status: 500, dropAfterBytes: 0 });
    const res = await fetch(info());
    expect(res.status).toBe(500);
    await expect(res.text()).rejects.toThrow();
  });

  test("close() does not wait for a delayed request", async () => {
    const other = await startDevServer();
    other.faults.add({ path: "/", delayMs: 10_000 });
    const pending = fetch(`${other.url}/`).then(
      () => "answered",
      () => "failed",
    );
    await expect
      .poll(() => other.requestLog.length > 0, {
        message: "the delayed request to arrive",
        interval: 10,
        timeout: 10_000,
      })
      .toBe(true);
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toBe("failed");
  });

  test("hold keeps the request until release, then handles it; held() counts it", async () => {
    const { faults, requestLog } = server();
    const id = faults.add({ method: "GET", path: "/.well-known/repository/", hold: true });
    let answered = false;
    const pending = call(info()).then((res) => {
      answered = true;
      return res;
    });
    await expect
      .poll(() => faults.held(id), { message: "the request to be held", interval: 5 })
      .toBe(1);
    // The rule is used up (times 1) but the request it holds stays held; others pass.
    expect(faults.list()).toEqual([]);
    expect((await call(info())).status).toBe(200);
    expect(answered).toBe(false);
    faults.release(id);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body.invenio_version).toBe("12.0.9");
    expect(faults.held(id)).toBe(0);
    expect(requestLog.filter((e) => e.fault === id)).toHaveLength(1);
  });

  test("hold with status answers the status on release; remove releases too", async () => {
    const { faults } = server();
    const id = faults.add({ path: "/.well-known/repository/", hold: true, status: 503, times: 2 });
    const first = call(info());
    await expect.poll(() => faults.held(id), { interval: 5 }).toBe(1);
    faults.release(id);
    expect((await first).status).toBe(503);
    // Released: the rule's next match is not held, but still answers its status.
    expect((await call(info())).status).toBe(503);

    const other = faults.add({ path: "/.well-known/repository/", hold: true });
    const second = call(info());
    await expect.poll(() => faults.held(other), { interval: 5 }).toBe(1);
    faults.remove(other);
    expect((await second).status).toBe(200);
  });

  test("a held request whose client goes away is no longer held", async () => {
    const { faults } = server();
    const id = faults.add({ path: "/.well-known/repository/", hold: true });
    const abort = new AbortController();
    const pending = fetch(info(), { signal: abort.signal }).catch(() => "aborted");
    await expect.poll(() => faults.held(id), { interval: 5 }).toBe(1);
    abort.abort();
    expect(await pending).toBe("aborted");
    await expect.poll(() => faults.held(id), { interval: 5 }).toBe(0);
  });

  test("faults never turn on by themselves", async () => {
    for (let i = 0; i < 20; i++) expect((await call(info())).status).toBe(200);
  });
});

describe("admin API and request log", () => {
  const server = useServer();

  test("needs the admin token: anonymous and other users get 403", async () => {
    const { url, tokens } = server();
    for (const token of [undefined, "bogus", tokens.owner, tokens.curator]) {
      const init = token === undefined ? {} : { token };
      const res = await call(`${url}/_devserver/faults`, init);
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ status: 403, message: "Permission denied." });
      expect((await call(`${url}/_devserver/requests-log`, init)).status).toBe(403);
    }
  });

  test("POST adds a rule (201 {id}), GET lists it, DELETE removes it", async () => {
    const { url, tokens, faults } = server();
    const admin = { token: tokens.admin };
    const created = await call(`${url}/_devserver/faults`, {
      ...admin,
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ method: "GET", path: "/api/**", status: 503, times: 3 }),
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(faults.list()[0]?.id).toBe(id);
    const listed = await call(`${url}/_devserver/faults`, admin);
    expect(listed.body).toEqual([
      { method: "GET", path: "/api/**", status: 503, times: 3, id, remaining: 3, hits: 0 },
    ]);
    expect(
      (await call(`${url}/_devserver/faults/${id}`, { ...admin, method: "DELETE" })).status,
    ).toBe(204);
    expect(
      (await call(`${url}/_devserver/faults/${id}`, { ...admin, method: "DELETE" })).status,
    ).toBe(404);
    faults.add({ path: "/x" });
    expect((await call(`${url}/_devserver/faults`, { ...admin, method: "DELETE" })).status).toBe(
      204,
    );
    expect(faults.list()).toEqual([]);
  });

  test("a hold rule is watched and released over HTTP", async () => {
    const { url, tokens } = server();
    const admin = { token: tokens.admin };
    const added = await send("POST", `${url}/_devserver/faults`, {
      ...admin,
      body: { method: "GET", path: "/.well-known/repository/", hold: true },
    });
    expect(added.status).toBe(201);
    const id = (added.body as { id: string }).id;
    const held = async (): Promise<unknown> =>
      (await call(`${url}/_devserver/faults/${id}/held`, admin)).body;
    const pending = call(`${url}/.well-known/repository/`);
    await expect.poll(held, { interval: 5 }).toEqual({ held: 1 });
    const released = await call(`${url}/_devserver/faults/${id}/release`, {
      ...admin,
      method: "POST",
    });
    expect(released.status).toBe(204);
    expect((await pending).status).toBe(200);
    expect(await held()).toEqual({ held: 0 });
    expect((await call(`${url}/_devserver/faults/${id}/release`, { method: "POST" })).status).toBe(
      403,
    );
  });

  test("an invalid rule is a 400 validation error", async () => {
    const { url, tokens } = server();
    const res = await call(`${url}/_devserver/faults`, {
      token: tokens.admin,
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ path: "/x", status: "503" }),
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      status: 400,
      message: "A validation error occurred.",
      errors: [{ field: "status", messages: ["Must be an HTTP status between 200 and 599."] }],
    });
  });

  test("admin paths are never faulted and never logged", async () => {
    const { url, tokens, faults, requestLog } = server();
    faults.add({ path: "/**", status: 500, times: 100 });
    const before = requestLog.length;
    expect((await call(`${url}/_devserver/faults`, { token: tokens.admin })).status).toBe(200);
    expect(requestLog.length).toBe(before);
    faults.clear();
  });

  test("the log never records an access_token in the query, cookies or proxy credentials", async () => {
    const { url, tokens, requestLog } = server();
    requestLog.length = 0;
    const secret = tokens.owner;
    await call(
      `${url}/api/user/search/?q=x&access_token=${secret}&ACCESS_TOKEN=${secret}` +
        `&access%5Ftoken=${secret}&page=2`,
      {
        headers: {
          Cookie: `session=${secret}; csrftoken=c00k1e`,
          "Proxy-Authorization": `Basic ${Buffer.from(`proxyuser:${secret}`).toString("base64")}`,
        },
      },
    );
    const log = await call(`${url}/_devserver/requests-log`, { token: tokens.admin });
    expect(log.body).toHaveLength(1);
    const [entry] = log.body;
    expect(entry.path).toBe(
      "/api/user/search/?q=x&access_token=REDACTED&ACCESS_TOKEN=REDACTED" +
        "&access%5Ftoken=REDACTED&page=2",
    );
    expect(entry.headers.cookie).toBe("REDACTED");
    expect(entry.headers["proxy-authorization"]).toBe("REDACTED");
    const text = JSON.stringify([log.body, requestLog]);
    expect(text).not.toContain(secret);
    expect(text).not.toContain("c00k1e");
    expect(text).not.toContain(Buffer.from(`proxyuser:${secret}`).toString("base64"));
  });

  test("the log records method, path, auth, user agent, header order and status, never the token", async () => {
    const { url, tokens, requestLog } = server();
    requestLog.length = 0;
    await call(`${url}/api/user/search/?q=x`, {
      token: tokens.owner,
      headers: { "User-Agent": "probe/1.0", "X-First": "1" },
    });
    await call(`${url}/api/user/search/`, { token: "wrong" });
    await call(`${url}/nope`);
    const log = await call(`${url}/_devserver/requests-log`, { token: tokens.admin });
    expect(log.status).toBe(200);
    expect(log.body).toHaveLength(3);
    const [first, second, third] = log.body;
    expect(first).toMatchObject({
      method: "GET",
      path: "/api/user/search/?q=x",
      authorization: true,
      authorized: true,
      user: "owner",
      userAgent: "probe/1.0",
      status: 200,
      fault: null,
      dropped: false,
    });
    expect(first.headerNames.map((h: string) => h.toLowerCase())).toEqual(
      expect.arrayContaining(["authorization", "user-agent", "x-first", "host"]),
    );
    expect(first.headers).not.toHaveProperty("authorization");
    expect(JSON.stringify(log.body)).not.toContain(tokens.owner);
    expect(second).toMatchObject({
      authorization: true,
      authorized: false,
      user: null,
      status: 403,
    });
    expect(third).toMatchObject({ authorization: false, authorized: false, status: 404 });
    const since = await call(`${url}/_devserver/requests-log?since=${first.seq}`, {
      token: tokens.admin,
    });
    expect(since.body).toHaveLength(2);
    expect(
      (await call(`${url}/_devserver/requests-log`, { token: tokens.admin, method: "DELETE" }))
        .status,
    ).toBe(204);
    expect(requestLog).toHaveLength(0);
  });
});

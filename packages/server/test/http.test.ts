import { describe, expect, test } from "vitest";
import { call, useServer } from "./helpers.js";

const NOT_FOUND =
  "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.";

describe("HTTP core errors (docs/protocol/conventions.md#error-bodies, docs/protocol/conventions.md#status-codes)", () => {
  const server = useServer();

  test("an unknown route is Werkzeug's 404 as JSON", async () => {
    const res = await call(`${server().url}/api/nothing/here`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.body).toEqual({ status: 404, message: NOT_FOUND });
  });

  test("a wrong method is 405 with Allow", async () => {
    const res = await call(`${server().url}/.well-known/repository/`, { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect(res.body).toEqual({
      status: 405,
      message: "The method is not allowed for the requested URL.",
    });
  });

  test("OPTIONS reports the allowed methods", async () => {
    const res = await call(`${server().url}/api/search/`, { method: "OPTIONS" });
    expect(res.status).toBe(200);
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST");
  });

  test("HEAD is answered like GET, without a body", async () => {
    const res = await call(`${server().url}/.well-known/repository/`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    expect(Number(res.headers.get("content-length"))).toBeGreaterThan(0);
  });

  test("malformed JSON is 400", async () => {
    const res = await call(`${server().url}/api/search/`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"query": ',
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      status: 400,
      message: "Unable to decode JSON data in request body.",
    });
  });

  test("a non-JSON Content-Type on a JSON endpoint is 415", async () => {
    const res = await call(`${server().url}/api/search/`, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: "hello",
    });
    expect(res.status).toBe(415);
    expect(res.body).toEqual({
      status: 415,
      message: "Invalid 'Content-Type' header. Expected one of: application/json",
    });
  });

  test("JSON with a charset parameter, or no Content-Type, is accepted", async () => {
    const url = `${server().url}/api/search/`;
    const withCharset = await call(url, {
      method: "POST",
      headers: { "Content-Type": "application/json; charset=utf-8" },
      body: "{}",
    });
    expect(withCharset.status).toBe(200);
    const bare = await call(url, { method: "POST", body: new Uint8Array(Buffer.from("{}")) });
    expect(bare.status).toBe(200);
  });

  test("an unacceptable Accept is 406; wildcards and q-values are understood", async () => {
    const url = `${server().url}/api/search/`;
    const res = await call(url, { headers: { Accept: "application/xml" } });
    expect(res.status).toBe(406);
    expect(res.body).toEqual({
      status: 406,
      message:
        "Invalid 'Accept' header. Expected one of: application/json, application/vnd.inveniordm.v1+json",
    });
    expect((await call(url, { headers: { Accept: "text/html, */*;q=0.1" } })).status).toBe(200);
    const ui = await call(url, { headers: { Accept: "application/vnd.inveniordm.v1+json" } });
    expect(ui.headers.get("content-type")).toBe("application/vnd.inveniordm.v1+json");
    const refused = await call(`${server().url}/.well-known/repository/`, {
      headers: { Accept: "application/json;q=0, text/html" },
    });
    expect(refused.status).toBe(406);
  });

  test("collections answer their slash-less form with a 308 that keeps the query", async () => {
    const { url } = server();
    for (const path of ["/api/search", "/api/user/search", "/api/datasets", "/api/user/datasets"]) {
      const res = await call(`${url}${path}?q=a%20b&size=5`);
      expect(res.status, path).toBe(308);
      expect(res.headers.get("location")).toBe(`${url}${path}/?q=a%20b&size=5`);
    }
  });

  test("search validates page, size and sort like Invenio", async () => {
    const { url } = server();
    const bad = await call(`${url}/api/search/?page=0&size=abc&sort=random`);
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      status: 400,
      message: "A validation error occurred.",
      errors: [
        { field: "page", messages: ["Must be greater than or equal to 1."] },
        { field: "size", messages: ["Not a valid integer."] },
        { field: "_schema", messages: ["Invalid sort option 'random'."] },
      ],
    });
    const window = await call(`${url}/api/search/?page=101&size=100`);
    expect(window.body).toEqual({ status: 400, message: "Invalid querystring parameters." });
    const query = await call(`${url}/api/datasets/?q=title:x&page=2&size=10`);
    expect(query.body.sortBy).toBe("bestmatch");
    expect(query.body.links).toEqual({
      self: `${url}/api/datasets/?page=2&q=title%3Ax&size=10&sort=bestmatch`,
      self_html: `${url}/datasets/?page=2&q=title%3Ax&size=10&sort=bestmatch`,
      prev: `${url}/api/datasets/?page=1&q=title%3Ax&size=10&sort=bestmatch`,
      prev_html: `${url}/datasets/?page=1&q=title%3Ax&size=10&sort=bestmatch`,
    });
  });
});

describe("authentication (docs/protocol/conventions.md#authentication)", () => {
  const server = useServer();

  test("anonymous callers get 403 on personal collections, never 401", async () => {
    const res = await call(`${server().url}/api/user/search/`);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ status: 403, message: "Permission denied." });
  });

  test("an invalid token is anonymous", async () => {
    const { url } = server();
    expect((await call(`${url}/api/user/search/`, { token: "not-a-token" })).status).toBe(403);
    expect((await call(`${url}/.well-known/repository/`, { token: "not-a-token" })).status).toBe(
      200,
    );
  });

  test("every seeded user's token works, and tokens differ", async () => {
    const { url, tokens, users } = server();
    const all = [tokens.owner, tokens.depositor, tokens.curator, tokens.admin];
    expect(new Set(all).size).toBe(4);
    for (const token of all) {
      expect((await call(`${url}/api/user/datasets/`, { token })).status).toBe(200);
    }
    expect(users.map((u) => u.username)).toEqual(["owner", "depositor", "curator", "admin"]);
    expect(users[0]?.email).toBe("owner@example.org");
  });

  test("the scheme is case-insensitive", async () => {
    const res = await call(`${server().url}/api/user/search/`, {
      headers: { Authorization: `bearer ${server().tokens.curator}` },
    });
    expect(res.status).toBe(200);
  });
});

describe("close()", () => {
  test("destroys idle keep-alive connections so it resolves promptly", async () => {
    const { startDevServer } = await import("nrp-invenio-devserver");
    const server = await startDevServer();
    await fetch(`${server.url}/`).then((r) => r.text());
    const started = Date.now();
    await server.close();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(fetch(`${server.url}/`)).rejects.toThrow();
  });
});

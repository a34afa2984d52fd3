import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  InternalServerError,
  NotFoundError,
  BadRequestError,
  RateLimitError,
} from "nrp-invenio-client";
import { Fixtures, hitsFor } from "../helpers/servers.js";

const fx = new Fixtures();
afterEach(() => fx.cleanup());

const MODELS = "/.well-known/repository/models";

describe("retries driven by devserver faults", () => {
  it("3× 503 with Retry-After: 0, then success", async () => {
    const server = await fx.devserver();
    server.faults.add({
      method: "GET",
      path: MODELS,
      status: 503,
      times: 3,
      headers: { "Retry-After": "0" },
    });
    const { client, events } = fx.client(server);
    const models = await client.info.models();
    expect(models.length).toBeGreaterThan(0);
    expect(hitsFor(server, MODELS)).toBe(4);
    expect(events.map((e) => [e.attempt, e.delayMs, e.status, e.method])).toEqual([
      [1, 0, 503, "GET"],
      [2, 0, 503, "GET"],
      [3, 0, 503, "GET"],
    ]);
    expect(events[0]!.url).toBe(`${server.url}${MODELS}`);
  });

  it("honours Retry-After: 1 exactly", async () => {
    const server = await fx.devserver();
    server.faults.add({
      method: "GET",
      path: MODELS,
      status: 503,
      headers: { "Retry-After": "1" },
    });
    const { client, events } = fx.client(server);
    const started = Date.now();
    await client.info.models();
    expect(events.map((e) => e.delayMs)).toEqual([1000]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(hitsFor(server, MODELS)).toBe(2);
  });

  it("429 with an HTTP-date Retry-After", async () => {
    const server = await fx.devserver();
    const when = new Date(Date.now() + 1500).toUTCString();
    server.faults.add({
      method: "GET",
      path: MODELS,
      status: 429,
      headers: { "Retry-After": when },
    });
    const { client, events } = fx.client(server);
    await client.info.models();
    expect(events).toHaveLength(1);
    expect(events[0]!.status).toBe(429);
    // Second resolution of the date: the wait lies within the last second before it.
    expect(events[0]!.delayMs).toBeGreaterThan(0);
    expect(events[0]!.delayMs).toBeLessThanOrEqual(1500);
    expect(hitsFor(server, MODELS)).toBe(2);
  });

  it("backs off exponentially without Retry-After", async () => {
    const server = await fx.devserver();
    server.faults.add({ method: "GET", path: MODELS, status: 502, times: 3 });
    const { client, events } = fx.client(server, { retryInterval: 0.02 });
    await client.info.models();
    const delays = events.map((e) => e.delayMs);
    expect(delays).toHaveLength(3);
    delays.forEach((d, i) => {
      const nominal = 20 * 2 ** i;
      expect(d).toBeGreaterThanOrEqual(Math.floor(nominal * 0.75));
      expect(d).toBeLessThanOrEqual(nominal);
    });
  });

  it("POST is not retried on 503 unless marked safe, and never to a collection URL", async () => {
    const server = await fx.devserver();
    const { http, events } = fx.http(server);
    server.faults.add({ method: "POST", path: "/api/nowhere", status: 503, times: 5 });
    const error = await http.postJSON("/api/nowhere", { a: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).status).toBe(503);
    expect(hitsFor(server, "/api/nowhere", "POST")).toBe(1);
    expect(events).toHaveLength(0);

    // A collection (here one that creates records on plain InvenioRDM) is never repeated, even
    // when the call site says it is safe.
    server.faults.clear();
    server.faults.add({ method: "POST", path: "/api/records", status: 503, times: 5 });
    const create = await http
      .postJSON("/api/records", { a: 1 }, { retrySafe: true })
      .catch((e: unknown) => e);
    expect((create as { status?: number }).status).toBe(503);
    expect(hitsFor(server, "/api/records", "POST")).toBe(1);
    expect(events).toHaveLength(0);

    // An action on one resource marked safe is repeated.
    const action = "/api/nowhere/x/actions/do";
    server.faults.clear();
    server.faults.add({ method: "POST", path: action, status: 503, times: 2 });
    const second = await http
      .postJSON(action, { a: 1 }, { retrySafe: true })
      .catch((e: unknown) => e);
    expect(hitsFor(server, action, "POST")).toBe(3);
    expect(events).toHaveLength(2);
    // After the faults the real server answers (the route does not exist).
    expect((second as { status?: number }).status).not.toBe(503);
  });

  it("a POST action marked safe is not repeated after a 500, which Invenio answers the same every time", async () => {
    const server = await fx.devserver();
    const { http, events } = fx.http(server);
    const commit = "/api/x/y/draft/files/a.txt/commit";
    server.faults.add({ method: "POST", path: commit, status: 500, times: 5 });
    const error = await http.postJSON(commit, {}, { retrySafe: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).status).toBe(500);
    expect(hitsFor(server, commit, "POST")).toBe(1);
    expect(events).toHaveLength(0);
    // 502, 503 and 504 still are: a gateway or an overloaded server gets better.
    server.faults.clear();
    server.faults.add({ method: "POST", path: commit, status: 502, times: 1 });
    await http.postJSON(commit, {}, { retrySafe: true }).catch((e: unknown) => e);
    expect(hitsFor(server, commit, "POST")).toBe(3);
    expect(events).toHaveLength(1);
  });

  it("4xx is never retried", async () => {
    const server = await fx.devserver();
    const { http, events } = fx.http(server);
    const missing = await http.getJSON("/api/does-not-exist").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(hitsFor(server, "/api/does-not-exist")).toBe(1);
    server.faults.add({
      method: "PUT",
      path: "/api/x",
      status: 400,
      times: 5,
      body: {
        status: 400,
        message: "A validation error occurred.",
        errors: [{ field: "metadata.title", messages: ["Missing data for required field."] }],
      },
    });
    const invalid = await http.putJSON("/api/x", {}).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(BadRequestError);
    expect((invalid as BadRequestError).errors).toEqual([
      { field: "metadata.title", messages: ["Missing data for required field."] },
    ]);
    expect((invalid as Error).message).toContain(
      "metadata.title: Missing data for required field.",
    );
    expect(hitsFor(server, "/api/x", "PUT")).toBe(1);
    expect(events).toHaveLength(0);
  });

  it("exhausting retryCount throws the typed error", async () => {
    const server = await fx.devserver();
    server.faults.add({ method: "GET", path: MODELS, status: 503, times: 100 });
    const { client, events } = fx.client(server, { retryCount: 2 });
    const error = await client.info.models().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).code).toBe("NRP_SERVER_ERROR");
    expect(hitsFor(server, MODELS)).toBe(3);
    expect(events).toHaveLength(2);
  });

  it("a Retry-After above maxRetryAfter fails fast", async () => {
    const server = await fx.devserver();
    server.faults.add({
      method: "GET",
      path: MODELS,
      status: 429,
      headers: { "Retry-After": "3600" },
    });
    const { client, events } = fx.client(server, { maxRetryAfter: 60 });
    const started = Date.now();
    const error = await client.info.models().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfter).toBe(3600);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(events).toHaveLength(0);
    expect(hitsFor(server, MODELS)).toBe(1);
    expect((error as RateLimitError).retryStop).toBe("retry-after-too-long");
  });

  it("a 429 storm with Retry-After: 0 ends with the retries used up, not a wait too long", async () => {
    const server = await fx.devserver();
    server.faults.add({
      method: "GET",
      path: MODELS,
      status: 429,
      headers: { "Retry-After": "0" },
      times: 50,
    });
    const { client, events } = fx.client(server, { retryCount: 3, maxRetryAfter: 60 });
    const error = await client.info.models().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfter).toBe(0);
    expect((error as RateLimitError).retryStop).toBe("exhausted");
    expect((error as RateLimitError).toJSON()).toMatchObject({ retryStop: "exhausted" });
    expect(events).toHaveLength(3);
    expect(hitsFor(server, MODELS)).toBe(4);
  });

  it("a connection dropped before the response is retried for GET", async () => {
    const server = await fx.devserver();
    server.faults.add({ method: "GET", path: MODELS, dropAfterBytes: 0 });
    const { client, events } = fx.client(server);
    await client.info.models();
    expect(hitsFor(server, MODELS)).toBe(2);
    expect(events).toHaveLength(1);
    expect(events[0]!.error).toBeInstanceOf(APIConnectionError);
    expect(events[0]!.status).toBeUndefined();
  });

  it("a connection dropped in the middle of the body is retried for GET", async () => {
    const server = await fx.devserver();
    server.faults.add({ method: "GET", path: MODELS, dropAfterBytes: 10 });
    const { client, events } = fx.client(server);
    const models = await client.info.models();
    expect(models.length).toBeGreaterThan(0);
    expect(hitsFor(server, MODELS)).toBe(2);
    expect(events[0]!.error).toBeInstanceOf(APIConnectionError);
  });

  it("a dropped connection is not retried for POST", async () => {
    const server = await fx.devserver();
    server.faults.add({ method: "POST", path: "/api/nowhere", dropAfterBytes: 0 });
    const { http } = fx.http(server);
    const error = await http.postJSON("/api/nowhere", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(hitsFor(server, "/api/nowhere", "POST")).toBe(1);
  });

  it("a slow server times out per attempt and the retry succeeds", async () => {
    const server = await fx.devserver();
    server.faults.add({ method: "GET", path: MODELS, delayMs: 1500 });
    const { client, events } = fx.client(server, { timeout: 0.3 });
    await client.info.models();
    expect(events).toHaveLength(1);
    expect(events[0]!.error).toBeInstanceOf(APIConnectionTimeoutError);
  });

  it("a timeout with no retries left is an APIConnectionTimeoutError", async () => {
    const server = await fx.devserver();
    server.faults.add({ method: "GET", path: MODELS, delayMs: 1500 });
    const { client } = fx.client(server, { timeout: 0.3, retryCount: 0 });
    const error = await client.info.models().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionTimeoutError);
    expect((error as APIConnectionTimeoutError).code).toBe("NRP_TIMEOUT");
  });

  it("a one-shot stream body is never replayed; a body factory is", async () => {
    const server = await fx.devserver();
    const { http } = fx.http(server);
    server.faults.add({ method: "PUT", path: "/api/nowhere", status: 503, times: 2 });
    const once = (): AsyncIterable<Uint8Array> => Readable.from([new TextEncoder().encode("{}")]);
    const error = await http
      .json({ method: "PUT", url: "/api/nowhere", body: once() })
      .catch((e: unknown) => e);
    expect((error as InternalServerError).status).toBe(503);
    expect(hitsFor(server, "/api/nowhere", "PUT")).toBe(1);

    server.requestLog.length = 0;
    let opened = 0;
    const factory = () => {
      opened++;
      return once();
    };
    server.faults.add({ method: "PUT", path: "/api/nowhere", status: 503, times: 1 });
    await http.json({ method: "PUT", url: "/api/nowhere", body: factory }).catch(() => undefined);
    expect(hitsFor(server, "/api/nowhere", "PUT")).toBe(3);
    expect(opened).toBe(3);
  });
});

describe("aborting", () => {
  it("abort during a retry wait rejects at once with APIUserAbortError", async () => {
    const server = await fx.devserver();
    server.faults.add({ method: "GET", path: MODELS, status: 503, times: 5 });
    const controller = new AbortController();
    const { client } = fx.client(server, {
      retryInterval: 60,
      onRetry: () => {
        setTimeout(() => {
          controller.abort();
        }, 50);
      },
    });
    const started = Date.now();
    const error = await client.info.models({ signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIUserAbortError);
    expect((error as APIUserAbortError).code).toBe("NRP_ABORTED");
    expect(Date.now() - started).toBeLessThan(2000);
    expect(hitsFor(server, MODELS)).toBe(1);
  });

  it("abort during a slow response rejects with APIUserAbortError", async () => {
    const server = await fx.devserver();
    server.faults.add({ method: "GET", path: MODELS, delayMs: 3000 });
    const { client } = fx.client(server);
    const error = await client.info
      .models({ signal: AbortSignal.timeout(100) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIUserAbortError);
  });

  it("an already-aborted signal sends nothing", async () => {
    const server = await fx.devserver();
    const { client } = fx.client(server);
    const error = await client.info
      .repository({ signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIUserAbortError);
    expect(server.requestLog).toHaveLength(0);
  });
});

describe("concurrency", () => {
  it("runs many calls at once on one pool without listener-leak warnings", async () => {
    const server = await fx.devserver();
    const { http } = fx.http(server);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const results = await Promise.all(
        Array.from({ length: 40 }, () => http.getJSON<unknown[]>(MODELS)),
      );
      expect(results.every((r) => r.status === 200 && Array.isArray(r.body))).toBe(true);
      const controller = new AbortController();
      await Promise.all(
        Array.from({ length: 40 }, () => http.getJSON(MODELS, { signal: controller.signal })),
      );
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
  });
});

describe("first contact and the total wait budget", () => {
  it("a server that never answered gets one quick retry on connection refused", async () => {
    const server = await fx.devserver();
    const url = server.url;
    await server.close();
    const { client, events } = fx.client({ url }, { retryInterval: 10, retryCount: 10 });
    const started = Date.now();
    const error: unknown = await client.info.models().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect((error as APIConnectionError).causeCode).toBe("ECONNREFUSED");
    expect(events.map((e) => [e.attempt, e.maxAttempts, e.reason])).toEqual([
      [1, 1, "connection refused"],
    ]);
    expect(events[0]!.delayMs).toBeLessThanOrEqual(1000);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("a server that answered before keeps the full policy when it refuses (a restart)", async () => {
    const server = await fx.devserver();
    const { client, events } = fx.client(server, { retryCount: 4 });
    await client.info.models();
    await server.close();
    const error: unknown = await client.info.models({ refresh: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(events.map((e) => [e.attempt, e.maxAttempts, e.reason])).toEqual([
      [1, 4, "connection refused"],
      [2, 4, "connection refused"],
      [3, 4, "connection refused"],
      [4, 4, "connection refused"],
    ]);
  });

  it("maxRetryWait stops the retries once the next wait would overrun it", async () => {
    const server = await fx.devserver();
    server.faults.add({
      method: "GET",
      path: MODELS,
      status: 503,
      times: 50,
      headers: { "Retry-After": "1" },
    });
    const { client, events } = fx.client(server, { retryCount: 10, maxRetryWait: 2.5 });
    const started = Date.now();
    const error: unknown = await client.info.models().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, retryStop: "max-wait" });
    expect(events.map((e) => [e.delayMs, e.reason])).toEqual([
      [1000, "HTTP 503"],
      [1000, "HTTP 503"],
    ]);
    expect(hitsFor(server, MODELS)).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });
});

import { describe, expect, it } from "vitest";
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
} from "../../src/core/errors.js";
import {
  backoffDelay,
  decideRetry,
  isRepeatablePost,
  isRetryableMethod,
  isRetryableStatus,
  parseRetryAfter,
  runWithRetry,
} from "../../src/internal/retry.js";
import type { RetryEvent } from "../../src/core/options.js";

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0); // Thu, 26 Nov 2026 12:00:00 GMT

describe("parseRetryAfter", () => {
  it.each<[string, string | undefined, number | undefined]>([
    ["zero seconds", "0", 0],
    ["delta-seconds", "120", 120_000],
    ["surrounding whitespace", " 7 ", 7_000],
    ["IMF-fixdate in the future", "Thu, 26 Nov 2026 12:00:30 GMT", 30_000],
    ["RFC 850 date", "Thursday, 26-Nov-26 12:01:00 GMT", 60_000],
    ["RFC 850 date of the last century", "Sunday, 06-Nov-94 08:49:37 GMT", 0],
    ["asctime date, space-padded day", "Thu Nov 26 12:00:05 2026", 5_000],
    ["asctime single-digit day", "Sun Nov  6 08:49:37 1994", 0],
    ["IMF-fixdate in the past", "Sun, 06 Nov 1994 08:49:37 GMT", 0],
    ["negative number", "-5", undefined],
    ["fraction", "1.5", undefined],
    ["garbage", "soon", undefined],
    ["empty", "", undefined],
    ["missing", undefined, undefined],
    ["lowercase month", "Thu, 26 nov 2026 12:00:30 GMT", undefined],
    ["non-GMT zone", "Thu, 26 Nov 2026 12:00:30 UTC", undefined],
    ["impossible date", "Sat, 31 Feb 2026 12:00:30 GMT", undefined],
    ["hour out of range", "Thu, 26 Nov 2026 25:00:30 GMT", undefined],
    ["ISO 8601 is not an HTTP-date", "2026-11-26T12:00:30Z", undefined],
  ])("%s: %j", (_name, value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it("takes the first of repeated headers", () => {
    expect(parseRetryAfter(["3", "9"], NOW)).toBe(3000);
  });
});

describe("backoffDelay", () => {
  const interval = 1000;
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [5, 10_000],
    [9, 10_000],
  ])("attempt %i without jitter waits %i ms", (attempt, expected) => {
    expect(backoffDelay(attempt, interval, () => 0)).toBe(expected);
  });

  it.each([0, 0.1, 0.5, 0.99, 1])("jitter %f stays within [0.75·d, d] and under the cap", (r) => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const d = Math.min(interval * 2 ** (attempt - 1), 10 * interval);
      const delay = backoffDelay(attempt, interval, () => r);
      expect(delay).toBeGreaterThanOrEqual(Math.floor(0.75 * d));
      expect(delay).toBeLessThanOrEqual(d);
    }
  });

  it("full jitter shortens by exactly a quarter", () => {
    expect(backoffDelay(1, 1000, () => 1)).toBe(750);
  });
});

describe("method and status tables", () => {
  it.each([
    ["GET", false, true],
    ["head", false, true],
    ["PUT", false, true],
    ["DELETE", false, true],
    ["OPTIONS", false, true],
    ["POST", false, false],
    ["PATCH", false, false],
    ["POST", true, true],
  ])("%s (retrySafe=%s) retryable: %s", (method, safe, expected) => {
    expect(isRetryableMethod(method, safe)).toBe(expected);
  });

  it.each([
    ["http://h/api/records/abc12-3de45/draft/files/a.txt/commit", true],
    ["http://h/api/records/abc12-3de45/draft/actions/publish", true],
    ["http://h/api/requests/1b2c/actions/accept", true],
    ["http://h/api/records", false],
    ["http://h/api/records/", false],
    ["http://h/api/search/?q=x", false],
    ["http://h/api/user/search/", false],
    ["http://h/api/records/abc12-3de45/draft/files", false],
    ["http://h/api/records/abc12-3de45/versions", false],
    ["http://h/api/records/abc12-3de45/draft", false],
    ["http://h/api/actions", false],
    ["not a url", false],
  ])("a POST to %s may be marked safe: %s", (url, expected) => {
    expect(isRepeatablePost(url)).toBe(expected);
  });

  it.each([
    [408, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [409, false],
    [410, false],
    [412, false],
    [422, false],
    [501, false],
  ])("status %i retryable: %s", (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected);
  });
});

describe("decideRetry", () => {
  const base = {
    method: "GET",
    retriesDone: 0,
    retryCount: 3,
    retryIntervalMs: 100,
    maxRetryAfterMs: 5000,
    now: NOW,
    random: () => 0,
  };
  const conn = (code: string) =>
    new APIConnectionError("x", { method: "GET", url: "http://h/", causeCode: code });

  it.each<[string, Partial<Parameters<typeof decideRetry>[0]>, ReturnType<typeof decideRetry>]>([
    ["2xx is done", { status: 200 }, { retry: false, reason: "success" }],
    ["503 backs off", { status: 503 }, { retry: true, delayMs: 100, source: "backoff" }],
    [
      "second retry doubles",
      { status: 503, retriesDone: 1 },
      { retry: true, delayMs: 200, source: "backoff" },
    ],
    [
      "Retry-After wins exactly",
      { status: 429, retryAfter: "2" },
      { retry: true, delayMs: 2000, source: "retry-after" },
    ],
    [
      "invalid Retry-After is ignored",
      { status: 429, retryAfter: "later" },
      { retry: true, delayMs: 100, source: "backoff" },
    ],
    [
      "HTTP-date Retry-After",
      { status: 503, retryAfter: "Thu, 26 Nov 2026 12:00:03 GMT" },
      { retry: true, delayMs: 3000, source: "retry-after" },
    ],
    [
      "Retry-After above the cap fails fast",
      { status: 429, retryAfter: "6" },
      { retry: false, reason: "retry-after-too-long", retryAfterMs: 6000 },
    ],
    ["404 is final", { status: 404 }, { retry: false, reason: "status" }],
    ["400 is final", { status: 400 }, { retry: false, reason: "status" }],
    ["POST 503 is final", { method: "POST", status: 503 }, { retry: false, reason: "method" }],
    [
      "POST marked safe retries",
      { method: "POST", retrySafe: true, status: 503 },
      { retry: true, delayMs: 100, source: "backoff" },
    ],
    [
      "POST marked safe is final after a 500",
      { method: "POST", retrySafe: true, status: 500 },
      { retry: false, reason: "status" },
    ],
    [
      "POST marked safe retries a reset",
      { method: "POST", retrySafe: true, error: conn("ECONNRESET") },
      { retry: true, delayMs: 100, source: "backoff" },
    ],
    [
      "PUT 500 retries",
      { method: "PUT", status: 500 },
      { retry: true, delayMs: 100, source: "backoff" },
    ],
    ["budget spent", { status: 503, retriesDone: 3 }, { retry: false, reason: "exhausted" }],
    [
      "consumed stream",
      { method: "PUT", status: 503, bodyReplayable: false },
      { retry: false, reason: "body" },
    ],
    [
      "ECONNRESET retries",
      { error: conn("ECONNRESET") },
      { retry: true, delayMs: 100, source: "backoff" },
    ],
    [
      "ECONNREFUSED retries",
      { error: conn("ECONNREFUSED") },
      { retry: true, delayMs: 100, source: "backoff" },
    ],
    [
      "socket closed retries",
      { error: conn("UND_ERR_SOCKET") },
      { retry: true, delayMs: 100, source: "backoff" },
    ],
    [
      "timeout retries",
      {
        error: new APIConnectionTimeoutError("t", {
          method: "GET",
          url: "http://h/",
          causeCode: "UND_ERR_HEADERS_TIMEOUT",
        }),
      },
      { retry: true, delayMs: 100, source: "backoff" },
    ],
    ["DNS failure is final", { error: conn("ENOTFOUND") }, { retry: false, reason: "error" }],
    [
      "TLS failure is final",
      { error: conn("DEPTH_ZERO_SELF_SIGNED_CERT") },
      { retry: false, reason: "error" },
    ],
    ["user abort is final", { error: new APIUserAbortError() }, { retry: false, reason: "error" }],
    [
      "POST reset is final",
      { method: "POST", error: conn("ECONNRESET") },
      { retry: false, reason: "method" },
    ],
  ])("%s", (_name, input, expected) => {
    expect(decideRetry({ ...base, ...input })).toEqual(expected);
  });
});

describe("runWithRetry", () => {
  const opts = {
    method: "GET",
    url: "http://h/x?access_token=secret",
    retryCount: 2,
    retryIntervalMs: 1,
    maxRetryAfterMs: 1000,
    random: () => 0,
  };

  it("retries failures and reports each wait before sleeping", async () => {
    const events: RetryEvent[] = [];
    let calls = 0;
    const value = await runWithRetry({ ...opts, onRetry: (e) => events.push(e) }, () => {
      calls++;
      return Promise.resolve(
        calls < 3
          ? { ok: false as const, status: 503, retryAfter: undefined, error: new Error("503") }
          : { ok: true as const, value: "done" },
      );
    });
    expect(value).toBe("done");
    expect(calls).toBe(3);
    expect(events.map((e) => [e.attempt, e.delayMs, e.status])).toEqual([
      [1, 1, 503],
      [2, 2, 503],
    ]);
    expect(events[0]!.url).toBe("http://h/x?access_token=***");
  });

  it("throws the last error once the budget is spent", async () => {
    const error = new Error("still 503");
    let calls = 0;
    await expect(
      runWithRetry(opts, () => {
        calls++;
        return Promise.resolve({ ok: false as const, status: 503, retryAfter: undefined, error });
      }),
    ).rejects.toBe(error);
    expect(calls).toBe(3);
  });

  it("aborts a wait immediately", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const promise = runWithRetry(
      {
        ...opts,
        retryIntervalMs: 60_000,
        signal: controller.signal,
        onRetry: () => {
          controller.abort();
        },
      },
      () =>
        Promise.resolve({
          ok: false as const,
          status: 503,
          retryAfter: undefined,
          error: new Error("x"),
        }),
    );
    await expect(promise).rejects.toBeInstanceOf(APIUserAbortError);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

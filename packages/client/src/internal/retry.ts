// Retry policy (STYLE.md "Retries"): which calls are retried, how long to wait, and the loop that
// applies it. The decision functions are pure so that they can be tested as tables.

import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from "../core/errors.js";
import type { RetryEvent } from "../core/options.js";
import { redactUrl } from "./redact.js";
import { sleep } from "./sleep.js";

/** Methods whose repetition cannot change the outcome (RFC 9110 §9.2.2). */
export const RETRY_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "PUT",
  "DELETE",
  "OPTIONS",
]);

/** Statuses that mean "try again later" rather than "your request is wrong". */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Low-level error codes worth a retry: the connection broke or never came up, or the server was
 * too slow. `ENOTFOUND` is deliberately absent: a misspelled host does not heal in a minute.
 */
export const RETRY_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  // fetch's network failure where the runtime says no more (a browser never does).
  "NETWORK_ERROR",
]);

/** Whether `method` may be retried; POST/PATCH only when the call site marks it safe. */
export function isRetryableMethod(method: string, retrySafe = false): boolean {
  return retrySafe || RETRY_METHODS.has(method.toUpperCase());
}

/**
 * Whether a POST to `url` may be marked safe to repeat: only an action on one resource
 * (`…/files/<key>/commit`, `…/actions/<name>`), which the server refuses or ignores when it was
 * already done. A POST to anything else, a collection above all (`/api/records`, `/api/search/`,
 * `…/draft/files`), creates something, or does on some server, so it is never repeated whatever
 * the call site says.
 */
export function isRepeatablePost(url: string): boolean {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return false;
  }
  const segments = path.split("/").filter((s) => s !== "");
  const last = segments.at(-1);
  return last === "commit" || (segments.at(-2) === "actions" && last !== undefined);
}

/** Whether a response status is transient. */
export function isRetryableStatus(status: number): boolean {
  return RETRY_STATUSES.has(status);
}

/** Whether an error thrown by an attempt is a transient network failure. */
export function isRetryableError(error: unknown): boolean {
  if (error instanceof APIUserAbortError) return false;
  if (error instanceof APIConnectionTimeoutError) return true;
  if (error instanceof APIConnectionError) {
    return error.causeCode !== undefined && RETRY_ERROR_CODES.has(error.causeCode);
  }
  return false;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY = "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAY = "(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const MONTH = `(${MONTHS.join("|")})`;
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
// RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms a recipient must accept.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

function utc(
  year: number,
  month: string,
  day: number,
  h: string,
  m: string,
  s: string,
): number | undefined {
  const monthIndex = MONTHS.indexOf(month);
  const hours = Number(h);
  const minutes = Number(m);
  const seconds = Number(s);
  if (day < 1 || day > 31 || hours > 23 || minutes > 59 || seconds > 60) return undefined;
  const time = Date.UTC(year, monthIndex, day, hours, minutes, Math.min(seconds, 59));
  // Reject dates that JavaScript would silently roll over (e.g. 31 Feb).
  if (new Date(time).getUTCDate() !== day) return undefined;
  return time;
}

/** Parses an HTTP-date in any of the three RFC 9110 forms; `undefined` when it is not one. */
export function parseHttpDate(value: string, now: number = Date.now()): number | undefined {
  let match = IMF_FIXDATE.exec(value);
  if (match) {
    const [, , d, mon, y, h, m, s] = match as unknown as string[];
    return utc(Number(y), mon ?? "", Number(d), h ?? "", m ?? "", s ?? "");
  }
  match = RFC850_DATE.exec(value);
  if (match) {
    const [, , d, mon, yy, h, m, s] = match as unknown as string[];
    // RFC 9110: a two-digit year more than 50 years in the future means the previous century.
    const thisYear = new Date(now).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(yy);
    if (year > thisYear + 50) year -= 100;
    return utc(year, mon ?? "", Number(d), h ?? "", m ?? "", s ?? "");
  }
  match = ASCTIME_DATE.exec(value);
  if (match) {
    const [, , mon, d, h, m, s, y] = match as unknown as string[];
    return utc(Number(y), mon ?? "", Number((d ?? "").trim()), h ?? "", m ?? "", s ?? "");
  }
  return undefined;
}

/**
 * Parses a `Retry-After` value into milliseconds to wait.
 *
 * Accepts delta-seconds (digits only) or an HTTP-date; a date in the past gives 0. Anything else
 * (negative numbers, fractions, free text) gives `undefined` and is ignored, as RFC 9110 asks.
 */
export function parseRetryAfter(
  value: string | readonly string[] | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const raw = Array.isArray(value)
    ? (value as readonly string[])[0]
    : (value as string | null | undefined);
  if (raw === undefined || raw === null) return undefined;
  const text = raw.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  const date = parseHttpDate(text, now);
  if (date === undefined) return undefined;
  return Math.max(0, date - now);
}

/**
 * Backoff before retry number `attempt` (1-based): `interval * 2^(attempt-1)`, capped at
 * `10 * interval`, then jittered down by up to 25 % (the result lies in `[0.75·d, d]`).
 *
 * Jitter only shortens the wait so the cap stays a true upper bound; it spreads clients that failed
 * together (openai-node uses the same 0.75–1.0 band).
 */
export function backoffDelay(
  attempt: number,
  intervalMs: number,
  random: () => number = Math.random,
): number {
  const exponential = intervalMs * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(exponential, 10 * intervalMs);
  const jitter = 1 - 0.25 * Math.min(1, Math.max(0, random()));
  return Math.round(capped * jitter);
}

/** Inputs to {@link decideRetry}. */
export interface RetryInput {
  method: string;
  /** The call is safe to repeat even though its method is not idempotent. */
  retrySafe?: boolean | undefined;
  /** Retries already done (0 after the first attempt). */
  retriesDone: number;
  retryCount: number;
  retryIntervalMs: number;
  maxRetryAfterMs: number;
  /** The response status, when there was a response. */
  status?: number | undefined;
  /** The `Retry-After` header, when there was a response. */
  retryAfter?: string | readonly string[] | undefined;
  /** The error, when there was no response. */
  error?: unknown;
  /** False once a one-shot body stream has been consumed. */
  bodyReplayable?: boolean | undefined;
  now?: number | undefined;
  random?: (() => number) | undefined;
}

/** What {@link decideRetry} concluded. */
export type RetryDecision =
  | { retry: true; delayMs: number; source: "retry-after" | "backoff" }
  | {
      retry: false;
      reason:
        "success" | "method" | "status" | "error" | "body" | "exhausted" | "retry-after-too-long";
      /** The server's requested wait, when it sent one. */
      retryAfterMs?: number;
    };

/** Decides whether to retry after one attempt, and how long to wait first. Pure. */
export function decideRetry(input: RetryInput): RetryDecision {
  const retryAfterMs =
    input.status === undefined ? undefined : parseRetryAfter(input.retryAfter, input.now);
  const withRetryAfter = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (input.status !== undefined) {
    if (input.status < 400) return { retry: false, reason: "success" };
    if (!isRetryableStatus(input.status))
      return { retry: false, reason: "status", ...withRetryAfter };
  } else if (!isRetryableError(input.error)) {
    return { retry: false, reason: "error" };
  }
  if (!isRetryableMethod(input.method, input.retrySafe)) {
    return { retry: false, reason: "method", ...withRetryAfter };
  }
  // Invenio answers 500 for an exception in its own code: for an action (a POST marked safe),
  // that is the same exception every time (RDM 13 commits a file without content that way), so
  // only the gateway's and the overload statuses are worth repeating.
  if (input.status === 500 && !RETRY_METHODS.has(input.method.toUpperCase())) {
    return { retry: false, reason: "status", ...withRetryAfter };
  }
  if (input.bodyReplayable === false) return { retry: false, reason: "body", ...withRetryAfter };
  if (input.retriesDone >= input.retryCount) {
    return { retry: false, reason: "exhausted", ...withRetryAfter };
  }
  if (retryAfterMs !== undefined) {
    if (retryAfterMs > input.maxRetryAfterMs) {
      return { retry: false, reason: "retry-after-too-long", retryAfterMs };
    }
    return { retry: true, delayMs: retryAfterMs, source: "retry-after" };
  }
  return {
    retry: true,
    delayMs: backoffDelay(input.retriesDone + 1, input.retryIntervalMs, input.random),
    source: "backoff",
  };
}

/** One attempt's result as the retry loop sees it. */
export type AttemptOutcome<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      status: number;
      retryAfter: string | readonly string[] | undefined;
      /** The error to throw if this is the last attempt. */
      error: Error;
    };

/** Settings of one {@link runWithRetry} call. */
export interface RetryLoopOptions {
  method: string;
  url: string;
  retrySafe?: boolean | undefined;
  retryCount: number;
  retryIntervalMs: number;
  maxRetryAfterMs: number;
  signal?: AbortSignal | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /** Reports whether the request body can be sent again (false after a one-shot stream ran). */
  bodyReplayable?: (() => boolean) | undefined;
  random?: (() => number) | undefined;
  /**
   * Whether the request's origin has never answered this client: connection refused or an
   * unresolved host then gets one quick retry instead of the full policy (a wrong address, not a
   * restarting server).
   */
  firstContact?: (() => boolean) | undefined;
  /** What is left of the client's total retry wait (`maxRetryWait`), shared by its requests. */
  waitBudget?: { remainingMs: number; totalMs: number } | undefined;
}

/** Codes that, from a server that never answered, mean a wrong address rather than a restart. */
export const FAST_FAIL_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** The one quick retry granted to a server that never answered. */
export const FAST_FAIL_DELAY_MS = 1000;

/** A short human reason for a retry, e.g. `connection refused` or `HTTP 503`. */
export function retryReason(status: number | undefined, error: unknown): string {
  if (status !== undefined) return `HTTP ${status}`;
  if (error instanceof APIConnectionTimeoutError) return "timed out";
  if (error instanceof APIConnectionError) {
    switch (error.causeCode) {
      case "ECONNREFUSED":
        return "connection refused";
      case "ENOTFOUND":
      case "EAI_AGAIN":
        return "host not found";
      case "ECONNRESET":
        return "connection reset";
      default:
        return error.causeCode ?? "connection failed";
    }
  }
  return error instanceof Error ? error.message : "error";
}

/**
 * Runs `attempt` until it succeeds, fails permanently, or the retry budget is spent.
 *
 * `attempt` returns `{ok:false}` for error statuses (so that Retry-After can be read) and throws
 * for network failures; the final failure is thrown as is.
 */
export async function runWithRetry<T>(
  options: RetryLoopOptions,
  attempt: (attemptNumber: number) => Promise<AttemptOutcome<T>>,
): Promise<T> {
  for (let retriesDone = 0; ; retriesDone++) {
    let outcome: AttemptOutcome<T> | undefined;
    let thrown: unknown;
    try {
      outcome = await attempt(retriesDone + 1);
    } catch (error) {
      thrown = error;
    }
    if (outcome?.ok) return outcome.value;
    const decision = decideRetry({
      method: options.method,
      retrySafe: options.retrySafe,
      retriesDone,
      retryCount: options.retryCount,
      retryIntervalMs: options.retryIntervalMs,
      maxRetryAfterMs: options.maxRetryAfterMs,
      status: outcome?.status,
      retryAfter: outcome?.retryAfter,
      error: thrown,
      bodyReplayable: options.bodyReplayable?.(),
      random: options.random,
    });
    const fastFail =
      outcome === undefined &&
      thrown instanceof APIConnectionError &&
      thrown.causeCode !== undefined &&
      FAST_FAIL_CODES.has(thrown.causeCode) &&
      options.firstContact?.() === true;
    const maxRetries = fastFail ? Math.min(1, options.retryCount) : options.retryCount;
    if (decision.retry && fastFail && retriesDone >= maxRetries) {
      throw thrown;
    }
    const delayMs = decision.retry
      ? fastFail
        ? Math.min(decision.delayMs, FAST_FAIL_DELAY_MS)
        : decision.delayMs
      : 0;
    const budget = options.waitBudget;
    if (decision.retry && budget !== undefined && delayMs > budget.remainingMs) {
      const failure = outcome ? outcome.error : thrown;
      if (failure instanceof APIError) failure.retryStop = "max-wait";
      else if (failure instanceof Error) {
        failure.message += ` Gave up: the total retry wait of ${String(Math.round(budget.totalMs / 1000))} s (maxRetryWait) was used up.`;
      }
      throw failure;
    }
    if (!decision.retry) {
      if (
        outcome?.error instanceof APIError &&
        (decision.reason === "exhausted" || decision.reason === "retry-after-too-long")
      ) {
        outcome.error.retryStop = decision.reason;
      }
      throw outcome ? outcome.error : thrown;
    }
    if (budget !== undefined) budget.remainingMs -= delayMs;
    const event: RetryEvent = {
      attempt: retriesDone + 1,
      maxAttempts: maxRetries,
      reason: retryReason(outcome?.status, thrown),
      delayMs,
      method: options.method.toUpperCase(),
      url: redactUrl(options.url),
    };
    if (outcome) event.status = outcome.status;
    else if (thrown instanceof Error) event.error = thrown;
    options.onRetry?.(event);
    try {
      await sleep(delayMs, options.signal);
    } catch (error) {
      throw new APIUserAbortError(`Aborted while waiting to retry ${event.method} ${event.url}.`, {
        cause: options.signal?.reason ?? error,
      });
    }
  }
}

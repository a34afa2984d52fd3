// The one HTTP transport every call goes through: connection pool, TLS settings, headers, auth
// scoping, redirects, timeouts, retries and error mapping live here and nowhere else.

import { createTransport } from "#platform";
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  CorsRefusedError,
  APIError,
  APIUserAbortError,
  ConfigError,
  DeadlineExceededError,
  ErrorCodes,
  NRPError,
  ResponseTooLargeError,
} from "../core/errors.js";
import type { WithheldToken } from "../core/errors.js";
import type { ResolvedClientOptions } from "../core/options.js";
import type { QueryValue } from "../core/query.js";
import { redactSecrets, redactUrl } from "./redact.js";
import { isRepeatablePost, parseRetryAfter, runWithRetry } from "./retry.js";
import type { AttemptOutcome } from "./retry.js";
import { CORS_REFUSED } from "./transport.js";
import type {
  ResponseBody,
  ResponseHeaders,
  Transport,
  TransportBody,
  TransportResponse,
} from "./transport.js";

/** A body source that can be streamed once. */
export type OneShotBody = AsyncIterable<Uint8Array>;

/** What a body factory may produce for one attempt. */
export type BodyChunks = string | Uint8Array | OneShotBody;

/**
 * A request body. Strings, bytes and factories (called once per attempt) can be resent on retry;
 * a bare stream or async iterable is sent at most once and disables retries after it ran.
 */
export type RequestBody =
  string | Uint8Array | (() => BodyChunks | Promise<BodyChunks>) | OneShotBody;

/** Query string values; arrays repeat the key. */
export type { QueryValue };

/** Response headers with lower-case names. */
export type { ResponseBody, ResponseHeaders };

/** Options of one logical call (all its attempts and redirects). */
export interface HttpRequestOptions {
  method: string;
  /** Absolute URL, or a path resolved against the server URL. */
  url: string;
  query?: Readonly<Record<string, QueryValue>> | undefined;
  headers?: Readonly<Record<string, string | undefined>> | undefined;
  body?: RequestBody | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Marks a non-idempotent call (POST) as safe to repeat. Honoured for a POST only when its URL is
   * an action on one resource (see `isRepeatablePost`), never for a POST to a collection.
   */
  retrySafe?: boolean | undefined;
  /** Overrides the client's per-attempt timeout, in seconds. */
  timeout?: number | undefined;
  /** Follow 301/302/303/307/308 (GET and HEAD only). @default true */
  followRedirects?: boolean | undefined;
  /** Bytes of the body sent so far in this attempt, where the transport reports them. */
  onUploadProgress?: ((sentBytes: number) => void) | undefined;
}

/** A response with its decoded body. */
export interface HttpResponse<T> {
  status: number;
  headers: ResponseHeaders;
  /** The final URL after redirects. */
  url: string;
  body: T;
}

/** A streaming response; the caller must consume or dump `body`. */
export type StreamingResponse = HttpResponse<ResponseBody>;

/**
 * Transport settings: the client's resolved options (validated and defaulted once, in
 * `resolveOptions`), so that a new client option reaches the transport without a second list.
 */
export type HttpClientOptions = Omit<ResolvedClientOptions, "onRetry"> & {
  onRetry?: ResolvedClientOptions["onRetry"];
  /** The transport to send with; default: the platform's (see `transport.ts`). */
  transport?: Transport | undefined;
  /** Random source for jitter; injectable for tests. */
  random?: (() => number) | undefined;
};

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
/** Error bodies are read for their message only; a runaway HTML page must not fill memory. */
const MAX_ERROR_BODY_BYTES = 1 << 20;

const TLS_ERROR_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);
const TIMEOUT_CODES = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
]);

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A per-attempt total deadline: its signal aborts the attempt when `ms` have passed. */
interface Deadline {
  readonly signal: AbortSignal;
  readonly ms: number;
}

/**
 * Reads a whole body as UTF-8 text, stopping with a {@link ResponseTooLargeError} as soon as it
 * passes `limit` bytes (or announces more in Content-Length), so a runaway body cannot fill memory.
 */
async function readCapped(
  res: TransportResponse,
  limit: number,
  method: string,
  url: string,
): Promise<string> {
  const tooLarge = (): ResponseTooLargeError =>
    new ResponseTooLargeError(
      `The response to ${method} ${redactUrl(url)} is larger than ${limit} bytes (maxJsonSize); reading stopped.`,
      { method, url, limit },
    );
  const declared = Number(res.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge();
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

function isOneShot(body: RequestBody | undefined): body is OneShotBody {
  return (
    body !== undefined &&
    typeof body !== "string" &&
    typeof body !== "function" &&
    !(body instanceof Uint8Array)
  );
}

/**
 * Creates the platform's transport; a CA bundle it cannot read, or a TLS option the runtime cannot
 * honour, is a configuration mistake, reported as such.
 */
function makeTransport(verify: boolean | string): Transport {
  try {
    return createTransport({ verify });
  } catch (error) {
    // Node reports an unreadable file (an error with a code); other runtimes refuse the option.
    const bundle =
      typeof verify === "string" && typeof (error as { code?: unknown }).code === "string";
    throw new ConfigError(
      bundle
        ? `Cannot read the CA bundle "${verify}"`
        : error instanceof Error
          ? error.message
          : String(error),
      {
        key: "verify",
        hint: bundle
          ? "Point verify at a readable PEM file, or use verify: true for the system CAs"
          : "Use verify: true",
        cause: error,
      },
    );
  }
}

/**
 * The HTTP core shared by every resource of one client.
 *
 * One transport (undici's keep-alive pool on Node, `fetch` elsewhere: see `transport.ts`) serves
 * every call; every call gets the same headers, auth scoping, retries and error mapping.
 */
export class HttpClient {
  readonly #options: HttpClientOptions;
  readonly #transport: Transport;
  readonly #origin: string;
  readonly #base: string;
  readonly #closed = new AbortController();
  /** Origins that have answered at least once: a refusal from them is a restart, not a typo. */
  readonly #answered = new Set<string>();
  /** What is left of `maxRetryWait`, shared by every request of this client. */
  readonly #waitBudget: { remainingMs: number; totalMs: number } | undefined;

  constructor(options: HttpClientOptions) {
    this.#options = options;
    const url = new URL(options.serverUrl);
    this.#origin = url.origin;
    this.#waitBudget =
      options.maxRetryWait === undefined
        ? undefined
        : { remainingMs: options.maxRetryWait * 1000, totalMs: options.maxRetryWait * 1000 };
    this.#base = options.serverUrl.endsWith("/") ? options.serverUrl : `${options.serverUrl}/`;
    // A CA bundle is read here, so that a bad path fails when the client is made, not later.
    this.#transport = options.transport ?? makeTransport(options.verify);
  }

  /** The origin (scheme, host, port) that receives the token. */
  get origin(): string {
    return this.#origin;
  }

  /** How many times a failed attempt is retried; downloads use it for resumes mid-body too. */
  get retryCount(): number {
    return this.#options.retryCount;
  }

  /**
   * Whether requests report their sent bytes through `onUploadProgress` (browsers); otherwise
   * an upload counts bytes as its body stream is read.
   */
  get reportsUploadProgress(): boolean {
    return this.#transport.reportsUploadProgress === true;
  }

  /** Resolves a path against the server URL; absolute URLs pass through. */
  resolve(url: string, query?: Readonly<Record<string, QueryValue>>): string {
    // Absolute URLs pass through; "/x" is relative to the origin, "x" to the server URL.
    const resolved = /^https?:\/\//i.test(url)
      ? new URL(url)
      : new URL(url, url.startsWith("/") ? this.#origin : this.#base);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) {
        for (const v of value as readonly (string | number)[])
          resolved.searchParams.append(key, String(v));
      } else {
        resolved.searchParams.append(key, String(value));
      }
    }
    return resolved.toString();
  }

  /** Closes the connection pool; in-flight calls are aborted. */
  async close(): Promise<void> {
    if (this.#closed.signal.aborted) return;
    this.#closed.abort(new APIUserAbortError("The client was closed."));
    await this.#transport.close();
  }

  /**
   * Sends a request and returns the streaming response; error statuses throw {@link APIError}.
   * Network failures before the response headers are retried per the policy; failures while
   * the caller reads the body are the caller's to handle.
   */
  async stream(options: HttpRequestOptions): Promise<StreamingResponse> {
    return this.send(options, (res) => Promise.resolve(res.body));
  }

  /**
   * Sends a request and decodes a JSON response; a 204 or empty body gives `undefined`.
   * The body is capped at `maxJsonSize` and each attempt at `deadline` seconds in total.
   */
  async json<T = unknown>(options: HttpRequestOptions): Promise<HttpResponse<T>> {
    const method = options.method.toUpperCase();
    return this.send(
      options,
      async (res, url) => {
        const text = await readCapped(res, this.#options.maxJsonSize, method, url);
        if (res.statusCode === 204 || text.trim() === "") return undefined as T;
        try {
          return JSON.parse(text) as T;
        } catch (error) {
          throw new NRPError(
            `Expected JSON from ${options.method.toUpperCase()} ${redactUrl(url)} but got ${String(
              res.headers["content-type"] ?? "no content type",
            )}.`,
            { code: ErrorCodes.InvalidJson, cause: error },
          );
        }
      },
      { deadline: true },
    );
  }

  /** Sends a request and returns the body as text, with the same limits as {@link json}. */
  async text(options: HttpRequestOptions): Promise<HttpResponse<string>> {
    const method = options.method.toUpperCase();
    return this.send(
      options,
      (res, url) => readCapped(res, this.#options.maxJsonSize, method, url),
      { deadline: true },
    );
  }

  /** `GET` a JSON document. */
  getJSON<T = unknown>(
    url: string,
    options: Omit<HttpRequestOptions, "method" | "url"> = {},
  ): Promise<HttpResponse<T>> {
    return this.json<T>({ ...options, method: "GET", url });
  }

  /** `POST` a JSON body; not retried unless `retrySafe` is set. */
  postJSON<T = unknown>(
    url: string,
    body: unknown,
    options: Omit<HttpRequestOptions, "method" | "url" | "body"> = {},
  ): Promise<HttpResponse<T>> {
    return this.json<T>(jsonRequest("POST", url, body, options));
  }

  /** `PUT` a JSON body. */
  putJSON<T = unknown>(
    url: string,
    body: unknown,
    options: Omit<HttpRequestOptions, "method" | "url" | "body"> = {},
  ): Promise<HttpResponse<T>> {
    return this.json<T>(jsonRequest("PUT", url, body, options));
  }

  /** `DELETE` a resource; a 204 gives `undefined`. */
  delete<T = undefined>(
    url: string,
    options: Omit<HttpRequestOptions, "method" | "url"> = {},
  ): Promise<HttpResponse<T>> {
    return this.json<T>({ ...options, method: "DELETE", url });
  }

  /**
   * Runs one logical call: redirects, retries, and `consume` on the final successful response.
   * `consume` runs inside the attempt, so a connection dropped mid-body is retried like any other.
   * With `limits.deadline` each attempt (headers, `consume` included) must end within the client's
   * `deadline`; file transfers leave it off, since a large file may rightly take hours.
   */
  async send<T>(
    options: HttpRequestOptions,
    consume: (res: TransportResponse, url: string) => Promise<T>,
    limits: { deadline?: boolean } = {},
  ): Promise<HttpResponse<T>> {
    const method = options.method.toUpperCase();
    const follow = (options.followRedirects ?? true) && (method === "GET" || method === "HEAD");
    // A fresh composite signal per call keeps undici's abort listeners off the long-lived
    // close signal, so many concurrent calls raise no listener-leak warnings.
    const signal = AbortSignal.any(
      options.signal ? [options.signal, this.#closed.signal] : [this.#closed.signal],
    );
    let url = this.resolve(options.url, options.query);
    let bodyUsed = false;
    const oneShot = isOneShot(options.body);
    const retrySafe = options.retrySafe === true && (method !== "POST" || isRepeatablePost(url));
    // A URL on another origin (a link the server built with its own address, say) never gets
    // the token; a refusal then is reported with both origins, since that is usually the cause.
    const requestOrigin = new URL(url).origin;
    const withheldToken =
      this.#options.token && requestOrigin !== this.#origin
        ? { requestOrigin, configuredOrigin: this.#origin }
        : undefined;

    for (let hops = 0; ; hops++) {
      const currentUrl = url;
      type Step =
        { kind: "done"; response: HttpResponse<T> } | { kind: "redirect"; location: string };
      const step = await runWithRetry<Step>(
        {
          method,
          url: currentUrl,
          retrySafe,
          retryCount: this.#options.retryCount,
          retryIntervalMs: this.#options.retryInterval * 1000,
          maxRetryAfterMs: this.#options.maxRetryAfter * 1000,
          signal,
          onRetry: this.#options.onRetry,
          bodyReplayable: () => !(oneShot && bodyUsed),
          random: this.#options.random,
          firstContact: () => !this.#answered.has(new URL(currentUrl).origin),
          waitBudget: this.#waitBudget,
        },
        async (): Promise<AttemptOutcome<Step>> => {
          const timer = limits.deadline ? new AbortController() : undefined;
          const deadline: Deadline | undefined = timer && {
            signal: timer.signal,
            ms: this.#options.deadline * 1000,
          };
          const timeout = deadline && setTimeout(() => timer?.abort(), deadline.ms);
          const attemptSignal = deadline ? AbortSignal.any([signal, deadline.signal]) : signal;
          try {
            return await this.#attempt(
              method,
              currentUrl,
              options,
              attemptSignal,
              deadline,
              follow,
              withheldToken,
              consume,
              () => {
                if (oneShot) bodyUsed = true;
              },
            );
          } finally {
            clearTimeout(timeout);
          }
        },
      );
      if (step.kind === "done") return step.response;
      if (hops >= MAX_REDIRECTS) {
        throw new NRPError(
          `Too many redirects (more than ${MAX_REDIRECTS}) from ${redactUrl(url)}.`,
          {
            code: ErrorCodes.TooManyRedirects,
          },
        );
      }
      const next = new URL(step.location, currentUrl);
      // Only http(s) is followed: a `file:`, `data:` or other scheme is the server's mistake (or
      // an attack), and undici would otherwise fail with a confusing connection error.
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        throw new NRPError(
          `Refusing to follow a redirect from ${redactUrl(currentUrl)} to a ${next.protocol} URL (not http or https).`,
          { code: ErrorCodes.InvalidResponse },
        );
      }
      url = next.toString();
    }
  }

  /** One attempt of {@link send}: the request, then a redirect, an error status or `consume`. */
  async #attempt<T>(
    method: string,
    currentUrl: string,
    options: HttpRequestOptions,
    signal: AbortSignal,
    deadline: Deadline | undefined,
    follow: boolean,
    withheldToken: WithheldToken | undefined,
    consume: (res: TransportResponse, url: string) => Promise<T>,
    onBodyUsed: () => void,
  ): Promise<
    AttemptOutcome<
      { kind: "done"; response: HttpResponse<T> } | { kind: "redirect"; location: string }
    >
  > {
    let res: TransportResponse;
    try {
      const body = await this.#body(options.body);
      onBodyUsed();
      res = await this.#dispatch(method, currentUrl, options, body, signal, deadline);
      this.#answered.add(new URL(currentUrl).origin);
    } catch (error) {
      throw this.#mapError(error, method, currentUrl, signal, options.signal, deadline);
    }
    try {
      const location = res.headers.location;
      if (follow && REDIRECT_STATUSES.has(res.statusCode) && typeof location === "string") {
        await res.body.dump();
        return { ok: true, value: { kind: "redirect", location } };
      }
      if (res.statusCode >= 400) {
        const error = await this.#errorFrom(method, currentUrl, res, withheldToken);
        return {
          ok: false,
          status: res.statusCode,
          retryAfter: res.headers["retry-after"],
          error,
        };
      }
      const value = await consume(res, currentUrl);
      return {
        ok: true,
        value: {
          kind: "done",
          response: {
            status: res.statusCode,
            headers: res.headers,
            url: currentUrl,
            body: value,
          },
        },
      };
    } catch (error) {
      if (!res.body.destroyed) res.body.destroy();
      throw this.#mapError(error, method, currentUrl, signal, options.signal, deadline);
    }
  }

  async #body(body: RequestBody | undefined): Promise<TransportBody | undefined> {
    if (body === undefined) return undefined;
    if (typeof body === "function") return await body();
    return body;
  }

  async #dispatch(
    method: string,
    url: string,
    options: HttpRequestOptions,
    body: TransportBody | undefined,
    signal: AbortSignal,
    deadline?: Deadline,
  ): Promise<TransportResponse> {
    const target = new URL(url);
    const headers: Record<string, string> = {
      "user-agent": this.#options.userAgent,
      accept: "application/json",
    };
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value !== undefined) headers[name.toLowerCase()] = value;
    }
    // The token goes to the configured origin only: never to a redirect target, a presigned
    // storage URL or any other host (docs/protocol/conventions.md#authentication).
    if (this.#options.token && target.origin === this.#origin) {
      headers.authorization = `Bearer ${this.#options.token}`;
    } else {
      delete headers.authorization;
    }
    const timeoutMs = (options.timeout ?? this.#options.timeout) * 1000;
    try {
      // A pool created after close() would never be destroyed; such a request is refused.
      signal.throwIfAborted();
      return await this.#transport.request({
        url: target,
        method,
        headers,
        body,
        signal,
        timeoutMs,
        onUploadProgress: options.onUploadProgress,
      });
    } catch (error) {
      throw this.#mapError(error, method, url, signal, options.signal, deadline);
    }
  }

  async #errorFrom(
    method: string,
    url: string,
    res: TransportResponse,
    withheldToken: WithheldToken | undefined,
  ): Promise<APIError> {
    let text = "";
    try {
      const decoder = new TextDecoder();
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > MAX_ERROR_BODY_BYTES) break;
        text += decoder.decode(chunk, { stream: true });
      }
      text += decoder.decode();
    } catch {
      // A body cut short still leaves the status to report.
    } finally {
      if (!res.body.destroyed) res.body.destroy();
    }
    text = redactSecrets(text, [this.#options.token]);
    let body: unknown = text === "" ? undefined : text;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        // Proxies answer with HTML; keep the text.
      }
    }
    const retryAfterMs = parseRetryAfter(res.headers["retry-after"]);
    return APIError.fromResponse({
      status: res.statusCode,
      body,
      headers: res.headers,
      method,
      url,
      retryAfter: retryAfterMs === undefined ? undefined : retryAfterMs / 1000,
      withheldToken,
    });
  }

  #mapError(
    error: unknown,
    method: string,
    url: string,
    signal: AbortSignal,
    callerSignal: AbortSignal | undefined,
    deadline?: Deadline,
  ): NRPError {
    if (error instanceof NRPError) return error;
    const where = `${method} ${redactUrl(url)}`;
    if (callerSignal?.aborted) {
      return new APIUserAbortError(`The request was aborted (${where}).`, {
        cause: callerSignal.reason,
      });
    }
    if (deadline?.signal.aborted && !this.#closed.signal.aborted) {
      return new DeadlineExceededError(
        `${where} took longer than ${deadline.ms / 1000} s in total (deadline); the server answered too slowly.`,
        { method, url, cause: error },
      );
    }
    if (signal.aborted) {
      return new APIUserAbortError(`The client was closed (${where}).`, { cause: signal.reason });
    }
    const code = errorCode(error);
    const detail = redactSecrets(error instanceof Error ? error.message : String(error), [
      this.#options.token,
    ]);
    if (code !== undefined && TLS_ERROR_CODES.has(code)) {
      return new APIConnectionError(
        `TLS certificate verification failed for ${where}: ${detail} (${code}). Pass verify: "<path to a PEM CA bundle>" to trust the server's CA, or verify: false for a development server.`,
        { method, url, causeCode: code, cause: error },
      );
    }
    if (code === CORS_REFUSED) {
      // The browser platform's diagnosis (platform/browser.ts): its message names both origins.
      return new CorsRefusedError(`${where} was refused: ${detail}`, {
        method,
        url,
        causeCode: code,
        cause: error,
      });
    }
    if (code !== undefined && TIMEOUT_CODES.has(code)) {
      return new APIConnectionTimeoutError(`Timed out waiting for ${where}: ${detail}`, {
        method,
        url,
        causeCode: code,
        cause: error,
      });
    }
    return new APIConnectionError(
      `Connection failed for ${where}: ${detail}${code ? ` (${code})` : ""}`,
      {
        method,
        url,
        causeCode: code,
        cause: error,
      },
    );
  }
}

function jsonRequest(
  method: string,
  url: string,
  body: unknown,
  options: Omit<HttpRequestOptions, "method" | "url" | "body">,
): HttpRequestOptions {
  return {
    ...options,
    method,
    url,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { "content-type": "application/json", ...options.headers },
  };
}
